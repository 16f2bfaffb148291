"""Reading the engine's data tables (``evaluation/data/*.csv``) once, through importlib.resources."""

from __future__ import annotations

import csv
from functools import cache
from importlib import resources


@cache
def read_rows(name: str) -> tuple[dict[str, str], ...]:
    """Rows of ``data/<name>`` as dicts; lines starting with ``#`` are source comments."""
    text = resources.files("greenport.evaluation").joinpath("data", name).read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    return tuple(csv.DictReader(lines))
