"""``greenport import|export|registry`` through typer's CliRunner."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from typer.testing import CliRunner

from greenport.cli.main import app
from greenport.standards.ids import make_credit_code
from greenport.tabular import read_table
from tests.tabular_files import corrupt_sheet, xlsx_declaring

runner = CliRunner()

DIVISIONS = """code,name,level,parent_code
320582000000,港城市,,
320582100201,东村,,
320582100000,沙洲镇,town,
"""


def _firms(path: Path, *, bad: bool) -> None:
    good = make_credit_code("320582", sequence=1)
    rows = [
        [
            "credit_code",
            "name",
            "industry_code",
            "town_code",
            "park_code",
            "land_area_mu",
            "lon",
            "lat",
            "size_class",
        ],
        [good, "好企业", "3120", "320582100000", "", "12", "120.5", "31.9", "small"],
    ]
    if bad:
        rows.append(
            [
                good[:17] + ("0" if good[17] != "0" else "1"),
                "坏企业",
                "31",
                "320582100000",
                "P9",
                "-1",
                "120.5",
                "31.9",
                "small",
            ]
        )
    with open(path, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)


def test_import_export_and_listings(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'cli.db'}"
    (tmp_path / "divisions.csv").write_text(DIVISIONS, encoding="utf-8")
    result = runner.invoke(
        app, ["import", "divisions", str(tmp_path / "divisions.csv"), "--database", database, "--json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["written"] == 3

    _firms(tmp_path / "firms.csv", bad=True)
    report = tmp_path / "report.csv"
    result = runner.invoke(
        app,
        [
            "import",
            "enterprises",
            str(tmp_path / "firms.csv"),
            "--database",
            database,
            "--json",
            "--report",
            str(report),
        ],
    )
    assert result.exit_code == 2
    body = json.loads(result.output)
    assert {(e["row"], e["column"]) for e in body["errors"]} == {
        (3, "credit_code"),
        (3, "industry_code"),
        (3, "park_code"),
        (3, "land_area_mu"),
    }
    with open(report, encoding="utf-8-sig") as handle:
        lines = list(csv.DictReader(handle))
    assert [(int(r["row"]), r["column"]) for r in lines] == [(e["row"], e["column"]) for e in body["errors"]]
    assert set(lines[0]) == {"row", "column", "error", "value"}
    listed = runner.invoke(app, ["registry", "list", "enterprises", "--database", database, "--json"])
    assert json.loads(listed.output)["count"] == 0  # nothing written

    result = runner.invoke(
        app,
        [
            "import",
            "enterprises",
            str(tmp_path / "firms.csv"),
            "--database",
            database,
            "--skip-invalid",
            "--report",
            str(report),
        ],
    )
    assert result.exit_code == 0, result.output
    listed = runner.invoke(app, ["registry", "list", "enterprises", "--database", database, "--json"])
    assert json.loads(listed.output)["data"][0]["name"] == "好企业"

    out = tmp_path / "enterprises.xlsx"
    result = runner.invoke(app, ["export", "enterprises", str(out), "--database", database])
    assert result.exit_code == 0, result.output
    table = read_table(out)  # Chinese headers and names by default
    assert (
        table.rows[0]["统一社会信用代码"] == make_credit_code("320582", sequence=1) and len(table.rows) == 1
    )
    assert table.rows[0]["企业规模"] == "小型" and table.rows[0]["是否规模以上"] == "规上"
    result = runner.invoke(app, ["export", "enterprises", str(out), "--lang", "en", "--database", database])
    assert result.exit_code == 0, result.output
    english = read_table(out).rows[0]
    assert (
        english["credit_code"] == make_credit_code("320582", sequence=1) and english["size_class"] == "Small"
    )

    counts = runner.invoke(app, ["registry", "counts", "--database", database, "--json"])
    assert json.loads(counts.output)["divisions"] == 3


def test_templates_have_the_import_columns(tmp_path: Path) -> None:
    for table in ("divisions", "parks", "enterprises", "sites"):
        out = tmp_path / f"{table}.xlsx"
        result = runner.invoke(app, ["export", "template", table, str(out), "--lang", "en"])
        assert result.exit_code == 0, result.output
        headers = read_table(out).headers
        assert "code" in headers or "credit_code" in headers
    result = runner.invoke(app, ["export", "template", "nope", str(tmp_path / "x.xlsx")])
    assert result.exit_code == 2


def test_unreadable_file_exits_2(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'cli.db'}"
    (tmp_path / "x.pdf").write_bytes(b"%PDF")
    result = runner.invoke(
        app, ["import", "sites", str(tmp_path / "x.pdf"), "--database", database, "--json"]
    )
    assert result.exit_code == 2 and json.loads(result.output)["field"] == "file"


def test_xlsx_export_imports_back_into_an_empty_database(tmp_path: Path) -> None:
    source = f"sqlite:///{tmp_path / 'source.db'}"
    target = f"sqlite:///{tmp_path / 'target.db'}"
    (tmp_path / "divisions.csv").write_text(DIVISIONS, encoding="utf-8")
    assert (
        runner.invoke(
            app, ["import", "divisions", str(tmp_path / "divisions.csv"), "--database", source]
        ).exit_code
        == 0
    )
    _firms(tmp_path / "firms.csv", bad=False)
    assert (
        runner.invoke(
            app, ["import", "enterprises", str(tmp_path / "firms.csv"), "--database", source]
        ).exit_code
        == 0
    )
    for table in ("divisions", "enterprises"):
        out = tmp_path / f"{table}.xlsx"
        assert runner.invoke(app, ["export", table, str(out), "--database", source]).exit_code == 0
        result = runner.invoke(app, ["import", table, str(out), "--database", target, "--json"])
        assert result.exit_code == 0, result.output
    exported = [
        json.loads(
            runner.invoke(app, ["registry", "list", "enterprises", "--database", url, "--json"]).output
        )["data"]
        for url in (source, target)
    ]
    assert exported[0] == exported[1] and len(exported[0]) == 1


def test_every_row_past_a_wrong_xlsx_dimension_is_imported(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'cli.db'}"
    rows = [line.split(",") for line in DIVISIONS.strip().splitlines()]
    path = xlsx_declaring(tmp_path / "divisions.xlsx", rows[0], rows[1:], "A1:D2")
    result = runner.invoke(app, ["import", "divisions", str(path), "--database", database, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["written"] == 3


def test_a_corrupt_sheet_is_one_line_and_exit_2(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'cli.db'}"
    path = corrupt_sheet(tmp_path / "broken.xlsx")
    result = runner.invoke(app, ["import", "divisions", str(path), "--database", database])
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit), result.exception
    assert len(result.output.strip().splitlines()) == 1, result.output
    message = result.output.strip()
    assert message.startswith("error: broken.xlsx, sheet 'data' cannot be read: not well-formed")


def test_the_import_limits_are_read_from_the_settings(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'cli.db'}"
    (tmp_path / "divisions.csv").write_text(DIVISIONS, encoding="utf-8")
    command = ["import", "divisions", str(tmp_path / "divisions.csv"), "--database", database, "--json"]
    refused = runner.invoke(app, command, env={"GREENPORT_IMPORT_MAX_ROWS": "2"})
    assert refused.exit_code == 2
    assert json.loads(refused.output)["limit"] == "GREENPORT_IMPORT_MAX_ROWS"
    refused = runner.invoke(app, command, env={"GREENPORT_IMPORT_MAX_CELL_CHARS": "5"})
    assert refused.exit_code == 2
    assert json.loads(refused.output)["limit"] == "GREENPORT_IMPORT_MAX_CELL_CHARS"
    assert runner.invoke(app, command, env={"GREENPORT_IMPORT_MAX_ROWS": "3"}).exit_code == 0


def test_a_firm_named_like_a_formula_is_exported_as_text_and_imports_back(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    source = f"sqlite:///{tmp_path / 'source.db'}"
    target = f"sqlite:///{tmp_path / 'target.db'}"
    hostile = "=cmd|' /C calc'!A0"
    (tmp_path / "divisions.csv").write_text(DIVISIONS, encoding="utf-8")
    for url in (source, target):
        runner.invoke(app, ["import", "divisions", str(tmp_path / "divisions.csv"), "--database", url])
    _firms(tmp_path / "firms.csv", bad=False)
    text = (
        (tmp_path / "firms.csv")
        .read_text(encoding="utf-8")
        .replace("好企业", '"' + hostile.replace('"', '""') + '"')
    )
    (tmp_path / "firms.csv").write_text(text, encoding="utf-8")
    assert (
        runner.invoke(
            app, ["import", "enterprises", str(tmp_path / "firms.csv"), "--database", source]
        ).exit_code
        == 0
    )
    csv_out, xlsx_out = tmp_path / "out.csv", tmp_path / "out.xlsx"
    for out in (csv_out, xlsx_out):
        assert runner.invoke(app, ["export", "enterprises", str(out), "--database", source]).exit_code == 0
    with open(csv_out, newline="", encoding="utf-8-sig") as handle:
        row = next(r for r in csv.DictReader(handle))
    assert row["企业名称"] == "'" + hostile and row["用地面积 (亩)"] == "12.0"
    cell = load_workbook(xlsx_out).active["B2"]
    assert (cell.value, cell.data_type) == (hostile, "s")
    result = runner.invoke(app, ["import", "enterprises", str(csv_out), "--database", target, "--json"])
    assert result.exit_code == 0, result.output
    listed = runner.invoke(app, ["registry", "list", "enterprises", "--database", target, "--json"]).output
    assert json.loads(listed)["data"][0]["name"] == hostile  # the quote OWASP adds is read back off
