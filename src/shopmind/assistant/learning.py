"""Learning from questions the assistant could not answer: group them by meaning and suggest an
FAQ entry for each group (the most central question, and a person's reply when one came).

Agglomerative clustering (scikit-learn, average linkage on cosine distance) needs no number of
clusters in advance, only how alike two questions must be, which suits a queue that grows daily.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.cluster import AgglomerativeClustering

from shopmind.assistant.intents import load_seed, text_features
from shopmind.assistant.text import Normalizer, detect_language

__all__ = ["QuestionCluster", "cluster_questions"]


@dataclass(frozen=True)
class QuestionCluster:
    """Questions that ask the same thing, with the FAQ entry suggested for them."""

    questions: tuple[str, ...]
    question: str  # the suggested FAQ question: the most central one
    answer: str  # a person's reply to one of them, or empty for the merchant to write
    language: str
    last_asked: Any

    def as_dict(self) -> dict[str, Any]:
        return {
            "size": len(self.questions),
            "questions": list(self.questions),
            "suggested": {
                "question": self.question,
                "answer": self.answer,
                "alternates": [q for q in dict.fromkeys(self.questions) if q != self.question][:8],
                "language": self.language,
            },
            "last_asked": self.last_asked,
        }


def cluster_questions(
    questions: Sequence[Mapping[str, Any]],
    normalizer: Normalizer | None = None,
    max_distance: float = 0.8,
    background: Sequence[str] | None = None,
) -> list[QuestionCluster]:
    """Group *questions* (dicts with ``text``, optional ``agent_reply`` and ``ts``), largest first.

    >>> qs = [{"text": "你们有实体店吗"}, {"text": "实体店在哪里"}, {"text": "能开专票吗"}]
    >>> [len(c.questions) for c in cluster_questions(qs)]
    [2, 1]
    """
    norm = normalizer or Normalizer()
    if background is None:
        background = [text for _, _, text in load_seed()]
    out: list[QuestionCluster] = []
    for lang in ("zh", "en"):
        group = [q for q in questions if detect_language(str(q["text"])) == lang]
        if not group:
            continue
        texts = [norm.normalize(str(q["text"])) for q in group]
        if len(group) == 1:
            labels = np.zeros(1, dtype=np.int64)
            x = None
        else:
            vec = text_features()
            # term weights from the intent seed set too: words every question has weigh little
            vec.fit([*texts, *(norm.normalize(b) for b in background)])
            x = vec.transform(texts).toarray() / np.sqrt(2.0)
            labels = AgglomerativeClustering(
                n_clusters=None, metric="cosine", linkage="average", distance_threshold=max_distance
            ).fit_predict(x)
        for label in np.unique(labels):
            idx = np.flatnonzero(labels == label)
            if x is not None and len(idx) > 1:
                sims = x[idx] @ x[idx].T
                central = int(idx[int(np.argmax(sims.sum(axis=1)))])
            else:
                central = int(idx[0])
            replies = [str(group[i]["agent_reply"]) for i in idx if group[i].get("agent_reply")]
            times = [group[i].get("ts") for i in idx if group[i].get("ts") is not None]
            out.append(
                QuestionCluster(
                    questions=tuple(str(group[i]["text"]) for i in idx),
                    question=str(group[central]["text"]),
                    answer=replies[-1] if replies else "",
                    language=lang,
                    last_asked=max(times) if times else None,  # type: ignore[type-var]
                )
            )
    out.sort(key=lambda c: -len(c.questions))
    return out
