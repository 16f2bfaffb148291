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
