"""The Search page in a real browser: the playground answers Chinese, pinyin, initials, English and
typo queries on the demo store and explains every result's rank; query understanding (price chips),
facets, autocomplete, search by photo and the merchant's search analytics, in Chinese and English.

A demo shop (the generator, seeded, with its shoppers' events) with a trained search index, served
by uvicorn in a background thread; Playwright drives Debian's chromium. Screenshots go to
``test-artifacts/``.
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import Browser, Page, expect

from helpers import console_page, serve
from shopmind.config import Settings
from shopmind.datasets.demo import DemoSize, generate_demo_store
from shopmind.engine import Shopmind
from shopmind.ingest.datasets import import_frames

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
USER, PASSWORD = "merchant", "correct-horse-42"


@dataclass(frozen=True)
class Live:
    base_url: str
    sm: Shopmind


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    base = tmp_path_factory.mktemp("search-e2e")
    sm = Shopmind.open(
        Settings(data_dir=base / "data", database_url=f"sqlite:///{base / 'shop.db'}", secret_key="e2e")
    )
    engine = sm.create_shop("farm", "山里果园")
    # 120 products: enough of the catalog for 五常大米, 猕猴桃 and the honeys; the events give
    # popularity, search-to-purchase signals, autocomplete's popular queries and the analytics.
    store = generate_demo_store(seed=5, size=DemoSize(products=120, customers=300, days=120))
    frames = {
        n: getattr(store, n)
        for n in ("products", "customers", "orders", "order_items", "inventory", "events")
    }
    import_frames(engine, frames, source="demo")
    engine.train(["search"])
    sm.create_user("farm", USER, PASSWORD)
    sm.create_shop("new", "新开的店")  # no search index yet
    sm.create_user("new", "newcomer", PASSWORD)
    try:
        with serve(sm) as url:
            yield Live(url, sm)
    finally:
        sm.close()


@pytest.fixture
def page(live: Live, browser: Browser) -> Iterator[Page]:
    """A logged-in console page (Chinese, the default); fails the test on any JavaScript error."""
    with console_page(browser, live.base_url, USER, PASSWORD) as p:
        yield p


def search(page: Page, q: str, **params: str) -> None:
    extra = "".join(f"&{k}={quote(v)}" for k, v in params.items())
    page.goto(f"/console/search?q={quote(q)}{extra}")
    page.wait_for_selector("body[data-charts=ready]", state="attached")


def titles(page: Page) -> list[str]:
    return page.locator("#results [data-testid=hit-title]").all_inner_texts()


def test_chinese_query_lists_matches_and_explains_their_rank(live: Live, page: Page) -> None:
    page.goto("/console/search")
    page.fill("#q", "五常大米")
    with page.expect_navigation():
        page.click("#search-submit")
    page.wait_for_selector("body[data-charts=ready]", state="attached")
    expected = live.sm.engine("farm").search("五常大米", limit=20, log=False)
    rows = page.locator("#results tbody tr[data-sku]")
    expect(rows).to_have_count(len(expected["hits"]))
    assert expected["hits"], "the demo store sells 五常大米"
    assert [rows.nth(i).get_attribute("data-sku") for i in range(rows.count())] == [
        h["sku"] for h in expected["hits"]
    ]
    found = titles(page)
    assert all("五常" in t and "大米" in t for t in found), found
    # The why column: lexical rank, words matched and the matched terms; semantic rank; signal bars.
    first = rows.first
    lexical = first.locator("[data-testid=why-lexical]").inner_text()
    assert "BM25" in lexical, lexical
    assert "2/2" in lexical, lexical
    expect(first.locator("code.term[data-kind=w]", has_text="五常")).to_have_count(1)
    if expected["mode"] == "hybrid":
        assert "#" in first.locator("[data-testid=why-semantic]").inner_text()
    bars = first.locator("[data-testid=why-signals] .sig")
    expect(bars).to_have_count(5)
    width = first.locator("[data-signal=relevance] .sig-bar").evaluate("e => e.style.width")
    assert float(width.rstrip("%")) > 0
    expect(page.locator("[data-testid=search-total]")).to_have_text(str(expected["total"]))
    expect(page.locator("[data-testid=search-mode]")).not_to_be_empty()
    expect(page.locator("#understood .chip[data-kind=origin]")).to_have_count(1)
    page.screenshot(path=str(ARTIFACTS / "console-search-zh.png"), full_page=True)


def test_pinyin_and_initials_find_the_chinese_products(page: Page) -> None:
    search(page, "mihoutao")
    found = titles(page)
    assert found
    assert all("猕猴桃" in t for t in found), found
    expect(page.locator("#results code.term[data-kind=py]").first).to_have_text("mihoutao")
    search(page, "fm")  # 蜂蜜's initials
    found = titles(page)
    assert found
    assert all("蜜" in t for t in found), found


def test_english_query_and_a_typo(page: Page) -> None:
    page.goto("/console/search")
    with page.expect_navigation():
        page.click("#examples a[data-example=english]")
    page.wait_for_selector("body[data-charts=ready]", state="attached")
    expect(page.locator("#q")).to_have_value("organic honey")
    # "organic" is understood as the certification (a filter), whether or not the shop sells it
    expect(page.locator("#understood .chip[data-kind=certification]")).to_have_count(1)

    search(page, "wild honey")
    found = titles(page)
    assert found, "wild honey finds the Chinese honeys through their English titles"
    assert "蜂蜜" in found[0], found

    search(page, "kiwifriut")
    expect(page.locator("#did-you-mean a")).to_have_text("kiwifruit")
    found = titles(page)
    assert found
    assert all("猕猴桃" in t for t in found), found
    with page.expect_navigation():
        page.click("#did-you-mean a")
    page.wait_for_selector("body[data-charts=ready]", state="attached")
    expect(page.locator("#q")).to_have_value("kiwifruit")
    assert titles(page)


def test_price_words_become_a_chip_and_a_limit(page: Page) -> None:
    search(page, "蜂蜜 100元以下")
    expect(page.locator("#understood .chip[data-kind=price]")).to_contain_text("100")
    prices = [float(p) for p in page.locator("#results tbody tr[data-sku]").evaluate_all(
        "rows => rows.map(r => r.dataset.price)"
    )]  # fmt: skip
    assert prices
    assert all(p <= 100 for p in prices), prices

    search(page, "蜂蜜 100元以下 最便宜")
    expect(page.locator("#understood .chip[data-kind=sort]")).to_have_count(1)
    prices = [float(p) for p in page.locator("#results tbody tr[data-sku]").evaluate_all(
        "rows => rows.map(r => r.dataset.price)"
    )]  # fmt: skip
    assert prices == sorted(prices), prices
    assert all(p <= 100 for p in prices), prices


def test_a_facet_narrows_the_results_and_can_be_removed(page: Page) -> None:
    search(page, "organic")
    before = int(page.locator("[data-testid=search-total]").inner_text().replace(",", ""))
    facet = page.locator("#facets [data-facet=category] a").first
    category = facet.inner_text()
    with page.expect_navigation():
        facet.click()
    page.wait_for_selector("body[data-charts=ready]", state="attached")
    assert "filters=" in page.url
    expect(page.locator("#active-filters .chip")).to_have_count(1)
    after = int(page.locator("[data-testid=search-total]").inner_text().replace(",", ""))
    assert 0 < after < before, (before, after)
    cats = page.locator("#results tbody tr[data-sku] td:nth-child(4)").all_inner_texts()
    assert cats
    assert all(c.split("/")[0] == category for c in cats), (category, cats)
    # a second facet of another kind combines with the first
    price = page.locator("#facets [data-facet=price] a").first
    pair = price.get_attribute("data-pair")
    with page.expect_navigation():
        price.click()
    page.wait_for_selector("body[data-charts=ready]", state="attached")
    expect(page.locator("#active-filters .chip")).to_have_count(2)
    lo, _, hi = (pair or "").removeprefix("price:").partition("-")
    for p in page.locator("#results tbody tr[data-sku]").evaluate_all(
        "rows => rows.map(r => r.dataset.price)"
    ):
        assert float(lo or 0) <= float(p) <= float(hi or "inf")
    # removing the category filter keeps the price one
    with page.expect_navigation():
        page.click(f"#active-filters .chip[data-pair='category:{category}']")
    page.wait_for_selector("body[data-charts=ready]", state="attached")
    expect(page.locator("#active-filters .chip")).to_have_count(1)
    expect(page.locator("#active-filters .chip")).to_have_attribute("data-pair", pair or "")


def test_autocomplete_suggests_as_you_type_and_works_from_the_keyboard(page: Page) -> None:
    page.goto("/console/search")
    page.locator("#q").press_sequentially("fm", delay=30)
    options = page.locator("#suggest-list [role=option]")
    expect(options.first).to_be_visible()
    assert any("蜂" in t for t in options.all_inner_texts()), options.all_inner_texts()
    expect(page.locator("#q")).to_have_attribute("aria-expanded", "true")
    page.keyboard.press("ArrowDown")
    expect(options.first).to_have_attribute("aria-selected", "true")
    chosen = options.first.get_attribute("data-text") or ""
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("#q")).to_have_value(chosen)
    assert titles(page)
    # Chinese prefixes too; Escape closes the list
    page.fill("#q", "")
    page.locator("#q").press_sequentially("蜂", delay=30)
    expect(options.first).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#suggest-list")).to_be_hidden()


def test_console_searches_are_not_counted_in_analytics(live: Live, page: Page) -> None:
    engine = live.sm.engine("farm")
    before = engine.search_analytics(days=None)["searches"]
    search(page, "五常大米", customer_id="C000001")
    assert titles(page)
    expect(page.locator("#search-customer")).to_have_value("C000001")
    assert engine.search_analytics(days=None)["searches"] == before


def test_analytics_card_shows_kpis_chart_and_query_tables(live: Live, page: Page) -> None:
    analytics = live.sm.engine("farm").search_analytics(days=30)
    assert analytics["searches"] > 0, "the demo shoppers search"
    page.goto("/console/search")
    page.wait_for_selector("body[data-charts=ready]", state="attached")
    expect(page.locator("[data-testid=kpi-searches]")).to_have_text(f"{analytics['searches']:,}")
    expect(page.locator("[data-testid=kpi-zero]")).to_have_text(f"{analytics['zero_result_rate'] * 100:.1f}%")
    expect(page.locator("[data-testid=kpi-ctr]")).to_have_text(
        f"{analytics['click_through_rate'] * 100:.1f}%"
    )
    state = page.evaluate(
        """() => { const c = echarts.getInstanceByDom(document.getElementById('chart-top-queries'));
                   const o = c.getOption();
                   return { queries: o.xAxis[0].data, series: o.series.map((s) => s.type) }; }"""
    )
    assert state["queries"] == [r["query"] for r in analytics["top_queries"][:15]]
    assert state["series"] == ["bar", "line"]
    zero = page.locator("#zero-queries tbody tr")
    expect(zero).to_have_count(max(1, len(analytics["zero_result_queries"])))
    if analytics["zero_result_queries"]:
        q = analytics["zero_result_queries"][0]["query"]
        with page.expect_navigation():
            zero.first.locator("a").click()
        page.wait_for_selector("body[data-charts=ready]", state="attached")
        expect(page.locator("#q")).to_have_value(q)
        expect(page.locator("[data-testid=search-total]")).to_have_text("0")
        expect(page.locator("#no-results")).to_be_visible()
    expect(page.locator("#low-click-queries")).to_be_visible()


def test_english_console(page: Page) -> None:
    page.goto("/console/search")
    with page.expect_navigation():
        page.click("a[data-lang=en]")
    page.wait_for_selector("body[data-charts=ready]", state="attached")
    main = page.inner_text("main")
    for label in ("Search playground", "Search by photo", "Search analytics", "Zero-result rate"):
        assert label in main, label
    search(page, "五常大米")
    found = titles(page)
    assert found
    assert all("Wuchang rice" in t for t in found), found  # title_en in English
    expect(page.locator("#understood .chip").first).to_contain_text("from")
    expect(page.locator("[data-signal=relevance] .sig-name").first).to_have_text("Relevance")
    page.screenshot(path=str(ARTIFACTS / "console-search-en.png"), full_page=True)


def test_photo_search_shows_the_api_error(page: Page, tmp_path: Path) -> None:
    bogus = tmp_path / "not-a-photo.png"
    bogus.write_bytes(b"this is not a picture")
    page.goto("/console/search")
    page.set_input_files("#photo-file", str(bogus))
    page.click("#photo-submit")
    error = page.locator("#photo-error")
    expect(error).to_be_visible()
    expect(error).not_to_be_empty()
    expect(page.locator("#photo-results li")).to_have_count(0)


def test_photo_search_finds_the_product_in_the_picture(live: Live, page: Page) -> None:
    if importlib.util.find_spec("shopmind.search.visual") is None:
        pytest.skip("no visual search model yet: shopmind.search.visual (the image embedder) is missing")
    from shopmind.search.visual import write_demo_images

    engine = live.sm.engine("farm")
    products = engine.data.frame(
        "products", ["sku", "title", "title_en", "category", "attributes", "image_path", "status"]
    )
    products = products[(products["status"] == "active") & products["image_path"].notna()]
    # the demo catalog names pictures it does not ship: draw them (one look per kind of product)
    write_demo_images(products, Path(engine.workdir))
    engine.train(["visual"])
    row = products.iloc[len(products) // 2]
    page.goto("/console/search")
    expect(page.locator("#photo-not-trained")).to_have_count(0)
    page.set_input_files("#photo-file", str(Path(engine.workdir) / row["image_path"]))
    expect(page.locator("#photo-preview")).to_be_visible()
    page.click("#photo-submit")
    hits = page.locator("#photo-results li")
    expect(hits.first).to_be_visible()
    top = [hits.nth(i).get_attribute("data-sku") for i in range(min(3, hits.count()))]
    assert row["sku"] in top, (row["sku"], top)
    expect(hits.first.locator(".similarity")).to_have_text(re.compile(r"\d\.\d{3}$"))
    expect(page.locator("#photo-error")).to_be_hidden()


def test_a_shop_without_a_search_index_is_told_how_to_build_one(live: Live, browser: Browser) -> None:
    ctx = browser.new_context(base_url=live.base_url)
    page = ctx.new_page()
    page.goto("/console/login")
    page.fill("input[name=username]", "newcomer")
    page.fill("input[name=password]", PASSWORD)
    page.click("#login-user")
    page.wait_for_load_state("load")
    page.goto("/console/search?q=" + quote("蜂蜜"))
    expect(page.locator("main .error[role=alert]")).not_to_be_empty()
    expect(page.locator("main")).to_contain_text("shopmind train search")
    expect(page.locator("#results")).to_have_count(0)
    ctx.close()
