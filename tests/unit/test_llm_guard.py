"""The grounding guard on LLM rephrasings, and choosing a phraser from the merchant's settings."""

from __future__ import annotations

import pytest

from shopmind.errors import InvalidParameterError
from shopmind.llm import Draft, OpenAICompatiblePhraser, TemplatePhraser, make_phraser, ungrounded_tokens

ZH = Draft(
    question="我的订单 SO20260305001 什么时候到？",
    answer="订单 SO20260305001 已于 2026-03-05 发货，运费 26.90 元，预计 3 天内送达。",
    sources=("发货政策：现货商品 48 小时内发货，满 99 元包邮。",),
    language="zh",
)
EN = Draft(
    question="Is the X100 blender in stock?",
    answer="The X100 blender (500 g jar) is in stock at 1299 yuan and ships on 2026-03-05.",
    sources=("X100 blender: 1299 yuan, 500 g glass jar.",),
    language="en",
)


def test_faithful_rephrasing_passes() -> None:
    text = (
        "您好！您的订单SO20260305001已在2026-03-05发出，运费26.9元，大约3天送到～满99元包邮，48小时内发货哦。"
    )
    assert ungrounded_tokens(text, ZH) == []


def test_english_rephrasing_of_dates_units_and_thousands_passes() -> None:
    text = (
        "Good news: the X100 blender with its 500g jar is in stock for 1,299 yuan and ships March 5th, 2026."
    )
    assert ungrounded_tokens(text, EN) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("运费 19.9 元，预计 3 天内送达。", ["19.9"]),  # invented price
        ("预计 7 天内送达。", ["7"]),  # invented number
        ("订单 SO20260305002 已发货。", ["so20260305002"]),  # invented order id
        ("运费 19.9 元，退款 19.90 元。", ["19.9"]),  # reported once
    ],
)
def test_invented_numbers_and_ids_are_caught(text: str, expected: list[str]) -> None:
    assert ungrounded_tokens(text, ZH) == expected


def test_invented_model_is_caught() -> None:
    assert ungrounded_tokens("The X200 blender is in stock.", EN) == ["x200"]


@pytest.mark.parametrize(("in_draft", "in_text"), [("26.90", "26.9"), ("26.9", "26.90"), ("26.00", "26")])
def test_numbers_compare_by_value(in_draft: str, in_text: str) -> None:
    draft = Draft(question="多少钱？", answer=f"价格 {in_draft} 元。", sources=(), language="zh")
    assert ungrounded_tokens(f"只要{in_text}元！", draft) == []


def test_full_width_digits_and_letters_are_folded() -> None:
    assert ungrounded_tokens("订单ＳＯ２０２６０３０５００１运费２６．９元", ZH) == []
    assert ungrounded_tokens("运费２９.９元", ZH) == ["29.9"]
    full_width = Draft(question="", answer="运费２６．９０元", sources=(), language="zh")
    assert ungrounded_tokens("运费 26.9 元", full_width) == []


def test_template_phraser_without_a_url() -> None:
    for url in (None, "", "   "):
        phraser = make_phraser(url, None)
        assert isinstance(phraser, TemplatePhraser)
        result = phraser.phrase(ZH)
        assert (result.text, result.used_llm, result.error) == (ZH.answer, False, None)


def test_make_phraser_with_url_and_model() -> None:
    phraser = make_phraser(" http://localhost:11434/v1 ", " qwen2.5:7b ", api_key="")
    assert isinstance(phraser, OpenAICompatiblePhraser)
    assert (phraser.url, phraser.model) == ("http://localhost:11434/v1", "qwen2.5:7b")
    phraser.close()


@pytest.mark.parametrize("url", ["localhost:11434/v1", "ftp://example.com/v1", "http://", "ollama"])
def test_bad_url_is_a_clear_error(url: str) -> None:
    with pytest.raises(InvalidParameterError, match=r"'url' parameter of the LLM phraser must be an http"):
        make_phraser(url, "qwen2.5:7b")


@pytest.mark.parametrize("model", [None, "", "  "])
def test_missing_model_is_a_clear_error(model: str | None) -> None:
    with pytest.raises(InvalidParameterError, match=r"'model' parameter of the LLM phraser"):
        make_phraser("http://localhost:11434/v1", model)
