from __future__ import annotations

import pytest
from pydantic import ValidationError

from greenport.config import DEMO_SECRET_KEY, Settings


def test_production_refuses_the_demo_secret_key() -> None:
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        Settings(mode="production", secret_key=DEMO_SECRET_KEY)


def test_production_accepts_a_real_key_and_demo_accepts_the_default() -> None:
    assert Settings(mode="production", secret_key="x" * 40).secret_key == "x" * 40
    assert Settings(mode="demo").secret_key == DEMO_SECRET_KEY


def test_settings_read_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GREENPORT_DATABASE_URL", "sqlite:///elsewhere.db")
    assert Settings().database_url == "sqlite:///elsewhere.db"


def test_every_setting_is_documented() -> None:
    from pathlib import Path

    doc = (Path(__file__).parents[1] / "docs" / "configuration.md").read_text(encoding="utf-8")
    for name, field in Settings.model_fields.items():
        assert field.description, f"setting {name} has no description"
        assert f"GREENPORT_{name.upper()}" in doc, (
            f"docs/configuration.md does not list GREENPORT_{name.upper()}"
        )
