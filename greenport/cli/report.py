"""``greenport report bulletin|scorecard``: documents from stored monitoring results."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer

from greenport.cli.context import container, fail, print_json
from greenport.kernel.errors import DomainError

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
    compute: Callable[[Any], Any],
    render_bytes: Callable[[Any, str], bytes],
) -> None:
    """Compute a report's figures in one unit of work, then print them (json) or write the file."""
    if fmt not in FORMATS:
        fail(f"unknown format {fmt!r}: give pdf, xlsx, docx or json", as_json=as_json)
    try:
        with container(database_url).uow() as uow:
            result = compute(uow)
        if fmt == "json":
            print_json(result.to_dict())
            return
        path = out or Path(f"{kind}-{period}.{fmt}")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(render_bytes(result, fmt))
    except DomainError as exc:
        fail(exc, as_json=as_json)
    if as_json:
        print_json({"path": str(path), **result.to_dict()})
    else:
        typer.echo(str(path))


@report_app.command("bulletin")
def bulletin_command(
    month: str = typer.Option(..., help="Month as YYYY-MM, e.g. 2022-06."),
    format: str = typer.Option("pdf", "--format", help="pdf | xlsx | docx | json"),
    out: Path | None = typer.Option(None, "--out", help="Output file (default: bulletin-YYYY-MM.<format>)."),
    database_url: str | None = typer.Option(None, "--database-url"),
    as_json: bool = typer.Option(False, "--json", help="Print the figures as JSON."),
) -> None:
    """The monthly environmental quality bulletin (环境质量月报)."""
    from greenport.reports import render, service

    _emit(
        "bulletin",
        month,
        format,
        out,
        database_url,
        as_json,
        lambda uow: service.bulletin(uow, month=month),
        render.bulletin_bytes,
    )


@report_app.command("scorecard")
def scorecard_command(
    period: str = typer.Option(..., help="Year (YYYY) or month (YYYY-MM)."),
    format: str = typer.Option("pdf", "--format", help="pdf | xlsx | docx | json"),
    out: Path | None = typer.Option(None, "--out"),
    database_url: str | None = typer.Option(None, "--database-url"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """The town ecological scorecard (生态成绩单)."""
    from greenport.reports import render, service

    _emit(
        "scorecard",
        period,
        format,
        out,
        database_url,
        as_json,
        lambda uow: service.scorecard(uow, period=period),
        render.scorecard_bytes,
    )


def register(app: typer.Typer) -> None:
    app.add_typer(report_app, name="report")
