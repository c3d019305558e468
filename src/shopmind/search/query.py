"""Query understanding: price limits, certifications, attributes, places and sort words.

``parse_query("五常有机大米 100元以内 最便宜的")`` returns the text left to search ("五常有机大米"),
filters (price <= 100, certification organic, origin 五常) and a sort (price, ascending), each with
a *chip* the console shows back ("≤ 100", "organic", "from 五常", "cheapest first") so a shopper
sees how they were understood and can undo it. Place words stay in the text as well (they help
ranking: 五常大米); price, sort, certification and packaging phrases are removed, since the filter
carries them.

Prices are read in the shop's currency: "under $20" means 20 of whatever the catalog is priced
in (there are no exchange rates offline), and the chip says so.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from shopmind.features.geo import PROVINCE_EN
from shopmind.search.text import default_resource, fold, pinyin_of

__all__ = ["Chip", "Intents", "ParsedQuery", "parse_query"]

_NUM = r"(\d+(?:\.\d+)?)"
_CUR = r"(?:[¥￥$]|rmb\s*|cny\s*|usd\s*)?"
_UNIT = r"(?:\s*(?:元|块钱|块|rmb|yuan|dollars?|usd|bucks))?"
# a number followed by these is a quantity, not a price ("2.5kg", "100-200g", "5斤")
_QTY = r"(?!\s*(?:g|kg|ml|l|cm|mm|斤|克|公斤|千克|包|盒|袋|个|只|瓶|罐|片|枚|箱|寸|gb|tb|mah|w|hz|inch|in\b|\"|\d|\.\d))"

_PRICE_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("range", re.compile(rf"between\s*{_CUR}{_NUM}{_UNIT}\s*and\s*{_CUR}{_NUM}{_UNIT}{_QTY}")),
    ("range", re.compile(rf"{_CUR}{_NUM}{_UNIT}\s*(?:-|~|～|到|至|to)\s*{_CUR}{_NUM}{_UNIT}{_QTY}")),
    (
        "max",
        re.compile(
            rf"(?:不超过|不高于|低于|少于|小于|不到|便宜于|under|below|less than|cheaper than|up to|"
            rf"no more than|at most|max(?:imum)?|within|<=?)\s*{_CUR}{_NUM}{_UNIT}{_QTY}"
        ),
    ),
    ("max", re.compile(rf"{_CUR}{_NUM}\s*(?:元|块钱|块)?\s*(?:以下|以内|之内|内)")),
    (
        "min",
        re.compile(
            rf"(?:高于|超过|大于|不低于|不少于|over|above|more than|at least|from|min(?:imum)?|>=?)\s*"
            rf"{_CUR}{_NUM}{_UNIT}{_QTY}"
        ),
    ),
    ("min", re.compile(rf"{_CUR}{_NUM}\s*(?:元|块钱|块)?\s*(?:以上|起)")),
    (
        "about",
        re.compile(
            rf"{_CUR}{_NUM}\s*(?:元|块钱|块)?\s*(?:左右|上下)|(?:around|about)\s*{_CUR}{_NUM}{_UNIT}{_QTY}"
        ),
    ),
]


@dataclass(frozen=True)
class Chip:
    """One thing the query was understood to ask for, shown back to the shopper."""

    kind: str  # price, certification, attribute, origin, sort
    value: Any
    text: str  # the words of the query it came from
    label: dict[str, str]  # {"en": ..., "zh-CN": ...}

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "value": self.value, "text": self.text, "label": self.label}


@dataclass
class ParsedQuery:
    """What a query asks for: ``text`` to search, filters and a sort."""

    raw: str
    text: str
    price_min: float | None = None
    price_max: float | None = None
    certifications: set[str] = field(default_factory=set)
    attributes: set[str] = field(default_factory=set)
    origins: set[str] = field(default_factory=set)
    in_season: bool = False
    sort: str = "relevance"
    chips: list[Chip] = field(default_factory=list)

    @property
    def has_filters(self) -> bool:
        return bool(
            self.price_min is not None
            or self.price_max is not None
            or self.certifications
            or self.attributes
            or self.origins
            or self.in_season
        )


_SORT_LABEL = {
    "price_asc": {"en": "cheapest first", "zh-CN": "价格从低到高"},
    "price_desc": {"en": "most expensive first", "zh-CN": "价格从高到低"},
    "popular": {"en": "best selling first", "zh-CN": "销量优先"},
    "newest": {"en": "newest first", "zh-CN": "最新优先"},
    "rating": {"en": "best rated first", "zh-CN": "好评优先"},
}
_CERT_LABEL = {
    "organic": {"en": "organic", "zh-CN": "有机"},
    "green_food": {"en": "green food", "zh-CN": "绿色食品"},
    "geographical_indication": {"en": "geographical indication", "zh-CN": "地理标志"},
    "pollution_free": {"en": "pollution-free", "zh-CN": "无公害"},
}


class Intents:
    """The phrase lexicon (shipped ``intents.yaml`` plus a shop's additions) and the catalog's places.

    Parameters
    ----------
    places : iterable of str
        Place names of the catalog (provinces, cities, counties of origin). Each is also
        recognised by its pinyin ("wuchang" for 五常).
    extra : mapping, optional
        A shop's additions in the same shape as ``intents.yaml``.
    """

    def __init__(self, places: Iterable[str] = (), extra: Mapping[str, Any] | None = None) -> None:
        base = yaml.safe_load(default_resource("intents.yaml"))
        for key, more in (extra or {}).items():
            base.setdefault(key, {})
            for name, value in more.items():
                base[key][name] = value
        self.certifications = {
            code: [fold(p) for p in words] for code, words in base["certifications"].items()
        }
        self.attributes = {
            name: {
                "phrases": [fold(p) for p in spec["phrases"]],
                "match": [fold(p) for p in spec["match"]],
                "label": spec.get("label", {"en": name, "zh-CN": name}),
            }
            for name, spec in base["attributes"].items()
        }
        self.sort = {name: [fold(p) for p in words] for name, words in base["sort"].items()}
        self.season = [fold(p) for p in base.get("season", [])]
        self.places: dict[str, str] = {}  # folded phrase (name or its pinyin) -> place name
        for place in places:
            name = fold(str(place))
            if len(name) < 2:
                continue
            self.places[name] = name
            syl = pinyin_of(name)
            if len(syl) == len(name) and len(syl) >= 2:
                self.places.setdefault("".join(syl), name)
        for name in list(self.places.values()):
            english = PROVINCE_EN.get(name)
            if english:  # the official spelling wins over plain pinyin: Shaanxi 陕西, Shanxi 山西
                self.places[fold(english)] = name

    def __repr__(self) -> str:
        return f"Intents(places={len(self.places)}, attributes={sorted(self.attributes)})"


@functools.cache
def _word_pattern(phrase: str) -> re.Pattern[str]:
    """Whole-word match for Latin phrases; Chinese has no word boundaries, so plain substring."""
    if phrase.isascii():
        return re.compile(rf"(?<![a-z0-9]){re.escape(phrase)}(?![a-z0-9])")
    return re.compile(re.escape(phrase))


def _take(text: str, phrases: Iterable[str]) -> tuple[str | None, str]:
    """The longest of *phrases* found in *text*, and the text with it blanked out."""
    for phrase in sorted(phrases, key=len, reverse=True):
        m = _word_pattern(phrase).search(text)
        if m:
            return phrase, text[: m.start()] + " " + text[m.end() :]
    return None, text


def _find(text: str, phrases: Iterable[str]) -> str | None:
    for phrase in sorted(phrases, key=len, reverse=True):
        if _word_pattern(phrase).search(text):
            return phrase
    return None


def _fmt(x: float) -> str:
    return f"{x:g}"


def parse_query(raw: str, intents: Intents, currency: str = "CNY") -> ParsedQuery:
    """Understand *raw*: see the module docstring."""
    text = fold(raw)
    q = ParsedQuery(raw=raw, text=text)

    # price: at most one range, one minimum, one maximum
    for kind, pattern in _PRICE_PATTERNS:
        m = pattern.search(text)
        if not m:
            continue
        nums = [float(g) for g in m.groups() if g is not None]
        if kind == "range" and len(nums) == 2 and q.price_min is None and q.price_max is None:
            q.price_min, q.price_max = min(nums), max(nums)
        elif kind == "max" and q.price_max is None:
            q.price_max = nums[0]
        elif kind == "min" and q.price_min is None:
            q.price_min = nums[0]
        elif kind == "about" and q.price_min is None and q.price_max is None:
            q.price_min, q.price_max = round(nums[0] * 0.8, 2), round(nums[0] * 1.2, 2)
        else:
            continue
        text = text[: m.start()] + " " + text[m.end() :]
        lo, hi = q.price_min, q.price_max
        if lo is not None and hi is not None:
            en, zh = f"{_fmt(lo)}-{_fmt(hi)} {currency}", f"{_fmt(lo)}-{_fmt(hi)} 元"
        elif hi is not None:
            en, zh = f"up to {_fmt(hi)} {currency}", f"{_fmt(hi)} 元以下"
        else:
            en, zh = f"from {_fmt(lo or 0)} {currency}", f"{_fmt(lo or 0)} 元以上"
        q.chips = [c for c in q.chips if c.kind != "price"]
        q.chips.append(Chip("price", {"min": lo, "max": hi}, m.group(0).strip(), {"en": en, "zh-CN": zh}))

    for name, phrases in intents.sort.items():
        phrase, text = _take(text, phrases)
        if phrase is not None:
            q.sort = name
            q.chips.append(Chip("sort", name, phrase, _SORT_LABEL.get(name, {"en": name, "zh-CN": name})))
            break

    for code, phrases in intents.certifications.items():
        phrase, rest = _take(text, phrases)
        if phrase is not None:
            text = rest  # the filter carries it: "有机大米" searches 大米 among organic products
            q.certifications.add(code)
            q.chips.append(
                Chip("certification", code, phrase, _CERT_LABEL.get(code, {"en": code, "zh-CN": code}))
            )

    for name, spec in intents.attributes.items():
        phrase, rest = _take(text, spec["phrases"])
        if phrase is not None:
            q.attributes.add(name)
            q.chips.append(Chip("attribute", name, phrase, dict(spec["label"])))
            # packaging words would only add noise to the text match: the filter carries them
            text = rest

    phrase, text = _take(text, intents.season)
    if phrase is not None:
        q.in_season = True
        q.chips.append(Chip("season", True, phrase, {"en": "in season now", "zh-CN": "当季"}))

    for phrase, place in intents.places.items():
        if _word_pattern(phrase).search(text) and place not in q.origins:
            q.origins.add(place)
            q.chips.append(Chip("origin", place, phrase, {"en": f"from {place}", "zh-CN": f"产地 {place}"}))

    q.text = re.sub(r"\s+", " ", text).strip(" ,，。.!！?？")
    return q
