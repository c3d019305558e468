"""Ingest throughput: POST /v1/events over real HTTP, and the CDNOW import, on SQLite and PostgreSQL.

For each backend this script creates an installation in a temporary folder (SQLite: a file, WAL;
PostgreSQL: a throwaway server started from Debian's binaries as in ``tests/conftest.py``), a shop
and a service-role API key, then serves the real app with uvicorn (one worker, in a child process,
on a free loopback port) and sends batches of 1,000 generated events with httpx (keep-alive).
Request bodies are serialized before the clock starts, so the figure is the server's.

Metrics (the printed table and ``benchmarks/results/ingest.json`` use the same names):

- ``events_per_s``: events stored / wall time, one client sending batches back to back;
- ``batch_ms_p50`` / ``batch_ms_p95``: per-batch request latency of that run;
- ``events_per_s_2_clients``: the same with two clients sending concurrently;
- ``import_rows_per_s``: CDNOW (69,659 orders + 23,570 customers = 93,229 rows) through
  ``import_frames``; reading and parsing the raw file is done before the clock starts.

Run from the project root: ``.venv/bin/python benchmarks/ingest.py [--batches N] [--quick]``.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from _bench import machine
from shopmind.devtools.postgres import free_port, new_database, postgres_server

BATCH = 1_000
WARMUP_BATCHES = 3
RESULTS = Path(__file__).resolve().parent / "results" / "ingest.json"
SHOP = "bench"
CDNOW_ROWS = 69_659 + 23_570

GORSE_ROW: dict[str, Any] = {
    "system": "gorse (published)",
    "events_per_s": 16_000,
    "batch_ms_p50": None,
    "batch_ms_p95": None,
    "import_rows_per_s": None,
    "measured": False,
    "source": "Gorse docs: feedback insert 62.5 ms per 1,000 (published figure, not measured here)",
}


# -- events -----------------------------------------------------------------------------------------
_QUERIES = (
    "赣南脐橙",
    "阳澄湖大闸蟹",
    "五常大米 10kg",
    "新疆 阿克苏 苹果",
    "organic green tea",
    "云南 普洱",
    "车厘子 JJ",
    "sichuan pepper",
    "内蒙古 牛肉干",
    "丹东 草莓",
    "wild honey 500g",
    "东北 黑木耳",
)
_CHANNELS = ("app", "app", "app", "mini_program", "mini_program", "web", "live_stream", "short_video")
_TYPES = ("view",) * 55 + ("click",) * 15 + ("add_to_cart",) * 10 + ("search",) * 12 + ("purchase",) * 8


class EventGenerator:
    """Plausible storefront traffic: sessions of a few events by known (or anonymous) customers
    over a long-tailed catalog, timestamps in Asia/Shanghai, unique ids."""

    def __init__(self, seed: int = 7, customers: int = 20_000, skus: int = 5_000) -> None:
        self.rng = random.Random(seed)
        self.customers = customers
        self.skus = skus
        self.n = 0
        self.ts = dt.datetime(2025, 6, 1, 8, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
        self._session: tuple[str, str | None, str] = ("", None, "app")
        self._left = 0

    def _sku(self) -> str:
        # Pareto-ish popularity: a few products get most of the traffic.
        return f"sku-{min(int(self.rng.paretovariate(1.16)), self.skus):05d}"

    def event(self) -> dict[str, Any]:
        rng = self.rng
        if self._left <= 0:
            customer = f"c-{rng.randrange(self.customers):06d}" if rng.random() < 0.7 else None
            self._session = (uuid.UUID(int=rng.getrandbits(128)).hex, customer, rng.choice(_CHANNELS))
            self._left = rng.randint(1, 12)
        self._left -= 1
        session, customer, channel = self._session
        self.n += 1
        self.ts += dt.timedelta(milliseconds=rng.randint(50, 4_000))
        kind = rng.choice(_TYPES)
        ev: dict[str, Any] = {
            "event_id": f"ev-{self.n:09d}-{rng.getrandbits(32):08x}",
            "event_type": kind,
            "session_id": session,
            "ts": self.ts.isoformat(timespec="milliseconds"),
            "channel": channel,
        }
        if customer is not None:
            ev["customer_id"] = customer
        if kind == "search":
            ev["query"] = rng.choice(_QUERIES)
        else:
            ev["sku"] = self._sku()
        if kind == "purchase":
            ev["value"] = round(rng.uniform(9.9, 399.0), 2)
        elif kind == "view" and rng.random() < 0.3:
            ev["properties"] = {"dwell_s": rng.randint(1, 120), "position": rng.randint(1, 40)}
        return ev

    def batch_body(self, n: int = BATCH) -> bytes:
        return json.dumps({"events": [self.event() for _ in range(n)]}, ensure_ascii=False).encode()


# -- the server --------------------------------------------------------------------------------------
def serve(host: str, port: int) -> None:
    """Child-process entry: the real app, configured from SHOPMIND_* variables, one uvicorn worker."""
    import uvicorn

    from shopmind.api.app import create_app
    from shopmind.config import Settings
    from shopmind.engine import Shopmind

    app = create_app(Shopmind.open(Settings()))
    uvicorn.run(app, host=host, port=port, workers=1, log_level="warning", access_log=False)


@contextlib.contextmanager
def running_server(env: dict[str, str], profile: Path | None = None) -> Iterator[str]:
    """Start ``serve`` in a child process (optionally under py-spy); yield its base URL."""
    port = free_port()
    cmd = [sys.executable, str(Path(__file__).resolve()), "--serve", str(port)]
    if profile is not None:
        py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
        cmd = [py_spy, "record", "-o", str(profile), "-f", "raw", "-r", "250", "--threads", "--", *cmd]
    proc = subprocess.Popen(cmd, env={**os.environ, **env})
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"The server exited with code {proc.returncode} before answering.")
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("The server did not answer /healthz within 60 s.")
            time.sleep(0.1)
        yield base
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)  # uvicorn (and py-spy) shut down cleanly
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


# -- measurement -------------------------------------------------------------------------------------
@dataclass
class Run:
    events: int = 0
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)

    @property
    def events_per_s(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0

    def quantile_ms(self, q: float) -> float:
        if not self.latencies_ms:
            return 0.0
        if len(self.latencies_ms) == 1:
            return self.latencies_ms[0]
        return statistics.quantiles(self.latencies_ms, n=100, method="inclusive")[round(q * 100) - 1]


def _send(client: httpx.Client, bodies: list[bytes], latencies: list[float]) -> None:
    for body in bodies:
        t0 = time.perf_counter()
        r = client.post("/v1/events", content=body)
        latencies.append((time.perf_counter() - t0) * 1000)
        if r.status_code != 200:
            raise RuntimeError(f"POST /v1/events answered {r.status_code}: {r.text[:500]}")
        got = r.json()
        if got.get("inserted") != BATCH:
            raise RuntimeError(f"Expected {BATCH} events inserted, got {got}")


def _client(base: str, key: str) -> httpx.Client:
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    return httpx.Client(base_url=base, headers=headers, timeout=120)


def post_events(base: str, key: str, bodies: list[bytes], clients: int = 1) -> Run:
    """Send ``bodies`` split over ``clients`` concurrent keep-alive clients; time the whole."""
    parts = [bodies[i::clients] for i in range(clients)]
    lat: list[list[float]] = [[] for _ in range(clients)]
    errors: list[BaseException] = []
    conns = [_client(base, key) for _ in range(clients)]
    try:
        for c in conns:  # open the connections before the clock starts
            c.get("/healthz")

        def work(i: int) -> None:
            try:
                _send(conns[i], parts[i], lat[i])
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(i,)) for i in range(clients)]
        t0 = time.perf_counter()
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        seconds = time.perf_counter() - t0
    finally:
        for c in conns:
            c.close()
    if errors:
        raise errors[0]
    return Run(events=len(bodies) * BATCH, seconds=seconds, latencies_ms=[x for part in lat for x in part])


def import_cdnow(settings: Any) -> tuple[float, int]:
    """Seconds to import the CDNOW frames into a new shop, and how many rows it stored."""
    from shopmind.engine import Shopmind
    from shopmind.ingest.datasets import dataset_frames, import_frames

    frames = dataset_frames("cdnow")  # read and parse the raw file outside the clock
    rows = sum(len(f) for f in frames.values())
    sm = Shopmind.open(settings)
    try:
        engine = sm.create_shop("cdnow", "CDNOW")
        t0 = time.perf_counter()
        reports = import_frames(engine, frames, source="cdnow")
        seconds = time.perf_counter() - t0
    finally:
        sm.close()
    stored = sum(r.inserted for r in reports)
    rejected = sum(r.rejected for r in reports)
    if rows != CDNOW_ROWS or stored != rows or rejected:
        raise RuntimeError(
            f"CDNOW import stored {stored} of {rows} rows ({rejected} rejected); expected {CDNOW_ROWS}."
        )
    return seconds, stored


def bench_backend(
    name: str,
    url: str,
    workdir: Path,
    *,
    batches: int,
    two_clients: bool,
    do_import: bool,
    profile: Path | None,
) -> dict[str, Any]:
    from shopmind.config import Settings
    from shopmind.engine import Shopmind

    data_dir = workdir / "data"
    settings = Settings(data_dir=data_dir, database_url=url, secret_key="bench")
    sm = Shopmind.open(settings)
    try:
        sm.create_shop(SHOP, "Benchmark shop")
        _, key = sm.create_api_key(SHOP, "bench", "service")
    finally:
        sm.close()

    gen = EventGenerator(seed=sum(map(ord, name)))
    warmup = [gen.batch_body() for _ in range(WARMUP_BATCHES)]
    bodies = [gen.batch_body() for _ in range(batches)]
    bodies2 = [gen.batch_body() for _ in range(batches)] if two_clients else []
    env = {"SHOPMIND_DATA_DIR": str(data_dir), "SHOPMIND_DATABASE_URL": url, "SHOPMIND_SECRET_KEY": "bench"}
    with running_server(env, profile) as base:
        post_events(base, key, warmup)
        one = post_events(base, key, bodies)
        two = post_events(base, key, bodies2, clients=2) if two_clients else None

    row: dict[str, Any] = {
        "system": f"shopmind-{name}",
        "events_per_s": round(one.events_per_s),
        "batch_ms_p50": round(one.quantile_ms(0.5), 1),
        "batch_ms_p95": round(one.quantile_ms(0.95), 1),
        "events_per_s_2_clients": round(two.events_per_s) if two else None,
        "batch_ms_p50_2_clients": round(two.quantile_ms(0.5), 1) if two else None,
        "import_rows_per_s": None,
        "import_s": None,
        "measured": True,
    }
    if do_import:
        seconds, stored = import_cdnow(settings)
        row["import_rows_per_s"] = round(stored / seconds)
        row["import_s"] = round(seconds, 2)
    return row


# -- output ------------------------------------------------------------------------------------------
_COLUMNS = (
    ("system", "system"),
    ("events_per_s", "events_per_s"),
    ("batch_ms_p50", "batch_ms_p50"),
    ("batch_ms_p95", "batch_ms_p95"),
    ("events_per_s_2_clients", "events_per_s_2_clients"),
    ("import_rows_per_s", "import_rows_per_s"),
    ("import_s", "import_s"),
)


def _fmt(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:,.1f}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


def print_table(rows: list[dict[str, Any]], title: str) -> None:
    notes = [f"{r['system']}: {r['source']}" for r in rows if r.get("source")]
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:  # pragma: no cover - rich is a dependency, but stay usable without it
        print(title)
        print("  ".join(h for h, _ in _COLUMNS))
        for r in rows:
            print("  ".join(_fmt(r.get(k)) for _, k in _COLUMNS))
        print("\n".join(notes))
        return
    table = Table(title=title, caption="\n".join(notes) or None)
    for header, _ in _COLUMNS:
        table.add_column(header, justify="left" if header == "system" else "right")
    for r in rows:
        table.add_row(*(_fmt(r.get(k)) for _, k in _COLUMNS))
    Console(width=max(Console().width, 150)).print(table)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--batches", type=int, default=60, help="Timed batches of 1,000 events per run (default 60)."
    )
    parser.add_argument("--quick", action="store_true", help="10 batches, one client only (a smoke run).")
    parser.add_argument(
        "--backends", default="sqlite,postgresql", help="Comma-separated: sqlite, postgresql."
    )
    parser.add_argument("--no-import", action="store_true", help="Skip the CDNOW import measurement.")
    parser.add_argument(
        "--out", type=Path, default=RESULTS, help=f"Where to write the JSON (default {RESULTS})."
    )
    parser.add_argument(
        "--profile",
        type=Path,
        help="Record the server with py-spy (on PATH) into DIR/<backend>.txt (collapsed stacks).",
    )
    parser.add_argument("--serve", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve("127.0.0.1", args.serve)
        return 0
    batches = 10 if args.quick and args.batches == 60 else args.batches
    if batches < 1:
        parser.error("--batches must be at least 1")
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    unknown = set(backends) - {"sqlite", "postgresql"}
    if unknown:
        parser.error(f"unknown backend(s): {', '.join(sorted(unknown))}")
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)

    rows: list[dict[str, Any]] = []
    for name in backends:
        with (
            tempfile.TemporaryDirectory(prefix=f"shopmind-bench-{name}-") as tmp,
            contextlib.ExitStack() as stack,
        ):
            workdir = Path(tmp)
            if name == "sqlite":
                url = f"sqlite:///{workdir / 'shop.db'}"
            else:
                url = new_database(stack.enter_context(postgres_server()))
            print(
                f"{name}: {WARMUP_BATCHES} warm-up + {batches} timed batches of {BATCH:,} events ...",
                flush=True,
            )
            rows.append(
                bench_backend(
                    name,
                    url,
                    workdir,
                    batches=batches,
                    two_clients=not args.quick,
                    do_import=not args.no_import,
                    profile=args.profile / f"{name}.txt" if args.profile else None,
                )
            )
    rows.append(GORSE_ROW)

    data = (
        f"POST /v1/events: {batches} timed batches of {BATCH:,} generated events (after {WARMUP_BATCHES} warm-up "
        f"batches) over HTTP to one uvicorn worker on 127.0.0.1, service-role key, one keep-alive httpx client"
        f"{' (and 2 concurrent clients)' if not args.quick else ''}; events_per_s = events / wall time. "
        f"SQLite: file in a temp dir, WAL, synchronous=NORMAL. PostgreSQL: local throwaway server, fsync=off, "
        f"synchronous_commit=off. import_rows_per_s: CDNOW (69,659 orders + 23,570 customers = 93,229 rows) via "
        f"import_frames, raw file read and parsed before timing. gorse row: published figure, not measured here."
    )
    result = {
        "benchmark": "ingest",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "data": data,
        "rows": rows,
    }
    print_table(rows, f"ingest: POST /v1/events in batches of {BATCH:,}; CDNOW import")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(f"Wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
