from __future__ import annotations

import pytest

from shopmind.console.regions import region_name


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
