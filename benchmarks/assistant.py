"""Customer-service assistant speed: reply latency (p50, p95) in the default offline mode and
conversations per second, through the service desk (``engine.desk.chat``: store reads and writes,
intent model with sentence embeddings, tools, knowledge base) on the demo store.

Each conversation is four turns of a signed-in customer, in Chinese or English (alternating): a
greeting, where their order is (with one of their real order numbers), whether they can return it,
and a product question, each drawn from the evaluation set's messages of that kind, so that
wording varies; the embedder's cache of recent messages is turned off (every message is embedded). For reference the same process times the TF-IDF + logistic-regression intent
baseline (benchmarks/assistant_eval.py) on the same messages: it only classifies, no tools.

    .venv/bin/python benchmarks/assistant.py                 # 200 conversations
    .venv/bin/python benchmarks/assistant.py --conversations 50 --no-semantic
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from _bench import machine, shopmind_commit
from assistant_eval import build_shop

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "assistant.json"


def conversations(store: Any, n: int) -> list[tuple[str, list[str]]]:
    from assistant_eval import load_eval

    rows = load_eval()
    kinds: dict[str, Callable[[dict[str, str]], bool]] = {
        "greeting": lambda r: r["intent"] == "greeting",
        "where": lambda r: r["intent"] in ("logistics", "order_status") and "{order_id}" in r["text"],
        "return": lambda r: r["intent"] == "return_refund" and r["kb"] == "order",
        "product": lambda r: r["kb"] == "product",
    }
    pools = {
        (k, lang): [r["text"] for r in rows if r["lang"] == lang and f(r)]
        for k, f in kinds.items()
        for lang in ("zh", "en")
    }
    orders = store.orders[store.orders["status"].isin(["shipped", "delivered", "completed"])]
    phones = dict(zip(store.customers["customer_id"], store.customers["phone"], strict=True))
    out = []
    for i in range(n):
        lang = "zh" if i % 2 == 0 else "en"
        order = orders.iloc[(i * 7919) % len(orders)]
        customer = str(order["customer_id"])
        turns: list[str] = []
        for k in kinds:
            pool = pools[(k, lang)]
            text = pool[(i // 2 * 7 + len(turns)) % len(pool)]
            turns.append(
                text.replace("{order_id}", str(order["order_id"])).replace(
                    "{phone_tail}", phones[customer][-4:]
                )
            )
        out.append((customer, turns))
    return out


def run(n: int, semantic: bool) -> dict[str, Any]:
    from shopmind.assistant.intents import IntentClassifier, load_seed

    with tempfile.TemporaryDirectory() as tmp:
        sm, engine, store = build_shop(Path(tmp), semantic)
        convs = conversations(store, n)
        engine.desk.chat("warm up 你好", None, None)  # loads the models, as a server does once
        embedder = engine.desk.assistant().intents.embedder
        if embedder is not None:
            embedder._e5._cache_size = 0  # every message embedded: no repeated-message shortcut
        latencies: list[float] = []
        started = time.perf_counter()
        for customer, turns in convs:
            cid = None
            for text in turns:
                t0 = time.perf_counter()
                cid = engine.desk.chat(text, cid, customer)["conversation_id"]
                latencies.append((time.perf_counter() - t0) * 1000)
        wall = time.perf_counter() - started
        seed = load_seed()
        baseline = IntentClassifier(features="plain").fit([t for _, _, t in seed], [i for _, i, _ in seed])
        base_lat = []
        for _, turns in convs:
            for text in turns:
                t0 = time.perf_counter()
                baseline.predict([text])
                base_lat.append((time.perf_counter() - t0) * 1000)
        sm.close()
    p = np.percentile
    ours = {
        "system": "shopmind",
        "mode": "offline templates" + (" + embeddings" if semantic else ""),
        "p50_ms": round(statistics.median(latencies), 2),
        "p95_ms": round(float(p(latencies, 95)), 2),
        "max_ms": round(max(latencies), 2),
        "conversations_per_s": round(len(convs) / wall, 2),
        "replies_per_s": round(len(latencies) / wall, 2),
    }
    base = {
        "system": "tfidf-lr (intent only)",
        "mode": "classification, no tools",
        "p50_ms": round(statistics.median(base_lat), 2),
        "p95_ms": round(float(p(base_lat, 95)), 2),
        "max_ms": round(max(base_lat), 2),
        "conversations_per_s": None,
        "replies_per_s": None,
    }
    return {"rows": [ours, base], "conversations": len(convs), "replies": len(latencies)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--conversations", type=int, default=200)
    parser.add_argument(
        "--no-semantic", action="store_true", help="Intent model without sentence embeddings."
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    result = run(args.conversations, not args.no_semantic)
    out = {
        "benchmark": "assistant",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "commit": shopmind_commit(),
        "data": "demo store; scripted 4-turn conversations (zh and en)",
        **result,
    }
    print(f"\nAssistant speed: {out['conversations']} conversations, {out['replies']} replies, one thread")
    print("| system | mode | p50_ms | p95_ms | max_ms | conversations_per_s |")
    print("|---|---|---|---|---|---|")
    for r in out["rows"]:
        print(
            f"| {r['system']} | {r['mode']} | {r['p50_ms']} | {r['p95_ms']} | {r['max_ms']} | {r['conversations_per_s'] or '–'} |"
        )
    ours, base = out["rows"]
    print(
        f"shopmind p50 is {ours['p50_ms'] / base['p50_ms']:.1f}x the intent-only baseline's (goal: p95 under 150 ms)"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
