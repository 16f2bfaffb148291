"""Root of the ``greenport`` command; each area registers its commands from its own module."""

from __future__ import annotations

import importlib

import typer

from greenport import __version__
from greenport.cli._common import export_app

app = typer.Typer(
    name="greenport",
    help="GreenPort: monitor, evaluate, allocate, track and simulate a city's green transformation.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    # help texts give units in brackets ("[s]", "[mg/m³]"), which Rich markup would eat as tags
    rich_markup_mode=None,
)

#: CLI modules, each exposing ``register(app)``; a module not written yet is skipped.
COMMAND_MODULES: tuple[str, ...] = (
    "greenport.cli.db",
    "greenport.cli.registry",
    "greenport.cli.demo",
    "greenport.cli.hj212",
    "greenport.cli.standards",
    "greenport.cli.evaluate",
    "greenport.cli.ingest",
    "greenport.cli.monitoring",
    "greenport.cli.serve",
    "greenport.cli.report",
    "greenport.cli.users",
)


@app.callback()
def _root() -> None:
    """GreenPort command line. Every command takes --help; most take --json."""


@app.command()
def version() -> None:
    """Print the GreenPort version."""
    typer.echo(__version__)


for _name in COMMAND_MODULES:
    try:
        _module = importlib.import_module(_name)
    except ModuleNotFoundError as exc:
        if exc.name != _name:
            raise
        continue
    _module.register(app)

app.add_typer(export_app, name="export")
