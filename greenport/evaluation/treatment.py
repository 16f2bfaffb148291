"""Data treatment before normalisation: missing data policies and outliers (COINr-style winsorisation).

References
----------
evaluation-methods.md §1.1 step 3 (imputation), §1.2 (COINr ``Treat``: flag if |skew| > 2 **and**
kurtosis > 3.5, winsorise up to 5 points, else log transform), §3.6 (winsorisation example).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from greenport.evaluation._arrays import FloatArray, as_matrix
from greenport.evaluation.errors import EvaluationError

#: COINr ``Treat`` thresholds: treat an indicator when |skewness| > 2 and excess kurtosis > 3.5.
SKEW_LIMIT = 2.0
KURTOSIS_LIMIT = 3.5
#: COINr's default maximum number of winsorised points per indicator.
MAX_WINSORISED = 5

#: Missing-data policies an indicator system may declare.
MISSING_POLICIES = ("refuse", "reweight", "impute_group_mean", "impute_mean")


def skewness(x: Any) -> float:
    """Adjusted Fisher-Pearson skewness G1 (sample, as e1071 type 2 / COINr). NaN ignored. [-]"""
    v = np.asarray(x, dtype=np.float64)
    v = v[~np.isnan(v)]
    n = v.size
    if n < 3:
        return 0.0
    d = v - v.mean()
    m2 = np.mean(d**2)
    if m2 == 0:
        return 0.0
    g1 = np.mean(d**3) / m2**1.5
    return float(g1 * np.sqrt(n * (n - 1)) / (n - 2))


def kurtosis(x: Any) -> float:
    """Bias-corrected excess kurtosis G2 (sample, as e1071 type 2 / COINr). NaN ignored. [-]"""
    v = np.asarray(x, dtype=np.float64)
    v = v[~np.isnan(v)]
    n = v.size
    if n < 4:
        return 0.0
    d = v - v.mean()
    m2 = np.mean(d**2)
    if m2 == 0:
        return 0.0
    g2 = np.mean(d**4) / m2**2 - 3.0
    return float(((n + 1) * g2 + 6) * (n - 1) / ((n - 2) * (n - 3)))


def needs_treatment(x: Any) -> bool:
    """True when |skew| > 2 and kurtosis > 3.5 (both thresholds, COINr ``Treat``)."""
    return abs(skewness(x)) > SKEW_LIMIT and kurtosis(x) > KURTOSIS_LIMIT


@dataclass
class Treatment:
    """What winsorisation did to one indicator."""

    values: FloatArray
    changed: list[int] = field(default_factory=list)
    method: str = "none"
    skew_before: float = 0.0
    kurtosis_before: float = 0.0
    skew_after: float = 0.0
    kurtosis_after: float = 0.0


def winsorise(x: Any, *, max_points: int = MAX_WINSORISED, log_fallback: bool = True) -> Treatment:
    """COINr-style iterative winsorisation of one indicator.

    While the indicator fails the skew/kurtosis rule and fewer than ``max_points`` values have been
    changed, replace the single most extreme value on the skewed side by the next value inward. If it still
    fails, apply log(x - min + 0.01·(max - min)) (COINr ``log_CT``) when ``log_fallback``.
    """
    values = np.asarray(x, dtype=np.float64).copy()
    result = Treatment(values=values, skew_before=skewness(values), kurtosis_before=kurtosis(values))
    changed: list[int] = []
    while needs_treatment(values) and len(changed) < max_points:
        valid = np.flatnonzero(~np.isnan(values))
        order = valid[np.argsort(values[valid], kind="stable")]
        if skewness(values) > 0:
            extreme, inner = order[-1], order[-2]
        else:
            extreme, inner = order[0], order[1]
        values[extreme] = values[inner]
        changed.append(int(extreme))
        result.method = "winsorise"
    if needs_treatment(values) and log_fallback:
        original = np.asarray(x, dtype=np.float64)
        low, high = np.nanmin(original), np.nanmax(original)
        values = np.log(original - low + 0.01 * (high - low))
        changed = []
        result.method = "log"
    result.values = values
    result.changed = changed
    result.skew_after = skewness(values)
    result.kurtosis_after = kurtosis(values)
    return result


def impute(
    X: Any, *, policy: str = "refuse", groups: Sequence[Any] | None = None, names: Sequence[str] | None = None
) -> tuple[FloatArray, list[tuple[int, int]]]:
    """Apply a missing-data policy to a units x indicators matrix; returns (matrix, imputed cells).

    * ``refuse``: any NaN raises an error naming the unit row and indicator;
    * ``reweight``: NaN stays (aggregation renormalises the remaining weights, COINr ``a_amean``);
    * ``impute_mean``: NaN ← the indicator's mean over all units;
    * ``impute_group_mean``: NaN ← the mean of the unit's group (COINr ``i_mean_grp``), falling back to the
      overall mean when the whole group is missing.

    An indicator with no value at all cannot be imputed and is refused.
    """
    matrix = as_matrix(X, allow_nan=True).copy()
    missing = np.isnan(matrix)
    if not missing.any() or policy == "reweight":
        return matrix, []
    cells = [(int(i), int(j)) for i, j in np.argwhere(missing)]
    label = (lambda j: names[j]) if names is not None else (lambda j: f"indicator {j}")
    if policy == "refuse":
        i, j = cells[0]
        raise EvaluationError(
            f"unit row {i + 1}, {label(j)}: value missing and the system's policy is 'refuse' "
            f"({len(cells)} missing cell(s) in all)",
            row=i + 1,
            column=label(j),
        )
    empty = np.flatnonzero(missing.all(axis=0))
    if empty.size:
        raise EvaluationError(
            f"{label(int(empty[0]))} has no value for any unit: cannot impute", column=label(int(empty[0]))
        )
    overall = np.nanmean(matrix, axis=0)
    if policy == "impute_mean":
        matrix[missing] = np.take(overall, np.argwhere(missing)[:, 1])
        return matrix, cells
    if policy != "impute_group_mean":
        raise EvaluationError(
            f"unknown missing-data policy {policy!r}: {', '.join(MISSING_POLICIES)}", field="missing"
        )
    if groups is None or len(groups) != matrix.shape[0]:
        raise EvaluationError("impute_group_mean needs one group label per unit", field="groups")
    labels = np.asarray([str(g) for g in groups])
    for group in np.unique(labels):
        rows = labels == group
        block = matrix[rows]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a group missing a whole column
            means = np.nanmean(block, axis=0)
        means = np.where(np.isnan(means), overall, means)
        holes = np.isnan(block)
        block[holes] = np.take(means, np.argwhere(holes)[:, 1])
        matrix[rows] = block
    return matrix, cells
