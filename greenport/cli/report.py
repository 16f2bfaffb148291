"""``greenport report bulletin|scorecard``: documents from stored monitoring results."""

from __future__ import annotations

from pathlib import Path

import typer

from greenport.cli._common import container, fail, print_json
from greenport.kernel.errors import DomainError

report_app = typer.Typer(
    help="Reports: monthly bulletin, town scorecard (PDF, XLSX, DOCX).", no_args_is_help=True
)


def _write(kind: str, name: str, fmt: str, out: Path | None, data: bytes) -> Path:
    path = out or Path(f"{kind}-{name}.{fmt}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


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

    if format not in ("pdf", "xlsx", "docx", "json"):
        fail(f"unknown format {format!r}: give pdf, xlsx, docx or json", as_json=as_json)
    try:
        with container(database_url).uow() as uow:
            result = service.bulletin(uow, month=month)
        if format == "json":
            print_json(result.to_dict())
            return
        path = _write("bulletin", month, format, out, render.bulletin_bytes(result, format))
    except DomainError as exc:
        fail(exc, as_json=as_json)
    if as_json:
        print_json({"path": str(path), **result.to_dict()})
    else:
        typer.echo(str(path))


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

    if format not in ("pdf", "xlsx", "docx", "json"):
        fail(f"unknown format {format!r}: give pdf, xlsx, docx or json", as_json=as_json)
    try:
        with container(database_url).uow() as uow:
            result = service.scorecard(uow, period=period)
        if format == "json":
            print_json(result.to_dict())
            return
        path = _write("scorecard", period, format, out, render.scorecard_bytes(result, format))
    except DomainError as exc:
        fail(exc, as_json=as_json)
    if as_json:
        print_json({"path": str(path), **result.to_dict()})
    else:
        typer.echo(str(path))


def register(app: typer.Typer) -> None:
    app.add_typer(report_app, name="report")
