"""Text analysis for search: folding, segmentation, pinyin and the terms an index stores.

One analyzer serves both sides. A document's text becomes *terms*, each prefixed by its kind:

``w:`` a jieba word (search mode, so compounds also yield their parts: 农业发展银行 -> 农业, 发展,
银行, 农业发展银行); ``b:`` a Chinese character bigram and ``u:`` a single character, so a short or
compound word always matches inside a longer one whatever jieba decided ("农业" finds
"中国农业发展银行"); ``e:`` an English word, Snowball-stemmed; ``py:`` the toneless pinyin of a
word (猕猴桃 -> mihoutao), ``pi:`` its initials (mht) and ``ps:`` pinyin syllable bigrams
(五常大米 -> wu_chang, chang_da, da_mi), so pinyin typed as one run ("wuchangdami") and Chinese
homophone typos (密桃 for 蜜桃: both mi_tao) still match.

Folding happens before anything else: NFKC (full-width letters and digits to ASCII), lower case,
and Traditional to Simplified characters (opencc's character table; phrase-level conversions are
rare in product text and would cost a dictionary walk per document).
"""

from __future__ import annotations

import functools
import logging
import re
import threading
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from importlib import resources
from itertools import pairwise
from typing import ClassVar

import jieba
import Stemmer
from pypinyin import Style, lazy_pinyin

__all__ = [
    "Analyzer",
    "QueryTerm",
    "fold",
    "is_cjk",
    "pinyin_initials",
    "pinyin_of",
    "split_pinyin",
]

jieba.setLogLevel(logging.WARNING)

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUN = re.compile(rf"([{_CJK}]+)|([a-z0-9]+(?:[.'][a-z0-9]+)*)")
_CJK_CHAR = re.compile(rf"[{_CJK}]")
_SPACES = re.compile(r"\s+")
_CJK_ONLY = re.compile(rf"[^{_CJK}]")

# Words that carry no meaning in a product query; removing them keeps "我想买有机的蜂蜜" from
# matching every title that contains 的.
STOP_WORDS = frozenset(
    [
        "的",
        "了",
        "和",
        "与",
        "及",
        "或",
        "是",
        "在",
        "有",
        "我",
        "要",
        "想",
        "买",
        "想买",
        "我要",
        "我想",
        "请",
        "给",
        "帮",
        "找",
        "一下",
        "一些",
        "什么",
        "哪些",
        "吗",
        "呢",
        "吧",
        "啊",
        "a",
        "an",
        "the",
        "of",
        "for",
        "and",
        "or",
        "to",
        "in",
        "on",
        "with",
        "me",
        "i",
        "want",
        "buy",
        "find",
        "some",
        "any",
        "please",
        "show",
    ]
)


@functools.cache
def _t2s_table() -> dict[int, str]:
    """Traditional -> Simplified character table from opencc's dictionary (first candidate)."""
    table: dict[int, str] = {}
    path = resources.files("opencc") / "dictionary" / "TSCharacters.txt"
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) == 2 and len(parts[0]) == 1:
            simple = parts[1].split(" ")[0]
            if len(simple) == 1 and simple != parts[0]:
                table[ord(parts[0])] = simple
    return table


def fold(text: str) -> str:
    """Fold *text* for matching: NFKC, lower case, Traditional -> Simplified, single spaces.

    >>> fold("ＡＰＰＬＥ 蘋果  禮盒")
    'apple 苹果 礼盒'
    """
    text = unicodedata.normalize("NFKC", text).lower().translate(_t2s_table())
    return _SPACES.sub(" ", text).strip()


def is_cjk(text: str) -> bool:
    """Whether *text* contains a Chinese character."""
    return bool(_CJK_CHAR.search(text))


def pinyin_of(word: str) -> list[str]:
    """Toneless pinyin syllables of the Chinese characters in *word* (others dropped)."""
    return [s for s in lazy_pinyin(_CJK_ONLY.sub("", word)) if s]


def pinyin_initials(word: str) -> str:
    """First letters of each character's pinyin: 猕猴桃 -> 'mht'."""
    return "".join(lazy_pinyin(word, style=Style.FIRST_LETTER, errors="ignore"))


@functools.cache
def _syllables() -> frozenset[str]:
    """Every toneless pinyin syllable pypinyin knows (about 400)."""
    from pypinyin.pinyin_dict import pinyin_dict

    chars = "".join(chr(cp) for cp in pinyin_dict)
    return frozenset(s for s in lazy_pinyin(chars, errors="ignore") if s.isalpha())


def split_pinyin(text: str) -> list[str] | None:
    """Split a run of letters into pinyin syllables, or ``None`` when it is not pinyin.

    Dynamic programming over the syllable set, preferring fewer (longer) syllables, as input
    methods do: "wuchangdami" -> ['wu', 'chang', 'da', 'mi']; "xian" -> ['xian'].

    >>> split_pinyin("mihoutao")
    ['mi', 'hou', 'tao']
    >>> split_pinyin("honey") is None
    True
    """
    if not text.isascii() or not text.isalpha() or len(text) > 40:
        return None
    syllables = _syllables()
    n = len(text)
    best: list[list[str] | None] = [None] * (n + 1)
    best[0] = []
    for i in range(n):
        prefix = best[i]
        if prefix is None:
            continue
        for j in range(i + 1, min(n, i + 6) + 1):
            piece = text[i:j]
            if piece in syllables:
                candidate = [*prefix, piece]
                current = best[j]
                if current is None or len(candidate) < len(current):
                    best[j] = candidate
    return best[n]


@dataclass(frozen=True)
class QueryTerm:
    """One index term a query looks for, with its weight and the query word it stands for."""

    term: str
    weight: float
    concept: int  # index of the query word this term expands; a document matches a concept once
    source: str  # exact, bigram, pinyin, stem, typo, synonym ... (shown in explanations)


class Analyzer:
    """Turn product text and queries into index terms.

    Parameters
    ----------
    custom_words : iterable of str
        Words jieba must keep whole (brand names, local varieties: 沁州黄, 大红袍).
    synonyms : iterable of iterable of str
        Groups of interchangeable words ("西红柿", "番茄", "tomato"); a query word expands to
        the others of its group at a lower weight.
    """

    # Weight of each term kind at query time: a whole-word match counts most, a bigram inside a
    # longer word less, single characters and pinyin least (they also match unrelated words).
    KIND_WEIGHT: ClassVar[dict[str, float]] = {
        "w": 1.0,
        "e": 1.0,
        "b": 0.5,
        "u": 0.15,
        "py": 0.8,
        "pi": 0.5,
        "ps": 0.35,
    }

    def __init__(self, custom_words: Iterable[str] = (), synonyms: Iterable[Iterable[str]] = ()) -> None:
        self.custom_words = tuple(custom_words)
        self.synonyms = tuple(tuple(g) for g in synonyms)
        self._lock = threading.Lock()
        self._tokenizer: jieba.Tokenizer | None = None
        self._stemmer: Stemmer.Stemmer | None = None
        self._synonym_map: dict[str, list[str]] = {}
        self._runs: dict[str, list[str]] = {}
        for group in self.synonyms:
            folded = [fold(w) for w in group if w.strip()]
            for w in folded:
                self._synonym_map.setdefault(w, []).extend(x for x in folded if x != w)

    # -- state that is rebuilt after unpickling (jieba's tokenizer and the stemmer are not picklable)
    def __getstate__(self) -> dict[str, object]:
        return {"custom_words": self.custom_words, "synonyms": self.synonyms}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__init__(state["custom_words"], state["synonyms"])  # type: ignore[misc]

    @property
    def tokenizer(self) -> jieba.Tokenizer:
        with self._lock:
            if self._tokenizer is None:
                tk = jieba.Tokenizer()
                tk.initialize()
                for word in self.custom_words:
                    tk.add_word(fold(word), freq=50_000)
                self._tokenizer = tk
            return self._tokenizer

    def stem(self, word: str) -> str:
        if self._stemmer is None:
            self._stemmer = Stemmer.Stemmer("english")
        return str(self._stemmer.stemWord(word))

    # ------------------------------------------------------------------------------------------
    def words(self, text: str) -> list[str]:
        """The query words of folded *text*: jieba words (precise mode) and English words."""
        out: list[str] = []
        for cjk, latin in _RUN.findall(text):
            if cjk:
                out.extend(w for w in self.tokenizer.lcut(cjk, HMM=False) if w.strip())
            elif latin:
                out.append(latin)
        return [w for w in out if w not in STOP_WORDS]

    def document_terms(self, text: str) -> list[str]:
        """Every index term of one field's *text* (folded here), repeated per occurrence."""
        terms: list[str] = []
        for cjk, latin in _RUN.findall(fold(text)):
            if cjk:
                terms.extend(self._cjk_terms(cjk))
            elif latin:
                terms.append("e:" + self.stem(latin))
        return terms

    def _cjk_terms(self, run: str) -> list[str]:
        # product titles repeat the same runs (brands, places, product names): analysing each
        # once makes indexing a large catalog several times faster
        cached = self._runs.get(run)
        if cached is None:
            cached = list(self._analyse_run(run))
            if len(self._runs) < 500_000:
                self._runs[run] = cached
        return cached

    def _analyse_run(self, run: str) -> Iterator[str]:
        for word in self.tokenizer.cut_for_search(run, HMM=False):
            yield "w:" + word
            if len(word) >= 2:
                yield "py:" + "".join(pinyin_of(word))
                yield "pi:" + pinyin_initials(word)
        yield from ("u:" + c for c in run)
        yield from ("b:" + run[i : i + 2] for i in range(len(run) - 1))
        syllables = pinyin_of(run)
        yield from ("ps:" + a + "_" + b for a, b in pairwise(syllables))

    def query_terms(self, text: str) -> tuple[list[QueryTerm], list[str]]:
        """Terms of a folded query, grouped by query word (``concept``), and the words themselves."""
        terms: list[QueryTerm] = []
        words: list[str] = []
        kw = self.KIND_WEIGHT

        def add(term: str, weight: float, source: str) -> None:
            terms.append(QueryTerm(term, weight, len(words) - 1, source))

        prev_latin: str | None = None
        for cjk, latin in _RUN.findall(text):
            if latin and prev_latin is not None and latin not in STOP_WORDS:
                # "kiwi fruit" also looks for "kiwifruit" (and "green tea" for "greentea")
                joined = "e:" + self.stem(prev_latin + latin)
                terms.append(QueryTerm(joined, kw["e"] * 0.5, len(words) - 1, "compound"))
                terms.append(QueryTerm(joined, kw["e"] * 0.5, len(words), "compound"))
            prev_latin = latin if latin and latin not in STOP_WORDS else None
            if cjk:
                # words first; bigrams and pinyin bigrams run over the whole run, so that a
                # homophone typo jieba splits apart (密桃 -> 密, 桃) still meets 蜜桃's mi_tao
                owner: list[int] = []  # the concept of each character of the run (-1: stop word)
                for word in self.tokenizer.lcut(cjk, HMM=False):
                    if word in STOP_WORDS or not word.strip():
                        owner.extend([-1] * len(word))
                        continue
                    words.append(word)
                    owner.extend([len(words) - 1] * len(word))
                    add("w:" + word, kw["w"], "exact")
                    if len(word) == 1:
                        add("u:" + word, kw["w"] * 0.6, "character")
                    for other in self._synonym_map.get(word, ()):
                        add(self._synonym_term(other), kw["w"] * 0.8, "synonym")
                syllables = pinyin_of(cjk)
                spell = len(syllables) == len(cjk)
                for i in range(len(cjk) - 1):
                    concept = owner[i]
                    if concept < 0 or owner[i + 1] < 0:
                        continue
                    terms.append(QueryTerm("b:" + cjk[i : i + 2], kw["b"], concept, "bigram"))
                    if spell:
                        ps = "ps:" + syllables[i] + "_" + syllables[i + 1]
                        terms.append(QueryTerm(ps, kw["ps"], concept, "homophone"))
            elif latin:
                if latin in STOP_WORDS:
                    continue
                words.append(latin)
                add("e:" + self.stem(latin), kw["e"], "exact")
                if latin.isalpha():
                    add("py:" + latin, kw["py"], "pinyin")
                    if len(latin) <= 5:
                        add("pi:" + latin, kw["pi"], "initials")
                    syl = split_pinyin(latin)
                    if syl and len(syl) >= 2:
                        for a, b in pairwise(syl):
                            add("ps:" + a + "_" + b, kw["ps"] * 1.5, "pinyin")
                for other in self._synonym_map.get(latin, ()):
                    add(self._synonym_term(other), kw["w"] * 0.8, "synonym")
        return terms, words

    def _synonym_term(self, word: str) -> str:
        return "w:" + word if is_cjk(word) else "e:" + self.stem(word)


def default_resource(name: str) -> str:
    """Text of a data file shipped in ``shopmind/search/data``."""
    return (resources.files("shopmind.search") / "data" / name).read_text(encoding="utf-8")
