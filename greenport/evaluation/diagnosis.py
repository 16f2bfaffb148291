"""Obstacle degree model (障碍度模型, the "weakest stave" of each unit).

References: evaluation-methods.md §2.7 and §3.3 (worked obstacle degrees).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from greenport.evaluation import normalise as norm
from greenport.evaluation._arrays import FloatArray, as_directions, as_matrix, as_weights


def obstacle_degree_normalised(Y: Any, weights: Any) -> FloatArray:
    """Obstacle degrees from an already normalised matrix y ∈ [0, 1] (higher better) and global weights.

    O_ij = F_j I_ij / Σ_k F_k I_ik with F_j = w_j and I_ij = 1 - y_ij. Each row sums to 1 (fractions;
    multiply by 100 for %); a unit that is best on every indicator has no obstacle and gets a row of 0.
    NaN entries count as no deviation.
    """
    matrix = as_matrix(Y, name="Y", allow_nan=True)
    w = as_weights(weights, matrix.shape[1])
    deviation = np.clip(1.0 - np.nan_to_num(matrix, nan=1.0), 0.0, None) * w
    total = deviation.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, deviation / np.where(total > 0, total, 1.0), 0.0)


def obstacle_degree(X: Any, weights: Any, directions: Any = None) -> FloatArray:
    """Obstacle degree of every indicator for every unit.

    Parameters
    ----------
    X : units x indicators, raw values. [indicator units]
    weights : global indicator weights (the product of local weights along the hierarchy). [-]
    directions : +1 benefit / -1 cost.

    Returns
    -------
    O : units x indicators, fractions summing to 1 per unit (0-row: no obstacle). [-]

    Notes
    -----
    y = min-max with direction; I = 1 - y; O_ij = w_j I_ij / Σ_k w_k I_ik (evaluation-methods.md §2.7).
    Layer obstacle = sum of O over the layer's indicators.
    """
    matrix = as_matrix(X)
    y = norm.minmax(matrix, as_directions(directions, matrix.shape[1]), constant=1.0)
    return obstacle_degree_normalised(y, weights)


def top_obstacles(obstacles: Any, k: int = 3) -> list[list[int]]:
    """Indices of the k largest obstacles of each unit (largest first; zero obstacles left out)."""
    matrix = as_matrix(obstacles, name="obstacles")
    out = []
    for row in matrix:
        order = np.argsort(-row, kind="stable")[:k]
        out.append([int(j) for j in order if row[j] > 0])
    return out
