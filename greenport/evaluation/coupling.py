"""Coupling coordination degree model (耦合协调度) for 2..n subsystems, with the 10-level grading.

References: evaluation-methods.md §2.6 and §3.5; Wang Shujia et al., 自然资源学报 2021, 36(3):793-810
(catalogue of erroneous forms; modified C); Tian et al., 地理学报 2021 (ten levels).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np

from greenport.evaluation._arrays import FloatArray
from greenport.evaluation._tables import read_rows
from greenport.evaluation.errors import EvaluationError


def _scores(subsystem_scores: Any) -> tuple[FloatArray, bool]:
    array = np.asarray(subsystem_scores, dtype=np.float64)
    single = array.ndim == 1
    if single:
        array = array[None, :]
    if array.ndim != 2 or array.shape[1] < 2:
        raise EvaluationError(
            "coupling needs subsystem scores of shape (n,) or (units, n) with n >= 2",
            field="subsystem_scores",
        )
    if not np.all(np.isfinite(array)) or np.any(array < 0) or np.any(array > 1):
        raise EvaluationError("subsystem scores must lie in [0, 1]", field="subsystem_scores")
    return array, single


def coupling_coordination(
    subsystem_scores: Any, weights: Any = None, *, modified: bool = False
) -> tuple[Any, Any, Any]:
    """Coupling degree C, comprehensive index T and coordination degree D = √(C·T).

    Parameters
    ----------
    subsystem_scores : U_1..U_n in [0, 1], shape (n,) for one observation or (units, n) (a
        (n, units) array is accepted when ``weights`` of length n make the orientation clear). [-]
    weights : α_i of T = Σ α_i U_i (default equal; rescaled to sum 1). [-]
    modified : use Wang et al.'s modified C (better spread; exact form UNVERIFIED in the reference):
        C = √{[1 - Σ_{i>j}|U_i - U_j| / Σ_{k=1}^{n-1} k] · [Π_i U_i/max U]^{1/(n-1)}}.

    Returns
    -------
    (C, T, D) : floats for one observation, arrays of shape (units,) otherwise. [-]

    Notes
    -----
    Classic C = n·(Π U_i)^{1/n}/Σ U_i (geometric mean over arithmetic mean, in [0, 1]). All U = 0 gives
    C = 0. The pair-sum form n·{ΠU_i/Π(U_i+U_j)}^{1/n} found in papers can exceed 1 and is not offered.
    """
    U, single = _scores(subsystem_scores)
    if weights is not None and not single:
        k = np.asarray(weights).size
        if U.shape[1] != k and U.shape[0] == k:  # given as subsystems x units: the weights tell
            U = U.T
    n = U.shape[1]
    alpha = np.full(n, 1.0 / n) if weights is None else np.asarray(weights, dtype=np.float64).ravel()
    if alpha.shape != (n,) or np.any(alpha < 0) or alpha.sum() <= 0:
        raise EvaluationError(f"coupling weights must be {n} non-negative numbers", field="weights")
    alpha = alpha / alpha.sum()
    T = U @ alpha
    if modified:
        pairs = np.abs(U[:, :, None] - U[:, None, :]).sum(axis=(1, 2)) / 2.0
        spread = 1.0 - pairs / (n * (n - 1) / 2.0)
        top = U.max(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = np.where(top[:, None] > 0, U / np.where(top > 0, top, 1.0)[:, None], 0.0)
        with np.errstate(divide="ignore"):
            balance = np.exp(np.log(ratio).sum(axis=1) / (n - 1))
        C = np.sqrt(np.clip(spread, 0.0, None) * balance)
    else:
        total = U.sum(axis=1)
        with np.errstate(divide="ignore"):
            geometric = np.exp(np.log(U).mean(axis=1))  # no underflow of the product for tiny U
        with np.errstate(invalid="ignore", divide="ignore"):
            C = np.where(total > 0, n * geometric / np.where(total > 0, total, 1.0), 0.0)
    C = np.minimum(C, 1.0)  # the geometric mean never exceeds the arithmetic mean; clip rounding
    D = np.sqrt(C * T)
    if single:
        return float(C[0]), float(T[0]), float(D[0])
    return C, T, D


@dataclass(frozen=True, slots=True)
class CoordinationLevel:
    """One of the ten coordination levels of D (``data/coupling_levels.csv``)."""

    level: int
    lower: float
    upper: float
    name_zh: str
    name_en: str


@cache
def coordination_levels() -> tuple[CoordinationLevel, ...]:
    """The ten levels, (lower, upper] intervals, from ``data/coupling_levels.csv`` (Tian et al. 2021)."""
    return tuple(
        CoordinationLevel(int(r["level"]), float(r["lower"]), float(r["upper"]), r["name_zh"], r["name_en"])
        for r in read_rows("coupling_levels.csv")
    )


def coordination_level(D: float) -> CoordinationLevel:
    """The level whose (lower, upper] interval holds D (D = 0 is level 1); e.g. 0.616 → 初级协调."""
    if not 0.0 <= D <= 1.0 + 1e-12:
        raise EvaluationError(f"coordination degree D = {D} outside [0, 1]", field="D")
    for level in coordination_levels():
        if level.upper + 1e-12 >= D:
            return level
    return coordination_levels()[-1]


def coupling_stage(C: float) -> dict[str, Any]:
    """Coupling stage of C by ``data/coupling_stages.csv`` ((lower, upper] intervals)."""
    for row in read_rows("coupling_stages.csv"):
        if float(row["upper"]) + 1e-12 >= C:
            return {"stage": int(row["stage"]), "name_zh": row["name_zh"], "name_en": row["name_en"]}
    raise EvaluationError(f"coupling degree C = {C} outside [0, 1]", field="C")


def lag_type(u1: float, u2: float, *, margin: float = 0.1) -> str:
    """Relative development E = U₁/U₂: ``"subsystem_2_lags"`` if E > 1 + margin, ``"subsystem_1_lags"`` if
    E < 1 - margin, else ``"synchronous"`` (evaluation-methods.md §2.6, lag diagnosis)."""
    if u2 == 0:
        return "subsystem_2_lags" if u1 > 0 else "synchronous"
    ratio = u1 / u2
    if ratio > 1.0 + margin:
        return "subsystem_2_lags"
    if ratio < 1.0 - margin:
        return "subsystem_1_lags"
    return "synchronous"
