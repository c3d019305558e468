"""Customer-service assistant: intent accuracy, out-of-scope recall, groundedness and hand-off
precision on the labelled evaluation set (benchmarks/data/assistant/eval.tsv, written for this
project and kept apart from the training seed), side by side with a TF-IDF + logistic-regression
intent baseline trained on the same data and tuned the same way, in one run.

Every message runs end to end through the service desk (``engine.desk.chat``) of a demo store
(the generated catalog and orders supply the facts; accuracy figures come from the hand-labelled
messages, not from generated data), each in a new conversation of a signed-in customer. Order
messages get a real order of that customer in place of ``{order_id}`` and the last four digits of
their phone in place of ``{phone_tail}``.

    .venv/bin/python benchmarks/assistant_eval.py            # prints the table, writes the JSON
    .venv/bin/python benchmarks/assistant_eval.py --no-semantic --limit 200   # quick run
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from _bench import machine, shopmind_commit

ROOT = Path(__file__).resolve().parents[1]
EVAL = ROOT / "benchmarks" / "data" / "assistant" / "eval.tsv"
RESULTS = ROOT / "benchmarks" / "results" / "assistant_eval.json"
GRID_C = (3.0, 10.0, 30.0)
GRID_THRESHOLD = (0.0, 0.2, 0.3, 0.4)


def load_eval(limit: int | None = None) -> list[dict[str, str]]:
    with EVAL.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    if limit:
        rows = rows[:: max(1, len(rows) // limit)][:limit]
    return rows


def tune(features: str, texts: list[str], labels: list[str], vectors: Any, embedder: Any) -> dict[str, float]:
    """C and the out-of-scope threshold by 5-fold cross-validation on the training data (accuracy,
    out of scope counted as a class): the same procedure for shopmind and the baseline."""
    from sklearn.model_selection import StratifiedKFold

    from shopmind.assistant.intents import IntentClassifier

    y = np.asarray(labels)
    best = (-1.0, {"C": 10.0, "oos_threshold": 0.3})
    folds = list(StratifiedKFold(5, shuffle=True, random_state=0).split(texts, y))
    for c in GRID_C:
        probas = np.zeros((len(texts), 0))
        classes: list[str] = []
        for train, test in folds:
            model = IntentClassifier(C=c, oos_threshold=0.0, features=features, embedder=embedder)
            model.fit(
                [texts[i] for i in train], y[train].tolist(), None if vectors is None else vectors[train]
            )
            p = model.predict_proba([texts[i] for i in test], None if vectors is None else vectors[test])
            if probas.shape[1] == 0:
                probas = np.zeros((len(texts), p.shape[1]))
                classes = model.classes_
            probas[test] = p
        for th in GRID_THRESHOLD:
            top = probas.argmax(1)
            pred = np.array([classes[i] for i in top])
            pred = np.where((probas.max(1) < th) & (pred != "out_of_scope"), "out_of_scope", pred)
            acc = float((pred == y).mean())
            if acc > best[0]:
                best = (acc, {"C": c, "oos_threshold": th})
    return {**best[1], "cv_accuracy": round(best[0], 4)}


def build_shop(workdir: Path, semantic: bool) -> tuple[Any, Any, Any]:
    from shopmind.config import Settings
    from shopmind.datasets.demo import demo_faq_rows, generate_demo_store
    from shopmind.engine import Shopmind
    from shopmind.ingest.datasets import import_frames

    settings = Settings(
        data_dir=workdir / "data",
        database_url=f"sqlite:///{workdir / 'shop.db'}",
        secret_key="assistant-eval",
        search_semantic=False,
        assistant_semantic=semantic,
        assistant_retention_days=0,
    )
    sm = Shopmind.open(settings)
    engine = sm.create_shop("demo", "山野好物")
    store = generate_demo_store()
    frames = {n: getattr(store, n) for n in ("products", "customers", "orders", "order_items", "inventory")}
    import_frames(engine, frames, source="demo")
    engine.data.upsert("faq_entries", demo_faq_rows())
    engine.train(["search", "recommender", "assistant"])
    return sm, engine, store


def grounded(reply: dict[str, Any], question: str) -> bool:
    """A factual answer is grounded when it cites a source and every number and code in it appears
    in the cited sources or the question (the LLM guard's check, with no draft to lean on)."""
    from shopmind.llm import Draft, ungrounded_tokens

    if not reply["sources"]:
        return False
    sources = tuple(s["text"] for s in reply["sources"])
    return not ungrounded_tokens(reply["text"], Draft(question, "", sources, reply["language"]))


def run(limit: int | None, semantic: bool, dump: Path | None = None, tuning: bool = True) -> dict[str, Any]:
    from shopmind.assistant.intents import IntentClassifier, load_seed

    rows = load_eval(limit)
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        sm, engine, store = build_shop(Path(tmp), semantic)
        print(f"demo shop ready in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        from shopmind.assistant.desk import embedding_cache
        from shopmind.assistant.intents import QueryEmbedder

        # training data: the seed set plus the demo shop's FAQ questions (as the product trains)
        texts = [t for _, _, t in load_seed()]
        labels = [i for _, i, _ in load_seed()]
        for r in engine.desk.faq():
            if r.get("intent"):
                for q in [r["question"], *(r.get("alternates") or [])]:
                    texts.append(q)
                    labels.append(r["intent"])
        embedder = QueryEmbedder() if semantic else None
        vectors = embedding_cache(engine.workdir, embedder).embed(texts) if embedder else None
        untuned = {"C": 10.0, "oos_threshold": 0.0, "cv_accuracy": float("nan")}
        tuned = {
            "shopmind": tune("shopmind", texts, labels, vectors, embedder) if tuning else untuned,
            "tfidf-lr": tune("plain", texts, labels, None, None) if tuning else untuned,
        }
        print(f"tuned: {tuned}", file=sys.stderr)
        model = IntentClassifier(
            C=tuned["shopmind"]["C"],
            oos_threshold=tuned["shopmind"]["oos_threshold"],
            embedder=embedder,
            dialect={},  # the shop's (empty) dialect additions: the desk keeps this model
        ).fit(texts, labels, vectors)
        engine.app.registry.save(engine.shop_id, "assistant", model, metrics={"tuned": tuned["shopmind"]})
        engine.desk.invalidate()
        baseline = IntentClassifier(
            C=tuned["tfidf-lr"]["C"], oos_threshold=tuned["tfidf-lr"]["oos_threshold"], features="plain"
        ).fit(texts, labels)

        orders = store.orders.sort_values("ordered_at")
        statuses = ["shipped", "delivered", "completed", "paid", "delivered", "shipped", "completed"]
        phones = dict(zip(store.customers["customer_id"], store.customers["phone"], strict=True))
        customers = store.customers["customer_id"].tolist()
        results = []
        for i, row in enumerate(rows):
            pool = orders[orders["status"] == statuses[i % len(statuses)]]
            order = pool.iloc[(i * 7919) % len(pool)]
            customer = (
                str(order["customer_id"]) if row["kb"] == "order" else customers[(i * 31) % len(customers)]
            )
            text = row["text"].replace("{order_id}", str(order["order_id"]))
            text = text.replace("{phone_tail}", str(phones[customer])[-4:])
            reply = engine.desk.chat(text, None, customer, None, "eval")["reply"]
            results.append((row, text, reply))
        # intent accuracy compares the classifiers alone, on the same texts; the dialogue's own
        # intent (after its context rules) is reported beside it
        sent = [t for _, t, _ in results]
        base_pred = [p.intent for p in baseline.predict(sent)]
        ours_pred = [p.intent for p in model.predict(sent)]
        sm.close()
    if dump is not None:  # every message with what happened, for error analysis
        with dump.open("w", encoding="utf-8") as f:
            f.write("id\tgold\tpredicted\tbaseline\thandoff\tkb\toutcome\tgrounded\tsources\ttext\treply\n")
            for (row, text, rep), base in zip(results, base_pred, strict=True):
                ok = grounded(rep, text) if rep["outcome"] == "answered" else ""
                ids = ",".join(s["id"] for s in rep["sources"])
                cells = [
                    row["id"],
                    row["intent"],
                    rep["intent"],
                    base,
                    row["handoff"],
                    row["kb"],
                    rep["outcome"],
                    str(ok),
                    ids,
                    text,
                    rep["text"],
                ]
                f.write("\t".join(c.replace("\t", " ").replace("\n", " ") for c in map(str, cells)) + "\n")
    return summarise(results, ours_pred, base_pred, tuned, len(texts))


def summarise(
    results: list[tuple[dict[str, str], str, dict[str, Any]]],
    ours: list[str],
    base_pred: list[str],
    tuned: dict[str, dict[str, float]],
    n_train: int,
) -> dict[str, Any]:
    def acc(pred: list[str], lang: str | None = None) -> float:
        pairs = [
            (p, r["intent"]) for p, (r, _, _) in zip(pred, results, strict=True) if lang in (None, r["lang"])
        ]
        return round(sum(p == g for p, g in pairs) / len(pairs), 4)

    def oos_recall(pred: list[str]) -> float:
        gold = [p for p, (r, _, _) in zip(pred, results, strict=True) if r["intent"] == "out_of_scope"]
        return round(sum(p == "out_of_scope" for p in gold) / len(gold), 4)

    def oos_false(pred: list[str]) -> float:
        other = [p for p, (r, _, _) in zip(pred, results, strict=True) if r["intent"] != "out_of_scope"]
        return round(sum(p == "out_of_scope" for p in other) / len(other), 4)

    dialogue = [str(rep["intent"]) for _, _, rep in results]
    answered = [(r, t, rep) for r, t, rep in results if rep["outcome"] == "answered"]
    handed = [r for r, _, rep in results if rep["outcome"] == "handoff"]
    need_person = [rep for r, _, rep in results if r["handoff"] == "1"]
    unanswerable = [rep for r, _, rep in results if r["kb"] == "none"]

    def cites(kind: str) -> float | None:
        rows = [(r, rep) for r, _, rep in results if r["kb"].startswith(kind)]
        if not rows:
            return None
        ok = 0
        for r, rep in rows:
            ids = [s["id"] for s in rep["sources"]]
            if kind == "faq:":
                ok += any(i == f"faq:{r['kb'][4:]}-{r['lang']}" for i in ids)
            else:
                ok += any(i.startswith(kind + ":") for i in ids)
        return round(ok / len(rows), 4)

    def by_variant(pred: list[str]) -> dict[str, float]:
        out: dict[str, float] = {}
        for variant in sorted({r["variant"] for r, _, _ in results}):
            idx = [i for i, (r, _, _) in enumerate(results) if r["variant"] == variant]
            out[variant] = round(sum(pred[i] == results[i][0]["intent"] for i in idx) / len(idx), 4)
        return out

    ours_row = {
        "system": "shopmind",
        "intent_accuracy": acc(ours),
        "intent_accuracy_zh": acc(ours, "zh"),
        "intent_accuracy_en": acc(ours, "en"),
        "oos_recall": oos_recall(ours),
        "false_oos_rate": oos_false(ours),
        "dialogue_intent_accuracy": acc(dialogue),
        "groundedness": round(sum(grounded(rep, t) for _, t, rep in answered) / max(1, len(answered)), 4),
        "unanswerable_not_answered": round(
            sum(rep["outcome"] != "answered" for rep in unanswerable) / max(1, len(unanswerable)), 4
        ),
        "handoff_precision": round(sum(r["handoff"] == "1" for r in handed) / max(1, len(handed)), 4),
        "handoff_recall": round(
            sum(rep["outcome"] == "handoff" for rep in need_person) / max(1, len(need_person)), 4
        ),
        "faq_cited": cites("faq:"),
        "order_cited": cites("order"),
        "product_cited": cites("product"),
        "answered_rate": round(len(answered) / len(results), 4),
        "accuracy_by_variant": by_variant(ours),
        "tuned": tuned["shopmind"],
    }
    base_row = {
        "system": "tfidf-lr",
        "intent_accuracy": acc(base_pred),
        "intent_accuracy_zh": acc(base_pred, "zh"),
        "intent_accuracy_en": acc(base_pred, "en"),
        "oos_recall": oos_recall(base_pred),
        "false_oos_rate": oos_false(base_pred),
        "accuracy_by_variant": by_variant(base_pred),
        "tuned": tuned["tfidf-lr"],
    }
    confusions = Counter(
        (r["intent"], p) for p, (r, _, _) in zip(ours, results, strict=True) if p != r["intent"]
    ).most_common(8)
    return {
        "rows": [ours_row, base_row],
        "messages": len(results),
        "messages_zh": sum(r["lang"] == "zh" for r, _, _ in results),
        "messages_en": sum(r["lang"] == "en" for r, _, _ in results),
        "training_examples": n_train,
        "top_confusions": [{"gold": g, "predicted": p, "n": n} for (g, p), n in confusions],
        "outcomes": dict(Counter(rep["outcome"] for _, _, rep in results)),
    }


def print_table(out: dict[str, Any]) -> None:
    cols = [
        "intent_accuracy",
        "intent_accuracy_zh",
        "intent_accuracy_en",
        "oos_recall",
        "false_oos_rate",
        "groundedness",
        "unanswerable_not_answered",
        "handoff_precision",
        "handoff_recall",
    ]
    print(
        f"\nAssistant evaluation: {out['messages']} messages ({out['messages_zh']} zh, {out['messages_en']} en)"
    )
    print("| system | " + " | ".join(cols) + " |")
    print("|---|" + "---|" * len(cols))
    for row in out["rows"]:
        cells = [f"{row[c]:.3f}" if isinstance(row.get(c), float) else "–" for c in cols]
        print(f"| {row['system']} | " + " | ".join(cells) + " |")
    ours = out["rows"][0]
    print(
        f"\nshopmind cites the right FAQ entry for {ours['faq_cited']}, the order for {ours['order_cited']}, "
        f"a product for {ours['product_cited']} of those messages; answered {ours['answered_rate']}."
    )
    for row in out["rows"]:
        by = row["accuracy_by_variant"]
        print(f"{row['system']} accuracy by variant: " + ", ".join(f"{k} {v:.3f}" for k, v in by.items()))
    print(
        f"shopmind's dialogue (context rules on top of the classifier): {ours['dialogue_intent_accuracy']:.3f}"
    )
    print(
        "tuned (5-fold CV on the training data): "
        + "; ".join(f"{r['system']} {r['tuned']}" for r in out["rows"])
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--limit", type=int, default=None, help="Evaluate an even sample of this many messages."
    )
    parser.add_argument(
        "--no-semantic", action="store_true", help="Intent model without sentence embeddings."
    )
    parser.add_argument(
        "--no-tune",
        action="store_true",
        help="Skip the cross-validation (both use C=10, no floor): smoke runs.",
    )
    parser.add_argument("--out", type=Path, default=RESULTS, help=f"JSON output (default {RESULTS}).")
    parser.add_argument(
        "--dump", type=Path, default=None, help="Also write every message and reply to this TSV."
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    result = run(args.limit, not args.no_semantic, args.dump, not args.no_tune)
    out = {
        "benchmark": "assistant_eval",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "commit": shopmind_commit(),
        "data": f"{EVAL.relative_to(ROOT)} (hand-labelled, separate from the training seed); demo store facts",
        "semantic": not args.no_semantic,
        **result,
        "seconds": round(time.perf_counter() - started, 1),
    }
    print_table(out)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=2, ensure_ascii=False, default=str) + "\n")
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
