"""Message normalisation: Traditional -> Simplified folding, then the colloquial and dialect
dictionary (Cantonese, Sichuanese, north-eastern Mandarin, chat-speak) the merchant can extend.

Why by hand: the dictionary is data (``data/dialect.tsv``); applying it is one regular expression
per language, longest variant first, so 去咗边 wins over 咗.
"""

from __future__ import annotations

import csv
import functools
import re
from collections.abc import Mapping
from importlib import resources

from shopmind.search.text import fold, is_cjk

__all__ = ["Normalizer", "detect_language", "load_dialect"]

_LATIN_WORD = re.compile(r"[a-z][a-z']*")


@functools.cache
def load_dialect() -> dict[str, str]:
    """The shipped dictionary: folded variant -> standard form (empty: drop the variant)."""
    text = (resources.files("shopmind.assistant") / "data" / "dialect.tsv").read_text(encoding="utf-8")
    out: dict[str, str] = {}
    for row in csv.DictReader(text.splitlines(), delimiter="\t", quoting=csv.QUOTE_NONE):
        variant = fold(row["variant"] or "")
        if variant:
            out[variant] = fold(row["standard"] or "")
    return out


def detect_language(text: str) -> str:
    """``zh`` when *text* has a Chinese character, else ``en``."""
    return "zh" if is_cjk(text) else "en"


class Normalizer:
    """Fold a message and rewrite dialect and colloquial forms to standard ones.

    Parameters
    ----------
    extra : mapping of str to str, optional
        The merchant's own entries (variant -> standard); they override the shipped ones.

    Examples
    --------
    >>> Normalizer().normalize("我嘅包裹去咗边？")
    '我的包裹在哪里?'
    """

    def __init__(self, extra: Mapping[str, str] | None = None) -> None:
        self.extra = dict(extra or {})
        table = {**load_dialect(), **{fold(k): fold(v) for k, v in self.extra.items() if fold(k)}}
        self._zh = {k: v for k, v in table.items() if is_cjk(k)}
        self._en = {k: v for k, v in table.items() if not is_cjk(k)}
        zh_keys = sorted(self._zh, key=len, reverse=True)
        self._zh_re = re.compile("|".join(map(re.escape, zh_keys))) if zh_keys else None

    def normalize(self, text: str) -> str:
        out = fold(text)
        if self._zh_re is not None:
            out = self._zh_re.sub(lambda m: self._zh[m.group(0)], out)
        if self._en:
            out = _LATIN_WORD.sub(lambda m: self._en.get(m.group(0), m.group(0)), out)
        return re.sub(r"\s+", " ", out).strip()
