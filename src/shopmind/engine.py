"""The engine: one :class:`Shopmind` per installation, one :class:`Engine` per shop.

``Shopmind`` owns the I/O: settings, the store, the model registry, credentials and the audit log.
``Engine`` is a shop's entry point: it writes the shop's data, trains the shop's models and answers
queries. The API, the console and the CLI are thin layers over these two classes.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import pandas as pd
from sqlalchemy import func, select, update

from shopmind.auth.secrets import (
    ContactCipher,
    VerifiedCache,
    hash_password,
    load_or_create_secret,
    mask_contact,
    new_api_key,
    parse_api_key,
    verify_hash,
)
from shopmind.config import Settings
from shopmind.errors import (
    AuthenticationError,
    InvalidParameterError,
    NotFittedError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    ShopmindError,
)
from shopmind.registry import ModelRegistry, ModelVersion
from shopmind.schema import tables as t
from shopmind.schema.models import CREATE_MODELS, OrderCreate
from shopmind.store import ShopStore, Store, UpsertResult, open_store
from shopmind.store.core import utcnow

if TYPE_CHECKING:
    from shopmind.assistant.desk import ServiceDesk

# What each role may do. A service key sends events and reads serving endpoints only.
PERMISSIONS: dict[str, frozenset[str]] = {
    "owner": frozenset(
        {
            "events:write",
            "data:write",
            "data:read",
            "serve:read",
            "contacts:read",
            "keys:manage",
            "models:train",
            "audit:read",
            "audiences:export",
        }
    ),
    # Audience exports hold SHA-256 hashes of contacts, never the contacts themselves.
    "analyst": frozenset({"data:read", "serve:read", "models:train", "audiences:export"}),
    "service": frozenset({"events:write", "serve:read"}),
}


@dataclass(frozen=True)
class Principal:
    """Who is calling: the shop they belong to, their role and how to name them in the audit log."""

    shop_id: str
    role: str
    actor: str

    def require(self, permission: str) -> None:
        if permission not in PERMISSIONS.get(self.role, frozenset()):
            raise PermissionDeniedError(
                f"The {self.role} role may not do this (needs {permission!r}). Use a key with a role that may, "
                f"e.g. one made by `shopmind keys create --role owner`."
            )

    @property
    def can(self) -> frozenset[str]:
        return PERMISSIONS.get(self.role, frozenset())


class TokenBucket:
    """Per-key rate limit: ``rate`` tokens a second, up to ``burst`` saved up."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate, self.burst = rate, burst
        self._state: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str, n: float) -> None:
        now = time.monotonic()
        with self._lock:
            tokens, last = self._state.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if n > tokens:
                self._state[key] = (tokens, now)
                wait = (n - tokens) / self.rate
                raise RateLimitedError(
                    f"Rate limit reached for this key ({self.rate:g} events/s). Retry in {wait:.1f} s or send smaller batches.",
                    retry_after=wait,
                )
            self._state[key] = (tokens - n, now)


#: Trainable model kinds: name -> function(ShopStore) -> (model, metrics, data sizes).
Trainer = Callable[[ShopStore], tuple[Any, dict[str, Any], dict[str, int]]]


def _trainers(workdir: Path | None = None, settings: Settings | None = None) -> dict[str, Trainer]:
    """The trainers; *workdir* is the shop's folder for caches (catalog embeddings, images)."""
    from shopmind.customers.train import train_customers
    from shopmind.forecast.train import train_forecast
    from shopmind.recommend.popularity import train_popularity
    from shopmind.recommend.train import train_recommender
    from shopmind.search.train import train_search, train_visual

    semantic = settings.search_semantic if settings is not None else True

    def search(data: ShopStore) -> tuple[Any, dict[str, Any], dict[str, int]]:
        return train_search(data, workdir=workdir, semantic=semantic)

    def visual(data: ShopStore) -> tuple[Any, dict[str, Any], dict[str, int]]:
        return train_visual(data, workdir=workdir)

    def assistant(data: ShopStore) -> tuple[Any, dict[str, Any], dict[str, int]]:
        from shopmind.assistant.desk import load_settings, train_assistant

        dialect = load_settings(workdir)["dialect"] if workdir is not None else {}
        semantic = settings.assistant_semantic if settings is not None else True
        return train_assistant(data, dialect, semantic, workdir)

    return {
        "popularity": train_popularity,
        "recommender": train_recommender,
        "customers": train_customers,
        "forecast": train_forecast,
        "search": search,
        "visual": visual,
        "assistant": assistant,
    }


class Shopmind:
    """An installation: settings, store, model registry, credentials, audit log."""

    def __init__(self, settings: Settings, store: Store) -> None:
        self.settings = settings
        self.store = store
        self.registry = ModelRegistry(settings.data_dir / "models")
        self.secret = load_or_create_secret(settings.data_dir, settings.secret_key)
        self.cipher = ContactCipher(self.secret)
        self._verified = VerifiedCache()
        self.rate_limiter = TokenBucket(settings.events_rate_limit, settings.events_burst)
        self._engines: dict[str, Engine] = {}
        self._lock = threading.Lock()

    @classmethod
    def open(cls, settings: Settings | None = None) -> Shopmind:
        settings = settings or Settings()
        return cls(settings, open_store(settings.resolved_database_url()))

    def close(self) -> None:
        self.store.close()

    def engine(self, shop_id: str) -> Engine:
        """The engine of one shop (cached)."""
        with self._lock:
            eng = self._engines.get(shop_id)
            if eng is None:
                eng = Engine(self, self.store.shop(shop_id))
                self._engines[shop_id] = eng
            return eng

    # -- shops and credentials -------------------------------------------------------------------
    def create_shop(self, shop_id: str, name: str, **kw: Any) -> Engine:
        self.store.create_shop(shop_id, name, **kw)
        return self.engine(shop_id)

    def create_api_key(self, shop_id: str, name: str, role: str) -> tuple[str, str]:
        """Create a key; returns (key id, full key). The full key is shown once and never stored."""
        if role not in t.ROLES:
            raise InvalidParameterError(f"Unknown role {role!r}. Use one of: {', '.join(t.ROLES)}.")
        self.store.shop(shop_id)  # raises for an unknown shop
        key_id, full, hashed = new_api_key()
        self.store.insert_row(
            t.api_keys,
            {
                "key_id": key_id,
                "shop_id": shop_id,
                "name": name,
                "role": role,
                "secret_hash": hashed,
                "created_at": utcnow(),
            },
        )
        self.audit(
            Principal(shop_id, "owner", "cli"), "create", f"api_keys/{key_id}", {"role": role, "name": name}
        )
        return key_id, full

    def revoke_api_key(self, key_id: str, shop_id: str | None = None) -> None:
        row = self.store.get_api_key(key_id)
        if row is None or (shop_id is not None and row["shop_id"] != shop_id):
            raise NotFoundError(
                f"No API key {key_id!r}{' in shop ' + repr(shop_id) if shop_id else ''}. List keys with `shopmind keys list`."
            )
        with self.store.begin() as conn:
            conn.execute(update(t.api_keys).where(t.api_keys.c.key_id == key_id).values(revoked_at=utcnow()))
        self.audit(Principal(row["shop_id"], "owner", "cli"), "delete", f"api_keys/{key_id}", None)

    def list_api_keys(self, shop_id: str) -> list[dict[str, Any]]:
        with self.store.engine.connect() as conn:
            rows = conn.execute(
                select(t.api_keys).where(t.api_keys.c.shop_id == shop_id).order_by(t.api_keys.c.created_at)
            ).mappings()
            return [{k: v for k, v in r.items() if k != "secret_hash"} for r in rows]

    def authenticate_key(self, full_key: str) -> Principal:
        key_id, secret = parse_api_key(full_key)
        row = self.store.get_api_key(key_id)
        if row is None or not self._verified.verify(key_id, row["secret_hash"], secret):
            raise AuthenticationError(
                "This API key is not valid. Check it, or create a new one with `shopmind keys create`."
            )
        if row["revoked_at"] is not None:
            raise AuthenticationError(
                "This API key was revoked. Create a new one with `shopmind keys create`."
            )
        return Principal(row["shop_id"], row["role"], f"key:{key_id}")

    def session_principal(self, session: Mapping[str, Any]) -> Principal | None:
        """The caller of a console session, if its key or account is still valid: a revoked key or a
        disabled account ends its sessions at once, and a changed role applies at once."""
        actor = str(session.get("actor") or "")
        kind, _, name = actor.partition(":")
        row = (
            self.store.get_api_key(name)
            if kind == "key"
            else self.store.get_user(name)
            if kind == "user"
            else None
        )
        if row is None or row.get("revoked_at") is not None or row.get("disabled_at") is not None:
            return None
        if row["shop_id"] != session.get("shop_id"):
            return None
        return Principal(row["shop_id"], row["role"], actor)

    def create_user(self, shop_id: str, username: str, password: str, role: str = "owner") -> None:
        if role not in t.ROLES:
            raise InvalidParameterError(f"Unknown role {role!r}. Use one of: {', '.join(t.ROLES)}.")
        if len(password) < 8:
            raise InvalidParameterError("A password needs at least 8 characters.")
        self.store.shop(shop_id)
        if self.store.get_user(username) is not None:
            raise InvalidParameterError(f"User {username!r} already exists. Pick another name.")
        self.store.insert_row(
            t.users,
            {
                "username": username,
                "shop_id": shop_id,
                "role": role,
                "password_hash": hash_password(password),
                "created_at": utcnow(),
            },
        )

    def authenticate_user(self, username: str, password: str) -> Principal:
        row = self.store.get_user(username)
        if row is None or row["disabled_at"] is not None or not verify_hash(row["password_hash"], password):
            raise AuthenticationError("Wrong user name or password.")
        return Principal(row["shop_id"], row["role"], f"user:{username}")

    # -- audit -------------------------------------------------------------------------------------
    @staticmethod
    def audit_row(
        who: Principal, action: str, resource: str, detail: Mapping[str, Any] | None
    ) -> dict[str, Any]:
        return {
            "ts": utcnow(),
            "shop_id": who.shop_id,
            "actor": who.actor,
            "role": who.role,
            "action": action,
            "resource": resource[:200],
            "detail": dict(detail) if detail else None,
        }

    def audit(self, who: Principal, action: str, resource: str, detail: Mapping[str, Any] | None) -> None:
        self.store.insert_row(t.audit_log, self.audit_row(who, action, resource, detail))

    def audit_entries(self, shop_id: str, limit: int = 100) -> list[dict[str, Any]]:
        with self.store.engine.connect() as conn:
            rows = conn.execute(
                select(t.audit_log)
                .where(t.audit_log.c.shop_id == shop_id)
                .order_by(t.audit_log.c.audit_id.desc())
                .limit(limit)
            ).mappings()
            return [dict(r) for r in rows]


class Engine:
    """One shop: its data, its models, its answers."""

    def __init__(self, app: Shopmind, data: ShopStore) -> None:
        self.app = app
        self.data = data
        self.shop_id = data.shop_id
        self._overview_cache: tuple[float, dict[str, Any]] | None = None
        self._stock_cache: tuple[float, frozenset[str]] | None = None
        self._search_lock = threading.Lock()
        self._search_checked = 0.0  # monotonic time the search index was last synced with the store
        self._analytics_cache: dict[tuple[int | None, int], tuple[float, dict[str, Any]]] = {}
        self._desk: Any = None

    @property
    def desk(self) -> ServiceDesk:
        """Customer service: the assistant, its conversations, hand-offs and FAQ."""
        if self._desk is None:
            from shopmind.assistant.desk import ServiceDesk

            self._desk = ServiceDesk(self)
        return cast("ServiceDesk", self._desk)

    @property
    def workdir(self) -> Path:
        """This shop's folder under the data directory (caches, product images, search settings)."""
        return Path(self.app.settings.data_dir) / "shops" / self.shop_id

    # -- writes ------------------------------------------------------------------------------------
    def to_rows(self, table: str, records: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Store rows from validated records (``XCreate.row()`` dicts): encrypts contact data."""
        rows = [dict(r) for r in records]
        if table == "customers":
            cipher = self.app.cipher
            for r in rows:
                for kind in ("email", "phone"):
                    if kind in r:
                        value = r.pop(kind)
                        r[f"{kind}_enc"] = cipher.encrypt(value)
                        r[f"{kind}_hash"] = cipher.blind_index(value, kind)
        return rows

    def upsert(self, table: str, records: Sequence[Any]) -> UpsertResult:
        """Validate (if not yet) and upsert records of ``table``; orders may carry their items."""
        model = CREATE_MODELS.get(table)
        if model is None:
            raise InvalidParameterError(f"Unknown table {table!r}. Use one of: {', '.join(CREATE_MODELS)}.")
        parsed = [r if isinstance(r, model) else model.model_validate(r) for r in records]
        rows = self.to_rows(table, (p.row() for p in parsed))
        with self.app.store.begin() as conn:
            result = self.data.upsert(table, rows, conn=conn)
            if table == "orders":
                items = [i for p in parsed if isinstance(p, OrderCreate) for i in p.item_rows()]
                if items:
                    self.data.upsert("order_items", items, conn=conn)
        self._overview_cache = None
        if table == "inventory":
            self._stock_cache = None
        if table == "products" and self.app.registry.promoted(self.shop_id, "search") is not None:
            self.search_model(sync=True)  # incremental indexing: changed products are searchable now
        return result

    def add_events(
        self, rows: Sequence[Mapping[str, Any]], *, audit: tuple[Principal, str, dict[str, Any]] | None = None
    ) -> int:
        """Append events (validated rows); events already stored (same id) are ignored.

        ``audit`` (who, resource, detail) is written in the same transaction: one commit a batch.
        """
        with self.app.store.begin() as conn:
            inserted = self.data.append_events(rows, conn=conn)
            if audit is not None:
                who, resource, detail = audit
                conn.execute(
                    t.audit_log.insert().values(
                        **self.app.audit_row(who, "create", resource, {**detail, "inserted": inserted})
                    )
                )
        if inserted:
            self._analytics_cache.clear()  # new searches and clicks change the search report
        return inserted

    # -- reads -------------------------------------------------------------------------------------
    def present(self, table: str, row: dict[str, Any], who: Principal) -> dict[str, Any]:
        """A row as ``who`` may see it: contacts in clear for owners, masked for analysts,
        absent for service keys; ciphertexts and blind indexes never leave."""
        if table != "customers":
            return row
        out = {k: v for k, v in row.items() if not k.endswith(("_enc", "_hash"))}
        if "data:read" in who.can:
            for kind in ("email", "phone"):
                clear = self.app.cipher.decrypt(row.get(f"{kind}_enc"))
                out[kind] = clear if "contacts:read" in who.can else mask_contact(clear, kind)
        return out

    def get(self, table: str, key: Mapping[str, Any], who: Principal) -> dict[str, Any]:
        row = self.data.get(table, key)
        if row is None:
            keys = ", ".join(f"{k}={v}" for k, v in key.items())
            raise NotFoundError(f"No {table} row with {keys} in this shop.")
        return self.present(table, row, who)

    def rows(self, table: str, who: Principal, **kw: Any) -> list[dict[str, Any]]:
        return [self.present(table, r, who) for r in self.data.rows(table, **kw)]

    def counts(self) -> dict[str, int]:
        return {name: self.data.count(name) for name in t.DATA_TABLES}

    # -- models ------------------------------------------------------------------------------------
    @staticmethod
    def model_kinds() -> list[str]:
        return sorted(_trainers())

    def train(
        self,
        kinds: Sequence[str] | None = None,
        *,
        on_start: Callable[[str], None] | None = None,
        on_skip: Callable[[str, str], None] | None = None,
    ) -> list[ModelVersion]:
        """Train and promote the given model kinds (all when ``None``).

        When training all kinds, a kind the shop has no data for yet (no orders for the customer
        model, say) is skipped and reported to ``on_skip(kind, reason)``; asked for by name, it fails.
        """
        trainers = _trainers(self.workdir, self.app.settings)
        unknown = [k for k in (kinds or []) if k not in trainers]
        if unknown:
            raise InvalidParameterError(
                f"Unknown model kind {unknown[0]!r}. Use one of: {', '.join(trainers)}."
            )
        done = []
        for kind in kinds or list(trainers):
            if on_start:
                on_start(kind)
            try:
                model, metrics, sizes = trainers[kind](self.data)
            except NotFittedError as exc:
                if kinds:
                    raise
                if on_skip:
                    on_skip(kind, exc.message)
                continue
            done.append(self.app.registry.save(self.shop_id, kind, model, metrics=metrics, data_size=sizes))
            self.app.registry.cleanup(
                self.shop_id, kind, keep=3
            )  # artifacts can be large: keep a few to roll back to
        return done

    def model(self, kind: str) -> Any:
        """The promoted model of ``kind``; a newly promoted version is picked up on the next call."""
        return self.app.registry.load(self.shop_id, kind)

    def models(self) -> list[dict[str, Any]]:
        out = []
        for kind in self.model_kinds():
            mv = self.app.registry.promoted(self.shop_id, kind)
            out.append({"kind": kind, "version": mv.version if mv else None, "meta": mv.meta if mv else None})
        return out

    # -- recommendations ---------------------------------------------------------------------------
    def recent_events(
        self, *, customer_id: str | None = None, session_id: str | None = None, minutes: int = 30
    ) -> pd.DataFrame:
        """The latest events of a customer or a session (what makes recommendations real-time)."""
        ev = t.events
        col = ev.c.customer_id if customer_id is not None else ev.c.session_id
        since = utcnow() - dt.timedelta(minutes=minutes)
        stmt = (
            select(ev.c.event_type, ev.c.sku, ev.c.query, ev.c.ts)
            .where(
                ev.c.shop_id == self.shop_id,
                col == (customer_id if customer_id is not None else session_id),
                ev.c.ts >= since,
            )
            .order_by(ev.c.ts.desc())
            .limit(100)
        )
        return pd.DataFrame(self.data.execute(stmt), columns=["event_type", "sku", "query", "ts"])

    def purchased(self, customer_id: str) -> set[str]:
        """Everything the customer bought, from orders and purchase events (also since training)."""
        oi, o, ev = t.order_items, t.orders, t.events
        from_orders = (
            select(oi.c.sku)
            .join(o, (o.c.shop_id == oi.c.shop_id) & (o.c.order_id == oi.c.order_id))
            .where(oi.c.shop_id == self.shop_id, o.c.customer_id == customer_id, o.c.status != "cancelled")
        )
        from_events = select(ev.c.sku).where(
            ev.c.shop_id == self.shop_id, ev.c.customer_id == customer_id, ev.c.event_type == "purchase"
        )
        return {r["sku"] for r in self.data.execute(from_orders.union(from_events)) if r["sku"]}

    def out_of_stock(self) -> frozenset[str]:
        """Products with no stock at any location. A full scan of inventory costs ~200 ms at 100,000
        products, so serving reuses it for ``stock_cache_s`` seconds (inventory writes through this
        engine clear it)."""
        cached = self._stock_cache
        if cached is not None and time.monotonic() - cached[0] < self.app.settings.stock_cache_s:
            return cached[1]
        inv = t.inventory
        empty = (
            select(inv.c.sku)
            .where(inv.c.shop_id == self.shop_id)
            .group_by(inv.c.sku)
            .having(func.sum(inv.c.on_hand) <= 0)
        )
        found = frozenset(r["sku"] for r in self.data.execute(empty))
        self._stock_cache = (time.monotonic(), found)
        return found

    def recommend(
        self,
        customer_id: str | None,
        n: int = 10,
        *,
        session_id: str | None = None,
        events: pd.DataFrame | None = None,
        province: str | None = None,
        categories: Sequence[str] = (),
        onboarding: Sequence[str] = (),
    ) -> list[Any]:
        """Recommendations for a customer or an anonymous session, reading their latest events."""
        model = self.model("recommender")
        recent = []
        if customer_id is not None:
            recent.append(self.recent_events(customer_id=customer_id))
        if session_id is not None:
            recent.append(self.recent_events(session_id=session_id))
        if events is not None and len(events):
            recent.append(events)
        frame = (
            pd.concat([r for r in recent if len(r)], ignore_index=True)
            if any(len(r) for r in recent)
            else None
        )
        if customer_id is not None and province is None:
            row = self.data.get("customers", {"customer_id": customer_id})
            province = row["province"] if row else None
        bought = self.purchased(customer_id) if customer_id is not None else set()
        return list(
            model.recommend(
                customer_id,
                n,
                recent_events=frame,
                purchased=bought,
                province=province,
                categories=categories,
                onboarding=onboarding,
                out_of_stock=self.out_of_stock(),
                now=dt.datetime.now(dt.UTC),
            )
        )

    def evaluate_recommender(self, k: int = 10, split: str = "temporal") -> dict[str, Any]:
        """Evaluate the recommender offline on this shop's data and keep the report for the console."""
        import json
        import os

        from shopmind.recommend.train import evaluate_recommender

        report = evaluate_recommender(self.data, k=k, split=split)
        report["created"] = dt.datetime.now(dt.UTC).isoformat()
        path = self.report_path("recommend-evaluation")
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(report, ensure_ascii=False, indent=2))
        os.replace(tmp, path)
        return report

    def report_path(self, name: str) -> Any:
        return self.app.settings.data_dir / "reports" / self.shop_id / f"{name}.json"

    def report(self, name: str) -> dict[str, Any] | None:
        """A stored report (e.g. ``recommend-evaluation``), or None if it was never made."""
        import json

        path = self.report_path(name)
        return json.loads(path.read_text()) if path.exists() else None

    # -- customers ---------------------------------------------------------------------------------
    def refresh_customers(self) -> dict[str, Any]:
        """Bring the customer model up to now, re-reading only customers whose orders changed."""
        from shopmind.customers.train import refresh_customers

        fresh, info = refresh_customers(self.data, self.model("customers"))
        mv = self.app.registry.save(
            self.shop_id, "customers", fresh, metrics=info, data_size={"customers": len(fresh.customers_)}
        )
        self.app.registry.cleanup(self.shop_id, "customers", keep=3)
        return {**info, "version": mv.version, "as_of": fresh.as_of_.isoformat()}

    def customer_events(self, customer_id: str | None = None) -> pd.DataFrame:
        """Events recent enough for the real-time tag rules (one customer's, or everyone's)."""
        from shopmind.customers.tags import TAG_EVENT_COLUMNS, window_hours

        model = self.model("customers")
        ev = t.events
        since = utcnow() - dt.timedelta(hours=window_hours(model.tag_rules))
        stmt = select(*[ev.c[c] for c in TAG_EVENT_COLUMNS]).where(
            ev.c.shop_id == self.shop_id, ev.c.ts >= since, ev.c.customer_id.is_not(None)
        )
        if customer_id is not None:
            stmt = stmt.where(ev.c.customer_id == customer_id)
        return pd.DataFrame(self.data.execute(stmt), columns=list(TAG_EVENT_COLUMNS))

    def customer_insight(self, customer_id: str) -> dict[str, Any]:
        """One customer: segment, value, churn risk, profile, live tags, top category, suggested action."""
        model = self.model("customers")
        facts = model.customer(customer_id)
        tags = model.tags(self.customer_events(customer_id)).get(customer_id, [])
        if facts.get("action"):
            # The personalized part of a retention action: what the recommender would show them.
            with contextlib.suppress(ShopmindError):
                facts["action"]["recommended"] = [r.as_dict() for r in self.recommend(customer_id, 3)]
        return {**facts, "tags": [tag.as_dict() for tag in tags], "as_of": model.as_of_.isoformat()}

    def segments(self) -> dict[str, Any]:
        """Segment sizes, revenue share and movement over time, for the console and the API."""
        return dict(self.model("customers").overview())

    def audience(self, audience: Any) -> pd.DataFrame:
        """The customers in an audience (an :class:`~shopmind.customers.audience.AudienceFilter`)."""
        from shopmind.customers.audience import select_audience
        from shopmind.customers.service import tags_by_customer

        model = self.model("customers")
        tags = tags_by_customer(model.tags(self.customer_events())) if audience.tags else {}
        return select_audience(model.customers_.reset_index(), audience, tags)

    def audience_export(self, audience: Any, phone_format: str = "digits") -> tuple[str, int]:
        """CSV of SHA-256 hashes of the audience's normalized contacts (consent required); no raw
        contact and no customer id leaves. Returns the CSV text and the number of rows."""
        from shopmind.customers.audience import hashed_contacts

        members = self.audience(audience.model_copy(update={"consent_only": True}))
        ids = members["customer_id"].astype(str).tolist()
        c = t.customers
        rows: list[dict[str, Any]] = []
        for i in range(0, len(ids), 500):
            stmt = select(c.c.customer_id, c.c.email_enc, c.c.phone_enc).where(
                c.c.shop_id == self.shop_id, c.c.customer_id.in_(ids[i : i + 500])
            )
            rows += self.data.execute(stmt)
        hashed = hashed_contacts(rows, self.app.cipher.decrypt, phone_format=phone_format)  # type: ignore[arg-type]
        hashed = hashed.dropna(subset=["email_sha256", "phone_sha256"], how="all")
        out = hashed[["email_sha256", "phone_sha256"]]
        return out.to_csv(index=False), len(out)

    # -- forecasts ---------------------------------------------------------------------------------
    def forecast_for(self, sku: str, location_id: str | None = None, history: int = 90) -> dict[str, Any]:
        """A SKU's demand history, forecast and intervals (per location when it has several)."""
        return dict(self.model("forecast").forecast_for(sku, location_id, history))

    def replenishment(self, only_orders: bool = False) -> dict[str, Any]:
        """The replenishment plan and the stock-out / expiry alerts of the last forecast."""
        return dict(self.model("forecast").replenishment(only_orders))

    def replenishment_file(
        self, fmt: str, only_orders: bool = False, lang: str = "zh-CN"
    ) -> tuple[bytes, str]:
        """The plan and alerts as CSV (the plan only) or Excel (two sheets), reasons in ``lang``."""
        import io

        data = self.replenishment(only_orders)
        drop = "_en" if lang.startswith("zh") else "_zh"
        plan = pd.DataFrame(data["plan"])
        plan = plan[[c for c in plan.columns if not c.endswith(drop)]]
        alerts = pd.DataFrame(data["alerts"])
        alerts = alerts[[c for c in alerts.columns if not c.endswith(drop)]]
        if fmt == "csv":
            # UTF-8 with a byte-order mark so that Excel opens the Chinese reasons correctly.
            return plan.to_csv(index=False).encode("utf-8-sig"), "text/csv; charset=utf-8"
        if fmt == "xlsx":
            buffer = io.BytesIO()
            with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
                plan.to_excel(writer, sheet_name="replenishment", index=False)
                alerts.to_excel(writer, sheet_name="alerts", index=False)
            return buffer.getvalue(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        raise InvalidParameterError(f"Unknown format {fmt!r}: use json, csv or xlsx.")

    # -- search ------------------------------------------------------------------------------------
    def search_model(self, sync: bool = False) -> Any:
        """The promoted search index, brought up to date with products changed since it was built
        (checked every ``search_sync_s`` seconds, or now with ``sync=True``)."""
        from shopmind.search.train import PRODUCT_COLUMNS

        model = self.model("search")
        if not getattr(model, "warmed_", False):
            # the first query would pay jieba's dictionary, pinyin tables and the embedder's set-up
            # (about 2 s): a shopper should not
            model.search("warm up 预热", limit=1, explain=False)
            model.warmed_ = True
        now = time.monotonic()
        if not sync and now - self._search_checked < self.app.settings.search_sync_s:
            return model
        with self._search_lock:
            self._search_checked = now
            since = getattr(model, "synced_at_", None)
            p = t.products
            cols = [p.c[c] for c in PRODUCT_COLUMNS]
            stmt = select(*cols).where(p.c.shop_id == self.shop_id)
            if since is not None:
                stmt = stmt.where(p.c.updated_at > since)
            changed = pd.DataFrame(self.data.execute(stmt), columns=PRODUCT_COLUMNS)
            if len(changed):
                active = changed[changed["status"] == "active"]
                gone = changed.loc[changed["status"] != "active", "sku"].astype(str).tolist()
                if len(active):
                    model.upsert(active.drop(columns=["updated_at"]))
                if gone:
                    model.remove(gone)
                model.synced_at_ = pd.to_datetime(changed["updated_at"], utc=True).max().to_pydatetime()
        return model

    def customer_profile(self, customer_id: str, days: int = 180) -> dict[str, dict[str, float]]:
        """What a customer likes, for search personalisation: shares of their recent product events
        by top-level category, brand and province of origin (each scaled so the largest is 1)."""
        ev, p = t.events, t.products
        since = utcnow() - dt.timedelta(days=days)
        stmt = (
            select(p.c.category, p.c.brand, p.c.origin_province, ev.c.event_type)
            .join(p, (p.c.shop_id == ev.c.shop_id) & (p.c.sku == ev.c.sku))
            .where(ev.c.shop_id == self.shop_id, ev.c.customer_id == customer_id, ev.c.ts >= since)
            .limit(2000)
        )
        weight = {"purchase": 3.0, "add_to_cart": 1.5, "favorite": 1.0, "click": 0.5, "view": 0.5}
        out: dict[str, dict[str, float]] = {"categories": {}, "brands": {}, "provinces": {}}
        for r in self.data.execute(stmt):
            w = weight.get(r["event_type"], 0.0)
            for key, value in (
                ("categories", (r["category"] or "").split("/")[0]),
                ("brands", r["brand"]),
                ("provinces", r["origin_province"]),
            ):
                if value:
                    out[key][value] = out[key].get(value, 0.0) + w
        for key, shares in out.items():
            top = max(shares.values(), default=0.0)
            out[key] = {k: v / top for k, v in shares.items()} if top else {}
        return out

    def search(
        self,
        query: str,
        *,
        filters: str | None = None,
        customer_id: str | None = None,
        session_id: str | None = None,
        limit: int = 10,
        offset: int = 0,
        sort: str | None = None,
        log: bool = True,
    ) -> dict[str, Any]:
        """Search the catalog (see :class:`shopmind.search.ProductSearch`); with a customer or
        session id the search is stored as a ``search`` event with its result count (analytics,
        and what recommendations follow)."""
        import uuid

        model = self.search_model()
        profile = self.customer_profile(customer_id) if customer_id else None
        result: dict[str, Any] = model.search(
            query,
            limit=limit,
            offset=offset,
            filters=filters,
            profile=profile,
            out_of_stock=self.out_of_stock(),
            sort=sort,
        ).as_dict()
        result["search_id"] = None
        if log and (customer_id or session_id) and query.strip():
            search_id = uuid.uuid4().hex
            self.add_events(
                [
                    {
                        "event_id": f"search-{search_id}",
                        "event_type": "search",
                        "customer_id": customer_id,
                        "session_id": session_id,
                        "query": query[:500],
                        "ts": utcnow(),
                        "properties": {"results": result["total"], "search_id": search_id},
                    }
                ]
            )
            result["search_id"] = search_id
        return result

    def search_image(self, image: bytes, limit: int = 10) -> dict[str, Any]:
        """Products whose pictures look most like *image* (the ``visual`` model)."""
        started = time.perf_counter()
        found = self.model("visual").search(image, limit)
        skus = [s for s, _ in found]
        p = t.products
        stmt = select(p.c.sku, p.c.title, p.c.title_en, p.c.price, p.c.category, p.c.image_path).where(
            p.c.shop_id == self.shop_id, p.c.sku.in_(skus)
        )
        rows = {r["sku"]: r for r in self.data.execute(stmt)}
        hits = [
            {**rows[s], "rank": i + 1, "similarity": round(sim, 4)}
            for i, (s, sim) in enumerate(found)
            if s in rows
        ]
        return {"hits": hits, "took_ms": round((time.perf_counter() - started) * 1000, 2)}

    def search_suggest(self, prefix: str, limit: int = 8) -> list[dict[str, Any]]:
        return list(self.search_model().suggest(prefix, limit))

    def search_analytics(
        self, days: int | None = 30, top: int = 20, max_age_s: float = 30.0
    ) -> dict[str, Any]:
        """Top queries, zero-result queries and click-through (:mod:`shopmind.search.analytics`).

        It reads every event, so the console's search page (which shows it on each query) reuses a
        report for ``max_age_s`` seconds, until events arrive through this engine."""
        from shopmind.search.analytics import search_analytics

        cached = self._analytics_cache.get((days, top))
        if cached and time.monotonic() - cached[0] < max_age_s:
            return cached[1]

        events = self.data.frame("events", ["event_type", "query", "session_id", "sku", "ts", "properties"])
        try:
            model = self.search_model()
        except NotFoundError:
            model = None
        count = (lambda q: model.search(q, limit=1, explain=False).total) if model is not None else None
        report = search_analytics(events, count_results=count, top=top, days=days)
        self._analytics_cache[(days, top)] = (time.monotonic(), report)
        return report

    def search_settings(self) -> dict[str, Any]:
        from shopmind.search.train import load_settings

        return load_settings(self.workdir)

    def save_search_settings(self, settings: dict[str, Any]) -> dict[str, Any]:
        """Store the shop's synonyms, custom words and intents; they apply from the next training."""
        from shopmind.search.train import save_settings

        return save_settings(self.workdir, settings)

    # -- analytics ---------------------------------------------------------------------------------
    def overview(self, max_age_s: float = 30.0) -> dict[str, Any]:
        """Sales KPIs for the console: cached for ``max_age_s`` seconds (data writes clear it)."""
        from shopmind.features.overview import sales_overview

        cached = self._overview_cache
        if cached and time.monotonic() - cached[0] < max_age_s:
            return cached[1]
        orders = self.data.frame(
            "orders", ["order_id", "customer_id", "status", "ordered_at", "total_amount", "shipping_province"]
        )
        items = self.data.frame(
            "order_items", ["order_id", "sku", "quantity", "unit_price", "discount_amount"]
        )
        products = self.data.frame("products", ["sku", "title", "title_en", "category"])
        customers = self.data.frame("customers", ["customer_id", "province"])
        result = sales_overview(orders, items, products, customers, currency=self.currency)
        self._overview_cache = (time.monotonic(), result)
        return result

    @property
    def currency(self) -> str:
        shop = self.app.store.get_shop(self.shop_id) or {}
        return str(shop.get("currency", "CNY"))

    def frame(self, table: str, columns: Iterable[str] | None = None) -> pd.DataFrame:
        return self.data.frame(table, columns)

    def status(self) -> dict[str, Any]:
        return {
            "shop_id": self.shop_id,
            "counts": self.counts(),
            "models": self.models(),
            "generated": dt.datetime.now(dt.UTC).isoformat(),
        }
