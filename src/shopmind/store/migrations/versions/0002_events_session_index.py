"""events: index by session, for anonymous real-time recommendations

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_events_session", "events", ["shop_id", "session_id", "ts"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_events_session", table_name="events")
