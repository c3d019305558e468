"""The web console in a real browser: login, overview KPIs and charts, languages, logout,
API-key login, a wrong password, and what the overview costs to download on a slow link.

The real app runs under uvicorn in a background thread, over real HTTP on a free loopback port, on
a small deterministic shop in SQLite (its own data, not the demo generator). Playwright drives
Debian's chromium (``make system-deps`` installs it): Playwright's own browser download does not
work offline. Screenshots and the transfer figures go to ``test-artifacts/`` (git-ignored).
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Request,
    Response,
    WebError,
    expect,
)

from helpers import serve
from shopmind.config import Settings
from shopmind.engine import Engine, Shopmind

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

SHOP_ID = "orchard"
SHOP_NAME = "山里果园"
USERNAME = "grower"
PASSWORD = "correct-horse-42"
TZ = ZoneInfo("Asia/Shanghai")
#: Monday: the overview groups orders into weeks starting on Monday (W-SUN periods).
FIRST_MONDAY = dt.date(2024, 3, 4)
N_WEEKS = 20
N_CUSTOMERS = 50
N_ORDERS = 300
PROVINCES = [
    "浙江省",
    "广东省",
    "四川省",
    "山东省",
    "云南省",
    "黑龙江省",
    "广西壮族自治区",
    "新疆维吾尔自治区",
]
#: (Chinese title, English title, price in CNY)
PRODUCTS = [
    ("赣南脐橙 5斤装", "Gannan navel oranges 2.5 kg", 39.9),
    ("烟台红富士苹果", "Yantai Fuji apples", 45.0),
    ("云南高原蓝莓", "Yunnan highland blueberries", 68.0),
    ("海南金煌芒果", "Hainan Jinhuang mangoes", 55.5),
    ("新疆阿克苏冰糖心苹果", "Aksu rock-sugar apples", 59.0),
    ("四川眉山爱媛果冻橙", "Meishan Aiyuan jelly oranges", 49.9),
    ("五常大米 10斤", "Wuchang rice 5 kg", 88.0),
    ("东北黑木耳", "Northeast black fungus", 32.0),
    ("西湖龙井绿茶", "West Lake Longjing green tea", 168.0),
    ("安吉白茶", "Anji white tea", 128.0),
    ("宁夏中宁枸杞", "Ningxia Zhongning goji berries", 42.0),
    ("山东章丘大葱", "Zhangqiu scallions", 19.9),
    ("洛川红富士", "Luochuan Fuji apples", 49.0),
    ("广西沃柑", "Guangxi Wogan mandarins", 36.8),
    ("丹东草莓", "Dandong strawberries", 79.0),
    ("黄岩蜜桔", "Huangyan honey tangerines", 29.9),
    ("土鸡蛋 30枚", "Free-range eggs, 30", 45.0),
    ("云南普洱熟茶饼", "Yunnan ripe Pu'er tea cake", 138.0),
    ("陕西猕猴桃", "Shaanxi kiwifruit", 39.0),
    ("天然槐花蜂蜜", "Acacia honey", 58.0),
]


@dataclass(frozen=True)
class Expected:
    """What the overview must show for the dataset the fixture loaded."""

    gmv: float
    orders: int
    customers: int
    weeks: int
    regions: int
    top_sku: str
    titles: dict[str, tuple[str, str]]  # sku -> (zh title, en title)


@dataclass(frozen=True)
class LiveServer:
    base_url: str
    username: str
    password: str
    api_key: str
    expected: Expected


def load_shop(engine: Engine, seed: int = 20240304) -> Expected:
    """Insert 20 products, 50 customers and 300 orders over 20 weeks; return the expected overview."""
    rng = random.Random(seed)
    products: list[dict[str, Any]] = [
        {"sku": f"SKU-{i:03d}", "title": zh, "title_en": en, "price": price, "category": "生鲜/水果"}
        for i, (zh, en, price) in enumerate(PRODUCTS, start=1)
    ]
    price_of = {f"SKU-{i:03d}": price for i, (_, _, price) in enumerate(PRODUCTS, start=1)}
    titles = {f"SKU-{i:03d}": (zh, en) for i, (zh, en, _) in enumerate(PRODUCTS, start=1)}
    province_of = {f"C{i:04d}": PROVINCES[i % len(PROVINCES)] for i in range(1, N_CUSTOMERS + 1)}
    customers: list[dict[str, Any]] = [
        {
            "customer_id": customer_id,
            "province": province,
            "signup_date": FIRST_MONDAY - dt.timedelta(days=rng.randint(1, 400)),
        }
        for customer_id, province in province_of.items()
    ]
    orders: list[dict[str, Any]] = []
    revenue: dict[str, float] = defaultdict(float)
    regions: set[str] = set()
    buyers: set[str] = set()
    # One order in each week, the rest on a growing trend: every one of the N_WEEKS weeks has sales.
    weeks = list(range(N_WEEKS)) + rng.choices(
        range(N_WEEKS), weights=[5 + w for w in range(N_WEEKS)], k=N_ORDERS - N_WEEKS
    )
    for i, week in enumerate(weeks):
        day = FIRST_MONDAY + dt.timedelta(weeks=week, days=rng.randint(0, 6))
        ordered_at = dt.datetime.combine(day, dt.time(rng.randint(8, 21), rng.randint(0, 59)), tzinfo=TZ)
        customer = f"C{rng.randint(1, N_CUSTOMERS):04d}"
        items: list[dict[str, Any]] = []
        total = 0.0
        for sku in rng.sample(sorted(price_of), rng.randint(1, 3)):
            qty = rng.randint(1, 4)
            discount = rng.choice([0.0, 0.0, 5.0])
            items.append(
                {"sku": sku, "quantity": qty, "unit_price": price_of[sku], "discount_amount": discount}
            )
            revenue[sku] += qty * price_of[sku] - discount
            total += qty * price_of[sku] - discount
        shipping = rng.choice([0.0, 8.0])
        total = round(total + shipping, 2)
        # Every fifth order has no shipping province: the overview falls back to the customer's.
        province = None if i % 5 == 0 else rng.choice(PROVINCES)
        regions.add(province or province_of[customer])
        buyers.add(customer)
        orders.append(
            {
                "order_id": f"O{i:05d}",
                "customer_id": customer,
                "status": rng.choice(["paid", "shipped", "delivered", "completed"]),
                "ordered_at": ordered_at,
                "total_amount": total,
                "shipping_fee": shipping,
                "channel": "app",
                "shipping_province": province,
                "items": items,
            }
        )
    engine.upsert("products", products)
    engine.upsert("customers", customers)
    engine.upsert("orders", orders)
    gmv = round(sum(float(o["total_amount"]) for o in orders), 2)
    return Expected(
        gmv=gmv,
        orders=len(orders),
        customers=len(buyers),
        weeks=N_WEEKS,
        regions=min(len(regions), 12),
        top_sku=max(revenue, key=lambda s: revenue[s]),
        titles=titles,
    )


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The real app over real HTTP (uvicorn in a background thread) on a SQLite installation."""
    base = tmp_path_factory.mktemp("console-e2e")
    settings = Settings(
        data_dir=base / "data",
        database_url=f"sqlite:///{base / 'shop.db'}",
        secret_key="e2e-secret",
        default_language="zh-CN",
    )
    sm = Shopmind.open(settings)
    expected = load_shop(sm.create_shop(SHOP_ID, SHOP_NAME))
    sm.create_user(SHOP_ID, USERNAME, PASSWORD)
    _, api_key = sm.create_api_key(SHOP_ID, "console e2e", "owner")

    try:
        with serve(sm) as url:
            yield LiveServer(url, USERNAME, PASSWORD, api_key, expected)
    finally:
        sm.close()


@dataclass
class Watch:
    """What a browser context did: every request URL, console errors and uncaught page errors."""

    urls: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    console_warnings: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    def on_request(self, request: Request) -> None:
        self.urls.append(request.url)

    def on_console(self, msg: ConsoleMessage) -> None:
        where = f" ({msg.location.get('url')}:{msg.location.get('lineNumber')})" if msg.location else ""
        if msg.type == "error":
            self.console_errors.append(msg.text + where)
        elif msg.type == "warning":
            self.console_warnings.append(msg.text + where)

    def on_web_error(self, error: WebError) -> None:
        self.page_errors.append(str(error.error))

    def assert_clean(self, base_url: str) -> None:
        """Only requests to the app itself; no console errors; no uncaught exceptions."""
        assert self.urls, "the browser made no request at all"
        foreign = [u for u in self.urls if not u.startswith(base_url + "/")]
        assert not foreign, f"requests left the app ({base_url}): {foreign}"
        assert not self.console_errors, f"console errors: {self.console_errors}"
        assert not self.page_errors, f"uncaught page errors: {self.page_errors}"


NewContext = Callable[[], tuple[BrowserContext, Watch]]


@pytest.fixture
def new_context(browser: Browser, live_server: LiveServer) -> Iterator[NewContext]:
    """A factory of fresh browser contexts (own cookies, cold cache), each with a Watch."""
    made: list[BrowserContext] = []

    def make() -> tuple[BrowserContext, Watch]:
        ctx = browser.new_context(base_url=live_server.base_url, viewport={"width": 1280, "height": 900})
        ctx.set_default_timeout(15_000)
        watch = Watch()
        ctx.on("request", watch.on_request)
        ctx.on("console", watch.on_console)
        ctx.on("weberror", watch.on_web_error)
        made.append(ctx)
        return ctx, watch

    yield make
    for ctx in made:
        ctx.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


# -- the tests ---------------------------------------------------------------------------------

#: Budget for the overview's first load with a cold cache (HTML, CSS, JS, headers included).
BUDGET_BYTES = 300 * 1024
#: A year: the static URLs carry the version, so a release busts the cache.
LONG_MAX_AGE = 365 * 24 * 3600

CHART_STATE = """(id) => {
  const el = document.getElementById(id);
  const chart = el && window.echarts ? window.echarts.getInstanceByDom(el) : null;
  const canvas = el ? el.querySelector("canvas") : null;
  const opt = chart ? chart.getOption() : null;
  return {
    instance: !!chart,
    points: opt && opt.series && opt.series[0] ? opt.series[0].data.length : null,
    total: opt && opt.series && opt.series[0] ? opt.series[0].data.reduce((a, b) => a + Number(b), 0) : null,
    canvasWidth: canvas ? canvas.width : 0,
    canvasHeight: canvas ? canvas.height : 0,
    boxWidth: el ? el.getBoundingClientRect().width : 0,
  };
}"""

#: Every text ECharts drew (axis labels, legend) with its box in chart pixels; then the pairs that
#: overlap and the texts that stick out of the chart (zrender draws a text as a "tspan").
CHART_TEXT_CLASHES = """(id) => {
  const el = document.getElementById(id);
  const chart = window.echarts.getInstanceByDom(el);
  const w = chart.getWidth(), h = chart.getHeight();
  const boxes = [];
  chart.getZr().storage.getDisplayList(true).forEach((e) => {
    if (e.type !== "tspan" || e.invisible || e.ignore || !e.style || !e.style.text) { return; }
    const r = e.getBoundingRect().clone();
    if (e.transform) { r.applyTransform(e.transform); }
    boxes.push({ text: String(e.style.text), x: r.x, y: r.y, w: r.width, h: r.height });
  });
  const overlaps = [], outside = [];
  boxes.forEach((a, i) => {
    if (a.x < -1 || a.y < -1 || a.x + a.w > w + 1 || a.y + a.h > h + 1) { outside.push(a.text); }
    boxes.slice(i + 1).forEach((b) => {
      const dx = Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x);
      const dy = Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y);
      if (dx > 1 && dy > 1) { overlaps.push([a.text, b.text]); }
    });
  });
  return { texts: boxes.length, overlaps: overlaps, outside: outside };
}"""


def _money(currency: str, amount: float) -> str:
    return f"{currency} {amount:,.2f}"


def _path(page: Page) -> str:
    return page.url.split("://", 1)[1].split("/", 1)[1].split("?", 1)[0]


def _login_with_user(page: Page, username: str, password: str) -> None:
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("#login-user")
    page.wait_for_load_state("load")


def _assert_overview(page: Page, live: LiveServer) -> list[str]:
    """KPIs equal the inserted data; both charts drew on a canvas with one point per week/region.

    Returns the layout faults of the charts (texts over each other or cut off), for the caller to
    assert once the screenshots are taken."""
    exp = live.expected
    expect(page.get_by_test_id("kpi-orders")).to_have_text(f"{exp.orders:,}")
    expect(page.get_by_test_id("kpi-gmv")).to_have_text(_money("CNY", exp.gmv))
    expect(page.get_by_test_id("kpi-customers")).to_have_text(f"{exp.customers:,}")
    page.wait_for_selector("body[data-charts=ready]", state="attached")
    lang = page.get_attribute("html", "lang")
    faults: list[str] = []
    for chart_id, points in (("chart-weeks", exp.weeks), ("chart-regions", exp.regions)):
        state: dict[str, Any] = page.evaluate(CHART_STATE, chart_id)
        assert state["instance"], f"no ECharts instance on #{chart_id}: {state}"
        assert points > 0
        assert state["points"] == points, f"#{chart_id}: {state}"
        assert state["canvasWidth"] > 0, f"#{chart_id} has no drawn canvas: {state}"
        assert state["canvasHeight"] > 0, f"#{chart_id} has no drawn canvas: {state}"
        assert state["boxWidth"] > 0, f"#{chart_id} takes no room on the page: {state}"
        # Each chart's first series is GMV: by week, or by region (all regions here, at most 12).
        assert state["total"] == pytest.approx(exp.gmv, abs=0.05), f"#{chart_id}: {state}"
        clashes: dict[str, Any] = page.evaluate(CHART_TEXT_CLASHES, chart_id)
        assert clashes["texts"] > 0, f"#{chart_id} drew no text (axis labels, legend)"
        if clashes["overlaps"]:
            faults.append(f"{lang} #{chart_id}: texts drawn over each other: {clashes['overlaps']}")
        if clashes["outside"]:
            faults.append(f"{lang} #{chart_id}: texts cut off at the chart's edge: {clashes['outside']}")
    return faults


def test_console_login_overview_languages_and_logout(
    live_server: LiveServer, new_context: NewContext, artifacts: Path
) -> None:
    live, exp = live_server, live_server.expected
    ctx, watch = new_context()
    page = ctx.new_page()

    # Not logged in: the console sends us to the login page, in Chinese by default.
    page.goto("/console/")
    assert _path(page) == "console/login"
    expect(page.locator("h1")).to_have_text("登录控制台")

    _login_with_user(page, live.username, live.password)
    assert _path(page) == "console/"
    expect(page.locator("h1")).to_contain_text("经营概览")
    expect(page.locator("h1")).to_contain_text("山里果园")
    body = page.inner_text("body")
    for label in ("成交总额", "订单数", "下单客户", "每周销售额", "各地区销售额", "热销商品"):
        assert label in body, f"{label!r} missing from the Chinese overview"
    faults = _assert_overview(page, live)
    top_zh, top_en = exp.titles[exp.top_sku]
    expect(page.locator("table.top-products tbody tr").first.locator("td").first).to_have_text(top_zh)
    page.screenshot(path=str(artifacts / "console-overview-zh.png"), full_page=True)

    # English.
    page.click("a[data-lang=en]")
    page.wait_for_load_state("load")
    assert _path(page) == "console/"
    expect(page.locator("html")).to_have_attribute("lang", "en")
    body = page.inner_text("body")
    for label in ("GMV", "Orders", "Top products", "Sales by week", "Sales by region"):
        assert label in body, f"{label!r} missing from the English overview"
    assert "成交总额" not in body
    faults += _assert_overview(page, live)
    first_cells = page.locator("table.top-products tbody tr td:first-child").all_inner_texts()
    assert first_cells[0] == top_en
    english = {en for _, en in exp.titles.values()}
    assert set(first_cells) <= english, f"non-English product titles: {set(first_cells) - english}"
    page.screenshot(path=str(artifacts / "console-overview-en.png"), full_page=True)

    # Log out: back to the login page, still in English; the overview is closed again.
    page.get_by_role("button", name="Log out").click()
    page.wait_for_load_state("load")
    assert _path(page) == "console/login"
    expect(page.locator("h1")).to_have_text("Log in to the console")
    page.goto("/console/")
    assert _path(page) == "console/login"

    # Log in again, with the owner API key.
    page.fill("input[name=api_key]", live.api_key)
    page.click("#login-key")
    page.wait_for_load_state("load")
    assert _path(page) == "console/"
    expect(page.get_by_test_id("who")).to_contain_text("owner")
    _assert_overview(page, live)

    assert not faults, "chart layout faults (see the screenshots in test-artifacts/):\n" + "\n".join(faults)
    watch.assert_clean(live.base_url)


def test_console_wrong_credentials_stay_on_login(live_server: LiveServer, new_context: NewContext) -> None:
    live = live_server
    ctx, watch = new_context()
    page = ctx.new_page()
    page.goto("/console/login")

    _login_with_user(page, live.username, "not-the-password")
    assert _path(page) == "console/login"
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("登录失败")
    expect(alert).to_contain_text("Wrong user name or password")
    expect(page.locator("#login-user")).to_be_visible()

    page.fill("input[name=api_key]", "sm_nosuchkey_0000000000000000")
    page.click("#login-key")
    page.wait_for_load_state("load")
    assert _path(page) == "console/login"
    expect(page.get_by_role("alert")).to_contain_text("登录失败")

    # Neither attempt opened a session.
    page.goto("/console/")
    assert _path(page) == "console/login"
    watch.assert_clean(live.base_url)


class Transfer:
    """Bytes on the wire per request, from the DevTools protocol (encodedDataLength: headers + body)."""

    def __init__(self, ctx: BrowserContext, page: Page) -> None:
        self.urls: dict[str, str] = {}
        self.cached: set[str] = set()
        self.bytes: dict[str, int] = {}
        self.failed: list[str] = []
        cdp = ctx.new_cdp_session(page)
        cdp.on("Network.requestWillBeSent", self._sent)
        cdp.on("Network.responseReceived", self._received)
        cdp.on("Network.loadingFinished", self._finished)
        cdp.on("Network.loadingFailed", lambda e: self.failed.append(self.urls.get(e["requestId"], "?")))
        cdp.on("Network.requestServedFromCache", lambda e: self.cached.add(e["requestId"]))
        cdp.send("Network.enable")

    def _sent(self, e: dict[str, Any]) -> None:
        self.urls[e["requestId"]] = e["request"]["url"]

    def _received(self, e: dict[str, Any]) -> None:
        r = e["response"]
        if r.get("fromDiskCache") or r.get("fromPrefetchCache"):
            self.cached.add(e["requestId"])

    def _finished(self, e: dict[str, Any]) -> None:
        self.bytes[e["requestId"]] = int(e["encodedDataLength"])

    def reset(self) -> None:
        self.urls.clear()
        self.cached.clear()
        self.bytes.clear()
        self.failed.clear()

    def total(self) -> int:
        return sum(self.bytes.values())

    def by_url(self) -> dict[str, int]:
        return {self.urls.get(rid, rid): n for rid, n in self.bytes.items()}


def _load_overview(page: Page) -> list[Response]:
    """Open the overview, wait until the charts are drawn and the network is idle; its responses."""
    responses: list[Response] = []

    def on_response(response: Response) -> None:
        responses.append(response)

    page.on("response", on_response)
    try:
        page.goto("/console/", wait_until="load")
        page.wait_for_selector("body[data-charts=ready]", state="attached")
        page.wait_for_load_state("networkidle")
    finally:
        page.remove_listener("response", on_response)
    return responses


def test_overview_transfer_size_and_caching(
    live_server: LiveServer, new_context: NewContext, artifacts: Path
) -> None:
    live = live_server
    ctx, watch = new_context()
    # Log in through the context's request API: it shares the cookies but not the HTTP cache,
    # so the overview below is the first page the browser loads (cold cache).
    login = ctx.request.post(
        "/console/login", form={"username": live.username, "password": live.password}, max_redirects=0
    )
    assert login.status == 303, login.text()
    assert any(c["name"] == "session" for c in ctx.cookies())

    page = ctx.new_page()
    transfer = Transfer(ctx, page)
    first = _load_overview(page)
    _assert_overview(page, live)
    cold = transfer.total()
    cold_by_url = transfer.by_url()
    assert not transfer.failed, f"failed loads: {transfer.failed}"
    # Cross-check with Playwright's own accounting of the same responses.
    pw_sizes = {r.url: r.request.sizes() for r in first}
    pw_total = sum(s["responseBodySize"] + s["responseHeadersSize"] for s in pw_sizes.values())

    static = [r for r in first if "/static/" in r.url]
    assert {Path(r.url.split("?")[0]).name for r in static} >= {
        "style.css",
        "htmx.min.js",
        "echarts.custom.min.js",
        "overview.js",
    }
    for r in static:
        headers = r.all_headers()
        assert r.status == 200, r.url
        if r.url.split("?")[0].endswith((".js", ".css")):
            assert headers.get("content-encoding") == "gzip", f"{r.url} not gzipped: {headers}"
        cache_control = headers.get("cache-control", "")
        max_age = next(
            (int(p.split("=")[1]) for p in cache_control.split(",") if p.strip().startswith("max-age=")), 0
        )
        assert max_age >= LONG_MAX_AGE, f"{r.url}: Cache-Control {cache_control!r}"
    html = next(r for r in first if r.url.rstrip("/").endswith("/console"))
    assert html.all_headers().get("content-encoding") == "gzip"

    # Second load in the same context: the static files come from the cache.
    transfer.reset()
    second = _load_overview(page)
    _assert_overview(page, live)
    warm = transfer.total()
    warm_by_url = transfer.by_url()
    from_network = [u for rid, u in transfer.urls.items() if "/static/" in u and rid not in transfer.cached]
    assert not from_network, f"static files fetched again despite the cache headers: {from_network}"
    assert any("/static/" in r.url for r in second)

    report = {
        "page": "/console/",
        "budget_bytes": BUDGET_BYTES,
        "cold_cache_bytes": cold,
        "cold_cache_bytes_playwright_sizes": pw_total,
        "cold_cache_by_url": {u.replace(live.base_url, ""): n for u, n in sorted(cold_by_url.items())},
        "warm_cache_bytes": warm,
        "warm_cache_by_url": {u.replace(live.base_url, ""): n for u, n in sorted(warm_by_url.items())},
    }
    (artifacts / "overview-bytes.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(
        f"\noverview first load (cold cache): {cold:,} bytes ({cold / 1024:.1f} KiB); "
        f"Playwright sizes(): {pw_total:,} bytes; second load (warm cache): {warm:,} bytes"
    )

    assert cold > 0
    assert cold < BUDGET_BYTES, f"overview first load is {cold:,} bytes, budget {BUDGET_BYTES:,}"
    assert pw_total < BUDGET_BYTES
    assert warm < cold / 10, f"second load transferred {warm:,} bytes (first: {cold:,})"
    watch.assert_clean(live.base_url)
