"""The return policy, computed for one order.

Defaults follow China's consumer-protection rule for online sales: seven days' return without
reason after delivery, except perishable goods (fresh produce), which are refunded or re-sent only
for a quality problem reported within a short window with a photo. The merchant sets the numbers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

__all__ = ["ReturnDecision", "ReturnPolicy"]


@dataclass(frozen=True)
class ReturnDecision:
    """What the customer may do with an order."""

    kind: str  # no_reason, quality_only, not_delivered, no_delivery_time, expired, closed, cancel(_unpaid)
    deadline: dt.datetime | None  # until when (UTC)
    fresh_items: tuple[str, ...]  # titles of perishable items in the order
    days: int
    hours: int


@dataclass(frozen=True)
class ReturnPolicy:
    """Return rules of a shop.

    Parameters
    ----------
    return_days : int
        Days after delivery for a return without reason.
    fresh_return_hours : int
        Hours after delivery to report a quality problem with perishable goods.
    fresh_categories : sequence of str
        Top-level categories that count as perishable.
    fresh_shelf_life_days : int
        Products keeping at most this many days count as perishable too.
    """

    return_days: int = 7
    fresh_return_hours: int = 48
    fresh_categories: tuple[str, ...] = field(default=("生鲜",))
    fresh_shelf_life_days: int = 15

    def is_fresh(self, product: Mapping[str, Any]) -> bool:
        top = str(product.get("category") or "").split("/")[0]
        life = product.get("shelf_life_days")
        return top in self.fresh_categories or (life is not None and 0 < life <= self.fresh_shelf_life_days)

    def decide(
        self,
        order: Mapping[str, Any],
        products: Sequence[Mapping[str, Any]],
        now: dt.datetime,
        timezone: str = "Asia/Shanghai",
    ) -> ReturnDecision:
        """What *order* (a row of ``orders``) with its *products* (rows of ``products``) allows at *now*.

        The no-reason period counts whole days in the shop's *timezone* from the day after delivery
        (as China's rule does): delivered on the 1st with 7 days, returns are open until the end of
        the 8th.
        """
        fresh = tuple(str(p.get("title") or p.get("sku")) for p in products if self.is_fresh(p))
        status = order.get("status")

        def decision(kind: str, deadline: dt.datetime | None = None) -> ReturnDecision:
            return ReturnDecision(kind, deadline, fresh, self.return_days, self.fresh_return_hours)

        if status in ("returned", "refunded", "cancelled"):
            return decision("closed")
        if status == "created":
            return decision("cancel_unpaid")
        if status == "paid":
            return decision("cancel")  # not shipped: cancel instead of return
        delivered = order.get("delivered_at")
        if delivered is None:
            # delivered or completed without a delivery time: nothing to count from
            return decision("no_delivery_time" if status in ("delivered", "completed") else "not_delivered")
        if fresh:
            deadline = delivered + dt.timedelta(hours=self.fresh_return_hours)
            return decision("quality_only" if now <= deadline else "expired", deadline)
        local = delivered.astimezone(ZoneInfo(timezone)).date() + dt.timedelta(days=self.return_days + 1)
        deadline = dt.datetime.combine(local, dt.time(), ZoneInfo(timezone)) - dt.timedelta(seconds=1)
        return decision("no_reason" if now <= deadline else "expired", deadline)
