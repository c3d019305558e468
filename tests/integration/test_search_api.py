"""Search end to end on a demo shop: trained from the store with real multilingual embeddings,
served over /v1/search, kept up to date as products change, logged for analytics."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from helpers import auth, client_for
from shopmind.config import Settings
from shopmind.datasets.demo import DemoSize, generate_demo_store
from shopmind.engine import Shopmind
from shopmind.ingest.datasets import import_frames

Shop = tuple[Shopmind, TestClient, dict[str, str], Any]


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    tmp: Path = tmp_path_factory.mktemp("search")
    settings = Settings(
        data_dir=tmp, database_url=f"sqlite:///{tmp / 'shop.db'}", secret_key="t", search_semantic=True
    )
    sm = Shopmind.open(settings)
    sm.create_shop("demo", "Demo")
    store = generate_demo_store(seed=5, size=DemoSize(products=60, customers=200, days=120))
    frames = {
        n: getattr(store, n)
        for n in ("products", "customers", "orders", "order_items", "inventory", "events")
    }
    import_frames(sm.engine("demo"), frames, source="demo")
    sm.engine("demo").train(["search"])
    keys = {
        "owner": sm.create_api_key("demo", "o", "owner")[1],
        "service": sm.create_api_key("demo", "s", "service")[1],
    }
    yield sm, client_for(sm), keys, store
    sm.close()


def _titles(body: dict[str, Any]) -> list[str]:
    return [h["title"] for h in body["hits"]]


def test_chinese_pinyin_and_english_queries(shop: Shop) -> None:
    _, c, keys, store = shop
    h = auth(keys["service"])
    # a word of a real title, and the same word typed as pinyin
    title = store.products["title"].iloc[0]
    word = title.split(" ")[1][-2:]
    body = c.get("/v1/search", params={"q": word}, headers=h).json()
    assert body["total"] > 0
    assert word in body["hits"][0]["title"], (word, _titles(body))
    # the products with the word in their title come before any other
    has = [word in t for t in _titles(body)]
    assert has == sorted(has, reverse=True), _titles(body)
    assert body["mode"] == "hybrid"
    assert body["hits"][0]["explanation"]["lexical"]["rank"] == 1
    from shopmind.search.text import pinyin_of

    pinyin = "".join(pinyin_of(word))
    by_pinyin = c.get("/v1/search", params={"q": pinyin}, headers=h).json()
    assert word in by_pinyin["hits"][0]["title"]


def test_cross_language_by_embedding_when_words_do_not_match(shop: Shop) -> None:
    sm, c, keys, _ = shop
    model = sm.engine("demo").search_model()
    # switch off the glossary so only the embeddings can bridge languages
    model.glossary_ = {}
    try:
        body = c.get("/v1/search", params={"q": "honey", "limit": 5}, headers=auth(keys["service"])).json()
    finally:
        from shopmind.search.service import _load_glossary

        model.glossary_ = _load_glossary()
    semantic = [h for h in body["hits"] if "semantic" in h["explanation"]]
    assert semantic, body
    assert "蜂蜜" in (semantic[0]["category"] or "") or "蜜" in semantic[0]["title"]


def test_constraint_query_filters_and_says_so(shop: Shop) -> None:
    _, c, keys, _ = shop
    body = c.get("/v1/search", params={"q": "50元以下", "limit": 50}, headers=auth(keys["service"])).json()
    assert body["understood"][0]["kind"] == "price"
    assert body["total"] > 0
    assert all(h["price"] <= 50 for h in body["hits"])
    bad = c.get("/v1/search", params={"q": "x", "filters": "colour:red"}, headers=auth(keys["service"]))
    assert bad.status_code == 422
    assert "filters" in bad.json()["error"]


def test_product_changes_are_searchable_at_once(shop: Shop) -> None:
    _, c, keys, _ = shop
    owner = auth(keys["owner"])
    assert c.get("/v1/search", params={"q": "璇玑糕"}, headers=owner).json()["total"] == 0
    r = c.post(
        "/v1/products",
        json={"sku": "NEW-1", "title": "太行农家 璇玑糕小米 一级", "price": 10.9},
        headers=owner,
    )
    assert r.status_code in (200, 201), r.text
    assert [h["sku"] for h in c.get("/v1/search", params={"q": "璇玑糕"}, headers=owner).json()["hits"]] == [
        "NEW-1"
    ]
    r = c.patch("/v1/products/NEW-1", json={"status": "inactive"}, headers=owner)
    assert r.status_code in (200, 201), r.text
    assert c.get("/v1/search", params={"q": "璇玑糕"}, headers=owner).json()["total"] == 0


def test_searches_are_logged_and_analysed(shop: Shop) -> None:
    _, c, keys, _ = shop
    h = auth(keys["service"])
    for _ in range(2):
        body = c.get("/v1/search", params={"q": "不存在的东西xyz", "session_id": "sess-9"}, headers=h).json()
        assert body["search_id"]
    report = c.get("/v1/search/analytics", headers=auth(keys["owner"])).json()
    zero = {r["query"]: r for r in report["zero_result_queries"]}
    assert zero["不存在的东西xyz"]["searches"] == 2
    assert report["searches"] > 2  # the demo's own search history is there too
    assert 0 <= report["click_through_rate"] <= 1
    assert c.get("/v1/search/analytics", headers=h).status_code == 403


def test_suggest_and_settings(shop: Shop) -> None:
    _, c, keys, _ = shop
    owner = auth(keys["owner"])
    got = c.get("/v1/search/suggest", params={"q": "fm"}, headers=auth(keys["service"])).json()
    assert "蜂蜜" in [s["text"] for s in got["suggestions"]]
    r = c.put(
        "/v1/search/settings",
        json={"synonyms": [["洋芋", "土豆"]], "custom_words": ["璇玑糕"]},
        headers=owner,
    )
    assert r.status_code == 200, r.text
    assert c.get("/v1/search/settings", headers=owner).json()["synonyms"] == [["洋芋", "土豆"]]
    bad = c.put("/v1/search/settings", json={"synonyms": [["一个词"]]}, headers=owner)
    assert bad.status_code == 422
    assert "synonyms" in bad.json()["error"]


def test_image_search_without_a_visual_model_says_how_to_get_one(shop: Shop) -> None:
    _, c, keys, _ = shop
    r = c.post(
        "/v1/search/image",
        files={"image": ("p.jpg", b"not really an image", "image/jpeg")},
        headers=auth(keys["service"]),
    )
    assert r.status_code == 404
    assert "visual" in r.json()["error"]
