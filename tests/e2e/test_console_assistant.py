"""The customer-service page in a real browser: service numbers and the hand-offs chart, the
hand-off queue (a customer handed off in the Try-it box, the agent's reply reaching their chat and
stopping the response clock), learning from unanswered questions (an approved suggestion answers
the same question from then on), the FAQ list and its add form, in Chinese and English.

A small demo shop (the generator, seeded) with the demo FAQ and a trained intent model, served by
uvicorn in a background thread; Playwright drives Debian's chromium. Screenshots go to
``test-artifacts/``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from helpers import client_for, console_page, serve
from shopmind.config import Settings
from shopmind.datasets.demo import DemoSize, demo_faq_rows, generate_demo_store
from shopmind.engine import Engine, Shopmind
from shopmind.ingest.datasets import import_frames

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
USER, PASSWORD = "merchant", "correct-horse-42"
#: In scope (coupons) but not in the demo FAQ: the assistant hands it to a person.
HANDOFF_Q = "你们的仓库在哪里可以自提吗"
#: Out of scope and not in the FAQ: the assistant declines, and the question waits to be learned.
LEARN_Q = "你们招聘仓库工人吗？工资多少"
LEARN_A = "我们常年招聘仓库分拣员，月薪 5000–6500 元，请把简历发到 hr@example.com。"
AGENT_REPLY = "过期的优惠券不能补发，不过我们给您补了一张 10 元无门槛券，请在“我的优惠券”查看。"


@dataclass(frozen=True)
class Live:
    base_url: str
    sm: Shopmind

    @property
    def engine(self) -> Engine:
        return self.sm.engine("farm")


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    base = tmp_path_factory.mktemp("assistant-e2e")
    sm = Shopmind.open(
        Settings(data_dir=base / "data", database_url=f"sqlite:///{base / 'shop.db'}", secret_key="e2e")
    )
    engine = sm.create_shop("farm", "山里果园")
    store = generate_demo_store(seed=5, size=DemoSize(products=60, customers=100, days=60))
    frames = {
        n: getattr(store, n)
        for n in ("products", "customers", "orders", "order_items", "inventory", "events")
    }
    import_frames(engine, frames, source="demo")
    engine.data.upsert("faq_entries", demo_faq_rows())
    engine.train(["assistant"])  # the FAQ's questions train the intent model too
    sm.create_user("farm", USER, PASSWORD)
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


def open_page(page: Page) -> None:
    page.goto("/console/assistant")
    page.wait_for_selector("body[data-charts=ready]", state="attached")


def ask(page: Page, text: str) -> Locator:
    """Send *text* in the Try-it box; the assistant's reply bubble."""
    before = page.locator("#chat-log .msg.assistant[data-outcome]").count()
    page.fill("#chat-message", text)
    page.click("#chat-send")
    replies = page.locator("#chat-log .msg.assistant[data-outcome]")
    expect(replies).to_have_count(before + 1)
    return replies.last


def test_page_in_both_languages(page: Page) -> None:
    open_page(page)
    expect(page.locator("main h1")).to_have_text("智能客服")
    headings = page.locator("main h2").all_inner_texts()
    assert headings == ["服务数据", "人工接待队列", "从未解答的问题中学习", "试一试", "常见问题"], headings
    expect(page.locator("nav.side a.active")).to_have_text("智能客服")
    # the demo FAQ, newest first, with its origin
    rows = page.locator("#faq-table tbody tr")
    expect(rows.first).to_be_visible()
    assert rows.count() == len(demo_faq_rows())
    expect(page.locator("#faq-table tr[data-faq=shipping-time-zh] td").nth(3)).to_have_text("演示")
    expect(page.locator("[data-testid=kpi-first-median]")).to_have_text("—")

    with page.expect_navigation():
        page.click("a[data-lang=en]")
    page.wait_for_selector("body[data-charts=ready]", state="attached")
    expect(page.locator("main h1")).to_have_text("Customer service")
    headings = page.locator("main h2").all_inner_texts()
    assert headings == [
        "Service numbers",
        "Hand-off queue",
        "Learning from unanswered questions",
        "Try it",
        "FAQ",
    ], headings
    expect(page.locator("#faq-table tr[data-faq=shipping-time-zh] td").nth(3)).to_have_text("Demo")
    expect(page.locator("#chat-send")).to_have_text("Send")
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(ARTIFACTS / "console-assistant-en.png"), full_page=True)
    with page.expect_navigation():
        page.click("a[data-lang=zh-CN]")
    expect(page.locator("main h1")).to_have_text("智能客服")


def test_try_it_answers_from_the_faq_and_cites_it(page: Page) -> None:
    open_page(page)
    reply = ask(page, "你们发什么快递？")
    expect(reply).to_have_attribute("data-outcome", "answered")
    expect(reply.locator(".msg-text")).to_contain_text("顺丰")
    expect(reply.locator("code.src")).to_have_text(["faq:carriers-zh"])
    expect(page.locator("#chat-note")).to_be_hidden()
    expect(page.locator("#chat-conversation")).to_have_text(re.compile(r"^[0-9a-f]{32}$"))
    # the same conversation continues; an empty message is not sent
    cid = page.locator("#chat-conversation").inner_text()
    reply = ask(page, "How long does delivery take?")
    expect(reply).to_have_attribute("data-outcome", "answered")
    expect(reply.locator("code.src")).to_have_text(["faq:shipping-time-en"])
    expect(page.locator("#chat-conversation")).to_have_text(cid)
    page.click("#chat-new")
    expect(page.locator("#chat-log .msg")).to_have_count(0)
    expect(page.locator("#chat-conversation")).to_have_text("—")


def test_hand_off_reply_and_learning(live: Live, page: Page) -> None:
    engine = live.engine
    open_page(page)
    # 1. A customer asks what the FAQ does not answer: the assistant hands them to a person.
    page.fill("#chat-customer", "C000001")
    reply = ask(page, HANDOFF_Q)
    expect(reply).to_have_attribute("data-outcome", "handoff")
    note = page.locator("#chat-note")
    expect(note).to_be_visible()
    ticket_id = note.get_attribute("data-ticket") or ""
    assert ticket_id
    expect(note).to_contain_text(ticket_id)
    expect(page.locator("#try-it")).to_have_attribute("data-status", "waiting")
    cid = page.locator("#chat-conversation").inner_text()

    # 2. It joins the hand-off queue (the page refreshes it), with the transcript and the reason.
    ticket = page.locator(f"#ticket-list article[data-ticket='{ticket_id}']")
    expect(ticket).to_be_visible()
    expect(ticket).to_have_attribute("data-status", "open")
    expect(ticket.locator("[data-testid=ticket-question]")).to_have_text(HANDOFF_Q)
    expect(ticket.locator("[data-testid=ticket-reason]")).to_have_text("没有找到答案")
    expect(ticket.locator("[data-testid=ticket-wait]")).to_contain_text("已等待")
    bubbles = ticket.locator(".transcript .msg")
    expect(bubbles).to_have_count(2)
    assert [bubbles.nth(i).get_attribute("data-role") for i in range(2)] == ["customer", "assistant"]
    expect(bubbles.first.locator(".msg-text")).to_have_text(HANDOFF_Q)
    expect(ticket).to_contain_text("C000001")
    expect(page.locator("[data-testid=kpi-open]")).to_have_text("1")
    expect(page.locator("#reasons-table tr[data-reason=unanswered] td.num")).to_have_text("1")

    # 3. An empty reply is refused with a readable message; then the agent answers.
    ticket.locator("button[data-action=send]").click()
    expect(ticket.locator(".form-error")).to_contain_text("empty")
    ticket.locator("textarea[name=text]").fill(AGENT_REPLY)
    ticket.locator("button[data-action=send]").click()
    expect(ticket).to_have_attribute("data-status", "answered")
    expect(ticket.locator("[data-testid=ticket-status]")).to_have_text("已回复")
    agent = ticket.locator(".transcript .msg.agent")
    expect(agent).to_have_count(1)
    expect(agent.locator(".msg-text")).to_have_text(AGENT_REPLY)
    expect(ticket.locator("textarea[name=text]")).to_have_value("")
    # the reply reaches the customer's chat (the Try-it box polls for it)
    expect(page.locator("#chat-log .msg.agent .msg-text")).to_have_text(AGENT_REPLY)
    expect(page.locator("#try-it")).to_have_attribute("data-status", "human")

    conversation = engine.desk.messages(cid, "C000001")
    assert [m["role"] for m in conversation["messages"]] == ["customer", "assistant", "agent"]
    assert conversation["messages"][-1]["text"] == AGENT_REPLY
    assert conversation["status"] == "human"
    metrics = engine.desk.metrics()
    assert metrics["first_response_s_median"] is not None
    assert metrics["open_tickets"] == 0
    (answered,) = engine.desk.tickets("answered")
    assert answered["ticket_id"] == ticket_id
    assert answered["agent"] == f"user:{USER}"  # the console user's actor
    # the page's numbers follow: no ticket open, a first-response time
    expect(page.locator("[data-testid=kpi-open]")).to_have_text("0")
    expect(page.locator("[data-testid=kpi-first-median]")).to_have_text(re.compile(r"^\d+(\.\d)? (秒|分钟)$"))
    expect(page.locator("[data-testid=kpi-first-p90]")).not_to_have_text("—")
    # the open list no longer holds it; "show answered" does
    page.click("#queue-refresh")
    expect(page.locator(f"#ticket-list article[data-ticket='{ticket_id}']")).to_have_count(0)
    expect(page.locator("#queue-empty")).to_be_visible()
    page.check("#show-answered")
    expect(page.locator(f"#ticket-list article[data-ticket='{ticket_id}']")).to_have_attribute(
        "data-status", "answered"
    )

    # 4. Learning: the handed-off question is suggested with the agent's answer; a declined
    #    question with no person's reply yet waits with no answer, which the merchant writes.
    page.click("#chat-new")
    page.fill("#chat-customer", "")
    reply = ask(page, LEARN_Q)
    expect(reply).to_have_attribute("data-outcome", "handoff")  # about the shop, unanswered: a person
    handed = page.locator("#cluster-list .cluster", has=page.get_by_text(HANDOFF_Q, exact=True))
    expect(handed.locator("textarea[name=answer]")).to_have_value(AGENT_REPLY)
    cluster = page.locator("#cluster-list .cluster", has=page.get_by_text(LEARN_Q, exact=True))
    expect(cluster).to_have_count(1)
    expect(cluster.locator("input[name=question]")).to_have_value(LEARN_Q)
    expect(cluster.locator("textarea[name=answer]")).to_have_value("")
    cluster.locator("button[type=submit]").click()  # no answer yet: refused, readably
    expect(cluster.locator(".form-error")).to_contain_text("answer")
    cluster.locator("textarea[name=answer]").fill(LEARN_A)
    cluster.locator("textarea[name=alternates]").fill("你们招人吗\n仓库招工吗")
    cluster.locator("button[type=submit]").click()
    expect(cluster).to_have_count(0)  # the FAQ answers it now
    learned = [e for e in engine.desk.faq() if e["origin"] == "learned"]
    assert [(e["question"], e["answer"], e["alternates"]) for e in learned] == [
        (LEARN_Q, LEARN_A, ["你们招人吗", "仓库招工吗"])
    ]
    faq_id = learned[0]["faq_id"]
    row = page.locator(f"#faq-table tr[data-faq='{faq_id}']")
    expect(row).to_be_visible()  # the FAQ list refreshed
    expect(row.locator("td").nth(3)).to_have_text("学习所得")

    # 5. The same question, asked again, is answered from the approved entry.
    page.click("#chat-new")
    reply = ask(page, LEARN_Q)
    expect(reply).to_have_attribute("data-outcome", "answered")
    expect(reply.locator("code.src")).to_have_text([f"faq:{faq_id}"])
    expect(reply.locator(".msg-text")).to_contain_text("5000")
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(ARTIFACTS / "console-assistant-zh.png"), full_page=True)


def test_faq_add_and_delete(live: Live, page: Page) -> None:
    open_page(page)
    form = page.locator("#faq-add-form")
    if not form.is_visible():
        page.click("#faq-add summary")
    form.locator("input[name=question]").fill("<b>可以开发票吗</b>")
    form.locator("button[type=submit]").click()
    expect(form.locator(".form-error")).to_contain_text("answer")
    form.locator("textarea[name=answer]").fill("可以，<script>alert(1)</script>下单时填写抬头。")
    form.locator("select[name=intent]").select_option("invoice")
    form.locator("button[type=submit]").click()
    expect(form.locator("input[name=question]")).to_have_value("")  # reset after it was added
    entry = next(e for e in live.engine.desk.faq() if e["question"] == "<b>可以开发票吗</b>")
    assert entry["origin"] == "merchant"
    assert entry["intent"] == "invoice"
    row = page.locator(f"#faq-table tr[data-faq='{entry['faq_id']}']")
    # user text is text, never markup
    expect(row.locator("[data-testid=faq-question]")).to_have_text("<b>可以开发票吗</b>")
    expect(row.locator("td.faq-a")).to_contain_text("<script>")
    expect(row.locator("b")).to_have_count(0)
    page.once("dialog", lambda d: d.accept())
    row.locator("button.danger").click()
    expect(row).to_have_count(0)
    assert all(e["faq_id"] != entry["faq_id"] for e in live.engine.desk.faq())


def test_try_it_shows_errors_and_a_lapsed_session(page: Page) -> None:
    open_page(page)
    page.fill("#chat-message", "x" * 2000)
    page.evaluate("document.getElementById('chat-message').removeAttribute('maxlength')")
    page.fill("#chat-message", "x" * 2001)
    page.click("#chat-send")
    expect(page.locator("#chat-error")).to_be_visible()
    expect(page.locator("#chat-error")).to_contain_text("2000")
    page.context.clear_cookies()
    page.fill("#chat-message", "你们发什么快递？")
    page.click("#chat-send")
    expect(page.locator("#chat-error")).to_have_text("登录已过期，请重新登录。")
    page.click("#queue-refresh")
    expect(page.locator("#assistant-alert")).to_have_text("登录已过期，请重新登录。")


def test_roles_see_and_change_only_what_they_may(live: Live) -> None:
    """An analyst reads the queue and the FAQ but cannot reply or edit; a service user only chats."""
    live.sm.create_user("farm", "analyst", PASSWORD, role="analyst")
    live.sm.create_user("farm", "service", PASSWORD, role="service")
    entry = live.engine.desk.faq()[0]

    analyst = client_for(live.sm)
    analyst.post("/console/login", data={"username": "analyst", "password": PASSWORD})
    html = analyst.get("/console/assistant").text
    assert 'id="assistant-read-only"' in html
    assert 'id="faq-table"' in html
    assert "faq-add-form" not in html
    assert "reply-form" not in html
    r = analyst.post("/console/assistant/faq", data={"question": "能开发票吗", "answer": "能"})
    assert r.status_code == 200
    assert "may not" in r.text  # shown in the form's error box
    r = analyst.post(f"/console/assistant/faq/{entry['faq_id']}/delete")
    assert 'id="faq-error"' in r.text
    assert any(e["faq_id"] == entry["faq_id"] for e in live.engine.desk.faq())
    assert analyst.get("/console/assistant/tickets").status_code == 200

    service = client_for(live.sm)
    service.post("/console/login", data={"username": "service", "password": PASSWORD})
    html = service.get("/console/assistant").text
    assert 'id="assistant-no-access"' in html
    assert 'id="try-it"' in html
    assert 'id="queue"' not in html
    r = service.get("/console/assistant/tickets")
    assert r.status_code == 403
    assert r.json()["ok"] is False
    r = service.post("/console/assistant/chat", json={"message": "你们发什么快递？"})
    assert r.status_code == 200
    assert r.json()["reply"]["outcome"] == "answered"

    anonymous = client_for(live.sm)
    assert anonymous.get("/console/assistant", follow_redirects=False).status_code == 303
    r = anonymous.get("/console/assistant/metrics")
    assert r.status_code == 401
    assert r.json()["error"]
