"""Product search on a small handmade catalog: analysis, lexical matching (compounds, pinyin, typos,
homophones, Traditional characters, translations), query understanding, filters, facets,
re-ranking, incremental updates, suggestions and persistence."""

from __future__ import annotations

import pickle

import pandas as pd
import pytest

from shopmind.errors import InvalidParameterError, NotFittedError
from shopmind.search import ProductSearch
from shopmind.search.query import Intents, parse_query
from shopmind.search.text import Analyzer, fold, split_pinyin

CATALOG = pd.DataFrame(
    [
        {"sku": "rice-wc", "title": "五常源 五常大米 一级 5kg 家庭装", "category": "粮油/大米", "brand": "五常源",
         "price": 87.9, "origin_province": "黑龙江", "origin_city": "哈尔滨", "certifications": ["geographical_indication"],
         "attributes": {"origin_county": "五常", "pack": "family"}},
        {"sku": "rice-org", "title": "盘锦蟹田 有机盘锦大米 标准 5kg 礼盒装", "category": "粮油/大米", "brand": "盘锦蟹田",
         "price": 129.0, "origin_province": "辽宁", "origin_city": "盘锦", "certifications": ["organic"]},
        {"sku": "kiwi", "title": "周至红心 周至猕猴桃 特级 2.5kg 家庭装", "category": "生鲜/水果/猕猴桃", "brand": "周至红心",
         "price": 36.9, "origin_province": "陕西", "origin_city": "西安", "certifications": []},
        {"sku": "honey-cheap", "title": "秦岭蜂语 秦岭土蜂蜜 标准 500g 尝鲜装", "category": "蜂蜜", "brand": "秦岭蜂语",
         "price": 39.0, "origin_province": "陕西", "origin_city": "汉中", "certifications": []},
        {"sku": "honey-org", "title": "秦岭蜂语 有机秦岭土蜂蜜 特级 2kg 礼盒装", "category": "蜂蜜", "brand": "秦岭蜂语",
         "price": 359.0, "origin_province": "陕西", "origin_city": "汉中", "certifications": ["organic"]},
        {"sku": "apple", "title": "洛川果园 洛川苹果 特级 5kg 礼盒装", "category": "生鲜/水果/苹果", "brand": "洛川果园",
         "price": 69.0, "origin_province": "陕西", "origin_city": "延安", "certifications": ["geographical_indication"]},
        {"sku": "bank", "title": "中国农业发展银行 纪念册", "category": "手工艺品", "brand": "纪念",
         "price": 20.0, "origin_province": "北京", "origin_city": "北京", "certifications": []},
        {"sku": "tea", "title": "Wuyi Rock Tea Da Hong Pao, premium, 125g", "category": "茶叶/乌龙茶", "brand": "Wuyi",
         "price": 109.0, "origin_province": "福建", "origin_city": "南平", "certifications": []},
    ]
)  # fmt: skip


@pytest.fixture(scope="module")
def search() -> ProductSearch:
    return ProductSearch(semantic=False, synonyms=[["番茄", "西红柿", "tomato"]]).fit(CATALOG)


def skus(resp: object) -> list[str]:
    return [h.sku for h in resp.hits]  # type: ignore[attr-defined]


def test_folding_and_pinyin_helpers() -> None:
    assert fold("ＡＰＰＬＥ 蘋果  禮盒") == "apple 苹果 礼盒"
    assert split_pinyin("wuchangdami") == ["wu", "chang", "da", "mi"]
    assert split_pinyin("honey") is None
    terms = Analyzer().document_terms("中国农业发展银行")
    assert "w:农业" in terms
    assert "b:农业" in terms
    assert "py:nongye" in terms
    assert "pi:ny" in terms


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("五常大米", "rice-wc"),  # Chinese words
        ("农业", "bank"),  # a short word inside a compound (the Meilisearch complaint)
        ("mihoutao", "kiwi"),  # full pinyin
        ("mht", "kiwi"),  # pinyin initials
        ("wuchangdami", "rice-wc"),  # pinyin typed as one run
        ("蘋果", "apple"),  # Traditional characters
        ("kiwi", "kiwi"),  # English through the glossary (the title is Chinese only)
        ("honey", "honey-cheap"),
    ],
)
def test_queries_find_the_right_product_first(search: ProductSearch, query: str, first: str) -> None:
    resp = search.search(query)
    assert resp.hits, query
    assert resp.hits[0].sku == first, (query, skus(resp))


def test_typo_is_corrected_and_suggested(search: ProductSearch) -> None:
    resp = search.search("premiun tea")
    assert resp.hits[0].sku == "tea"
    assert {"from": "premiun", "to": "premium", "kind": "typo"} in resp.corrections
    assert resp.suggestion == "premium tea"


def test_nonsense_finds_nothing(search: ProductSearch) -> None:
    assert search.search("xyzzy qwerty").total == 0


def test_price_certification_and_sort_are_understood_and_applied(search: ProductSearch) -> None:
    resp = search.search("蜂蜜 100元以下")
    assert skus(resp) == ["honey-cheap"]
    assert resp.understood[0]["kind"] == "price"
    assert resp.understood[0]["value"] == {"min": None, "max": 100.0}
    organic = search.search("有机大米")
    assert skus(organic) == ["rice-org"]  # the certification became a filter
    cheapest = search.search("最便宜的大米")
    assert skus(cheapest) == ["rice-wc", "rice-org"]
    assert cheapest.sort == "price_asc"


def test_place_and_gift_intents(search: ProductSearch) -> None:
    resp = search.search("wuchang rice")
    assert skus(resp) == ["rice-wc"]
    assert any(c["kind"] == "origin" and c["value"] == "五常" for c in resp.understood)
    gifts = search.search("蜂蜜礼盒")
    assert skus(gifts) == ["honey-org"]


def test_parse_query_reads_prices_but_not_quantities() -> None:
    intents = Intents(["五常"])
    assert parse_query("2.5kg 猕猴桃", intents).price_max is None
    q = parse_query("laptop under $500", intents)
    assert (q.text, q.price_max) == ("laptop", 500.0)
    q = parse_query("茶叶 100-200", intents)
    assert (q.price_min, q.price_max, q.text) == (100.0, 200.0, "茶叶")
    q = parse_query("普洱茶 100左右", intents)
    assert (q.price_min, q.price_max) == (80.0, 120.0)


def test_filters_and_facets(search: ProductSearch) -> None:
    resp = search.search("秦岭", filters="certification:organic")
    assert skus(resp) == ["honey-org"]
    all_shaanxi = search.search("", filters="region:陕西")
    assert set(skus(all_shaanxi)) == {"kiwi", "honey-cheap", "honey-org", "apple"}
    facets = search.search("大米").facets
    assert {f["value"]: f["count"] for f in facets["certification"]} == {
        "organic": 1,
        "geographical_indication": 1,
    }
    assert sum(b["count"] for b in facets["price"]) == 2
    with pytest.raises(InvalidParameterError, match="filters"):
        search.search("x", filters="colour:red")


def test_business_signals_reorder_and_are_explained() -> None:
    events = pd.DataFrame(
        [{"event_type": "search", "query": "蜂蜜", "session_id": f"s{i}", "sku": None,
          "ts": pd.Timestamp("2026-01-01 10:00", tz="UTC")} for i in range(20)]
        + [{"event_type": "purchase", "query": None, "session_id": f"s{i}", "sku": "honey-org",
            "ts": pd.Timestamp("2026-01-01 10:05", tz="UTC")} for i in range(20)]
    )  # fmt: skip
    plain = ProductSearch(semantic=False).fit(CATALOG)
    learned = ProductSearch(semantic=False).fit(CATALOG, events=events)
    assert plain.search("蜂蜜").hits[0].sku == "honey-cheap"
    top = learned.search("蜂蜜").hits[0]
    assert top.sku == "honey-org"
    assert top.explanation["signals"]["conversion"] > 0
    assert top.explanation["lexical"]["words_matched"] == "1/1"
    # out of stock goes down, and away with in_stock:true
    demoted = learned.search("蜂蜜", out_of_stock=frozenset({"honey-org"}))
    assert demoted.hits[0].sku == "honey-cheap"
    assert "honey-org" not in skus(
        learned.search("蜂蜜", filters="in_stock:true", out_of_stock=frozenset({"honey-org"}))
    )


def test_personal_profile_reranks(search: ProductSearch) -> None:
    neutral = skus(search.search("特级"))
    fan = skus(search.search("特级", profile={"categories": {"蜂蜜": 1.0}}))
    assert fan[0] == "honey-org"
    assert set(neutral) == set(fan)


def test_synonyms_from_the_merchant(search: ProductSearch) -> None:
    tomato = pd.DataFrame([{"sku": "t", "title": "新鲜西红柿 5斤", "price": 10.0}])
    s = ProductSearch(semantic=False, synonyms=[["番茄", "西红柿"]]).fit(tomato)
    assert skus(s.search("番茄")) == ["t"]
    assert ProductSearch(semantic=False, glossary=False).fit(tomato).search("番茄").total == 0


def test_incremental_upsert_and_remove() -> None:
    s = ProductSearch(semantic=False).fit(CATALOG)
    assert s.search("沁州黄").total == 0
    s.upsert(
        pd.DataFrame(
            [{"sku": "millet", "title": "太行农家 沁州黄小米 一级", "price": 10.9, "category": "粮油/杂粮"}]
        )
    )
    assert skus(s.search("沁州黄")) == ["millet"]
    s.upsert(pd.DataFrame([{"sku": "kiwi", "title": "周至红心 周至猕猴桃 特级 礼盒", "price": 99.0}]))
    assert skus(s.search("猕猴桃"))[0] == "kiwi"
    assert s.search("猕猴桃").hits[0].price == 99.0
    assert s.search("猕猴桃").total == 1  # the old version is gone
    assert s.remove(["kiwi", "nope"]) == 1
    assert s.search("猕猴桃").total == 0
    # many changes merge into the main segment and stay searchable
    more = pd.DataFrame(
        [{"sku": f"n{i}", "title": f"新品 {i} 号 蜂蜜", "price": 1.0 + i} for i in range(1200)]
    )
    s.upsert(more)
    assert s.search("蜂蜜").total == 1200 + 2
    assert len(s) == len(CATALOG) - 1 + 1 + 1200


def test_suggest_by_text_pinyin_and_initials(search: ProductSearch) -> None:
    assert "蜂蜜" in [x["text"] for x in search.suggest("蜂")]
    assert "蜂蜜" in [x["text"] for x in search.suggest("fm")]
    assert "猕猴桃" in [x["text"] for x in search.suggest("mihou")]
    assert search.suggest("   ") == []


def test_pickle_round_trip_and_not_fitted(search: ProductSearch) -> None:
    again = pickle.loads(pickle.dumps(search))
    assert skus(again.search("mihoutao")) == skus(search.search("mihoutao"))
    with pytest.raises(NotFittedError):
        ProductSearch().search("x")
    with pytest.raises(InvalidParameterError, match="limit"):
        search.search("x", limit=0)


def test_minilm_embedder_for_english_shops() -> None:
    from shopmind.search.semantic import MiniLMEmbedder

    model = MiniLMEmbedder()
    vectors = model.passages(
        ["wireless noise cancelling headphones", "bluetooth earbuds", "organic brown rice"]
    )
    assert vectors.shape == (3, 384)
    assert abs(float((vectors[0] ** 2).sum()) - 1.0) < 1e-4
    query = model.queries(["headphones"])[0]
    sims = vectors @ query
    assert sims[0] > sims[2]
    assert sims[1] > sims[2]
    english = ProductSearch(embedder=model).fit(
        pd.DataFrame(
            [
                {"sku": "h", "title": "Sony wireless noise cancelling headphones"},
                {"sku": "r", "title": "Organic brown rice 2kg"},
            ]
        )
    )
    assert english.search("headphones").mode == "hybrid"
    assert english.search("headphones").hits[0].sku == "h"


def test_importing_search_guards_the_onnxruntime_usearch_load_order() -> None:
    import subprocess
    import sys

    # usearch loaded before onnxruntime kills the process (clashing C++ runtimes); importing any
    # part of shopmind.search loads onnxruntime first
    code = "import shopmind.search.semantic; import usearch.index; import shopmind.search.visual; print('ok')"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "ok"


def test_embedding_cache_embeds_each_text_once_and_pickles_light(tmp_path: object) -> None:
    from pathlib import Path

    import numpy as np

    from shopmind.search.semantic import EmbeddingCache, MiniLMEmbedder

    path = Path(str(tmp_path)) / "emb.npz"
    cache = EmbeddingCache(path, MiniLMEmbedder())
    first = cache.embed(["green tea", "black tea", "honey"])
    with np.load(path) as data:
        assert len(data["keys"]) == 3
    again = pickle.loads(pickle.dumps(cache))
    assert len(pickle.dumps(cache)) < 5_000  # the vectors stay in the file
    assert np.allclose(again.embed(["honey", "green tea"]), first[[2, 0]])
    again.embed(["eggs"])
    with np.load(path) as data:
        assert len(data["keys"]) == 4
