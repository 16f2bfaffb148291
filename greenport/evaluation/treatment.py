"""Data treatment before normalisation: missing-data policies and outliers (COINr-style winsorisation).

Outlier rule (COINr ``check_SkewKurt``, ``winsorise``, ``log_CT_plus``, ``boxcox``; read in COINr 1.1.x)
--------------------------------------------------------------------------------------------------------
For the n non-missing values x₁…xₙ of one indicator, with mean x̄ and central moments
m_k = (1/n) Σ (xᵢ − x̄)^k:

* sample skewness (adjusted Fisher-Pearson, e1071 ``type = 2``, Excel ``SKEW``)
  G₁ = g₁ · √(n(n−1)) / (n−2),  g₁ = m₃ / m₂^(3/2)                          (n ≥ 3, else 0)
* sample excess kurtosis (bias-corrected, e1071 ``type = 2``, Excel ``KURT``)
  G₂ = ((n+1) · g₂ + 6) · (n−1) / ((n−2)(n−3)),  g₂ = m₄ / m₂² − 3            (n ≥ 4, else 0)

An indicator **fails** when |G₁| ≥ ``skew_threshold`` (2) **and** G₂ ≥ ``kurtosis_threshold`` (3.5): COINr
passes it when |G₁| < 2 *or* G₂ < 3.5, so the boundaries themselves are treated.

Winsorisation (repeat while the indicator fails): the side is the high one when G₁ ≥ 0, else the low one;
*every* value tied at that extreme is replaced by the next distinct value inward, and skew and kurtosis are
re-tested. At most ``max_points`` distinct points (units) may move (COINr ``winmax`` = 5); a step that would
move more, or a side the system does not treat (``sides: high|low``), ends winsorisation. If the indicator
still fails, the original values are restored and the ``fallback`` transform is applied to all of them:

* ``log`` (COINr ``log_CT_plus``): a = 0.01·(max − min); log(x − min + a) when G₁ ≥ 0, else −log(max + a − x);
* ``boxcox`` (COINr ``boxcox``, λ given, not optimised): y = x − min + 1; (y^λ − 1)/λ, or log y at λ = 0;
* ``none``: the original values are kept and the indicator is reported as untreated.

Every transform here is weakly monotone (x_i ≤ x_j ⇒ y_i ≤ y_j): treatment never reorders units.

References
----------
evaluation-methods.md §1.1 step 3 (imputation), §1.2 (COINr ``Treat``), §3.6 (winsorisation example);
OECD/JRC *Handbook on Constructing Composite Indicators* (2008), step 5 (treat outliers before normalising).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from greenport.evaluation._arrays import FloatArray, as_matrix
from greenport.evaluation.errors import EvaluationError

#: COINr ``check_SkewKurt`` / ``Treat`` defaults: treat when |skewness| >= 2 and excess kurtosis >= 3.5.
SKEW_LIMIT = 2.0
KURTOSIS_LIMIT = 3.5
#: COINr's default maximum number of winsorised points per indicator (``winmax``).
MAX_WINSORISED = 5
#: Which extremes may be winsorised: the side the skew points to (``both``) or only one side.
SIDES = ("both", "high", "low")
#: Transforms applied when winsorisation cannot bring the indicator within the thresholds.
FALLBACKS = ("log", "boxcox", "none")
#: Outlier methods a system or an indicator may declare.
OUTLIER_METHODS = ("none", "winsorise")

#: Missing-data policies an indicator system may declare.
MISSING_POLICIES = ("refuse", "reweight", "impute_group_mean", "impute_mean")


@dataclass(frozen=True)
class TreatmentSpec:
    """How outliers of one indicator are treated (COINr's defaults)."""

    method: str = "none"
    skew_threshold: float = SKEW_LIMIT
    kurtosis_threshold: float = KURTOSIS_LIMIT
    max_points: int = MAX_WINSORISED
    sides: str = "both"
    fallback: str = "log"
    boxcox_lambda: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "skew_threshold": self.skew_threshold,
            "kurtosis_threshold": self.kurtosis_threshold,
            "max_points": self.max_points,
            "sides": self.sides,
            "fallback": self.fallback,
            "boxcox_lambda": self.boxcox_lambda,
        }


def _finite(x: Any) -> FloatArray:
    v = np.asarray(x, dtype=np.float64)
    return v[~np.isnan(v)]


def skewness(x: Any) -> float:
    """Sample skewness G₁ = g₁·√(n(n−1))/(n−2), g₁ = m₃/m₂^1.5 (e1071 type 2, COINr ``skew``). NaN ignored. [-]

    0 for fewer than 3 values or a constant indicator.
    """
    v = _finite(x)
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
    """Sample excess kurtosis G₂ = ((n+1)g₂ + 6)(n−1)/((n−2)(n−3)), g₂ = m₄/m₂² − 3 (e1071 type 2, COINr
    ``kurt``). NaN ignored. [-]

    0 for fewer than 4 values or a constant indicator.
    """
    v = _finite(x)
    n = v.size
    if n < 4:
        return 0.0
    d = v - v.mean()
    m2 = np.mean(d**2)
    if m2 == 0:
        return 0.0
    g2 = np.mean(d**4) / m2**2 - 3.0
    return float(((n + 1) * g2 + 6) * (n - 1) / ((n - 2) * (n - 3)))


def needs_treatment(
    x: Any, *, skew_threshold: float = SKEW_LIMIT, kurtosis_threshold: float = KURTOSIS_LIMIT
) -> bool:
    """True when |G₁| >= ``skew_threshold`` and G₂ >= ``kurtosis_threshold`` (COINr ``check_SkewKurt`` fails)."""
    return abs(skewness(x)) >= skew_threshold and kurtosis(x) >= kurtosis_threshold


@dataclass(frozen=True)
class MovedPoint:
    """One winsorised value: its position in the indicator, its original value and the value it took."""

    index: int
    from_value: float
    to_value: float


@dataclass
class Treatment:
    """What outlier treatment did to one indicator.

    ``method``: ``none`` (passed as it was), ``winsorise``, ``log``, ``boxcox`` or ``untreated`` (failed and
    the fallback is ``none``). ``moved`` lists the winsorised points; a transform changes every value.
    """

    values: FloatArray
    method: str = "none"
    moved: list[MovedPoint] = field(default_factory=list)
    skew_before: float = 0.0
    kurtosis_before: float = 0.0
    skew_after: float = 0.0
    kurtosis_after: float = 0.0
    passed: bool = True

    @property
    def changed(self) -> list[int]:
        """Positions of the winsorised values, in the order they first moved."""
        return [point.index for point in self.moved]

    @property
    def n_values(self) -> int:
        return int(np.count_nonzero(~np.isnan(self.values)))


def _winsorise_steps(values: FloatArray, spec: TreatmentSpec) -> dict[int, float] | None:
    """Winsorise ``values`` in place; return ``{position: original value}``, or None when it cannot pass."""
    original = values.copy()
    moved: dict[int, float] = {}
    while needs_treatment(
        values, skew_threshold=spec.skew_threshold, kurtosis_threshold=spec.kurtosis_threshold
    ):
        side = "high" if skewness(values) >= 0 else "low"
        distinct = np.unique(_finite(values))
        if spec.sides not in ("both", side) or distinct.size < 2:
            return None
        extreme, inner = (distinct[-1], distinct[-2]) if side == "high" else (distinct[0], distinct[1])
        tied = np.flatnonzero(values == extreme)
        if len(set(moved) | {int(k) for k in tied}) > spec.max_points:
            return None
        for k in (int(k) for k in tied):
            moved.setdefault(k, float(original[k]))
        values[tied] = inner
    return moved


def log_transform(x: Any) -> FloatArray:
    """COINr ``log_CT_plus``: a = 0.01(max − min); log(x − min + a) if G₁ ≥ 0, else −log(max + a − x). NaN kept."""
    v = np.asarray(x, dtype=np.float64)
    low, high = float(np.nanmin(v)), float(np.nanmax(v))
    shift = 0.01 * (high - low)
    if skewness(v) >= 0:
        return np.log(v - low + shift)
    return -np.log(high + shift - v)


def boxcox_transform(x: Any, lam: float) -> FloatArray:
    """COINr ``boxcox`` with ``makepos``: y = x − min + 1; (y^λ − 1)/λ, or log y at λ = 0. NaN kept."""
    y = np.asarray(x, dtype=np.float64) - float(np.nanmin(x)) + 1.0
    return np.log(y) if lam == 0 else (y**lam - 1.0) / lam


def winsorise(x: Any, spec: TreatmentSpec | None = None, **options: Any) -> Treatment:
    """Treat one indicator's outliers by the COINr procedure (module docstring); NaN stays NaN.

    ``spec`` (or keyword ``options`` of :class:`TreatmentSpec`: ``skew_threshold``, ``kurtosis_threshold``,
    ``max_points``, ``sides``, ``fallback``, ``boxcox_lambda``) defaults to COINr's defaults. An indicator
    that passes is returned unchanged with method ``none``.
    """
    spec = spec or TreatmentSpec(method="winsorise", **options)
    if spec.fallback == "boxcox" and spec.boxcox_lambda is None:
        raise EvaluationError("the boxcox fallback needs boxcox_lambda", field="boxcox_lambda")
    original = np.asarray(x, dtype=np.float64).copy()
    values = original.copy()
    result = Treatment(values=values, skew_before=skewness(values), kurtosis_before=kurtosis(values))
    thresholds = {"skew_threshold": spec.skew_threshold, "kurtosis_threshold": spec.kurtosis_threshold}
    if needs_treatment(values, **thresholds):
        moved = _winsorise_steps(values, spec)
        if moved is not None:
            result.method = "winsorise"
            result.moved = [MovedPoint(k, v, float(values[k])) for k, v in moved.items()]
        elif spec.fallback == "log":
            values, result.method = log_transform(original), "log"
        elif spec.fallback == "boxcox":
            assert spec.boxcox_lambda is not None
            values, result.method = boxcox_transform(original, spec.boxcox_lambda), "boxcox"
        else:
            values, result.method = original, "untreated"
    result.values = values
    result.skew_after = skewness(values)
    result.kurtosis_after = kurtosis(values)
    result.passed = not needs_treatment(values, **thresholds)
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
