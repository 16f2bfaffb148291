"""Validation of whole division (and park) files (pure): every row, every column.

Rows may refer to rows of the same file: a village whose town is defined in the file is
accepted wherever the town's row is (rows are checked parents first: city, then towns, then
villages, and errors are reported in file order). A row whose parent row is invalid is invalid
too. Duplicates within the file and against the database are errors.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from greenport.kernel.errors import RowError
from greenport.kernel.fields import ColumnSpec, Problem, as_written, check_header, header_keys, keyed_rows
from greenport.regions.model import Division, Park
from greenport.regions.validation import parse_division, parse_park

#: Columns of the division file (template, import and export), in order.
DIVISION_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec(
        "code",
        "区划代码",
        "",
        "12-digit statistical division code (GB/T 2260 county + 3 town + 3 village)",
        help_zh="12 位统计用区划代码（前 6 位为县级市代码，后接 3 位镇、3 位村）",
    ),
    ColumnSpec(
        "name",
        "名称",
        "",
        "name of the city, town, street, village or community",
        help_zh="市、镇、街道、村或社区的名称",
    ),
    ColumnSpec(
        "level",
        "级别",
        "",
        "city | town | street | village | community; may be empty (follows from the code: town part "
        "001-099 street, 100-599 town; village part 001-199/400-599 community, 200-399/600-799 village)",
        False,
        help_zh="区划级别；可留空，由代码推出",
        choices="division_level",
    ),
    ColumnSpec(
        "parent_code",
        "上级区划代码",
        "",
        "code one level up (empty for the city; may be empty: derived)",
        False,
        help_zh="上一级区划的代码；市留空；可留空，由代码推出",
    ),
    ColumnSpec("area_km2", "面积", "km²", "area, >= 0", False, help_zh="面积，平方千米，不小于 0"),
    ColumnSpec(
        "population", "人口", "人", "resident population, >= 0", False, help_zh="常住人口，人，不小于 0"
    ),
    ColumnSpec(
        "boundary_geojson",
        "边界",
        "GeoJSON",
        "GeoJSON Polygon/MultiPolygon geometry, [lon, lat] in degrees",
        False,
        help_zh="边界，GeoJSON 格式的 Polygon 或 MultiPolygon（经度在前，纬度在后）；可留空",
    ),
)

#: Columns of the park file, in order.
PARK_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("code", "园区编码", "", "unique code of the park", help_zh="园区的唯一编码"),
    ColumnSpec("name", "园区名称", "", "name", help_zh="园区名称"),
    ColumnSpec(
        "kind",
        "园区类型",
        "",
        "national_development_zone | bonded_zone | provincial_high_tech_zone | "
        "provincial_metallurgy_park | chemical_park",
        help_zh="园区类型",
        choices="park_kind",
    ),
    ColumnSpec(
        "town_code",
        "所在镇(街道)代码",
        "",
        "12-digit code of the stored town or street it lies in",
        help_zh="园区所在镇或街道的 12 位统计用区划代码（须已导入）",
    ),
    ColumnSpec(
        "boundary_geojson",
        "边界",
        "GeoJSON",
        "GeoJSON Polygon/MultiPolygon geometry",
        False,
        help_zh="边界，GeoJSON 格式的 Polygon 或 MultiPolygon；可留空",
    ),
)


@dataclass
class DivisionSnapshot:
    """Stored division levels plus the valid rows checked so far (a ``DivisionLookups``)."""

    levels: dict[str, str] = field(default_factory=dict)

    def division_level(self, code: str) -> str | None:
        return self.levels.get(code)


Rows = Iterable[tuple[int, Mapping[str, Any]]]


def _depth(raw: Mapping[str, Any]) -> int:
    """0 city, 1 town level, 2 village level, 3 unknown (checked last, fails on its own)."""
    code = str(raw.get("code") or "").strip()
    if len(code) != 12 or not code.isdigit():
        return 3
    if code[9:] != "000":
        return 2
    if code[6:9] != "000":
        return 1
    return 0


def validate_division_rows(
    rows: Rows, stored_levels: Mapping[str, str], *, headers: Iterable[str] | None = None
) -> tuple[list[tuple[int, Division]], list[RowError]]:
    """Check every division row against the stored divisions and the file's other rows.

    Returns ``[(row, division)]`` of valid rows, parents before children, and every error in
    file order.
    """
    keys = header_keys(headers, DIVISION_COLUMNS) if headers is not None else {}
    if headers is not None:
        header_errors = check_header(headers, DIVISION_COLUMNS)
        if header_errors:
            return [], header_errors
    rows = keyed_rows(rows, DIVISION_COLUMNS)
    numbered = list(rows)
    snapshot = DivisionSnapshot(dict(stored_levels))
    first_row: dict[str, int] = {}
    duplicates: dict[int, int] = {}
    for number, raw in numbered:
        code = str(raw.get("code") or "").strip()
        if code:
            if code in first_row:
                duplicates[number] = first_row[code]
            else:
                first_row[code] = number
    invalid_codes: dict[str, int] = {}
    valid: list[tuple[int, Division]] = []
    errors: list[RowError] = []
    for number, raw in sorted(numbered, key=lambda item: (_depth(item[1]), item[0])):
        division, problems = parse_division(raw, snapshot)
        if number in duplicates:
            problems = [p for p in problems if p.field != "code"]
            problems.insert(0, Problem("code", f"duplicate of row {duplicates[number]}", raw.get("code")))
        else:
            problems = [_explain_parent(p, invalid_codes) for p in problems]
        if problems:
            errors.extend(p.to_row_error(number) for p in problems)
            code = str(raw.get("code") or "").strip()
            if code and number not in duplicates:
                invalid_codes[code] = number
        elif division is not None:
            snapshot.levels[division.code] = division.level.value
            valid.append((number, division))
    errors.sort(key=lambda e: e.row)
    return valid, as_written(errors, keys)


def _explain_parent(problem: Problem, invalid_codes: Mapping[str, int]) -> Problem:
    if problem.field == "parent_code" and isinstance(problem.value, str) and problem.value in invalid_codes:
        row = invalid_codes[problem.value]
        return Problem(
            "parent_code", f"parent {problem.value} is defined in row {row}, which is invalid", problem.value
        )
    return problem


def validate_park_rows(
    rows: Rows,
    stored_levels: Mapping[str, str],
    stored_codes: Iterable[str],
    *,
    headers: Iterable[str] | None = None,
) -> tuple[list[tuple[int, Park]], list[RowError]]:
    """Check every park row (town must be stored; code unique in the file and the database)."""
    keys = header_keys(headers, PARK_COLUMNS) if headers is not None else {}
    if headers is not None:
        header_errors = check_header(headers, PARK_COLUMNS)
        if header_errors:
            return [], header_errors
    rows = keyed_rows(rows, PARK_COLUMNS)
    snapshot = DivisionSnapshot(dict(stored_levels))
    taken = set(stored_codes)
    first_row: dict[str, int] = {}
    valid: list[tuple[int, Park]] = []
    errors: list[RowError] = []
    for number, raw in rows:
        code = str(raw.get("code") or "").strip()
        park, problems = parse_park(raw, snapshot, code_taken=code in taken)
        if code and code in first_row:
            problems = [p for p in problems if p.field != "code"]
            problems.insert(0, Problem("code", f"duplicate of row {first_row[code]}", code))
        elif code:
            first_row[code] = number
        if problems:
            errors.extend(p.to_row_error(number) for p in problems)
        elif park is not None:
            valid.append((number, park))
    return valid, as_written(errors, keys)


def division_record(division: Division) -> dict[str, Any]:
    """A division as a row of :data:`DIVISION_COLUMNS` (for export)."""
    return {
        "code": division.code,
        "name": division.name,
        "level": division.level.value,
        "parent_code": division.parent_code or "",
        "area_km2": division.area_km2 if division.area_km2 is not None else "",
        "population": division.population if division.population is not None else "",
        "boundary_geojson": division.boundary_geojson or "",
    }


def park_record(park: Park) -> dict[str, Any]:
    return {
        "code": park.code,
        "name": park.name,
        "kind": park.kind.value,
        "town_code": park.town_code,
        "boundary_geojson": park.boundary_geojson or "",
    }
