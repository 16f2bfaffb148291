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
from greenport.enterprises.validation import (
    TARGET_CLASSES,
    YEAR_FIGURES,
    emission_standards,
    parse_enterprise,
    parse_site,
)
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
        "credit_code",
        "统一社会信用代码",
        "",
        "18 characters, GB 32100-2015 (check character verified)",
        help_zh="18 位统一社会信用代码（营业执照上的代码，末位校验码会被核对）",
    ),
    ColumnSpec("name", "企业名称", "", "registered name", help_zh="企业在营业执照上的登记名称"),
    ColumnSpec(
        "industry_code",
        "行业代码",
        "",
        "GB/T 4754-2017 class code, 4 digits, e.g. 3110 (炼钢)",
        help_zh="国民经济行业分类（GB/T 4754-2017）小类代码，4 位数字，如 3110（炼钢）",
    ),
    ColumnSpec(
        "town_code",
        "所在镇(街道)代码",
        "",
        "12-digit division code of a stored town or street",
        help_zh="企业所在镇或街道的 12 位统计用区划代码（须已导入行政区划）",
    ),
    ColumnSpec(
        "park_code",
        "所在园区代码",
        "",
        "code of a stored park in that town; empty if outside parks",
        False,
        help_zh="企业所在园区的编码（须已导入园区，且位于上一列的镇）；不在园区内留空",
    ),
    ColumnSpec(
        "land_area_mu",
        "用地面积",
        "亩",
        "land used, >= 0 mu (1 mu = 666.67 m²)",
        help_zh="企业实际用地面积，单位亩（1 亩 = 666.67 平方米），不小于 0",
    ),
    ColumnSpec(
        "lon",
        "经度",
        "°E",
        "longitude, WGS 84, inside China (73.48-135.09)",
        help_zh="厂址经度（WGS 84，十进制度，中国境内 73.48–135.09）",
    ),
    ColumnSpec(
        "lat",
        "纬度",
        "°N",
        "latitude, WGS 84, inside China (3.85-53.56)",
        help_zh="厂址纬度（WGS 84，十进制度，中国境内 3.85–53.56）",
    ),
    ColumnSpec(
        "size_class",
        "企业规模",
        "",
        "large | medium | small | micro (国统字〔2017〕213号)",
        help_zh="企业规模，按《统计上大中小微型企业划分办法（2017）》",
        choices="size_class",
    ),
    ColumnSpec(
        "above_scale",
        "是否规模以上",
        "",
        "1/0, yes/no, 是/否 (default: yes)",
        False,
        help_zh="是否规模以上工业企业；留空视为规上",
        choices="above_scale",
    ),
)

#: Columns of the monitoring-site file, in order.
SITE_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("code", "站点编码", "", "unique code of the site", help_zh="监测点位的唯一编码"),
    ColumnSpec("name", "站点名称", "", "name", help_zh="点位名称"),
    ColumnSpec(
        "kind",
        "站点类型",
        "",
        "air_station | water_section | gas_outlet | water_outlet",
        help_zh="点位类型",
        choices="site_kind",
    ),
    ColumnSpec(
        "level",
        "级别",
        "",
        "air_station: national/provincial/town; water_section: national/provincial/tributary/town; "
        "outlets: enterprise (may be left empty)",
        False,
        help_zh="点位级别：空气站为国控、省控或镇级；水质断面为国控、省控、支流或镇级；排放口可留空",
        choices="site_level",
    ),
    ColumnSpec(
        "town_code",
        "所在镇(街道)代码",
        "",
        "12-digit division code of a stored town or street",
        help_zh="点位所在镇或街道的 12 位统计用区划代码（须已导入行政区划）",
    ),
    ColumnSpec(
        "lon", "经度", "°E", "longitude, WGS 84, inside China", help_zh="点位经度（WGS 84，十进制度）"
    ),
    ColumnSpec("lat", "纬度", "°N", "latitude, WGS 84, inside China", help_zh="点位纬度（WGS 84，十进制度）"),
    ColumnSpec(
        "enterprise_credit_code",
        "排污单位信用代码",
        "",
        "outlets only: credit code of a stored enterprise",
        False,
        help_zh="仅排放口填写：所属排污单位的统一社会信用代码（须已导入企业名录）",
    ),
    ColumnSpec(
        "waterbody",
        "水体类型",
        "",
        "water sections only: river | lake",
        False,
        help_zh="仅水质断面填写：所在水体类型",
        choices="waterbody",
    ),
    ColumnSpec(
        "river",
        "河流(湖库)名称",
        "",
        "water sections: the river or lake",
        False,
        help_zh="水质断面所在河流或湖库的名称",
    ),
    ColumnSpec(
        "target_class",
        "水质目标类别",
        "",
        "water sections only: GB 3838-2002 target class, Class I-V (I-V or 1-5 accepted)",
        False,
        help_zh="仅水质断面填写：GB 3838-2002 水质目标类别，如 Ⅲ类（也可写 III 类或 3）",
        choices="water_class",
        choice_codes=TARGET_CLASSES,
    ),
    ColumnSpec(
        "emission_standard",
        "执行排放标准",
        "",
        "outlets only: the emission standard, by its name or number, e.g. GB 8978-1996",
        False,
        help_zh="仅排放口填写：执行的排放标准，写名称或标准号均可，如 污水综合排放标准 或 GB 8978-1996",
        choices="emission_standard",
        choice_codes=tuple(sorted(emission_standards())),
    ),
    ColumnSpec(
        "process",
        "工序/排放源",
        "",
        "outlets under a standard with limits per process: the process, e.g. Sintering machine head",
        False,
        help_zh="排放口对应的工序或排放源（标准按工序规定限值时必填），如 烧结机机头",
        choices="process",
        choice_codes=tuple(sorted({p for ps, _ in emission_standards().values() for p in ps} - {"all"})),
    ),
    ColumnSpec(
        "emission_grade",
        "排放级别",
        "",
        "outlets under a graded standard (GB 8978-1996): Grade 1, 2 or 3",
        False,
        help_zh="按级别规定限值的标准（如 GB 8978-1996）填写执行级别：一级、二级或三级",
        choices="emission_grade",
    ),
)


#: Columns of the enterprise-years file (统计年报 / 亩均效益 data), in order.
YEAR_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec(
        "credit_code",
        "统一社会信用代码",
        "",
        "credit code of a stored enterprise",
        help_zh="企业的统一社会信用代码（须已导入企业名录）",
    ),
    ColumnSpec("year", "年份", "", "calendar year of the figures", help_zh="数据所属年份，如 2022"),
    ColumnSpec(
        "output_10k_yuan",
        "工业总产值",
        "万元",
        "gross industrial output",
        False,
        help_zh="全年工业总产值，万元",
    ),
    ColumnSpec(
        "revenue_10k_yuan", "营业收入", "万元", "operating revenue", False, help_zh="全年营业收入，万元"
    ),
    ColumnSpec(
        "tax_10k_yuan",
        "税收实际贡献",
        "万元",
        "taxes actually paid",
        False,
        help_zh="全年实际缴纳的税收，万元",
    ),
    ColumnSpec(
        "value_added_10k_yuan",
        "工业增加值",
        "万元",
        "industrial value added",
        False,
        help_zh="全年工业增加值，万元",
    ),
    ColumnSpec(
        "rd_expense_10k_yuan",
        "研发经费支出",
        "万元",
        "R&D expenditure",
        False,
        help_zh="全年研究与试验发展（R&D）经费支出，万元",
    ),
    ColumnSpec(
        "energy_tce",
        "综合能源消费量",
        "吨标准煤",
        "total energy consumption (GB/T 2589-2020)",
        False,
        help_zh="全年综合能源消费量，吨标准煤（GB/T 2589-2020）",
    ),
    ColumnSpec(
        "employees",
        "年平均职工人数",
        "人",
        "average number of employees",
        False,
        help_zh="全年平均职工人数，整数",
    ),
    ColumnSpec("cod_t", "化学需氧量排放量", "t", "COD discharged", False, help_zh="全年化学需氧量排放量，吨"),
    ColumnSpec("nh3_n_t", "氨氮排放量", "t", "NH3-N discharged", False, help_zh="全年氨氮排放量，吨"),
    ColumnSpec("so2_t", "二氧化硫排放量", "t", "SO2 emitted", False, help_zh="全年二氧化硫排放量，吨"),
    ColumnSpec("nox_t", "氮氧化物排放量", "t", "NOx emitted", False, help_zh="全年氮氧化物排放量，吨"),
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
