"""The shop's knowledge base: FAQ entries and policies, retrieved by question similarity.

Each entry is indexed by its question and the other ways customers ask it, with the same terms as
product search (jieba words, character and pinyin bigrams) plus character n-grams, TF-IDF and
cosine similarity: scores are comparable across shops and queries, so one threshold decides
whether an answer is confident enough to give.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from shopmind.assistant.intents import text_features
from shopmind.assistant.text import Normalizer
from shopmind.errors import NotFittedError

__all__ = ["KnowledgeBase", "KnowledgeEntry", "Retrieved"]


@dataclass(frozen=True)
class KnowledgeEntry:
    """One answer the shop stands behind: an FAQ entry or a policy."""

    id: str  # faq:<faq_id> or policy:<name>
    language: str
    question: str
    answer: str
    alternates: tuple[str, ...] = field(default=())
    intent: str | None = None
    origin: str = "merchant"


@dataclass(frozen=True)
class Retrieved:
    entry: KnowledgeEntry
    score: float  # cosine similarity of the message to the closest of the entry's questions


class KnowledgeBase:
    """Retrieval over :class:`KnowledgeEntry` questions.

    Parameters
    ----------
    normalizer : Normalizer, optional
        Folds and rewrites dialect in questions and messages alike.
    """

    def __init__(self, normalizer: Normalizer | None = None) -> None:
        self.normalizer = normalizer

    def fit(self, entries: Sequence[KnowledgeEntry], background: Sequence[str] = ()) -> KnowledgeBase:
        """Index *entries*. *background* texts (the intent seed set) only set term weights: words
        every question has (我的, 在哪里, can I) weigh little, so that "我的包裹在哪里" does not
        match "我的券在哪里看" on its question words."""
        self.normalizer_ = self.normalizer or Normalizer()
        self.entries_ = list(entries)
        texts: list[str] = []
        owner: list[int] = []
        for i, e in enumerate(self.entries_):
            for q in (e.question, *e.alternates):
                texts.append(self.normalizer_.normalize(q))
                owner.append(i)
        self.owner_ = np.asarray(owner, dtype=np.int64)
        self.vectorizer_: Any = None
        if texts:
            self.vectorizer_ = text_features()
            self.vectorizer_.fit([*texts, *(self.normalizer_.normalize(b) for b in background)])
            self.matrix_ = self.vectorizer_.transform(texts)
        return self

    def __len__(self) -> int:
        return len(self.entries_)

    def count(self, intent: str | None, language: str) -> int:
        """How many entries answer *intent* in *language*."""
        return sum(1 for e in self.entries_ if e.intent == intent and e.language in (language, "any"))

    def search(self, text: str, language: str | None = None, k: int = 3) -> list[Retrieved]:
        """The *k* entries whose questions are most like *text* (in *language*, when given)."""
        if not hasattr(self, "entries_"):
            raise NotFittedError("This KnowledgeBase is not fitted yet; call fit() first.")
        if self.vectorizer_ is None:
            return []
        q = self.vectorizer_.transform([self.normalizer_.normalize(text)])
        # two feature blocks, each L2-normalised: divide by 2 so that a perfect match scores 1
        sims = np.asarray((self.matrix_ @ q.T).todense()).ravel() / 2.0
        best: dict[int, float] = {}
        for row in np.argsort(-sims)[: 8 * k]:
            i = int(self.owner_[row])
            if language and self.entries_[i].language not in (language, "any"):
                continue
            if sims[row] > best.get(i, 0.0):
                best[i] = float(sims[row])
        ranked = sorted(best.items(), key=lambda kv: -kv[1])[:k]
        return [Retrieved(self.entries_[i], s) for i, s in ranked if s > 0]
