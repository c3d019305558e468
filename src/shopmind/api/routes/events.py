"""POST /v1/events: batches of behaviour events, validated and idempotent by event id."""

from __future__ import annotations

from functools import partial

from fastapi import APIRouter, Request
from pydantic import ValidationError as PydanticValidationError
from starlette.concurrency import run_in_threadpool

from shopmind.api.deps import App, ShopEngine, Who, requires
from shopmind.errors import InvalidParameterError, ValidationError
from shopmind.schema.models import EventBatch, EventBatchResult

router = APIRouter(prefix="/v1", tags=["events"])


@router.post(
    "/events",
    response_model=EventBatchResult,
    summary="Send a batch of events",
    dependencies=[requires("events:write")],
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/EventBatch"}}},
        }
    },
)
async def post_events(request: Request, sm: App, engine: ShopEngine, who: Who) -> EventBatchResult:
    """Store events; an event whose ``event_id`` is already stored is counted as a duplicate and
    left unchanged, so a client may safely retry a batch. Rate-limited per key (events/s)."""
    body = await request.body()
    try:
        # Parsing and validating straight from bytes in pydantic-core is several times faster than
        # json.loads followed by validation, and this is the hottest route.
        batch = EventBatch.model_validate_json(body)
    except PydanticValidationError as exc:
        errors = [
            {"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]}
            for e in exc.errors(include_url=False)[:100]
        ]
        where = ".".join(str(x) for x in errors[0]["loc"]) if errors else "body"
        raise ValidationError(
            f"Invalid event batch: {where}: {errors[0]['msg'] if errors else 'bad JSON'}. Nothing was stored; fix the listed events and resend the batch.",
            errors=errors,
        ) from None
    n = len(batch.events)
    if n > sm.settings.max_batch_events:
        raise InvalidParameterError(
            f"A batch holds at most {sm.settings.max_batch_events} events; got {n}. Split it."
        )
    sm.rate_limiter.take(who.actor, n)
    rows = batch.model_dump(exclude_none=True)["events"]
    # The audit row goes in the events' own transaction (one commit a batch), so the audit
    # middleware skips this request.
    audit = (who, request.url.path, {"status": 200, "received": n})
    inserted = await run_in_threadpool(partial(engine.add_events, rows, audit=audit))
    request.state.audited = True
    return EventBatchResult(received=n, inserted=inserted, duplicates=n - inserted)
