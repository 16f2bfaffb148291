"""``greenport calendar add|show``: the working-day calendar (State Council notices, 调休)."""

from __future__ import annotations

from pathlib import Path

import typer

from greenport.cli.context import console, container, fail, print_json, readable_file
from greenport.kernel.errors import DomainError
from greenport.kernel.time import utcnow
from greenport.workdays import service as workdays_service

calendar_app = typer.Typer(
    help="Working-day calendar: the State Council's holidays and make-up working days per year.",
    no_args_is_help=True,
)

DATABASE_HELP = "Database URL (default: GREENPORT_DATABASE_URL)."


@calendar_app.command("add")
def add(
    file: Path = typer.Argument(..., help="CSV: date,kind,name_zh,name_en (kind holiday|workday), one year."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    database: str = typer.Option(None, "--database", help=DATABASE_HELP),
) -> None:
    """Add a year's calendar from the State Council's notice (国务院办公厅关于YYYY年部分节假日安排的通知).
    Every row is checked (one year, valid dates, kind holiday or workday, a workday only on a weekend,
    no date twice); on any error nothing is stored. A stored year overrides the shipped file of that
    year; adding a year again replaces it."""
    readable_file(file, as_json=as_json)
    text = file.read_text(encoding="utf-8-sig")
    app = container(database)
    try:
        with app.uow() as uow:
            table, replaced = workdays_service.add_year(uow, text=text, file_name=str(file), now=utcnow())
    except DomainError as exc:
        fail(exc, as_json=as_json)
    summary = {
        "year": table.year,
        "holidays": len(table.holidays()),
        "make_up_workdays": len(table.make_up_days()),
        "replaced": replaced,
        "source": table.source,
    }
    if as_json:
        print_json(summary)
    else:
        verb = "replaced" if replaced else "added"
        console.print(
            f"{verb} {table.year}: {summary['holidays']} holidays, {summary['make_up_workdays']} make-up working days",
            markup=False,
        )


@calendar_app.command("show")
def show(
    year: int = typer.Option(..., "--year", help="The year to list."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    database: str = typer.Option(None, "--database", help=DATABASE_HELP),
) -> None:
    """List a year's holidays and make-up working days and where they come from (shipped or stored)."""
    app = container(database)
    try:
        with app.uow() as uow:
            listing = workdays_service.show_year(uow, year=year)
    except DomainError as exc:
        fail(exc, as_json=as_json)
    if as_json:
        print_json(listing)
        return
    console.print(f"{listing['year']} ({listing['origin']}): {listing['source']}", markup=False)
    for title, key in (("holidays", "holidays"), ("make-up working days (调休上班)", "make_up_workdays")):
        console.print(f"{title}:", markup=False)
        for day in listing[key]:
            console.print(f"  {day['date']}  {day['name_zh']}  {day['name_en']}", markup=False)


def register(app: typer.Typer) -> None:
    app.add_typer(calendar_app, name="calendar")
