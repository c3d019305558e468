"""The Customers page in a real browser: segments and their charts, a customer page, the audience
builder's live count and its hashed export, in Chinese and English.

A small demo shop (the generator, seeded) with a trained customer model, served by uvicorn in a
background thread; Playwright drives Debian's chromium. Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from helpers import serve
from shopmind.config import Settings
from shopmind.customers.audience import AudienceFilter
from shopmind.datasets.demo import DemoSize, generate_demo_store
from shopmind.engine import Shopmind
from shopmind.ingest.datasets import import_frames

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
USER, PASSWORD = "marketer", "correct-horse-42"


@dataclass(frozen=True)
class Live:
    base_url: str
    sm: Shopmind


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    base = tmp_path_factory.mktemp("customers-e2e")
    sm = Shopmind.open(
        Settings(data_dir=base / "data", database_url=f"sqlite:///{base / 'shop.db'}", secret_key="e2e")
    )
    engine = sm.create_shop("farm", "山里果园")
    store = generate_demo_store(seed=11, size=DemoSize(products=60, customers=400, days=300))
    frames = {n: getattr(store, n) for n in ("products", "customers", "orders", "order_items", "reviews")}
    import_frames(engine, frames, source="demo")
    engine.train(["customers"])
    sm.create_user("farm", USER, PASSWORD)
    try:
        with serve(sm) as url:
            yield Live(url, sm)
    finally:
        sm.close()


def _login(page: Page) -> None:
    page.goto("/console/login")
    page.fill("input[name=username]", USER)
    page.fill("input[name=password]", PASSWORD)
    page.click("#login-user")
    page.wait_for_load_state("load")


def test_customers_page_segments_customer_and_audience(live: Live, browser: Browser) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    ctx = browser.new_context(
        base_url=live.base_url, viewport={"width": 1280, "height": 1000}, accept_downloads=True
    )
    ctx.set_default_timeout(15_000)
    errors: list[str] = []
    page = ctx.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    _login(page)
    page.goto("/console/customers")
    engine = live.sm.engine("farm")
    overview = engine.segments()

    # The segment table: one row per segment present, sizes as the model has them, Chinese names.
    rows = page.locator("#segments tbody tr[data-segment]")
    expect(rows).to_have_count(len(overview["segments"]))
    first = overview["segments"][0]
    row = page.locator(f"#segments tr[data-segment={first['segment']}]")
    expect(row.locator("td").nth(1)).to_have_text(f"{first['customers']:,}")
    assert "重要价值客户" in page.inner_text("#segments") or first["segment"] != "champions"

    # Both charts drew, with one bar per segment.
    page.wait_for_selector("body[data-charts=ready]", state="attached")
    points = page.evaluate(
        "(id) => window.echarts.getInstanceByDom(document.getElementById(id)).getOption().series[0].data.length",
        "chart-segments",
    )
    assert points == len(overview["segments"])
    history = page.evaluate(
        "(id) => window.echarts.getInstanceByDom(document.getElementById(id)).getOption().series.length",
        "chart-history",
    )
    assert history == len(overview["segments"])
    months = page.evaluate(
        "(id) => window.echarts.getInstanceByDom(document.getElementById(id)).getOption().xAxis[0].data.length",
        "chart-history",
    )
    assert months == len(overview["history"]) > 1  # month-end snapshots back-filled at training
    expect(page.locator("#moves tbody tr").first).to_be_visible()
    # Profiles with the random forest's most important features.
    expect(page.locator("#profiles tr[data-profile]")).to_have_count(5)
    expect(page.locator("#profiles tr[data-profile=price_sensitive] .tag").first).to_be_visible()

    # The audience builder's live count equals the engine's for the same filter.
    expect(page.get_by_test_id("audience-count")).to_be_visible()
    page.check("input[name=segments][value=at_risk]")
    want = len(engine.audience(AudienceFilter(segments=["at_risk"], consent_only=True)))
    expect(page.get_by_test_id("audience-count")).to_have_text(f"{want:,}")
    page.uncheck("input[name=consent_only]")
    want_all = len(engine.audience(AudienceFilter(segments=["at_risk"], consent_only=False)))
    expect(page.get_by_test_id("audience-count")).to_have_text(f"{want_all:,}")
    page.screenshot(path=str(ARTIFACTS / "console-customers-zh.png"), full_page=True)

    # The export downloads hashes only.
    with page.expect_download() as dl:
        page.click("#export-audience")
    text = Path(dl.value.path()).read_text()
    assert text.splitlines()[0] == "email_sha256,phone_sha256"
    assert len(list(csv.DictReader(io.StringIO(text)))) <= want_all
    assert "@" not in text

    # A customer page, in English.
    page.click("a[data-lang=en]")
    page.wait_for_load_state("load")
    customer = str(engine.model("customers").customers_.sort_values("total_spend").index[-1])
    page.fill("input[name=customer_id]", customer)
    page.click("#customer-look-up")
    page.wait_for_load_state("load")
    segment = engine.customer_insight(customer)["segment"]
    from shopmind.customers.segments import segment_name

    expect(page.get_by_test_id("customer-segment")).to_contain_text(segment_name(segment, "en"))
    insight = engine.customer_insight(customer)
    expect(page.get_by_test_id("customer-profile")).to_contain_text(insight["profile_name"]["en"])
    assert "Segments" in page.inner_text("main")
    page.screenshot(path=str(ARTIFACTS / "console-customers-en.png"), full_page=True)
    assert not errors, errors
    ctx.close()


def test_customers_page_without_a_model_says_what_to_do(live: Live, browser: Browser) -> None:
    sm = live.sm
    sm.create_shop("empty", "Empty")
    sm.create_user("empty", "nobody", PASSWORD)
    ctx = browser.new_context(base_url=live.base_url)
    page = ctx.new_page()
    page.goto("/console/login")
    page.fill("input[name=username]", "nobody")
    page.fill("input[name=password]", PASSWORD)
    page.click("#login-user")
    page.wait_for_load_state("load")
    page.goto("/console/customers")
    expect(page.get_by_role("alert")).to_contain_text("customers")
    assert "shopmind train customers" in page.inner_text("main")
    ctx.close()
