"""``greenport … --help`` shows what the options mean, units included."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from greenport.cli.main import app

runner = CliRunner()


@pytest.mark.parametrize(
    ("command", "text"),
    [
        (["ingest", "--help"], "Cut a connection silent for this long [s]."),
        (["ingest", "--help"], "Group-commit gathering time [s]."),
        (["standards", "o2", "--help"], "Measured concentration, dry [mg/m³]."),
        (["standards", "o2", "--help"], "Measured O2 [%]."),
        (["standards", "aqi", "--help"], "pm2_5 [µg/m³]"),
    ],
)
def test_units_in_brackets_survive_in_help(command: list[str], text: str) -> None:
    result = runner.invoke(app, command, terminal_width=200)
    assert result.exit_code == 0, result.output
    assert text in " ".join(result.output.split())
