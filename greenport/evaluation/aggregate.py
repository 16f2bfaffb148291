"""Aggregation: weighted arithmetic, geometric and harmonic means, TOPSIS (single and batch), grey relation.

References: evaluation-methods.md §2.3 (aggregation), §2.4 (TOPSIS), §2.5 (grey relational analysis).
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from greenport.evaluation import normalise as norm
from greenport.evaluation._arrays import FloatArray, as_directions, as_matrix, as_weights
from greenport.evaluation.errors import EvaluationError


def weighted_arithmetic(Y: Any, weights: Any, *, reweight_missing: bool = True) -> FloatArray:
    """S_i = Σ_j w_j y_ij / Σ_j w_j (fully compensatory).

    With ``reweight_missing`` a NaN entry drops out and the unit's remaining weights are renormalised
    (COINr ``a_amean``, "available-case"); a unit with no value at all gets NaN.
    """
    matrix = as_matrix(Y, name="Y", allow_nan=True)
    w = as_weights(weights, matrix.shape[1])
    present = ~np.isnan(matrix)
    if not reweight_missing and not present.all():
        raise EvaluationError("missing values in an aggregation without reweighting", field="Y")
    weight_sum = present @ w
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(weight_sum > 0, np.where(present, matrix, 0.0) @ w / weight_sum, np.nan)


def weighted_geometric(Y: Any, weights: Any, *, floor: float | None = None) -> FloatArray:
    """S_i = Π_j y_ij^{w_j} = exp(Σ_j w_j ln y_ij) (partially compensatory; needs y > 0).

    ``floor`` replaces values below it (e.g. 0.01 after min-max, which always holds a 0); without a
    floor a non-positive value is refused. NaN entries are dropped and the weights renormalised.
    """
    matrix = as_matrix(Y, name="Y", allow_nan=True)
    w = as_weights(weights, matrix.shape[1])
    if floor is not None:
        matrix = np.where(np.isnan(matrix), np.nan, np.maximum(matrix, floor))
    if np.any(matrix[~np.isnan(matrix)] <= 0):
        raise EvaluationError("geometric aggregation needs positive values (give a floor)", field="Y")
    present = ~np.isnan(matrix)
    logs = np.where(present, np.log(np.where(present, matrix, 1.0)), 0.0)
    weight_sum = present @ w
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(weight_sum > 0, np.exp(logs @ w / weight_sum), np.nan)


def weighted_harmonic(Y: Any, weights: Any) -> FloatArray:
    """S_i = Σw / Σ(w/y) (needs y > 0) (evaluation-methods.md §2.3)."""
    matrix = as_matrix(Y, name="Y")
    w = as_weights(weights, matrix.shape[1])
    if np.any(matrix <= 0):
        raise EvaluationError("harmonic aggregation needs positive values", field="Y")
    return 1.0 / ((1.0 / matrix) @ w)


def _topsis_parts(X: Any, directions: Any, normalisation: str) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Normalised matrix R and the squared per-indicator gaps to the ideal and anti-ideal (unweighted)."""
    matrix = as_matrix(X)
    signs = as_directions(directions, matrix.shape[1])
    if normalisation == "vector":
        r = norm.vector(matrix)
        best = np.where(signs > 0, r.max(axis=0), r.min(axis=0))
        worst = np.where(signs > 0, r.min(axis=0), r.max(axis=0))
    elif normalisation == "minmax":
        r = norm.minmax(matrix, signs, constant=0.0)
        best = np.where(r.max(axis=0) > 0, 1.0, 0.0)
        worst = np.zeros(matrix.shape[1])
    else:
        raise EvaluationError(
            f"unknown TOPSIS normalisation {normalisation!r}: vector or minmax", field="normalisation"
        )
    return r, (r - best) ** 2, (r - worst) ** 2


def topsis_distances(
    X: Any,
    weights: Any,
    directions: Any = None,
    normalisation: Literal["vector", "minmax"] = "vector",
    *,
    precision: Literal["double", "single"] = "double",
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """TOPSIS distances D⁺, D⁻ and closeness C (see :func:`topsis`); each of shape (units,) or (samples, units).

    ``precision="single"`` does the (samples x n) @ (n x 2m) product in float32: about twice as fast for
    large Monte Carlo batches, closeness accurate to ~1e-6 (enough for rank intervals).
    """
    matrix = as_matrix(X)
    w = as_weights(weights, matrix.shape[1], allow_batch=True, normalise=False)
    _, gap_best, gap_worst = _topsis_parts(matrix, directions, normalisation)
    m = matrix.shape[0]
    dtype: Any = np.float32 if precision == "single" else np.float64
    # v_ij = w_j r_ij and the ideal is w_j·best_j (w >= 0), so D² = Σ_j w_j² (r_ij - best_j)²:
    # one matrix product (samples x n) @ (n x 2m) gives both distances of every unit for all samples.
    gaps: Any = np.concatenate([gap_best, gap_worst]).T.astype(dtype, copy=False)
    squared: Any = (w**2).astype(dtype, copy=False) @ gaps  # sums of non-negative terms: never negative
    np.sqrt(squared, out=squared)
    d_best, d_worst = squared[..., :m], squared[..., m:]
    total = d_best + d_worst
    closeness = np.divide(d_worst, total, out=np.full(total.shape, 0.5, dtype=dtype), where=total > 0)
    return (
        np.asarray(d_best, dtype=np.float64),
        np.asarray(d_worst, dtype=np.float64),
        np.asarray(closeness, dtype=np.float64),
    )


def topsis(
    X: Any,
    weights: Any,
    directions: Any = None,
    normalisation: Literal["vector", "minmax"] = "vector",
    *,
    precision: Literal["double", "single"] = "double",
) -> FloatArray:
    """TOPSIS closeness C_i = D⁻/(D⁺ + D⁻) in [0, 1], higher is better.

    Parameters
    ----------
    X : units x indicators, raw values. [indicator units]
    weights : non-negative, length n, or a batch of shape samples x n (rows need not sum to 1:
        C is unchanged by scaling the weights).
    directions : +1 benefit / -1 cost.
    normalisation : ``"vector"`` (classic r = x/‖x‖, ideal = column max for benefit, min for cost) or
        ``"minmax"`` (direction-aware min-max, ideal 1, anti-ideal 0; pymcdm's default ``TOPSIS()``).

    Returns
    -------
    closeness : shape (units,), or (samples, units) for a batch of weights. [-]

    Notes
    -----
    A unit equal to both ideals (every column constant) gets 0.5. The batch form uses
    D² = (w²) · (r - ideal)², a single matrix product over all samples; ``precision="single"`` runs it
    in float32 (about twice as fast, closeness to ~1e-6).

    References
    ----------
    Hwang & Yoon (1981); evaluation-methods.md §2.4, §3.3.
    """
    return topsis_distances(X, weights, directions, normalisation, precision=precision)[2]


def grey_relational(
    X: Any, weights: Any = None, directions: Any = None, *, rho: float = 0.5, reference: Any = None
) -> FloatArray:
    """Grey relational grade (灰色关联度) with the distinguishing coefficient ρ (default 0.5).

    y = min-max with direction; reference y₀ = 1 (or ``reference`` in normalised units); Δ = |y₀ - y|;
    ξ = (Δmin + ρΔmax)/(Δ + ρΔmax) with Δmin, Δmax over all units and indicators; grade = Σ w ξ
    (equal weights by default). pyDecision's ``gra_method`` divides by the number of units.

    References
    ----------
    Deng (1982); evaluation-methods.md §2.5, §3.3.
    """
    matrix = as_matrix(X)
    n = matrix.shape[1]
    w = as_weights(np.ones(n) if weights is None else weights, n)
    if not rho > 0:
        raise EvaluationError("rho must be positive", field="rho")
    y = norm.minmax(matrix, as_directions(directions, n), constant=1.0)
    ideal = (
        np.ones(n) if reference is None else np.broadcast_to(np.asarray(reference, dtype=np.float64), (n,))
    )
    delta = np.abs(ideal - y)
    d_min, d_max = float(delta.min()), float(delta.max())
    if d_max == 0:
        return np.ones(matrix.shape[0])
    xi = (d_min + rho * d_max) / (delta + rho * d_max)
    return xi @ w


#: Aggregation names accepted by the YAML schema.
METHODS = ("arithmetic", "geometric", "harmonic", "topsis", "topsis_minmax", "grey", "sum")
