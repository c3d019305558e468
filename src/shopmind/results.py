"""Small typed results shared by every model."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scored:
    """An id of the shop's (product, customer…) with a score and a machine-readable reason."""

    id: str
    score: float
    reason: str | None = None
