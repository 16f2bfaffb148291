"""``greenport report bulletin|scorecard``: documents from stored monitoring results.

A report reads an existing database and never makes one: a missing SQLite file, an unmigrated or
unreachable database, or a period without data is a one-line error with exit code 2 (an empty
document with exit 0 would look like a clean month).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import typer

from greenport.bootstrap import build, database_problem
from greenport.cli.context import fail, print_json
from greenport.config import Settings, get_settings
from greenport.kernel.errors import DomainError
from greenport.kernel.time import local_date, utcnow

report_app = typer.Typer(
    help="Reports: monthly bulletin, town scorecard (PDF, XLSX, DOCX).", no_args_is_help=True
)


FORMATS = ("pdf", "xlsx", "docx", "json")


def _emit(
    kind: str,
    period: str,
    fmt: str,
    out: Path | None,
    database_url: str | None,
    as_json: bool,
    compute: Callable[[Any, Settings], Any],
    render_bytes: Callable[[Any, str], bytes],
) -> None:
    """Compute a report's figures in one unit of work, then print them (json) or write the file."""
    if fmt not in FORMATS:
        fail(f"unknown format {fmt!r}: give pdf, xlsx, docx or json", as_json=as_json)
    settings = Settings(database_url=database_url) if database_url else get_settings()
    problem = database_problem(settings.database_url)
    if problem:
        fail(problem, as_json=as_json)
    built = build(settings)
    try:
        with built.uow() as uow:
            result = compute(uow, settings)
        if not result.has_data:
            fail(f"no monitoring data for {period} in the database: nothing to report", as_json=as_json)
        if fmt == "json" and out is None:
            print_json(result.to_dict())
            return
        if fmt == "json" and out is not None:
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(json.dumps(result.to_dict(), ensure_ascii=False, indent=2, default=str) + "\n")
            typer.echo(str(out))
            return
        path = out or Path(f"{kind}-{period}.{fmt}")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(render_bytes(result, fmt))
    except DomainError as exc:
        fail(exc, as_json=as_json)
    finally:
        built.db.dispose()  # close SQLite's WAL files with the command
    if as_json:
        print_json({"path": str(path), **result.to_dict()})
    else:
        typer.echo(str(path))


def _issue_date(issued: str | None, as_json: bool) -> date:
    """``--issued`` as a date; without it, today in Beijing time (a document is dated as the
    city reads its calendar, not by the UTC day)."""
    try:
        return date.fromisoformat(issued) if issued else local_date(utcnow())
    except ValueError:
        fail(f"--issued {issued!r} is not a date YYYY-MM-DD", as_json=as_json)


@report_app.command("bulletin")
def bulletin_command(
    month: str = typer.Option(..., help="Month as YYYY-MM, e.g. 2022-06."),
    format: str = typer.Option("pdf", "--format", help="pdf | xlsx | docx | json"),
    out: Path | None = typer.Option(None, "--out", help="Output file (default: bulletin-YYYY-MM.<format>)."),
    issued: str | None = typer.Option(
        None, "--issued", help="Issue date YYYY-MM-DD printed on the bulletin (default: today, Beijing time)."
    ),
    database_url: str | None = typer.Option(None, "--database-url"),
    as_json: bool = typer.Option(False, "--json", help="Print the figures as JSON."),
) -> None:
    """The monthly environmental quality bulletin (环境质量月报), HJ 663-2013 statistics.

    Exits 2 when the database is missing, not migrated, or has no data for the month.
    """
    from greenport.reports import render, service

    issued_on = _issue_date(issued, as_json)

    _emit(
        "bulletin",
        month,
        format,
        out,
        database_url,
        as_json,
        lambda uow, settings: service.bulletin(uow, month=month, issued_on=issued_on, issuer=settings.issuer),
        render.bulletin_bytes,
    )


@report_app.command("scorecard")
def scorecard_command(
    period: str = typer.Option(..., help="Year (YYYY) or month (YYYY-MM)."),
    format: str = typer.Option("pdf", "--format", help="pdf | xlsx | docx | json"),
    out: Path | None = typer.Option(None, "--out"),
    issued: str | None = typer.Option(
        None,
        "--issued",
        help="Issue date YYYY-MM-DD printed on the scorecard (default: today, Beijing time).",
    ),
    database_url: str | None = typer.Option(None, "--database-url"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """The town ecological scorecard (生态成绩单), with the towns' assessment scores and grades.

    Exits 2 when the database is missing, not migrated, or has no data for the period.
    """
    from greenport.reports import render, service

    issued_on = _issue_date(issued, as_json)

    _emit(
        "scorecard",
        period,
        format,
        out,
        database_url,
        as_json,
        lambda uow, settings: service.scorecard(
            uow, period=period, issued_on=issued_on, issuer=settings.issuer
        ),
        render.scorecard_bytes,
    )


def register(app: typer.Typer) -> None:
    app.add_typer(report_app, name="report")
