"""The Forecasts page in a real browser: a product's history, forecast and interval bands, the reorder
list with its reasons, and the CSV / Excel exports, in Chinese and English."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from playwright.sync_api import Browser, expect

from helpers import serve
from shopmind.config import Settings
from shopmind.datasets.demo import DemoSize, generate_demo_store
from shopmind.engine import Shopmind
from shopmind.ingest.datasets import import_frames

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
USER, PASSWORD = "buyer", "correct-horse-42"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Shopmind]]:
    base = tmp_path_factory.mktemp("forecast-e2e")
    sm = Shopmind.open(
        Settings(data_dir=base / "data", database_url=f"sqlite:///{base / 'shop.db'}", secret_key="e2e")
    )
    engine = sm.create_shop("farm", "山里果园")
    store = generate_demo_store(seed=5, size=DemoSize(products=30, customers=300, days=200))
    frames = {n: getattr(store, n) for n in ("products", "customers", "orders", "order_items", "inventory")}
    import_frames(engine, frames, source="demo")
    engine.train(["forecast"])
    sm.create_user("farm", USER, PASSWORD)
    try:
        with serve(sm) as url:
            yield url, sm
    finally:
        sm.close()


def test_forecast_page_chart_reorder_list_and_exports(live: tuple[str, Shopmind], browser: Browser) -> None:
    url, sm = live
    ARTIFACTS.mkdir(exist_ok=True)
    ctx = browser.new_context(base_url=url, viewport={"width": 1280, "height": 1000}, accept_downloads=True)
    ctx.set_default_timeout(15_000)
    errors: list[str] = []
    page = ctx.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto("/console/login")
    page.fill("input[name=username]", USER)
    page.fill("input[name=password]", PASSWORD)
    page.click("#login-user")
    page.wait_for_load_state("load")
    page.goto("/console/forecasts")

    engine = sm.engine("farm")
    model = engine.model("forecast")
    sku = model.skus_[0]
    expected = engine.forecast_for(sku, None, 120)["series"][0]
    expect(page.locator("#sku-select")).to_have_value(sku)
    expect(page.locator("#forecast-model strong")).to_have_text(expected["model"])

    # History then forecast on one axis; the two bands are drawn as stacked areas.
    page.wait_for_selector("body[data-charts=ready]", state="attached")
    state = page.evaluate(
        """() => { const c = echarts.getInstanceByDom(document.getElementById('chart-forecast'));
                   const o = c.getOption();
                   return { dates: o.xAxis[0].data.length, series: o.series.length,
                            forecast: o.series[1].data.filter((v) => v !== null).length }; }"""
    )
    assert state["dates"] == len(expected["history"]) + len(expected["forecast"])
    assert state["forecast"] == model.horizon_
    assert state["series"] == 6  # history, forecast, and two stacked series per band

    # The reorder list shows every product to order now, with its reason.
    plan = engine.replenishment(True)["plan"]
    rows = page.locator("#reorder tbody tr[data-sku]")
    expect(rows).to_have_count(min(len(plan), 40))
    if plan:
        expect(rows.first.locator("td").last).not_to_be_empty()
    page.screenshot(path=str(ARTIFACTS / "console-forecasts-zh.png"), full_page=True)

    # Another product from the picker.
    if len(model.skus_) > 1:
        page.select_option("#sku-select", model.skus_[1])
        page.wait_for_load_state("load")
        expect(page.locator("#sku-select")).to_have_value(model.skus_[1])

    # Excel export through the console session.
    with page.expect_download() as dl:
        page.click("#export-xlsx")
    book = openpyxl.load_workbook(io.BytesIO(Path(dl.value.path()).read_bytes()))
    assert book.sheetnames == ["replenishment", "alerts"]

    page.click("a[data-lang=en]")
    page.wait_for_load_state("load")
    assert "Reorder list" in page.inner_text("main")
    page.screenshot(path=str(ARTIFACTS / "console-forecasts-en.png"), full_page=True)
    assert not errors, errors
    ctx.close()
