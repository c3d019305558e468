"""Canonical, shop-scoped tables.

Every table carries ``shop_id`` as the first column of its primary key, so that every query the
store issues can (and must) be filtered by shop. Ids are the shop's own external ids (strings).
Timestamps are stored in UTC and always come back timezone-aware.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    TypeDecorator,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timestamp stored as naive UTC and returned timezone-aware (UTC).

    SQLite has no time zones and PostgreSQL's ``timestamptz`` converts on the way out; storing
    naive UTC on both and attaching UTC on load gives identical behaviour on every backend.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"timestamp {value.isoformat()} has no time zone; give one, e.g. +08:00 or Z")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC)


def Money() -> Numeric[float]:  # noqa: N802 - reads like a type
    """Exact decimal in the database, float in Python (amounts are shown, not summed to the cent)."""
    return Numeric(14, 2, asdecimal=False)


def _shop_fk() -> Column[Any]:
    return Column("shop_id", String(64), ForeignKey("shops.shop_id", ondelete="CASCADE"), primary_key=True)


def _timestamps() -> list[Column[Any]]:
    return [
        Column("created_at", UTCDateTime(), nullable=False),
        Column("updated_at", UTCDateTime(), nullable=False),
    ]


shops = Table(
    "shops",
    metadata,
    Column("shop_id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("currency", String(3), nullable=False, default="CNY"),
    Column("timezone", String(64), nullable=False, default="Asia/Shanghai"),
    Column("created_at", UTCDateTime(), nullable=False),
)

products = Table(
    "products",
    metadata,
    _shop_fk(),
    Column("sku", String(128), primary_key=True),
    Column("title", String(500), nullable=False),
    Column("title_en", String(500)),
    Column("description", Text),
    Column("description_en", Text),
    Column("category", String(500)),  # path, "/"-separated: 生鲜/水果/柑橘
    Column("brand", String(200)),
    Column("price", Money()),
    Column("cost", Money()),
    Column("currency", String(3)),
    Column("attributes", JSON),
    Column("origin_province", String(64)),
    Column("origin_city", String(64)),
    Column("harvest_months", JSON),  # list of month numbers 1-12
    Column("shelf_life_days", Integer),
    Column("certifications", JSON),  # list: organic, green_food, geographical_indication, ...
    Column("production_date", Date),
    Column("image_path", String(1000)),
    Column("status", String(16), nullable=False, default="active"),
    *_timestamps(),
)

customers = Table(
    "customers",
    metadata,
    _shop_fk(),
    Column("customer_id", String(128), primary_key=True),
    Column("province", String(64)),
    Column("city", String(64)),
    Column("signup_date", Date),
    Column("gender", String(16)),
    Column("age_band", String(16)),
    Column("consent_marketing", Boolean, nullable=False, default=False),
    Column("consent_analytics", Boolean, nullable=False, default=True),
    # Contact data is encrypted at rest (Fernet); the *_hash columns are keyed blind indexes
    # (HMAC-SHA256 of the normalized value) so contacts can be matched without decrypting.
    Column("email_enc", LargeBinary),
    Column("phone_enc", LargeBinary),
    Column("email_hash", String(64)),
    Column("phone_hash", String(64)),
    Column("attributes", JSON),
    *_timestamps(),
)

orders = Table(
    "orders",
    metadata,
    _shop_fk(),
    Column("order_id", String(128), primary_key=True),
    Column("customer_id", String(128)),
    Column("status", String(16), nullable=False),
    Column("ordered_at", UTCDateTime(), nullable=False),
    Column("paid_at", UTCDateTime()),
    Column("shipped_at", UTCDateTime()),
    Column("delivered_at", UTCDateTime()),
    Column("total_amount", Money(), nullable=False),
    Column("discount_amount", Money(), nullable=False, default=0),
    Column("shipping_fee", Money(), nullable=False, default=0),
    Column("quantity", Integer),  # units in the order (also known when items are not)
    Column("currency", String(3)),
    Column("coupon_code", String(64)),
    Column("payment_method", String(32)),
    Column("channel", String(32)),
    Column("shipping_province", String(64)),
    Column("shipping_city", String(64)),
    Column("device_fingerprint", String(128)),
    Column("ip_fingerprint", String(128)),
    Column("carrier", String(64)),  # courier company, once shipped
    Column("tracking_number", String(64)),
    *_timestamps(),
    Index("ix_orders_customer", "shop_id", "customer_id", "ordered_at"),
    Index("ix_orders_time", "shop_id", "ordered_at"),
)

order_items = Table(
    "order_items",
    metadata,
    _shop_fk(),
    Column("order_id", String(128), primary_key=True),
    Column("line_no", Integer, primary_key=True),
    Column("sku", String(128), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("unit_price", Money(), nullable=False),
    Column("discount_amount", Money(), nullable=False, default=0),
    Index("ix_order_items_sku", "shop_id", "sku"),
)

events = Table(
    "events",
    metadata,
    _shop_fk(),
    Column("event_id", String(128), primary_key=True),
    Column("event_type", String(24), nullable=False),
    Column("customer_id", String(128)),
    Column("session_id", String(128)),
    Column("sku", String(128)),
    Column("query", String(500)),
    Column("value", Float),  # rating, price paid, dwell seconds: meaning depends on the type
    Column("ts", UTCDateTime(), nullable=False),
    Column("channel", String(32)),
    Column("properties", JSON),
    Index("ix_events_time", "shop_id", "ts"),
    Index("ix_events_customer", "shop_id", "customer_id", "ts"),
    Index("ix_events_session", "shop_id", "session_id", "ts"),
)

reviews = Table(
    "reviews",
    metadata,
    _shop_fk(),
    Column("review_id", String(128), primary_key=True),
    Column("sku", String(128)),
    Column("customer_id", String(128)),
    Column("order_id", String(128)),
    Column("rating", Integer),
    Column("title", String(500)),
    Column("text", Text, nullable=False),
    Column("language", String(8)),
    Column("verified_purchase", Boolean, nullable=False, default=False),
    Column("helpful_votes", Integer, nullable=False, default=0),
    Column("label", String(32)),  # a label that came with the data (e.g. great/other), if any
    Column("reviewed_at", UTCDateTime()),
    *_timestamps(),
    Index("ix_reviews_sku", "shop_id", "sku"),
)

locations = Table(
    "locations",
    metadata,
    _shop_fk(),
    Column("location_id", String(128), primary_key=True),
    Column("name", String(200)),
    Column("province", String(64)),
    Column("city", String(64)),
    Column("attributes", JSON),
    *_timestamps(),
)

inventory = Table(
    "inventory",
    metadata,
    _shop_fk(),
    Column("sku", String(128), primary_key=True),
    Column("location_id", String(128), primary_key=True, default=""),
    Column("on_hand", Float, nullable=False, default=0),
    Column("lead_time_days", Integer),
    Column("supplier", String(200)),
    Column("min_order_qty", Float),
    *_timestamps(),
)

# Sales aggregated by period (day or week): what retail panels such as Dominick's publish and what
# forecasting consumes. Order-level shops get it by rolling up order items.
sales = Table(
    "sales",
    metadata,
    _shop_fk(),
    Column("sku", String(128), primary_key=True),
    Column("location_id", String(128), primary_key=True, default=""),
    Column("period_start", Date, primary_key=True),
    Column("period", String(1), nullable=False, default="W"),  # D or W
    Column("units", Float, nullable=False),
    Column("revenue", Money()),
    Column("price", Float),
    Column("deal", Boolean, nullable=False, default=False),
    Column("feature", Boolean, nullable=False, default=False),
    Column("attributes", JSON),  # e.g. competitor prices
    *_timestamps(),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("key_id", String(32), primary_key=True),
    Column("shop_id", String(64), ForeignKey("shops.shop_id", ondelete="CASCADE"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("role", String(16), nullable=False),
    Column("secret_hash", String(200), nullable=False),  # argon2id
    Column("created_at", UTCDateTime(), nullable=False),
    Column("revoked_at", UTCDateTime()),
    Index("ix_api_keys_shop", "shop_id"),
)

users = Table(
    "users",
    metadata,
    Column("username", String(64), primary_key=True),
    Column("shop_id", String(64), ForeignKey("shops.shop_id", ondelete="CASCADE"), nullable=False),
    Column("role", String(16), nullable=False),
    Column("password_hash", String(200), nullable=False),  # argon2id
    Column("created_at", UTCDateTime(), nullable=False),
    Column("disabled_at", UTCDateTime()),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("audit_id", Integer, primary_key=True, autoincrement=True),
    Column("ts", UTCDateTime(), nullable=False),
    Column("shop_id", String(64), nullable=False),
    Column("actor", String(128), nullable=False),  # key:<key_id>, user:<name> or cli
    Column("role", String(16)),
    Column("action", String(16), nullable=False),  # read, create, update, delete, import, ...
    Column("resource", String(200), nullable=False),
    Column("detail", JSON),
    Index("ix_audit_shop_time", "shop_id", "ts"),
)

# -- customer service (the assistant) ------------------------------------------------------------
conversations = Table(
    "conversations",
    metadata,
    _shop_fk(),
    Column("conversation_id", String(64), primary_key=True),
    Column("customer_id", String(128)),  # who the shop page says is signed in, if anyone
    Column("channel", String(32)),
    Column("language", String(8)),
    Column("status", String(16), nullable=False, default="bot"),  # bot, waiting (for a person), human
    Column("state", JSON),  # the dialogue's memory: pending question, failures, verified orders
    *_timestamps(),
    Index("ix_conversations_time", "shop_id", "updated_at"),
)

chat_messages = Table(
    "chat_messages",
    metadata,
    _shop_fk(),
    Column("conversation_id", String(64), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("role", String(16), nullable=False),  # customer, assistant, agent
    Column("text", Text, nullable=False),
    Column("intent", String(32)),
    Column("confidence", Float),
    Column("outcome", String(16)),  # answered, asked, fallback, handoff (assistant turns)
    Column("sources", JSON),
    Column("ts", UTCDateTime(), nullable=False),
    Index("ix_chat_messages_time", "shop_id", "ts"),
)

handoff_tickets = Table(
    "handoff_tickets",
    metadata,
    _shop_fk(),
    Column("ticket_id", String(64), primary_key=True),
    Column("conversation_id", String(64), nullable=False),
    Column("reason", String(32), nullable=False),  # asked, complaint, anger, failures, unanswered
    Column("question", Text),
    Column("status", String(16), nullable=False, default="open"),  # open, answered, closed
    Column("agent", String(128)),
    Column("first_response_at", UTCDateTime()),
    Column("closed_at", UTCDateTime()),
    *_timestamps(),
    Index("ix_handoff_status", "shop_id", "status", "created_at"),
)

faq_entries = Table(
    "faq_entries",
    metadata,
    _shop_fk(),
    Column("faq_id", String(64), primary_key=True),
    Column("language", String(8), nullable=False),
    Column("question", Text, nullable=False),
    Column("alternates", JSON),  # other ways customers ask it
    Column("answer", Text, nullable=False),
    Column("intent", String(32)),
    Column("origin", String(16), nullable=False, default="merchant"),  # merchant, learned, demo
    *_timestamps(),
)

#: Tables holding a shop's business data, with their primary-key columns after ``shop_id``.
DATA_TABLES: dict[str, tuple[str, ...]] = {
    "products": ("sku",),
    "customers": ("customer_id",),
    "orders": ("order_id",),
    "order_items": ("order_id", "line_no"),
    "events": ("event_id",),
    "reviews": ("review_id",),
    "locations": ("location_id",),
    "inventory": ("sku", "location_id"),
    "sales": ("sku", "location_id", "period_start"),
}

#: The assistant's tables (conversations and its knowledge), keyed like :data:`DATA_TABLES` but not
#: business data: imports and data counts leave them out.
SERVICE_TABLES: dict[str, tuple[str, ...]] = {
    "conversations": ("conversation_id",),
    "chat_messages": ("conversation_id", "seq"),
    "handoff_tickets": ("ticket_id",),
    "faq_entries": ("faq_id",),
}
KEYED_TABLES: dict[str, tuple[str, ...]] = {**DATA_TABLES, **SERVICE_TABLES}

EVENT_TYPES = (
    "view",
    "click",
    "add_to_cart",
    "remove_from_cart",
    "search",
    "favorite",
    "share",
    "purchase",
    "rate",
)
CHANNELS = ("web", "app", "mini_program", "live_stream", "short_video", "offline")
ORDER_STATUSES = ("created", "paid", "shipped", "delivered", "completed", "cancelled", "returned", "refunded")
PRODUCT_STATUSES = ("active", "inactive", "archived")
ROLES = ("owner", "analyst", "service")
