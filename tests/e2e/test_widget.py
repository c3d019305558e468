"""The embeddable chat widget in a real browser, on a shop page of another origin.

A demo shop (the generator, seeded, plus its FAQ) with trained search and assistant models is served
by uvicorn in a background thread; the shop's page (``widget_page/shop.html``: some shop content,
careless shop CSS and the one script tag) comes from a plain ``http.server`` on another port, so
every call the widget makes crosses origins (CORS). Playwright drives Debian's chromium; its
locators pierce the widget's open shadow root. Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from string import Template
from typing import Any

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from helpers import serve
from shopmind.config import Settings
from shopmind.datasets.demo import DemoSize, demo_faq_rows, generate_demo_store
from shopmind.engine import Shopmind
from shopmind.ingest.datasets import import_frames

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PAGE = Path(__file__).resolve().parent / "widget_page" / "shop.html"

#: What each language's widget says, and what the customer asks in it.
UI: dict[str, dict[str, str]] = {
    "zh-CN": {
        "title": "山野好物客服",
        "open": "打开在线客服",
        "label": "输入您的问题",
        "placeholder": "请输入您的问题，按 Enter 发送",
        "send": "发送",
        "sources": "来源",
        "handoff": "正在为您转接人工客服…",
        "agent": "人工客服",
        "error": "出错了",
        "where": "我的订单 {order_id} 到哪里了？",
        "hiring": "你们招聘仓库工人吗？",
        "answer": "您好，我们目前在招仓库拣货员，简历请发到 hr@shanye.example。",
    },
    "en": {
        "title": "Mountain Goods help",
        "open": "Open the chat",
        "label": "Your question",
        "placeholder": "Type your question and press Enter",
        "send": "Send",
        "sources": "Sources",
        "handoff": "Connecting you to a person…",
        "agent": "Customer service",
        "error": "Something went wrong",
        "where": "Where is my order {order_id}?",
        "hiring": "Are you hiring warehouse staff?",
        "answer": "Hello, yes: we are hiring pickers for the warehouse; send your CV to hr@shanye.example.",
    },
}
LANGS = list(UI)


@dataclass(frozen=True)
class Live:
    api: str  # the shopmind server (the widget's origin)
    shop: str  # the shop's own web server (the page's origin)
    sm: Shopmind
    customer_id: str
    order_id: str


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    base = tmp_path_factory.mktemp("widget-e2e")
    sm = Shopmind.open(
        Settings(data_dir=base / "data", database_url=f"sqlite:///{base / 'shop.db'}", secret_key="e2e")
    )
    engine = sm.create_shop("farm", "山野好物")
    store = generate_demo_store(seed=11, size=DemoSize.small())
    frames = {
        n: getattr(store, n)
        for n in ("products", "customers", "orders", "order_items", "inventory", "events")
    }
    import_frames(engine, frames, source="demo")
    engine.data.upsert("faq_entries", demo_faq_rows())
    engine.train(["popularity", "recommender", "search", "assistant"])
    _, key = sm.create_api_key("farm", "widget", "service")
    # a customer's order that has left the warehouse: the widget asks where it is
    orders = store.orders[store.orders["status"].isin(["shipped", "delivered"])].sort_values("order_id")
    assert len(orders), "the demo store has shipped orders"
    order = orders.iloc[0]
    customer_id, order_id = str(order["customer_id"]), str(order["order_id"])
    # the shop proves who is signed in: its server signs the customer id for the widget tag
    engine.desk.save_settings({"require_customer_token": True})
    token = engine.desk.customer_token(customer_id)

    pages = base / "shop"
    pages.mkdir()
    template = Template(PAGE.read_text(encoding="utf-8"))
    bad_key = key[:-4] + ("0000" if not key.endswith("0000") else "1111")
    try:
        with serve(sm) as api:
            for lang in LANGS:
                for name, k in (("shop", key), ("badkey", bad_key)):
                    html = template.substitute(
                        src=f"{api}/widget.js",
                        key=k,
                        lang=lang,
                        customer=customer_id,
                        token=token,
                        title=UI[lang]["title"],
                    )
                    (pages / f"{name}-{lang}.html").write_text(html, encoding="utf-8")
            httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(pages)))
            thread = threading.Thread(target=httpd.serve_forever, name="shop-pages", daemon=True)
            thread.start()
            try:
                shop = f"http://127.0.0.1:{httpd.server_address[1]}"
                assert shop != api
                yield Live(api, shop, sm, customer_id, order_id)
            finally:
                httpd.shutdown()
                httpd.server_close()
    finally:
        sm.close()


@pytest.fixture
def page(live: Live, browser: Browser) -> Iterator[Page]:
    """A fresh tab (its own sessionStorage); fails the test on any JavaScript error or on a request to
    anywhere but the shop's page server and the shopmind server."""
    ctx = browser.new_context(viewport={"width": 1200, "height": 860})
    ctx.set_default_timeout(15_000)
    errors: list[str] = []
    elsewhere: list[str] = []
    p = ctx.new_page()
    p.on("pageerror", lambda e: errors.append(str(e)))
    p.on(
        "request",
        lambda r: None if r.url.startswith((live.shop + "/", live.api + "/")) else elsewhere.append(r.url),
    )
    yield p
    ctx.close()
    assert not errors, errors
    assert not elsewhere, elsewhere


def open_shop(page: Page, live: Live, lang: str, name: str = "shop") -> Locator:
    """Load the shop's page, open the widget from its launcher; returns the chat dialog."""
    page.goto(f"{live.shop}/{name}-{lang}.html")
    launcher = page.get_by_role("button", name=UI[lang]["open"])
    expect(launcher).to_be_visible()
    expect(launcher).to_have_attribute("aria-expanded", "false")
    launcher.click()
    expect(launcher).to_have_attribute("aria-expanded", "true")
    dialog = page.get_by_role("dialog", name=UI[lang]["title"])
    expect(dialog).to_be_visible()
    return dialog


def ask(dialog: Locator, lang: str, text: str) -> None:
    box = dialog.get_by_label(UI[lang]["label"])
    expect(box).to_be_focused()
    box.fill(text)
    box.press("Enter")


def session_conversation(page: Page) -> str:
    saved = page.evaluate(
        "() => Object.keys(sessionStorage).filter(k => k.startsWith('shopmind-chat:'))"
        ".map(k => JSON.parse(sessionStorage.getItem(k)))"
    )
    assert len(saved) == 1, saved
    return str(saved[0]["id"])


@pytest.mark.parametrize("lang", LANGS)
def test_order_question_is_answered_with_its_source_and_survives_a_reload(
    live: Live, page: Page, lang: str
) -> None:
    ui = UI[lang]
    dialog = open_shop(page, live, lang)
    box = dialog.get_by_label(ui["label"])
    expect(box).to_have_attribute("placeholder", ui["placeholder"])
    expect(dialog.get_by_role("button", name=ui["send"])).to_be_visible()
    # the typing indicator shows while the answer is on its way
    page.evaluate(
        """() => { const root = document.querySelector('shopmind-chat').shadowRoot;
                   new MutationObserver(() => { if (root.querySelector('[data-testid=typing]'))
                     window.__sawTyping = true; }).observe(root, {childList: true, subtree: true}); }"""
    )
    question = ui["where"].format(order_id=live.order_id)
    with page.expect_response(
        lambda r: r.url == f"{live.api}/v1/chat" and r.request.method == "POST"
    ) as resp:
        ask(dialog, lang, question)
    # a cross-origin call, allowed by the server's CORS headers
    assert resp.value.status == 200, resp.value.text()
    assert resp.value.request.all_headers()["origin"] == live.shop
    assert resp.value.all_headers()["access-control-allow-origin"] in ("*", live.shop)
    assert resp.value.json()["reply"]["sources"], resp.value.json()
    # answered only because the widget sent the shop's signature of the customer id
    assert resp.value.request.post_data_json["customer_token"]

    expect(dialog.locator("[data-role=customer]").last).to_have_text(question)
    answer = dialog.locator("[data-role=assistant]").last
    expect(answer).to_contain_text(live.order_id)
    expect(answer.locator(".src")).to_contain_text(ui["sources"])
    expect(answer.locator(".src")).to_contain_text(live.order_id)  # the order is the cited source
    expect(dialog.locator("[data-testid=typing]")).to_have_count(0)
    assert page.evaluate("() => window.__sawTyping === true")

    # the shop's CSS does not reach into the widget, and the widget's does not leak out
    launcher = page.get_by_role("button", name=ui["open"])
    style = (
        "e => { const s = getComputedStyle(e); return [s.backgroundColor, s.fontSize, s.borderTopWidth]; }"
    )
    assert launcher.evaluate(style) == ["rgb(26, 127, 90)", "14px", "0px"]
    assert page.locator("#shop-buy").evaluate(style) == ["rgb(255, 0, 0)", "30px", "6px"]
    expect(box).to_be_visible()  # the shop hides every textarea on its page, not the widget's
    bubble = answer.locator(".b")
    assert bubble.evaluate("e => getComputedStyle(e).fontSize") == "14px"
    assert bubble.evaluate("e => getComputedStyle(e).letterSpacing") == "normal"
    assert answer.evaluate("e => getComputedStyle(e).borderTopStyle") == "none"
    assert page.locator("#shop-note").evaluate("e => getComputedStyle(e).display") == "block"
    page.screenshot(path=str(ARTIFACTS / f"widget-{lang}.png"))

    conversation = session_conversation(page)
    page.reload()
    dialog = page.get_by_role("dialog", name=ui["title"])
    expect(dialog).to_be_visible()  # it was open before the reload
    expect(dialog.locator("[data-role=customer]")).to_have_text([question])
    answer = dialog.locator("[data-role=assistant]")
    expect(answer).to_have_count(1)
    expect(answer).to_contain_text(live.order_id)
    expect(answer.locator(".src")).to_contain_text(ui["sources"])
    assert session_conversation(page) == conversation

    # what the customer types is shown as text, never run as HTML
    tricky = '<img src=x onerror="window.__xss = 1"><b>hi</b>'
    ask(dialog, lang, tricky)
    expect(dialog.locator("[data-role=customer]").last).to_have_text(tricky)
    expect(dialog.locator("[data-role=assistant]")).to_have_count(2)
    expect(dialog.locator("img, b")).to_have_count(0)
    assert page.evaluate("() => window.__xss") is None
    assert session_conversation(page) == conversation


@pytest.mark.parametrize("lang", LANGS)
def test_unanswerable_question_is_handed_to_a_person_whose_reply_reaches_the_chat(
    live: Live, page: Page, lang: str
) -> None:
    ui = UI[lang]
    dialog = open_shop(page, live, lang)
    with page.expect_response(
        lambda r: r.url == f"{live.api}/v1/chat" and r.request.method == "POST"
    ) as resp:
        ask(dialog, lang, ui["hiring"])
    assert resp.value.status == 200, resp.value.text()
    assert resp.value.json()["reply"]["handoff"], resp.value.json()  # nothing in the FAQ answers it
    expect(dialog.locator(".handoff")).to_have_text(ui["handoff"])
    conversation = session_conversation(page)
    desk = live.sm.engine("farm").desk
    tickets = [t for t in desk.tickets() if t["conversation_id"] == conversation]
    assert len(tickets) == 1, desk.tickets()
    assert tickets[0]["customer_id"] == live.customer_id
    assert tickets[0]["question"] == ui["hiring"]
    expect(dialog.locator("[data-role=agent]")).to_have_count(0)

    desk.reply_ticket(tickets[0]["ticket_id"], ui["answer"], "agent")
    agent = dialog.locator("[data-role=agent]")
    expect(agent).to_have_count(1)  # the widget polls every few seconds while a person has the chat
    expect(agent.locator(".b")).to_have_text(ui["answer"])
    expect(agent.locator(".who")).to_have_text(ui["agent"])
    page.screenshot(path=str(ARTIFACTS / f"widget-handoff-{lang}.png"))

    # a closed widget tells the customer with a dot on the launcher
    dialog.get_by_role("button", name="关闭" if lang == "zh-CN" else "Close").click()
    expect(dialog).to_be_hidden()
    second = "我们也招司机，欢迎推荐。" if lang == "zh-CN" else "We are hiring drivers too."
    desk.reply_ticket(tickets[0]["ticket_id"], second, "agent")
    launcher = page.get_by_role("button", name=ui["open"])
    expect(launcher.locator(".dot")).to_be_visible()
    launcher.click()
    expect(agent).to_have_count(2)
    expect(agent.last.locator(".b")).to_have_text(second)
    expect(launcher.locator(".dot")).to_be_hidden()


@pytest.mark.parametrize("lang", LANGS)
def test_invalid_key_shows_a_readable_error(live: Live, page: Page, lang: str) -> None:
    ui = UI[lang]
    dialog = open_shop(page, live, lang, "badkey")
    ask(dialog, lang, ui["hiring"])
    alert = dialog.get_by_role("alert")
    expect(alert).to_contain_text(ui["error"])
    expect(alert).to_contain_text("API key is not valid")  # the server's `error`, as it said it
    expect(dialog.locator("[data-role=customer]")).to_have_count(0)  # not sent…
    expect(dialog.get_by_label(ui["label"])).to_have_value(ui["hiring"])  # …so it can be sent again
    expect(dialog.get_by_role("button", name=ui["send"])).to_be_enabled()
    assert page.evaluate("() => Object.keys(sessionStorage).length") <= 1
    # the widget keeps working: closing and opening again
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    page.get_by_role("button", name=ui["open"]).click()
    expect(dialog).to_be_visible()
    expect(alert).to_be_visible()
