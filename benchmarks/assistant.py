"""Customer-service assistant speed: reply latency (p50, p95) in the default offline mode and
conversations per second, through the service desk (``engine.desk.chat``: store reads and writes,
intent model with sentence embeddings, tools, knowledge base) on the demo store.

Each conversation is four turns of a signed-in customer: a greeting, where their order is (with a
real order number), whether they can return it, and a product question, in Chinese or English
(alternating). For reference the same process times the TF-IDF + logistic-regression intent
baseline (benchmarks/assistant_eval.py) on the same messages: it only classifies, no tools.

    .venv/bin/python benchmarks/assistant.py                 # 200 conversations
    .venv/bin/python benchmarks/assistant.py --conversations 50 --no-semantic
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from assistant_eval import build_shop, commit, machine

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "assistant.json"
SCRIPTS = {
    "zh": ["你好", "我的订单{order}到哪了", "这个能退吗", "{product}多少钱"],
    "en": ["hi there", "where is my order {order}?", "can I return it?", "how much is the {product}?"],
}


def conversations(store: Any, n: int) -> list[tuple[str, list[str]]]:
    orders = store.orders[store.orders["status"].isin(["shipped", "delivered", "completed"])]
    products = store.products
    out = []
    for i in range(n):
        lang = "zh" if i % 2 == 0 else "en"
        order = orders.iloc[(i * 7919) % len(orders)]
        product = products.iloc[(i * 31) % len(products)]
        name = str(product["title"]).split(" ")[1] if lang == "zh" else str(product["title_en"]).split(",")[0]
        turns = [t.format(order=order["order_id"], product=name) for t in SCRIPTS[lang]]
        out.append((str(order["customer_id"]), turns))
    return out


def run(n: int, semantic: bool) -> dict[str, Any]:
    from shopmind.assistant.intents import IntentClassifier, load_seed

    with tempfile.TemporaryDirectory() as tmp:
        sm, engine, store = build_shop(Path(tmp), semantic)
        convs = conversations(store, n)
        engine.desk.chat("warm up 你好", None, None)  # loads the models, as a server does once
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
        "commit": commit(),
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
