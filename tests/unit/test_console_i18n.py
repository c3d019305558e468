"""Both console languages carry every message, and no message is left empty."""

from __future__ import annotations

import json
from pathlib import Path

import shopmind.console

I18N = Path(shopmind.console.__file__).parent / "i18n"


def test_both_languages_have_the_same_non_empty_messages() -> None:
    en = json.loads((I18N / "en.json").read_text(encoding="utf-8"))
    zh = json.loads((I18N / "zh-CN.json").read_text(encoding="utf-8"))
    assert set(en) - set(zh) == set(), "missing in zh-CN.json"
    assert set(zh) - set(en) == set(), "missing in en.json"
    assert [k for k, v in {**en, **zh}.items() if not str(v).strip()] == []
