"""``greenport evaluate``: run an indicator system over a table, or write its data-entry template.

    greenport evaluate SYSTEM DATA.csv|xlsx [--period P] [--uncertainty N] [--json | --xlsx OUT]
    greenport evaluate template SYSTEM [OUT.xlsx]     (default OUT: SYSTEM_ID_template.xlsx, or --xlsx)
    greenport evaluate list
    greenport evaluate run SYSTEM_ID --period P [--database URL]     (stored values -> a new stored run)
    greenport evaluate runs [SYSTEM_ID] [--period P] [--database URL]
    greenport evaluate compare SYSTEM_ID PERIOD_A PERIOD_B [--database URL]

SYSTEM is a YAML file or the id of a shipped system (``greenport evaluate list``). DATA has one row per
unit: a ``unit`` column (or the first column, or ``--unit-column``) and one column per indicator, named by
the indicator's source column (default: its id) — exactly the template's header. A bad cell is reported
with its row and column as the user sees them in Excel; nothing is evaluated until every cell is valid.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import typer

from greenport.cli.context import console, fail, print_json, writable_path
from greenport.evaluation import EvaluationError, EvaluationResult, System, evaluate, load_system
from greenport.kernel.errors import DomainError, InvalidInput, InvalidRows, RowError
from greenport.kernel.fields import cell_number
from greenport.kernel.time import format_local
from greenport.systems import get_system, system_ids
from greenport.tabular import Sheet, Table, TemplateColumn, read_table, write_template, write_xlsx

USAGE = "SYSTEM DATA | template SYSTEM [OUT.xlsx] | list | run SYSTEM_ID | runs [SYSTEM_ID] | compare SYSTEM_ID A B"


def resolve_system(reference: str) -> System:
    """A YAML file path or the id of a shipped system."""
    path = Path(reference)
    if path.suffix.lower() in (".yaml", ".yml") or path.exists():
        if not path.is_file():
            raise InvalidInput(f"indicator system file {reference} does not exist", field="system")
        return load_system(path.read_text(encoding="utf-8"))
    return get_system(reference)


def table_to_data(
    system: System, table: Table, *, unit_column: str | None = None, period: str | None = None
) -> tuple[dict[str, dict[str, Any]], dict[str, int]]:
    """Turn a read table into ``{unit: {column: value}}``; every bad cell is collected into InvalidRows.

    Returns the data and the file row number of each unit (to translate engine errors).
    """
    if not table.rows:
        raise InvalidInput(f"{table.source or 'the data file'} has a header but no rows", field="file")
    unit_col = unit_column or ("unit" if "unit" in table.headers else table.headers[0])
    if unit_col not in table.headers:
        raise InvalidInput(f"no unit column {unit_col!r} in the header", field="unit_column")
    wanted = {key: item for item in system.all_items for key in item.data_keys}
    missing = [key for key, item in wanted.items() if item.kind == "score" and key not in table.headers]
    if missing:
        raise InvalidInput(
            f"columns missing for {len(missing)} indicator(s): {', '.join(missing)} "
            f"(write a template with `greenport evaluate template {system.id} OUT.xlsx`)",
            field="header",
            missing=missing,
        )
    errors: list[RowError] = []
    data: dict[str, dict[str, Any]] = {}
    rows_of: dict[str, int] = {}
    for number, row in table.numbered():
        if period is not None and "period" in table.headers and str(row.get("period", "")).strip() != period:
            continue
        unit = str(row.get(unit_col, "")).strip()
        if not unit:
            errors.append(RowError(number, unit_col, "unit is empty"))
            continue
        if unit in data:
            errors.append(
                RowError(number, unit_col, f"unit {unit!r} already given on row {rows_of[unit]}", unit)
            )
            continue
        values: dict[str, Any] = {}
        for key in wanted:
            if key not in row:
                continue
            try:
                values[key] = cell_number(row[key])
            except (TypeError, ValueError):
                errors.append(RowError(number, key, "not a number", row[key]))
        if system.group_by and system.group_by in row:
            values[system.group_by] = row[system.group_by]
        data[unit] = values
        rows_of[unit] = number
    if errors:
        raise InvalidRows(errors, source=table.source)
    if not data:
        raise InvalidInput(f"no rows for period {period!r}", field="period")
    if period is None and "period" in table.headers:
        periods = {str(r.get("period", "")).strip() for r in table.rows}
        if len(periods) > 1:
            raise InvalidInput(
                f"the file holds periods {sorted(periods)}: choose one with --period", field="period"
            )
    return data, rows_of


def _translate(exc: EvaluationError, units: list[str], rows_of: dict[str, int]) -> DomainError:
    """Engine errors name the unit's position; report the file's row instead."""
    if exc.row is not None and 1 <= exc.row <= len(units):
        row = rows_of[units[exc.row - 1]]
        return InvalidRows([RowError(row, exc.column or "", exc.message)], source="data")
    return exc


def _sheets(result: EvaluationResult) -> list[Sheet]:
    system = result.system
    table = result.table()
    headers = list(table[0])
    sheets = [Sheet("结果 results", headers, [[row[h] for h in headers] for row in table])]
    detail_rows = []
    for i, unit in enumerate(result.units):
        for k, ind in enumerate(system.indicators):
            points = None if result.points is None else _plain(result.points[i, k])
            detail_rows.append(
                [
                    unit,
                    ind.id,
                    ind.name_zh,
                    ind.unit,
                    _plain(result.raw[i, k]),
                    _plain(result.treated[i, k]),
                    _plain(result.normalised[i, k]),
                    points,
                    _plain(result.global_weights[k]),
                    _plain(result.obstacles[i, k]),
                ]
            )
    sheets.append(
        Sheet(
            "指标 indicators",
            [
                "unit",
                "indicator",
                "名称",
                "unit_of_measure",
                "raw",
                "used",
                "normalised",
                "points",
                "global_weight",
                "obstacle",
            ],
            detail_rows,
        )
    )
    weight_rows = [
        [node, k + 1, _plain(w)] for node, ws in result.local_weights.items() for k, w in enumerate(ws)
    ]
    sheets.append(Sheet("权重 weights", ["node", "child", "weight"], weight_rows))
    sheets.append(
        Sheet(
            "诊断 diagnostics",
            ["level", "code", "unit", "indicator", "message"],
            [
                [d.get("level"), d.get("code"), d.get("unit"), d.get("indicator"), d.get("message")]
                for d in result.diagnostics
            ],
        )
    )
    sheets.append(_audit_sheet(result))
    if result.screened:
        sheets.append(
            Sheet(
                "筛除 screened",
                ["unit", "share_present", "failing_aggregates"],
                [
                    [
                        r["unit"],
                        r["share"],
                        "; ".join(f"{k} {v:.0%}" for k, v in r["failing_aggregates"].items()),
                    ]
                    for r in result.screened
                ],
            )
        )
    if result.treatment:
        sheets.append(
            Sheet(
                "处理 treatment",
                ["indicator", "applied", "unit", "from", "to", "summary"],
                [
                    [t["indicator"], t["applied"], m["unit"], m["from"], m["to"], t["summary"]]
                    for t in result.treatment
                    for m in (t["moved"] or [{"unit": None, "from": None, "to": None}])
                ],
            )
        )
    if result.uncertainty:
        ranks = result.uncertainty["ranks"]
        sheets.append(
            Sheet(
                "不确定性 uncertainty",
                ["unit", "nominal", "median", "p05", "p95"],
                [
                    [u, ranks["nominal"][i], ranks["median"][i], ranks["p05"][i], ranks["p95"][i]]
                    for i, u in enumerate(result.units)
                ],
            )
        )
        sens = result.uncertainty["sensitivity"]
        sheets.append(
            Sheet(
                "敏感性 sensitivity",
                ["input", "S", "ST"],
                [[name, v["S"], v["ST"]] for name, v in sens.items() if not name.startswith("_")],
            )
        )
    return sheets


AUDIT_HEADERS = [
    "kind",
    "id",
    "parent",
    "pearson_parent",
    "spearman_parent",
    "pearson_index",
    "spearman_index",
    "negative_with_siblings",
    "children",
    "cronbach_alpha",
    "pc1_share",
]


def audit_rows(result: EvaluationResult) -> list[list[Any]]:
    """The audit as rows under :data:`AUDIT_HEADERS`: indicators, aggregates in their parents, aggregates."""
    audit = result.audit or {}
    rows: list[list[Any]] = []
    for kind, key in (("indicator", "indicators"), ("aggregate", "aggregates_in_parents")):
        for e in audit.get(key, []):
            rows.append(
                [
                    kind,
                    e["id"],
                    e["parent"],
                    e["pearson_parent"],
                    e["spearman_parent"],
                    e["pearson_index"],
                    e["spearman_index"],
                    ", ".join(e["negative_with_siblings"]),
                    None,
                    None,
                    None,
                ]
            )
    for a in audit.get("aggregates", []):
        rows.append(
            [
                "consistency",
                a["id"],
                None,
                None,
                None,
                None,
                None,
                "",
                a["children"],
                a["cronbach_alpha"],
                a["pc1_share"],
            ]
        )
    return rows


def _audit_sheet(result: EvaluationResult) -> Sheet:
    return Sheet("审计 Audit", AUDIT_HEADERS, audit_rows(result))


def _plain(value: Any) -> float | None:
    number = float(value)
    return None if math.isnan(number) else number


def template_columns(system: System) -> list[TemplateColumn]:
    """Columns of the 填报模板: the unit, then every indicator and adjustment item with unit and definition."""
    columns = [
        TemplateColumn("unit", "评价单元", "", f"评价单元编码或名称 ({system.unit_kind})", True, None),
        TemplateColumn("period", "评价期", "", "评价期，如 2022 (可选；用 --period 选择)", False, None),
    ]
    if system.group_by:
        columns.append(TemplateColumn(system.group_by, "分组", "", "用于按组均值插补的分组", False, None))
    for item in system.all_items:
        direction = {"benefit": "正向", "cost": "逆向", "target": "适度"}[item.direction]
        rule = ""
        if item.points is not None:
            rule = f"; 满分 {item.points.max:g} 分 ({item.points.rule})"
        kind = {"score": "", "bonus": "加分项; ", "penalty": "扣分项; ", "veto": "一票否决项; "}[item.kind]
        description = f"{kind}{item.definition or item.name_en} [{direction}{rule}]"
        if item.ratio is None:
            columns.append(
                TemplateColumn(
                    item.data_key, item.name_zh, item.unit, description, item.kind == "score", None
                )
            )
            continue
        present = {column.key for column in columns}
        for role, key in (
            ("分子 numerator", item.ratio.numerator),
            ("分母 denominator", item.ratio.denominator),
        ):
            if key not in present:  # a variable shared by two ratios is one column
                text = (
                    f"{item.name_zh} 的{role}: {item.id} = {item.ratio.scale:g} × 分子 / 分母 [{item.unit}]"
                )
                columns.append(TemplateColumn(key, key, "", text, item.kind == "score", None))
    return columns


def _stored(
    args: list[str], period: str | None, uncertainty: int, seed: int, as_json: bool, database: str | None
) -> None:
    """The commands over stored data: run, runs, compare (through the assessments service)."""
    from greenport.assessments import service
    from greenport.cli.context import container

    command = args[0]
    with container(database).uow() as uow:
        if command == "run":
            if len(args) != 2 or period is None:
                raise InvalidInput("usage: greenport evaluate run SYSTEM_ID --period P", field="arguments")
            run = service.run_assessment(
                uow, system_id=args[1], period=period, uncertainty=uncertainty, seed=seed
            )
            payload: Any = {
                "run_id": run.id,
                "system_id": run.system_id,
                "period": run.period,
                "version_hash": run.version_hash,
                "table": run.unit_rows(),
            }
        elif command == "runs":
            runs = service.list_runs(uow, system_id=args[1] if len(args) > 1 else None, period=period)
            payload = [
                {
                    "run_id": r.id,
                    "system_id": r.system_id,
                    "period": r.period,
                    "version": r.system_version,
                    "version_hash": r.version_hash,
                    "units": len(r.unit_rows()),
                    "created_at": r.created_at.isoformat(),
                }
                for r in runs
            ]
        else:
            if len(args) != 4:
                raise InvalidInput(
                    "usage: greenport evaluate compare SYSTEM_ID PERIOD_A PERIOD_B", field="arguments"
                )
            payload = service.compare_periods(
                uow, system_id=args[1], period_a=args[2], period_b=args[3]
            ).to_dict()
    if as_json:
        print_json(payload)
        return
    if command == "compare":
        console.print(
            f"{payload['system_id']}: {payload['period_a']} (run {payload['run_a']}) -> "
            f"{payload['period_b']} (run {payload['run_b']})"
        )
        for unit in sorted(payload["units"], key=lambda u: u["rank_b"] or 10**9):
            delta = "-" if unit["delta"] is None else f"{unit['delta']:+.2f}"
            console.print(
                f"  {unit['label']}: {unit['total_a']} -> {unit['total_b']} ({delta}), "
                f"rank {unit['rank_a']} -> {unit['rank_b']}, grade {unit['grade_a']} -> {unit['grade_b']}"
            )
    elif command == "runs":
        for item in payload:
            console.print(
                f"{item['run_id']:6} {item['system_id']:32} {item['period']:8} {item['units']:5} units  "
                f"{format_local(item['created_at'])}"
            )
    else:
        console.print(
            f"stored run {payload['run_id']} of {payload['system_id']} for {payload['period']} "
            f"({len(payload['table'])} units)"
        )


def _run(
    args: list[str],
    period: str | None,
    uncertainty: int,
    seed: int,
    as_json: bool,
    xlsx: Path | None,
    unit_column: str | None,
    sheet: str | None,
    database: str | None = None,
) -> None:
    if not args:
        raise InvalidInput(f"usage: greenport evaluate {USAGE}", field="arguments")
    if args[0] in ("run", "runs", "compare"):
        _stored(args, period, uncertainty, seed, as_json, database)
        return
    if args[0] == "list":
        systems = [get_system(s) for s in system_ids()]
        if as_json:
            print_json(
                [
                    {
                        "id": s.id,
                        "name_zh": s.name_zh,
                        "name_en": s.name_en,
                        "scheme": s.scheme,
                        "unit_kind": s.unit_kind,
                        **s.shape(),
                    }
                    for s in systems
                ]
            )
        else:
            for s in systems:
                console.print(f"{s.id:32} {s.scheme:9} {s.name_zh}")
        return
    if args[0] == "template":
        if len(args) not in (2, 3):
            raise InvalidInput("usage: greenport evaluate template SYSTEM [OUT.xlsx]", field="arguments")
        system = resolve_system(args[1])
        out = Path(args[2]) if len(args) == 3 else (xlsx or Path(f"{system.id}_template.xlsx"))
        if out.suffix.lower() != ".xlsx":
            raise InvalidInput("the template is an Excel file: give OUT.xlsx", field="out")
        writable_path(out, as_json=as_json)
        notes = "来源 sources: " + " | ".join(system.sources)
        if system.reconstruction:
            notes += "\n重建说明 reconstruction: " + system.reconstruction
        write_template(
            out,
            template_columns(system),
            title=f"{system.name_zh} 填报模板 ({system.id} {system.version})",
            notes=notes,
            key_headers=True,  # table_to_data reads the indicator ids
        )
        if as_json:
            print_json({"template": str(out), "system": system.id, "columns": len(system.all_items) + 1})
        else:
            console.print(f"wrote {out} ({len(system.all_items)} indicator columns)")
        return
    if len(args) != 2:
        raise InvalidInput(f"usage: greenport evaluate {USAGE}", field="arguments")
    system = resolve_system(args[0])
    if xlsx is not None:
        writable_path(xlsx, as_json=as_json)
    table = read_table(args[1], sheet=sheet)
    data, rows_of = table_to_data(system, table, unit_column=unit_column, period=period)
    try:
        result = evaluate(system, data, uncertainty=uncertainty, seed=seed, period=period)
    except EvaluationError as exc:
        raise _translate(exc, list(data), rows_of) from exc
    if xlsx is not None:
        write_xlsx(xlsx, _sheets(result))
    if as_json:
        payload = result.to_dict()
        payload["table"] = result.table()
        print_json(payload)
        return
    _print_table(result)
    if xlsx is not None:
        console.print(f"wrote {xlsx}")


def _print_table(result: EvaluationResult) -> None:
    from rich.table import Table as RichTable

    system = result.system
    view = RichTable(title=f"{system.name_zh} ({system.id}, {result.period or 'no period'})")
    for header in ("unit", "total", "rank", "grade", *[d.id for d in system.dimensions]):
        view.add_column(header)
    for row in sorted(result.table(), key=lambda r: r["rank"]):
        view.add_row(
            str(row["unit"]),
            f"{row['total']:.2f}" if row["total"] is not None else "-",
            str(row["rank"]),
            str(row["grade"] or ""),
            *[f"{row[d.id]:.2f}" if row[d.id] is not None else "-" for d in system.dimensions],
        )
    console.print(view)
    if result.screened:
        console.print(
            "[yellow]screened out[/yellow] (not ranked): "
            + ", ".join(f"{r['unit']} ({r['share']:.0%} present)" for r in result.screened)
        )
    _print_audit(result)
    for diagnostic in result.diagnostics[:20]:
        where = " ".join(str(diagnostic[k]) for k in ("unit", "indicator") if diagnostic.get(k))
        console.print(
            f"[yellow]{diagnostic.get('code')}[/yellow] {where + ': ' if where else ''}{diagnostic.get('message')}"
        )


def _print_audit(result: EvaluationResult) -> None:
    from rich.table import Table as RichTable

    def fmt(value: Any) -> str:
        return "-" if value is None else f"{value:.2f}"

    view = RichTable(title="审计 Audit: correlations with parent and index (Pearson / Spearman)")
    for header in ("indicator", "parent", "r parent", "ρ parent", "r index", "ρ index", "negative with"):
        view.add_column(header)
    for e in (result.audit or {}).get("indicators", []):
        view.add_row(
            e["id"],
            e["parent"],
            fmt(e["pearson_parent"]),
            fmt(e["spearman_parent"]),
            fmt(e["pearson_index"]),
            fmt(e["spearman_index"]),
            ", ".join(e["negative_with_siblings"]),
        )
    console.print(view)
    consistency = RichTable(title="审计 Audit: consistency of each aggregate")
    for header in ("aggregate", "children", "Cronbach α", "PC1 share"):
        consistency.add_column(header)
    for a in (result.audit or {}).get("aggregates", []):
        consistency.add_row(a["id"], str(a["children"]), fmt(a["cronbach_alpha"]), fmt(a["pc1_share"]))
    console.print(consistency)


def evaluate_command(
    args: list[str] = typer.Argument(
        None,
        metavar=USAGE,
        help="SYSTEM (a shipped id or a .yaml file) and DATA (.csv or .xlsx, one row per unit); "
        "or one of the other forms of the usage line.",
    ),
    period: str | None = typer.Option(None, "--period", help="Period label (filters a 'period' column)."),
    uncertainty: int = typer.Option(
        0, "--uncertainty", min=0, help="Monte Carlo samples (rank intervals, Sobol)."
    ),
    seed: int = typer.Option(0, "--seed", help="Seed of the Monte Carlo."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
    xlsx: Path | None = typer.Option(
        None,
        "--xlsx",
        help="Write the full result to this Excel file (with `template`: the template's file).",
    ),
    unit_column: str | None = typer.Option(
        None, "--unit-column", help="Column naming the unit (default 'unit')."
    ),
    sheet: str | None = typer.Option(
        None, "--sheet", help="Sheet of an .xlsx data file (default: the first)."
    ),
    database: str | None = typer.Option(
        None, "--database", help="Database URL for run/runs/compare (default: GREENPORT_DATABASE_URL)."
    ),
) -> None:
    """Evaluate an indicator system over a table; `template` writes its 填报模板; `list` shows shipped
    systems; `run`, `runs` and `compare` work on the values and runs stored in the database."""
    try:
        _run(list(args or []), period, uncertainty, seed, as_json, xlsx, unit_column, sheet, database)
    except DomainError as exc:
        fail(exc, as_json=as_json)


def register(app: typer.Typer) -> None:
    app.command("evaluate", no_args_is_help=True)(evaluate_command)
