"""``greenport standards aqi|water|o2``."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from greenport.cli.main import app

runner = CliRunner()


def test_aqi_json() -> None:
    result = runner.invoke(
        app, ["standards", "aqi", "--pm2_5", "80", "--pm10", "120", "--on", "2018-02-20", "--json"]
    )
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["aqi"] == 107 and body["primary_pollutants"] == ["pm2_5"] and body["edition"] == "HJ 633-2012"


def test_aqi_edition_by_date() -> None:
    result = runner.invoke(app, ["standards", "aqi", "--pm2-5", "60", "--averaging", "day", "--on", "2026-03-01",
                                 "--so2", "1", "--no2", "1", "--co", "0.1", "--pm10", "1", "--o3_8h", "1", "--json"])  # fmt: skip
    assert json.loads(result.output)["aqi"] == 100


def test_aqi_error_exit_2() -> None:
    result = runner.invoke(app, ["standards", "aqi", "--pm2_5", "-3", "--json"])
    assert result.exit_code == 2
    assert json.loads(result.output)["field"] == "pm2_5"
    assert runner.invoke(app, ["standards", "aqi"]).exit_code == 2


def test_water() -> None:
    args = [
        "standards",
        "water",
        "--waterbody",
        "river",
        "--ph",
        "7",
        "--do",
        "6",
        "--cod",
        "25",
        "--target",
        "3",
    ]
    result = runner.invoke(app, [*args, "--factor", "f=0.8", "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["class"] == 4 and body["exceedances"][0]["factor"] == "cod"
    assert body["exceedances"][0]["multiple"] == 0.25
    assert runner.invoke(app, ["standards", "water", "--factor", "zz=1"]).exit_code == 2


def test_o2() -> None:
    result = runner.invoke(
        app, ["standards", "o2", "--concentration", "35", "--measured", "9", "--reference", "6", "--json"]
    )
    assert json.loads(result.output)["corrected"] == 43.75
    bad = runner.invoke(
        app, ["standards", "o2", "--concentration", "35", "--measured", "21", "--reference", "6"]
    )
    assert bad.exit_code == 2
