"""Create, update and read the shop's records: products, customers, orders, reviews, inventory,
locations. One factory makes the same routes for each resource, so they behave alike."""

# No `from __future__ import annotations`: FastAPI reads the body models from real annotations,
# which are variables here (one set of routes per resource); mypy's valid-type check is off for
# this module in pyproject.toml for that reason.
from typing import Any

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field, create_model

from shopmind.api.deps import ShopEngine, Who, requires
from shopmind.engine import Principal
from shopmind.errors import ConflictError, InvalidParameterError
from shopmind.schema import models as m

router = APIRouter(prefix="/v1", tags=["data"])

#: resource -> (create model, key column in the path, extra key columns as query parameters)
RESOURCES: dict[str, tuple[type[BaseModel], str, tuple[str, ...]]] = {
    "products": (m.ProductCreate, "sku", ()),
    "customers": (m.CustomerCreate, "customer_id", ()),
    "orders": (m.OrderCreate, "order_id", ()),
    "reviews": (m.ReviewCreate, "review_id", ()),
    "inventory": (m.InventoryCreate, "sku", ("location_id",)),
    "locations": (m.LocationCreate, "location_id", ()),
}
_OWNER_VIEW = Principal("", "owner", "internal")


class Page(BaseModel):
    items: list[dict[str, Any]]
    total: int
    limit: int
    offset: int


def _key(path_col: str, path_value: str, extra: tuple[str, ...], location_id: str) -> dict[str, Any]:
    key = {path_col: path_value}
    if "location_id" in extra:
        key["location_id"] = location_id
    return key


def _with_items(engine: Any, row: dict[str, Any]) -> dict[str, Any]:
    row["items"] = engine.data.rows("order_items", where={"order_id": row["order_id"]}, limit=1000)
    return row


def _add_routes(name: str, model: type[BaseModel], key_col: str, extra: tuple[str, ...]) -> None:
    batch_model = create_model(
        f"{model.__name__}Batch", items=(list[model], Field(min_length=1, max_length=10_000))
    )

    @router.get(f"/{name}", response_model=Page, summary=f"List {name}", dependencies=[requires("data:read")])
    def list_rows(
        engine: ShopEngine,
        who: Who,
        limit: int = Query(100, ge=1, le=1000),
        offset: int = Query(0, ge=0),
    ) -> Page:
        items = engine.rows(name, who, limit=limit, offset=offset)
        return Page(items=items, total=engine.data.count(name), limit=limit, offset=offset)

    @router.get(
        f"/{name}/{{item_id}}",
        summary=f"Read one of {name}",
        dependencies=[requires("serve:read" if name == "products" else "data:read")],
    )
    def get_row(engine: ShopEngine, who: Who, item_id: str, location_id: str = "") -> dict[str, Any]:
        row = engine.get(name, _key(key_col, item_id, extra, location_id), who)
        return _with_items(engine, row) if name == "orders" else row

    @router.post(
        f"/{name}", status_code=201, summary=f"Create one of {name}", dependencies=[requires("data:write")]
    )
    def create_row(engine: ShopEngine, who: Who, item: model) -> dict[str, Any]:
        key = {c: getattr(item, c) for c in (key_col, *extra)}
        if engine.data.get(name, key) is not None:
            raise ConflictError(
                f"{name} {key[key_col]!r} already exists. Use PUT or PATCH /v1/{name}/{key[key_col]} to change it."
            )
        engine.upsert(name, [item])
        row = engine.get(name, key, who)
        return _with_items(engine, row) if name == "orders" else row

    @router.post(
        f"/{name}/batch",
        response_model=m.UpsertSummary,
        summary=f"Create or update many {name}",
        dependencies=[requires("data:write")],
    )
    def upsert_batch(engine: ShopEngine, who: Who, batch: batch_model) -> m.UpsertSummary:
        res = engine.upsert(name, batch.items)  # type: ignore[attr-defined]
        return m.UpsertSummary(inserted=res.inserted, updated=res.updated, unchanged=res.unchanged)

    @router.put(
        f"/{name}/{{item_id}}",
        summary=f"Create or replace one of {name}",
        dependencies=[requires("data:write")],
    )
    def put_row(
        engine: ShopEngine, who: Who, item_id: str, item: model, response: Response
    ) -> dict[str, Any]:
        if getattr(item, key_col) != item_id:
            raise InvalidParameterError(
                f"The body's {key_col} ({getattr(item, key_col)!r}) differs from the URL's ({item_id!r}). Make them equal."
            )
        res = engine.upsert(name, [item])
        response.status_code = 201 if res.inserted else 200
        key = {c: getattr(item, c) for c in (key_col, *extra)}
        return engine.get(name, key, who)

    @router.patch(
        f"/{name}/{{item_id}}",
        summary=f"Change some fields of one of {name}",
        dependencies=[requires("data:write")],
    )
    def patch_row(
        engine: ShopEngine, who: Who, item_id: str, changes: dict[str, Any], location_id: str = ""
    ) -> dict[str, Any]:
        key = _key(key_col, item_id, extra, location_id)
        for col in (key_col, *extra):
            if col in changes and changes[col] != key[col]:
                raise InvalidParameterError(f"{col} cannot be changed by PATCH. Create a new record instead.")
        current = engine.get(name, key, _OWNER_VIEW)
        fields = set(model.model_fields)
        unknown = sorted(set(changes) - fields)
        if unknown:
            raise InvalidParameterError(
                f"Unknown field(s) for {name}: {', '.join(unknown)}. Allowed: {', '.join(sorted(fields))}."
            )
        merged = {k: v for k, v in current.items() if k in fields and v is not None} | changes
        engine.upsert(name, [model.model_validate(merged)])
        return engine.get(name, key, who)


for _name, (_model, _key_col, _extra) in RESOURCES.items():
    _add_routes(_name, _model, _key_col, _extra)
