from __future__ import annotations

import pytest

from shopmind.features.geo import region_name


@pytest.mark.parametrize(
    ("name", "english"),
    [
        ("浙江", "Zhejiang"),
        ("浙江省", "Zhejiang"),
        ("广西壮族自治区", "Guangxi"),
        ("新疆维吾尔自治区", "Xinjiang"),
        ("上海市", "Shanghai"),
        ("内蒙古自治区", "Inner Mongolia"),
        ("Ontario", "Ontario"),
        ("?", "?"),
    ],
)
def test_region_names_in_english(name: str, english: str) -> None:
    assert region_name(name, "en") == english
    assert region_name(name, "zh-CN") == name


def test_delivery_days_grow_with_distance() -> None:
    from shopmind.features.geo import delivery_days, distance_km

    assert delivery_days("浙江省", "浙江") == 1
    assert delivery_days("辽宁", "广东") >= 4  # type: ignore[operator]
    assert delivery_days("辽宁", "北京") < delivery_days("辽宁", "广东")  # type: ignore[operator]
    assert 1000 < distance_km("北京", "上海") < 1100  # type: ignore[operator]
    assert delivery_days("Atlantis", "浙江") is None
