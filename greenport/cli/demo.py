"""``greenport demo``: build the demo city 港城 (if the database is empty) and serve it.

``greenport demo --no-serve --json`` builds and prints the JSON summary (computed from the
database). A database that already holds data is never overwritten unless ``--force`` is given;
without it the summary of what is there is printed (``"built": false``). The command runs only
in the ``demo`` and ``development`` modes: the demo's users and devices have public passwords.
"""

from __future__ import annotations

from typing import Any

import typer

from greenport.bootstrap import Container, build
from greenport.cli.context import console, fail, print_json
from greenport.config import Settings, get_settings
from greenport.demo.build import (
    DEFAULT_SEED,
    build_demo,
    is_empty,
    load_context,
    make_summary,
    reset_database,
)
from greenport.demo.context import DemoContext
from greenport.ingest.demo_services import start_background_services
from greenport.ingest.simulator import SimDevice
from greenport.kernel.errors import DomainError


def demo(
    no_serve: bool = typer.Option(
        False, "--no-serve", help="Build (if needed) and print the summary; do not serve."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
    database: str | None = typer.Option(
        None, "--database", help="Database URL (default: GREENPORT_DATABASE_URL)."
    ),
    seed: int = typer.Option(
        DEFAULT_SEED, "--seed", help="Seed of the demo city (same seed, same database)."
    ),
    force: bool = typer.Option(
        False, "--force", help="Drop every table of a non-empty database and rebuild."
    ),
    fast: bool = typer.Option(False, "--fast", help="Skip long backfills of the optional stages (tests)."),
) -> None:
    """Build the demo city 港城 if the database is empty, print its summary, and serve it."""
    settings = Settings(database_url=database) if database else get_settings()
    if not settings.demo_logins_allowed:
        fail(
            f"the demo city has public demo passwords: refused in {settings.mode} mode "
            "(set GREENPORT_MODE=demo or development)",
            as_json=as_json,
        )
    container = build(settings, migrate=True)
    try:
        empty = is_empty(container)
        if not empty and force:
            reset_database(container)
            empty = True
        if empty:
            if not as_json:
                console.print(f"building the demo city 港城 (seed {seed}) in {settings.database_url} ...")
            ctx, summary = build_demo(container, seed=seed, fast=fast)
        else:
            ctx = load_context(container, seed=seed)
            summary = make_summary(ctx)
            summary["seed"] = None  # unknown: built earlier
            if no_serve and not as_json:
                console.print(
                    "[yellow]the database is not empty: nothing rebuilt (use --force to rebuild)[/yellow]"
                )
        summary["built"] = empty
    except DomainError as exc:
        container.db.dispose()
        fail(exc, as_json=as_json)
    if as_json:
        print_json(summary)
    else:
        _print_summary(summary)
    if no_serve:
        container.db.dispose()
        return
    url = f"http://{settings.host}:{settings.port}"
    console.print(f"\nGreenPort demo: [bold]{url}[/bold]")
    _print_logins(summary)
    serve(container, ctx)


def simulated_devices(ctx: DemoContext) -> list[SimDevice]:
    """Every device of the demo city as the simulator plays it: its MN, its demo password
    (:func:`greenport.demo.credentials.demo_device_password`, kept in ``ctx``) and its site kind."""
    return [SimDevice(d.mn, d.password, d.site_kind) for d in ctx.devices]


def serve(container: Container, ctx: DemoContext) -> None:
    """Serve the web app with uvicorn (blocking), with the ingest server and the demo city's
    simulated devices in the background
    (:func:`greenport.ingest.demo_services.start_background_services`); stop those on exit."""
    import uvicorn

    from greenport.web.app import create_app

    stop = start_background_services(container, devices=simulated_devices(ctx))
    try:
        settings = container.settings
        uvicorn.run(
            create_app(settings, container=container),
            host=settings.host,
            port=settings.port,
            log_level=settings.log_level.lower(),
        )
    finally:
        if stop is not None:
            stop()


def _print_summary(summary: dict[str, Any]) -> None:
    console.print(
        f"港城: {summary['towns']} towns/districts, {summary['streets']} streets, {summary['villages']} villages; "
        f"{summary['grid_officers']} grid officers; {summary['parks']['total']} parks; "
        f"{summary['enterprises']} above-scale firms, output {summary['industrial_output_2022_yi']} 亿元 (2022); "
        f"{summary['air_stations']} air stations, {summary['water_sections']} sections + "
        f"{summary['tributaries']} tributaries; {summary['outlets']} outlets; {summary['devices']} devices"
    )
    shares = ", ".join(f"{k} {v} %" for k, v in summary["output_share_by_industry"].items())
    console.print(f"output shares: {shares}")


def _print_logins(summary: dict[str, Any]) -> None:
    logins = summary.get("logins")
    if not logins:
        return
    console.print("demo log-ins (demo mode only):")
    for login in logins:
        console.print(f"  {login['role']:15} {login['username']:12} {login['password']}")


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
