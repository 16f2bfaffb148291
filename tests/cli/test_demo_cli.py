"""``greenport demo --no-serve --json`` through typer's CliRunner."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from greenport.cli.demo import _print_ready
from greenport.cli.main import app
from greenport.config import Settings

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


def test_demo_shows_stage_bars_summary_and_logins_without_internal_messages(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    database = f"sqlite:///{tmp_path / 'demo.db'}"
    caplog.set_level("INFO")
    result = runner.invoke(app, ["demo", "--no-serve", "--fast", "--database", database])
    assert result.exit_code == 0, result.output
    out = result.output
    # the hours bar, completed (columns are aligned across the bars: "72/72   h")
    assert "monitoring: a year of hourly data" in out and re.search(r"72/72\s+h\b", out)
    assert re.search(r"alarms: the year through the shipped rules .* (\d+)/\1\s+sites", out)
    assert "registry: divisions" in out and "assessment runs" in out
    assert "600 above-scale firms" in out
    assert "admin" in out and "demo-" in out  # the demo log-ins with their public passwords
    # the stage results that the registry summary also has are kept quietly, never reported
    assert "registry summary owns" not in out
    assert not [
        r for r in caplog.records if r.levelno >= logging.INFO and r.name.startswith("greenport.demo")
    ]
    # a human line is never cut at 80 columns
    assert any(len(line) > 120 for line in out.splitlines())


def test_served_demo_prints_url_ports_and_logins(capsys: pytest.CaptureFixture[str]) -> None:
    settings = Settings(database_url="sqlite://", port=8123, ingest_port=9300, mode="demo")
    _print_ready(settings, {"logins": [{"role": "city_admin", "username": "admin", "password": "demo-x"}]})
    out = capsys.readouterr().out
    assert "http://127.0.0.1:8123" in out
    assert "127.0.0.1:9300 (TCP)" in out
    assert "http://127.0.0.1:9301/metrics" in out
    assert "admin  demo-x  (city_admin)" in out
