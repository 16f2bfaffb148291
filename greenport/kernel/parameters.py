"""The canonical parameter registry: one code per measured quantity, with its canonical unit.

Every other part of GreenPort (protocol factor codes, standards tables, observations, indicator
systems) speaks these codes. The table lives in ``kernel/data/parameters.csv``; device protocols
map their own codes onto it at the I/O edge (see ``greenport.protocol.codes``).

Canonical units follow the standards that judge the values: ambient air in µg/m³ except CO in
mg/m³ (HJ 633-2012 Table 1, GB 3095-2012 Table 1); flue gas in mg/m³ at standard conditions, dry
(HJ 75-2017); water in mg/L (GB 3838-2002 Table 1).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True, slots=True)
class Parameter:
    code: str
    name_zh: str
    name_en: str
    unit: str
    medium: str
    dimension: str


@cache
def registry() -> dict[str, Parameter]:
    """All canonical parameters by code, read once from ``kernel/data/parameters.csv``."""
    text = resources.files("greenport.kernel").joinpath("data/parameters.csv").read_text(encoding="utf-8")
    return {row["code"]: Parameter(**row) for row in csv.DictReader(text.splitlines())}


def parameter(code: str) -> Parameter:
    """Look up a canonical parameter; an unknown code lists the valid ones."""
    try:
        return registry()[code]
    except KeyError:
        raise ValueError(f"unknown parameter {code!r}; known: {', '.join(sorted(registry()))}") from None


def canonical_unit(code: str) -> str:
    return parameter(code).unit


@cache
def plausible_ranges() -> dict[str, tuple[float, float]]:
    """Canonical parameter -> (low, high) [its canonical unit]: the values an instrument can
    produce, read once from ``kernel/data/parameter_ranges.csv``.

    The bounds are generous physical limits (tens of instrument spans of HJ 193-2013, HJ 653-2013,
    HJ 75/76-2017, HJ 353/355-2019; a pure gas for flue concentrations; the world's weather records
    for meteorology), each with its rationale in the file's ``source`` column; the lows allow an
    analyser's zero drift below 0. A value outside them is a fault or an attack, never a
    measurement; ingest refuses it (``bad_value``) so that it never reaches a standard's arithmetic.
    """
    text = (
        resources.files("greenport.kernel").joinpath("data/parameter_ranges.csv").read_text(encoding="utf-8")
    )
    ranges: dict[str, tuple[float, float]] = {}
    for row in csv.DictReader(text.splitlines()):
        low, high = float(row["low"]), float(row["high"])
        if not low < high:
            raise ValueError(f"parameter_ranges.csv: {row['code']}: low {low} is not below high {high}")
        ranges[row["code"]] = (low, high)
    return ranges
