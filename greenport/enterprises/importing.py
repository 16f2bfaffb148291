"""Validation of whole enterprise and site files (pure): every row, every column.

:func:`validate_enterprise_rows` and :func:`validate_site_rows` take the file's rows with the
row numbers the user sees (header = row 1) and a :class:`RegistrySnapshot` of what is stored,
and return the valid records plus a :class:`~greenport.kernel.errors.RowError` for every
problem. Duplicates within the file and against the database are errors. Nothing here writes;
the service writes only when the whole file is valid (or, when asked, the valid rows).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from greenport.enterprises.model import Enterprise, EnterpriseYear, Site
from greenport.enterprises.validation import YEAR_FIGURES, parse_enterprise, parse_site
from greenport.kernel.errors import RowError
from greenport.kernel.fields import (
    ColumnSpec,
    Fields,
    Problem,
    as_written,
    check_header,
    header_keys,
    keyed_rows,
)

_Record = TypeVar("_Record")

#: Columns of the enterprise file (template, import and export), in order.
ENTERPRISE_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec(
        "credit_code", "统一社会信用代码", "", "18 characters, GB 32100-2015 (check character verified)"
    ),
    ColumnSpec("name", "企业名称", "", "registered name"),
    ColumnSpec("industry_code", "行业代码", "", "GB/T 4754-2017 class code, 4 digits, e.g. 3110 (炼钢)"),
    ColumnSpec("town_code", "所在镇(街道)代码", "", "12-digit division code of a stored town or street"),
    ColumnSpec(
        "park_code", "所在园区代码", "", "code of a stored park in that town; empty if outside parks", False
    ),
    ColumnSpec("land_area_mu", "用地面积", "亩", "land used, >= 0 mu (1 mu = 666.67 m²)"),
    ColumnSpec("lon", "经度", "°E", "longitude, WGS 84, inside China (73.48-135.09)"),
    ColumnSpec("lat", "纬度", "°N", "latitude, WGS 84, inside China (3.85-53.56)"),
    ColumnSpec("size_class", "企业规模", "", "large | medium | small | micro (国统字〔2017〕213号)"),
    ColumnSpec("above_scale", "是否规模以上", "", "1/0, yes/no, 是/否 (default: yes)", False),
)

#: Columns of the monitoring-site file, in order.
SITE_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("code", "站点编码", "", "unique code of the site"),
    ColumnSpec("name", "站点名称", "", "name"),
    ColumnSpec("kind", "站点类型", "", "air_station | water_section | gas_outlet | water_outlet"),
    ColumnSpec(
        "level",
        "级别",
        "",
        "air_station: national/provincial/town; water_section: national/provincial/tributary/town; "
        "outlets: enterprise (may be left empty)",
        False,
    ),
    ColumnSpec("town_code", "所在镇(街道)代码", "", "12-digit division code of a stored town or street"),
    ColumnSpec("lon", "经度", "°E", "longitude, WGS 84, inside China"),
    ColumnSpec("lat", "纬度", "°N", "latitude, WGS 84, inside China"),
    ColumnSpec(
        "enterprise_credit_code",
        "排污单位信用代码",
        "",
        "outlets only: credit code of a stored enterprise",
        False,
    ),
    ColumnSpec("waterbody", "水体类型", "", "water sections only: river | lake", False),
    ColumnSpec("river", "河流(湖库)名称", "", "water sections: the river or lake", False),
    ColumnSpec(
        "target_class", "水质目标类别", "", "water sections only: GB 3838-2002 class 1-5 (I-V)", False
    ),
    ColumnSpec(
        "emission_standard",
        "执行排放标准",
        "",
        "outlets only: standard key of the emission-limit table, e.g. steel_ultra_low, gb8978_1996",
        False,
    ),
    ColumnSpec(
        "process",
        "工序/排放源",
        "",
        "outlets: the standard's process, e.g. sintering_head, coke_oven_chimney, other (GB 8978)",
        False,
    ),
    ColumnSpec(
        "emission_grade", "排放级别", "", "outlets under a graded standard: GB 8978-1996 grade 1/2/3", False
    ),
)


#: Columns of the enterprise-years file (统计年报 / 亩均效益 data), in order.
YEAR_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("credit_code", "统一社会信用代码", "", "credit code of a stored enterprise"),
    ColumnSpec("year", "年份", "", "calendar year of the figures"),
    ColumnSpec("output_10k_yuan", "工业总产值", "万元", "gross industrial output", False),
    ColumnSpec("revenue_10k_yuan", "营业收入", "万元", "operating revenue", False),
    ColumnSpec("tax_10k_yuan", "税收实际贡献", "万元", "taxes actually paid", False),
    ColumnSpec("value_added_10k_yuan", "工业增加值", "万元", "industrial value added", False),
    ColumnSpec("rd_expense_10k_yuan", "研发经费支出", "万元", "R&D expenditure", False),
    ColumnSpec(
        "energy_tce", "综合能源消费量", "吨标准煤", "total energy consumption (GB/T 2589-2020)", False
    ),
    ColumnSpec("employees", "年平均职工人数", "人", "average number of employees", False),
    ColumnSpec("cod_t", "化学需氧量排放量", "t", "COD discharged", False),
    ColumnSpec("nh3_n_t", "氨氮排放量", "t", "NH3-N discharged", False),
    ColumnSpec("so2_t", "二氧化硫排放量", "t", "SO2 emitted", False),
    ColumnSpec("nox_t", "氮氧化物排放量", "t", "NOx emitted", False),
)


@dataclass
class RegistrySnapshot:
    """What is stored, as plain dicts, plus what earlier valid rows of the file add.

    Implements :class:`~greenport.enterprises.ports.RegistryLookups` so the row rules can run
    against "the database as it would be after the rows above".
    """

    division_levels: dict[str, str] = field(default_factory=dict)
    park_towns: dict[str, str] = field(default_factory=dict)
    enterprise_ids: dict[str, int] = field(default_factory=dict)
    enterprise_towns: dict[int, str] = field(default_factory=dict)
    site_codes: set[str] = field(default_factory=set)

    def division_level(self, code: str) -> str | None:
        return self.division_levels.get(code)

    def park_town(self, park_code: str) -> str | None:
        return self.park_towns.get(park_code)

    def enterprise_id(self, credit_code: str) -> int | None:
        return self.enterprise_ids.get(credit_code)

    def enterprise_town(self, enterprise_id: int) -> str | None:
        return self.enterprise_towns.get(enterprise_id)

    def site_exists(self, code: str) -> bool:
        return code in self.site_codes


Rows = Iterable[tuple[int, Mapping[str, Any]]]


def _row_errors(row: int, problems: list[Problem]) -> list[RowError]:
    return [p.to_row_error(row) for p in problems]


def _key(raw: Mapping[str, Any], name: str) -> str | None:
    value = raw.get(name)
    if value is None:
        return None
    text = str(value).strip().upper() if name == "credit_code" else str(value).strip()
    return text or None


def _validate_unique_rows(
    rows: Rows,
    snapshot: RegistrySnapshot,
    headers: Iterable[str] | None,
    columns: Any,
    parse: Callable[[Mapping[str, Any], RegistrySnapshot], tuple[_Record | None, list[Problem]]],
    key_field: str,
) -> tuple[list[tuple[int, _Record]], list[RowError]]:
    """Check every row with ``parse``; a ``key_field`` value twice in the file is an error on the
    later row ("duplicate of row N"). Returns ``[(row, record)]`` of valid rows and all errors."""
    keys = header_keys(headers, columns) if headers is not None else {}
    if headers is not None:
        header_errors = check_header(headers, columns)
        if header_errors:
            return [], header_errors
    rows = keyed_rows(rows, columns)
    valid: list[tuple[int, _Record]] = []
    errors: list[RowError] = []
    first_row: dict[str, int] = {}
    for number, raw in rows:
        record, problems = parse(raw, snapshot)
        key = _key(raw, key_field)
        if key is not None:
            if key in first_row:
                problems = [p for p in problems if p.field != key_field]
                problems.insert(0, Problem(key_field, f"duplicate of row {first_row[key]}", key))
                record = None
            else:
                first_row[key] = number
        if problems:
            errors.extend(_row_errors(number, problems))
        elif record is not None:
            valid.append((number, record))
    return valid, as_written(errors, keys)


def validate_enterprise_rows(
    rows: Rows, snapshot: RegistrySnapshot, *, headers: Iterable[str] | None = None
) -> tuple[list[tuple[int, Enterprise]], list[RowError]]:
    """Check every enterprise row; return ``[(row, enterprise)]`` of valid rows and all errors.

    A credit code twice in the file is an error on the later row ("duplicate of row N").
    """
    return _validate_unique_rows(rows, snapshot, headers, ENTERPRISE_COLUMNS, parse_enterprise, "credit_code")


def validate_site_rows(
    rows: Rows, snapshot: RegistrySnapshot, *, headers: Iterable[str] | None = None
) -> tuple[list[tuple[int, Site]], list[RowError]]:
    """Check every site row; return ``[(row, site)]`` of valid rows and all errors (a code twice
    in the file is an error on the later row)."""
    return _validate_unique_rows(rows, snapshot, headers, SITE_COLUMNS, parse_site, "code")


def validate_year_rows(
    rows: Rows,
    snapshot: RegistrySnapshot,
    stored: set[tuple[int, int]],
    *,
    headers: Iterable[str] | None = None,
) -> tuple[list[tuple[int, EnterpriseYear]], list[RowError]]:
    """Check every enterprise-year row: the enterprise exists (by credit code), the year is a
    whole number 1949-2100, each figure a number >= 0 (employees a whole number). An (enterprise,
    year) pair twice in the file or already stored (``stored``: ``{(enterprise id, year)}``) is an
    error."""
    keys = header_keys(headers, YEAR_COLUMNS) if headers is not None else {}
    if headers is not None:
        header_errors = check_header(headers, YEAR_COLUMNS)
        if header_errors:
            return [], header_errors
    rows = keyed_rows(rows, YEAR_COLUMNS)
    valid: list[tuple[int, EnterpriseYear]] = []
    errors: list[RowError] = []
    first_row: dict[tuple[int, int], int] = {}
    for number, raw in rows:
        fields = Fields(raw)
        credit_code = fields.text("credit_code", max_length=18)
        enterprise_id = snapshot.enterprise_id(credit_code.upper()) if credit_code else None
        if credit_code is not None and enterprise_id is None:
            fields.add("credit_code", f"no enterprise with credit code {credit_code}", credit_code)
        year = fields.integer("year", minimum=1949, maximum=2100)
        values: dict[str, Any] = {
            name: fields.number(name, required=False, minimum=0, unit=unit)
            for name, unit in YEAR_FIGURES.items()
        }
        values["employees"] = fields.integer("employees", required=False, minimum=0)
        if enterprise_id is not None and year is not None:
            key = (enterprise_id, year)
            if key in first_row:
                fields.add(
                    "year", f"figures of {credit_code} for {year}: duplicate of row {first_row[key]}", year
                )
            elif key in stored:
                fields.add("year", f"figures of {credit_code} for {year} exist", year, conflict=True)
            else:
                first_row[key] = number
        if fields.problems:
            errors.extend(_row_errors(number, fields.problems))
            continue
        assert enterprise_id is not None and year is not None
        valid.append((number, EnterpriseYear(enterprise_id=enterprise_id, year=year, **values)))
    return valid, as_written(errors, keys)


def year_record(figures: EnterpriseYear, credit_codes: Mapping[int, str]) -> dict[str, Any]:
    """Enterprise-year figures as a row of :data:`YEAR_COLUMNS`."""
    record: dict[str, Any] = {
        "credit_code": credit_codes.get(figures.enterprise_id, ""),
        "year": figures.year,
    }
    for column in YEAR_COLUMNS[2:]:
        value = getattr(figures, column.key)
        record[column.key] = "" if value is None else value
    return record


def enterprise_record(enterprise: Enterprise) -> dict[str, Any]:
    """An enterprise as a row of :data:`ENTERPRISE_COLUMNS` (for export)."""
    return {
        "credit_code": enterprise.credit_code,
        "name": enterprise.name,
        "industry_code": enterprise.industry_code,
        "town_code": enterprise.town_code,
        "park_code": enterprise.park_code or "",
        "land_area_mu": enterprise.land_area_mu,
        "lon": enterprise.lon,
        "lat": enterprise.lat,
        "size_class": enterprise.size_class.value,
        "above_scale": 1 if enterprise.above_scale else 0,
    }


def site_record(site: Site, credit_codes: Mapping[int, str]) -> dict[str, Any]:
    """A site as a row of :data:`SITE_COLUMNS` (``credit_codes``: enterprise id -> credit code)."""
    return {
        "code": site.code,
        "name": site.name,
        "kind": site.kind.value,
        "level": site.level.value,
        "town_code": site.town_code,
        "lon": site.lon,
        "lat": site.lat,
        "enterprise_credit_code": credit_codes.get(site.enterprise_id, "") if site.enterprise_id else "",
        "waterbody": site.waterbody.value if site.waterbody else "",
        "river": site.river or "",
        "target_class": site.target_class if site.target_class is not None else "",
        "emission_standard": site.emission_standard or "",
        "process": site.process or "",
        "emission_grade": site.emission_grade or "",
    }
