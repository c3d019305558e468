"""Entities in a customer's message: order numbers, phone numbers and phone tails, dates.

Product names are matched to the catalog by the shop's search index (see ``desk.py``), not here.
Dates are a handful of Chinese and English forms; ``dateparser`` finds more but takes tens of
milliseconds per message and reads stray numbers ("3 boxes") as dates.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from dataclasses import dataclass

__all__ = ["DEFAULT_ORDER_PATTERN", "Entities", "extract_entities"]

#: Order numbers: a short letter prefix and digits (O0001234, JD20261101001) or a long number.
DEFAULT_ORDER_PATTERN = r"[a-z]{1,3}\d{5,18}|\d{12,20}"
_PHONE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?(1[3-9]\d{9})(?!\d)")
_TAIL = re.compile(
    r"(?:尾号|后四位|后4位|末四位|末4位|尾数|ending (?:in|with)|last (?:4|four) digits(?: are| is)?|tail)"
    r"\s*[:：是为]?\s*(\d{4})(?!\d)"
)
_ISO = re.compile(r"(?<!\d)(20\d\d)[-/.年](\d{1,2})[-/.月](\d{1,2})[日号]?")
_MONTH_DAY_ZH = re.compile(r"(?<![\d年])(\d{1,2})月(\d{1,2})[日号]")
_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ]
    )
    for m in names
}
_MONTH_NAMES = "|".join(sorted(_MONTHS, key=len, reverse=True))
_MONTH_DAY_EN = re.compile(
    rf"\b(?:({_MONTH_NAMES})\.? (\d{{1,2}})(?:st|nd|rd|th)?|(\d{{1,2}})(?:st|nd|rd|th)? ({_MONTH_NAMES}))\b"
)
_RELATIVE = {
    "今天": 0,
    "今日": 0,
    "昨天": -1,
    "昨日": -1,
    "前天": -2,
    "大前天": -3,
    "明天": 1,
    "后天": 2,
    "today": 0,
    "yesterday": -1,
    "tomorrow": 1,
    "上周": -7,
    "上星期": -7,
    "last week": -7,
}
_DAYS_AGO = re.compile(r"(\d{1,3})\s*(?:天前|日前| days? ago)")


@dataclass(frozen=True)
class Entities:
    """What :func:`extract_entities` found, in the order it appears."""

    order_ids: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    phone_tail: str | None = None
    dates: tuple[dt.date, ...] = ()

    def as_dict(self) -> dict[str, object]:
        return {
            "order_ids": list(self.order_ids),
            "phones": [p[:3] + "****" + p[-4:] for p in self.phones],
            "phone_tail": self.phone_tail,
            "dates": [d.isoformat() for d in self.dates],
        }


def extract_entities(text: str, today: dt.date, order_pattern: str = DEFAULT_ORDER_PATTERN) -> Entities:
    """Find order numbers, phone numbers, a phone tail and dates in folded *text*.

    >>> e = extract_entities("订单o0001234，手机尾号5678，昨天下的单", dt.date(2026, 11, 2))
    >>> e.order_ids, e.phone_tail, e.dates
    (('O0001234',), '5678', (datetime.date(2026, 11, 1),))
    """
    text = text.lower()
    phones = tuple(dict.fromkeys(_PHONE.findall(text)))
    rest = _PHONE.sub(" ", text)
    tail_match = _TAIL.search(rest)
    tail = tail_match.group(1) if tail_match else (phones[0][-4:] if phones else None)
    if tail_match:
        rest = rest[: tail_match.start()] + " " + rest[tail_match.end() :]
    dates: list[dt.date] = []
    for y, m, d in _ISO.findall(rest):
        _add_date(dates, int(y), int(m), int(d))
    rest = _ISO.sub(" ", rest)
    for m, d in _MONTH_DAY_ZH.findall(rest):
        _add_date(dates, _year_for(today, int(m)), int(m), int(d))
    for name1, d1, d2, name2 in _MONTH_DAY_EN.findall(rest):
        month = _MONTHS[name1 or name2]
        _add_date(dates, _year_for(today, month), month, int(d1 or d2))
    for word, offset in _RELATIVE.items():
        if word in rest and not (word == "前天" and "大前天" in rest):
            dates.append(today + dt.timedelta(days=offset))
    for n in _DAYS_AGO.findall(rest):
        dates.append(today - dt.timedelta(days=int(n)))
    pattern = re.compile(rf"(?<![a-z0-9])(?:{order_pattern})(?![a-z0-9])", re.IGNORECASE)
    orders = tuple(dict.fromkeys(m.group(0).upper() for m in pattern.finditer(rest)))
    return Entities(orders, phones, tail, tuple(dict.fromkeys(dates)))


def _year_for(today: dt.date, month: int) -> int:
    # customers talk about recent orders: a month later than this one is last year's
    return today.year if month <= today.month else today.year - 1


def _add_date(out: list[dt.date], y: int, m: int, d: int) -> None:
    with contextlib.suppress(ValueError):  # 2月30日 is no date
        out.append(dt.date(y, m, d))
