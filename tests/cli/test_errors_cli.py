"""What a user sees when a command goes wrong: one line, exit 2, rows and cells counted right."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from greenport.cli.main import app
from greenport.standards.ids import make_credit_code

runner = CliRunner()


@pytest.mark.parametrize(
    "command",
    [
        ["import", "enterprises", "{missing}", "--database", "{db}"],
        ["import", "divisions", "{missing}", "--json", "--database", "{db}"],
        ["import", "enterprises", "{folder}", "--database", "{db}"],
        ["evaluate", "town_eco_performance", "{missing}"],
        ["evaluate", "{missing}", "{missing}"],
        ["evaluate", "template", "town_eco_performance", "{nofolder}/t.xlsx"],
        ["export", "template", "enterprises", "{nofolder}/t.xlsx"],
        ["export", "enterprises", "{nofolder}/e.xlsx", "--database", "{db}"],
        ["export", "observations", "--from", "2022-01-01", "--to", "2022-01-02", "-o", "{nofolder}/o.csv"],
        ["hj212", "parse", "{missing}"],
    ],
)
def test_a_path_that_cannot_be_used_is_one_line_and_exit_2(tmp_path: Path, command: list[str]) -> None:
    names = {
        "missing": str(tmp_path / "nope.csv"),
        "nofolder": str(tmp_path / "no" / "such"),
        "folder": str(tmp_path),
        "db": f"sqlite:///{tmp_path / 'x.db'}",
    }
    args = [part.format(**names) for part in command]
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    text = result.output.strip()
    if "--json" in args or args[0] == "hj212":
        assert "error" in json.loads(text)
    else:
        assert len(text.splitlines()) == 1, text
        assert text.startswith("error:") and "field 'file'" not in text


def test_one_row_with_nine_bad_cells_is_said_so(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'cli.db'}"
    (tmp_path / "firms.csv").write_text(
        "credit_code,name,industry_code,town_code,park_code,land_area_mu,lon,lat,size_class,above_scale\n"
        "X,,31,1,P9,-1,500,500,huge,maybe\n",
        encoding="utf-8",
    )
    result = runner.invoke(
        app, ["import", "enterprises", str(tmp_path / "firms.csv"), "--database", database]
    )
    assert result.exit_code == 2
    first = result.output.splitlines()[0]
    assert "1 row with 10 bad cells" in first, result.output
    assert "invalid row" not in result.output
    body = json.loads(
        runner.invoke(
            app, ["import", "enterprises", str(tmp_path / "firms.csv"), "--database", database, "--json"]
        ).stdout
    )
    assert (body["invalid_rows"], body["invalid_cells"]) == (1, 10)


def test_skipped_rows_are_counted_as_rows_and_cells(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'cli.db'}"
    (tmp_path / "d.csv").write_text(
        "code,name,level,parent_code\n320582000000,港城市,,\n320582100000,沙洲镇,town,\n", encoding="utf-8"
    )
    assert (
        runner.invoke(app, ["import", "divisions", str(tmp_path / "d.csv"), "--database", database]).exit_code
        == 0
    )
    good = make_credit_code("320582", sequence=1)
    (tmp_path / "firms.csv").write_text(
        "credit_code,name,industry_code,town_code,land_area_mu,lon,lat,size_class\n"
        f"{good},好企业,3120,320582100000,12,120.5,31.9,small\n"
        "X,,31,320582100000,-1,500,31.9,small\n",
        encoding="utf-8",
    )
    result = runner.invoke(
        app, ["import", "enterprises", str(tmp_path / "firms.csv"), "--skip-invalid", "--database", database]
    )
    assert result.exit_code == 0, result.output
    assert "1 of 2 row(s) written" in result.output
    assert "skipped: 1 row with 5 bad cells" in result.output
    # human output is as wide as it needs (not cut at 80 columns when not a terminal)
    listing = runner.invoke(app, ["registry", "list", "enterprises", "--database", database])
    assert good in listing.output and "above_scale" in listing.output and "…" not in listing.output
