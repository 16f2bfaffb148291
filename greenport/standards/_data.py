"""Read the package's data tables (CSV with ``#`` header comments naming the source).

Every table of limits, breakpoints or codes lives in ``greenport/standards/data/``; this module is
the one place that reads them, once, and hands out plain rows.
"""

from __future__ import annotations

import csv
from functools import cache
from importlib import resources


@cache
def read_rows(name: str) -> tuple[dict[str, str], ...]:
    """Rows of ``data/<name>`` as dicts of stripped strings; ``#`` lines are comments."""
    text = resources.files("greenport.standards").joinpath("data", name).read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return tuple(
        {key.strip(): (value or "").strip() for key, value in row.items()} for row in csv.DictReader(lines)
    )


@cache
def source_of(name: str) -> str:
    """The ``# source:`` comment of a data file (joined over continuation lines)."""
    text = resources.files("greenport.standards").joinpath("data", name).read_text(encoding="utf-8")
    parts: list[str] = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        parts.append(line.lstrip("#").strip())
    return " ".join(parts).removeprefix("source:").strip()
