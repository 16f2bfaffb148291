"""``greenport import ...``, ``greenport export template|enterprises|sites|divisions|parks`` and
``greenport registry ...``: the city's registry from and to Excel/CSV, and listings.

Every import checks the whole file first and reports each bad row by row and column; nothing is
written unless the whole file is valid, or with ``--skip-invalid`` the valid rows are written and
a report of the rest goes to ``--report`` (CSV: row, column, error, value). Exit status 2 when the
file is invalid, cannot be read, or passes a limit (GREENPORT_IMPORT_MAX_BYTES, _MAX_ROWS,
_MAX_CELL_CHARS).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any, cast

import typer

from greenport.accounts import service as accounts
from greenport.bootstrap import UnitOfWork
from greenport.cli.context import (
    console,
    container,
    export_app,
    fail,
    print_json,
    print_row_errors,
    writable_path,
)
from greenport.config import Settings
from greenport.enterprises import service as enterprises
from greenport.enterprises.importing import ENTERPRISE_COLUMNS, SITE_COLUMNS, YEAR_COLUMNS
from greenport.kernel.errors import DomainError, InvalidRows, RowError, describe_bad
from greenport.kernel.fields import ColumnSpec, ImportOutcome
from greenport.kernel.labels import LANGUAGES, Language, label
from greenport.regions import service as regions
from greenport.regions.importing import DIVISION_COLUMNS, PARK_COLUMNS
from greenport.tabular import (
    ImportLimits,
    Sheet,
    TemplateColumn,
    read_table,
    write_csv,
    write_template,
    write_xlsx,
)

import_app = typer.Typer(
    help="Import registry tables from Excel (.xlsx) or CSV; all-or-nothing unless --skip-invalid. "
    "Limits: GREENPORT_IMPORT_MAX_BYTES (20 MiB), GREENPORT_IMPORT_MAX_ROWS (100,000), "
    "GREENPORT_IMPORT_MAX_CELL_CHARS (10,000).",
    no_args_is_help=True,
)
registry_app = typer.Typer(
    help="The city's registry: list divisions, parks, enterprises, sites, devices, users.",
    no_args_is_help=True,
)

Importer = Callable[..., ImportOutcome]
Exporter = Callable[[UnitOfWork], list[dict[str, Any]]]

#: table -> (columns, importer, exporter, title of the template)
TABLES: dict[str, tuple[Sequence[ColumnSpec], Importer, Exporter, str]] = {
    "divisions": (DIVISION_COLUMNS, regions.import_divisions, regions.export_divisions, "行政区划 divisions"),
    "parks": (PARK_COLUMNS, regions.import_parks, regions.export_parks, "园区 parks"),
    "enterprises": (
        ENTERPRISE_COLUMNS,
        enterprises.import_enterprises,
        enterprises.export_enterprises,
        "企业名录 enterprises",
    ),
    "sites": (SITE_COLUMNS, enterprises.import_sites, enterprises.export_sites, "监测点位 sites"),
    "enterprise-years": (
        YEAR_COLUMNS,
        enterprises.import_enterprise_years,
        enterprises.export_enterprise_years,
        "企业年度数据 enterprise-years",
    ),
}

_DATABASE = typer.Option(None, "--database", help="Database URL (default: GREENPORT_DATABASE_URL).")
_JSON = typer.Option(False, "--json", help="Machine-readable output.")


def write_report(path: Path, errors: Sequence[RowError]) -> None:
    """The row-error report of an import: CSV with columns row, column, error, value."""
    write_csv(
        path, ["row", "column", "error", "value"], [[e.row, e.column, e.message, e.value] for e in errors]
    )


def run_import(
    table: str,
    path: Path,
    *,
    skip_invalid: bool = False,
    report: Path | None = None,
    as_json: bool = False,
    database: str | None = None,
) -> ImportOutcome:
    """Read ``path`` and import it into ``table`` in one transaction (used by the commands)."""
    _, importer, _, _ = TABLES[table]
    if report is not None:
        writable_path(report, as_json=as_json)
    try:
        data = read_table(path, limits=ImportLimits.from_settings(Settings()))
    except DomainError as exc:
        fail(exc, as_json=as_json)
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror or exc}", as_json=as_json)
    app = container(database)
    try:
        with app.uow() as uow:
            outcome = importer(
                uow, data.numbered(), headers=data.headers, skip_invalid=skip_invalid, source=data.source
            )
    except InvalidRows as exc:
        if report is not None:
            write_report(report, exc.errors)
        fail(exc, as_json=as_json)
    except DomainError as exc:
        fail(exc, as_json=as_json)
    finally:
        app.db.dispose()
    if report is not None:
        write_report(report, outcome.errors)
    return outcome


def _print_outcome(outcome: ImportOutcome, as_json: bool, report: Path | None) -> None:
    if as_json:
        body = outcome.to_dict()
        if report is not None:
            body["report"] = str(report)
        print_json(body)
        return
    console.print(
        f"{outcome.table}: {outcome.written} of {outcome.rows_read} row(s) written from {outcome.source}"
    )
    if outcome.errors:
        console.print(f"[yellow]skipped: {describe_bad(outcome.errors)}[/yellow]")
        print_row_errors(outcome.errors)
        if report is not None:
            console.print(f"report of the skipped rows: {report}")


def _import_command(table: str) -> Callable[..., None]:
    def command(
        file: Path = typer.Argument(
            ...,
            help="The .xlsx or .csv file; header row: the template's column names, in Chinese or English.",
        ),
        skip_invalid: bool = typer.Option(
            False, "--skip-invalid", help="Write the valid rows; report the others (see --report)."
        ),
        report: Path | None = typer.Option(
            None, "--report", help="Write every row error to this CSV (row, column, error, value)."
        ),
        as_json: bool = _JSON,
        database: str | None = _DATABASE,
    ) -> None:
        outcome = run_import(
            table, file, skip_invalid=skip_invalid, report=report, as_json=as_json, database=database
        )
        _print_outcome(outcome, as_json, report)

    command.__doc__ = (
        f"Import {table} from FILE (.xlsx or .csv), headers and coded values in Chinese or English; "
        f"template: greenport export template {table} OUT.xlsx."
    )
    return command


for _table in TABLES:
    import_app.command(_table)(_import_command(_table))


_LANG = typer.Option(
    None,
    "--lang",
    help="zh (中文 headers and names) or en (English); default: GREENPORT_TABLE_LANGUAGE (zh).",
)


def _language(lang: str | None, as_json: bool = False) -> Language:
    chosen = lang or Settings().table_language
    if chosen not in LANGUAGES:
        fail(f"--lang must be zh or en, not {chosen!r}", as_json=as_json)
    return cast(Language, chosen)


#: What a template's guide sheet says first, per language.
_TEMPLATE_NOTES = {
    "zh": "每行填写一条记录，不要改动第一行的列名；黄色列为必填，其余可留空。把鼠标停在列名上可看到填写说明。"
    "填好后在“登记数据导入”页面上传，或运行：greenport import {table} 文件名.xlsx",
    "en": "Fill in one record per row below the header and keep the header row as it is; yellow "
    "columns are required, the others may be left empty. Hover over a header to see what to fill in. "
    "Upload the file on the registry import page, or run: greenport import {table} FILE.xlsx",
}
_TEMPLATE_TITLES = {"zh": "GreenPort {title_zh} 填报模板", "en": "GreenPort {title_en} template"}


@export_app.command("template")
def export_template(
    table: str = typer.Argument(..., help=f"One of: {', '.join(TABLES)}."),
    out: Path = typer.Argument(..., help="The .xlsx file to write."),
    lang: str | None = _LANG,
) -> None:
    """Write the Excel template of TABLE: a header row naming each column (with its unit; required
    columns in yellow) and a guide sheet saying what to fill in, in Chinese or English."""
    if table not in TABLES:
        fail(f"unknown table {table!r}; one of: {', '.join(TABLES)}")
    language = _language(lang)
    writable_path(out)
    columns, _, _, title = TABLES[table]
    title_zh, _, title_en = title.partition(" ")
    write_template(
        out,
        [TemplateColumn.of(c) for c in columns],
        title=_TEMPLATE_TITLES[language].format(title_zh=title_zh, title_en=title_en),
        notes=_TEMPLATE_NOTES[language].format(table=table),
        lang=language,
    )
    typer.echo(f"template of {table} written to {out}")


def _cell(column: ColumnSpec, value: Any, lang: Language) -> Any:
    """A stored value as the export shows it: a coded value by its name in ``lang``."""
    if column.choices and value not in (None, ""):
        return label(column.choices, value, lang)
    return value


def export_table(table: str, out: Path, *, database: str | None = None, lang: Language = "zh") -> int:
    """Write the current ``table`` to ``out`` (.xlsx or .csv) with the import columns, headed and
    coded values named in ``lang`` (the file imports back); returns the number of rows."""
    columns, _, exporter, _ = TABLES[table]
    app = container(database)
    try:
        with app.uow() as uow:
            records = exporter(uow)
    finally:
        app.db.dispose()
    headers = [c.header(lang) for c in columns]
    rows = [[_cell(c, record.get(c.key, ""), lang) for c in columns] for record in records]
    if out.suffix.lower() == ".csv":
        write_csv(out, headers, rows)
    else:
        write_xlsx(out, [Sheet(title=table, headers=headers, rows=rows)])
    return len(rows)


def _export_command(table: str) -> Callable[..., None]:
    def command(
        out: Path = typer.Argument(..., help="The .xlsx or .csv file to write."),
        lang: str | None = _LANG,
        database: str | None = _DATABASE,
        as_json: bool = _JSON,
    ) -> None:
        if out.suffix.lower() not in (".xlsx", ".csv"):
            fail(f"give an .xlsx or .csv file, not {out.name!r}", as_json=as_json)
        language = _language(lang, as_json)
        writable_path(out, as_json=as_json)
        count = export_table(table, out, database=database, lang=language)
        if as_json:
            print_json({"table": table, "rows": count, "file": str(out)})
        else:
            typer.echo(f"{count} {table} row(s) written to {out}")

    command.__doc__ = (
        f"Export the current {table} to OUT (.xlsx or .csv) in the import file's columns "
        "(the file imports back); headers and coded values in Chinese or English (--lang)."
    )
    return command


for _table in TABLES:
    export_app.command(_table)(_export_command(_table))


# --- listings ------------------------------------------------------------------------------------

LISTINGS: dict[str, Callable[[UnitOfWork], list[Any]]] = {
    "divisions": lambda uow: regions.list_divisions(uow),
    "grid-cells": lambda uow: regions.list_grid_cells(uow),
    "grid-officers": lambda uow: regions.list_grid_officers(uow),
    "parks": lambda uow: regions.list_parks(uow),
    "enterprises": lambda uow: enterprises.list_enterprises(uow),
    "sites": lambda uow: enterprises.list_sites(uow),
    "devices": lambda uow: enterprises.list_devices(uow),
    "users": lambda uow: accounts.list_users(uow),
}


@registry_app.command("list")
def list_command(
    what: str = typer.Argument(..., help=f"One of: {', '.join(LISTINGS)}."),
    limit: int = typer.Option(0, "--limit", help="Show at most this many rows (0: all)."),
    as_json: bool = _JSON,
    database: str | None = _DATABASE,
) -> None:
    """List a registry table (boundaries left out; device password hashes are never shown)."""
    if what not in LISTINGS:
        fail(f"unknown listing {what!r}; one of: {', '.join(LISTINGS)}", as_json=as_json)
    app = container(database)
    try:
        with app.uow() as uow:
            items = LISTINGS[what](uow)
    finally:
        app.db.dispose()
    records = [{k: v for k, v in asdict(item).items() if k != "boundary_geojson"} for item in items]
    total = len(records)
    if limit > 0:
        records = records[:limit]
    if as_json:
        print_json({"table": what, "count": total, "data": records})
        return
    from rich.table import Table

    view = Table(title=f"{what} ({total})")
    keys = list(records[0]) if records else []
    for key in keys:
        view.add_column(key)
    for record in records:
        view.add_row(*("" if record[k] is None else str(record[k]) for k in keys))
    console.print(view)


@registry_app.command("counts")
def counts_command(as_json: bool = _JSON, database: str | None = _DATABASE) -> None:
    """Row counts of every registry table."""
    app = container(database)
    try:
        with app.uow() as uow:
            counts = enterprises.registry_counts(uow)
    finally:
        app.db.dispose()
    if as_json:
        print_json(counts)
    else:
        for table, count in counts.items():
            typer.echo(f"{table:16} {count}")


def register(app: typer.Typer) -> None:
    app.add_typer(import_app, name="import")
    app.add_typer(registry_app, name="registry")
