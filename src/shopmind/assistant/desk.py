"""The service desk: the assistant at a shop's edge. Stores conversations, runs the shop's tools
over the store, queues hand-offs for people, keeps the FAQ and learns from unanswered questions.

This is the I/O side (the Engine owns one per shop); the dialogue itself is pure
(:mod:`shopmind.assistant.dialogue`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
import re
import shutil
import statistics
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import yaml
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from shopmind.assistant.dialogue import ASPECTS, Assistant, OrderView, ProductFacts, Reply, return_policy_text
from shopmind.assistant.entities import DEFAULT_ORDER_PATTERN
from shopmind.assistant.intents import INTENTS, IntentClassifier, QueryEmbedder, load_seed
from shopmind.assistant.knowledge import KnowledgeBase, KnowledgeEntry
from shopmind.assistant.learning import cluster_questions
from shopmind.assistant.policy import ReturnPolicy
from shopmind.assistant.templates import say
from shopmind.assistant.text import detect_language
from shopmind.errors import InvalidParameterError, NotFittedError, NotFoundError, check_param
from shopmind.llm import Draft, Phraser, make_phraser
from shopmind.schema import tables as t
from shopmind.search.semantic import EmbeddingCache
from shopmind.store.core import utcnow

if TYPE_CHECKING:
    from shopmind.engine import Engine
    from shopmind.store.core import ShopStore

__all__ = ["DEFAULT_SETTINGS", "ServiceDesk", "train_assistant"]

#: A shop's assistant settings (``assistant.yaml`` in the shop's folder), with their defaults.
DEFAULT_SETTINGS: dict[str, Any] = {
    "return_days": 7,
    "fresh_return_hours": 48,
    "fresh_categories": ["生鲜"],
    "fresh_shelf_life_days": 15,
    "kb_threshold": 0.45,
    "handoff_failures": 2,
    "order_pattern": DEFAULT_ORDER_PATTERN,
    "dialect": {},
    "require_customer_token": False,
}
_CHECK_S = 5.0  # how often the FAQ is checked for changes made by another process


def train_assistant(
    data: ShopStore,
    dialect: Mapping[str, str] | None = None,
    semantic: bool = False,
    workdir: Path | None = None,
) -> tuple[Any, dict[str, Any], dict[str, int]]:
    """The intent model from the shipped seed set plus the shop's FAQ questions that name an intent;
    with *semantic*, sentence embeddings join the features (cached in *workdir*)."""
    texts = [text for _, _, text in load_seed()]
    labels = [intent for _, intent, _ in load_seed()]
    faq = data.rows("faq_entries", limit=100_000)
    for row in faq:
        if row.get("intent") in INTENTS:
            for q in [row["question"], *(row.get("alternates") or [])]:
                texts.append(q)
                labels.append(row["intent"])
    started = time.perf_counter()
    embedder, vectors = None, None
    if semantic:
        embedder = QueryEmbedder()
        vectors = embedding_cache(workdir, embedder).embed(texts)
    model = IntentClassifier(dialect=dict(dialect or {}), embedder=embedder).fit(texts, labels, vectors)
    metrics = {
        "examples": len(texts),
        "faq_entries": len(faq),
        "fit_s": round(time.perf_counter() - started, 2),
    }
    return model, metrics, {"examples": len(texts)}


def embedding_cache(workdir: Path | None, embedder: QueryEmbedder) -> EmbeddingCache:
    """Message vectors by content, in the shop's folder; starts from the shipped seed set's vectors
    (``scripts/embed_assistant_seed.py``) so that only the shop's own FAQ questions are embedded."""
    shipped = Path(str(resources.files("shopmind.assistant") / "data" / "seed-vectors.npz"))
    if workdir is None:
        return EmbeddingCache(shipped if shipped.exists() else None, embedder)
    path = workdir / "assistant-vectors.npz"
    if not path.exists() and shipped.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shipped, path)
    return EmbeddingCache(path, embedder)


_MOBILE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")


def mask_phones(text: str) -> str:
    """Mobile numbers with the middle four digits hidden: 13812345678 -> 138****5678."""
    return _MOBILE.sub(r"\1****\2", text)


def load_settings(workdir: Path) -> dict[str, Any]:
    path = workdir / "assistant.yaml"
    saved = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else None
    return {**DEFAULT_SETTINGS, **(saved or {})}


def check_settings(values: Mapping[str, Any]) -> dict[str, Any]:
    """Validated assistant settings (unknown keys and bad values are errors that say what to do)."""
    unknown = sorted(set(values) - set(DEFAULT_SETTINGS))
    if unknown:
        raise InvalidParameterError(
            f"Unknown assistant setting(s): {', '.join(unknown)}. Use: {', '.join(DEFAULT_SETTINGS)}."
        )
    out = {**DEFAULT_SETTINGS, **values}
    owner = "assistant settings"
    for key in ("return_days", "fresh_return_hours", "fresh_shelf_life_days", "handoff_failures"):
        v = out[key]
        check_param(owner, key, v, isinstance(v, int) and not isinstance(v, bool) and v >= 0, "an int >= 0")
    strict = out["require_customer_token"]
    check_param(owner, "require_customer_token", strict, isinstance(strict, bool), "true or false")
    kb = out["kb_threshold"]
    check_param(owner, "kb_threshold", kb, isinstance(kb, int | float) and 0 < kb <= 1, "a number in (0, 1]")
    cats = out["fresh_categories"]
    check_param(
        owner,
        "fresh_categories",
        cats,
        isinstance(cats, list) and all(isinstance(c, str) for c in cats),
        "a list of category names",
    )
    dialect = out["dialect"]
    ok = isinstance(dialect, dict) and all(
        isinstance(k, str) and isinstance(v, str) for k, v in dialect.items()
    )
    check_param(owner, "dialect", dialect, ok, "a mapping of variant -> standard words")
    try:
        re.compile(out["order_pattern"])
    except (re.error, TypeError) as exc:
        raise InvalidParameterError(
            f"The 'order_pattern' assistant setting must be a regular expression. Got {out['order_pattern']!r} ({exc})."
        ) from exc
    return out


# Words around a product's name in a question: what is asked (the aspects) and how it is asked.
_QUESTION_WORDS = [
    "请问",
    "你们",
    "你家",
    "这个",
    "那个",
    "这款",
    "那款",
    "一包",
    "一袋",
    "一箱",
    "一盒",
    "一斤",
    "一瓶",
    "一罐",
    "一份",
    "应该",
    "怎么",
    "如何",
    "什么",
    "多少",
    "多久",
    "几天",
    "是不是",
    "有没有",
    "能不能",
    "可以",
    "还有",
    "是",
    "吗",
    "呢",
    "啊",
    "呀",
    "吧",
    "嘛",
    "的",
    "了",
    "有",
    "where",
    "what",
    "which",
    "how",
    "is",
    "are",
    "was",
    "the",
    "a",
    "an",
    "of",
    "do",
    "does",
    "did",
    "it",
    "its",
    "your",
    "you",
    "in",
    "on",
    "for",
    "to",
    "from",
    "can",
    "i",
    "me",
    "my",
    "any",
    "this",
    "that",
    "these",
    "those",
    "there",
    "have",
    "has",
    "sell",
    "much",
    "many",
    "long",
]
_NOISE_ZH = re.compile(
    "|".join(
        sorted(
            (re.escape(w) for words in ASPECTS.values() for w in words if not w.isascii()),
            key=len,
            reverse=True,
        )
        + sorted((re.escape(w) for w in _QUESTION_WORDS if not w.isascii()), key=len, reverse=True)
    )
)
_NOISE_EN = {w for words in ASPECTS.values() for w in words if w.isascii() and " " not in w} | {
    w for w in _QUESTION_WORDS if w.isascii()
}


def product_words(text: str) -> str:
    """*text* without question and aspect words: "五常大米多少钱一包" -> "五常大米"."""
    out = _NOISE_ZH.sub(" ", text)
    for phrase in (w for words in ASPECTS.values() for w in words if w.isascii() and " " in w):
        out = out.replace(phrase, " ")
    words = [w for w in re.findall(r"[a-z0-9']+|[^\sa-z0-9']+", out) if w not in _NOISE_EN]
    return " ".join(w for w in words if w.strip("?？!！,，.。、'")).strip()


class _StoreTools:
    """:class:`~shopmind.assistant.dialogue.ShopTools` over the store and the shop's models."""

    def __init__(self, engine: Engine, normalize: Callable[[str], str], timezone: str) -> None:
        self.engine = engine
        self.normalize = normalize
        self.timezone = timezone

    def find_order(
        self,
        customer_id: str | None,
        order_id: str | None,
        phone_tail: str | None,
        ordered_on: dt.date | None = None,
    ) -> OrderView | None:
        o = t.orders
        stmt = select(o).where(o.c.shop_id == self.engine.shop_id)
        if order_id:
            stmt = stmt.where((o.c.order_id == order_id) | (o.c.tracking_number == order_id))
            if customer_id is not None:
                stmt = stmt.where(o.c.customer_id == customer_id)
            elif not phone_tail:
                return None
        elif phone_tail and customer_id is not None:
            stmt = stmt.where(o.c.customer_id == customer_id).order_by(o.c.ordered_at.desc())
            if ordered_on is not None:  # "the one I ordered yesterday": that day, in the shop's time
                tz = ZoneInfo(self.timezone)
                start = dt.datetime.combine(ordered_on, dt.time(), tz)
                stmt = stmt.where(o.c.ordered_at >= start, o.c.ordered_at < start + dt.timedelta(days=1))
        else:
            return None
        rows = self.engine.data.execute(stmt.limit(1))
        if not rows:
            return None
        order = rows[0]
        if phone_tail and not self._phone_ends_with(order.get("customer_id"), phone_tail):
            return None
        return self._view(order)

    def _phone_ends_with(self, customer_id: str | None, tail: str) -> bool:
        if not customer_id:
            return False
        row = self.engine.data.get("customers", {"customer_id": customer_id})
        phone = self.engine.app.cipher.decrypt(row.get("phone_enc")) if row else None
        return bool(phone) and "".join(ch for ch in str(phone) if ch.isdigit()).endswith(tail)

    def _view(self, order: Mapping[str, Any]) -> OrderView:
        i, p = t.order_items, t.products
        stmt = (
            select(p.c.sku, p.c.title, p.c.title_en, p.c.category, p.c.shelf_life_days)
            .join(i, (i.c.shop_id == p.c.shop_id) & (i.c.sku == p.c.sku))
            .where(i.c.shop_id == self.engine.shop_id, i.c.order_id == order["order_id"])
            .order_by(i.c.line_no)
        )
        products = self.engine.data.execute(stmt)
        return OrderView(
            order_id=order["order_id"],
            status=order["status"],
            ordered_at=order["ordered_at"],
            items=tuple(str(r["title"]) for r in products),
            products=tuple(products),
            paid_at=order.get("paid_at"),
            shipped_at=order.get("shipped_at"),
            delivered_at=order.get("delivered_at"),
            carrier=order.get("carrier"),
            tracking_number=order.get("tracking_number"),
            total_amount=order.get("total_amount"),
        )

    def _facts(self, skus: Sequence[str]) -> list[ProductFacts]:
        if not skus:
            return []
        p = t.products
        rows = {
            r["sku"]: r
            for r in self.engine.data.execute(
                select(p).where(p.c.shop_id == self.engine.shop_id, p.c.sku.in_(list(skus)))
            )
        }
        oos = self.engine.out_of_stock()
        inv = t.inventory
        stocked = {  # products with an inventory row: only those have a known stock
            r["sku"]
            for r in self.engine.data.execute(
                select(inv.c.sku).where(inv.c.shop_id == self.engine.shop_id, inv.c.sku.in_(list(skus)))
            )
        }
        out = []
        for sku in skus:
            r = rows.get(sku)
            if r is None:
                continue
            prov, city = r.get("origin_province"), r.get("origin_city")
            origin = (prov or "") + (city if city and city != prov else "")
            out.append(
                ProductFacts(
                    sku=sku,
                    title=r["title"],
                    title_en=r.get("title_en"),
                    price=r.get("price"),
                    currency=r.get("currency") or "CNY",
                    category=r.get("category"),
                    origin=origin or None,
                    shelf_life_days=r.get("shelf_life_days"),
                    certifications=tuple(r.get("certifications") or ()),
                    harvest_months=tuple(r.get("harvest_months") or ()),
                    in_stock=(sku not in oos) if sku in stocked else None,
                    description=r.get("description"),
                    description_en=r.get("description_en"),
                )
            )
        return out

    def match_products(self, text: str, language: str, limit: int = 3) -> list[ProductFacts]:
        try:
            model = self.engine.search_model()
        except (NotFittedError, NotFoundError):
            return []
        # search matches every word: the product's name, without what is asked about it
        query = product_words(self.normalize(text))
        result = model.search(query, limit=limit, explain=False)
        if not result.hits:
            # the longest word that names something in the catalog ("那个蜂蜜" -> 蜂蜜)
            for word in sorted(query.split(), key=len, reverse=True):
                if len(word) >= 2:
                    result = model.search(word, limit=limit, explain=False)
                    if result.hits:
                        break
        skus = []
        top = None
        for hit in result.hits:
            rel = float(hit.explanation.get("signals", {}).get("relevance", 0.0))
            top = rel if top is None else top
            if rel >= 0.6 and rel >= 0.85 * top:
                skus.append(hit.sku)
        return self._facts(skus)

    def recommend(self, customer_id: str | None, text: str, language: str, n: int = 3) -> list[ProductFacts]:
        found = self.match_products(text, language, n)
        if len(found) < n:  # what the message names first, then the recommender's picks
            seen = {p.sku for p in found}
            with contextlib.suppress(NotFittedError, NotFoundError):
                more = [r.sku for r in self.engine.recommend(customer_id, n) if r.sku not in seen]
                found += self._facts(more[: n - len(found)])
        return found


class ServiceDesk:
    """One shop's customer service: chat, hand-off queue, FAQ, learning, retention."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._lock = threading.Lock()
        self._assistant: Assistant | None = None
        self._built_settings: dict[str, Any] = DEFAULT_SETTINGS
        self._stamp: tuple[Any, ...] | None = None
        self._checked = 0.0
        self._purged = 0.0
        self._phraser: Phraser | None = None

    # -- settings -------------------------------------------------------------------------------
    @property
    def settings(self) -> dict[str, Any]:
        return load_settings(self.engine.workdir)

    def save_settings(self, values: Mapping[str, Any]) -> dict[str, Any]:
        merged = check_settings({**self.settings, **values})
        path = self.engine.workdir / "assistant.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(yaml.safe_dump(merged, allow_unicode=True, sort_keys=True), encoding="utf-8")
        tmp.replace(path)
        self.invalidate()
        return merged

    def invalidate(self) -> None:
        with self._lock:
            self._assistant = None
            self._stamp = None

    @property
    def _semantic(self) -> bool:
        return bool(self.engine.app.settings.assistant_semantic)

    @property
    def phraser(self) -> Phraser:
        if self._phraser is None:
            s = self.engine.app.settings
            self._phraser = make_phraser(
                s.assistant_llm_url,
                s.assistant_llm_model,
                s.assistant_llm_key or None,
                s.assistant_llm_timeout_s,
            )
        return self._phraser

    # -- the model --------------------------------------------------------------------------------
    def _faq_stamp(self) -> tuple[Any, ...]:
        f = t.faq_entries
        row = self.engine.data.execute(
            select(func.count(), func.max(f.c.updated_at))
            .select_from(f)
            .where(f.c.shop_id == self.engine.shop_id)
        )[0]
        return tuple(row.values())

    def assistant(self) -> Assistant:
        """The shop's assistant, rebuilt when the FAQ, the settings or the intent model change."""
        now = time.monotonic()
        current = self._assistant  # read once: invalidate() may clear it meanwhile
        if current is not None and now - self._checked < _CHECK_S:
            return current
        self._checked = now
        stamp = self._faq_stamp()
        promoted = self.engine.app.registry.promoted(self.engine.shop_id, "assistant")
        settings_file = self.engine.workdir / "assistant.yaml"
        stamp = (
            *stamp,
            promoted.version if promoted else None,
            settings_file.stat().st_mtime if settings_file.exists() else None,
        )
        with self._lock:
            if self._assistant is not None and stamp == self._stamp:
                return self._assistant  # under the lock: invalidate() waits
            s = self.settings
            self._built_settings = s  # what the assistant was built with: no file read per message
            try:
                intents: IntentClassifier = self.engine.model("assistant")
            except (NotFittedError, NotFoundError):
                # a new shop still gets an assistant: the seed set trains in about a second
                intents = train_assistant(
                    self.engine.data, s["dialect"], self._semantic, self.engine.workdir
                )[0]
            if (intents.dialect or {}) != s["dialect"]:
                intents = train_assistant(
                    self.engine.data, s["dialect"], self._semantic, self.engine.workdir
                )[0]
            policy = ReturnPolicy(
                s["return_days"],
                s["fresh_return_hours"],
                tuple(s["fresh_categories"]),
                s["fresh_shelf_life_days"],
            )
            seed = [text for _, _, text in load_seed()]
            kb = KnowledgeBase(intents.normalizer_).fit(self.knowledge_entries(policy), seed)
            self._assistant = Assistant(
                intents,
                kb,
                policy,
                kb_threshold=float(s["kb_threshold"]),
                handoff_failures=int(s["handoff_failures"]),
                timezone=self._timezone(),
                order_pattern=s["order_pattern"],
            )
            self._stamp = stamp
            return self._assistant

    def _timezone(self) -> str:
        shop = self.engine.app.store.get_shop(self.engine.shop_id)
        return str((shop or {}).get("timezone") or "Asia/Shanghai")

    def knowledge_entries(self, policy: ReturnPolicy) -> list[KnowledgeEntry]:
        """The FAQ rows and the policies the assistant answers from."""
        entries = [
            KnowledgeEntry(
                id=f"faq:{r['faq_id']}",
                language=r["language"],
                question=r["question"],
                answer=r["answer"],
                alternates=tuple(r.get("alternates") or ()),
                intent=r.get("intent"),
                origin=r["origin"],
            )
            for r in self.engine.data.rows("faq_entries", limit=100_000)
        ]
        questions = {
            "zh": (
                "可以退货吗？退换货政策是什么？",
                ("怎么退货", "七天无理由退货吗", "生鲜能退吗", "退款规则"),
            ),
            "en": (
                "Can I return it? What is the return policy?",
                (
                    "how do I return an item",
                    "is there a 7 day return",
                    "can fresh produce be returned",
                    "refund rules",
                ),
            ),
        }
        for lang, (q, alts) in questions.items():
            entries.append(
                KnowledgeEntry(
                    "policy:returns",
                    lang,
                    q,
                    return_policy_text(policy, lang),
                    alts,
                    "return_refund",
                    "policy",
                )
            )
        return entries

    # -- chat -----------------------------------------------------------------------------------
    def customer_token(self, customer_id: str) -> str:
        """The token that proves *customer_id* to the assistant: HMAC-SHA256 of the id under a key
        derived from the installation secret and the shop. The shop's server computes it (with
        :meth:`token_key`) and puts it in the widget tag; a visitor cannot forge it."""
        return hmac.new(self.token_key().encode(), customer_id.encode(), hashlib.sha256).hexdigest()

    def token_key(self) -> str:
        """The shop's key for customer tokens (give it to the shop's web server, keep it secret)."""
        return hmac.new(
            self.engine.app.secret.encode(),
            f"assistant-customer:{self.engine.shop_id}".encode(),
            hashlib.sha256,
        ).hexdigest()

    def _trusted(self, customer_id: str | None, token: str | None) -> bool:
        if customer_id is None:
            return False
        if token is not None and hmac.compare_digest(token, self.customer_token(customer_id)):
            return True
        return not self._built_settings["require_customer_token"]

    def chat(
        self,
        message: str,
        conversation_id: str | None = None,
        customer_id: str | None = None,
        language: str | None = None,
        channel: str | None = None,
        customer_token: str | None = None,
    ) -> dict[str, Any]:
        """Answer one customer message in a conversation (a new one without an id).

        With the setting ``require_customer_token``, a customer id counts for order lookups only with
        its :meth:`customer_token`; without it the visitor is treated as anonymous (order number and
        phone tail both needed).
        """
        text = (message or "").strip()
        if not text:
            raise InvalidParameterError("The message is empty. Send the customer's question as 'message'.")
        if len(text) > 2000:
            raise InvalidParameterError(f"The message is {len(text)} characters long; send at most 2000.")
        if language not in (None, "zh", "en", "zh-CN"):
            raise InvalidParameterError(f"Unknown language {language!r}. Use zh or en (or leave it out).")
        lang = "zh" if language == "zh-CN" else language
        self._maybe_purge()
        now = utcnow()
        conv = self._conversation(conversation_id, customer_id, lang, channel, now)
        cid = conv["conversation_id"]
        self._add_message(cid, "customer", text, now)
        bot = self.assistant()
        trusted = conv.get("customer_id") if self._trusted(conv.get("customer_id"), customer_token) else None
        reply = bot.reply(
            text,
            _StoreTools(self.engine, bot.intents.normalizer_.normalize, str(bot.tz)),
            conv.get("state") or {},
            trusted,
            lang,
            now,
        )
        status, ticket_id = "bot", None
        if conv["status"] in ("waiting", "human"):
            # a person has the conversation: the assistant still answers what it can answer
            # from its sources, and otherwise tells the customer the person will reply
            status = conv["status"]
            self._reopen(cid, now)  # the customer wrote again: the ticket is back in the queue
            if reply.outcome not in ("answered", "small_talk"):
                reply = replace(
                    reply, text=say("waiting_human", reply.language), outcome="waiting", sources=()
                )
        elif reply.outcome == "handoff":
            status = "waiting"
            reason = reply.handoff_reason or "asked"
            # "转人工" after a question the assistant could not answer: the person needs that question
            stuck = (conv.get("state") or {}).get("unanswered")
            question = f"{stuck} / {text}" if stuck and reason in ("asked", "failures") else text
            ticket_id = self._open_ticket(cid, reason, question, now)
        reply_text = self._phrase(text, reply)
        sources = [s.as_dict() for s in reply.sources]
        seq = self._add_message(
            cid, "assistant", reply_text, now, reply.intent, reply.confidence, reply.outcome, sources
        )
        self._save_conversation(cid, status, dict(reply.state), now)
        out = reply.as_dict()
        out["text"] = reply_text
        return {"conversation_id": cid, "status": status, "seq": seq, "reply": out, "ticket_id": ticket_id}

    def _phrase(self, question: str, reply: Reply) -> str:
        if reply.outcome != "answered" or not reply.sources:
            return reply.text
        return self.phraser.phrase(
            Draft(question, reply.text, tuple(s.text for s in reply.sources), reply.language)
        ).text

    def _conversation(
        self,
        conversation_id: str | None,
        customer_id: str | None,
        language: str | None,
        channel: str | None,
        now: dt.datetime,
    ) -> dict[str, Any]:
        if conversation_id:
            row = self.engine.data.get("conversations", {"conversation_id": conversation_id})
            if row is not None:
                if row.get("customer_id") != customer_id:
                    # a conversation id is not a key to someone else's chat
                    raise NotFoundError(
                        f"Conversation {conversation_id!r} not found. Leave conversation_id out to start one."
                    )
                return row
            check_param(
                "chat",
                "conversation_id",
                conversation_id,
                8 <= len(conversation_id) <= 64,
                "8 to 64 characters",
            )
        row = {
            "conversation_id": conversation_id or uuid.uuid4().hex,
            "customer_id": customer_id,
            "channel": channel or "web",
            "language": language,
            "status": "bot",
            "state": {},
        }
        self.engine.data.upsert("conversations", [row])
        return {**row, "created_at": now}

    def _save_conversation(self, cid: str, status: str, state: dict[str, Any], now: dt.datetime) -> None:
        c = t.conversations
        with self.engine.app.store.begin() as conn:
            conn.execute(
                update(c)
                .where(c.c.shop_id == self.engine.shop_id, c.c.conversation_id == cid)
                .values(status=status, state=state, updated_at=now)
            )

    def _add_message(
        self,
        cid: str,
        role: str,
        text: str,
        now: dt.datetime,
        intent: str | None = None,
        confidence: float | None = None,
        outcome: str | None = None,
        sources: list[dict[str, str]] | None = None,
    ) -> int:
        m = t.chat_messages
        if role == "customer":
            text = mask_phones(text)  # the number has done its job; staff reading chats need not see it
        for attempt in range(5):
            try:
                with self.engine.app.store.begin() as conn:
                    last = conn.execute(
                        select(func.max(m.c.seq)).where(
                            m.c.shop_id == self.engine.shop_id, m.c.conversation_id == cid
                        )
                    ).scalar()
                    seq = int(last or 0) + 1
                    conn.execute(
                        m.insert().values(
                            shop_id=self.engine.shop_id,
                            conversation_id=cid,
                            seq=seq,
                            role=role,
                            text=text,
                            intent=intent,
                            confidence=confidence,
                            outcome=outcome,
                            sources=sources,
                            ts=now,
                        )
                    )
                break
            except IntegrityError:  # a person's reply took the same number at the same moment
                if attempt == 4:
                    raise
        return seq

    def messages(
        self,
        conversation_id: str,
        customer_id: str | None = None,
        after: int = 0,
        check_customer: bool = True,
    ) -> dict[str, Any]:
        """A conversation's messages after *after* (the widget polls this for a person's replies)."""
        row = self.engine.data.get("conversations", {"conversation_id": conversation_id})
        if row is None or (check_customer and row.get("customer_id") != customer_id):
            raise NotFoundError(f"Conversation {conversation_id!r} not found. Start one with POST /v1/chat.")
        m = t.chat_messages
        stmt = (
            select(m.c.seq, m.c.role, m.c.text, m.c.intent, m.c.outcome, m.c.sources, m.c.ts)
            .where(
                m.c.shop_id == self.engine.shop_id, m.c.conversation_id == conversation_id, m.c.seq > after
            )
            .order_by(m.c.seq)
        )
        return {
            "conversation_id": conversation_id,
            "status": row["status"],
            "customer_id": row.get("customer_id"),
            "messages": self.engine.data.execute(stmt),
        }

    # -- hand-off ---------------------------------------------------------------------------------
    def _reopen(self, cid: str, now: dt.datetime) -> None:
        h = t.handoff_tickets
        with self.engine.app.store.begin() as conn:
            conn.execute(
                update(h)
                .where(
                    h.c.shop_id == self.engine.shop_id, h.c.conversation_id == cid, h.c.status == "answered"
                )
                .values(status="open", updated_at=now)
            )

    def _open_ticket(self, cid: str, reason: str, question: str, now: dt.datetime) -> str:
        h = t.handoff_tickets
        existing = self.engine.data.execute(
            select(h.c.ticket_id).where(
                h.c.shop_id == self.engine.shop_id, h.c.conversation_id == cid, h.c.status == "open"
            )
        )
        if existing:
            return str(existing[0]["ticket_id"])
        ticket_id = uuid.uuid4().hex[:16]
        self.engine.data.upsert(
            "handoff_tickets",
            [
                {
                    "ticket_id": ticket_id,
                    "conversation_id": cid,
                    "reason": reason,
                    "question": mask_phones(question),
                    "status": "open",
                    "created_at": now,
                    "updated_at": now,
                }
            ],
        )
        return ticket_id

    def tickets(self, status: str | None = "open", limit: int = 50) -> list[dict[str, Any]]:
        """Hand-off tickets, oldest waiting first, each with its conversation's transcript."""
        self._maybe_purge()  # also when no customer chats: the console reads the queue
        h = t.handoff_tickets
        stmt = select(h).where(h.c.shop_id == self.engine.shop_id)
        if status:
            check_param(
                "tickets",
                "status",
                status,
                status in ("open", "answered", "closed"),
                "open, answered or closed",
            )
            stmt = stmt.where(h.c.status == status)
        stmt = stmt.order_by(h.c.created_at.desc() if status != "open" else h.c.created_at).limit(limit)
        out = []
        now = utcnow()
        for r in self.engine.data.execute(stmt):
            r.pop("shop_id", None)
            conv = self.messages(r["conversation_id"], check_customer=False)
            r["customer_id"] = conv["customer_id"]
            r["transcript"] = conv["messages"]
            first = r.get("first_response_at")
            r["wait_s"] = round(((first or now) - r["created_at"]).total_seconds(), 1)
            out.append(r)
        return out

    def reply_ticket(self, ticket_id: str, text: str, agent: str, close: bool = False) -> dict[str, Any]:
        """A person's reply: it reaches the customer's chat; the first one stops the response clock."""
        text = (text or "").strip()
        if not text:
            raise InvalidParameterError("The reply is empty. Write the answer for the customer in 'text'.")
        ticket = self.engine.data.get("handoff_tickets", {"ticket_id": ticket_id})
        if ticket is None:
            raise NotFoundError(
                f"Ticket {ticket_id!r} not found. List open tickets with GET /v1/assistant/handoffs."
            )
        now = utcnow()
        self._add_message(ticket["conversation_id"], "agent", text, now)
        changes: dict[str, Any] = {
            "status": "closed" if close else "answered",
            "agent": agent,
            "updated_at": now,
        }
        if ticket.get("first_response_at") is None:
            changes["first_response_at"] = now
        if close:
            changes["closed_at"] = now
        h = t.handoff_tickets
        with self.engine.app.store.begin() as conn:
            conn.execute(
                update(h)
                .where(h.c.shop_id == self.engine.shop_id, h.c.ticket_id == ticket_id)
                .values(**changes)
            )
        conv = self.engine.data.get("conversations", {"conversation_id": ticket["conversation_id"]})
        self._save_conversation(
            ticket["conversation_id"], "bot" if close else "human", dict((conv or {}).get("state") or {}), now
        )
        return {**ticket, **changes}

    def close_ticket(self, ticket_id: str, agent: str) -> dict[str, Any]:
        ticket = self.engine.data.get("handoff_tickets", {"ticket_id": ticket_id})
        if ticket is None:
            raise NotFoundError(
                f"Ticket {ticket_id!r} not found. List open tickets with GET /v1/assistant/handoffs."
            )
        now = utcnow()
        h = t.handoff_tickets
        with self.engine.app.store.begin() as conn:
            conn.execute(
                update(h)
                .where(h.c.shop_id == self.engine.shop_id, h.c.ticket_id == ticket_id)
                .values(status="closed", closed_at=now, agent=agent, updated_at=now)
            )
        conv = self.engine.data.get("conversations", {"conversation_id": ticket["conversation_id"]})
        self._save_conversation(ticket["conversation_id"], "bot", dict((conv or {}).get("state") or {}), now)
        return {**ticket, "status": "closed", "closed_at": now}

    # -- FAQ and learning -----------------------------------------------------------------------------
    def faq(self) -> list[dict[str, Any]]:
        return self.engine.data.rows("faq_entries", limit=10_000, order_by="updated_at", descending=True)

    def add_faq(
        self,
        question: str,
        answer: str,
        language: str | None = None,
        alternates: Sequence[str] = (),
        intent: str | None = None,
        origin: str = "merchant",
        faq_id: str | None = None,
    ) -> dict[str, Any]:
        question, answer = (question or "").strip(), (answer or "").strip()
        if not question or not answer:
            raise InvalidParameterError("An FAQ entry needs both a 'question' and an 'answer'.")
        if intent is not None and intent not in INTENTS:
            raise InvalidParameterError(f"Unknown intent {intent!r}. Use one of: {', '.join(INTENTS)}.")
        lang = language or detect_language(question)
        check_param("faq", "language", lang, lang in ("zh", "en"), "zh or en")
        row = {
            "faq_id": faq_id or uuid.uuid4().hex[:12],
            "language": lang,
            "question": question,
            "alternates": [a.strip() for a in alternates if a and a.strip()],
            "answer": answer,
            "intent": intent,
            "origin": origin,
        }
        self.engine.data.upsert("faq_entries", [row])
        self.invalidate()
        return self.engine.data.get("faq_entries", {"faq_id": row["faq_id"]}) or row

    def delete_faq(self, faq_id: str) -> None:
        if not self.engine.data.delete("faq_entries", {"faq_id": faq_id}):
            raise NotFoundError(f"FAQ entry {faq_id!r} not found. List them with GET /v1/assistant/faq.")
        self.invalidate()

    def unanswered(self, days: int = 90) -> list[dict[str, Any]]:
        """Customer questions the assistant could not answer (handed off as unanswered, or declined)
        in the last *days*, with a person's reply where one came."""
        m = t.chat_messages
        since = utcnow() - dt.timedelta(days=days)
        stmt = (
            select(m.c.conversation_id, m.c.seq, m.c.role, m.c.text, m.c.outcome, m.c.ts)
            .where(m.c.shop_id == self.engine.shop_id, m.c.ts >= since)
            .order_by(m.c.conversation_id, m.c.seq)
        )
        rows = self.engine.data.execute(stmt.limit(50_000))
        h = t.handoff_tickets
        reasons = {
            r["conversation_id"]: r["reason"]
            for r in self.engine.data.execute(
                select(h.c.conversation_id, h.c.reason).where(
                    h.c.shop_id == self.engine.shop_id, h.c.created_at >= since
                )
            )
        }
        out: list[dict[str, Any]] = []
        last_question: dict[str, Any] | None = None
        pending: dict[str, Any] | None = None
        for r in rows:
            if r["role"] == "customer":
                last_question = r
            elif (
                r["role"] == "assistant"
                and last_question is not None
                and last_question["conversation_id"] == r["conversation_id"]
            ):
                if r["outcome"] == "declined" or (
                    r["outcome"] == "handoff"
                    and reasons.get(r["conversation_id"]) in ("unanswered", "failures")
                ):
                    pending = {
                        "conversation_id": r["conversation_id"],
                        "text": last_question["text"],
                        "ts": last_question["ts"],
                        "agent_reply": None,
                    }
                    out.append(pending)
                else:
                    pending = None
            elif (
                r["role"] == "agent"
                and pending is not None
                and pending["conversation_id"] == r["conversation_id"]
                and pending["agent_reply"] is None
            ):
                pending["agent_reply"] = r["text"]
        return out

    def clusters(self, days: int = 90) -> list[dict[str, Any]]:
        """Unanswered questions grouped by meaning, each with a suggested FAQ entry; questions the
        FAQ answers by now are left out."""
        bot = self.assistant()
        open_questions = []
        for q in self.unanswered(days):
            hit = bot.knowledge.search(q["text"], detect_language(q["text"]), k=1)
            if not hit or hit[0].score < bot.kb_threshold:
                open_questions.append(q)
        return [c.as_dict() for c in cluster_questions(open_questions, bot.intents.normalizer_)]

    def approve(
        self,
        question: str,
        answer: str,
        alternates: Sequence[str] = (),
        language: str | None = None,
        intent: str | None = None,
    ) -> dict[str, Any]:
        """Turn a suggested FAQ entry into an answered one: the same question is answered from now on."""
        return self.add_faq(question, answer, language, alternates, intent, origin="learned")

    # -- numbers and retention ------------------------------------------------------------------------
    def metrics(self, days: int = 30) -> dict[str, Any]:
        since = utcnow() - dt.timedelta(days=days)
        m, h = t.chat_messages, t.handoff_tickets
        outcomes = {
            r["outcome"]: int(r["n"])
            for r in self.engine.data.execute(
                select(m.c.outcome, func.count().label("n"))
                .where(m.c.shop_id == self.engine.shop_id, m.c.role == "assistant", m.c.ts >= since)
                .group_by(m.c.outcome)
            )
        }
        tickets = self.engine.data.execute(
            select(h.c.status, h.c.reason, h.c.created_at, h.c.first_response_at).where(
                h.c.shop_id == self.engine.shop_id, h.c.created_at >= since
            )
        )
        waits = [
            (r["first_response_at"] - r["created_at"]).total_seconds()
            for r in tickets
            if r["first_response_at"]
        ]
        replies = sum(outcomes.values())
        by_reason: dict[str, int] = {}
        for r in tickets:
            by_reason[r["reason"]] = by_reason.get(r["reason"], 0) + 1
        return {
            "days": days,
            "replies": replies,
            "outcomes": outcomes,
            "answered_rate": round(outcomes.get("answered", 0) / replies, 4) if replies else None,
            "handoff_rate": round(outcomes.get("handoff", 0) / replies, 4) if replies else None,
            "tickets": len(tickets),
            "open_tickets": sum(1 for r in tickets if r["status"] == "open"),
            "tickets_by_reason": by_reason,
            "first_response_s_median": round(statistics.median(waits), 1) if waits else None,
            "first_response_s_p90": round(sorted(waits)[int(0.9 * (len(waits) - 1))], 1) if waits else None,
        }

    def _maybe_purge(self) -> None:
        if time.monotonic() - self._purged > 3600:
            self._purged = time.monotonic()
            self.purge()

    def purge(self, now: dt.datetime | None = None) -> int:
        """Delete conversations (messages, tickets) untouched for ``assistant_retention_days``."""
        days = self.engine.app.settings.assistant_retention_days
        if days <= 0:
            return 0
        cutoff = (now or utcnow()) - dt.timedelta(days=days)
        c, m, h = t.conversations, t.chat_messages, t.handoff_tickets
        shop = self.engine.shop_id
        with self.engine.app.store.begin() as conn:
            old = select(c.c.conversation_id).where(c.c.shop_id == shop, c.c.updated_at < cutoff)
            conn.execute(delete(m).where(m.c.shop_id == shop, m.c.conversation_id.in_(old)))
            conn.execute(delete(h).where(h.c.shop_id == shop, h.c.conversation_id.in_(old)))
            n = conn.execute(delete(c).where(c.c.shop_id == shop, c.c.updated_at < cutoff)).rowcount
        return int(n or 0)
