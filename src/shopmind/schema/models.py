"""Validated input and public output shapes, shared by the API and the importers.

``XCreate`` validates one incoming record (API body or import row); the importers and the API
use the very same models, so a row that the API would refuse is refused by an import too.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from shopmind.schema.tables import CHANNELS, EVENT_TYPES, ORDER_STATUSES, PRODUCT_STATUSES

Id = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[^\s/?#]+$")]
OptId = Annotated[str | None, Field(default=None, min_length=1, max_length=128)]


def _money(v: float) -> float:
    if v != v or v in (float("inf"), float("-inf")):  # NaN or infinite
        raise ValueError("must be a finite number")
    return round(v, 2)


Money = Annotated[float, Field(ge=0), AfterValidator(_money)]
EventType = Literal[EVENT_TYPES]  # type: ignore[valid-type]
Channel = Literal[CHANNELS]  # type: ignore[valid-type]
OrderStatus = Literal[ORDER_STATUSES]  # type: ignore[valid-type]
ProductStatus = Literal[PRODUCT_STATUSES]  # type: ignore[valid-type]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    def row(self) -> dict[str, Any]:
        """The record as store columns. A record replaces what is stored (fields not given take
        their defaults), as PUT does; PATCH is the way to change some fields only."""
        return self.model_dump()


class ProductCreate(_In):
    sku: Id
    title: str = Field(min_length=1, max_length=500)
    title_en: str | None = Field(default=None, max_length=500)
    description: str | None = None
    description_en: str | None = None
    category: str | None = Field(
        default=None, max_length=500, description="Path, '/'-separated: 生鲜/水果/柑橘"
    )
    brand: str | None = Field(default=None, max_length=200)
    price: Money | None = None
    cost: Money | None = None
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    attributes: dict[str, Any] | None = None
    origin_province: str | None = Field(default=None, max_length=64)
    origin_city: str | None = Field(default=None, max_length=64)
    harvest_months: list[Annotated[int, Field(ge=1, le=12)]] | None = None
    shelf_life_days: int | None = Field(default=None, ge=0)
    certifications: list[str] | None = None
    production_date: dt.date | None = None
    image_path: str | None = Field(default=None, max_length=1000)
    status: ProductStatus = "active"


class CustomerCreate(_In):
    customer_id: Id
    province: str | None = Field(default=None, max_length=64)
    city: str | None = Field(default=None, max_length=64)
    signup_date: dt.date | None = None
    gender: Literal["female", "male", "other"] | None = None
    age_band: Literal["<18", "18-24", "25-34", "35-44", "45-54", "55+"] | None = None
    consent_marketing: bool = False
    consent_analytics: bool = True
    email: str | None = Field(default=None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    phone: str | None = Field(default=None, max_length=32, pattern=r"^\+?[0-9 ()-]{5,}$")
    attributes: dict[str, Any] | None = None


class OrderItemCreate(_In):
    line_no: int | None = Field(default=None, ge=1)
    sku: Id
    quantity: int = Field(ge=1)
    unit_price: Money
    discount_amount: Money = 0.0


class OrderCreate(_In):
    order_id: Id
    customer_id: OptId = None
    status: OrderStatus = "created"
    ordered_at: AwareDatetime
    paid_at: AwareDatetime | None = None
    shipped_at: AwareDatetime | None = None
    delivered_at: AwareDatetime | None = None
    total_amount: Money
    discount_amount: Money = 0.0
    shipping_fee: Money = 0.0
    quantity: int | None = Field(default=None, ge=0)
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    coupon_code: str | None = Field(default=None, max_length=64)
    payment_method: str | None = Field(default=None, max_length=32)
    channel: Channel | None = None
    shipping_province: str | None = Field(default=None, max_length=64)
    shipping_city: str | None = Field(default=None, max_length=64)
    device_fingerprint: str | None = Field(default=None, max_length=128)
    ip_fingerprint: str | None = Field(default=None, max_length=128)
    carrier: str | None = Field(default=None, max_length=64)
    tracking_number: str | None = Field(default=None, max_length=64)
    items: list[OrderItemCreate] | None = None

    @model_validator(mode="after")
    def _times_in_order(self) -> OrderCreate:
        last = self.ordered_at
        for name in ("paid_at", "shipped_at", "delivered_at"):
            value = getattr(self, name)
            if value is not None:
                if value < last:
                    raise ValueError(
                        f"{name} ({value.isoformat()}) is before the previous step ({last.isoformat()})"
                    )
                last = value
        return self

    def row(self) -> dict[str, Any]:
        return self.model_dump(exclude={"items"})

    def item_rows(self) -> list[dict[str, Any]]:
        rows = []
        for i, item in enumerate(self.items or [], start=1):
            r = item.model_dump()
            r["order_id"] = self.order_id
            r["line_no"] = item.line_no or i
            rows.append(r)
        return rows


class EventCreate(_In):
    event_id: Id
    event_type: EventType
    customer_id: OptId = None
    session_id: str | None = Field(default=None, max_length=128)
    sku: OptId = None
    query: str | None = Field(default=None, max_length=500)
    value: float | None = None
    ts: AwareDatetime
    channel: Channel | None = None
    properties: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _needs(self) -> EventCreate:
        if self.event_type == "search" and not self.query:
            raise ValueError("a search event needs its query text in 'query'")
        if (
            self.event_type
            in ("view", "click", "add_to_cart", "remove_from_cart", "favorite", "purchase", "rate")
            and not self.sku
        ):
            raise ValueError(f"a {self.event_type} event needs the product's 'sku'")
        if self.customer_id is None and self.session_id is None:
            raise ValueError("an event needs a customer_id or a session_id")
        return self


class ReviewCreate(_In):
    review_id: Id
    sku: OptId = None
    customer_id: OptId = None
    order_id: OptId = None
    rating: int | None = Field(default=None, ge=1, le=5)
    title: str | None = Field(default=None, max_length=500)
    text: str = Field(min_length=1)
    language: str | None = Field(default=None, max_length=8)
    verified_purchase: bool = False
    helpful_votes: int = Field(default=0, ge=0)
    label: str | None = Field(default=None, max_length=32)
    reviewed_at: AwareDatetime | None = None


class InventoryCreate(_In):
    sku: Id
    location_id: str = Field(default="", max_length=128)
    on_hand: float = Field(ge=0)
    lead_time_days: int | None = Field(default=None, ge=0)
    supplier: str | None = Field(default=None, max_length=200)
    min_order_qty: float | None = Field(default=None, ge=0)


class LocationCreate(_In):
    location_id: Id
    name: str | None = None
    province: str | None = None
    city: str | None = None
    attributes: dict[str, Any] | None = None


class SalesCreate(_In):
    sku: Id
    location_id: str = Field(default="", max_length=128)
    period_start: dt.date
    period: Literal["D", "W"] = "W"
    units: float = Field(ge=0)
    revenue: Money | None = None
    price: float | None = Field(default=None, ge=0)
    deal: bool = False
    feature: bool = False
    attributes: dict[str, Any] | None = None


#: Input model of each table (order items arrive inside orders, or as their own import).
CREATE_MODELS: dict[str, type[_In]] = {
    "products": ProductCreate,
    "customers": CustomerCreate,
    "orders": OrderCreate,
    "order_items": OrderItemCreate,
    "events": EventCreate,
    "reviews": ReviewCreate,
    "inventory": InventoryCreate,
    "locations": LocationCreate,
    "sales": SalesCreate,
}


class OrderItemRow(OrderItemCreate):
    """An order line imported on its own (a flat order-lines file)."""

    order_id: Id
    line_no: int = Field(ge=1)


CREATE_MODELS["order_items"] = OrderItemRow


class EventBatch(BaseModel):
    events: list[EventCreate] = Field(min_length=1)


class EventBatchResult(BaseModel):
    ok: bool = True
    received: int
    inserted: int
    duplicates: int


class UpsertSummary(BaseModel):
    ok: bool = True
    inserted: int
    updated: int
    unchanged: int


class ErrorItem(BaseModel):
    loc: list[str | int] = Field(default_factory=list)
    msg: str
    type: str | None = None
    input: Any = None


class ErrorResponse(BaseModel):
    """The one error shape of every API route."""

    ok: Literal[False] = False
    error: str
    errors: list[ErrorItem] = Field(default_factory=list)
    status: int


class ProductUpdate(_In):
    """Partial product update: only the fields given change."""

    title: str | None = Field(default=None, min_length=1, max_length=500)
    title_en: str | None = None
    description: str | None = None
    description_en: str | None = None
    category: str | None = None
    brand: str | None = None
    price: Money | None = None
    cost: Money | None = None
    attributes: dict[str, Any] | None = None
    harvest_months: list[Annotated[int, Field(ge=1, le=12)]] | None = None
    shelf_life_days: int | None = Field(default=None, ge=0)
    certifications: list[str] | None = None
    status: ProductStatus | None = None

    @field_validator("title")
    @classmethod
    def _title_not_null(cls, v: str | None) -> str | None:
        if v is None:
            raise ValueError("title cannot be removed")
        return v
