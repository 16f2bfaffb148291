"""What every command shares: the console, JSON output, the error exit, the container and the `export` group."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from greenport.bootstrap import Container, build
from greenport.config import Settings
from greenport.kernel.errors import DomainError, RowError

#: Width of human output when it is not a terminal (piped, redirected, tests): wide enough that
#: no line of a listing is cut or wrapped; in a terminal Rich follows the terminal's width.
PIPE_WIDTH = 200


def _console(*, stderr: bool = False) -> Console:
    stream = sys.stderr if stderr else sys.stdout
    width = None if stream.isatty() else PIPE_WIDTH
    # soft_wrap: a long line is left for the terminal to wrap, never cut or broken by Rich
    return Console(stderr=stderr, width=width, soft_wrap=True)


console = _console()
err_console = _console(stderr=True)

#: Shared command groups that several feature modules add commands to.
export_app = typer.Typer(help="Export data: templates, observations, tables.", no_args_is_help=True)


def print_json(payload: Any) -> None:
    sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2, default=str) + "\n")


#: Row errors printed by a human-readable error; the rest are counted (``--report`` has them all).
ROW_ERRORS_SHOWN = 50


def print_row_errors(errors: Sequence[RowError]) -> None:
    """Each row error on its own line (row, column, reason), at most :data:`ROW_ERRORS_SHOWN`."""
    for row_error in errors[:ROW_ERRORS_SHOWN]:
        err_console.print(
            f"  row {row_error.row}, column {row_error.column!r}: {row_error.message}",
            markup=False,
            highlight=False,
        )
    if len(errors) > ROW_ERRORS_SHOWN:
        err_console.print(f"  ... and {len(errors) - ROW_ERRORS_SHOWN} more", highlight=False)


def fail(error: DomainError | str, *, as_json: bool = False, code: int = 2) -> NoReturn:
    """Report an error (as JSON on stdout with ``--json``, else on stderr) and exit with ``code``."""
    if isinstance(error, DomainError):
        if as_json:
            print_json(error.to_dict())
        else:
            # an unreadable file is said in one line; its field name means nothing to a reader
            text = error.message if error.field == "file" and error.row is None else str(error)
            err_console.print(f"[red]error:[/red] {escape(text)}", highlight=False)
            print_row_errors(getattr(error, "errors", []))
    elif as_json:
        print_json({"error": error})
    else:
        err_console.print(f"[red]error:[/red] {escape(error)}", highlight=False)
    raise typer.Exit(code)


def readable_file(path: Path, *, as_json: bool = False) -> Path:
    """``path`` if it is a readable file; otherwise a one-line error (exit 2) saying what is wrong."""
    if not path.exists():
        fail(f"no such file: {path}", as_json=as_json)
    if path.is_dir():
        fail(f"{path} is a folder, not a file", as_json=as_json)
    try:
        with path.open("rb"):
            pass
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror or exc}", as_json=as_json)
    return path


def writable_path(path: Path, *, as_json: bool = False) -> Path:
    """``path`` if a file can be written there (its folder exists); otherwise a one-line error."""
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        fail(f"cannot write {path}: the folder {folder} does not exist", as_json=as_json)
    if path.is_dir():
        fail(f"cannot write {path}: it is a folder", as_json=as_json)
    return path


def shown_url(url: str) -> str:
    """A database URL as it may be printed: any password replaced by ``***``."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def container(database_url: str | None = None, *, migrate: bool = True) -> Container:
    settings = Settings(database_url=database_url) if database_url else None
    return build(settings, migrate=migrate)
