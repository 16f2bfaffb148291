"""Denominate: an indicator as a ratio of two raw variables (OECD/JRC handbook step 2, COINr ``Denominate``).

Most of the city's indicators are ratios of two reported figures — tax *per mu*, energy per unit of value
added, GDP *per capita*, R&D over GDP. Declaring the ratio (numerator, denominator, scale, unit) keeps the
raw figures and their units in the run instead of a number computed outside.

value = scale × numerator / denominator   [unit of the ratio]

A missing numerator gives a missing value (the system's missing-data policy then applies). A missing or
zero denominator is never turned into an infinity: under ``zero_denominator: error`` it is an error naming
the unit and the variable, under ``missing`` the value is missing and reported.

References
----------
evaluation-methods.md §1.1 step 2 (denominators make units comparable).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from greenport.evaluation._arrays import FloatArray
from greenport.evaluation.errors import EvaluationError


@dataclass(frozen=True)
class BadDenominator:
    """A unit whose denominator is missing or zero (position in the units, and which of the two)."""

    row: int
    reason: str  # "missing" | "zero"


def denominate(
    numerator: Sequence[float] | FloatArray,
    denominator: Sequence[float] | FloatArray,
    *,
    scale: float = 1.0,
    zero_denominator: str = "error",
    units: Sequence[str] | None = None,
    indicator: str = "ratio",
    denominator_name: str = "denominator",
) -> tuple[FloatArray, list[BadDenominator]]:
    """``scale × numerator / denominator`` per unit; returns (values, units with a bad denominator).

    Raises
    ------
    EvaluationError : under ``zero_denominator="error"``, at the first missing or zero denominator, naming
        the unit (``row`` 1-based, ``unit``) and the denominator variable (``column``).
    """
    num = np.asarray(numerator, dtype=np.float64)
    den = np.asarray(denominator, dtype=np.float64)
    bad = [
        BadDenominator(int(i), "missing" if np.isnan(den[i]) else "zero")
        for i in np.flatnonzero(np.isnan(den) | (den == 0))
    ]
    if bad and zero_denominator == "error":
        first = bad[0]
        unit = units[first.row] if units is not None else str(first.row + 1)
        raise EvaluationError(
            f"unit {unit!r}: {indicator} = {denominator_name} is {first.reason} in the denominator "
            f"({len(bad)} unit(s) in all; set zero_denominator: missing to treat them as missing values)",
            row=first.row + 1,
            column=denominator_name,
            unit=unit,
        )
    if zero_denominator not in ("error", "missing"):
        raise EvaluationError(
            f"unknown zero_denominator policy {zero_denominator!r}", field="zero_denominator"
        )
    safe = np.where(np.isnan(den) | (den == 0), np.nan, den)
    return scale * num / safe, bad
