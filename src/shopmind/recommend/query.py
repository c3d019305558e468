"""What a shopper's search asks for, to steer the next recommendations (not the search engine).

"时令水果" / "seasonal fruit" → in-season intent plus the fruit categories. Chinese text is matched
by character bigrams (no segmenter needed for short product names), English by words, with a small
bilingual dictionary so an English query finds Chinese-only products.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

SEASONAL_WORDS = ("时令", "当季", "应季", "应时", "新鲜上市", "seasonal", "in season", "fresh this")
#: English words → Chinese product words.
BILINGUAL = {
    "fruit": "水果", "fruits": "水果", "vegetable": "蔬菜", "vegetables": "蔬菜", "rice": "大米", "tea": "茶",
    "honey": "蜂蜜", "egg": "鸡蛋", "eggs": "鸡蛋", "apple": "苹果", "apples": "苹果", "orange": "橙",
    "oranges": "橙", "mushroom": "菌", "mushrooms": "菌", "pork": "猪肉", "bacon": "腊肉", "gift": "礼盒",
    "organic": "有机", "nuts": "坚果", "grain": "杂粮", "grains": "杂粮", "melon": "瓜", "pear": "梨",
    "strawberry": "草莓", "strawberries": "草莓", "mango": "芒果", "chicken": "鸡", "green tea": "绿茶",
}  # fmt: skip
_WORD = re.compile(r"[a-z0-9]+")
_HAN = re.compile(r"[\u4e00-\u9fff]+")


@dataclass(frozen=True)
class QueryIntent:
    text: str
    seasonal: bool
    terms: frozenset[str]  # Chinese bigrams/unigrams and English words to look for


def _han_terms(text: str) -> set[str]:
    terms: set[str] = set()
    for run in _HAN.findall(text):
        if len(run) == 1:
            terms.add(run)
        terms.update(run[i : i + 2] for i in range(len(run) - 1))
    return terms


def parse_query(text: str) -> QueryIntent:
    low = text.lower().strip()
    seasonal = any(w in low for w in SEASONAL_WORDS)
    rest = low
    for w in SEASONAL_WORDS:
        rest = rest.replace(w, " ")
    terms = _han_terms(rest)
    for phrase, zh in BILINGUAL.items():
        if re.search(rf"\b{re.escape(phrase)}\b", rest):
            terms |= _han_terms(zh) or {zh}
    terms |= {w for w in _WORD.findall(rest) if len(w) > 2}
    return QueryIntent(text=text.strip(), seasonal=seasonal, terms=frozenset(terms))


def product_terms(fields: Mapping[str, str | None]) -> frozenset[str]:
    """The terms a product can be found by (title, category, description in both languages)."""
    text = " ".join(v for v in fields.values() if v).lower()
    return frozenset(_han_terms(text) | set(_WORD.findall(text)))


def match(intent: QueryIntent, terms: frozenset[str]) -> float:
    """Share of the query's terms the product has (0 when the query has no terms)."""
    if not intent.terms:
        return 0.0
    return len(intent.terms & terms) / len(intent.terms)
