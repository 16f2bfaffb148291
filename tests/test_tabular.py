from __future__ import annotations

from pathlib import Path

import pytest

from greenport.kernel.errors import InvalidInput
from greenport.tabular import Sheet, TemplateColumn, read_table, write_template, write_xlsx


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
