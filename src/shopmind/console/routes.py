"""Console pages. Thin: each page asks the Engine and renders a template."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
from functools import cache
from html import escape
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, FastAPI, Form, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, ConfigDict, Field
from starlette.types import Scope

from shopmind import __version__
from shopmind.engine import Principal, Shopmind
from shopmind.errors import AuthenticationError, InvalidParameterError, ShopmindError
from shopmind.features.geo import region_name

HERE = Path(__file__).parent
LANGUAGES = ("zh-CN", "en")
#: Navigation: (slug, label key). Later capabilities fill in their pages.
NAV = [
    ("overview", "nav_overview"),
    ("recommendations", "nav_recommendations"),
    ("customers", "nav_customers"),
    ("forecasts", "nav_forecasts"),
    ("search", "nav_search"),
    ("assistant", "nav_assistant"),
    ("risk", "nav_risk"),
    ("content", "nav_content"),
    ("data", "nav_data"),
]
READY = {"overview", "recommendations", "customers", "forecasts", "search", "assistant", "data"}

templates = Jinja2Templates(directory=str(HERE / "templates"))
router = APIRouter(prefix="/console", include_in_schema=False)


@cache
def messages(lang: str) -> dict[str, str]:
    data: dict[str, str] = json.loads((HERE / "i18n" / f"{lang}.json").read_text(encoding="utf-8"))
    return data


class CachedStatic(StaticFiles):
    """Static files with long-lived caching: URLs carry the version, so a new release busts it."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code == 200:
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response


def _lang(request: Request) -> str:
    lang = request.session.get("lang")
    if lang in LANGUAGES:
        return str(lang)
    sm: Shopmind = request.app.state.shopmind
    default = sm.settings.default_language
    return default if default in LANGUAGES else "zh-CN"


def _who(request: Request) -> Principal | None:
    if not request.session.get("actor"):
        return None
    sm: Shopmind = request.app.state.shopmind
    return sm.session_principal(request.session)


def _render(request: Request, template: str, **ctx: Any) -> HTMLResponse:
    lang = _lang(request)
    return templates.TemplateResponse(
        request,
        template,
        {
            "t": messages(lang),
            "lang": lang,
            "languages": LANGUAGES,
            "nav": NAV,
            "ready": READY,
            "version": __version__,
            **ctx,
        },
    )


@router.get("/login")
def login_page(request: Request, error: str | None = None) -> HTMLResponse:
    return _render(request, "login.html", who=None, error=error, page="login")


@router.post("/login")
def login(
    request: Request,
    api_key: str = Form(""),
    username: str = Form(""),
    password: str = Form(""),
) -> Response:
    sm: Shopmind = request.app.state.shopmind
    try:
        if api_key:
            who = sm.authenticate_key(api_key)
        elif username:
            who = sm.authenticate_user(username, password)
        else:
            raise AuthenticationError("Give an API key, or a user name and password.")
    except ShopmindError as exc:
        return _render(request, "login.html", who=None, error=exc.message, page="login")
    request.session.update({"shop_id": who.shop_id, "role": who.role, "actor": who.actor})
    sm.audit(who, "login", "console", None)
    return RedirectResponse("/console/", status_code=303)


@router.post("/logout")
def logout(request: Request) -> Response:
    lang = request.session.get("lang")
    request.session.clear()
    if lang:
        request.session["lang"] = lang
    return RedirectResponse("/console/login", status_code=303)


@router.get("/lang/{lang}")
def set_language(request: Request, lang: str, next: str = "/console/") -> Response:
    if lang in LANGUAGES:
        request.session["lang"] = lang
    # only a path of this console (with its query): never an absolute URL elsewhere
    target = next if next.startswith("/console") and not next.startswith("//") else "/console/"
    return RedirectResponse(target, status_code=303)


@router.get("/")
def overview(request: Request) -> Response:
    who = _who(request)
    if who is None:
        return RedirectResponse("/console/login", status_code=303)
    sm: Shopmind = request.app.state.shopmind
    engine = sm.engine(who.shop_id)
    data = engine.overview()
    lang = _lang(request)
    regions = [{**r, "region": region_name(r["region"], lang)} for r in data["regions"]]
    data = {**data, "regions": regions}
    sm.audit(who, "read", "console/overview", None)
    return _render(
        request, "overview.html", who=who, page="overview", data=data, shop=sm.store.get_shop(who.shop_id)
    )


@router.get("/data")
def data_page(request: Request) -> Response:
    who = _who(request)
    if who is None:
        return RedirectResponse("/console/login", status_code=303)
    sm: Shopmind = request.app.state.shopmind
    engine = sm.engine(who.shop_id)
    audit = sm.audit_entries(who.shop_id, 20) if "audit:read" in who.can else []
    sm.audit(who, "read", "console/data", None)
    return _render(request, "data.html", who=who, page="data", status=engine.status(), audit=audit)


@router.get("/recommendations")
def recommendations_page(request: Request, customer_id: str = "") -> Response:
    who = _who(request)
    if who is None:
        return RedirectResponse("/console/login", status_code=303)
    sm: Shopmind = request.app.state.shopmind
    engine = sm.engine(who.shop_id)
    model = next((m for m in engine.models() if m["kind"] == "recommender"), None)
    items, error, customer = [], None, None
    if customer_id:
        try:
            customer = engine.data.get("customers", {"customer_id": customer_id})
            items = [r.as_dict() for r in engine.recommend(customer_id, 10)]
        except ShopmindError as exc:
            error = exc.message
    evaluation = engine.report("recommend-evaluation")
    sm.audit(who, "read", "console/recommendations", {"customer_id": customer_id} if customer_id else None)
    return _render(
        request,
        "recommendations.html",
        who=who,
        page="recommendations",
        customer_id=customer_id,
        customer=customer,
        items=items,
        error=error,
        model=model,
        evaluation=evaluation,
    )


def _engine_for(request: Request) -> tuple[Shopmind, Principal, Any] | None:
    who = _who(request)
    if who is None:
        return None
    sm: Shopmind = request.app.state.shopmind
    return sm, who, sm.engine(who.shop_id)


@router.get("/customers")
def customers_page(request: Request, customer_id: str = "") -> Response:
    found = _engine_for(request)
    if found is None:
        return RedirectResponse("/console/login", status_code=303)
    sm, who, engine = found
    from shopmind.customers.segments import SEGMENTS, segment_name
    from shopmind.customers.tags import DEFAULT_TAG_RULES

    lang = _lang(request)
    overview, error = None, None
    try:
        overview = engine.segments()
    except ShopmindError as exc:
        error = exc.message
    insight, recommendations, insight_error = None, [], None
    if customer_id:
        try:
            insight = engine.customer_insight(customer_id)
        except ShopmindError as exc:
            insight_error = exc.message
        if insight is not None:
            with contextlib.suppress(ShopmindError):  # recommendations are a bonus here
                recommendations = [r.as_dict() for r in engine.recommend(customer_id, 5)]
    names = {s: segment_name(s, lang) for s in (*SEGMENTS, "other")}
    names["(none)"] = messages(lang)["first_order"]
    sm.audit(who, "read", "console/customers", {"customer_id": customer_id} if customer_id else None)
    return _render(
        request,
        "customers.html",
        who=who,
        page="customers",
        overview=overview,
        error=error,
        names=names,
        segments=SEGMENTS,
        tag_rules=DEFAULT_TAG_RULES,
        customer_id=customer_id,
        insight=insight,
        insight_error=insight_error,
        recommendations=recommendations,
        can_refresh="models:train" in who.can,
        can_export="audiences:export" in who.can,
    )


@router.post("/customers/refresh")
def customers_refresh(request: Request) -> Response:
    found = _engine_for(request)
    if found is None:
        return RedirectResponse("/console/login", status_code=303)
    sm, who, engine = found
    who.require("models:train")
    info = engine.refresh_customers()
    sm.audit(who, "refresh", "console/customers", {"changed_customers": info["changed_customers"]})
    return RedirectResponse("/console/customers", status_code=303)


def _audience_from_form(form: Any) -> Any:
    from shopmind.customers.audience import AudienceFilter

    def number(name: str) -> float | None:
        raw = str(form.get(name) or "").strip()
        return float(raw) if raw else None

    def words(name: str) -> list[str]:
        return [w for w in (str(form.get(name) or "").replace("，", ",").split(",")) if w.strip()]

    return AudienceFilter(
        segments=[str(v) for v in form.getlist("segments")],
        tags=[str(v) for v in form.getlist("tags")],
        provinces=[w.strip() for w in words("provinces")],
        categories=[w.strip() for w in words("categories")],
        min_value=number("min_value"),
        min_churn_risk=number("min_churn_risk"),
        not_bought_within_days=number("not_bought_within_days"),
        consent_only=form.get("consent_only") is not None,
    )


@router.post("/customers/audience-count")
async def audience_count(request: Request) -> Response:
    """An HTMX fragment: the live count of the audience the form describes."""
    found = _engine_for(request)
    if found is None:
        return HTMLResponse("", status_code=401)
    _, _, engine = found
    t = messages(_lang(request))
    try:
        audience = _audience_from_form(await request.form())
        count = len(engine.audience(audience))
        text = f'<strong data-testid="audience-count">{count:,}</strong> {t["audience_members"]}'
    except (ShopmindError, ValueError) as exc:
        text = f'<span class="error">{escape(getattr(exc, "message", str(exc)))}</span>'
    return HTMLResponse(text)


@router.post("/customers/audience.csv")
async def audience_csv(request: Request) -> Response:
    found = _engine_for(request)
    if found is None:
        return RedirectResponse("/console/login", status_code=303)
    sm, who, engine = found
    who.require("audiences:export")
    audience = _audience_from_form(await request.form())
    text, rows = engine.audience_export(audience)
    sm.audit(who, "export", "console/audience", {"rows": rows})
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="audience.csv"'},
    )


@router.get("/forecasts")
def forecasts_page(request: Request, sku: str = "") -> Response:
    found = _engine_for(request)
    if found is None:
        return RedirectResponse("/console/login", status_code=303)
    sm, who, engine = found
    try:
        model = engine.model("forecast")
    except ShopmindError as exc:
        return _render(request, "forecasts.html", who=who, page="forecasts", error=exc.message)
    sku = sku or (model.skus_[0] if model.skus_ else "")
    forecast, error = None, None
    if sku:
        try:
            forecast = engine.forecast_for(sku, None, 120)
        except ShopmindError as exc:
            error = exc.message
    plan = engine.replenishment()
    orders = [r for r in plan["plan"] if (r.get("order_qty") or 0) > 0][:40]
    sm.audit(who, "read", "console/forecasts", {"sku": sku} if sku else None)
    return _render(
        request,
        "forecasts.html",
        who=who,
        page="forecasts",
        error=error,
        skus=model.skus_[:200],
        titles=model.titles_,
        sku=sku,
        forecast=forecast,
        plan=plan,
        orders=orders,
    )


#: The playground's example queries: (kind, query), one per way shoppers type.
SEARCH_EXAMPLES = [
    ("chinese", "五常大米"),
    ("pinyin", "mihoutao"),
    ("initials", "fm"),
    ("english", "organic honey"),
    ("typo", "kiwifriut"),
    ("constraints", "蜂蜜 100元以下 最便宜"),
]


def _search_url(q: str, filters: str, customer_id: str, sort: str) -> str:
    """The playground's own URL for a query and its filters (empty parameters left out)."""
    from urllib.parse import urlencode

    params = {"q": q, "filters": filters, "customer_id": customer_id, "sort": sort}
    query = urlencode({k: v for k, v in params.items() if v})
    return "/console/search" + (f"?{query}" if query else "")


def _facet_links(
    facets: dict[str, list[dict[str, Any]]], q: str, filters: str, customer_id: str, sort: str, lang: str
) -> list[dict[str, Any]]:
    """Each facet value as a link that adds its ``key:value`` pair to the filters in use."""

    def number(x: Any) -> str:
        return "" if x is None else f"{float(x):g}"

    t = messages(lang)
    pairs = [p.strip() for p in filters.replace("，", ",").split(",") if p.strip()]
    out = []
    for key in ("category", "price", "region", "certification"):
        values = []
        for f in facets.get(key) or []:
            if key == "price":
                pair = f"price:{number(f.get('min'))}-{number(f.get('max'))}"
                label = str(f["value"])
            else:
                pair = f"{key}:{f['value']}"
                label = str(f["value"])
                if key == "region":
                    label = region_name(label, lang)
                elif key == "certification":
                    label = t.get(f"cert_{f['value']}", label)
            active = pair in pairs
            spec = ",".join([p for p in pairs if p != pair] if active else [*pairs, pair])
            values.append(
                {
                    "label": label,
                    "count": f.get("count", 0),
                    "pair": pair,
                    "active": active,
                    "href": _search_url(q, spec, customer_id, sort),
                }
            )
        if values:
            out.append({"key": key, "label": t[f"facet_{key}"], "values": values})
    return out


@router.get("/search")
def search_page(
    request: Request, q: str = "", filters: str = "", customer_id: str = "", sort: str = ""
) -> Response:
    found = _engine_for(request)
    if found is None:
        return RedirectResponse("/console/login", status_code=303)
    sm, who, engine = found
    from shopmind.search.service import SORTS

    lang = _lang(request)
    q, filters, customer_id = q.strip()[:500], filters.strip()[:1000], customer_id.strip()[:128]
    sort = sort if sort in SORTS else ""
    try:
        engine.search_model()
    except ShopmindError as exc:
        sm.audit(who, "read", "console/search", None)
        return _render(request, "search.html", who=who, page="search", error=exc.message)
    result, search_error = None, None
    if q or filters:
        try:
            # log=False: the merchant trying queries here must not count as shoppers' searches
            result = engine.search(
                q, filters=filters or None, customer_id=customer_id or None, sort=sort or None,
                limit=20, log=False,
            )  # fmt: skip
        except ShopmindError as exc:
            search_error = exc.message
    analytics, analytics_error = None, None
    if "data:read" in who.can:
        try:
            analytics = engine.search_analytics(days=30)
        except ShopmindError as exc:
            analytics_error = exc.message
    has_visual = any(m["kind"] == "visual" and m["version"] for m in engine.models())
    active = [p.strip() for p in filters.replace("，", ",").split(",") if p.strip()]
    detail = {k: v for k, v in {"q": q, "filters": filters, "customer_id": customer_id}.items() if v}
    sm.audit(who, "read", "console/search", detail or None)
    return _render(
        request,
        "search.html",
        who=who,
        page="search",
        error=None,
        q=q,
        filters=filters,
        customer_id=customer_id,
        sort=sort,
        sorts=SORTS,
        result=result,
        search_error=search_error,
        facets=_facet_links(result["facets"], q, filters, customer_id, sort, lang) if result else [],
        active_filters=[
            {"pair": p, "href": _search_url(q, ",".join(x for x in active if x != p), customer_id, sort)}
            for p in active
        ],
        suggestion_href=_search_url(result["suggestion"], filters, customer_id, sort)
        if result and result.get("suggestion")
        else None,
        examples=[{"q": e, "kind": k, "href": _search_url(e, "", "", "")} for k, e in SEARCH_EXAMPLES],
        analytics=analytics,
        analytics_error=analytics_error,
        has_visual=has_visual,
    )


# ---- customer service: the assistant's page ------------------------------------------------------

#: What an HTMX partial extends instead of base.html: the page's own template renders only one part.
_BARE = templates.env.from_string("{% block main %}{% endblock %}")
#: Hand-off reasons and reply outcomes, in the order the page lists them.
ASSISTANT_REASONS = ("unanswered", "failures", "asked", "anger", "complaint", "action")
ASSISTANT_OUTCOMES = ("answered", "asked", "small_talk", "declined", "handoff", "waiting")
FAQ_SHOWN = 200  # the page lists this many FAQ entries (newest first); the API lists them all
CLUSTERS_SHOWN = 30


def _duration(seconds: Any, t: dict[str, str]) -> str:
    """A wait as people say it: seconds, minutes, hours or days."""
    if seconds is None:
        return "—"
    s = max(0.0, float(seconds))
    if s < 60:
        unit, key = 1, "dur_s"
    elif s < 3600:
        unit, key = 60, "dur_min"
    elif s < 2 * 86400:
        unit, key = 3600, "dur_h"
    else:
        unit, key = 86400, "dur_d"
    v = s / unit
    n = f"{v:.0f}" if unit == 1 or v >= 10 else f"{v:.1f}".removesuffix(".0")
    return t[key].replace("{n}", n)


def _aware(ts: dt.datetime) -> dt.datetime:
    return ts if ts.tzinfo is not None else ts.replace(tzinfo=dt.UTC)


def _clock(ts: Any, tz: ZoneInfo) -> str:
    if not isinstance(ts, dt.datetime):
        return "" if ts is None else str(ts)
    return _aware(ts).astimezone(tz).strftime("%m-%d %H:%M")


def _shop_zone(sm: Shopmind, shop_id: str) -> ZoneInfo:
    name = str((sm.store.get_shop(shop_id) or {}).get("timezone") or "Asia/Shanghai")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _dom_id(ticket_id: str) -> str:
    return "ticket-" + re.sub(r"[^A-Za-z0-9_-]", "_", ticket_id)


def _lines(text: str) -> list[str]:
    """Alternate questions as the form gives them: one a line (commas are part of a question)."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()][:50]


def _assistant_render(
    request: Request, sm: Shopmind, who: Principal, part: str | None, **ctx: Any
) -> HTMLResponse:
    """The assistant page, or with *part* only that part of it (an HTMX partial)."""
    from shopmind.assistant.intents import INTENTS

    t = messages(_lang(request))
    tz = _shop_zone(sm, who.shop_id)
    return _render(
        request,
        "assistant.html",
        who=who,
        page="assistant",
        part=part,
        layout=_BARE if part else None,
        can_read="data:read" in who.can,
        can_write="data:write" in who.can,
        can_chat="serve:read" in who.can,
        duration=lambda s: _duration(s, t),
        clock=lambda ts: _clock(ts, tz),
        dom_id=_dom_id,
        reasons=ASSISTANT_REASONS,
        outcomes=ASSISTANT_OUTCOMES,
        intents=INTENTS,
        **ctx,
    )


def _metrics_part(engine: Any) -> dict[str, Any]:
    try:
        return {"metrics": engine.desk.metrics(30), "metrics_error": None}
    except ShopmindError as exc:
        return {"metrics": None, "metrics_error": exc.message}


def _tickets_part(engine: Any, answered: bool) -> dict[str, Any]:
    try:
        tickets = engine.desk.tickets("open", 50)
        if answered:
            tickets += engine.desk.tickets("answered", 30)
        return {"tickets": tickets, "tickets_error": None, "show_answered": answered}
    except ShopmindError as exc:
        return {"tickets": [], "tickets_error": exc.message, "show_answered": answered}


def _clusters_part(engine: Any) -> dict[str, Any]:
    try:
        return {"clusters": engine.desk.clusters(90)[:CLUSTERS_SHOWN], "clusters_error": None}
    except ShopmindError as exc:
        return {"clusters": [], "clusters_error": exc.message}


def _faq_part(engine: Any, error: str | None = None) -> dict[str, Any]:
    try:
        entries = engine.desk.faq()
    except ShopmindError as exc:
        entries, error = [], exc.message
    return {"faq": entries[:FAQ_SHOWN], "faq_total": len(entries), "faq_error": error}


def _ticket_view(engine: Any, row: dict[str, Any]) -> dict[str, Any]:
    """One ticket as the queue shows it (what ``desk.tickets`` gives, for a ticket just changed)."""
    from shopmind.store.core import utcnow

    conv = engine.desk.messages(row["conversation_id"], check_customer=False)
    first = row.get("first_response_at")
    created = row.get("created_at")
    wait = None
    if isinstance(created, dt.datetime):
        end = _aware(first) if isinstance(first, dt.datetime) else utcnow()
        wait = round((end - _aware(created)).total_seconds(), 1)
    out = {k: v for k, v in row.items() if k != "shop_id"}
    return {**out, "customer_id": conv["customer_id"], "transcript": conv["messages"], "wait_s": wait}


def _assistant_caller(request: Request, permission: str) -> tuple[Shopmind, Principal, Any] | Response:
    """The logged-in caller of a page part, or the JSON error the page shows instead."""
    found = _engine_for(request)
    t = messages(_lang(request))
    if found is None:
        return JSONResponse({"ok": False, "error": t["asst_session_expired"]}, status_code=401)
    sm, who, engine = found
    try:
        who.require(permission)
    except ShopmindError as exc:
        return JSONResponse({"ok": False, "error": exc.message}, status_code=exc.status)
    return sm, who, engine


def _form_error(message: str) -> HTMLResponse:
    """A form's error, swapped into its ``.form-error`` box (the form keeps what was typed)."""
    return HTMLResponse(f'<span role="alert">{escape(message)}</span>')


def _swap(response: HTMLResponse, target: str, swap: str, trigger: str | None = None) -> HTMLResponse:
    response.headers["HX-Retarget"] = target
    response.headers["HX-Reswap"] = swap
    if trigger:
        response.headers["HX-Trigger"] = trigger
    return response


@router.get("/assistant")
def assistant_page(request: Request) -> Response:
    found = _engine_for(request)
    if found is None:
        return RedirectResponse("/console/login", status_code=303)
    sm, who, engine = found
    ctx: dict[str, Any] = {}
    if "data:read" in who.can:
        ctx = {
            **_metrics_part(engine),
            **_tickets_part(engine, False),
            **_clusters_part(engine),
            **_faq_part(engine),
        }
    sm.audit(who, "read", "console/assistant", None)
    return _assistant_render(request, sm, who, None, **ctx)


@router.get("/assistant/metrics")
def assistant_metrics(request: Request) -> Response:
    found = _assistant_caller(request, "data:read")
    if isinstance(found, Response):
        return found
    sm, who, engine = found
    return _assistant_render(request, sm, who, "metrics", **_metrics_part(engine))


@router.get("/assistant/tickets")
def assistant_tickets(request: Request, answered: str = "") -> Response:
    found = _assistant_caller(request, "data:read")
    if isinstance(found, Response):
        return found
    sm, who, engine = found
    return _assistant_render(request, sm, who, "tickets", **_tickets_part(engine, bool(answered)))


@router.post("/assistant/tickets/{ticket_id}")
def assistant_ticket_reply(
    request: Request, ticket_id: str, text: str = Form(""), action: str = Form("send")
) -> Response:
    """The agent's reply (``send``, ``send_close``) or ``close``: the ticket, re-rendered in place."""
    found = _assistant_caller(request, "data:read")
    if isinstance(found, Response):
        return found
    sm, who, engine = found
    try:
        who.require("data:write")
        if action == "close":
            row = engine.desk.close_ticket(ticket_id, who.actor)
        else:
            if len(text) > 4000:
                raise InvalidParameterError(f"The reply is {len(text)} characters long; send at most 4000.")
            row = engine.desk.reply_ticket(ticket_id, text, who.actor, close=action == "send_close")
    except ShopmindError as exc:
        return _form_error(exc.message)
    sm.audit(
        who, "close" if action == "close" else "reply", "console/assistant/tickets", {"ticket_id": ticket_id}
    )
    response = _assistant_render(request, sm, who, "ticket", ticket=_ticket_view(engine, row))
    return _swap(response, "#" + _dom_id(ticket_id), "outerHTML", "sm-metrics, sm-clusters")


@router.get("/assistant/clusters")
def assistant_clusters(request: Request) -> Response:
    found = _assistant_caller(request, "data:read")
    if isinstance(found, Response):
        return found
    sm, who, engine = found
    return _assistant_render(request, sm, who, "clusters", **_clusters_part(engine))


@router.post("/assistant/clusters/approve")
def assistant_approve(
    request: Request,
    question: str = Form(""),
    answer: str = Form(""),
    alternates: str = Form(""),
    language: str = Form(""),
) -> Response:
    found = _assistant_caller(request, "data:read")
    if isinstance(found, Response):
        return found
    sm, who, engine = found
    try:
        who.require("data:write")
        entry = engine.desk.approve(question, answer, _lines(alternates), language or None)
    except ShopmindError as exc:
        return _form_error(exc.message)
    sm.audit(who, "approve", "console/assistant/faq", {"faq_id": entry.get("faq_id")})
    response = _assistant_render(request, sm, who, "clusters", **_clusters_part(engine))
    return _swap(response, "#cluster-list", "innerHTML", "sm-faq")


@router.get("/assistant/faq")
def assistant_faq(request: Request) -> Response:
    found = _assistant_caller(request, "data:read")
    if isinstance(found, Response):
        return found
    sm, who, engine = found
    return _assistant_render(request, sm, who, "faq", **_faq_part(engine))


@router.post("/assistant/faq")
def assistant_faq_add(
    request: Request,
    question: str = Form(""),
    answer: str = Form(""),
    alternates: str = Form(""),
    language: str = Form(""),
    intent: str = Form(""),
) -> Response:
    found = _assistant_caller(request, "data:read")
    if isinstance(found, Response):
        return found
    sm, who, engine = found
    try:
        who.require("data:write")
        entry = engine.desk.add_faq(question, answer, language or None, _lines(alternates), intent or None)
    except ShopmindError as exc:
        return _form_error(exc.message)
    sm.audit(who, "create", "console/assistant/faq", {"faq_id": entry.get("faq_id")})
    response = _assistant_render(request, sm, who, "faq", **_faq_part(engine))
    return _swap(response, "#faq-list", "innerHTML", "sm-clusters")


@router.post("/assistant/faq/{faq_id}/delete")
def assistant_faq_delete(request: Request, faq_id: str) -> Response:
    found = _assistant_caller(request, "data:read")
    if isinstance(found, Response):
        return found
    sm, who, engine = found
    error = None
    try:
        who.require("data:write")
        engine.desk.delete_faq(faq_id)
        sm.audit(who, "delete", "console/assistant/faq", {"faq_id": faq_id})
    except ShopmindError as exc:
        error = exc.message
    response = _assistant_render(request, sm, who, "faq", **_faq_part(engine, error))
    if error is None:
        response.headers["HX-Trigger"] = "sm-clusters"
    return response


class _TryChat(BaseModel):
    model_config = ConfigDict(extra="forbid")
    message: str = Field("", max_length=2000)
    conversation_id: str | None = Field(None, max_length=64)
    customer_id: str | None = Field(None, max_length=128)


@router.post("/assistant/chat")
def assistant_chat(request: Request, body: _TryChat) -> Response:
    """The Try-it box: the merchant writes as a customer; a real conversation on channel 'console'."""
    found = _assistant_caller(request, "serve:read")
    if isinstance(found, Response):
        return found
    sm, who, engine = found
    try:
        out = engine.desk.chat(
            body.message,
            body.conversation_id or None,
            (body.customer_id or "").strip() or None,
            None,
            "console",
        )
    except ShopmindError as exc:
        return JSONResponse({"ok": False, "error": exc.message}, status_code=exc.status)
    sm.audit(who, "chat", "console/assistant/chat", {"conversation_id": out["conversation_id"]})
    return JSONResponse(jsonable_encoder({"ok": True, **out}))


@router.get("/assistant/chat/{conversation_id}")
def assistant_chat_messages(
    request: Request, conversation_id: str, customer_id: str = "", after: int = 0
) -> Response:
    """The Try-it box polls this for a person's replies once the assistant handed off."""
    found = _assistant_caller(request, "serve:read")
    if isinstance(found, Response):
        return found
    _, _, engine = found
    try:
        out = engine.desk.messages(conversation_id, customer_id.strip() or None, max(0, after))
    except ShopmindError as exc:
        return JSONResponse({"ok": False, "error": exc.message}, status_code=exc.status)
    return JSONResponse(jsonable_encoder({"ok": True, **out}))


@router.get("/{section}")
def section(request: Request, section: str) -> Response:
    who = _who(request)
    if who is None:
        return RedirectResponse("/console/login", status_code=303)
    if section not in {slug for slug, _ in NAV}:
        return _render(request, "coming_soon.html", who=who, page=section, unknown=True)
    return _render(request, "coming_soon.html", who=who, page=section, unknown=False)


def mount(app: FastAPI) -> None:
    app.mount("/static", CachedStatic(directory=str(HERE / "static")), name="static")
    app.include_router(router)
