"""The assistant's turn: understand a message, call the shop's tools, answer from cited sources.

Pure: the shop's data comes through :class:`ShopTools` (the service desk implements it over the
store; tests give a small in-memory one) and the conversation's memory is a plain dict that the
caller stores between turns. Every factual sentence is composed from a :class:`Source` that the
reply cites; when no source is confident enough the assistant says so and hands over to a person.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from shopmind.assistant.entities import DEFAULT_ORDER_PATTERN, Entities, extract_entities
from shopmind.assistant.intents import IntentClassifier, IntentPrediction
from shopmind.assistant.knowledge import KnowledgeBase, Retrieved
from shopmind.assistant.policy import ReturnPolicy
from shopmind.assistant.sentiment import ANGRY, anger_score
from shopmind.assistant.templates import STATUS, say
from shopmind.assistant.text import detect_language

__all__ = ["Assistant", "OrderView", "ProductFacts", "Reply", "ShopTools", "Source"]

ORDER_INTENTS = ("order_status", "logistics", "return_refund", "change_address")
# Intents whose questions the knowledge base answers (after the order tools, where they apply).
KB_INTENTS = (
    "logistics",
    "order_status",
    "return_refund",
    "product_question",
    "presale_advice",
    "invoice",
    "coupon",
    "change_address",
    "out_of_scope",
)

# What a product question asks about, by words in the normalised message.
ASPECTS: dict[str, tuple[str, ...]] = {
    "price": (
        "多少钱",
        "价格",
        "价钱",
        "几块",
        "贵不贵",
        "贵吗",
        "便宜",
        "price",
        "cost",
        "how much",
        "expensive",
        "cheap",
    ),
    "origin": (
        "产地",
        "哪里产",
        "哪产",
        "哪里的",
        "哪儿的",
        "哪里来",
        "来自",
        "什么地方",
        "origin",
        "where is it from",
        "where does",
        "come from",
        "grown",
        "produced",
    ),
    "shelf_life": (
        "保质期",
        "放多久",
        "能放",
        "保存多久",
        "多久坏",
        "多长时间",
        "保鲜",
        "shelf life",
        "how long does it keep",
        "how long will it keep",
        "how long can",
        "keep for",
        "last",
        "expire",
    ),
    "certifications": (
        "有机",
        "绿色食品",
        "认证",
        "地理标志",
        "organic",
        "certified",
        "certificate",
        "certification",
    ),
    "season": ("应季", "季节", "上市", "当季", "时令", "season", "harvest"),
    "stock": (
        "有货",
        "库存",
        "现货",
        "还有吗",
        "缺货",
        "卖完",
        "in stock",
        "available",
        "sold out",
        "out of stock",
    ),
    "spec": (
        "几斤",
        "多重",
        "规格",
        "重量",
        "几公斤",
        "多大",
        "几个",
        "weight",
        "how heavy",
        "how big",
        "size",
        "how many",
    ),
    "about": (
        "怎么样",
        "介绍",
        "详情",
        "好吃",
        "甜",
        "口感",
        "味道",
        "tell me about",
        "what is",
        "details",
        "describe",
        "taste",
        "sweet",
        "good",
    ),
}


@dataclass(frozen=True)
class Source:
    """Where a fact in a reply comes from."""

    id: str  # faq:<id>, policy:<name>, order:<id>, product:<sku>
    kind: str
    title: str
    text: str

    def as_dict(self) -> dict[str, str]:
        return {"id": self.id, "kind": self.kind, "title": self.title, "text": self.text}


@dataclass(frozen=True)
class ProductFacts:
    """What the catalog says about one product."""

    sku: str
    title: str
    title_en: str | None = None
    price: float | None = None
    currency: str = "CNY"
    category: str | None = None
    origin: str | None = None
    shelf_life_days: int | None = None
    certifications: tuple[str, ...] = ()
    harvest_months: tuple[int, ...] = ()
    in_stock: bool | None = None
    description: str | None = None
    description_en: str | None = None

    def money(self) -> str:
        if self.price is None:
            return ""
        return (
            f"¥{self.price:g}" if self.currency in ("CNY", "RMB", "") else f"{self.price:g} {self.currency}"
        )

    def name(self, language: str) -> str:
        return (self.title_en or self.title) if language == "en" else self.title

    def fact(self, aspect: str, language: str) -> str | None:
        """One fact sentence about *aspect*, or None when the catalog does not say."""
        zh = language == "zh"
        name = self.name(language)
        if aspect == "price" and self.price is not None:
            return f"{name}：{self.money()}" if zh else f"{name}: {self.money()}"
        if aspect == "origin" and self.origin:
            return f"{name} 产自{self.origin}" if zh else f"{name} comes from {self.origin}"
        if aspect == "shelf_life" and self.shelf_life_days:
            return (
                f"{name} 保质期 {self.shelf_life_days} 天"
                if zh
                else f"{name} keeps for {self.shelf_life_days} days"
            )
        if aspect == "certifications":
            if self.certifications:
                certs = "、".join(self.certifications) if zh else ", ".join(self.certifications)
                return f"{name} 认证：{certs}" if zh else f"{name} is certified: {certs}"
            return f"{name} 没有登记认证" if zh else f"{name} has no certification on record"
        if aspect == "season" and self.harvest_months:
            months = (
                "、".join(f"{m}月" for m in self.harvest_months)
                if zh
                else ", ".join(dt.date(2000, m, 1).strftime("%B") for m in self.harvest_months)
            )
            return f"{name} 应季月份：{months}" if zh else f"{name} is in season in {months}"
        if aspect == "stock" and self.in_stock is not None:
            if zh:
                return f"{name} {'有货' if self.in_stock else '暂时缺货'}"
            return f"{name} is {'in stock' if self.in_stock else 'out of stock for now'}"
        if aspect == "spec":
            return f"规格：{self.title}" if zh else f"Pack: {name}"
        if aspect == "about":
            text = self.description if zh else (self.description_en or self.description)
            if text:
                return f"{name}：{text}" if zh else f"{name}: {text}"
        return None

    def source(self, language: str) -> Source:
        facts = [
            self.fact(a, language)
            for a in ("price", "origin", "shelf_life", "certifications", "season", "stock", "spec", "about")
        ]
        return Source(f"product:{self.sku}", "product", self.name(language), "；".join(f for f in facts if f))


@dataclass(frozen=True)
class OrderView:
    """One order as the customer may see it (after the tools checked it is theirs)."""

    order_id: str
    status: str
    ordered_at: dt.datetime
    items: tuple[str, ...] = ()
    products: tuple[Mapping[str, Any], ...] = ()  # product rows, for the return policy
    paid_at: dt.datetime | None = None
    shipped_at: dt.datetime | None = None
    delivered_at: dt.datetime | None = None
    carrier: str | None = None
    tracking_number: str | None = None
    total_amount: float | None = None


class ShopTools(Protocol):
    """The shop's data as the assistant may use it."""

    def find_order(
        self,
        customer_id: str | None,
        order_id: str | None,
        phone_tail: str | None,
        ordered_on: dt.date | None = None,
    ) -> OrderView | None:
        """The order, only when it belongs to the customer: customer id plus an order number or the
        phone tail (their latest order, or the one placed on *ordered_on*); without a customer id,
        the order number plus the phone tail."""
        ...

    def match_products(self, text: str, language: str, limit: int = 3) -> list[ProductFacts]:
        """Catalog products the message names, best first (empty when it names none)."""
        ...

    def recommend(self, customer_id: str | None, text: str, language: str, n: int = 3) -> list[ProductFacts]:
        """Products to suggest for a pre-sale question."""
        ...


@dataclass(frozen=True)
class Reply:
    """The assistant's answer to one message."""

    text: str
    language: str
    intent: str
    confidence: float
    outcome: str  # answered, asked, small_talk, declined, handoff
    sources: tuple[Source, ...] = ()
    handoff_reason: str | None = None  # asked, anger, complaint, failures, unanswered, action
    products: tuple[ProductFacts, ...] = ()
    entities: Mapping[str, Any] = field(default_factory=dict)
    state: Mapping[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "language": self.language,
            "intent": self.intent,
            "confidence": round(self.confidence, 4),
            "outcome": self.outcome,
            "handoff": self.outcome == "handoff",
            "handoff_reason": self.handoff_reason,
            "sources": [s.as_dict() for s in self.sources],
            "products": [
                {"sku": p.sku, "title": p.name(self.language), "price": p.price} for p in self.products
            ],
            "entities": dict(self.entities),
        }


class Assistant:
    """A customer-service assistant for one shop.

    Parameters
    ----------
    intents : IntentClassifier
        Fitted intent model.
    knowledge : KnowledgeBase
        Fitted FAQ and policy retrieval.
    policy : ReturnPolicy
        The shop's return rules.
    kb_threshold : float
        Least similarity for a knowledge-base answer.
    handoff_failures : int
        Hand over to a person after this many turns in a row that did not help.
    timezone : str
        Shop time zone for the dates it tells customers.
    order_pattern : str
        Regular expression of the shop's order numbers.
    """

    def __init__(
        self,
        intents: IntentClassifier,
        knowledge: KnowledgeBase,
        policy: ReturnPolicy | None = None,
        kb_threshold: float = 0.45,
        handoff_failures: int = 2,
        timezone: str = "Asia/Shanghai",
        order_pattern: str = DEFAULT_ORDER_PATTERN,
    ) -> None:
        self.intents = intents
        self.knowledge = knowledge
        self.policy = policy or ReturnPolicy()
        self.kb_threshold = kb_threshold
        self.handoff_failures = handoff_failures
        self.tz = ZoneInfo(timezone)
        self.order_pattern = order_pattern

    # ------------------------------------------------------------------------------------------
    def understand(
        self, message: str, state: Mapping[str, Any], now: dt.datetime
    ) -> tuple[IntentPrediction, Entities]:
        """The intent and entities of *message*, with the conversation's pending question applied."""
        normalised = self.intents.normalizer_.normalize(message)
        entities = extract_entities(normalised, now.astimezone(self.tz).date(), self.order_pattern)
        pred = self.intents.predict([message])[0]
        pending = state.get("pending")
        if pending and (
            entities.order_ids or entities.phone_tail or re.fullmatch(r"\D*\d{4}\D*", normalised)
        ):
            # the answer to our own question ("your order number, please")
            if not entities.phone_tail and not entities.order_ids:
                entities = replace(entities, phone_tail=re.sub(r"\D", "", normalised))
            if pred.intent in ("out_of_scope", "greeting") or pred.confidence < 0.5:
                pred = IntentPrediction(pending, max(pred.confidence, 0.5), pred.ranked)
        elif (entities.order_ids or entities.phone_tail) and pred.intent in ("out_of_scope", "greeting"):
            # "那我昨天那单呢？尾号1234": an order reference continues the conversation's order question
            last = state.get("intent")
            pred = IntentPrediction(last if last in ORDER_INTENTS else "order_status", 0.5, pred.ranked)
        return pred, entities

    def reply(
        self,
        message: str,
        tools: ShopTools,
        state: Mapping[str, Any] | None = None,
        customer_id: str | None = None,
        language: str | None = None,
        now: dt.datetime | None = None,
    ) -> Reply:
        """Answer *message*; the reply's ``state`` is the conversation's memory for the next turn."""
        state = dict(state or {})
        now = now or dt.datetime.now(dt.UTC)
        lang = language if language in ("zh", "en") else _language_of(message, state.get("language"))
        pred, entities = self.understand(message, state, now)
        turn = _Turn(self, tools, state, customer_id, lang, now, message, pred, entities)
        reply = turn.run()
        failed = reply.outcome in ("declined",) or (reply.outcome == "asked" and state.get("pending"))
        new_state = dict(reply.state)
        new_state["language"] = lang
        new_state["intent"] = reply.intent
        new_state["failures"] = state.get("failures", 0) + 1 if failed else 0
        if failed and new_state["failures"] >= self.handoff_failures and reply.outcome == "asked":
            return turn.handoff("failures", "handoff_failures")
        return replace(reply, state=new_state)

    def when(self, ts: dt.datetime | None, language: str) -> str:
        if ts is None:
            return ""
        local = ts.astimezone(self.tz)
        return (
            f"{local.month}月{local.day}日 {local:%H:%M}"
            if language == "zh"
            else f"{local:%b} {local.day}, {local:%H:%M}"
        )


class _Turn:
    """One message's handling (kept apart so each step reads as a short method)."""

    def __init__(
        self,
        bot: Assistant,
        tools: ShopTools,
        state: dict[str, Any],
        customer_id: str | None,
        lang: str,
        now: dt.datetime,
        message: str,
        pred: IntentPrediction,
        entities: Entities,
    ) -> None:
        self.bot, self.tools, self.state, self.customer_id = bot, tools, state, customer_id
        self.lang, self.now, self.message, self.pred, self.entities = lang, now, message, pred, entities
        self.intent = pred.intent

    def done(
        self,
        text: str,
        outcome: str,
        sources: Sequence[Source] = (),
        handoff_reason: str | None = None,
        products: Sequence[ProductFacts] = (),
        **state: Any,
    ) -> Reply:
        new_state = {k: v for k, v in self.state.items() if k != "pending"}
        new_state.update({k: v for k, v in state.items() if v is not None})
        return Reply(
            text,
            self.lang,
            self.intent,
            self.pred.confidence,
            outcome,
            tuple(sources),
            handoff_reason,
            tuple(products),
            self.entities.as_dict(),
            new_state,
        )

    def handoff(self, reason: str, template: str, sources: Sequence[Source] = (), **fields: Any) -> Reply:
        return self.done(say(template, self.lang, **fields), "handoff", sources, reason)

    # ------------------------------------------------------------------------------------------
    def run(self) -> Reply:
        if anger_score(self.message) >= ANGRY:
            return self.handoff("anger", "handoff_anger")
        if self.intent == "human" and self.pred.confidence >= 0.5:
            return self.handoff("asked", "handoff_asked")
        if self.intent == "complaint" and self.pred.confidence >= 0.5:
            return self.handoff("complaint", "handoff_complaint")
        if self.intent == "greeting" and self.pred.confidence >= 0.5:
            thanks = re.search(r"谢|thank|thx", self.message.lower())
            return self.done(say("thanks" if thanks else "greeting", self.lang), "small_talk")
        if self.intent in ORDER_INTENTS:
            reply = self.order_intent()
            if reply is not None:
                return reply
        if self.intent == "product_question":
            reply = self.product_question()
            if reply is not None:
                return reply
        if self.intent in KB_INTENTS or self.pred.confidence < 0.5:
            best = self.knowledge()
            if best is not None:
                return self.answer_from(best)
        if (
            self.intent == "presale_advice"
            and self.pred.confidence >= 0.5
            and _ASKS_FOR_ADVICE.search(self.message.lower())
        ):
            found = self.tools.recommend(self.customer_id, self.message, self.lang, 3)
            if found:
                lines = [f"{p.name(self.lang)} {p.money()}".strip() for p in found]
                text = say("recommend", self.lang) + ("；" if self.lang == "zh" else "; ").join(lines)
                return self.done(text, "answered", [p.source(self.lang) for p in found], products=found)
        if self.intent in ORDER_INTENTS and not self.order_ref() and self.pred.confidence >= 0.5:
            return self.ask_order()
        if self.intent == "out_of_scope" and not _about_the_shop(self.message):
            return self.done(say("out_of_scope", self.lang), "declined", unanswered=self.message)
        reply = self.handoff("unanswered", "no_info")
        return replace(reply, state={**reply.state, "unanswered": self.message})

    def knowledge(self) -> Retrieved | None:
        hits = self.bot.knowledge.search(self.message, self.lang, k=1)
        if not hits:
            return None
        best = hits[0]
        need = self.bot.kb_threshold
        sure = self.pred.confidence >= 0.7
        if (
            sure
            and best.entry.intent == self.intent
            and self.bot.knowledge.count(self.intent, self.lang) == 1
        ):
            # the intent model is sure of the topic and the shop has one answer on it (its invoice
            # rules, say): the wording only has to be near it
            need *= 0.5
        elif self.pred.confidence < 0.5 or (best.entry.intent and best.entry.intent != self.intent):
            need += 0.15  # unsure what is asked, or an answer about something else: more evidence
        return best if best.score >= need else None

    def answer_from(self, hit: Retrieved) -> Reply:
        e = hit.entry
        kind = e.id.split(":")[0]
        if self.intent == "return_refund" and e.id == "policy:returns":
            text = say("return_general", self.lang, answer=e.answer)
        else:
            text = e.answer
        return self.done(text, "answered", [Source(e.id, kind, e.question, e.answer)])

    # -- orders ---------------------------------------------------------------------------------
    def order_ref(self) -> bool:
        return bool(self.entities.order_ids or self.entities.phone_tail or self.state.get("order_id"))

    def ask_order(self) -> Reply:
        template = "ask_order" if self.customer_id else "ask_order_anonymous"
        return self.done(say(template, self.lang), "asked", pending=self.intent)

    def order_intent(self) -> Reply | None:
        if not self.order_ref():
            return None  # general question first (knowledge base), then ask for the order
        # what this message says, completed by what the conversation already told us
        order_id = self.entities.order_ids[0] if self.entities.order_ids else None
        tail = self.entities.phone_tail
        if order_id is None and not self.entities.dates:
            # "can I return it?": the order this conversation is about (a date names another one)
            order_id = self.state.get("order_id")
        tail = tail or self.state.get("phone_tail")
        if self.customer_id is None and not (order_id and tail):
            # anonymous: both the order number and the phone tail; remember what we have
            return self.done(
                say("ask_order_anonymous", self.lang),
                "asked",
                pending=self.intent,
                order_id=order_id,
                phone_tail=tail,
            )
        day = self.entities.dates[0] if self.entities.dates and not order_id else None
        order = self.tools.find_order(self.customer_id, order_id, tail, day)
        if order is None:
            return self.done(say("order_not_found", self.lang), "asked", pending=self.intent)
        src = self.order_source(order)
        remember: dict[str, Any] = {"order_id": order.order_id, "phone_tail": tail}
        if self.intent == "return_refund":
            return self.return_answer(order, src, remember)
        if self.intent == "change_address":
            if order.status in ("created", "paid"):
                reply = self.handoff("action", "handoff_change", [src], order_id=order.order_id)
                return replace(reply, state={**reply.state, **remember})
            best = self.knowledge()
            if best is not None:
                hit = self.answer_from(best)
                return replace(
                    hit,
                    text=self.order_text(order) + " " + hit.text,
                    sources=(src, *hit.sources),
                    state={**hit.state, **remember},
                )
        return self.done(self.order_text(order), "answered", [src], **remember)

    def order_text(self, order: OrderView) -> str:
        w = self.bot.when
        lang = self.lang
        items = ("、" if lang == "zh" else ", ").join(order.items[:3]) + ("…" if len(order.items) > 3 else "")
        parts = [
            say(
                "order_line",
                lang,
                order_id=order.order_id,
                items=items,
                status=STATUS[lang].get(order.status, order.status),
            )
        ]
        if order.shipped_at is not None:
            if order.carrier and order.tracking_number:
                parts.append(
                    say(
                        "order_shipped",
                        lang,
                        shipped=w(order.shipped_at, lang),
                        carrier=order.carrier,
                        tracking=order.tracking_number,
                    )
                )
            else:
                parts.append(say("order_shipped_no_tracking", lang, shipped=w(order.shipped_at, lang)))
        else:
            parts.append(say("order_placed", lang, ordered=w(order.ordered_at, lang)))
        if order.delivered_at is not None:
            parts.append(say("order_delivered", lang, delivered=w(order.delivered_at, lang)))
        return ("" if lang == "zh" else " ").join(parts)

    def order_source(self, order: OrderView) -> Source:
        w = self.bot.when
        lang = self.lang
        facts = [
            f"order {order.order_id}",
            f"status {order.status} ({STATUS[lang].get(order.status, order.status)})",
            f"items {', '.join(order.items)}",
            f"ordered {w(order.ordered_at, lang)}",
        ]
        if order.shipped_at:
            facts.append(
                f"shipped {w(order.shipped_at, lang)} {order.carrier or ''} {order.tracking_number or ''}".strip()
            )
        if order.delivered_at:
            facts.append(f"delivered {w(order.delivered_at, lang)}")
        return Source(f"order:{order.order_id}", "order", order.order_id, "; ".join(facts))

    def return_answer(self, order: OrderView, src: Source, remember: dict[str, Any]) -> Reply:
        if _REFUND_PROGRESS.search(self.message.lower()):
            # "where is my refund": the order's state and the shop's answer on refund times
            best = self.knowledge()
            sources: list[Source] = [src]
            text = self.order_text(order)
            if best is not None:
                hit = self.answer_from(best)
                text += " " + hit.text
                sources += list(hit.sources)
            return self.done(text, "answered", sources, **remember)
        p = self.bot.policy
        row = {"status": order.status, "delivered_at": order.delivered_at}
        d = p.decide(row, order.products, self.now, str(self.bot.tz))
        lang = self.lang
        # the source carries this order's dates too, so that every date in the answer is in a source
        facts = (
            return_policy_text(p, lang)
            + f" [order {order.order_id}: delivered {self.bot.when(order.delivered_at, lang)}; deadline {self.bot.when(d.deadline, lang)}]"
        )
        policy_src = Source("policy:returns", "policy", "return policy", facts)
        fields = {
            "order_id": order.order_id,
            "delivered": self.bot.when(order.delivered_at, lang),
            "deadline": self.bot.when(d.deadline, lang),
            "days": d.days,
            "hours": d.hours,
            "fresh": ("、" if lang == "zh" else ", ").join(d.fresh_items[:3]),
            "status": STATUS[lang].get(order.status, order.status),
        }
        kind = "expired_fresh" if d.kind == "expired" and d.fresh_items else d.kind
        if kind == "no_delivery_time":
            reply = self.handoff("action", "return_no_delivery_time", [src], **fields)
            return replace(reply, state={**reply.state, **remember})
        return self.done(say(f"return_{kind}", lang, **fields), "answered", [src, policy_src], **remember)

    # -- products -------------------------------------------------------------------------------
    def product_question(self) -> Reply | None:
        found = self.tools.match_products(self.message, self.lang, 3)
        if not found:
            return None
        text_l = self.bot.intents.normalizer_.normalize(self.message)
        aspects = [a for a, words in ASPECTS.items() if any(w in text_l for w in words)]
        if not aspects:
            return None  # the catalog does not know what is asked: maybe the FAQ does
        lines: list[str] = []
        used: list[ProductFacts] = []
        for p in found:
            facts = [f for f in (p.fact(a, self.lang) for a in aspects) if f]
            if facts:
                lines.append(("，" if self.lang == "zh" else "; ").join(facts))
                used.append(p)
        if not lines:
            return None
        head = say("product_many", self.lang, n=len(used)) + " " if len(used) > 1 else ""
        sep = "；" if self.lang == "zh" else ". "
        text = head + sep.join(lines) + ("。" if self.lang == "zh" else ".")
        return self.done(
            text,
            "answered",
            [p.source(self.lang) for p in used],
            products=used,
            products_seen=[p.sku for p in used],
        )


_REFUND_PROGRESS = re.compile(
    r"到账|退款进度|退到哪|钱.*(?:退|回)|什么时候退|多久.*退|退款.*(?:没|还没|多久|几时)|refund (?:status|progress)|my refund|money back yet|when will (?:i|the rest)|get (?:my )?money back"
)
# A pre-sale question that asks what to buy (rather than about the shop: "can I become an agent").
_ASKS_FOR_ADVICE = re.compile(
    r"推荐|送|礼|哪个|哪款|哪种|适合|买什么|买点|买啥|有什么好|好吃|怎么选|比较|区别|"
    r"recommend|suggest|gift|present|which|what should|best|good for|ideas?\b|compare|differen"
)
_SHOP_WORDS = re.compile(
    r"你们|贵店|店里|店铺|商家|老板|掌柜|\byour (?:shop|store|company|farm)\b|\bdo you\b|\bare you\b|\byou guys\b"
)


def _about_the_shop(message: str) -> bool:
    """Whether an out-of-scope message still asks about the shop ("你们招人吗", "do you have a
    physical store"): a person can answer that, so it is handed over rather than declined."""
    return bool(_SHOP_WORDS.search(message.lower()))


def _language_of(message: str, previous: str | None) -> str:
    """The message's language; a message of only numbers and order ids keeps the conversation's."""
    if detect_language(message) == "zh":
        return "zh"
    # order and tracking numbers (JD20261101001, SF1400…) are no English
    words = [w for w in re.findall(r"[A-Za-z]+(?![A-Za-z]*\d)", message) if len(w) > 1]
    if not words and previous in ("zh", "en"):
        return str(previous)
    return "en"


def return_policy_text(policy: ReturnPolicy, language: str) -> str:
    """The shop's return policy in words (the ``policy:returns`` source)."""
    cats = "、".join(policy.fresh_categories)
    if language == "zh":
        return (
            f"签收后 {policy.return_days} 天内支持无理由退货（商品完好）。生鲜等易腐商品（{cats}类，或保质期不超过 "
            f"{policy.fresh_shelf_life_days} 天的商品）不支持无理由退货，如有质量问题请在签收后 {policy.fresh_return_hours} "
            "小时内拍照反馈，我们补发或退款。"
        )
    return (
        f"Goods in their original condition can be returned without a reason within {policy.return_days} days "
        f"of delivery. Perishable goods (fresh produce, or anything keeping {policy.fresh_shelf_life_days} days "
        f"or less) cannot be returned without a reason; for a quality problem send a photo within "
        f"{policy.fresh_return_hours} hours of delivery and we re-send or refund."
    )
