"""Checks shared by the numeric functions: matrices are units x indicators, directions are +1/-1."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from greenport.evaluation.errors import EvaluationError

FloatArray = npt.NDArray[np.float64]

#: What callers may pass as directions: +1 (benefit, 正向) / -1 (cost, 逆向), or the words.
DIRECTION_WORDS = {"benefit": 1.0, "max": 1.0, "+": 1.0, "cost": -1.0, "min": -1.0, "-": -1.0}


def as_matrix(X: Any, *, name: str = "X", allow_nan: bool = False) -> FloatArray:
    """``X`` as a float matrix (units x indicators); anything not 2-D is refused."""
    array = np.asarray(X, dtype=np.float64)
    if array.ndim != 2:
        raise EvaluationError(
            f"{name} must be a 2-D matrix (units x indicators), got shape {array.shape}", field=name
        )
    if array.shape[0] < 1 or array.shape[1] < 1:
        raise EvaluationError(f"{name} is empty (shape {array.shape})", field=name)
    if not allow_nan and not np.all(np.isfinite(array)):
        bad = np.argwhere(~np.isfinite(array))[0]
        raise EvaluationError(
            f"{name}[{bad[0]}, {bad[1]}] is not a finite number; impute or drop missing values first",
            field=name,
        )
    return array


def as_directions(directions: Any, n: int) -> FloatArray:
    """Directions as a float vector of +1/-1 of length ``n`` (``None`` means all benefit)."""
    if directions is None:
        return np.ones(n)
    if isinstance(directions, str) or not isinstance(directions, Sequence | np.ndarray):
        raise EvaluationError(
            "directions must be a sequence of +1/-1 (or 'benefit'/'cost')", field="directions"
        )
    values = [DIRECTION_WORDS.get(d, d) if isinstance(d, str) else d for d in directions]
    try:
        array = np.asarray(values, dtype=np.float64).ravel()
    except (TypeError, ValueError) as exc:
        raise EvaluationError(f"directions must be +1/-1: {exc}", field="directions") from exc
    if array.shape[0] != n:
        raise EvaluationError(f"{array.shape[0]} directions given for {n} indicators", field="directions")
    if not np.all(np.isin(array, (1.0, -1.0))):
        raise EvaluationError("every direction must be +1 (benefit) or -1 (cost)", field="directions")
    return array


def as_weights(weights: Any, n: int, *, allow_batch: bool = False, normalise: bool = True) -> FloatArray:
    """Non-negative weights of length ``n`` (or ``samples x n`` with ``allow_batch``), summing to 1 per row."""
    array = np.asarray(weights, dtype=np.float64)
    if array.ndim == 2 and allow_batch:
        if array.shape[1] != n:
            raise EvaluationError(
                f"weights have {array.shape[1]} columns for {n} indicators", field="weights"
            )
    elif array.ndim != 1 or array.shape[0] != n:
        raise EvaluationError(f"weights of shape {array.shape} do not match {n} indicators", field="weights")
    if not np.all(np.isfinite(array)) or np.any(array < 0):
        raise EvaluationError("weights must be finite and non-negative", field="weights")
    total = array.sum(axis=-1, keepdims=True)
    if np.any(total <= 0):
        raise EvaluationError("weights sum to zero", field="weights")
    return array / total if normalise else array
