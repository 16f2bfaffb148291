"""What every command shares: the console, JSON output, the error exit, the container and the `export` group."""

from __future__ import annotations

import json
import sys
from typing import Any, NoReturn

import typer
from rich.console import Console

from greenport.bootstrap import Container, build
from greenport.config import Settings
from greenport.kernel.errors import DomainError

console = Console()
err_console = Console(stderr=True)

#: Shared command groups that several feature modules add commands to.
export_app = typer.Typer(help="Export data: templates, observations, tables.", no_args_is_help=True)


def print_json(payload: Any) -> None:
    sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2, default=str) + "\n")


def fail(error: DomainError | str, *, as_json: bool = False, code: int = 2) -> NoReturn:
    """Report an error (as JSON on stdout with ``--json``, else on stderr) and exit with ``code``."""
    if isinstance(error, DomainError):
        if as_json:
            print_json(error.to_dict())
        else:
            err_console.print(f"[red]error:[/red] {error}")
            for row_error in getattr(error, "errors", [])[:50]:
                err_console.print(f"  row {row_error.row}, column {row_error.column!r}: {row_error.message}")
    elif as_json:
        print_json({"error": error})
    else:
        err_console.print(f"[red]error:[/red] {error}")
    raise typer.Exit(code)


def container(database_url: str | None = None, *, migrate: bool = True) -> Container:
    settings = Settings(database_url=database_url) if database_url else None
    return build(settings, migrate=migrate)
