"""Weights: fixed, equal, entropy, CRITIC, coefficient of variation, standard deviation, AHP, PCA.

Every function returns a weight vector summing to 1 (AHP also returns its consistency ratio).
Conventions are stated per function because libraries differ (evaluation-methods.md §1.3, §3.2).
"""

from __future__ import annotations

import math
from functools import cache
from typing import Any, Literal

import numpy as np

from greenport.evaluation import normalise as norm
from greenport.evaluation._arrays import FloatArray, as_directions, as_matrix
from greenport.evaluation._tables import read_rows
from greenport.evaluation.errors import EvaluationError, InconsistentJudgment

#: Consistency ratio at or above which a judgment matrix is refused (Saaty: accept CR < 0.10).
MAX_CONSISTENCY_RATIO = 0.10


def equal_weights(n: int) -> FloatArray:
    """Equal weights 1/n. [-]"""
    if n < 1:
        raise EvaluationError("equal weights need at least one indicator", field="n")
    return np.full(n, 1.0 / n)


def fixed_weights(weights: Any) -> FloatArray:
    """Declared weights (points, percentages or fractions) rescaled to sum 1. [-]"""
    array = np.asarray(weights, dtype=np.float64).ravel()
    if array.size == 0 or not np.all(np.isfinite(array)) or np.any(array < 0) or array.sum() <= 0:
        raise EvaluationError(
            "fixed weights must be non-negative numbers with a positive sum", field="weights"
        )
    return array / array.sum()


def _divergence_to_weights(divergence: FloatArray, what: str) -> FloatArray:
    total = divergence.sum()
    if not np.isfinite(total) or total <= 0:
        raise EvaluationError(
            f"{what} weights are undefined: no indicator carries information (constant or collinear columns)",
            field="X",
        )
    return divergence / total


def entropy_weights(
    X: Any,
    directions: Any = None,
    *,
    normalisation: Literal["minmax", "proportion", "reciprocal"] = "minmax",
    shift: float = 0.0,
) -> FloatArray:
    """Entropy weight method (熵权法).

    Parameters
    ----------
    X : units x indicators, raw values. [indicator units]
    directions : +1 benefit / -1 cost per indicator.
    normalisation : how the non-negative matrix y is made before proportions:
        ``"minmax"`` (default, Chinese practice, direction-aware; "entropy A" of the reference),
        ``"proportion"`` (raw values, direction ignored: pymcdm/scikit-criteria, "entropy B"),
        ``"reciprocal"`` (raw values, cost columns as 1/x: pyDecision, "entropy C", without its 1e-9).
    shift : added to y before proportions (10⁻⁴ gives the reference's "entropy A′"). [-]

    Returns
    -------
    weights : sum 1. [-]

    Notes
    -----
    p_ij = y_ij/Σ_i y_ij; e_j = -(1/ln m) Σ_i p_ij ln p_ij with p ln p = 0 at p = 0 (the limit; pymcdm instead
    sets the entropy of any column containing a zero to 0, evaluation-methods.md §1.3); d_j = 1 - e_j;
    w_j = d_j/Σd. A constant column gets weight 0; a column of zeros is treated as constant.

    References
    ----------
    evaluation-methods.md §2.2 (entropy weight method), §3.2 (worked example).
    """
    matrix = as_matrix(X)
    signs = as_directions(directions, matrix.shape[1])
    m = matrix.shape[0]
    if m < 2:
        raise EvaluationError("entropy weights need at least two units", field="X")
    if normalisation == "minmax":
        y = norm.minmax(matrix, signs, constant=1.0)
    elif normalisation == "proportion":
        y = matrix.copy()
    elif normalisation == "reciprocal":
        with np.errstate(divide="ignore"):
            y = np.where(signs > 0, matrix, 1.0 / matrix)
    else:
        raise EvaluationError(f"unknown entropy normalisation {normalisation!r}", field="normalisation")
    y = y + shift
    if np.any(y < 0) or not np.all(np.isfinite(y)):
        raise EvaluationError(
            "entropy weights need non-negative finite values after normalisation", field="X"
        )
    totals = y.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(totals > 0, y / totals, 1.0 / m)
        plogp = np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0)
    entropy = -plogp.sum(axis=0) / math.log(m)
    divergence = np.clip(1.0 - entropy, 0.0, None)
    divergence[np.ptp(y, axis=0) == 0] = 0.0  # exactly: a constant column carries no information
    return _divergence_to_weights(divergence, "entropy")


def critic_weights(X: Any, directions: Any = None) -> FloatArray:
    """CRITIC weights (Diakoulaki et al. 1995), direction-aware.

    Notes
    -----
    y = min-max with direction; σ_j = sd of y_j; r_jk = Pearson correlation; C_j = σ_j Σ_k (1 - r_jk);
    w = C/ΣC. The ddof of σ cancels. A constant column has σ = 0 and weight 0; its correlation with other
    columns is taken as 0. pymcdm ignores directions (flip cost columns' signs to match it), while
    scikit-criteria and pyDecision are direction-aware (evaluation-methods.md §1.3).

    References
    ----------
    evaluation-methods.md §2.2, §3.2 ("CRITIC, direction-aware").
    """
    matrix = as_matrix(X)
    signs = as_directions(directions, matrix.shape[1])
    if matrix.shape[0] < 2:
        raise EvaluationError("CRITIC weights need at least two units", field="X")
    y = norm.minmax(matrix, signs, constant=0.0)
    sigma = y.std(axis=0, ddof=1)
    centred = y - y.mean(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(sigma > 0, centred / np.where(sigma > 0, sigma, 1.0), 0.0)
    corr = (z.T @ z) / (matrix.shape[0] - 1)
    np.fill_diagonal(corr, np.where(sigma > 0, 1.0, 0.0))
    information = sigma * (1.0 - corr).sum(axis=0)
    return _divergence_to_weights(information, "CRITIC")


def cv_weights(X: Any) -> FloatArray:
    """Coefficient-of-variation weights: v_j = s_j/mean_j on raw positive data, w = v/Σv (ddof cancels).

    References
    ----------
    evaluation-methods.md §2.2, §3.2.
    """
    matrix = as_matrix(X)
    mean = matrix.mean(axis=0)
    if np.any(mean <= 0):
        raise EvaluationError("coefficient-of-variation weights need positive column means", field="X")
    return _divergence_to_weights(matrix.std(axis=0, ddof=1) / mean, "coefficient-of-variation")


def std_weights(X: Any, directions: Any = None) -> FloatArray:
    """Standard-deviation weights: w ∝ sd of min-max-normalised columns (evaluation-methods.md §2.2)."""
    matrix = as_matrix(X)
    y = norm.minmax(matrix, as_directions(directions, matrix.shape[1]), constant=0.0)
    return _divergence_to_weights(y.std(axis=0, ddof=1), "standard-deviation")


@cache
def random_index_table(table: str = "saaty") -> dict[int, float]:
    """RI(n) of the named table from ``data/ahp_random_index.csv`` (saaty, tummala_ling, chinese_textbook)."""
    rows = [row for row in read_rows("ahp_random_index.csv") if row["table"] == table]
    if not rows:
        tables = sorted({row["table"] for row in read_rows("ahp_random_index.csv")})
        raise EvaluationError(
            f"unknown RI table {table!r}; choose one of {', '.join(tables)}", field="ri_table"
        )
    return {int(row["n"]): float(row["ri"]) for row in rows}


def _check_judgment(judgment: Any) -> FloatArray:
    matrix = np.asarray(judgment, dtype=np.float64)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1] or matrix.shape[0] < 1:
        raise EvaluationError(f"a judgment matrix must be square, got shape {matrix.shape}", field="judgment")
    if not np.all(np.isfinite(matrix)) or np.any(matrix <= 0):
        raise EvaluationError("judgment entries must be positive numbers (Saaty 1-9 scale)", field="judgment")
    if not np.allclose(np.diag(matrix), 1.0):
        raise EvaluationError("the diagonal of a judgment matrix must be 1", field="judgment")
    reciprocal = np.isclose(matrix * matrix.T, 1.0, rtol=1e-3)
    if not np.all(reciprocal):
        i, j = (int(v) for v in np.argwhere(~reciprocal)[0])
        raise EvaluationError(
            f"judgment[{i}][{j}] = {matrix[i, j]:g} but judgment[{j}][{i}] = {matrix[j, i]:g}: "
            "entries must be reciprocal (a_ji = 1/a_ij)",
            field="judgment",
        )
    return matrix


def ahp_details(judgment: Any, *, method: str = "eigenvector", ri_table: str = "saaty") -> dict[str, Any]:
    """AHP weights with λ_max, CI, RI and CR, without refusing inconsistent matrices.

    ``method``: ``"eigenvector"`` (Saaty's principal right eigenvector), ``"geometric"`` (row geometric
    mean), ``"column"`` (column-normalised row mean). λ_max is always the Perron eigenvalue.
    CI = (λ_max - n)/(n - 1); CR = CI/RI(n) (evaluation-methods.md §2.2, §3.4).
    """
    matrix = _check_judgment(judgment)
    n = matrix.shape[0]
    eigenvalues, eigenvectors = np.linalg.eig(matrix)
    k = int(np.argmax(eigenvalues.real))
    lambda_max = float(eigenvalues[k].real)
    if method == "eigenvector":
        vector = np.abs(eigenvectors[:, k].real)
    elif method == "geometric":
        vector = np.exp(np.log(matrix).mean(axis=1))
    elif method == "column":
        vector = (matrix / matrix.sum(axis=0)).mean(axis=1)
    else:
        raise EvaluationError(
            f"unknown AHP method {method!r}; choose eigenvector, geometric or column", field="method"
        )
    weights = vector / vector.sum()
    table = random_index_table(ri_table)
    if n not in table:
        raise EvaluationError(f"RI table {ri_table!r} has no value for n = {n}", field="judgment")
    ri = table[n]
    ci = (lambda_max - n) / (n - 1) if n > 2 else 0.0
    cr = ci / ri if ri > 0 else 0.0
    return {
        "weights": weights,
        "lambda_max": lambda_max if n > 2 else float(n),
        "ci": ci,
        "ri": ri,
        "cr": cr,
        "ri_table": ri_table,
        "method": method,
    }


def ahp_weights(
    judgment: Any,
    *,
    method: str = "eigenvector",
    ri_table: str = "saaty",
    max_cr: float = MAX_CONSISTENCY_RATIO,
    allow_inconsistent: bool = False,
) -> tuple[FloatArray, float]:
    """AHP (Saaty) weights and consistency ratio from a reciprocal pairwise judgment matrix.

    Parameters
    ----------
    judgment : n x n, a_ij on Saaty's 1-9 scale with a_ji = 1/a_ij.
    method : eigenvector (default), geometric or column (see :func:`ahp_details`).
    ri_table : random-index table of ``data/ahp_random_index.csv`` (default Saaty 1980).
    max_cr : refuse CR >= max_cr (Saaty: 0.10).
    allow_inconsistent : return the weights even when CR >= max_cr.

    Returns
    -------
    (weights, consistency_ratio) : weights sum 1; CR [-] (0 for n <= 2).

    Raises
    ------
    InconsistentJudgment : CR >= max_cr and not ``allow_inconsistent`` (carries ``consistency_ratio``).

    References
    ----------
    Saaty (1980); evaluation-methods.md §2.2 (AHP), §3.4 (worked examples).
    """
    details = ahp_details(judgment, method=method, ri_table=ri_table)
    cr = float(details["cr"])
    if cr >= max_cr and not allow_inconsistent:
        raise InconsistentJudgment(
            f"consistency ratio CR = {cr:.4f} >= {max_cr:g}: revise the judgments "
            "(or override with allow_inconsistent=True)",
            field="judgment",
            consistency_ratio=cr,
            lambda_max=details["lambda_max"],
        )
    return details["weights"], cr


def pca(X: Any, directions: Any = None) -> tuple[FloatArray, FloatArray]:
    """Principal components of the direction-signed z-scores (correlation matrix).

    Returns (eigenvalues descending, loadings n x k with columns = unit eigenvectors, sign chosen so the
    column sum is positive) (evaluation-methods.md §2.2, §3.2).
    """
    matrix = as_matrix(X)
    z = norm.zscore(matrix, as_directions(directions, matrix.shape[1]))
    corr = np.corrcoef(z, rowvar=False) if z.shape[1] > 1 else np.ones((1, 1))
    corr = np.nan_to_num(corr, nan=0.0)
    eigenvalues, eigenvectors = np.linalg.eigh(corr)
    order = np.argsort(eigenvalues)[::-1]
    eigenvalues = eigenvalues[order]
    eigenvectors = eigenvectors[:, order]
    eigenvectors = eigenvectors * np.where(eigenvectors.sum(axis=0) < 0, -1.0, 1.0)
    return eigenvalues, eigenvectors


def pca_weights(X: Any, directions: Any = None, *, convention: str = "variance") -> FloatArray:
    """PCA weights.

    ``convention``:

    * ``"variance"`` (Chinese papers): keep components with eigenvalue > 1 (at least one); coefficient
      a_jk = loading_jk/√λ_k with loading = eigenvector·√λ (so a_jk is the eigenvector entry); weight ∝
      |Σ_k a_jk λ_k/Σλ_kept|, normalised.
    * ``"first"`` (COINr): absolute entries of the first component's eigenvector, normalised.

    References
    ----------
    evaluation-methods.md §2.2 (PCA / factor-analysis weights).
    """
    eigenvalues, vectors = pca(X, directions)
    if convention == "first":
        return fixed_weights(np.abs(vectors[:, 0]))
    if convention != "variance":
        raise EvaluationError(f"unknown PCA convention {convention!r}: variance or first", field="convention")
    keep = max(1, int(np.sum(eigenvalues > 1.0)))
    share = eigenvalues[:keep] / eigenvalues[:keep].sum()
    return fixed_weights(np.abs(vectors[:, :keep] @ share))


def combine_weights(
    subjective: Any, objective: Any, *, alpha: float = 0.5, multiplicative: bool = False
) -> FloatArray:
    """Subjective-objective combination: αw_s + (1-α)w_o, or w ∝ w_s·w_o (evaluation-methods.md §2.2)."""
    ws = fixed_weights(subjective)
    wo = fixed_weights(objective)
    if ws.shape != wo.shape:
        raise EvaluationError("weight vectors differ in length", field="weights")
    if multiplicative:
        return fixed_weights(ws * wo)
    if not 0.0 <= alpha <= 1.0:
        raise EvaluationError("alpha must lie in [0, 1]", field="alpha")
    return alpha * ws + (1.0 - alpha) * wo


#: Weighting method names accepted by the YAML schema.
METHODS = ("fixed", "equal", "entropy", "critic", "cv", "std", "ahp", "pca")
