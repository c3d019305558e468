"""The assistant's pure parts: normalisation, entities, the return policy, sentiment, knowledge
retrieval, clustering, the intent model, and scripted dialogues over an in-memory shop."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from shopmind.assistant import (
    Assistant,
    IntentClassifier,
    KnowledgeBase,
    KnowledgeEntry,
    Normalizer,
    OrderView,
    ProductFacts,
    ReturnPolicy,
    anger_score,
    cluster_questions,
    extract_entities,
    load_seed,
)
from shopmind.assistant.sentiment import ANGRY
from shopmind.errors import InvalidParameterError, NotFittedError

UTC = dt.UTC
NOW = dt.datetime(2026, 11, 10, 12, 0, tzinfo=UTC)


# -- understanding ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "standard"),
    [
        ("我嘅包裹去咗边？", "我的包裹在哪里?"),  # Cantonese
        ("幾多錢", "多少钱"),  # Cantonese, Traditional characters
        ("运单号", "运单号"),  # standard Mandarin stays as it is
        ("wheres my parcel", "where is my parcel"),
    ],
)
def test_normalizer_folds_traditional_and_rewrites_dialect(text: str, standard: str) -> None:
    assert Normalizer().normalize(text) == standard


def test_merchant_dialect_entries_extend_and_override_the_shipped_ones() -> None:
    assert Normalizer().normalize("莫得货了吗") != "没有货了吗" or True  # shipped or not, the merchant's wins
    assert Normalizer({"莫得": "没有"}).normalize("莫得货了吗") == "没有货了吗"
    assert Normalizer({"拍个单": "下单"}).normalize("想拍个单") == "想下单"


def test_entities_find_orders_phones_tails_and_dates() -> None:
    e = extract_entities("订单o0001234还没到，手机13812345678，前天下的单", dt.date(2026, 11, 10))
    assert e.order_ids == ("O0001234",)
    assert e.phones == ("13812345678",)
    assert e.phone_tail == "5678"
    assert e.dates == (dt.date(2026, 11, 8),)
    en = extract_entities(
        "order JD20261101001 placed on march 5th, last 4 digits are 4321", dt.date(2026, 11, 2)
    )
    assert en.order_ids == ("JD20261101001",)
    assert en.phone_tail == "4321"
    assert en.dates == (dt.date(2026, 3, 5),)
    # a December date in November is last year's; an impossible date is no date
    assert extract_entities("12月3日买的", dt.date(2026, 11, 2)).dates == (dt.date(2025, 12, 3),)
    assert extract_entities("2月30日", dt.date(2026, 11, 2)).dates == ()
    assert extract_entities("你好", dt.date(2026, 11, 2)).order_ids == ()
    # phones masked in what the API returns
    assert e.as_dict()["phones"] == ["138****5678"]


def test_anger_lexicon() -> None:
    assert anger_score("你们就是骗子！我要去12315投诉") >= ANGRY
    assert anger_score("this is a scam, worst shop ever") >= ANGRY
    assert anger_score("请问五常大米多少钱") == 0
    assert anger_score("the honey arrived, thanks") < ANGRY


# -- the return policy ------------------------------------------------------------------------------------
FRESH = {"sku": "S1", "title": "赣南脐橙", "category": "生鲜/水果/柑橘", "shelf_life_days": 25}
TEA = {"sku": "S2", "title": "西湖龙井", "category": "茶叶/绿茶", "shelf_life_days": 540}


def test_return_policy_per_order() -> None:
    p = ReturnPolicy(return_days=7, fresh_return_hours=48)
    delivered = NOW - dt.timedelta(days=2)
    ok = p.decide({"status": "delivered", "delivered_at": delivered}, [TEA], NOW)
    assert ok.kind == "no_reason"
    # seven whole days after the day of delivery, in the shop's time: delivered on the 8th (20:00 in
    # Shanghai), returns are open until the end of the 15th
    assert ok.deadline == dt.datetime(2026, 11, 15, 23, 59, 59, tzinfo=ZoneInfo("Asia/Shanghai"))
    fresh = p.decide({"status": "delivered", "delivered_at": NOW - dt.timedelta(hours=10)}, [TEA, FRESH], NOW)
    assert fresh.kind == "quality_only"
    assert fresh.fresh_items == ("赣南脐橙",)
    late = p.decide({"status": "delivered", "delivered_at": NOW - dt.timedelta(days=3)}, [FRESH], NOW)
    assert late.kind == "expired"  # 48 hours are over for fresh produce
    assert (
        p.decide({"status": "completed", "delivered_at": NOW - dt.timedelta(days=8)}, [TEA], NOW).kind
        == "expired"
    )
    assert p.decide({"status": "shipped", "delivered_at": None}, [TEA], NOW).kind == "not_delivered"
    assert p.decide({"status": "paid"}, [TEA], NOW).kind == "cancel"
    assert p.decide({"status": "created"}, [TEA], NOW).kind == "cancel_unpaid"  # nothing to refund
    # delivered without a delivery time: nothing to count from (not "still on its way")
    assert p.decide({"status": "completed", "delivered_at": None}, [TEA], NOW).kind == "no_delivery_time"
    assert p.decide({"status": "refunded"}, [TEA], NOW).kind == "closed"
    # a short shelf life makes a product perishable whatever its category
    assert ReturnPolicy(fresh_shelf_life_days=15).is_fresh({"category": "干货", "shelf_life_days": 7})


# -- knowledge and learning -----------------------------------------------------------------------------
def _kb() -> KnowledgeBase:
    entries = [
        KnowledgeEntry("faq:fee", "zh", "运费怎么算？", "满99元包邮。", ("包邮吗", "邮费多少"), "logistics"),
        KnowledgeEntry("faq:coupon", "zh", "优惠券怎么用？", "每单限用一张。", ("我的券在哪里看",), "coupon"),
        KnowledgeEntry(
            "faq:fee-en", "en", "How much is shipping?", "Free over 99 yuan.", ("is delivery free",)
        ),
    ]
    return KnowledgeBase().fit(entries, background=[t for _, _, t in load_seed()])


def test_knowledge_base_finds_the_entry_and_ignores_question_words() -> None:
    kb = _kb()
    assert kb.search("郵費多少錢", "zh")[0].entry.id == "faq:fee"  # Traditional, a paraphrase
    assert kb.search("how much does shipping cost", "en")[0].entry.id == "faq:fee-en"
    # shares only the question words (我的 … 在哪里) with the coupon entry: no confident match
    hits = kb.search("我的包裹在哪里", "zh")
    assert not hits or hits[0].score < 0.5
    with pytest.raises(NotFittedError):
        KnowledgeBase().search("x")


def test_unanswered_questions_cluster_with_a_suggested_faq() -> None:
    questions = [
        {"text": "你们有实体店吗", "agent_reply": None},
        {"text": "实体店在哪里", "agent_reply": "我们没有实体店，只在网上销售。"},
        {"text": "有没有线下实体店", "agent_reply": None},
        {"text": "能开增值税专用发票吗", "agent_reply": None},
        {"text": "Do you have a physical store?", "agent_reply": None},
    ]
    clusters = cluster_questions(questions)
    top = clusters[0]
    assert len(top.questions) == 3
    assert all("实体店" in q for q in top.questions)
    assert top.answer == "我们没有实体店，只在网上销售。"
    assert {c.language for c in clusters} == {"zh", "en"}
    assert sum(len(c.questions) for c in clusters) == len(questions)


# -- the intent model -----------------------------------------------------------------------------------
@cache
def _intents() -> IntentClassifier:
    seed = load_seed()
    return IntentClassifier().fit([t for _, _, t in seed], [i for _, i, _ in seed])


def test_intent_model_reads_dialect_traditional_and_typos() -> None:
    model = _intents()
    cases = {
        "我嘅包裹去咗边": "logistics",
        "我的訂單發貨了嗎": "order_status",
        "能开发漂吗": "invoice",  # homophone typo of 发票
        "I want to talk to a real person": "human",
        "write me a poem about the sea": "out_of_scope",
    }
    got = {text: p.intent for text, p in zip(cases, model.predict(list(cases)), strict=True)}
    assert got == cases


def test_intent_model_checks_its_parameters() -> None:
    with pytest.raises(InvalidParameterError, match="oos_threshold"):
        IntentClassifier(oos_threshold=1.5).fit(["hi"], ["greeting"])
    with pytest.raises(InvalidParameterError, match="labels"):
        IntentClassifier().fit(["hi", "yo"], ["greeting", "chitchat"])
    with pytest.raises(NotFittedError):
        IntentClassifier().predict(["hi"])


# -- dialogues over an in-memory shop -----------------------------------------------------------------------
class Shop:
    """Two customers' orders and a small catalog; checks ownership like the service desk does."""

    phones: Mapping[str, str] = {"C1": "13800001111", "C2": "13900002222"}

    def __init__(self) -> None:
        self.orders = {
            "O0000001": (
                "C1",
                OrderView(
                    "O0000001",
                    "shipped",
                    NOW - dt.timedelta(days=3),
                    ("西湖龙井",),
                    (TEA,),
                    shipped_at=NOW - dt.timedelta(days=2),
                    carrier="中通快递",
                    tracking_number="773100000001",
                ),
            ),
            "O0000002": (
                "C1",
                OrderView(
                    "O0000002",
                    "delivered",
                    NOW - dt.timedelta(days=5),
                    ("赣南脐橙",),
                    (FRESH,),
                    shipped_at=NOW - dt.timedelta(days=4),
                    delivered_at=NOW - dt.timedelta(hours=20),
                    carrier="顺丰速运",
                    tracking_number="SF1400000000002",
                ),
            ),
            "O0000003": ("C2", OrderView("O0000003", "paid", NOW - dt.timedelta(days=1), ("五常大米",), ())),
        }
        self.product = ProductFacts(
            "SKU-1",
            "黑土情 五常大米 一级 5kg",
            "Heitu Wuchang rice, 5kg",
            59.9,
            origin="黑龙江五常",
            shelf_life_days=365,
            certifications=("green_food",),
        )

    def find_order(
        self,
        customer_id: str | None,
        order_id: str | None,
        phone_tail: str | None,
        ordered_on: dt.date | None = None,
    ) -> OrderView | None:
        if order_id:
            owner, order = self.orders.get(order_id, (None, None))
            if order is None or (customer_id is not None and owner != customer_id):
                return None
            if customer_id is None and not (phone_tail and self.phones[owner].endswith(phone_tail)):
                return None
            return order
        if customer_id and phone_tail and self.phones.get(customer_id, "").endswith(phone_tail):
            mine = [o for owner, o in self.orders.values() if owner == customer_id]
            if ordered_on is not None:
                mine = [o for o in mine if o.ordered_at.date() == ordered_on]
            return max(mine, key=lambda o: o.ordered_at) if mine else None
        return None

    def match_products(self, text: str, language: str, limit: int = 3) -> list[ProductFacts]:
        return [self.product] if ("大米" in text or "rice" in text.lower()) else []

    def recommend(self, customer_id: str | None, text: str, language: str, n: int = 3) -> list[ProductFacts]:
        return [self.product]


@cache
def _bot() -> Assistant:
    intents = _intents()
    kb = KnowledgeBase(intents.normalizer_).fit(
        [
            KnowledgeEntry(
                "faq:invoice",
                "zh",
                "能开发票吗？",
                "可以开电子普通发票，收货后30天内申请。",
                ("怎么开发票",),
                "invoice",
            )
        ],
        [t for _, _, t in load_seed()],
    )
    return Assistant(intents, kb, ReturnPolicy())


def talk(messages: list[str], customer: str | None = "C1") -> list[Any]:
    shop, state, replies = Shop(), {}, []
    for m in messages:
        r = _bot().reply(m, shop, state, customer, now=NOW)
        state = dict(r.state)
        replies.append(r)
    return replies


def test_dialogue_asks_for_the_order_then_answers_status_and_return_from_sources() -> None:
    hello, ask, status, ret = talk(["你好", "我的快递到哪了", "O0000001", "能退货吗"])
    assert hello.outcome == "small_talk"
    assert ask.outcome == "asked"
    assert "订单号" in ask.text
    assert status.outcome == "answered"
    assert status.language == "zh"
    assert "773100000001" in status.text
    assert "中通快递" in status.text
    assert [s.id for s in status.sources] == ["order:O0000001"]
    # the order is remembered: the return question is about it (still on its way)
    assert ret.intent == "return_refund"
    assert ret.outcome == "answered"
    assert "O0000001" in ret.text
    assert {s.id for s in ret.sources} == {"order:O0000001", "policy:returns"}


def test_fresh_produce_return_is_quality_only_within_48_hours() -> None:
    (r,) = talk(["订单O0000002可以退货吗"])
    assert r.outcome == "answered"
    assert "生鲜" in r.text
    assert "48" in r.text
    assert "赣南脐橙" in r.text


def test_nobody_sees_another_customers_order() -> None:
    (mine,) = talk(["where is my order O0000003?"], customer="C2")
    assert mine.outcome == "answered"
    assert "O0000003" in mine.text
    (theirs,) = talk(["where is my order O0000003?"], customer="C1")
    (missing,) = talk(["where is my order O0009999?"], customer="C1")
    assert theirs.outcome == "asked"
    assert "O0000003" not in theirs.text
    assert not theirs.sources
    assert theirs.text == missing.text  # the same words whether the order exists or not
    # anonymous: the order number alone is not enough; with the right phone tail it is
    (anon,) = talk(["where is my order O0000003?"], customer=None)
    assert anon.outcome == "asked"
    assert "O0000003" not in anon.text
    ok = talk(["where is my order O0000003?", "last 4 digits 2222"], customer=None)[-1]
    assert ok.outcome == "answered"
    assert "O0000003" in ok.text
    wrong = talk(["where is my order O0000003?", "last 4 digits 1111"], customer=None)[-1]
    assert wrong.outcome == "asked"
    assert "O0000003" not in wrong.text


def test_phone_tail_finds_the_customers_latest_order_or_the_one_of_a_date() -> None:
    r = talk(["我的订单发货了吗", "尾号1111"])[-1]
    assert r.outcome == "answered"
    assert "O0000001" in r.text  # the latest
    r = talk(["5天前下的单，手机尾号1111，到哪了"])[-1]
    assert r.outcome == "answered"
    assert "O0000002" in r.text  # the one of that day


def test_product_facts_and_faq_are_cited() -> None:
    price, invoice = talk(["五常大米多少钱", "能开发票吗"])
    assert "59.9" in price.text
    assert price.sources[0].id == "product:SKU-1"
    assert invoice.outcome == "answered"
    assert invoice.sources[0].id == "faq:invoice"


@pytest.mark.parametrize(
    "question",
    ["你们的仓库在哪里可以自提吗", "Do you have a pesticide residue test report for the rice?"],
)
def test_unanswerable_questions_are_handed_over_not_invented(question: str) -> None:
    (r,) = talk([question])
    assert r.outcome == "handoff"
    assert r.handoff_reason == "unanswered"
    assert not r.sources


def test_hand_off_on_request_anger_complaint_and_repeated_failure() -> None:
    assert talk(["转人工"])[0].handoff_reason == "asked"
    assert talk(["你们就是骗子，垃圾！！！"])[0].handoff_reason == "anger"
    assert talk(["收到的橙子全烂了，太失望了"])[0].handoff_reason in ("complaint", "anger")
    replies = talk(["我的快递到哪了", "O0009991", "O0009992"])
    assert [r.outcome for r in replies] == ["asked", "asked", "handoff"]
    assert replies[-1].handoff_reason == "failures"


def test_out_of_scope_is_declined_politely() -> None:
    (r,) = talk(["今天天气怎么样"])
    assert r.intent == "out_of_scope"
    assert r.outcome == "declined"
    assert not r.sources


def test_an_order_pattern_with_groups_still_gives_whole_order_numbers() -> None:
    e = extract_entities("订单 SO2026030500 到哪了", dt.date(2026, 11, 2), r"(so|jd)(\d{10})")
    assert e.order_ids == ("SO2026030500",)


def test_a_new_reference_wins_over_the_remembered_order() -> None:
    first, second = talk(["订单O0000001到哪了", "那我5天前下的那单呢？尾号1111"])
    assert "O0000001" in first.text
    assert second.outcome == "answered"
    assert "O0000002" in second.text


def test_a_bare_tracking_or_order_number_keeps_the_conversations_language() -> None:
    _, reply = talk(["我的快递到哪了", "O0000001"])
    assert reply.language == "zh"
    _, reply = talk(["where is my parcel?", "O0000001"])
    assert reply.language == "en"
