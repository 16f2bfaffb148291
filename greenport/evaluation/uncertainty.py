"""Uncertainty and sensitivity analysis: Monte Carlo rank intervals, Saltelli/Jansen Sobol indices.

References
----------
OECD/JRC Handbook (2008) step 7; Saltelli et al. (2010) Comput. Phys. Commun. 181:259-270 (first-order
estimator S_i = mean(y_B (y_ABi - y_A))/Var y); Jansen (1999) (total estimator
ST_i = Σ(y_A - y_ABi)²/(2N Var y)); COINr ``get_sensitivity`` (A/B/AB_i design, N(d + 2) runs);
evaluation-methods.md §1.2, §2.8.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from greenport.evaluation._arrays import FloatArray, as_matrix
from greenport.evaluation.errors import EvaluationError

#: Default relative weight noise: each weight × U(1 - 0.25, 1 + 0.25), renormalised (common JRC choice,
#: marked UNVERIFIED as a standard in evaluation-methods.md §2.8).
WEIGHT_NOISE = 0.25


def ranks_of(scores: Any) -> FloatArray:
    """Ranks (1 = best) of scores along the last axis, higher score better, ties "min". NaN ranks last."""
    s = np.asarray(scores, dtype=np.float64)
    negated = np.where(np.isnan(s), np.inf, -s)
    flat = negated.reshape(-1, negated.shape[-1])
    order = np.argsort(flat, axis=1)  # ties are resolved below, not by sort stability
    ordered = np.take_along_axis(flat, order, axis=1)
    # rank = 1 + number of units with a strictly higher score: ties take the first position of their run
    position = np.broadcast_to(np.arange(flat.shape[1]), flat.shape)
    starts = np.where(np.diff(ordered, axis=1, prepend=np.nan) != 0, position, 0)
    np.maximum.accumulate(starts, axis=1, out=starts)
    out = np.empty(flat.shape)
    np.put_along_axis(out, order, starts + 1.0, axis=1)
    return out.reshape(s.shape)


def perturbed_weights(
    weights: Any, n_samples: int, *, noise: float = WEIGHT_NOISE, seed: int | None = 0
) -> FloatArray:
    """``n_samples`` weight vectors: each weight × U(1 - noise, 1 + noise), renormalised to sum 1."""
    w = np.asarray(weights, dtype=np.float64).ravel()
    rng = np.random.default_rng(seed)
    samples = w * rng.uniform(1.0 - noise, 1.0 + noise, size=(n_samples, w.size))
    return samples / samples.sum(axis=1, keepdims=True)


@dataclass(frozen=True)
class RankIntervals:
    """Per unit: nominal rank, median rank and the 5th-95th percentile interval of ranks over the samples."""

    nominal: FloatArray
    median: FloatArray
    p05: FloatArray
    p95: FloatArray
    mean_abs_shift: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "nominal": self.nominal.tolist(),
            "median": self.median.tolist(),
            "p05": self.p05.tolist(),
            "p95": self.p95.tolist(),
            "mean_abs_shift": self.mean_abs_shift,
        }


def rank_intervals(nominal_scores: Any, sample_scores: Any) -> RankIntervals:
    """Rank intervals from nominal scores (units,) and Monte Carlo scores (samples, units)."""
    nominal = ranks_of(np.asarray(nominal_scores, dtype=np.float64))
    sampled = ranks_of(as_matrix(sample_scores, name="sample_scores", allow_nan=True))
    p05, median, p95 = np.percentile(sampled, [5, 50, 95], axis=0)
    return RankIntervals(
        nominal=nominal,
        median=median,
        p05=p05,
        p95=p95,
        mean_abs_shift=float(np.mean(np.abs(sampled - nominal))),
    )


@dataclass(frozen=True)
class SobolIndices:
    """First-order S and total ST indices per uncertain input (names in order), with the output variance."""

    names: tuple[str, ...]
    first_order: FloatArray
    total: FloatArray
    variance: float
    runs: int

    def to_dict(self) -> dict[str, Any]:
        return {
            name: {"S": float(s), "ST": float(t)}
            for name, s, t in zip(self.names, self.first_order, self.total, strict=True)
        } | {"_variance": self.variance, "_runs": self.runs}


def sobol_indices(
    model: Callable[[FloatArray], FloatArray],
    d: int,
    n: int,
    *,
    names: tuple[str, ...] | None = None,
    seed: int | None = 0,
) -> SobolIndices:
    """Variance-based sensitivity of a scalar output to d independent inputs uniform on [0, 1).

    ``model`` maps a (runs, d) array of unit-cube points to (runs,) outputs (map the cube to each
    input's distribution or discrete choice inside it). Uses the A, B, AB_i design (N(d + 2) runs):
    S_i = mean(y_B (y_ABi - y_A))/V (Saltelli 2010), ST_i = mean((y_A - y_ABi)²)/(2V) (Jansen 1999),
    V = Var([y_A, y_B]).
    """
    if d < 1 or n < 2:
        raise EvaluationError("Sobol indices need d >= 1 inputs and n >= 2 samples", field="n")
    rng = np.random.default_rng(seed)
    A = rng.random((n, d))
    B = rng.random((n, d))
    AB = np.repeat(A[None, :, :], d, axis=0)
    for i in range(d):
        AB[i, :, i] = B[:, i]
    points = np.concatenate([A, B, AB.reshape(d * n, d)])
    y = np.asarray(model(points), dtype=np.float64).ravel()
    if y.shape[0] != points.shape[0]:
        raise EvaluationError("the model must return one output per run", field="model")
    y_a, y_b, y_ab = y[:n], y[n : 2 * n], y[2 * n :].reshape(d, n)
    variance = float(np.var(np.concatenate([y_a, y_b]), ddof=1))
    if variance == 0:
        first = np.zeros(d)
        total = np.zeros(d)
    else:
        first = np.mean(y_b * (y_ab - y_a), axis=1) / variance
        total = np.mean((y_a - y_ab) ** 2, axis=1) / (2.0 * variance)
    return SobolIndices(
        names=names or tuple(f"x{i + 1}" for i in range(d)),
        first_order=first,
        total=total,
        variance=variance,
        runs=int(points.shape[0]),
    )
