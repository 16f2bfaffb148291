"""``greenport demo --no-serve --json`` through typer's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from greenport.cli.main import app

runner = CliRunner()


def test_demo_builds_once_and_refuses_to_overwrite(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'demo.db'}"
    result = runner.invoke(app, ["demo", "--no-serve", "--json", "--fast", "--database", database])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["built"] is True and summary["enterprises"] == 600 and summary["towns"] == 10
    assert len(summary["logins"]) == 7
    again = runner.invoke(app, ["demo", "--no-serve", "--json", "--database", database])
    assert again.exit_code == 0, again.output
    second = json.loads(again.stdout)
    assert second["built"] is False
    assert second["industrial_output_2022_yi"] == summary["industrial_output_2022_yi"]
    assert second["logins"] == summary["logins"]


def test_demo_is_refused_in_production_mode(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GREENPORT_MODE", "production")
    monkeypatch.setenv("GREENPORT_SECRET_KEY", "x" * 40)
    result = runner.invoke(
        app, ["demo", "--no-serve", "--json", "--database", f"sqlite:///{tmp_path / 'p.db'}"]
    )
    assert result.exit_code == 2
    assert "production" in json.loads(result.stdout)["error"]
    assert not (tmp_path / "p.db").exists()
