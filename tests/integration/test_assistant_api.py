"""The assistant through the API on a small demo store: chat with a conversation id, orders only for
their customer, hand-off queue and a person's reply reaching the chat, the FAQ that learns,
settings, retention, and the optional LLM phrasing against a local OpenAI-compatible server."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd
import pytest

from helpers import auth, client_for
from shopmind.config import Settings
from shopmind.datasets.demo import DemoSize, demo_faq_rows, generate_demo_store
from shopmind.engine import Shopmind
from shopmind.ingest.datasets import import_frames


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Shopmind, Any]]:
    base = tmp_path_factory.mktemp("assistant")
    sm = Shopmind.open(
        Settings(data_dir=base / "data", database_url=f"sqlite:///{base / 'shop.db'}", secret_key="t")
    )
    engine = sm.create_shop("farm", "山里果园")
    store = generate_demo_store(seed=5, size=DemoSize(products=120, customers=300, days=120))
    frames = {n: getattr(store, n) for n in ("products", "customers", "orders", "order_items", "inventory")}
    import_frames(engine, frames, source="demo")
    engine.data.upsert("faq_entries", demo_faq_rows())
    engine.train(["search", "assistant"])
    sm.create_shop("other", "别的店")
    try:
        yield sm, store
    finally:
        sm.close()


def _order(store: Any, status: str) -> pd.Series:
    orders = store.orders
    return orders[orders["status"] == status].iloc[0]


def test_chat_answers_order_status_for_its_customer_only(shop: tuple[Shopmind, Any]) -> None:
    sm, store = shop
    c = client_for(sm)
    key = auth(sm.create_api_key("farm", "widget", "service")[1])
    order = _order(store, "shipped")
    r = c.post(
        "/v1/chat", headers=key, json={"message": "我的快递到哪了", "customer_id": order["customer_id"]}
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["reply"]["outcome"] == "asked"
    cid = body["conversation_id"]
    r = c.post(
        "/v1/chat",
        headers=key,
        json={"message": order["order_id"], "conversation_id": cid, "customer_id": order["customer_id"]},
    )
    reply = r.json()["reply"]
    assert reply["outcome"] == "answered"
    assert reply["language"] == "zh"
    assert order["tracking_number"] in reply["text"]
    assert reply["sources"][0]["id"] == f"order:{order['order_id']}"
    # another customer (or someone guessing) gets nothing about it
    other = store.customers["customer_id"][store.customers["customer_id"] != order["customer_id"]].iloc[0]
    r = c.post(
        "/v1/chat",
        headers=key,
        json={"message": f"where is order {order['order_id']}?", "customer_id": other},
    )
    assert order["order_id"] not in r.json()["reply"]["text"]
    assert not r.json()["reply"]["sources"]
    # nor can they read the first customer's conversation
    assert c.get(f"/v1/chat/{cid}", headers=key, params={"customer_id": other}).status_code == 404
    msgs = c.get(f"/v1/chat/{cid}", headers=key, params={"customer_id": order["customer_id"]}).json()
    assert [m["role"] for m in msgs["messages"]] == ["customer", "assistant", "customer", "assistant"]
    # and a key of another shop does not find the conversation at all
    other_shop = auth(sm.create_api_key("other", "w", "service")[1])
    assert (
        c.get(f"/v1/chat/{cid}", headers=other_shop, params={"customer_id": order["customer_id"]}).status_code
        == 404
    )


def test_return_policy_for_an_order_with_fresh_produce(shop: tuple[Shopmind, Any]) -> None:
    sm, store = shop
    items = store.order_items.merge(store.products[["sku", "category"]], on="sku")
    fresh_orders = set(items.loc[items["category"].str.startswith("生鲜"), "order_id"])
    orders = store.orders[store.orders["order_id"].isin(fresh_orders) & store.orders["delivered_at"].notna()]
    order = orders.iloc[-1]
    out = sm.engine("farm").desk.chat(f"订单{order['order_id']}能退货吗", None, order["customer_id"])["reply"]
    assert out["outcome"] == "answered"
    assert "生鲜" in out["text"]
    assert "48" in out["text"]
    assert {s["id"] for s in out["sources"]} == {f"order:{order['order_id']}", "policy:returns"}


def test_unanswerable_question_reaches_a_person_whose_reply_reaches_the_chat(
    shop: tuple[Shopmind, Any],
) -> None:
    sm, _ = shop
    c = client_for(sm)
    service = auth(sm.create_api_key("farm", "w", "service")[1])
    owner = auth(sm.create_api_key("farm", "o", "owner")[1])
    r = c.post("/v1/chat", headers=service, json={"message": "Can I visit your farm in person?"})
    body = r.json()
    assert body["reply"]["outcome"] == "handoff"
    assert body["ticket_id"]
    assert body["reply"]["sources"] == []  # nothing invented
    cid = body["conversation_id"]
    queue = c.get("/v1/assistant/handoffs", headers=owner).json()["tickets"]
    ticket = next(t for t in queue if t["ticket_id"] == body["ticket_id"])
    assert ticket["reason"] == "unanswered"
    assert ticket["transcript"][0]["text"].startswith("Can I visit")
    # a service key may chat but not answer tickets
    assert (
        c.post(
            f"/v1/assistant/handoffs/{ticket['ticket_id']}/reply", headers=service, json={"text": "x"}
        ).status_code
        == 403
    )
    r = c.post(
        f"/v1/assistant/handoffs/{ticket['ticket_id']}/reply",
        headers=owner,
        json={"text": "Yes, visits are welcome on weekends; book a day ahead."},
    )
    assert r.status_code == 200, r.text
    msgs = c.get(f"/v1/chat/{cid}", headers=service, params={"after": 2}).json()["messages"]
    assert msgs[-1]["role"] == "agent"
    assert "visits are welcome" in msgs[-1]["text"]
    metrics = c.get("/v1/assistant/metrics", headers=owner).json()
    assert metrics["first_response_s_median"] is not None
    assert metrics["tickets"] >= 1
    # the person has the conversation now: the assistant acknowledges what it cannot answer
    r = c.post(
        "/v1/chat", headers=service, json={"message": "How about for weddings?", "conversation_id": cid}
    )
    assert r.json()["status"] == "human"


def test_approved_cluster_answers_the_same_question(shop: tuple[Shopmind, Any]) -> None:
    sm, _ = shop
    c = client_for(sm)
    owner = auth(sm.create_api_key("farm", "o2", "owner")[1])
    service = auth(sm.create_api_key("farm", "w2", "service")[1])
    for q in ("你们有实体店吗？", "实体店在哪里", "请问有实体店吗"):
        assert (
            c.post("/v1/chat", headers=service, json={"message": q}).json()["reply"]["outcome"] != "answered"
        )
    clusters = c.get("/v1/assistant/clusters", headers=owner).json()["clusters"]
    store_cluster = next(k for k in clusters if any("实体店" in q for q in k["questions"]))
    assert store_cluster["size"] >= 2
    suggested = store_cluster["suggested"]
    r = c.post(
        "/v1/assistant/clusters/approve",
        headers=owner,
        json={**suggested, "answer": "我们没有实体店，只在网上销售，欢迎来果园参观请提前预约。"},
    )
    assert r.status_code == 200, r.text
    reply = c.post("/v1/chat", headers=service, json={"message": "你们有实体店吗"}).json()["reply"]
    assert reply["outcome"] == "answered"
    assert "没有实体店" in reply["text"]
    assert reply["sources"][0]["id"].startswith("faq:")
    assert all(
        not any("实体店" in q for q in k["questions"])
        for k in c.get("/v1/assistant/clusters", headers=owner).json()["clusters"]
    )


def test_settings_extend_the_dialect_and_change_the_return_days(shop: tuple[Shopmind, Any]) -> None:
    sm, _ = shop
    c = client_for(sm)
    owner = auth(sm.create_api_key("farm", "o3", "owner")[1])
    bad = c.put("/v1/assistant/settings", headers=owner, json={"return_days": -1})
    assert bad.status_code == 422
    assert bad.json()["ok"] is False
    assert c.put("/v1/assistant/settings", headers=owner, json={"order_pattern": "(["}).status_code == 422
    r = c.put(
        "/v1/assistant/settings", headers=owner, json={"return_days": 15, "dialect": {"咋个整": "怎么办"}}
    )
    assert r.status_code == 200
    assert r.json()["settings"]["return_days"] == 15
    desk = sm.engine("farm").desk
    assert desk.assistant().intents.normalizer_.normalize("退货咋个整") == "退货怎么办"
    answer = desk.chat("可以退货吗？退换货政策是什么？")["reply"]
    assert "15" in answer["text"]
    assert answer["sources"][0]["id"] == "policy:returns"
    c.put("/v1/assistant/settings", headers=owner, json={"return_days": 7, "dialect": {}})


def test_chat_errors_are_clear(shop: tuple[Shopmind, Any]) -> None:
    sm, _ = shop
    c = client_for(sm)
    key = auth(sm.create_api_key("farm", "w4", "service")[1])
    r = c.post("/v1/chat", headers=key, json={"message": ""})
    assert r.status_code == 422
    assert "message" in r.text
    r = c.post("/v1/chat", headers=key, json={"message": "hi", "language": "fr"})
    assert r.status_code == 422
    assert "zh or en" in r.json()["error"]
    r = c.post("/v1/chat", headers=key, json={"message": "hi", "conversation_id": "no-such-conversation"})
    assert r.status_code == 200  # an unknown id starts a conversation under that id
    r = c.post(
        "/v1/chat",
        headers=key,
        json={"message": "hi", "conversation_id": "no-such-conversation", "customer_id": "C000001"},
    )
    assert r.status_code == 404  # but it belongs to the anonymous visitor who started it


def test_retention_deletes_old_conversations(shop: tuple[Shopmind, Any]) -> None:
    sm, _ = shop
    desk = sm.engine("farm").desk
    cid = desk.chat("转人工")["conversation_id"]
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=sm.settings.assistant_retention_days + 1)
    assert desk.purge(later) >= 1
    assert sm.store.shop("farm").get("conversations", {"conversation_id": cid}) is None
    assert sm.store.shop("farm").count("chat_messages", {"conversation_id": cid}) == 0


class _FakeLLM(BaseHTTPRequestHandler):
    """An OpenAI-compatible /chat/completions that rephrases by prefixing the draft."""

    requests: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        _FakeLLM.requests.append(body)
        draft = body["messages"][-1]["content"]
        answer = (
            draft.split("Draft answer:")[-1].split("\n\n")[0].strip() if "Draft answer:" in draft else draft
        )
        out = {
            "choices": [
                {"message": {"role": "assistant", "content": "亲，" + answer}, "finish_reason": "stop"}
            ]
        }
        data = json.dumps(out).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


def test_llm_phrasing_through_an_openai_compatible_server(shop: tuple[Shopmind, Any], tmp_path: Path) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeLLM)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        sm, _ = shop
        url = f"http://127.0.0.1:{server.server_port}/v1"
        llm_sm = Shopmind(
            sm.settings.model_copy(update={"assistant_llm_url": url, "assistant_llm_model": "qwen"}), sm.store
        )
        out = llm_sm.engine("farm").desk.chat("能开发票吗")["reply"]
        assert _FakeLLM.requests
        assert _FakeLLM.requests[-1]["model"] == "qwen"
        assert out["text"].startswith("亲，")
        assert out["sources"][0]["id"] == "faq:invoice-zh"
    finally:
        server.shutdown()


def test_phone_numbers_typed_in_chat_are_stored_masked(shop: tuple[Shopmind, Any]) -> None:
    sm, store = shop
    order = _order(store, "shipped")
    phone = str(store.customers.set_index("customer_id").loc[order["customer_id"], "phone"])
    desk = sm.engine("farm").desk
    out = desk.chat(f"我的快递到哪了，手机{phone}", None, order["customer_id"])
    assert out["reply"]["outcome"] == "answered"  # the full number served as the phone tail
    stored = desk.messages(out["conversation_id"], order["customer_id"])["messages"][0]["text"]
    assert phone not in stored
    assert phone[:3] + "****" + phone[-4:] in stored


def test_a_required_customer_token_proves_the_customer(shop: tuple[Shopmind, Any]) -> None:
    sm, store = shop
    c = client_for(sm)
    owner = auth(sm.create_api_key("farm", "o5", "owner")[1])
    widget = auth(sm.create_api_key("farm", "w5", "service")[1])
    order = _order(store, "shipped")
    ask = {"message": f"订单{order['order_id']}到哪了", "customer_id": order["customer_id"]}
    key = c.get("/v1/assistant/token-key", headers=owner).json()["key"]
    assert c.get("/v1/assistant/token-key", headers=widget).status_code == 403  # the page never sees it
    token = hmac.new(key.encode(), order["customer_id"].encode(), hashlib.sha256).hexdigest()
    assert (
        c.put("/v1/assistant/settings", headers=owner, json={"require_customer_token": True}).status_code
        == 200
    )
    try:
        # a claimed customer id alone is an anonymous visitor: the phone tail is needed too
        unsigned = c.post("/v1/chat", headers=widget, json=ask).json()["reply"]
        assert unsigned["outcome"] == "asked"
        assert order["tracking_number"] not in unsigned["text"]
        forged = c.post("/v1/chat", headers=widget, json={**ask, "customer_token": "0" * 64}).json()["reply"]
        assert forged["outcome"] == "asked"
        signed = c.post("/v1/chat", headers=widget, json={**ask, "customer_token": token}).json()["reply"]
        assert signed["outcome"] == "answered"
        assert order["tracking_number"] in signed["text"]
    finally:
        c.put("/v1/assistant/settings", headers=owner, json={"require_customer_token": False})
