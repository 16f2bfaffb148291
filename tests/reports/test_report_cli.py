"""``greenport report`` never makes a database and never writes an empty document with exit 0.

Run outside the project folder (a temporary working directory, no ``.env``, no
``GREENPORT_DATABASE_URL``), the command used to create an empty ``greenport.db``, migrate it and
write an empty bulletin. Each case below must say what is wrong in one line and exit 2.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from greenport.bootstrap import upgrade_database
from greenport.cli.main import app


@pytest.fixture
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    monkeypatch.chdir(folder)
    monkeypatch.delenv("GREENPORT_DATABASE_URL", raising=False)
    return folder


def _run(*args: str) -> Any:
    return CliRunner().invoke(app, ["report", *args])


def _one_line_error(result: Any, expected: str) -> None:
    assert result.exit_code == 2, result.output
    # One message (Rich may wrap it at the runner's 80 columns; the width is the console's concern).
    text = " ".join(line.strip() for line in result.output.splitlines())
    assert text.count("error:") == 1 and text.startswith("error:") and expected in text, result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("kind", [("bulletin", "--month", "2022-06"), ("scorecard", "--period", "2022")])
def test_no_database_is_reported_and_not_created(elsewhere: Path, kind: tuple[str, ...]) -> None:
    result = _run(*kind, "--format", "pdf")
    _one_line_error(result, "no database at")
    assert list(elsewhere.iterdir()) == []  # no greenport.db, no document


def test_an_unmigrated_database_is_reported(elsewhere: Path) -> None:
    (elsewhere / "greenport.db").write_bytes(b"")  # an empty SQLite file: no tables
    _one_line_error(_run("bulletin", "--month", "2022-06"), "has no GreenPort tables")
    assert sorted(p.name for p in elsewhere.iterdir()) == ["greenport.db"]


def test_an_empty_database_is_reported(elsewhere: Path) -> None:
    upgrade_database(f"sqlite:///{elsewhere / 'greenport.db'}")
    _one_line_error(_run("bulletin", "--month", "2022-06"), "no monitoring data for 2022-06")
    _one_line_error(_run("scorecard", "--period", "2022", "--format", "xlsx"), "no monitoring data for 2022")
    assert sorted(p.name for p in elsewhere.iterdir()) == ["greenport.db"]


def test_a_month_without_data_is_reported(lite_app: Any, elsewhere: Path) -> None:
    client, _city = lite_app
    url = client.app.state.container.settings.database_url
    _one_line_error(
        _run("bulletin", "--month", "2019-01", "--database-url", url), "no monitoring data for 2019-01"
    )
    assert list(elsewhere.iterdir()) == []
    ok = _run(
        "bulletin",
        "--month",
        "2022-06",
        "--issued",
        "2022-07-05",
        "--database-url",
        url,
        "--out",
        "b.docx",
        "--format",
        "docx",
    )
    assert ok.exit_code == 0, ok.output
    assert (elsewhere / "b.docx").stat().st_size > 0
    _one_line_error(
        _run("bulletin", "--month", "2022-06", "--issued", "July", "--database-url", url), "--issued"
    )


def test_out_is_honoured_for_json_too(lite_app: Any, elsewhere: Path) -> None:
    client, _city = lite_app
    url = client.app.state.container.settings.database_url
    result = _run(
        "bulletin", "--month", "2022-06", "--database-url", url, "--format", "json", "--out", "b.json"
    )
    assert result.exit_code == 0, result.output
    figures = json.loads((elsewhere / "b.json").read_text(encoding="utf-8"))
    assert figures["month"] == "2022-06" and result.output.strip() == "b.json"
