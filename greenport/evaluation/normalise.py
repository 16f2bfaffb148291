"""Normalisation of indicator matrices (units x indicators) with direction handling.

Every function takes the raw matrix ``X`` [indicator units] and ``directions`` (+1 benefit 正向,
-1 cost 逆向) and returns a matrix of the same shape in which *higher is better*.

Policies (evaluation-methods.md §1.4, §6):

* a constant column (max = min) is undefined for min-max; GreenPort gives it ``constant`` (default 1.0:
  nobody is behind anybody, so no unit is penalised and the column carries no obstacle);
* z-scores use the sample standard deviation (ddof = 1), as COINr and Compind do; a constant column gives 0;
* ranks use the "min" tie method (COINr ``n_rank``).

NaN entries are allowed and stay NaN (missing-data policy is applied by the caller).

References
----------
OECD/JRC (2008) Handbook on Constructing Composite Indicators, §5; COINr 1.1.14 ``Normalise``;
evaluation-methods.md §2.1.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from greenport.evaluation._arrays import FloatArray, as_directions, as_matrix
from greenport.evaluation.errors import EvaluationError


def _prep(X: Any, directions: Any) -> tuple[FloatArray, FloatArray]:
    matrix = as_matrix(X, allow_nan=True)
    return matrix, as_directions(directions, matrix.shape[1])


def minmax(X: Any, directions: Any = None, *, constant: float = 1.0) -> FloatArray:
    """Min-max (极差) normalisation to [0, 1] with direction.

    Benefit: (x - min)/(max - min); cost: (max - x)/(max - min) (evaluation-methods.md §2.1).

    Parameters
    ----------
    X : units x indicators. [indicator units]
    directions : +1/-1 per indicator (default all benefit).
    constant : value given to a constant column. [-]
    """
    matrix, signs = _prep(X, directions)
    low = np.nanmin(matrix, axis=0)
    high = np.nanmax(matrix, axis=0)
    span = high - low
    with np.errstate(invalid="ignore", divide="ignore"):
        benefit = (matrix - low) / span
        cost = (high - matrix) / span
    out = np.where(signs > 0, benefit, cost)
    flat = span == 0
    out[:, flat] = np.where(np.isnan(matrix[:, flat]), np.nan, constant)
    return out


def zscore(X: Any, directions: Any = None, *, ddof: int = 1) -> FloatArray:
    """Z-score: s·(x - mean)/sd with sample sd (ddof = 1) (evaluation-methods.md §2.1). [-]"""
    matrix, signs = _prep(X, directions)
    mean = np.nanmean(matrix, axis=0)
    count = np.sum(~np.isnan(matrix), axis=0)
    if np.any(count <= ddof):
        raise EvaluationError(f"z-score needs more than {ddof} value(s) per indicator", field="X")
    sd = np.nanstd(matrix, axis=0, ddof=ddof)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = signs * (matrix - mean) / sd
    out[:, sd == 0] = np.where(np.isnan(matrix[:, sd == 0]), np.nan, 0.0)
    return out


def distance_to_target(X: Any, directions: Any, targets: Any, *, cap: bool = True) -> FloatArray:
    """Distance to target, COINr ``n_dist2targ`` form.

    Benefit: (x - min)/(T - min); cost: (max - x)/(max - T); capped at 1 with ``cap``
    (evaluation-methods.md §2.1). A target on the wrong side of the data gives negative values, as in
    COINr; a target equal to the worst value is refused.
    """
    matrix, signs = _prep(X, directions)
    target = np.broadcast_to(np.asarray(targets, dtype=np.float64), (matrix.shape[1],))
    low = np.nanmin(matrix, axis=0)
    high = np.nanmax(matrix, axis=0)
    denominator = np.where(signs > 0, target - low, high - target)
    if np.any(denominator == 0):
        j = int(np.argmax(denominator == 0))
        raise EvaluationError(
            f"indicator {j}: target equals the worst value, distance undefined", field="targets"
        )
    out = np.where(signs > 0, matrix - low, high - matrix) / denominator
    return np.minimum(out, 1.0) if cap else out


def ratio_to_target(X: Any, directions: Any, targets: Any, *, cap: float | None = 1.0) -> FloatArray:
    """Ratio to target or benchmark (实现程度, 亩均 ratio): x/T (benefit), T/x (cost), capped at ``cap``.

    Used by the Chinese realisation-degree monitoring and per-mu scoring (evaluation-methods.md §4.1, §4.3).
    A cost value of 0 is the best possible value and gets ``cap`` (or +inf without a cap).
    """
    matrix, signs = _prep(X, directions)
    target = np.broadcast_to(np.asarray(targets, dtype=np.float64), (matrix.shape[1],))
    if np.any(target == 0):
        raise EvaluationError("a target/benchmark of 0 makes the ratio undefined", field="targets")
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(signs > 0, matrix / target, target / matrix)
    if cap is not None:
        out = np.minimum(out, cap)
    return out


def goalposts(X: Any, directions: Any, lower: Any, upper: Any, *, scale: float = 1.0) -> FloatArray:
    """Goalposts (HDI style): clip((x - L)/(U - L), 0, 1)·scale; cost: clip((x - U)/(L - U), 0, 1)·scale.

    Fixed goalposts keep scores comparable over time (evaluation-methods.md §2.1).
    """
    matrix, signs = _prep(X, directions)
    n = matrix.shape[1]
    low = np.broadcast_to(np.asarray(lower, dtype=np.float64), (n,))
    high = np.broadcast_to(np.asarray(upper, dtype=np.float64), (n,))
    if np.any(high == low):
        raise EvaluationError("goalposts need lower != upper", field="goalposts")
    out = np.where(signs > 0, (matrix - low) / (high - low), (matrix - high) / (low - high))
    return np.clip(out, 0.0, 1.0) * scale


def _rank_column(column: FloatArray) -> FloatArray:
    """Ascending ranks 1..m with ties "min"; NaN stays NaN."""
    out = np.full(column.shape, np.nan)
    valid = ~np.isnan(column)
    values = column[valid]
    order = np.sort(values)
    out[valid] = np.searchsorted(order, values, side="left") + 1
    return out


def rank(X: Any, directions: Any = None) -> FloatArray:
    """Rank normalisation (COINr ``n_rank``): ascending rank of s·x, ties "min"; best gets m. [-]"""
    matrix, signs = _prep(X, directions)
    signed = matrix * signs
    return np.column_stack([_rank_column(signed[:, j]) for j in range(matrix.shape[1])])


def percentile_rank(X: Any, directions: Any = None) -> FloatArray:
    """Percentile rank (COINr ``n_prank``): (rank - 1)/(m - 1) in [0, 1]; a single unit gets 1. [-]"""
    ranks = rank(X, directions)
    count = np.sum(~np.isnan(ranks), axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = (ranks - 1.0) / (count - 1.0)
    out[:, count <= 1] = np.where(np.isnan(ranks[:, count <= 1]), np.nan, 1.0)
    return out


def vector(X: Any) -> FloatArray:
    """Vector normalisation x/sqrt(sum x²) (TOPSIS; direction is handled at the ideal-point stage)."""
    matrix = as_matrix(X, allow_nan=True)
    norm = np.sqrt(np.nansum(matrix**2, axis=0))
    with np.errstate(invalid="ignore", divide="ignore"):
        out = matrix / norm
    out[:, norm == 0] = 0.0
    return out


def threshold_points(values: Any, thresholds: Any, points: Any, *, direction: float = 1.0) -> FloatArray:
    """Stepped (threshold) points: the points of the highest threshold reached.

    For a benefit indicator, ``x >= thresholds[k]`` earns ``points[k]`` (thresholds in any order, the
    best reached step counts); for a cost indicator ``x <= thresholds[k]``. No step reached gives 0.
    NaN stays NaN.

    Parameters
    ----------
    values : raw values. [indicator unit]
    thresholds : step boundaries. [indicator unit]
    points : points of each step. [points]
    """
    x = np.asarray(values, dtype=np.float64)
    t = np.asarray(thresholds, dtype=np.float64).ravel()
    p = np.asarray(points, dtype=np.float64).ravel()
    if t.shape != p.shape or t.size == 0:
        raise EvaluationError("threshold points need as many points as thresholds", field="steps")
    reached = (x[..., None] >= t) if direction > 0 else (x[..., None] <= t)
    earned = np.where(reached, p, 0.0).max(axis=-1)
    return np.where(np.isnan(x), np.nan, earned)


def target_closeness(X: Any, targets: Any) -> FloatArray:
    """Closeness to a target value for 'target' (适度) indicators: 1 - |x - T|/max|x - T|.

    The unit at the target gets 1, the farthest gets 0; all units at the target get 1.
    """
    matrix = as_matrix(X, allow_nan=True)
    target = np.broadcast_to(np.asarray(targets, dtype=np.float64), (matrix.shape[1],))
    deviation = np.abs(matrix - target)
    worst = np.nanmax(deviation, axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = 1.0 - deviation / worst
    out[:, worst == 0] = np.where(np.isnan(matrix[:, worst == 0]), np.nan, 1.0)
    return out


#: Method names accepted by :func:`normalise` and in the YAML schema.
METHODS = ("minmax", "zscore", "target", "ratio", "goalposts", "rank", "percentile", "vector", "closeness")


def normalise(X: Any, directions: Any = None, method: str = "minmax", **params: Any) -> FloatArray:
    """Dispatch to a normalisation by name (one of :data:`METHODS`)."""
    if method == "minmax":
        return minmax(X, directions, **params)
    if method == "zscore":
        return zscore(X, directions, **params)
    if method == "target":
        return distance_to_target(X, directions, params.pop("targets"), **params)
    if method == "ratio":
        return ratio_to_target(X, directions, params.pop("targets"), **params)
    if method == "goalposts":
        return goalposts(X, directions, params.pop("lower"), params.pop("upper"), **params)
    if method == "rank":
        return rank(X, directions)
    if method == "percentile":
        return percentile_rank(X, directions)
    if method == "vector":
        return vector(X)
    if method == "closeness":
        return target_closeness(X, params.pop("targets"))
    raise EvaluationError(
        f"unknown normalisation {method!r}; choose one of {', '.join(METHODS)}", field="method"
    )
