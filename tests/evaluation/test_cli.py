"""``greenport evaluate`` with CliRunner: both the command form and the ``template`` form."""

from __future__ import annotations

import csv
import json
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from greenport.cli.main import app
from greenport.demo.assessments import _clean, demo_values
from greenport.kernel.time import format_local
from greenport.systems import system_text
from greenport.tabular import read_table

runner = CliRunner()


def _write_csv(path: Path, system_id: str, period: str = "2022") -> Path:
    rows = _clean(system_id, demo_values(system_id, period))
    keys = list(next(iter(rows.values())))
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["unit", *keys])
        for unit, row in rows.items():
            writer.writerow([unit, *["" if row[k] is None else row[k] for k in keys]])
    return path


def test_evaluate_shipped_system_json(tmp_path):
    data = _write_csv(tmp_path / "towns.csv", "town_eco_performance")
    result = runner.invoke(app, ["evaluate", "town_eco_performance", str(data), "--period", "2022", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["system_id"] == "town_eco_performance" and payload["period"] == "2022"
    assert len(payload["table"]) == 13
    assert all(0 <= row["total"] <= 1030 for row in payload["table"])


def test_evaluate_yaml_file_with_uncertainty_and_xlsx(tmp_path):
    system_file = tmp_path / "innovation.yaml"
    system_file.write_text(system_text("innovation_index"), encoding="utf-8")
    data = _write_csv(tmp_path / "counties.csv", "innovation_index")
    out = tmp_path / "result.xlsx"
    result = runner.invoke(
        app, ["evaluate", str(system_file), str(data), "--uncertainty", "20", "--xlsx", str(out)]
    )
    assert result.exit_code == 0, result.output
    workbook = load_workbook(out)
    assert {"结果 results", "指标 indicators", "不确定性 uncertainty", "敏感性 sensitivity"} <= set(
        workbook.sheetnames
    )


def test_template_then_fill_then_evaluate(tmp_path):
    out = tmp_path / "template.xlsx"
    result = runner.invoke(app, ["evaluate", "template", "leader_natural_resource_audit", str(out)])
    assert result.exit_code == 0, result.output
    table = read_table(out)
    assert table.headers[0] == "unit"
    assert table.headers[1] == "period"
    assert len(table.headers) == 2 + 25 + 1  # unit, period, 25 indicators, one veto item
    workbook = load_workbook(out)
    guide = workbook["填写说明"]
    text = " ".join(str(c.value) for row in guide.iter_rows() for c in row if c.value)
    assert "耕地保有量目标完成率" in text and "一票否决" in text and "来源" in text
    assert workbook["数据"].cell(1, 3).comment is not None  # definition on the header


def test_bad_cell_is_reported_by_row_and_column(tmp_path):
    data = _write_csv(tmp_path / "towns.csv", "town_eco_performance")
    lines = data.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    cells = lines[3].split(",")
    cells[header.index("pm25")] = "abc"
    lines[3] = ",".join(cells)
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["evaluate", "town_eco_performance", str(data), "--json"])
    assert result.exit_code == 2
    payload = json.loads(result.output)
    assert payload["errors"][0] == {"row": 4, "column": "pm25", "error": "not a number", "value": "abc"}


def test_missing_value_is_reported_with_the_file_row(tmp_path):
    data = _write_csv(tmp_path / "depts.csv", "department_eco_performance")
    lines = data.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    cells = lines[5].split(",")
    cells[header.index("green_procurement")] = ""
    lines[5] = ",".join(cells)
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["evaluate", "department_eco_performance", str(data), "--json"])
    assert result.exit_code == 2
    payload = json.loads(result.output)
    assert payload["row"] == 6 and payload["column"] == "green_procurement"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["evaluate", "nope_system", "x.csv", "--json"], "no shipped indicator system"),
        (["evaluate", "template", "--json"], "usage"),
        (["evaluate", "town_eco_performance", "--json"], "usage"),
    ],
)
def test_usage_errors_exit_2(args, message):
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert message in json.loads(result.output)["error"]


def test_schema_error_names_the_yaml_path(tmp_path):
    broken = system_text("department_eco_performance").replace("direction: benefit", "direction: upward", 1)
    path = tmp_path / "broken.yaml"
    path.write_text(broken, encoding="utf-8")
    result = runner.invoke(app, ["evaluate", str(path), str(tmp_path / "x.csv"), "--json"])
    assert result.exit_code == 2
    assert json.loads(result.output)["error"] == (
        "dimensions[0].indicators[0].direction: must be benefit|cost|target"
    )


def test_template_default_output_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["evaluate", "template", "enterprise_per_mu"])
    assert result.exit_code == 0, result.output
    headers = read_table(tmp_path / "enterprise_per_mu_template.xlsx").headers
    assert headers[:4] == ["unit", "period", "tax_per_mu", "revenue_per_mu"]


def test_list(tmp_path):
    result = runner.invoke(app, ["evaluate", "list", "--json"])
    assert result.exit_code == 0
    ids = {s["id"] for s in json.loads(result.output)}
    assert "innovation_index" in ids and len(ids) == 7


def test_run_runs_and_compare_on_stored_data(tmp_path):
    from greenport.assessments import service
    from greenport.bootstrap import build
    from greenport.config import Settings

    url = f"sqlite:///{tmp_path / 'gp.db'}"
    container = build(Settings(database_url=url), migrate=True)
    system_id = "department_eco_performance"
    with container.uow() as uow:
        for period in ("2021", "2022"):
            service.record_values(
                uow,
                system_id=system_id,
                period=period,
                values=_clean(system_id, demo_values(system_id, period)),
            )
    container.db.dispose()
    for period in ("2021", "2022"):
        result = runner.invoke(
            app, ["evaluate", "run", system_id, "--period", period, "--database", url, "--json"]
        )
        assert result.exit_code == 0, result.output
        assert len(json.loads(result.output)["table"]) == 27
    result = runner.invoke(app, ["evaluate", "runs", system_id, "--database", url, "--json"])
    runs = json.loads(result.output)
    assert [r["period"] for r in runs] == ["2022", "2021"]
    assert datetime.fromisoformat(runs[0]["created_at"]).utcoffset() is not None  # ISO with offset
    human = runner.invoke(app, ["evaluate", "runs", system_id, "--database", url]).output
    # a person reads Beijing time, YYYY-MM-DD HH:MM (issue 14)
    assert human.splitlines()[0].endswith(f"units  {format_local(runs[0]['created_at'])}"), human
    result = runner.invoke(
        app, ["evaluate", "compare", system_id, "2021", "2022", "--database", url, "--json"]
    )
    assert result.exit_code == 0, result.output
    comparison = json.loads(result.output)
    assert comparison["same_version"] and len(comparison["units"]) == 27
    result = runner.invoke(
        app, ["evaluate", "compare", system_id, "2019", "2022", "--database", url, "--json"]
    )
    assert result.exit_code == 2 and "no evaluation run" in json.loads(result.output)["error"]


def test_filled_excel_template_with_a_bad_cell(tmp_path):
    """The 填报模板 filled in Excel: a bad cell is reported with the sheet's row and column."""
    from openpyxl import load_workbook as open_book

    system_id = "department_eco_performance"
    out = tmp_path / "template.xlsx"
    assert runner.invoke(app, ["evaluate", "template", system_id, str(out)]).exit_code == 0
    workbook = open_book(out)
    sheet = workbook["数据"]
    keys = [str(c.value).split(" (")[0] for c in sheet[1]]
    rows = _clean(system_id, demo_values(system_id, "2022"))
    for r, (unit, values) in enumerate(rows.items(), start=2):
        for c, key in enumerate(keys, start=1):
            value = unit if key == "unit" else ("2022" if key == "period" else values.get(key))
            sheet.cell(row=r, column=c, value=value)
    sheet.cell(row=9, column=keys.index("green_procurement") + 1, value="八十")
    workbook.save(out)
    result = runner.invoke(app, ["evaluate", system_id, str(out), "--period", "2022", "--json"])
    assert result.exit_code == 2, result.output
    error = json.loads(result.output)["errors"][0]
    assert (error["row"], error["column"], error["value"]) == (9, "green_procurement", "八十")
    sheet.cell(row=9, column=keys.index("green_procurement") + 1, value=80)
    workbook.save(out)
    result = runner.invoke(app, ["evaluate", system_id, str(out), "--period", "2022", "--json"])
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.output)["table"]) == 27


HANDBOOK = Path(__file__).resolve().parents[1] / "data" / "evaluation"


def test_evaluate_prints_and_exports_the_audit(tmp_path):
    system, data = str(HANDBOOK / "provinces_handbook.yaml"), str(HANDBOOK / "provinces_handbook.csv")
    out = tmp_path / "run.xlsx"
    printed = runner.invoke(app, ["evaluate", system, data, "--xlsx", str(out)])
    assert printed.exit_code == 0, printed.output
    assert "审计 Audit" in printed.output and "Cronbach" in printed.output
    assert "screened out" in printed.output and "P41 (33% present)" in printed.output
    workbook = load_workbook(out)
    assert {"审计 Audit", "筛除 screened", "处理 treatment"} <= set(workbook.sheetnames)
    audit = [[c.value for c in row] for row in workbook["审计 Audit"].iter_rows()]
    assert audit[0][:4] == ["kind", "id", "parent", "pearson_parent"]
    assert ["indicator", "pm25", "air"] in [r[:3] for r in audit]
    assert any(r[0] == "consistency" and r[1] == "innovation" and r[9] is not None for r in audit)
    moved = [[c.value for c in row] for row in workbook["处理 treatment"].iter_rows()]
    assert ["high_tech_firms", "winsorise", "P04", 900, 58] in [r[:5] for r in moved]
    as_json = runner.invoke(app, ["evaluate", system, data, "--json"])
    payload = json.loads(as_json.output)
    assert {a["id"] for a in payload["audit"]["aggregates"]} >= {"root", "economy", "innovation"}
    assert [r["unit"] for r in payload["screened"]] == ["P41", "P42"]


def test_template_of_a_ratio_system_asks_for_the_raw_variables(tmp_path):
    out = tmp_path / "t.xlsx"
    result = runner.invoke(app, ["evaluate", "template", str(HANDBOOK / "provinces_handbook.yaml"), str(out)])
    assert result.exit_code == 0, result.output
    header = read_table(out).headers
    assert {"tax_total", "land_mu", "gdp", "population", "high_tech_firms"} <= set(header)
    assert "tax_per_mu" not in header and header.count("gdp") == 1
