"""Import templates and exports in Chinese; Chinese names of coded values accepted on import."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from greenport.cli.main import app
from greenport.standards.ids import make_credit_code

runner = CliRunner()

DIVISIONS = "区划代码,名称,级别,上级区划代码\n320582000000,港城市,市,\n320582100000,沙洲镇,镇,320582000000\n"


def _database(tmp_path: Path) -> str:
    database = f"sqlite:///{tmp_path / 'zh.db'}"
    (tmp_path / "divisions.csv").write_text(DIVISIONS, encoding="utf-8")
    result = runner.invoke(
        app, ["import", "divisions", str(tmp_path / "divisions.csv"), "--database", database]
    )
    assert result.exit_code == 0, result.output
    return database


def test_a_chinese_template_filled_in_imports_back(tmp_path: Path) -> None:
    database = _database(tmp_path)
    template = tmp_path / "企业名录.xlsx"
    assert runner.invoke(app, ["export", "template", "enterprises", str(template)]).exit_code == 0
    workbook = load_workbook(template)
    data, guide = workbook.worksheets
    headers = [cell.value for cell in data[1]]
    assert headers[:3] == ["统一社会信用代码", "企业名称", "行业代码"] and "用地面积 (亩)" in headers
    guide_text = " ".join(str(c.value) for row in guide.iter_rows() for c in row if c.value)
    # the guide speaks to the person filling in the file, in Chinese, with the accepted values
    assert "每行填写一条记录" in guide_text and "可填：大型、中型、小型、微型" in guide_text
    assert "greenport." not in guide_text and "emission-limit" not in guide_text
    values = {
        "统一社会信用代码": make_credit_code("320582", sequence=7),
        "企业名称": "沙洲钢铁",
        "行业代码": "3120",
        "所在镇(街道)代码": "320582100000",
        "用地面积 (亩)": 120,
        "经度 (°E)": 120.6,
        "纬度 (°N)": 31.9,
        "企业规模": "大型",
        "是否规模以上": "规上",
    }
    for index, header in enumerate(headers, start=1):
        if header in values:
            data.cell(row=2, column=index, value=values[header])
    workbook.save(template)
    result = runner.invoke(app, ["import", "enterprises", str(template), "--database", database, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["written"] == 1
    listed = json.loads(
        runner.invoke(app, ["registry", "list", "enterprises", "--database", database, "--json"]).stdout
    )
    firm = listed["data"][0]
    assert (firm["size_class"], firm["above_scale"]) == ("large", True)


def test_chinese_names_of_coded_values_import(tmp_path: Path) -> None:
    database = _database(tmp_path)
    (tmp_path / "parks.csv").write_text(
        "园区编码,园区名称,园区类型,所在镇(街道)代码\nP1,沙洲化工园,化工园区,320582100000\n", encoding="utf-8"
    )
    result = runner.invoke(app, ["import", "parks", str(tmp_path / "parks.csv"), "--database", database])
    assert result.exit_code == 0, result.output
    (tmp_path / "sites.csv").write_text(
        "站点编码,站点名称,站点类型,级别,所在镇(街道)代码,经度,纬度,水体类型,水质目标类别\n"
        "A1,沙洲空气站,空气站,国控,320582100000,120.5,31.9,,\n"
        "W1,沙洲断面,水质断面,省控,320582100000,120.5,31.9,河流,3\n",
        encoding="utf-8",
    )
    result = runner.invoke(
        app, ["import", "sites", str(tmp_path / "sites.csv"), "--database", database, "--json"]
    )
    assert result.exit_code == 0, result.output
    sites = json.loads(
        runner.invoke(app, ["registry", "list", "sites", "--database", database, "--json"]).stdout
    )
    kinds = {s["code"]: (s["kind"], s["level"], s["waterbody"]) for s in sites["data"]}
    assert kinds == {"A1": ("air_station", "national", None), "W1": ("water_section", "provincial", "river")}


def test_an_unknown_name_is_a_row_and_column_error_listing_the_accepted_names(tmp_path: Path) -> None:
    database = _database(tmp_path)
    (tmp_path / "sites.csv").write_text(
        "站点编码,站点名称,站点类型,所在镇(街道)代码,经度,纬度\nA1,沙洲空气站,空气监测车,320582100000,120.5,31.9\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["import", "sites", str(tmp_path / "sites.csv"), "--database", database])
    assert result.exit_code == 2
    assert (
        "row 2, column '站点类型': must be one of: 空气站 (air_station), 水质断面 (water_section), "
        in result.output
    )
    assert "废气排口 (gas_outlet), 废水排口 (water_outlet)" in result.output


def test_english_template_and_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GREENPORT_TABLE_LANGUAGE", "en")
    out = tmp_path / "parks.xlsx"
    assert runner.invoke(app, ["export", "template", "parks", str(out)]).exit_code == 0
    workbook = load_workbook(out)
    assert [c.value for c in workbook.worksheets[0][1]][:3] == ["code", "name", "kind"]
    guide_text = " ".join(str(c.value) for row in workbook.worksheets[1].iter_rows() for c in row if c.value)
    assert "Chemical industry park (chemical_park)" in guide_text and "可填" not in guide_text
    assert runner.invoke(app, ["export", "template", "parks", str(out), "--lang", "fr"]).exit_code == 2


FIRM = make_credit_code("320582", sequence=11)
SITES = (
    "站点编码,站点名称,站点类型,级别,所在镇(街道)代码,经度,纬度,排污单位信用代码,水体类型,水质目标类别,"
    "执行排放标准,工序/排放源,排放级别\n"
    "W1,沙洲断面,水质断面,省控,320582100000,120.5,31.9,,河流,Ⅲ类,,,\n"
    "W2,一干河断面,水质断面,镇级,320582100000,120.5,31.9,,河流,IV,,,\n"
    "W3,二干河断面,水质断面,镇级,320582100000,120.5,31.9,,湖库,2,,,\n"
    f"O1,沙洲印染1#总排口,废水排口,,320582100000,120.6,31.9,{FIRM},,,GB 8978-1996,其他排污单位,一级\n"
    f"O2,沙洲印染2#烧结机头,废气排口,,320582100000,120.6,31.9,{FIRM},,,钢铁行业超低排放,烧结机机头,\n"
)


def _with_firm(tmp_path: Path) -> str:
    database = _database(tmp_path)
    (tmp_path / "firms.csv").write_text(
        "统一社会信用代码,企业名称,行业代码,所在镇(街道)代码,用地面积,经度,纬度,企业规模\n"
        f"{FIRM},沙洲印染,1713,320582100000,80,120.6,31.9,中型\n",
        encoding="utf-8",
    )
    result = runner.invoke(
        app, ["import", "enterprises", str(tmp_path / "firms.csv"), "--database", database]
    )
    assert result.exit_code == 0, result.output
    return database


def _sites(database: str) -> dict[str, tuple[object, ...]]:
    listed = json.loads(
        runner.invoke(app, ["registry", "list", "sites", "--database", database, "--json"]).stdout
    )
    columns = ("name", "kind", "level", "waterbody", "target_class", "emission_standard", "process")
    return {s["code"]: (*(s[c] for c in columns), s["emission_grade"]) for s in listed["data"]}


def test_water_classes_and_emission_standards_import_by_name(tmp_path: Path) -> None:
    """Ⅲ类 / IV / 2 and GB 8978-1996 / 钢铁行业超低排放 / 烧结机机头 / 一级, as people write them."""
    database = _with_firm(tmp_path)
    (tmp_path / "sites.csv").write_text(SITES, encoding="utf-8")
    result = runner.invoke(app, ["import", "sites", str(tmp_path / "sites.csv"), "--database", database])
    assert result.exit_code == 0, result.output
    sites = _sites(database)
    assert {code: row[4] for code, row in sites.items() if code.startswith("W")} == {
        "W1": 3,
        "W2": 4,
        "W3": 2,
    }
    assert sites["O1"][5:] == ("gb8978_1996", "other", "1")
    assert sites["O2"][5:] == ("steel_ultra_low", "sintering_head", None)


def test_a_worse_than_v_target_and_an_unknown_standard_are_cell_errors_naming_the_accepted_values(
    tmp_path: Path,
) -> None:
    database = _with_firm(tmp_path)
    bad = SITES.replace(",河流,Ⅲ类,", ",河流,劣Ⅴ类,").replace("GB 8978-1996", "GB 9999-2000")
    (tmp_path / "sites.csv").write_text(bad, encoding="utf-8")
    result = runner.invoke(app, ["import", "sites", str(tmp_path / "sites.csv"), "--database", database])
    assert result.exit_code == 2
    output = " ".join(result.output.split())
    assert (
        "row 2, column '水质目标类别': must be one of: Ⅰ类 (1), Ⅱ类 (2), Ⅲ类 (3), Ⅳ类 (4), Ⅴ类 (5)" in output
    )
    assert (
        "row 5, column '执行排放标准': must be one of: 污水综合排放标准（GB 8978-1996） (gb8978_1996)"
        in output
    )
    assert _sites(database) == {}, "nothing half-written"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_sites_exported_by_name_import_back_as_the_same_rows(tmp_path: Path, lang: str) -> None:
    database = _with_firm(tmp_path)
    (tmp_path / "sites.csv").write_text(SITES, encoding="utf-8")
    assert (
        runner.invoke(app, ["import", "sites", str(tmp_path / "sites.csv"), "--database", database]).exit_code
        == 0
    )
    exported = tmp_path / "sites.xlsx"
    result = runner.invoke(app, ["export", "sites", str(exported), "--lang", lang, "--database", database])
    assert result.exit_code == 0, result.output
    cells = {
        str(c.value) for row in load_workbook(exported).worksheets[0].iter_rows() for c in row if c.value
    }
    names = {
        "zh": {"Ⅲ类", "污水综合排放标准（GB 8978-1996）", "其他排污单位", "一级标准", "烧结机机头", "省控"},
        "en": {
            "Class III",
            "Integrated wastewater discharge standard (GB 8978-1996)",
            "Sintering machine head",
        },
    }
    assert names[lang] <= cells
    assert not cells & {"gb8978_1996", "sintering_head", "steel_ultra_low", "3"}, "names, not codes"

    (tmp_path / "again").mkdir()
    again = _with_firm(tmp_path / "again")
    result = runner.invoke(app, ["import", "sites", str(exported), "--database", again])
    assert result.exit_code == 0, result.output
    assert _sites(again) == _sites(database)
