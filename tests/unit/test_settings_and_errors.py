"""Settings are documented; errors follow one message template."""

from __future__ import annotations

from pathlib import Path

import pytest

from shopmind.config import Settings
from shopmind.errors import InvalidParameterError, MissingDependencyError, NotFoundError, check_param, require

DOCS = Path(__file__).parents[2] / "docs" / "settings.md"


def test_every_setting_is_documented() -> None:
    text = DOCS.read_text(encoding="utf-8")
    for name, field in Settings.model_fields.items():
        assert field.description, f"setting {name} has no description"
        assert f"`SHOPMIND_{name.upper()}`" in text, f"setting {name} is missing from docs/settings.md"


def test_settings_read_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SHOPMIND_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SHOPMIND_PORT", "9001")
    s = Settings()
    assert s.port == 9001
    assert s.resolved_database_url() == f"sqlite:///{tmp_path}/shopmind.db"


def test_parameter_message_template() -> None:
    with pytest.raises(InvalidParameterError) as info:
        check_param("ALS", "factors", 0, False, "an int >= 1")
    assert str(info.value) == "The 'factors' parameter of ALS must be an int >= 1. Got 0 instead."
    assert isinstance(info.value, ValueError)
    assert isinstance(NotFoundError("x"), LookupError)


def test_missing_optional_package_names_the_extra() -> None:
    with pytest.raises(MissingDependencyError, match=r"pip install shopmind\[spark\]"):
        require("surely_not_installed_pkg", "spark", "Spark forecasting")


def test_import_shopmind_stays_light() -> None:
    import subprocess
    import sys

    code = "import sys, shopmind; heavy = [m for m in ('pandas', 'fastapi', 'sqlalchemy', 'numpy') if m in sys.modules]; print(heavy)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "[]"
