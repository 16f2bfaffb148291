"""``greenport demo``: build the demo city 港城 (if the database is empty) and serve it.

``greenport demo --no-serve --json`` builds and prints the JSON summary (computed from the
database). A database that already holds data is never overwritten unless ``--force`` is given;
without it the summary of what is there is printed (``"built": false``). The command runs only
in the ``demo`` and ``development`` modes: the demo's users and devices have public passwords.

A human reader sees one progress bar per build stage (the monitoring stage's bar counts the
hours of the year back-filled), the city's summary, and, once everything listens, the address of
the web app, the demo log-ins, the HJ 212 port and the metrics port. ``--json`` prints only JSON.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from greenport.alarms import service as alarms_service
from greenport.bootstrap import Container, build
from greenport.cli.context import console, fail, print_json, shown_url
from greenport.config import Settings, get_settings
from greenport.demo.alarms import live_rules
from greenport.demo.build import (
    DEFAULT_SEED,
    STAGE_NAMES,
    build_demo,
    is_empty,
    load_context,
    make_summary,
    reset_database,
)
from greenport.demo.context import DemoContext
from greenport.ingest.demo_services import start_background_services
from greenport.ingest.simulator import SimDevice
from greenport.kernel.errors import DomainError, InvalidInput
from greenport.kernel.labels import label


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
    fast: bool = typer.Option(
        False, "--fast", help="Back-fill a few days of monitoring data instead of a year (tests)."
    ),
    inject: str = typer.Option(
        "",
        "--inject",
        help="Faults the live devices play from 1 to 21 minutes after start, comma-separated: "
        "exceedance, offline, flatline (their alarms appear on the alarm console).",
    ),
) -> None:
    """Build the demo city 港城 if the database is empty, then serve it with live simulated devices.

    Serving starts the web app (GREENPORT_HOST:GREENPORT_PORT), the HJ 212 server
    (GREENPORT_INGEST_PORT, metrics on the next port) and the demo's devices, and prints the
    address and the demo log-ins. Runs only with GREENPORT_MODE=demo or development.
    """
    settings = Settings(database_url=database) if database else get_settings()
    injections = frozenset(x.strip() for x in inject.split(",") if x.strip())
    if injections - LIVE_INJECTIONS:
        fail(
            InvalidInput(
                f"unknown injection(s) {sorted(injections - LIVE_INJECTIONS)}; "
                f"known: {', '.join(sorted(LIVE_INJECTIONS))}",
                field="inject",
            ),
            as_json=as_json,
        )
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
            if as_json:
                ctx, summary = build_demo(container, seed=seed, fast=fast)
            else:
                console.print(
                    f"Building the demo city 港城 (seed {seed}) in {shown_url(settings.database_url)}"
                )
                with _stage_bars() as progress:
                    ctx, summary = build_demo(container, seed=seed, fast=fast, progress=progress)
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
        if not as_json:
            _print_logins(summary)
        return
    serve(container, ctx, summary=None if as_json else summary, inject=injections)


#: The simulator's injections the live demo offers (greenport.ingest.simulator.INJECTIONS).
LIVE_INJECTIONS = frozenset({"exceedance", "offline", "flatline"})


def simulated_devices(ctx: DemoContext) -> list[SimDevice]:
    """Every device of the demo city as the simulator plays it: its MN, its demo password
    (:func:`greenport.demo.credentials.demo_device_password`, kept in ``ctx``) and its site kind."""
    return [SimDevice(d.mn, d.password, d.site_kind) for d in ctx.devices]


def serve(
    container: Container,
    ctx: DemoContext,
    *,
    summary: dict[str, Any] | None = None,
    inject: frozenset[str] = frozenset(),
) -> None:
    """Serve the web app with uvicorn (blocking), with the ingest server and the demo city's
    simulated devices in the background
    (:func:`greenport.ingest.demo_services.start_background_services`); stop those on exit.
    With ``summary``, print where everything listens and the demo log-ins once it is started."""
    import uvicorn

    from greenport.web.app import create_app

    settings = container.settings
    # the served demo's alarm rules: the deployment's file if one is set, else the shipped rules
    # with the demo's short offline silence (greenport.demo.alarms.live_rules)
    rules = alarms_service.rules(settings.alarm_rules) if settings.alarm_rules else live_rules()
    stop = start_background_services(
        container, devices=simulated_devices(ctx), alarm_rules=rules, inject=inject
    )
    app = create_app(settings, container=container)
    if summary is not None:
        _print_ready(settings, summary)
    try:
        # uvicorn's start-up lines and access log would bury the addresses printed above
        uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning", access_log=False)
    finally:
        if stop is not None:
            stop()


#: What each stage's bar says, and the unit it counts (``None``: the stage is one step).
_STAGE_LABELS: dict[str, tuple[str, str | None]] = {
    "registry": ("registry: divisions, parks, 600 enterprises, sites, users", None),
    "assessments": ("assessment runs of towns, departments and firms", None),
    "monitoring": ("monitoring: a year of hourly data", "h"),
    "alarms": ("alarms: the year through the shipped rules", "sites"),
}


@contextmanager
def _stage_bars() -> Iterator[Any]:
    """Rich progress bars, one per stage of :data:`~greenport.demo.build.STAGE_NAMES`; yields
    the ``progress(stage, done, total)`` callback of :func:`~greenport.demo.build.build_demo`."""
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[unit]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as bars:
        tasks = {}
        for name in STAGE_NAMES:
            label, unit = _STAGE_LABELS.get(name, (name, None))
            tasks[name] = bars.add_task(label, total=1, unit=unit or "", start=False)

        def progress(stage: str, done: int, total: int) -> None:
            task = tasks.get(stage)
            if task is None:
                return
            bars.start_task(task)
            counted = bars.tasks[task].total or 1
            if total > 1 or counted == 1:  # a stage's own count replaces the start/end step
                bars.update(task, total=total, completed=done)
            elif done == total:
                bars.update(task, completed=counted)

        yield progress


def _print_summary(summary: dict[str, Any]) -> None:
    console.print(
        f"港城: {summary['towns']} towns/districts, {summary['streets']} streets, {summary['villages']} villages; "
        f"{summary['grid_officers']} grid officers; {summary['parks']['total']} parks; "
        f"{summary['enterprises']} above-scale firms, output {summary['industrial_output_2022_yi']} 亿元 (2022); "
        f"{summary['air_stations']} air stations, {summary['water_sections']} sections + "
        f"{summary['tributaries']} tributaries; {summary['outlets']} outlets; {summary['devices']} devices"
    )
    shares = ", ".join(
        f"{label('industry_group', k)} {v} %" for k, v in summary["output_share_by_industry"].items()
    )
    console.print(f"output shares: {shares}")


def _print_logins(summary: dict[str, Any]) -> None:
    logins = summary.get("logins")
    if not logins:
        return
    console.print("Demo log-ins (demo mode only; these passwords are public):")
    width = max(len(login["username"]) for login in logins)
    for login in logins:
        console.print(
            f"  {login['username']:{width}}  {login['password']}  ({login['role']})", highlight=False
        )


def _print_ready(settings: Settings, summary: dict[str, Any]) -> None:
    """Where the served demo listens: web app, HJ 212 server, metrics; then the log-ins."""
    console.print()
    console.print(f"GreenPort demo:  [bold]http://{settings.host}:{settings.port}[/bold]")
    console.print(f"HJ 212 server:   {settings.ingest_host}:{settings.ingest_port} (TCP)", highlight=False)
    console.print(
        f"metrics:         http://{settings.ingest_host}:{settings.ingest_port + 1}/metrics", highlight=False
    )
    _print_logins(summary)
    console.print("Press Ctrl+C to stop.")


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
