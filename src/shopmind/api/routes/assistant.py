"""Customer service: chat, the hand-off queue, the FAQ and what the assistant learned."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from shopmind.api.deps import ShopEngine, Who, requires
from shopmind.errors import NotFoundError

router = APIRouter(tags=["assistant"])


class ChatIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    message: str = Field(..., min_length=1, max_length=2000, description="What the customer wrote.")
    conversation_id: str | None = Field(
        None, min_length=8, max_length=64, description="Continue this conversation; leave out to start one."
    )
    customer_id: str | None = Field(
        None,
        max_length=128,
        description="The signed-in customer, as the shop page knows them. Orders are shown only to their "
        "customer, who must also give the order number or the phone's last four digits.",
    )
    customer_token: str | None = Field(
        None,
        max_length=128,
        description="HMAC-SHA256 of customer_id under the shop's token key (GET /v1/assistant/token-key), "
        "computed by the shop's server: proves the customer id (required with the setting "
        "require_customer_token).",
    )
    language: str | None = Field(None, description="zh or en; detected from the message when left out.")
    channel: str | None = Field(None, max_length=32, description="web, app, mini_program, widget…")


@router.post("/v1/chat", summary="Send a customer message", dependencies=[requires("serve:read")])
async def chat(engine: ShopEngine, body: ChatIn) -> dict[str, Any]:
    """The assistant's reply, with its intent, confidence, cited `sources` and whether it handed the
    conversation to a person (`handoff`, `ticket_id`). Keep `conversation_id` for the next message."""
    return await run_in_threadpool(
        engine.desk.chat,
        body.message,
        body.conversation_id,
        body.customer_id,
        body.language,
        body.channel,
        body.customer_token,
    )


@router.get(
    "/v1/chat/{conversation_id}", summary="Messages of a conversation", dependencies=[requires("serve:read")]
)
def chat_messages(
    engine: ShopEngine,
    conversation_id: str,
    customer_id: str | None = Query(
        None, max_length=128, description="The same customer as in POST /v1/chat."
    ),
    after: int = Query(0, ge=0, description="Only messages after this sequence number (poll for replies)."),
) -> dict[str, Any]:
    """Poll this for a person's replies after a hand-off (`role` = `agent`)."""
    return engine.desk.messages(conversation_id, customer_id, after)


@router.get("/v1/assistant/handoffs", summary="Hand-off queue", dependencies=[requires("data:read")])
def handoffs(
    engine: ShopEngine,
    status: str | None = Query("open", description="open, answered or closed; empty for all."),
    limit: int = Query(50, ge=1, le=500),
) -> dict[str, Any]:
    """Tickets with the conversation's transcript and how long the customer has waited (`wait_s`)."""
    return {"tickets": engine.desk.tickets(status or None, limit)}


class ReplyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(..., min_length=1, max_length=4000, description="The answer for the customer.")
    close: bool = Field(False, description="Close the ticket and give the chat back to the assistant.")


@router.post(
    "/v1/assistant/handoffs/{ticket_id}/reply",
    summary="Answer a handed-off customer",
    dependencies=[requires("data:write")],
)
def reply(engine: ShopEngine, who: Who, ticket_id: str, body: ReplyIn) -> dict[str, Any]:
    """The reply appears in the customer's chat; the first reply stops the response clock."""
    return {"ok": True, "ticket": engine.desk.reply_ticket(ticket_id, body.text, who.actor, body.close)}


@router.get("/v1/assistant/faq", summary="The shop's FAQ", dependencies=[requires("data:read")])
def faq(engine: ShopEngine) -> dict[str, Any]:
    return {"entries": engine.desk.faq()}


class FaqIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: str = Field(..., min_length=1, max_length=1000)
    answer: str = Field(..., min_length=1, max_length=4000)
    alternates: list[str] = Field(default_factory=list, max_length=50, description="Other ways to ask it.")
    language: str | None = Field(None, description="zh or en; detected from the question when left out.")
    intent: str | None = Field(None, description="The intent it answers (also trains the intent model).")
    faq_id: str | None = Field(None, min_length=1, max_length=64, description="Replace this entry.")


@router.post(
    "/v1/assistant/faq", summary="Add or replace an FAQ entry", dependencies=[requires("data:write")]
)
def add_faq(engine: ShopEngine, body: FaqIn) -> dict[str, Any]:
    """Answered from the next message on."""
    entry = engine.desk.add_faq(
        body.question, body.answer, body.language, body.alternates, body.intent, faq_id=body.faq_id
    )
    return {"ok": True, "entry": entry}


@router.delete(
    "/v1/assistant/faq/{faq_id}", summary="Delete an FAQ entry", dependencies=[requires("data:write")]
)
def delete_faq(engine: ShopEngine, faq_id: str) -> dict[str, Any]:
    engine.desk.delete_faq(faq_id)
    return {"ok": True}


@router.get(
    "/v1/assistant/clusters", summary="Unanswered questions, grouped", dependencies=[requires("data:read")]
)
def clusters(engine: ShopEngine, days: int = Query(90, ge=1, le=3650)) -> dict[str, Any]:
    """Questions the assistant could not answer, grouped by meaning, each with a suggested FAQ entry
    (approve it with POST /v1/assistant/clusters/approve)."""
    return {"clusters": engine.desk.clusters(days)}


class ApproveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: str = Field(..., min_length=1, max_length=1000)
    answer: str = Field(..., min_length=1, max_length=4000)
    alternates: list[str] = Field(default_factory=list, max_length=50)
    language: str | None = None
    intent: str | None = None


@router.post(
    "/v1/assistant/clusters/approve", summary="Approve a suggested FAQ", dependencies=[requires("data:write")]
)
def approve(engine: ShopEngine, body: ApproveIn) -> dict[str, Any]:
    entry = engine.desk.approve(body.question, body.answer, body.alternates, body.language, body.intent)
    return {"ok": True, "entry": entry}


@router.get("/v1/assistant/metrics", summary="Service numbers", dependencies=[requires("data:read")])
def metrics(engine: ShopEngine, days: int = Query(30, ge=1, le=3650)) -> dict[str, Any]:
    """Answered and hand-off rates, tickets by reason, time to first human response."""
    return engine.desk.metrics(days)


class AssistantSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    return_days: int | None = Field(None, ge=0, le=365)
    fresh_return_hours: int | None = Field(None, ge=0, le=720)
    fresh_categories: list[str] | None = None
    fresh_shelf_life_days: int | None = Field(None, ge=0, le=3650)
    kb_threshold: float | None = Field(None, gt=0, le=1)
    handoff_failures: int | None = Field(None, ge=1, le=20)
    order_pattern: str | None = Field(None, max_length=200)
    dialect: dict[str, str] | None = Field(None, description='Extra words: {"几多钱": "多少钱"}.')
    require_customer_token: bool | None = Field(
        None, description="A customer id counts for order lookups only with its customer_token."
    )


@router.get(
    "/v1/assistant/token-key", summary="Key for customer tokens", dependencies=[requires("data:write")]
)
def token_key(engine: ShopEngine) -> dict[str, Any]:
    """The shop's key for customer tokens: the shop's web server computes
    `hex(HMAC-SHA256(key, customer_id))` for the signed-in customer and puts it in the widget tag
    (`data-customer-token`). Keep the key on the server."""
    return {"key": engine.desk.token_key(), "algorithm": "HMAC-SHA256(key, customer_id), hex"}


@router.get("/v1/assistant/settings", summary="Assistant settings", dependencies=[requires("data:read")])
def get_settings(engine: ShopEngine) -> dict[str, Any]:
    return engine.desk.settings


@router.put(
    "/v1/assistant/settings", summary="Set return policy and words", dependencies=[requires("data:write")]
)
def put_settings(engine: ShopEngine, body: AssistantSettings) -> dict[str, Any]:
    """Applies from the next message (a dialect change retrains the intent model, about a second)."""
    return {"ok": True, "settings": engine.desk.save_settings(body.model_dump(exclude_none=True))}


_WIDGET = Path(__file__).resolve().parents[2] / "assistant" / "widget" / "widget.js"


@router.get("/widget.js", include_in_schema=False)
def widget() -> FileResponse:
    """The embeddable chat widget: one script tag on a shop page (docs/assistant.md)."""
    if not _WIDGET.exists():
        raise NotFoundError("The chat widget is not installed (assistant/widget/widget.js is missing).")
    return FileResponse(
        _WIDGET, media_type="text/javascript", headers={"Cache-Control": "public, max-age=3600"}
    )
