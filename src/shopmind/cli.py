"""The ``shopmind`` command: init | import | demo | train | serve | keys | users | status.

User mistakes print one clear message and exit with a non-zero code, never a traceback.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import click
import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from shopmind.config import Settings
from shopmind.errors import NotFoundError, ShopmindError

app = typer.Typer(
    name="shopmind",
    help="shopmind: an offline-first AI engine for e-commerce. Start with `shopmind demo`.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
keys_app = typer.Typer(help="Create, list and revoke API keys.", no_args_is_help=True)
users_app = typer.Typer(help="Console user accounts.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
app.add_typer(users_app, name="users")
customers_app = typer.Typer(help="Customer segments, value, churn risk and tags.", no_args_is_help=True)
audience_app = typer.Typer(help="Audiences: count them, export hashed contacts.", no_args_is_help=True)
app.add_typer(customers_app, name="customers")
app.add_typer(audience_app, name="audience")

out = Console()
err = Console(stderr=True)

ShopOpt = Annotated[str, typer.Option("--shop", "-s", help="Shop id.", envvar="SHOPMIND_SHOP")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]

_state: dict[str, Any] = {}


@app.callback()
def _global(
    data_dir: Annotated[
        Path | None, typer.Option(help="Data folder (default: ./data or SHOPMIND_DATA_DIR).")
    ] = None,
    database_url: Annotated[
        str | None, typer.Option(help="Store URL (default: SQLite in the data folder).")
    ] = None,
) -> None:
    overrides: dict[str, Any] = {}
    if data_dir is not None:
        overrides["data_dir"] = data_dir
    if database_url is not None:
        overrides["database_url"] = database_url
    _state["settings"] = Settings(**overrides)


def _open() -> Any:
    from shopmind.engine import Shopmind

    return Shopmind.open(_state.get("settings") or Settings())


def _cli_actor(shop: str) -> Any:
    """The audit log's name for whoever runs the CLI: the operating-system user."""
    import getpass

    from shopmind.engine import Principal

    return Principal(shop, "owner", f"cli:{getpass.getuser()}")


def _emit(as_json: bool, payload: Any, human: Callable[[], None]) -> None:
    if as_json:
        out.print_json(json.dumps(payload, default=str, ensure_ascii=False))
    else:
        human()


@contextmanager
def _bar(description: str, total: int | None) -> Iterator[Callable[[int], None]]:
    """A progress bar on stderr (so --json output stays clean); yields an advance(n) function."""
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=False,
    ) as progress:
        task = progress.add_task(description, total=total)
        yield lambda n: progress.advance(task, n)


# -- init ---------------------------------------------------------------------------------------------
@app.command()
def init(
    shop: ShopOpt = "default",
    name: Annotated[str, typer.Option(help="Shop display name.")] = "",
    currency: Annotated[str, typer.Option(help="ISO currency code.")] = "CNY",
    timezone: Annotated[str, typer.Option(help="Shop time zone.")] = "Asia/Shanghai",
    as_json: JsonOpt = False,
) -> None:
    """Create the store (if needed), a shop and its first owner API key."""
    sm = _open()
    sm.create_shop(shop, name or shop, currency=currency, timezone=timezone)
    key_id, key = sm.create_api_key(shop, "initial owner key", "owner")
    _emit(
        as_json,
        {"shop_id": shop, "store": sm.store.url, "key_id": key_id, "api_key": key},
        lambda: out.print(
            f"Created shop [bold]{shop}[/] in {sm.store.url}\n"
            f"Owner API key (shown once, keep it safe): [bold green]{key}[/]"
        ),
    )


# -- import -------------------------------------------------------------------------------------------
@app.command("import")
def import_(
    path: Annotated[Path | None, typer.Argument(help="CSV, TSV, Parquet or Excel file.")] = None,
    shop: ShopOpt = "default",
    table: Annotated[
        str | None, typer.Option(help="Table the file holds: products, customers, orders, ...")
    ] = None,
    mapping: Annotated[Path | None, typer.Option(help="Column-mapping file (YAML or JSON).")] = None,
    dataset: Annotated[
        str | None,
        typer.Option(help="Load a real dataset instead: cdnow, movielens, amazon-fine-foods, orange-juice."),
    ] = None,
    rejects: Annotated[Path | None, typer.Option(help="Where to write rejected rows (CSV).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Import a file (validated row by row; bad rows go to a rejects file) or a real dataset."""
    from shopmind.ingest.core import ColumnMapping, count_rows, import_file

    sm = _open()
    engine = sm.engine(shop)
    if dataset:
        from shopmind.ingest.datasets import dataset_frames, import_frames

        with _bar(f"loading {dataset}", None):
            frames = dataset_frames(dataset)
        reports = []
        for tbl in frames:
            with _bar(f"{dataset}: {tbl}", len(frames[tbl])) as advance:
                reports += import_frames(engine, {tbl: frames[tbl]}, source=dataset, progress=advance)
    elif path is not None:
        if not path.exists():
            raise NotFoundError(f"File {path} does not exist. Check the path.")
        m = ColumnMapping.from_file(mapping) if mapping else None
        with _bar(f"importing {path.name}", count_rows(path)) as advance:
            reports = [
                import_file(engine, path, table=table, mapping=m, rejects_path=rejects, progress=advance)
            ]
    else:
        raise ShopmindError("Give a file to import, or --dataset NAME. See `shopmind import --help`.")
    for r in reports:
        sm.audit(_cli_actor(shop), "import", r.table, r.as_dict())
    _print_reports(reports, as_json)


def _print_reports(reports: list[Any], as_json: bool) -> None:
    def human() -> None:
        tbl = Table("source", "table", "rows", "inserted", "updated", "unchanged", "rejected")
        for r in reports:
            tbl.add_row(
                r.source,
                r.table,
                f"{r.rows:,}",
                f"{r.inserted:,}",
                f"{r.updated:,}",
                f"{r.unchanged:,}",
                f"[red]{r.rejected:,}[/]" if r.rejected else "0",
            )
        out.print(tbl)
        for r in reports:
            if r.rejects_file:
                out.print(
                    f"[yellow]{r.rejected} row(s) of {r.source} rejected[/]; reasons in {r.rejects_file}"
                )
                for rej in r.rejects[:5]:
                    out.print(f"  row {rej.row}, column {rej.column!r}, value {rej.value!r}: {rej.reason}")
            if r.duplicate_keys:
                out.print(
                    f"[yellow]{r.duplicate_keys} row(s) of {r.source} repeat an id seen earlier in the file; the last one wins.[/]"
                )
            if r.ignored_columns:
                out.print(
                    f"Columns not imported from {r.source}: {', '.join(r.ignored_columns)} (map them with --mapping)."
                )

    _emit(as_json, [r.as_dict() for r in reports], human)


# -- demo ---------------------------------------------------------------------------------------------
@app.command()
def demo(
    shop: ShopOpt = "demo",
    seed: Annotated[int, typer.Option(help="Random seed: the same seed builds the same store.")] = 7,
    small: Annotated[bool, typer.Option(help="A small store for quick tries and tests.")] = False,
    serve: Annotated[bool, typer.Option(help="Serve the API and console afterwards.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Build the demo store (a rural-produce shop), train the models and print how to log in."""
    from shopmind.datasets.demo import DemoSize, generate_demo_store
    from shopmind.ingest.datasets import import_frames

    sm = _open()
    if sm.store.get_shop(shop) is None:
        sm.create_shop(shop, "山野好物 · 示范店 (demo)")
    engine = sm.engine(shop)
    with _bar("generating the demo store", None):
        store = generate_demo_store(seed=seed, size=DemoSize.small() if small else DemoSize())
    frames = {
        name: getattr(store, name)
        for name in ("products", "customers", "orders", "order_items", "events", "reviews", "inventory")
    }
    reports = []
    for name, frame in frames.items():
        with _bar(f"loading {name}", len(frame)) as advance:
            reports += import_frames(engine, {name: frame}, source="demo", progress=advance)
    from shopmind.datasets.demo import demo_faq_rows

    # the shop's FAQ: the assistant answers from it (and its questions train the intent model)
    engine.data.upsert("faq_entries", demo_faq_rows())
    from shopmind.search.visual import write_demo_images

    with _bar("drawing product pictures", None):
        # the demo products have no photos: drawn ones let search-by-photo work on the demo store
        write_demo_images(store.products, engine.workdir)
    kinds = engine.model_kinds()
    with _bar("training models", len(kinds)) as advance:
        engine.train(on_start=lambda _kind: advance(1))
    login = _demo_login(sm, shop)
    settings = sm.settings
    url = f"http://{settings.host}:{settings.port}/console/"
    if as_json:
        _emit(
            True,
            {"shop_id": shop, "reports": [r.as_dict() for r in reports], "console": url, **login},
            lambda: None,
        )
    else:
        _print_reports(reports, False)
        out.print(
            f"\n[bold]Console:[/] {url}\n"
            f"  log in as user [bold]{login['username']}[/] with password [bold]{login['password']}[/],\n"
            f"  or with the API key in {login['api_key_file']}\n"
            f'[bold]API:[/] curl -H "Authorization: Bearer $(cat {login["api_key_file"]})" '
            f"http://{settings.host}:{settings.port}/v1/overview"
        )
    if serve:
        _serve(settings)


def _demo_login(sm: Any, shop: str) -> dict[str, str]:
    """A local demo account and an owner key kept in the data folder (mode 600) across runs."""
    username, password = "demo", "shopmind-demo"
    if sm.store.get_user(username) is None:
        sm.create_user(shop, username, password, "owner")
    key_file = sm.settings.data_dir / "demo-api-key.txt"
    key = key_file.read_text().strip() if key_file.exists() else ""
    try:
        if not key or sm.authenticate_key(key).shop_id != shop:
            raise ShopmindError("new key needed")
    except ShopmindError:
        _, key = sm.create_api_key(shop, "demo key", "owner")
        key_file.parent.mkdir(parents=True, exist_ok=True)
        key_file.write_text(key + "\n")
        key_file.chmod(0o600)
    return {"username": username, "password": password, "api_key_file": str(key_file)}


# -- train --------------------------------------------------------------------------------------------
@app.command()
def train(
    kind: Annotated[str | None, typer.Argument(help="Model kind to train (default: all).")] = None,
    shop: ShopOpt = "default",
    as_json: JsonOpt = False,
) -> None:
    """Train models on the shop's data and promote the new versions."""
    sm = _open()
    engine = sm.engine(shop)
    kinds = [kind] if kind else engine.model_kinds()
    with _bar("training", len(kinds)) as advance:
        done = engine.train(
            [kind] if kind else None,
            on_start=lambda _k: None,
            on_skip=lambda k, why: err.print(f"[yellow]{k} skipped:[/] {why}"),
        )
        advance(len(kinds))
    for v in done:
        sm.audit(_cli_actor(shop), "train", f"models/{v.kind}", {"version": v.version})
    payload = [
        {"kind": v.kind, "version": v.version, "metrics": v.meta["metrics"], "data_size": v.meta["data_size"]}
        for v in done
    ]

    def human() -> None:
        for p in payload:
            out.print(
                f"[bold]{p['kind']}[/] version {p['version']} promoted; data {p['data_size']}; metrics {p['metrics']}"
            )

    _emit(as_json, payload, human)


@app.command()
def evaluate(
    what: Annotated[str, typer.Argument(help="What to evaluate: recommend.")],
    shop: ShopOpt = "default",
    k: Annotated[int, typer.Option(help="List length to score.")] = 10,
    split: Annotated[
        str, typer.Option(help="temporal (hide each customer's latest) or random.")
    ] = "temporal",
    as_json: JsonOpt = False,
) -> None:
    """Evaluate a capability offline on the shop's own data (hidden interactions)."""
    if what != "recommend":
        raise ShopmindError(f"Cannot evaluate {what!r} yet. Use: recommend.")
    sm = _open()
    engine = sm.engine(shop)
    with _bar("evaluating recommendations (fit on past data, score on the latest)", None):
        report = engine.evaluate_recommender(k=k, split=split)
    sm.audit(_cli_actor(shop), "evaluate", "recommend", {"k": k})

    def human() -> None:
        tbl = Table("system", *report["systems"]["shopmind"]["metrics"])
        for name, rep in report["systems"].items():
            tbl.add_row(
                name, *[f"{v:.4f}" if isinstance(v, float) else str(v) for v in rep["metrics"].values()]
            )
        out.print(tbl)
        out.print(f"Split: {report['split']}. Report kept in {engine.report_path('recommend-evaluation')}")

    _emit(as_json, report, human)


# -- serve --------------------------------------------------------------------------------------------
# -- forecasts ----------------------------------------------------------------------------------------
@app.command()
def replenishment(
    output: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the plan to a .csv or .xlsx file.")
    ] = None,
    only_orders: Annotated[bool, typer.Option(help="Only products to order now.")] = False,
    lang: Annotated[str, typer.Option(help="Language of the reasons: zh-CN or en.")] = "zh-CN",
    shop: ShopOpt = "default",
    as_json: JsonOpt = False,
) -> None:
    """What to reorder, how much, when and why (from the last `shopmind train forecast`)."""
    from shopmind.errors import InvalidParameterError

    engine = _open().engine(shop)
    if output is not None:
        fmt = output.suffix.lower().lstrip(".")
        if fmt not in ("csv", "xlsx"):
            raise InvalidParameterError(f"--out must end in .csv or .xlsx, not {output.name!r}.")
        body, _ = engine.replenishment_file(fmt, only_orders, lang)
        tmp = output.with_name(output.name + ".tmp")
        tmp.write_bytes(body)
        tmp.replace(output)
        _emit(as_json, {"file": str(output)}, lambda: out.print(f"Replenishment plan written to {output}"))
        return
    data = engine.replenishment(only_orders)

    def human() -> None:
        table = Table(title=f"Replenishment plan as of {data['as_of']}")
        reason = "reason_zh" if lang.startswith("zh") else "reason_en"
        for col in ("sku", "location", "on hand", "reorder point", "order qty", "order by", "why"):
            table.add_column(
                col, justify="right" if col in ("on hand", "reorder point", "order qty") else "left"
            )
        for r in data["plan"][:50]:
            table.add_row(
                str(r["sku"]),
                str(r.get("location_id") or ""),
                f"{r['on_hand']:,.0f}",
                f"{r['reorder_point']:,.0f}",
                f"{r['order_qty']:,.0f}",
                str(r.get("order_by") or ""),
                str(r.get(reason) or ""),
            )
        out.print(table)
        if data["alerts"]:
            out.print(f"{len(data['alerts'])} alerts (see --json or the console).")

    _emit(as_json, data, human)


# -- customers ----------------------------------------------------------------------------------------
@customers_app.command("segments")
def customers_segments(
    shop: ShopOpt = "default",
    lang: Annotated[str, typer.Option(help="Names in 'en' or 'zh-CN'.")] = "en",
    as_json: JsonOpt = False,
) -> None:
    """Segment sizes, revenue share, average value and churn risk."""
    from shopmind.customers.segments import segment_name

    data = _open().engine(shop).segments()

    def human() -> None:
        table = Table(title=f"Segments as of {data['as_of'][:16]} ({data['customers']:,} customers)")
        for col in (
            "segment",
            "customers",
            "revenue share",
            "avg 12-month value",
            "churn risk",
            "days since order",
        ):
            table.add_column(col, justify="left" if col == "segment" else "right")
        for s in data["segments"]:
            table.add_row(
                segment_name(s["segment"], lang),
                f"{s['customers']:,}",
                f"{s['revenue_share']:.1%}",
                f"{s['avg_value']:,.0f}",
                f"{s['avg_churn_risk']:.0%}",
                f"{s['avg_recency_days']:.0f}",
            )
        out.print(table)

    _emit(as_json, data, human)


@customers_app.command("refresh")
def customers_refresh(shop: ShopOpt = "default", as_json: JsonOpt = False) -> None:
    """Refresh segments and scores, re-reading only customers whose orders changed."""
    engine = _open().engine(shop)
    info = engine.refresh_customers()
    engine.app.audit(_cli_actor(shop), "refresh", "models/customers", {"changed": info["changed_customers"]})

    def human() -> None:
        out.print(
            f"Refreshed as of {info['as_of'][:16]}: {info['changed_customers']:,} customers re-read in "
            f"{info['refresh_s']} s; version {info['version']} promoted."
        )
        for m in info["moves"][:10]:
            out.print(f"  {m['from']} -> {m['to']}: {m['customers']:,}")

    _emit(as_json, info, human)


@customers_app.command("show")
def customers_show(
    customer_id: Annotated[str, typer.Argument(help="The customer's id.")],
    shop: ShopOpt = "default",
    as_json: JsonOpt = False,
) -> None:
    """One customer: segment, value, churn risk, profile, live tags, suggested action."""
    data = _open().engine(shop).customer_insight(customer_id)

    def human() -> None:
        for key, value in data.items():
            out.print(f"[bold]{key}[/]: {value}")

    _emit(as_json, data, human)


@app.command("search")
def search_cmd(
    query: Annotated[
        str, typer.Argument(help="What a shopper would type: 五常大米, mihoutao, organic honey under 100.")
    ],
    shop: ShopOpt = "default",
    filters: Annotated[
        str | None,
        typer.Option(help="key:value pairs: category:茶叶,region:云南,certification:organic,price:0-50"),
    ] = None,
    limit: Annotated[int, typer.Option(help="How many results.")] = 10,
    image: Annotated[Path | None, typer.Option(help="Search by this photo instead of by text.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Search the shop's products (train the 'search' model first; 'visual' for --image)."""
    engine = _open().engine(shop)
    if image is not None:
        if not image.is_file():
            raise ShopmindError(f"No such image file: {image}. Give the path of a JPEG or PNG photo.")
        found = engine.search_image(image.read_bytes(), limit)

        def human_image() -> None:
            table = Table("#", "sku", "title", "similarity")
            for h in found["hits"]:
                table.add_row(str(h["rank"]), h["sku"], h["title"], f"{h['similarity']:.3f}")
            out.print(table)

        _emit(as_json, found, human_image)
        return
    result = engine.search(query, filters=filters, limit=limit, log=False)

    def human() -> None:
        for chip in result["understood"]:
            out.print(f"[dim]understood:[/] {chip['label']['en']} ({chip['text']})")
        if result["suggestion"]:
            out.print(f"[yellow]did you mean:[/] {result['suggestion']}")
        table = Table("#", "sku", "title", "price", "why")
        for h in result["hits"]:
            ex = h["explanation"]
            why = []
            if "lexical" in ex:
                why.append(f"words {ex['lexical']['words_matched']} (#{ex['lexical']['rank']})")
            if "semantic" in ex:
                why.append(f"meaning #{ex['semantic']['rank']} cos {ex['semantic']['cosine']}")
            price = "" if h["price"] is None else f"{h['price']:g}"
            table.add_row(str(h["rank"]), h["sku"], h["title"], price, ", ".join(why))
        out.print(table)
        out.print(f"{result['total']} results ({result['mode']}, {result['took_ms']} ms)")

    _emit(as_json, result, human)


@app.command("chat")
def chat_cmd(
    message: Annotated[
        str, typer.Argument(help="What the customer writes: 我的快递到哪了, can I return it?")
    ],
    shop: ShopOpt = "default",
    customer: Annotated[
        str | None, typer.Option(help="The signed-in customer's id (orders are theirs only).")
    ] = None,
    conversation: Annotated[
        str | None, typer.Option(help="Continue this conversation (printed by the previous call).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Ask the shop's customer-service assistant, as a customer would (docs/assistant.md)."""
    result = _open().engine(shop).desk.chat(message, conversation, customer, None, "cli")

    def human() -> None:
        reply = result["reply"]
        out.print(reply["text"], markup=False)
        for src in reply["sources"]:
            out.print(f"source {src['id']}: {src['title']}", style="dim", markup=False)
        note = f"intent {reply['intent']} ({reply['confidence']:.2f}), {reply['outcome']}"
        if result["ticket_id"]:
            note += f", handed to a person (ticket {result['ticket_id']})"
        out.print(f"[dim]{note}; conversation {result['conversation_id']}[/]")

    _emit(as_json, result, human)


AudienceOpt = Annotated[
    str | None,
    typer.Option(
        "--where",
        help='The audience as JSON, e.g. \'{"segments": ["at_risk"], "min_value": 100}\' (fields: docs/customers.md).',
    ),
]


def _audience(where: str | None) -> Any:
    from pydantic import ValidationError as PydanticError

    from shopmind.customers.audience import AudienceFilter
    from shopmind.errors import ValidationError

    try:
        return AudienceFilter.model_validate_json(where or "{}")
    except PydanticError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'audience'}: {e['msg']}" for e in exc.errors()
        )
        raise ValidationError(
            f"The audience is not valid: {problems}. See docs/customers.md for the fields."
        ) from exc


@audience_app.command("count")
def audience_count(where: AudienceOpt = None, shop: ShopOpt = "default", as_json: JsonOpt = False) -> None:
    """How many customers the audience holds."""
    members = _open().engine(shop).audience(_audience(where))
    payload = {"count": len(members)}
    _emit(as_json, payload, lambda: out.print(f"{len(members):,} customers"))


@audience_app.command("export")
def audience_export(
    output: Annotated[Path, typer.Option("--out", "-o", help="CSV file to write.")],
    where: AudienceOpt = None,
    phone_format: Annotated[
        str, typer.Option(help="'digits' (Meta, Tencent) or 'e164' (Google).")
    ] = "digits",
    shop: ShopOpt = "default",
    as_json: JsonOpt = False,
) -> None:
    """Write SHA-256 hashes of the audience's normalized emails and phones (consenting customers only)."""
    from shopmind.errors import InvalidParameterError

    if phone_format not in ("digits", "e164"):
        raise InvalidParameterError(f"--phone-format must be 'digits' or 'e164', not {phone_format!r}.")
    sm = _open()
    text, rows = sm.engine(shop).audience_export(_audience(where), phone_format)
    tmp = output.with_name(output.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(output)  # atomic: a reader never sees half a file
    sm.audit(_cli_actor(shop), "export", "audience", {"rows": rows, "file": str(output)})
    _emit(
        as_json, {"rows": rows, "file": str(output)}, lambda: out.print(f"{rows:,} rows written to {output}")
    )


def _serve(settings: Settings) -> None:
    import uvicorn

    from shopmind.api.app import create_app
    from shopmind.engine import Shopmind

    application = create_app(Shopmind.open(settings))
    out.print(f"Serving the API and console on http://{settings.host}:{settings.port} (Ctrl+C stops)")
    uvicorn.run(application, host=settings.host, port=settings.port, log_level=settings.log_level)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
) -> None:
    """Serve the REST API (/v1, docs at /docs) and the web console (/console)."""
    settings: Settings = _state.get("settings") or Settings()
    updates = {k: v for k, v in (("host", host), ("port", port)) if v is not None}
    _serve(settings.model_copy(update=updates))


# -- keys and users -----------------------------------------------------------------------------------
@keys_app.command("create")
def keys_create(
    shop: ShopOpt = "default",
    role: Annotated[str, typer.Option(help="owner, analyst or service.")] = "service",
    name: Annotated[str, typer.Option(help="What the key is for.")] = "api key",
    as_json: JsonOpt = False,
) -> None:
    """Create an API key. It is shown once; only its hash is stored."""
    sm = _open()
    key_id, key = sm.create_api_key(shop, name, role)
    _emit(
        as_json,
        {"key_id": key_id, "api_key": key, "role": role, "shop_id": shop},
        lambda: out.print(
            f"Key {key_id} ({role}) for shop {shop}:\n[bold green]{key}[/]\nShown once: store it now."
        ),
    )


@keys_app.command("list")
def keys_list(shop: ShopOpt = "default", as_json: JsonOpt = False) -> None:
    """List a shop's keys (never their secrets)."""
    sm = _open()
    sm.store.shop(shop)
    rows = sm.list_api_keys(shop)

    def human() -> None:
        tbl = Table("key id", "name", "role", "created", "revoked")
        for r in rows:
            tbl.add_row(
                r["key_id"], r["name"], r["role"], str(r["created_at"])[:19], str(r["revoked_at"] or "")[:19]
            )
        out.print(tbl)

    _emit(as_json, rows, human)


@keys_app.command("revoke")
def keys_revoke(
    key_id: Annotated[str, typer.Argument(help="The key id (the part after sm_).")], as_json: JsonOpt = False
) -> None:
    """Revoke a key: it stops working at once."""
    sm = _open()
    sm.revoke_api_key(key_id)
    _emit(as_json, {"key_id": key_id, "revoked": True}, lambda: out.print(f"Key {key_id} revoked."))


@users_app.command("create")
def users_create(
    username: Annotated[str, typer.Argument(help="Login name.")],
    shop: ShopOpt = "default",
    role: Annotated[str, typer.Option(help="owner, analyst or service.")] = "analyst",
    password: Annotated[
        str,
        typer.Option(prompt=True, hide_input=True, confirmation_prompt=True, help="At least 8 characters."),
    ] = "",
) -> None:
    """Create a console user account."""
    sm = _open()
    sm.create_user(shop, username, password, role)
    out.print(f"User {username} ({role}) created for shop {shop}.")


# -- status -------------------------------------------------------------------------------------------
@app.command()
def status(
    shop: Annotated[str | None, typer.Option("--shop", "-s", help="Shop id (default: all shops).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Shops, row counts and promoted models."""
    sm = _open()
    shops = [s["shop_id"] for s in sm.store.list_shops()] if shop is None else [shop]
    if shop is not None and sm.store.get_shop(shop) is None:
        raise NotFoundError(f"Shop {shop!r} does not exist. Create it with `shopmind init --shop {shop}`.")
    payload = {"store": sm.store.url, "shops": [sm.engine(s).status() for s in shops]}

    def human() -> None:
        out.print(f"Store: {payload['store']}")
        if not shops:
            out.print("No shops yet. Create one with `shopmind init` or `shopmind demo`.")
        for st in payload["shops"]:
            tbl = Table(title=f"shop {st['shop_id']}")
            tbl.add_column("table")
            tbl.add_column("rows", justify="right")
            for k, v in st["counts"].items():
                tbl.add_row(k, f"{v:,}")
            out.print(tbl)
            for m in st["models"]:
                out.print(f"  model {m['kind']}: {m['version'] or 'not trained'}")

    _emit(as_json, payload, human)


def main(argv: list[str] | None = None) -> int:
    """Entry point: runs the command and turns errors into messages and exit codes."""
    try:
        app(args=argv, standalone_mode=False)
    except ShopmindError as exc:
        err.print(f"[bold red]Error:[/] {exc.message}", highlight=False)
        return exc.exit_code
    except (typer.Abort, click.exceptions.Abort):
        err.print("Aborted.")
        return 130
    except (typer.Exit, click.exceptions.Exit) as exc:
        return int(exc.exit_code)
    except (typer.TyperException, click.exceptions.ClickException) as exc:
        # Usage mistakes: typer shows the message with a hint to --help.
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            err.print(f"[bold red]Error:[/] {exc}")
        return int(getattr(exc, "exit_code", 2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
