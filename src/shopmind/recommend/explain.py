"""Explanations: a machine-readable reason becomes a sentence in Chinese and English.

Reasons are ``code`` or ``code:detail`` strings set by the sources and the ranker:
``similar_to:<sku>``, ``popular``, ``popular_in_region:<province>``, ``trending``, ``in_season``,
``collaborative``, ``similar_customers``, ``session_query:<text>``, ``new_item``, ``promoted``,
``onboarding:<category>``, ``also_viewed``, ``bought_together``, ``similar_product``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from shopmind.features.geo import region_name

_VERB_ZH = {
    "purchase": "购买了",
    "add_to_cart": "加购了",
    "favorite": "收藏了",
    "rate": "评价了",
    "search": "搜索了",
}
_VERB_EN = {
    "purchase": "bought",
    "add_to_cart": "added",
    "favorite": "saved",
    "rate": "rated",
    "search": "searched for",
}


@dataclass(frozen=True)
class Explanation:
    code: str
    detail: str | None
    zh: str
    en: str

    def as_dict(self) -> dict[str, object]:
        return {"code": self.code, "detail": self.detail, "text": {"zh-CN": self.zh, "en": self.en}}


def explain(
    reason: str | None,
    *,
    title: Callable[[str], tuple[str, str]],
    history_kind: Mapping[str, str] | None = None,
) -> Explanation:
    """The sentence for ``reason``.

    Parameters
    ----------
    reason : str or None
        ``code`` or ``code:detail``.
    title : callable
        sku -> (Chinese title, English title) of a product, for "because you bought …".
    history_kind : mapping, optional
        sku -> strongest event type in the customer's history ("purchase", "view", …).
    """
    code, _, detail = (reason or "popular").partition(":")
    d = detail or None
    if code == "similar_to" and d:
        zh_title, en_title = title(d)
        kind = (history_kind or {}).get(d, "view")
        return Explanation(
            code,
            d,
            f"因为您{_VERB_ZH.get(kind, '浏览了')}{zh_title}",
            f"Because you {_VERB_EN.get(kind, 'viewed')} {en_title}",
        )
    if code == "popular_in_region" and d:
        return Explanation(code, d, f"本周{d}热销", f"Popular in {region_name(d, 'en')} this week")
    if code == "session_query" and d:
        return Explanation(code, d, f"根据您刚才搜索的“{d}”", f"Based on your search for “{d}”")
    if code == "onboarding" and d:
        return Explanation(code, d, f"根据您选择的偏好：{d}", f"Based on the preference you chose: {d}")
    fixed = {
        "popular": ("店内热销", "Popular in the shop"),
        "trending": ("近期人气上升", "Trending now"),
        "in_season": ("当季新鲜上市", "In season now"),
        "collaborative": ("与您口味相似的顾客也喜欢", "Customers with similar taste liked this"),
        "similar_customers": ("与您相似的顾客也买了", "Customers like you also bought this"),
        "new_item": ("新品上架", "New arrival"),
        "promoted": ("店铺精选推荐", "Featured by the shop"),
        "also_viewed": ("看过此商品的顾客也看了", "Customers who viewed this also viewed"),
        "bought_together": ("经常一起购买", "Frequently bought together"),
        "similar_product": ("相似商品", "A similar product"),
    }
    zh, en = fixed.get(code, ("为您推荐", "Recommended for you"))
    return Explanation(code, d, zh, en)
