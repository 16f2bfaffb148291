from __future__ import annotations

import csv
import zipfile
from pathlib import Path

import pytest

from greenport.config import Settings
from greenport.kernel.errors import InvalidInput
from greenport.tabular import (
    XLSX_MAX_EXPANSION,
    ImportLimits,
    Sheet,
    TemplateColumn,
    read_table,
    write_csv,
    write_template,
    write_xlsx,
)
from tests.tabular_files import SHEET_XML, corrupt_sheet, xlsx_bomb, xlsx_declaring


def test_csv_rows_keep_the_row_number_a_user_sees(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("name,land_area_mu (亩)\nA,1\n\n,\nB,2\n", encoding="utf-8-sig")
    table = read_table(path)
    assert table.headers == ["name", "land_area_mu"]
    assert list(table.numbered()) == [
        (2, {"name": "A", "land_area_mu": "1"}),
        (5, {"name": "B", "land_area_mu": "2"}),
    ]


def test_gb18030_csv_is_read(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes("名称\n港城钢铁\n".encode("gb18030"))
    assert read_table(path).rows == [{"名称": "港城钢铁"}]


def test_xlsx_round_trip_and_template_headers(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    write_xlsx(path, [Sheet("data", ["a", "b"], [[1, "x"], [None, None], [2, "y"]])])
    table = read_table(path)
    assert table.rows == [{"a": 1, "b": "x"}, {"a": 2, "b": "y"}] and table.row_numbers == [2, 4]
    template = tmp_path / "template.xlsx"
    write_template(template, [TemplateColumn("land_area_mu", "用地面积", "亩", example=12.5)], title="t")
    assert read_table(template).headers == ["用地面积"]  # Chinese by default, the unit taken off
    write_template(
        template, [TemplateColumn("land_area_mu", "用地面积", "亩", example=12.5)], title="t", lang="en"
    )
    assert read_table(template).headers == ["land_area_mu"]


def test_unsupported_and_broken_files_name_the_problem(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="unsupported file type"):
        read_table(tmp_path / "x.pdf", data=b"%PDF")
    with pytest.raises(InvalidInput, match=r"not a readable \.xlsx"):
        read_table(tmp_path / "x.xlsx", data=b"garbage")
    too_long = tmp_path / "long.csv"
    too_long.write_text("a,b\n1,2,3\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as info:
        read_table(too_long)
    assert info.value.row == 2


# --- every row read, or the file refused (issue 12, items 2, 3, 6) ------------------------------


def test_xlsx_rows_past_a_wrong_dimension_are_read(tmp_path: Path) -> None:
    headers = [f"c{i}" for i in range(10)]
    rows = [[f"r{n}c{i}" for i in range(10)] for n in range(10)]
    path = xlsx_declaring(tmp_path / "short.xlsx", headers, rows, "A1:J3")
    table = read_table(path)
    assert len(table.rows) == 10 and table.row_numbers == list(range(2, 12))
    assert table.rows[9]["c9"] == "r9c9"


def test_xlsx_values_in_columns_the_dimension_leaves_out_are_not_dropped(tmp_path: Path) -> None:
    path = xlsx_declaring(tmp_path / "narrow.xlsx", ["a", "b", "c"], [[1, 2, 3], [4, 5, 6]], "A1:A2")
    assert read_table(path).rows == [{"a": 1, "b": 2, "c": 3}, {"a": 4, "b": 5, "c": 6}]


def test_a_value_under_no_header_is_refused_not_dropped(tmp_path: Path) -> None:
    path = tmp_path / "extra.xlsx"
    write_xlsx(path, [Sheet("data", ["a"], [[1], [2, "stray"]])])
    with pytest.raises(InvalidInput, match="row 3 has 2 cells but the header has 1") as info:
        read_table(path)
    assert info.value.row == 3


def test_a_file_above_the_size_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    path.write_text("name\n" + "x\n" * 600, encoding="utf-8")
    with pytest.raises(InvalidInput, match="GREENPORT_IMPORT_MAX_BYTES") as info:
        read_table(path, limits=ImportLimits(max_bytes=1000))
    assert info.value.details["limit"] == "GREENPORT_IMPORT_MAX_BYTES"
    assert len(read_table(path, limits=ImportLimits(max_bytes=2000)).rows) == 600


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_more_rows_than_the_limit_are_refused(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"rows{suffix}"
    if suffix == ".csv":
        path.write_text("name\n" + "x\n" * 6, encoding="utf-8")
    else:
        write_xlsx(path, [Sheet("data", ["name"], [["x"]] * 6)])
    assert len(read_table(path, limits=ImportLimits(max_rows=6)).rows) == 6
    with pytest.raises(InvalidInput, match=r"more than 5 data rows \(GREENPORT_IMPORT_MAX_ROWS\)") as info:
        read_table(path, limits=ImportLimits(max_rows=5))
    assert info.value.row == 7


def test_a_zip_bomb_is_refused_at_the_row_limit_while_streaming(tmp_path: Path) -> None:
    path = xlsx_bomb(tmp_path / "bomb.xlsx", rows=300_000)
    assert path.stat().st_size < 3_000_000  # a few MB on disk, 300,000 rows inside
    with pytest.raises(InvalidInput, match="more than 1,000 data rows") as info:
        read_table(path, limits=ImportLimits(max_rows=1000))
    assert info.value.row == 1002  # reading stopped at the first row past the limit


def test_an_xlsx_that_unzips_far_beyond_the_size_limit_is_refused_unopened(tmp_path: Path) -> None:
    path = xlsx_bomb(tmp_path / "bomb.xlsx", rows=20_000)
    unpacked = sum(i.file_size for i in zipfile.ZipFile(path).infolist())
    limits = ImportLimits(max_bytes=unpacked // (XLSX_MAX_EXPANSION + 1))
    assert path.stat().st_size <= limits.max_bytes  # the upload itself is within the limit
    with pytest.raises(InvalidInput, match=r"unzips to .* MiB; at most"):
        read_table(path, limits=limits)


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_a_cell_above_the_length_limit_is_refused_and_not_echoed(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"cell{suffix}"
    long_name = "长" * 2001
    if suffix == ".csv":
        path.write_text(f"code,name\nA,{long_name}\n", encoding="utf-8")
    else:
        write_xlsx(path, [Sheet("data", ["code", "name"], [["A", long_name]])])
    with pytest.raises(InvalidInput, match="GREENPORT_IMPORT_MAX_CELL_CHARS") as info:
        read_table(path, limits=ImportLimits(max_cell_chars=2000))
    assert (info.value.row, info.value.column) == (2, "name")
    assert "2,001 characters" in info.value.message and long_name not in info.value.message


def test_a_corrupt_sheet_is_a_clear_error_naming_file_and_sheet(tmp_path: Path) -> None:
    path = corrupt_sheet(tmp_path / "broken.xlsx")
    with pytest.raises(InvalidInput, match=r"broken\.xlsx, sheet 'data' cannot be read"):
        read_table(path)


def test_a_missing_sheet_names_the_sheets_there_are(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    write_xlsx(path, [Sheet("data", ["a"], [[1]])])
    with pytest.raises(InvalidInput, match="has no sheet 'other'; its sheets: data"):
        read_table(path, sheet="other")


def test_the_default_limits_are_the_settings_defaults() -> None:
    assert ImportLimits.from_settings(Settings(_env_file=None)) == ImportLimits()  # type: ignore[call-arg]


# --- formula injection (issue 12, item 10) ------------------------------------------------------

HOSTILE = ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1:A2)", "\t=1+1", "\r=1+1"]


def test_formula_like_text_is_written_to_xlsx_as_text_and_numbers_stay_numbers(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    path = tmp_path / "export.xlsx"
    write_xlsx(path, [Sheet("firms", ["name", "value"], [[text, -3.2] for text in HOSTILE] + [["-3.2", 5]])])
    with zipfile.ZipFile(path) as archive:
        assert b"<f>" not in archive.read(SHEET_XML)  # no formula anywhere in the sheet
    sheet = load_workbook(path).active
    assert sheet is not None
    for number, text in enumerate(HOSTILE, start=2):
        cell = sheet.cell(row=number, column=1)
        assert (cell.value, cell.data_type, cell.quotePrefix) == (text, "s", True)
        assert sheet.cell(row=number, column=2).value == -3.2
        assert sheet.cell(row=number, column=2).data_type == "n"
    plain = sheet.cell(row=len(HOSTILE) + 2, column=1)
    assert (plain.value, plain.quotePrefix) == ("-3.2", False)  # a plain number as text is left alone


def test_formula_like_text_is_quoted_in_csv_and_numbers_are_not(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    write_csv(path, ["name", "value"], [[text, -3.2] for text in HOSTILE] + [["-3.2", -1e-3]])
    with open(path, newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    assert rows[1:-1] == [["'" + text, "-3.2"] for text in HOSTILE]
    assert rows[-1] == ["-3.2", "-0.001"]


def test_template_cells_go_through_the_same_rule(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    path = tmp_path / "template.xlsx"
    write_template(path, [TemplateColumn("name", "名称", example="=1+1")], title="=title")
    workbook = load_workbook(path)
    assert workbook["数据"]["A2"].data_type == "s" and workbook["数据"]["A2"].value == "=1+1"
    assert workbook["填写说明"]["A1"].data_type == "s"
