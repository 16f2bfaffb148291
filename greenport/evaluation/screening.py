"""Screening of units by data availability (OECD/JRC handbook step 3, COINr ``Screen`` by missing data).

A unit with too few indicators reported is listed with its share and left out of imputation,
normalisation, weighting and ranking: it is not ranked on imputed values. Availability is measured on the
data as given (after denominating, before imputation), as COINr screens its raw data set:

share = (number of scored indicators with a value) / (number of scored indicators)

and, when an aggregate level is declared, the same share within every aggregate at that level. The JRC's
rule of thumb is at least ~65 % coverage per unit (COIN Tool FAQ, evaluation-methods.md §1.1 step 3).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from greenport.evaluation._arrays import FloatArray

BoolArray = np.ndarray[tuple[int, ...], np.dtype[np.bool_]]


@dataclass(frozen=True)
class ScreenedUnit:
    """A unit left out: its overall share and the aggregates below their minimum share."""

    row: int
    share: float
    failing: dict[str, float] = field(default_factory=dict)


def availability(values: FloatArray) -> FloatArray:
    """Share of non-missing values per row of a units x indicators matrix. [0-1]"""
    if values.shape[1] == 0:
        return np.ones(values.shape[0])
    return np.mean(~np.isnan(values), axis=1)


def screen_units(
    values: FloatArray,
    *,
    min_share: float,
    aggregates: Mapping[str, Sequence[int]] | None = None,
    aggregate_min_share: float | None = None,
) -> tuple[BoolArray, list[ScreenedUnit]]:
    """(keep mask, screened units): a unit is kept when its share >= ``min_share`` and, if given, its share in
    every aggregate (columns listed per aggregate id) >= ``aggregate_min_share``."""
    share = availability(values)
    keep = share >= min_share - 1e-12
    failing: list[dict[str, float]] = [{} for _ in range(values.shape[0])]
    if aggregates and aggregate_min_share is not None:
        for node_id, columns in aggregates.items():
            node_share = availability(values[:, list(columns)])
            for i in np.flatnonzero(node_share < aggregate_min_share - 1e-12):
                failing[int(i)][node_id] = float(node_share[i])
                keep[i] = False
    screened = [ScreenedUnit(int(i), float(share[i]), failing[int(i)]) for i in np.flatnonzero(~keep)]
    return keep, screened
