"""``greenport hj212 parse|build``: the HJ 212 codec on the command line.

``parse [FILE] [--json] [--allow-crc-variant modbus-swapped]``
    Reads frames, one per line, from FILE or stdin, and prints **one JSON object per input
    line** (JSON Lines, in input order): the decoded message (``greenport.protocol.dicts``
    shape, plus ``"line"``), or an error object ``{"line", "error", "type", "field",
    "reply_hint", ...}``. Blank lines and ``#`` comment lines (not ``##``) are skipped. Exit
    status 2 if any line failed. The output is JSON with or without ``--json`` (the flag is
    accepted for uniformity with the other commands).
``build [--file FILE]``
    Reads one JSON object, a JSON array of objects, or JSON Lines (e.g. the output of
    ``parse``) from FILE or stdin and prints one frame per object (without CR LF, one per line,
    ready for ``parse``). A missing ``qn`` key gets a fresh QN from the clock (``"qn": null``
    writes none); a missing ``flag`` means 5. Errors go to stderr as JSON objects with ``error``, ``field`` and
    ``line`` (the object's 1-based position); exit status 2 if any object failed.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer

from greenport.cli.context import fail
from greenport.kernel.time import utcnow
from greenport.protocol import (
    CrcVariant,
    ProtocolError,
    decode,
    encode,
    make_qn,
    message_from_dict,
    message_to_dict,
)

hj212_app = typer.Typer(
    help="HJ 212 codec: parse frames to JSON, build frames from JSON.", no_args_is_help=True
)


def _variants(names: list[str]) -> frozenset[CrcVariant]:
    variants = set()
    for name in names:
        try:
            variants.add(CrcVariant(name.strip().lower().replace("_", "-")))
        except ValueError:
            fail(
                f"unknown CRC variant {name!r}; choose from {', '.join(v.value for v in CrcVariant)}",
                as_json=True,
            )
    return frozenset(variants)


def _lines(file: Path | None) -> Iterator[tuple[int, bytes]]:
    if file is None:
        source = sys.stdin.buffer.read()
    else:
        try:
            source = file.read_bytes()
        except OSError as exc:
            fail(f"cannot read {file}: {exc.strerror}", as_json=True)
    source = source.removeprefix(b"\xef\xbb\xbf")  # a UTF-8 byte-order mark from Windows editors
    for number, line in enumerate(source.splitlines(), start=1):
        line = line.strip()
        if not line or (line.startswith(b"#") and not line.startswith(b"##")):
            continue
        yield number, line


def _emit(payload: dict[str, Any], stream: Any = None) -> None:
    (stream or sys.stdout).write(json.dumps(payload, ensure_ascii=False) + "\n")


@hj212_app.command("parse")
def parse(
    file: Path | None = typer.Argument(None, help="File with one frame per line (default: stdin)."),
    as_json: bool = typer.Option(
        True, "--json/--no-json", help="JSON Lines output (always on; kept for uniformity)."
    ),
    allow_crc_variant: list[str] = typer.Option(
        [], "--allow-crc-variant", help="Also accept this CRC variant (modbus-swapped, modbus); repeatable."
    ),
) -> None:
    """Decode frames (one per line) and print each as a JSON object per line; exit 2 if any failed."""
    variants = _variants(allow_crc_variant)
    failed = 0
    for number, line in _lines(file):
        try:
            message = decode(line, allow_crc_variants=variants)
        except ProtocolError as exc:
            failed += 1
            body = exc.to_dict()
            body.pop("row", None)
            _emit({"line": number, **body, "frame": line.decode("utf-8", errors="replace")})
            continue
        _emit({"line": number, **message_to_dict(message)})
    if failed:
        raise typer.Exit(2)


def _objects(text: str) -> list[Any]:
    stripped = text.strip()
    if not stripped:
        return []
    try:
        whole = json.loads(stripped)
    except json.JSONDecodeError:
        objects = []
        for number, line in enumerate(stripped.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                objects.append(json.loads(line))
            except json.JSONDecodeError as exc:
                fail(f"line {number}: not JSON: {exc.msg}", as_json=True)
        return objects
    return whole if isinstance(whole, list) else [whole]


@hj212_app.command("build")
def build(
    file: Path | None = typer.Option(None, "--file", "-f", help="JSON file (default: stdin)."),
    as_json: bool = typer.Option(True, "--json/--no-json", help="Errors as JSON objects (always on)."),
) -> None:
    """Build frames from JSON data uploads (object, array or JSON Lines); one frame per line."""
    try:
        text = sys.stdin.read() if file is None else file.read_text(encoding="utf-8")
    except OSError as exc:
        fail(f"cannot read {file}: {exc.strerror}", as_json=True)
    failed = 0
    for number, item in enumerate(_objects(text), start=1):
        if isinstance(item, dict) and "error" in item and "st" not in item:
            failed += 1
            _emit({"line": number, "error": "input object is an error report, not a message"}, sys.stderr)
            continue
        if isinstance(item, dict) and "qn" not in item:
            item = {**item, "qn": make_qn(utcnow())}  # absent: a fresh QN; null: no QN (2005 style)
        try:
            frame = encode(message_from_dict(item))
        except ProtocolError as exc:
            failed += 1
            body = exc.to_dict()
            body.pop("row", None)
            _emit({"line": number, **body}, sys.stderr)
            continue
        sys.stdout.write(frame[:-2].decode("utf-8") + "\n")
    if failed:
        raise typer.Exit(2)


def register(app: typer.Typer) -> None:
    app.add_typer(hj212_app, name="hj212")
