"""English names of China's provincial-level regions, for the console in English. Data may name a
province with or without its suffix (浙江 / 浙江省, 广西 / 广西壮族自治区)."""

from __future__ import annotations

_EN = {
    "北京": "Beijing", "天津": "Tianjin", "上海": "Shanghai", "重庆": "Chongqing",
    "河北": "Hebei", "山西": "Shanxi", "辽宁": "Liaoning", "吉林": "Jilin", "黑龙江": "Heilongjiang",
    "江苏": "Jiangsu", "浙江": "Zhejiang", "安徽": "Anhui", "福建": "Fujian", "江西": "Jiangxi",
    "山东": "Shandong", "河南": "Henan", "湖北": "Hubei", "湖南": "Hunan", "广东": "Guangdong",
    "海南": "Hainan", "四川": "Sichuan", "贵州": "Guizhou", "云南": "Yunnan", "陕西": "Shaanxi",
    "甘肃": "Gansu", "青海": "Qinghai", "台湾": "Taiwan", "内蒙古": "Inner Mongolia", "广西": "Guangxi",
    "西藏": "Tibet", "宁夏": "Ningxia", "新疆": "Xinjiang", "香港": "Hong Kong", "澳门": "Macau",
}  # fmt: skip
_SUFFIXES = ("维吾尔自治区", "壮族自治区", "回族自治区", "特别行政区", "自治区", "省", "市")


def region_name(name: str, lang: str) -> str:
    """``name`` in ``lang``: English for a known Chinese province, else unchanged."""
    if lang != "en":
        return name
    base = name
    for suffix in _SUFFIXES:
        if base.endswith(suffix) and base[: -len(suffix)] in _EN:
            base = base[: -len(suffix)]
            break
    return _EN.get(base, name)
