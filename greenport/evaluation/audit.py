"""Statistical audit of an indicator system on a data set (OECD/JRC handbook step 4, COINr
``get_corr``, ``get_corr_flags``, ``get_cronbach``, ``get_PCA``).

For every indicator: Pearson and Spearman correlation with its parent aggregate and with the index; the
siblings it correlates negatively with (a trade-off inside one aggregate, which compensation hides). For
every aggregate with two or more children: Cronbach's alpha and the share of variance the first principal
component explains.

* Pearson r on the units where both values exist (pairwise complete); Spearman ρ = Pearson r of the
  average ranks (ties share the mean rank). Undefined (``None``) when either series is constant or fewer
  than 3 units remain.
* Cronbach's α = k/(k−1) · (1 − Σ σᵢ² / σ_T²), σ² sample variances (n − 1) over the complete rows, σ_T² the
  variance of the row sums of the k children; α > 0.7 is usually taken as consistent (§1.1 step 4).
* First-component share = λ₁ / Σλ of the children's correlation matrix (standardised PCA, complete rows).

Values are the normalised indicators (points / max in a points scheme) and the aggregates' scores.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from greenport.evaluation._arrays import FloatArray
from greenport.evaluation.system import Node, System

#: Fewest complete units for a correlation, an alpha or a PCA to be reported.
MIN_UNITS = 3


def _ranks(x: FloatArray) -> FloatArray:
    """Average ranks (1 = smallest), ties sharing their mean rank."""
    _, inverse, counts = np.unique(x, return_inverse=True, return_counts=True)
    ends = np.cumsum(counts)
    mean_rank = ends - (counts - 1) / 2.0
    return mean_rank[inverse].astype(np.float64)


def pearson(x: FloatArray, y: FloatArray) -> float | None:
    """Pearson r over the pairwise complete units; None when undefined."""
    ok = ~(np.isnan(x) | np.isnan(y))
    if ok.sum() < MIN_UNITS:
        return None
    a, b = x[ok] - x[ok].mean(), y[ok] - y[ok].mean()
    denominator = np.sqrt(np.sum(a * a) * np.sum(b * b))
    if denominator == 0:
        return None
    return float(np.clip(np.sum(a * b) / denominator, -1.0, 1.0))


def spearman(x: FloatArray, y: FloatArray) -> float | None:
    """Spearman ρ (Pearson r of average ranks) over the pairwise complete units; None when undefined."""
    ok = ~(np.isnan(x) | np.isnan(y))
    if ok.sum() < MIN_UNITS:
        return None
    return pearson(_ranks(x[ok]), _ranks(y[ok]))


def _complete(matrix: FloatArray) -> FloatArray:
    return matrix[~np.isnan(matrix).any(axis=1)]


def cronbach_alpha(matrix: FloatArray) -> float | None:
    """Cronbach's α of the columns of a units x items matrix (complete rows); None when undefined."""
    rows = _complete(matrix)
    k = rows.shape[1]
    if k < 2 or rows.shape[0] < MIN_UNITS:
        return None
    total_variance = float(np.var(rows.sum(axis=1), ddof=1))
    if total_variance == 0:
        return None
    return float(k / (k - 1) * (1.0 - np.var(rows, axis=0, ddof=1).sum() / total_variance))


def first_component_share(matrix: FloatArray) -> float | None:
    """λ₁/Σλ of the correlation matrix of the columns (complete rows); None when a column is constant."""
    rows = _complete(matrix)
    if rows.shape[1] < 2 or rows.shape[0] < MIN_UNITS or np.any(np.std(rows, axis=0) == 0):
        return None
    eigenvalues = np.linalg.eigvalsh(np.corrcoef(rows, rowvar=False))
    return float(eigenvalues[-1] / eigenvalues.sum())


def _children(
    node: Node, normalised: FloatArray, scores: Mapping[str, FloatArray], column: Mapping[str, int]
) -> list[tuple[str, str, FloatArray]]:
    """(id, kind, values) of a node's children: indicators' normalised values or aggregates' scores."""
    if node.indicators:
        return [(ind.id, "indicator", normalised[:, column[ind.id]]) for ind in node.indicators]
    return [(child.id, "aggregate", scores[child.id]) for child in node.children]


def audit_system(
    system: System, normalised: FloatArray, node_scores: Mapping[str, FloatArray], index: FloatArray
) -> dict[str, Any]:
    """The audit section of a run: ``{"indicators": [...], "aggregates": [...]}`` (JSON-able)."""
    column = {ind.id: k for k, ind in enumerate(system.indicators)}
    elements: list[dict[str, Any]] = []
    aggregates: list[dict[str, Any]] = []
    for node in system.root.walk():
        children = _children(node, normalised, node_scores, column)
        parent = node_scores[node.id]
        matrix = np.column_stack([values for _, _, values in children])
        for k, (child_id, kind, values) in enumerate(children):
            negative = [
                other_id
                for j, (other_id, _, other) in enumerate(children)
                if j != k and (r := pearson(values, other)) is not None and r < 0
            ]
            elements.append(
                {
                    "id": child_id,
                    "kind": kind,
                    "parent": node.id,
                    "pearson_parent": pearson(values, parent),
                    "spearman_parent": spearman(values, parent),
                    "pearson_index": pearson(values, index),
                    "spearman_index": spearman(values, index),
                    "negative_with_siblings": negative,
                }
            )
        if len(children) >= 2:
            aggregates.append(
                {
                    "id": node.id,
                    "children": len(children),
                    "cronbach_alpha": cronbach_alpha(matrix),
                    "pc1_share": first_component_share(matrix),
                }
            )
    return {
        "indicators": [e for e in elements if e["kind"] == "indicator"],
        "aggregates_in_parents": [e for e in elements if e["kind"] == "aggregate"],
        "aggregates": aggregates,
        "method": "Pearson (pairwise complete) and Spearman (average ranks); Cronbach alpha (n-1 variances, "
        "complete rows); first-component share of the correlation matrix",
    }
