"""Root of the ``greenport`` command; each area registers its commands from its own module."""

from __future__ import annotations

import sys
from typing import Any

import typer

from greenport import __version__
from greenport.cli import (
    alarms,
    calendar,
    cases,
    db,
    demo,
    evaluate,
    hj212,
    ingest,
    monitoring,
    notifications,
    registry,
    report,
    serve,
    standards,
    users,
)
from greenport.cli.context import export_app


class _Command(typer.Typer):
    """The root command, run as ``greenport``: a file that cannot be read or written is a one-line
    error with exit status 2, never a traceback (each command checks its paths first; this is the
    net for a path that turns bad while a command runs)."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().__call__(*args, **kwargs)
        except OSError as exc:
            where = f": {exc.filename}" if exc.filename else ""
            sys.stderr.write(f"error: {exc.strerror or exc}{where}\n")
            raise SystemExit(2) from None


app = _Command(
    name="greenport",
    help="GreenPort: monitor, evaluate, allocate, track and simulate a city's green transformation.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    # help texts give units in brackets ("[s]", "[mg/m³]"), which Rich markup would eat as tags
    rich_markup_mode=None,
)

#: CLI modules, each exposing ``register(app)``, in the order their commands are listed.
COMMAND_MODULES = (
    db,
    registry,
    demo,
    hj212,
    standards,
    evaluate,
    ingest,
    monitoring,
    serve,
    report,
    users,
    notifications,
    alarms,
    cases,
    calendar,
)


@app.callback()
def _root() -> None:
    """GreenPort command line. Every command takes --help; most take --json."""


@app.command()
def version() -> None:
    """Print the GreenPort version."""
    typer.echo(__version__)


for _module in COMMAND_MODULES:
    _module.register(app)

app.add_typer(export_app, name="export")
