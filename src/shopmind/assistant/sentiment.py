"""Anger and negative sentiment in a message, from a weighted lexicon (``data/sentiment.tsv``).

A lexicon rather than a trained model: no labelled Chinese customer-service sentiment data
installs offline, the words that make a conversation worth a person are few and well known
(骗子, 12315, scam), and the merchant can read and extend the list.
"""

from __future__ import annotations

import csv
import functools
import re
from importlib import resources

from shopmind.search.text import fold

__all__ = ["ANGRY", "anger_score", "load_lexicon"]

#: A score at or above this is anger: hand the conversation to a person.
ANGRY = 3.0


@functools.cache
def load_lexicon() -> tuple[dict[str, float], dict[str, float]]:
    """Chinese terms and English terms with their weights (1 mild .. 3 angry)."""
    text = (resources.files("shopmind.assistant") / "data" / "sentiment.tsv").read_text(encoding="utf-8")
    zh: dict[str, float] = {}
    en: dict[str, float] = {}
    for row in csv.DictReader(text.splitlines(), delimiter="\t", quoting=csv.QUOTE_NONE):
        term = fold(row["term"] or "")
        if term:
            (zh if row["lang"] == "zh" else en)[term] = float(row["weight"])
    return zh, en


def anger_score(text: str) -> float:
    """Sum of the lexicon weights found in folded *text*, plus one for shouting (!!!, CAPS).

    >>> anger_score("你们就是骗子！！！") >= ANGRY
    True
    """
    zh, en = load_lexicon()
    folded = fold(text)
    score = 0.0
    for term, weight in zh.items():
        if term in folded:
            score += weight
    words = " " + re.sub(r"[^a-z0-9 ]+", " ", folded) + " "
    for term, weight in en.items():
        if f" {term} " in words:
            score += weight
    if text.count("!") + text.count("！") >= 3 or re.search(r"\b[A-Z]{4,}\b.*\b[A-Z]{4,}\b", text):
        score += 1.0
    return score
