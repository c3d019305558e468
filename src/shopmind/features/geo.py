"""Where produce can arrive fresh: province centroids and a delivery-days estimate.

The estimate is deliberately simple (great-circle distance between provincial capitals, road
factor 1.3, one day of handling plus a day per 1,000 km of road, as cold-chain express runs) and
only decides whether a product with a short shelf life can reach a customer fresh. A shop with
real courier times can pass its own ``delivery_days`` function to the rules.
"""

from __future__ import annotations

import math

# Provincial capitals (lat, lon). Keys are the short names; see normalize_province().
CENTROIDS: dict[str, tuple[float, float]] = {
    "北京": (39.90, 116.40), "天津": (39.13, 117.20), "上海": (31.23, 121.47), "重庆": (29.56, 106.55),
    "河北": (38.04, 114.51), "山西": (37.87, 112.55), "辽宁": (41.80, 123.43), "吉林": (43.82, 125.32),
    "黑龙江": (45.80, 126.53), "江苏": (32.06, 118.80), "浙江": (30.27, 120.15), "安徽": (31.82, 117.23),
    "福建": (26.07, 119.30), "江西": (28.68, 115.86), "山东": (36.65, 117.12), "河南": (34.75, 113.63),
    "湖北": (30.59, 114.31), "湖南": (28.23, 112.94), "广东": (23.13, 113.26), "海南": (20.04, 110.34),
    "四川": (30.66, 104.07), "贵州": (26.65, 106.63), "云南": (25.04, 102.71), "陕西": (34.34, 108.94),
    "甘肃": (36.06, 103.83), "青海": (36.62, 101.78), "台湾": (25.03, 121.57), "内蒙古": (40.84, 111.75),
    "广西": (22.82, 108.37), "西藏": (29.65, 91.13), "宁夏": (38.49, 106.23), "新疆": (43.83, 87.62),
    "香港": (22.32, 114.17), "澳门": (22.20, 113.54),
}  # fmt: skip
PROVINCE_EN: dict[str, str] = {
    "北京": "Beijing", "天津": "Tianjin", "上海": "Shanghai", "重庆": "Chongqing",
    "河北": "Hebei", "山西": "Shanxi", "辽宁": "Liaoning", "吉林": "Jilin", "黑龙江": "Heilongjiang",
    "江苏": "Jiangsu", "浙江": "Zhejiang", "安徽": "Anhui", "福建": "Fujian", "江西": "Jiangxi",
    "山东": "Shandong", "河南": "Henan", "湖北": "Hubei", "湖南": "Hunan", "广东": "Guangdong",
    "海南": "Hainan", "四川": "Sichuan", "贵州": "Guizhou", "云南": "Yunnan", "陕西": "Shaanxi",
    "甘肃": "Gansu", "青海": "Qinghai", "台湾": "Taiwan", "内蒙古": "Inner Mongolia", "广西": "Guangxi",
    "西藏": "Tibet", "宁夏": "Ningxia", "新疆": "Xinjiang", "香港": "Hong Kong", "澳门": "Macau",
}  # fmt: skip
_SUFFIXES = ("维吾尔自治区", "壮族自治区", "回族自治区", "特别行政区", "自治区", "省", "市")


def normalize_province(name: str | None) -> str | None:
    """``浙江省`` → ``浙江``; unknown names come back unchanged, ``None`` stays ``None``."""
    if not name:
        return None
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and name[: -len(suffix)] in CENTROIDS:
            return name[: -len(suffix)]
    return name


def distance_km(a: str | None, b: str | None) -> float | None:
    """Great-circle distance between two provinces' capitals, or None if either is unknown."""
    pa, pb = CENTROIDS.get(normalize_province(a) or ""), CENTROIDS.get(normalize_province(b) or "")
    if pa is None or pb is None:
        return None
    lat1, lon1, lat2, lon2 = map(math.radians, (*pa, *pb))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def delivery_days(origin: str | None, destination: str | None) -> int | None:
    """Estimated days from dispatch to delivery, or None if a province is unknown."""
    km = distance_km(origin, destination)
    if km is None:
        return None
    return 1 + math.ceil(km * 1.3 / 1000)


def region_name(name: str, lang: str) -> str:
    """``name`` in ``lang``: English for a known Chinese province (浙江省 → Zhejiang), else unchanged."""
    if lang != "en":
        return name
    return PROVINCE_EN.get(normalize_province(name) or "", name)
