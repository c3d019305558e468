"""Intent classification with out-of-scope detection.

Features: the search analyzer's terms (jieba words, character bigrams and pinyin-syllable bigrams,
so a homophone typo such as 物留 still meets 物流) plus character n-grams (English typos), both
TF-IDF, over the normalised message (Traditional folded, dialect rewritten); a multinomial
logistic regression. A message whose best intent is below ``oos_threshold`` is out of scope.
With an embedder, multilingual sentence embeddings (multilingual-e5-small) join the features:
they carry paraphrases that share no words with the seed set ("can I pay by card" ~ "payment
methods"). The ``plain`` feature set is the baseline of the evaluation: character n-grams of the
raw text.
"""

from __future__ import annotations

import csv
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion

from shopmind.assistant.text import Normalizer
from shopmind.errors import NotFittedError, check_param
from shopmind.search.text import Analyzer

__all__ = ["INTENTS", "IntentClassifier", "IntentPrediction", "QueryEmbedder", "load_seed"]

INTENTS = (
    "order_status",
    "logistics",
    "return_refund",
    "product_question",
    "presale_advice",
    "complaint",
    "invoice",
    "coupon",
    "change_address",
    "human",
    "greeting",
    "out_of_scope",
)
OUT_OF_SCOPE = "out_of_scope"


@functools.cache
def load_seed() -> tuple[tuple[str, str, str], ...]:
    """The shipped training set: (language, intent, text) rows."""
    text = (resources.files("shopmind.assistant") / "data" / "seed.tsv").read_text(encoding="utf-8")
    rows = csv.DictReader(text.splitlines(), delimiter="\t", quoting=csv.QUOTE_NONE)
    return tuple((r["lang"], r["intent"], r["text"]) for r in rows if r["text"])


@dataclass(frozen=True)
class IntentPrediction:
    intent: str
    confidence: float  # probability of the best in-scope intent
    ranked: tuple[tuple[str, float], ...]  # the top three with their probabilities


class QueryEmbedder:
    """multilingual-e5-small with the query prefix for short messages on both sides (training
    examples and customer messages are both questions); ``passages`` is the same so that the
    search package's :class:`~shopmind.search.semantic.EmbeddingCache` can cache them."""

    name = "multilingual-e5-small-query"
    dim = 384

    def __init__(self) -> None:
        from shopmind.search.semantic import E5Embedder

        self._e5 = E5Embedder()

    def __getstate__(self) -> dict[str, Any]:
        return {}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__()  # type: ignore[misc]

    def queries(self, texts: Sequence[str]) -> np.ndarray[Any, np.dtype[np.float32]]:
        return self._e5.queries(texts)

    def passages(self, texts: Sequence[str]) -> np.ndarray[Any, np.dtype[np.float32]]:
        return self._e5.queries(texts)


class _Terms:
    """The search analyzer as a scikit-learn analyzer (a class, so the model pickles)."""

    def __init__(self) -> None:
        self.analyzer = Analyzer()

    def __call__(self, text: str) -> list[str]:
        return self.analyzer.document_terms(text)


def text_features() -> FeatureUnion:
    """TF-IDF of the search analyzer's terms and of character 2-4-grams (each block L2-normalised):
    the text features of intents, the knowledge base and the clustering of questions."""
    return FeatureUnion(
        [
            ("terms", TfidfVectorizer(analyzer=_Terms(), sublinear_tf=True)),
            ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True)),
        ]
    )


class IntentClassifier:
    """Which of :data:`INTENTS` a message expresses.

    Parameters
    ----------
    C : float
        Inverse regularisation of the logistic regression.
    oos_threshold : float
        Below this probability of the best in-scope intent the message is out of scope. The
        defaults (C=10, no floor: out of scope is a class of its own) are what 5-fold
        cross-validation on the shipped seed set chooses (``benchmarks/assistant_eval.py``).
    features : {"shopmind", "plain"}
        ``shopmind``: normalised text, analyzer terms and character n-grams; ``plain``: character
        1-3-grams of the raw text (the baseline).
    dialect : mapping, optional
        The merchant's extra dialect entries for the normaliser.
    """

    def __init__(
        self,
        C: float = 10.0,  # noqa: N803 - scikit-learn's name for it
        oos_threshold: float = 0.0,
        features: str = "shopmind",
        dialect: dict[str, str] | None = None,
        embedder: Any = None,
        embedding_weight: float = 2.0,
    ) -> None:
        self.C = C
        self.oos_threshold = oos_threshold
        self.features = features
        self.dialect = dialect
        self.embedder = embedder
        self.embedding_weight = embedding_weight

    def _vectorizer(self) -> Any:
        if self.features == "plain":
            return TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True)
        return text_features()

    def _prepare(self, texts: Sequence[str]) -> list[str]:
        if self.features == "plain":
            return [t.lower() for t in texts]
        return [self.normalizer_.normalize(t) for t in texts]

    def _matrix(self, texts: Sequence[str], vectors: Any, fit: bool = False) -> Any:
        prepared = self._prepare(texts)
        x = self.vectorizer_.fit_transform(prepared) if fit else self.vectorizer_.transform(prepared)
        if self.embedder is None or self.features == "plain":
            return x
        if vectors is None:
            vectors = self.embedder.queries(list(texts))
        dense = sp.csr_matrix(np.asarray(vectors, dtype=np.float64) * self.embedding_weight)
        return sp.hstack([x, dense], format="csr")

    def fit(self, texts: Sequence[str], labels: Sequence[str], vectors: Any = None) -> IntentClassifier:
        """Learn from *texts* and their *labels*; *vectors* are the texts' embeddings when the
        caller has them (cached), else the embedder computes them."""
        owner = "IntentClassifier"
        check_param(owner, "C", self.C, self.C > 0, "a float > 0")
        check_param(owner, "oos_threshold", self.oos_threshold, 0 <= self.oos_threshold < 1, "in [0, 1)")
        check_param(
            owner, "features", self.features, self.features in ("shopmind", "plain"), "shopmind or plain"
        )
        check_param(
            owner, "labels", len(labels), len(labels) == len(texts) > 0, f"one label per text ({len(texts)})"
        )
        unknown = sorted(set(labels) - set(INTENTS))
        check_param(owner, "labels", unknown, not unknown, f"labels from {', '.join(INTENTS)}")
        self.normalizer_ = Normalizer(self.dialect)
        self.vectorizer_ = self._vectorizer()
        x = self._matrix(texts, vectors, fit=True)
        self.model_ = LogisticRegression(C=self.C, max_iter=3000).fit(x, list(labels))
        self.classes_ = [str(c) for c in self.model_.classes_]
        return self

    def predict_proba(
        self, texts: Sequence[str], vectors: Any = None
    ) -> np.ndarray[Any, np.dtype[np.float64]]:
        if not hasattr(self, "model_"):
            raise NotFittedError("This IntentClassifier is not fitted yet; call fit() first.")
        return np.asarray(self.model_.predict_proba(self._matrix(texts, vectors)))

    def predict(self, texts: Sequence[str], vectors: Any = None) -> list[IntentPrediction]:
        """The intent of each text; out of scope when no in-scope intent is likely enough."""
        return [self.decide(p) for p in self.predict_proba(texts, vectors)]

    def decide(self, proba: np.ndarray[Any, np.dtype[np.float64]]) -> IntentPrediction:
        order = np.argsort(-proba)
        ranked = tuple((self.classes_[i], float(proba[i])) for i in order[:3])
        best, p = ranked[0]
        if best != OUT_OF_SCOPE and p < self.oos_threshold:
            return IntentPrediction(OUT_OF_SCOPE, p, ranked)
        return IntentPrediction(best, p, ranked)
