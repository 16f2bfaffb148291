"""``evaluate(system, data)``: run an indicator system over units and keep every intermediate value.

Layers (STYLE.md habit 6): pure functions (normalise, weights, aggregate, coupling, diagnosis,
treatment, uncertainty) → immutable spec (:class:`~greenport.evaluation.system.System`) → this
orchestrator, which records raw values, treated values, normalised values, weights (local and global),
node scores, totals, ranks, grades, vetoes, obstacle degrees and diagnostics in an
:class:`EvaluationResult`, so that a page can explain why a town scored 872.5.

Data are given as ``{unit_key: {column: value}}``; an indicator reads the column named by its
``source`` (default: its id). Errors about a cell carry ``row`` (1-based position of the unit in
``data``), ``column`` and ``unit``; file readers translate ``row`` into the file's row number. Empty strings and ``None`` are missing values. Adjustment items
(bonus, penalty, veto) read as 0 when missing (no bonus, no penalty, no veto).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from greenport.evaluation import aggregate as agg
from greenport.evaluation import coupling as cpl
from greenport.evaluation import normalise as norm
from greenport.evaluation import weights as wts
from greenport.evaluation._arrays import FloatArray
from greenport.evaluation.audit import audit_system
from greenport.evaluation.denominate import denominate
from greenport.evaluation.diagnosis import obstacle_degree_normalised
from greenport.evaluation.errors import EvaluationError
from greenport.evaluation.screening import BoolArray, screen_units
from greenport.evaluation.system import Grades, Indicator, Node, PointRule, System, load_system, parse_system
from greenport.evaluation.treatment import Treatment, TreatmentSpec, impute, winsorise
from greenport.evaluation.uncertainty import (
    WEIGHT_NOISE,
    rank_intervals,
    ranks_of,
    sobol_indices,
)
from greenport.kernel.fields import cell_number

#: Floor used before geometric aggregation of [0, 1] scores (min-max always yields a 0).
GEOMETRIC_FLOOR = 0.01


def _to_float(value: Any, unit: str, column: str, row: int) -> float:
    """One data cell for the engine: missing is NaN; booleans (from code) are 1/0."""
    try:
        number = cell_number(value, booleans=True)
    except ValueError as exc:
        problem = "is infinite" if str(exc) == "infinite" else "is not a number"
        raise EvaluationError(
            f"unit {unit!r}: {column} = {value!r} {problem}", row=row, column=column, unit=unit
        ) from None
    return math.nan if number is None else number


@dataclass
class _Prepared:
    system: System
    units: tuple[str, ...]
    items: tuple[Indicator, ...]
    raw: FloatArray  # m x n_all
    treated: FloatArray  # m x n_scored, after imputation and outlier treatment
    adjust_raw: FloatArray  # m x n_adjust (missing -> 0)
    normalised: FloatArray  # m x n_scored (index/coupling) or points/max (points)
    points: FloatArray | None  # m x n_scored earned points (points scheme)
    diagnostics: list[dict[str, Any]]
    variables: dict[str, FloatArray] = field(default_factory=dict)
    screened: list[dict[str, Any]] = field(default_factory=list)
    treatment: list[dict[str, Any]] = field(default_factory=list)
    base_weights: dict[str, FloatArray] = field(default_factory=dict)
    weight_methods: dict[str, dict[str, Any]] = field(default_factory=dict)
    alternatives: dict[str, FloatArray] = field(default_factory=dict)


@dataclass
class EvaluationResult:
    """Everything a run computed; JSON-serialisable with :meth:`to_dict`, explainable with :meth:`explain`."""

    system_id: str
    system_version: str
    version_hash: str
    scheme: str
    units: tuple[str, ...]
    indicator_ids: tuple[str, ...]
    adjustment_ids: tuple[str, ...]
    raw: FloatArray
    treated: FloatArray
    normalised: FloatArray
    points: FloatArray | None
    adjustment_points: FloatArray
    local_weights: dict[str, FloatArray]
    global_weights: FloatArray
    node_scores: dict[str, FloatArray]
    total: FloatArray
    rank: FloatArray
    grade: list[str | None]
    node_grades: dict[str, list[str | None]]
    vetoes: list[list[str]]
    obstacles: FloatArray
    coupling: dict[str, Any] | None
    diagnostics: list[dict[str, Any]]
    method: dict[str, Any]
    system: System = field(repr=False)
    uncertainty: dict[str, Any] | None = None
    period: str | None = None
    variables: dict[str, FloatArray] = field(default_factory=dict)
    screened: list[dict[str, Any]] = field(default_factory=list)
    treatment: list[dict[str, Any]] = field(default_factory=list)
    audit: dict[str, Any] | None = None

    def unit_index(self, unit: str) -> int:
        try:
            return self.units.index(unit)
        except ValueError:
            for record in self.screened:
                if record["unit"] == unit:
                    raise EvaluationError(
                        f"unit {unit!r} was screened out ({record['share']:.0%} of the indicators present)",
                        field="unit",
                    ) from None
            raise EvaluationError(f"unknown unit {unit!r}", field="unit") from None

    def score(self, unit: str) -> float:
        return float(self.total[self.unit_index(unit)])

    def explain(self, unit: str, *, top: int = 3) -> dict[str, Any]:
        """Breakdown of one unit's result: every node and indicator with raw, normalised, weight and points."""
        i = self.unit_index(unit)
        system = self.system
        scored = {ind.id: k for k, ind in enumerate(system.indicators)}

        def node_view(node: Node) -> dict[str, Any]:
            view: dict[str, Any] = {
                "id": node.id,
                "name_zh": node.name_zh,
                "name_en": node.name_en,
                "score": _num(self.node_scores[node.id][i]),
                "display_score": _num(self._display(node.id)[i]),
            }
            if node.id in self.node_grades:
                view["grade"] = self.node_grades[node.id][i]
            if node.id in self.local_weights:
                view["child_weights"] = [_num(w) for w in self.local_weights[node.id]]
            if node.children:
                view["dimensions"] = [node_view(child) for child in node.children]
            else:
                view["indicators"] = [indicator_view(ind) for ind in node.indicators]
            return view

        def indicator_view(ind: Indicator) -> dict[str, Any]:
            k = scored[ind.id]
            view = {
                "id": ind.id,
                "name_zh": ind.name_zh,
                "name_en": ind.name_en,
                "unit": ind.unit,
                "direction": ind.direction,
                "raw": _num(self.raw[i, k]),
                "used": _num(self.treated[i, k]),
                "normalised": _num(self.normalised[i, k]),
                "global_weight": _num(self.global_weights[k]),
                "obstacle": _num(self.obstacles[i, k]),
            }
            if self.points is not None and ind.points is not None:
                view["points"] = _num(self.points[i, k])
                view["max_points"] = ind.points.max
                view["rule"] = _describe_rule(ind.points)
            else:
                view["contribution"] = _num(
                    self.global_weights[k] * self.normalised[i, k] * self.system.scale
                )
            return view

        order = np.argsort(-self.obstacles[i], kind="stable")[:top]
        n_scored = len(system.indicators)
        adjustments = [
            {
                "id": item.id,
                "name_zh": item.name_zh,
                "name_en": item.name_en,
                "kind": item.kind,
                "raw": _num(self.raw[i, n_scored + a]),
                "points": _num(self.adjustment_points[i, a]),
                "triggered": item.id in self.vetoes[i] if item.kind == "veto" else None,
            }
            for a, item in enumerate(system.adjustments)
        ]
        out: dict[str, Any] = {
            "system": self.system_id,
            "unit": unit,
            "total": _num(self.total[i]),
            "rank": int(self.rank[i]),
            "of": len(self.units),
            "grade": self.grade[i],
            "vetoes": self.vetoes[i],
            "dimensions": [node_view(child) for child in system.dimensions],
            "adjustments": adjustments,
            "top_obstacles": [
                {
                    "indicator": system.indicators[j].id,
                    "name_zh": system.indicators[j].name_zh,
                    "name_en": system.indicators[j].name_en,
                    "obstacle": _num(self.obstacles[i, j]),
                }
                for j in order
                if self.obstacles[i, j] > 0
            ],
            "diagnostics": [d for d in self.diagnostics if d.get("unit") in (None, unit)],
        }
        if self.coupling is not None:
            out["coupling"] = {
                key: (_plain(value[i]) if isinstance(value, list | np.ndarray) else value)
                for key, value in self.coupling.items()
            }
        if self.uncertainty is not None:
            intervals = self.uncertainty["ranks"]
            out["rank_interval"] = {key: _plain(intervals[key][i]) for key in ("median", "p05", "p95")}
        return out

    def _display(self, node_id: str) -> FloatArray:
        scores = self.node_scores[node_id]
        return scores if self.scheme == "points" else scores * self.system.scale

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict of the whole result (NaN as null)."""
        return {
            "system_id": self.system_id,
            "system_version": self.system_version,
            "version_hash": self.version_hash,
            "scheme": self.scheme,
            "period": self.period,
            "units": list(self.units),
            "indicators": list(self.indicator_ids),
            "adjustments": list(self.adjustment_ids),
            "raw": _plain(self.raw),
            "treated": _plain(self.treated),
            "normalised": _plain(self.normalised),
            "points": _plain(self.points) if self.points is not None else None,
            "adjustment_points": _plain(self.adjustment_points),
            "local_weights": {k: _plain(v) for k, v in self.local_weights.items()},
            "global_weights": _plain(self.global_weights),
            "node_scores": {k: _plain(v) for k, v in self.node_scores.items()},
            "total": _plain(self.total),
            "rank": [int(r) for r in self.rank],
            "grade": self.grade,
            "node_grades": self.node_grades,
            "vetoes": self.vetoes,
            "obstacles": _plain(self.obstacles),
            "coupling": {k: _plain(v) for k, v in self.coupling.items()} if self.coupling else None,
            "diagnostics": self.diagnostics,
            "method": _plain(self.method),
            "uncertainty": _plain(self.uncertainty) if self.uncertainty else None,
            "variables": {k: _plain(v) for k, v in self.variables.items()},
            "screened": _plain(self.screened),
            "treatment": _plain(self.treatment),
            "audit": _plain(self.audit),
        }

    def table(self) -> list[dict[str, Any]]:
        """One row per unit: unit, total, rank, grade, top-level dimension scores."""
        rows = []
        for i, unit in enumerate(self.units):
            row: dict[str, Any] = {
                "unit": unit,
                "total": _num(self.total[i]),
                "rank": int(self.rank[i]),
                "grade": self.grade[i],
            }
            for node in self.system.dimensions:
                row[node.id] = _num(self._display(node.id)[i])
            if self.coupling is not None:
                for key in ("C", "T", "D", "level_zh"):
                    row[key] = _plain(self.coupling[key][i])
            rows.append(row)
        return rows


def _num(value: Any) -> float | None:
    number = float(value)
    return None if math.isnan(number) else round(number, 10)


def _plain(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return _plain(value.tolist())
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.floating | float):
        return None if math.isnan(float(value)) or math.isinf(float(value)) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    return value


def _describe_rule(rule: PointRule) -> str:
    if rule.rule == "target":
        return f"full {rule.max:g} points at target {rule.target:g}, proportional below"
    if rule.rule == "linear":
        return f"full {rule.max:g} at target {rule.target:g}, minus {rule.per_unit:g} per unit short of it"
    if rule.rule == "stepped":
        return "steps " + ", ".join(f"{s.at:g}→{s.points:g}" for s in rule.steps)
    if rule.rule == "ratio":
        cap = f", capped at {rule.cap:g}×" if rule.cap else ""
        return f"{rule.max:g} × value/benchmark ({rule.benchmark}){cap}"
    if rule.rule == "pass":
        return f"{rule.max:g} if target {rule.target:g} is met, else 0"
    return f"{rule.per_unit:g} per unit, at most {rule.max:g}"


# --------------------------------------------------------------------------- preparation


def _read_column(data: Mapping[str, Mapping[str, Any]], units: Sequence[str], key: str) -> FloatArray:
    return np.array([_to_float(data[unit].get(key), unit, key, i + 1) for i, unit in enumerate(units)])


def _read_variables(
    system: System, data: Mapping[str, Mapping[str, Any]], units: Sequence[str]
) -> dict[str, FloatArray]:
    """The raw variables ratio indicators are computed from, as given (kept in the run's inputs)."""
    return {name: _read_column(data, units, name) for name in system.variables}


def _denominated(
    item: Indicator, system: System, variables: Mapping[str, FloatArray], units: Sequence[str]
) -> tuple[FloatArray, list[dict[str, Any]]]:
    """Step "denominate": a ratio indicator's values and a diagnostic per unit left missing."""
    assert item.ratio is not None
    ratio = item.ratio
    values, bad = denominate(
        variables[ratio.numerator],
        variables[ratio.denominator],
        scale=ratio.scale,
        zero_denominator=system.zero_denominator,
        units=units,
        indicator=item.id,
        denominator_name=ratio.denominator,
    )
    notes = [
        {
            "level": "warning",
            "code": "bad_denominator",
            "unit": units[b.row],
            "indicator": item.id,
            "message": f"{ratio.denominator} is {b.reason}: {item.id} left missing (zero_denominator: missing)",
        }
        for b in bad
    ]
    return values, notes


def _matrix(
    system: System, data: Mapping[str, Mapping[str, Any]]
) -> tuple[tuple[str, ...], FloatArray, dict[str, FloatArray], list[dict[str, Any]]]:
    """Units, the raw matrix of every item (ratios denominated), the raw variables, and diagnostics."""
    units = tuple(str(u) for u in data)
    if not units:
        raise EvaluationError("no units to evaluate", field="data")
    variables = _read_variables(system, data, units)
    items = system.all_items
    raw = np.full((len(units), len(items)), np.nan)
    notes: list[dict[str, Any]] = []
    for j, item in enumerate(items):
        if item.ratio is None:
            raw[:, j] = _read_column(data, units, item.data_key)
        else:
            raw[:, j], bad = _denominated(item, system, variables, units)
            notes.extend(bad)
    return units, raw, variables, notes


def _point_scores(rule: PointRule, x: FloatArray, sign: float, values_for_mean: FloatArray) -> FloatArray:
    with np.errstate(divide="ignore", invalid="ignore"):
        if rule.rule == "target":
            assert rule.target is not None
            ratio = x / rule.target if sign > 0 else rule.target / x
            ratio = np.where((sign < 0) & (x <= 0), 1.0, ratio)
            return np.clip(rule.max * ratio, 0.0, rule.max)
        if rule.rule == "linear":
            assert rule.target is not None and rule.per_unit is not None
            shortfall = np.maximum(0.0, (rule.target - x) if sign > 0 else (x - rule.target))
            return np.clip(rule.max - rule.per_unit * shortfall, 0.0, rule.max)
        if rule.rule == "stepped":
            return norm.threshold_points(
                x, [s.at for s in rule.steps], [s.points for s in rule.steps], direction=sign
            )
        if rule.rule == "ratio":
            if rule.benchmark == "mean":
                benchmark = float(np.nanmean(values_for_mean))
            else:
                benchmark = float(rule.benchmark)  # type: ignore[arg-type]
            if not benchmark > 0:
                raise EvaluationError(
                    "ratio benchmark must be positive (mean of units is not)", field="benchmark"
                )
            ratio = x / benchmark if sign > 0 else benchmark / x
            score = rule.max * np.maximum(ratio, 0.0)
            return np.minimum(score, rule.cap * rule.max) if rule.cap else score
        if rule.rule == "pass":
            assert rule.target is not None
            met = x >= rule.target if sign > 0 else x <= rule.target
            return np.where(np.isnan(x), np.nan, np.where(met, rule.max, 0.0))
        assert rule.per_unit is not None
        return np.clip(rule.per_unit * x, 0.0, rule.max)


def _normalise_column(ind: Indicator, default: Any, x: FloatArray) -> FloatArray:
    spec = ind.normalisation or default
    sign = ind.sign
    column = x[:, None]
    method = spec.method
    if ind.direction == "target" and method not in ("closeness", "goalposts"):
        method = "closeness"
    if method == "minmax":
        return norm.minmax(column, [sign])[:, 0]
    if method == "zscore":
        return norm.zscore(column, [sign])[:, 0]
    if method == "target":
        return norm.distance_to_target(column, [sign], spec.target, cap=spec.cap is None or spec.cap <= 1)[
            :, 0
        ]
    if method == "ratio":
        target = spec.target if spec.target is not None else spec.benchmark
        if target == "mean":
            target = float(np.nanmean(x))
        return norm.ratio_to_target(column, [sign], target, cap=spec.cap)[:, 0]
    if method == "goalposts":
        return norm.goalposts(column, [sign], spec.lower, spec.upper)[:, 0]
    if method == "rank":
        return norm.rank(column, [sign])[:, 0]
    if method == "percentile":
        return norm.percentile_rank(column, [sign])[:, 0]
    if method == "vector":
        return norm.vector(column)[:, 0]
    target = spec.target if spec.target is not None else ind.points.target if ind.points else None
    return norm.target_closeness(column, target)[:, 0]


def _screen(
    system: System, units: Sequence[str], values: FloatArray
) -> tuple[BoolArray, list[dict[str, Any]]]:
    """Step "screen": keep mask and the screened-out units (share of indicators present, failing aggregates)."""
    spec = system.screening
    if spec is None:
        return np.ones(len(units), dtype=bool), []
    aggregates = None
    if spec.level is not None:
        column = {ind.id: k for k, ind in enumerate(system.indicators)}
        aggregates = {
            node.id: [column[ind.id] for sub in node.walk() for ind in sub.indicators]
            for node in _nodes_at_level(system.root, spec.level)
        }
    keep, screened = screen_units(
        values, min_share=spec.min_share, aggregates=aggregates, aggregate_min_share=spec.level_min_share
    )
    if not keep.any():
        raise EvaluationError(
            f"every unit was screened out (minimum share of indicators present {spec.min_share:g})",
            field="screening",
        )
    records = [{"unit": units[s.row], "share": s.share, "failing_aggregates": s.failing} for s in screened]
    return keep, records


def _nodes_at_level(root: Node, level: int) -> list[Node]:
    nodes = [root]
    for _ in range(level):
        nodes = [child for node in nodes for child in node.children]
    return nodes


def _impute_step(
    system: System,
    units: Sequence[str],
    values: FloatArray,
    groups: Sequence[Any] | None,
    rows: Sequence[int],
) -> tuple[FloatArray, list[dict[str, Any]]]:
    """Step "impute": the system's missing-data policy; ``rows`` are the units' 1-based rows in the data."""
    names = [ind.id for ind in system.indicators]
    try:
        treated, imputed = impute(values, policy=system.missing, groups=groups, names=names)
    except EvaluationError as exc:
        if exc.row is None:
            raise
        unit = units[exc.row - 1]
        raise EvaluationError(
            f"unit {unit!r}, {exc.column}: value missing and the system's missing-data policy is "
            f"{system.missing!r}",
            row=rows[exc.row - 1],
            column=exc.column,
            unit=unit,
        ) from exc
    notes = [
        {
            "level": "info",
            "code": "imputed",
            "unit": units[i],
            "indicator": names[j],
            "message": f"missing value imputed by {system.missing} ({treated[i, j]:.6g})",
        }
        for i, j in imputed
    ]
    if system.missing == "reweight":
        notes.extend(
            {
                "level": "info",
                "code": "missing_reweighted",
                "unit": units[int(i)],
                "indicator": names[int(j)],
                "message": "missing value left out; the node's other weights renormalised",
            }
            for i, j in np.argwhere(np.isnan(treated))
        )
    return treated, notes


#: Normalisations against a fixed reference: outlier treatment would move the reference's meaning.
_FIXED_REFERENCE = ("goalposts", "ratio", "target")


def _treatment_spec(system: System, ind: Indicator) -> TreatmentSpec:
    return ind.treatment or system.treatment


def _treat_outliers(
    system: System, units: Sequence[str], treated: FloatArray
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Step "treat" (in place): per indicator, the treatment record and a diagnostic when values changed."""
    records: list[dict[str, Any]] = []
    notes: list[dict[str, Any]] = []
    if system.scheme == "points" or len(units) < 4:
        return records, notes
    for j, ind in enumerate(system.indicators):
        spec = _treatment_spec(system, ind)
        if (
            spec.method != "winsorise"
            or (ind.normalisation or system.normalisation).method in _FIXED_REFERENCE
        ):
            continue
        outcome = winsorise(treated[:, j], spec)
        if outcome.method == "none":
            continue
        treated[:, j] = outcome.values
        record = _treatment_record(ind, spec, outcome, units)
        records.append(record)
        notes.append(
            {
                "level": "warning",
                "code": "outlier_treated",
                "indicator": ind.id,
                "message": f"skew {outcome.skew_before:.3g}, kurtosis {outcome.kurtosis_before:.3g}: "
                + record["summary"],
            }
        )
    return records, notes


def _treatment_record(
    ind: Indicator, spec: TreatmentSpec, outcome: Treatment, units: Sequence[str]
) -> dict[str, Any]:
    moved = [{"unit": units[p.index], "from": p.from_value, "to": p.to_value} for p in outcome.moved]
    if outcome.method == "winsorise":
        summary = f"winsorised {len(moved)} value(s): " + ", ".join(
            f"{m['unit']} {m['from']:.6g} -> {m['to']:.6g}" for m in moved
        )
    elif outcome.method == "untreated":
        summary = (
            f"still outside the thresholds after winsorising up to {spec.max_points} point(s); no fallback"
        )
    else:
        summary = (
            f"{outcome.method} transform applied to all {outcome.n_values} values "
            f"(winsorising up to {spec.max_points} point(s) did not bring it within the thresholds)"
        )
    return {
        "indicator": ind.id,
        "applied": outcome.method,
        "moved": moved,
        "summary": summary,
        "skew_before": outcome.skew_before,
        "kurtosis_before": outcome.kurtosis_before,
        "skew_after": outcome.skew_after,
        "kurtosis_after": outcome.kurtosis_after,
        "passed": outcome.passed,
        "spec": spec.to_dict(),
    }


def _normalise_step(
    system: System, treated: FloatArray
) -> tuple[FloatArray, FloatArray | None, list[dict[str, Any]]]:
    """Step "normalise": (normalised matrix, earned points of a points scheme, constant-column notes)."""
    scored = system.indicators
    if system.scheme == "points":
        points = np.column_stack(
            [
                _point_scores(ind.points, treated[:, j], ind.sign, treated[:, j])  # type: ignore[arg-type]
                for j, ind in enumerate(scored)
            ]
        )
        maxima = np.array([ind.points.max for ind in scored])  # type: ignore[union-attr]
        return points / maxima, points, []
    normalised = np.column_stack(
        [_normalise_column(ind, system.normalisation, treated[:, j]) for j, ind in enumerate(scored)]
    )
    notes = []
    for j, ind in enumerate(scored):
        finite = treated[:, j][~np.isnan(treated[:, j])]
        if finite.size and np.all(finite == finite[0]):
            notes.append(
                {
                    "level": "warning",
                    "code": "constant_indicator",
                    "indicator": ind.id,
                    "message": "all units have the same value: it cannot separate them",
                }
            )
    return normalised, None, notes


def _prepare(
    system: System, data: Mapping[str, Mapping[str, Any]], groups: Sequence[Any] | None
) -> _Prepared:
    """Denominate → screen → impute → treat outliers → normalise (the handbook's order, COINr's defaults)."""
    all_units, all_raw, all_variables, diagnostics = _matrix(system, data)
    n = len(system.indicators)
    keep, screened = _screen(system, all_units, all_raw[:, :n])
    for record in screened:
        diagnostics.append(
            {
                "level": "warning",
                "code": "screened_out",
                "unit": record["unit"],
                "message": f"{record['share']:.0%} of the indicators present: left out of the ranking",
            }
        )
    rows = [int(i) + 1 for i in np.flatnonzero(keep)]
    units = tuple(u for u, k in zip(all_units, keep, strict=True) if k)
    raw = all_raw[keep]
    if groups is None and system.group_by:
        groups = [data[u].get(system.group_by, "") for u in all_units]
    kept_groups = [g for g, k in zip(groups, keep, strict=True) if k] if groups is not None else None
    treated, notes = _impute_step(system, units, raw[:, :n].copy(), kept_groups, rows)
    diagnostics.extend(notes)
    treatment, notes = _treat_outliers(system, units, treated)
    diagnostics.extend(notes)
    normalised, points, notes = _normalise_step(system, treated)
    diagnostics.extend(notes)
    adjust_raw = np.nan_to_num(raw[:, n:], nan=0.0)
    return _Prepared(
        system,
        units,
        system.all_items,
        raw,
        treated,
        adjust_raw,
        normalised,
        points,
        diagnostics,
        variables={name: values[keep] for name, values in all_variables.items()},
        screened=screened,
        treatment=treatment,
    )


# --------------------------------------------------------------------------- weights and node scores


#: Normalisations the Monte Carlo may switch a data-driven indicator between (JRC practice: min-max vs rank).
DATA_DRIVEN = ("minmax", "zscore", "rank", "percentile")


def _alternative_normalised(prepared: _Prepared, method: str) -> FloatArray:
    """The normalised matrix with every data-driven indicator normalised by ``method`` (cached)."""
    if method not in prepared.alternatives:
        out = prepared.normalised.copy()
        for j, ind in enumerate(prepared.system.indicators):
            declared = (ind.normalisation or prepared.system.normalisation).method
            if declared in DATA_DRIVEN and ind.direction != "target" and declared != method:
                column = prepared.treated[:, j : j + 1]
                out[:, j] = (
                    norm.minmax(column, [ind.sign])
                    if method == "minmax"
                    else norm.percentile_rank(column, [ind.sign])
                )[:, 0]
        prepared.alternatives[method] = out
    return prepared.alternatives[method]


def _child_matrices(
    node: Node,
    prepared: _Prepared,
    scores: Mapping[str, FloatArray],
    index: Mapping[str, int],
    normalised: FloatArray | None = None,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """(raw matrix, normalised matrix, directions) of a node's children."""
    if node.indicators:
        cols = [index[ind.id] for ind in node.indicators]
        signs = np.array([ind.sign for ind in node.indicators])
        matrix = prepared.normalised if normalised is None else normalised
        return prepared.treated[:, cols], matrix[:, cols], signs
    matrix = np.column_stack([scores[child.id] for child in node.children])
    return matrix, matrix, np.ones(len(node.children))


def _max_points(item: Node | Indicator) -> float:
    if isinstance(item, Indicator):
        return item.points.max if item.points is not None else 0.0
    total = 0.0
    for child in item.children:
        total += _max_points(child)
    for indicator in item.indicators:
        total += _max_points(indicator)
    return total


def _base_weights(
    node: Node, prepared: _Prepared, scores: Mapping[str, FloatArray], index: Mapping[str, int]
) -> tuple[FloatArray, dict[str, Any]]:
    system = prepared.system
    children: Sequence[Node | Indicator] = node.children or node.indicators
    if system.scheme == "points":  # an item's weight is its share of the node's points
        maxima = [_max_points(child) for child in children]
        return wts.fixed_weights(maxima), {"method": "points", "max_points": maxima}
    declared = [child.weight for child in children]
    if all(w is not None for w in declared) and node.weighting in (None, "fixed"):
        return wts.fixed_weights(declared), {"method": "fixed"}
    method = node.weighting or system.weighting
    raw, _, signs = _child_matrices(node, prepared, scores, index)
    n = len(children)
    if method in ("fixed", "equal") or n == 1:
        if method == "fixed":
            raise EvaluationError(
                f"{node.path or 'root'}: weighting 'fixed' but some children have no weight",
                field=node.path or "weighting",
            )
        return wts.equal_weights(n), {"method": "equal"}
    if method == "ahp":
        assert node.judgment is not None
        details = wts.ahp_details(node.judgment)
        if details["cr"] >= wts.MAX_CONSISTENCY_RATIO and not node.allow_inconsistent:
            raise EvaluationError(
                f"{node.path}.judgment: consistency ratio {details['cr']:.4f} >= 0.10",
                field=f"{node.path}.judgment",
            )
        return details["weights"], {
            "method": "ahp",
            "cr": details["cr"],
            "lambda_max": details["lambda_max"],
            "ri_table": details["ri_table"],
        }
    complete = raw[~np.isnan(raw).any(axis=1)]
    if complete.shape[0] < 2:
        raise EvaluationError(
            f"{node.path or 'root'}: {method} weights need at least two complete units",
            field=node.path or "weighting",
        )
    try:
        if method == "entropy":
            weights = wts.entropy_weights(complete, signs)
            info: dict[str, Any] = {
                "method": "entropy",
                "convention": "min-max with direction, p ln p = 0 at p = 0",
            }
        elif method == "critic":
            weights = wts.critic_weights(complete, signs)
            info = {"method": "critic", "convention": "direction-aware min-max"}
        elif method == "cv":
            weights = wts.cv_weights(np.where(signs > 0, complete, 1.0 / complete))
            info = {"method": "cv", "convention": "cost columns inverted (1/x)"}
        elif method == "std":
            weights = wts.std_weights(complete, signs)
            info = {"method": "std"}
        else:
            weights = wts.pca_weights(complete, signs)
            info = {"method": "pca", "convention": "eigenvalue > 1 components, variance-share weighted"}
    except EvaluationError as exc:
        prepared.diagnostics.append(
            {
                "level": "warning",
                "code": "weights_fallback",
                "node": node.id,
                "message": f"{method} weights undefined ({exc.message}); equal weights used",
            }
        )
        return wts.equal_weights(n), {"method": "equal", "fallback_from": method}
    return weights, info


def _aggregate(
    method: str,
    raw: FloatArray,
    normalised: FloatArray,
    signs: FloatArray,
    weights: FloatArray,
    from_indicators: bool,
) -> FloatArray:
    if method == "arithmetic":
        return agg.weighted_arithmetic(normalised, weights)
    if method == "sum":
        return np.nansum(normalised * weights, axis=1)
    if method == "geometric":
        return agg.weighted_geometric(normalised, weights, floor=GEOMETRIC_FLOOR)
    if method == "harmonic":
        return agg.weighted_harmonic(np.maximum(normalised, GEOMETRIC_FLOOR), weights)
    source = raw if from_indicators else normalised
    if np.isnan(source).any():
        raise EvaluationError(
            f"{method} aggregation needs complete data (choose an imputation policy)", field="data"
        )
    if method in ("topsis", "topsis_minmax"):
        variant: Literal["vector", "minmax"] = "vector" if method == "topsis" else "minmax"
        if variant == "vector" and np.any(source < 0):
            variant = "minmax"
        return agg.topsis(source, weights, signs if from_indicators else None, normalisation=variant)
    return agg.grey_relational(source, weights, signs if from_indicators else None)


def _score(
    prepared: _Prepared,
    *,
    weight_factors: Mapping[str, FloatArray] | None = None,
    aggregation: str | None = None,
    normalisation: str | None = None,
) -> tuple[dict[str, FloatArray], dict[str, FloatArray], FloatArray]:
    """Node scores, local weights and the total for one configuration of weights, aggregation and
    normalisation of the data-driven indicators."""
    system = prepared.system
    matrix = None if normalisation is None else _alternative_normalised(prepared, normalisation)
    index = {ind.id: k for k, ind in enumerate(system.indicators)}
    scores: dict[str, FloatArray] = {}
    local: dict[str, FloatArray] = {}

    def visit(node: Node) -> FloatArray:
        for child in node.children:
            visit(child)
        if node.id not in prepared.base_weights:
            weights, info = _base_weights(node, prepared, scores, index)
            prepared.base_weights[node.id] = weights
            prepared.weight_methods[node.id] = info
        weights = prepared.base_weights[node.id]
        if weight_factors is not None and node.id in weight_factors:
            weights = weights * weight_factors[node.id]
            weights = weights / weights.sum()
        local[node.id] = weights
        raw, normalised, signs = _child_matrices(node, prepared, scores, index, matrix)
        if system.scheme == "points":
            if node.indicators:
                assert prepared.points is not None
                cols = [index[ind.id] for ind in node.indicators]
                earned = prepared.points[:, cols]
                if weight_factors is not None and node.id in weight_factors:
                    maxima = np.array([ind.points.max for ind in node.indicators])  # type: ignore[union-attr]
                    earned = (earned / maxima) * (weights * maxima.sum())
                value = np.nansum(earned, axis=1)
            else:
                value = np.sum(np.column_stack([scores[c.id] for c in node.children]), axis=1)
        elif node is system.root and system.scheme == "coupling":
            value = np.zeros(len(prepared.units))  # filled in by the coupling step
        else:
            method = aggregation or node.aggregation or system.aggregation
            value = _aggregate(method, raw, normalised, signs, weights, bool(node.indicators))
        scores[node.id] = value
        return value

    visit(system.root)
    if system.scheme == "points":
        total = scores["root"] + _adjustment_points(prepared).sum(axis=1)
        total = np.maximum(total, 0.0)
    elif system.scheme == "coupling":
        u = np.clip(np.column_stack([scores[d.id] for d in system.dimensions]), 0.0, 1.0)
        spec = system.coupling
        assert spec is not None
        _, _, d = cpl.coupling_coordination(u, spec.weights, modified=spec.modified)
        total = np.asarray(d, dtype=np.float64).reshape(-1)
        scores["root"] = total
    else:
        total = scores["root"] * system.scale + _adjustment_points(prepared).sum(axis=1)
    return scores, local, total


def _adjustment_points(prepared: _Prepared) -> FloatArray:
    system = prepared.system
    m = len(prepared.units)
    out = np.zeros((m, len(system.adjustments)))
    for a, item in enumerate(system.adjustments):
        if item.kind == "veto" or item.points is None:
            continue
        earned = np.nan_to_num(
            _point_scores(item.points, prepared.adjust_raw[:, a], item.sign, prepared.adjust_raw[:, a])
        )
        out[:, a] = earned if item.kind == "bonus" else -earned
    return out


def _global_weights(system: System, local: Mapping[str, FloatArray]) -> FloatArray:
    out: list[float] = []

    def walk(node: Node, factor: float) -> None:
        weights = local[node.id]
        if node.children:
            for child, w in zip(node.children, weights, strict=True):
                walk(child, factor * float(w))
        else:
            out.extend(factor * float(w) for w in weights)

    if system.scheme == "points":
        maxima = np.array([ind.points.max for ind in system.indicators])  # type: ignore[union-attr]
        return maxima / maxima.sum()
    if system.scheme == "coupling":
        alphas = system.coupling.weights if system.coupling and system.coupling.weights else None
        n = len(system.dimensions)
        a = np.asarray(alphas, dtype=np.float64) / sum(alphas) if alphas else np.full(n, 1.0 / n)
        for dim, weight in zip(system.dimensions, a, strict=True):
            walk(dim, float(weight))
        return np.asarray(out)
    walk(system.root, 1.0)
    return np.asarray(out)


def _grade(grades: Grades, values: FloatArray, ranks: FloatArray) -> list[str | None]:
    out: list[str | None] = []
    m = len(values)
    for value, rank in zip(values, ranks, strict=True):
        if math.isnan(value):
            out.append(None)
            continue
        chosen = grades.levels[-1].grade
        for level in grades.levels:
            if grades.basis == "score":
                if level.min is None or value >= level.min - 1e-9:
                    chosen = level.grade
                    break
            elif level.top_share is None or rank / m <= level.top_share + 1e-9:
                chosen = level.grade
                break
        out.append(chosen)
    return out


def _as_system(system: Any) -> System:
    """A :class:`System`, a parsed declaration (mapping) or YAML text."""
    if isinstance(system, System):
        return system
    if isinstance(system, Mapping):
        return parse_system(system)
    if isinstance(system, str) and ("\n" in system or ":" in system):
        return load_system(system)
    raise EvaluationError(
        "evaluate() needs a System, a parsed declaration or YAML text (load files with load_system)",
        field="system",
    )


def _as_rows(data: Any) -> Mapping[str, Mapping[str, Any]]:
    """Accept ``{unit: {column: value}}``, a list of row dicts with a ``unit`` key, or ``{column: [values]}``."""
    if isinstance(data, Mapping):
        values = list(data.values())
        if values and all(isinstance(v, Mapping) for v in values):
            return data
        if values and all(isinstance(v, Sequence | np.ndarray) and not isinstance(v, str) for v in values):
            lengths = {len(v) for v in values}
            if len(lengths) != 1:
                raise EvaluationError("columns of different lengths", field="data")
            (m,) = lengths
            units = [str(u) for u in data["unit"]] if "unit" in data else [str(i + 1) for i in range(m)]
            if len(set(units)) != m:
                raise EvaluationError("unit names repeat", field="unit")
            return {u: {k: v[i] for k, v in data.items() if k != "unit"} for i, u in enumerate(units)}
    elif isinstance(data, Sequence) and not isinstance(data, str):
        rows: dict[str, Mapping[str, Any]] = {}
        for i, row in enumerate(data):
            if not isinstance(row, Mapping):
                raise EvaluationError(f"row {i + 1} is not a mapping of column -> value", row=i + 1)
            unit = str(row.get("unit", i + 1))
            if unit in rows:
                raise EvaluationError(f"unit {unit!r} appears twice", row=i + 1, column="unit")
            rows[unit] = {k: v for k, v in row.items() if k != "unit"}
        return rows
    raise EvaluationError(
        "data must be {unit: {column: value}}, a list of rows with a 'unit' key, or {column: [values]}",
        field="data",
    )


def evaluate(
    system: System | Mapping[str, Any] | str,
    data: Mapping[str, Any] | Sequence[Mapping[str, Any]],
    *,
    groups: Sequence[Any] | None = None,
    uncertainty: int = 0,
    seed: int = 0,
    period: str | None = None,
) -> EvaluationResult:
    """Evaluate ``system`` over ``data`` (``{unit: {column: value}}``).

    Parameters
    ----------
    system : a checked :class:`System` (see :func:`~greenport.evaluation.system.load_system`), a parsed
        declaration (mapping) or YAML text.
    data : ``{unit: {column: value}}`` (units in the order given), a list of row mappings with a ``unit``
        key, or ``{column: [values]}`` (with an optional ``unit`` column).
    groups : group label per unit for ``impute_group_mean`` (default: the ``group_by`` column).
    uncertainty : number of Monte Carlo samples (0 = none): weights × U(0.75, 1.25) at every node and,
        for index and coupling schemes, the aggregation drawn from {declared, geometric} and the
        normalisation of data-driven indicators from {min-max, percentile rank}; gives rank intervals
        (median, 5th-95th percentile) and Sobol first-order/total indices of the mean absolute rank shift.
    seed : random seed of the Monte Carlo (results are reproducible).
    period : label stored with the result.
    """
    system = _as_system(system)
    data = _as_rows(data)
    prepared = _prepare(system, data, groups)
    scores, local, total = _score(prepared)
    ranks = ranks_of(total)
    grade: list[str | None] = _grade(system.grades, total, ranks) if system.grades else [None] * len(total)
    vetoes = _apply_vetoes(prepared, grade)
    node_grades = _node_grades(system, scores)
    global_weights = _global_weights(system, local)
    obstacles = obstacle_degree_normalised(_attainment(prepared), global_weights)
    coupling_info = None
    if system.scheme == "coupling":
        coupling_info = _coupling(system, scores)
        if system.grades is None:
            grade = [str(name) for name in coupling_info["level_zh"]]
    method = _method(system, prepared)
    result = EvaluationResult(
        system_id=system.id,
        system_version=system.version,
        version_hash=system.version_hash,
        scheme=system.scheme,
        units=prepared.units,
        indicator_ids=tuple(ind.id for ind in system.indicators),
        adjustment_ids=tuple(a.id for a in system.adjustments),
        raw=prepared.raw,
        treated=prepared.treated,
        normalised=prepared.normalised,
        points=prepared.points,
        adjustment_points=_adjustment_points(prepared),
        local_weights=local,
        global_weights=global_weights,
        node_scores=scores,
        total=total,
        rank=ranks,
        grade=grade,
        node_grades=node_grades,
        vetoes=vetoes,
        obstacles=obstacles,
        coupling=coupling_info,
        diagnostics=prepared.diagnostics,
        method=method,
        system=system,
        period=period,
        variables=prepared.variables,
        screened=prepared.screened,
        treatment=prepared.treatment,
        audit=audit_system(system, prepared.normalised, scores, total),
    )
    if uncertainty > 0:
        result.uncertainty = _uncertainty(prepared, total, uncertainty, seed)
    return result


def _apply_vetoes(prepared: _Prepared, grade: list[str | None]) -> list[list[str]]:
    """The veto items each unit triggered (一票否决); caps ``grade`` in place and records a
    diagnostic per triggered veto."""
    system = prepared.system
    vetoes: list[list[str]] = [[] for _ in prepared.units]
    for a, item in enumerate(system.adjustments):
        if item.kind != "veto":
            continue
        triggered = prepared.adjust_raw[:, a] >= (item.veto_threshold or 1.0)
        for i in (int(v) for v in np.flatnonzero(triggered)):
            vetoes[i].append(item.id)
            assert system.grades is not None and item.cap_grade is not None
            names = system.grades.names
            current = grade[i]
            if current is None or names.index(current) < names.index(item.cap_grade):
                grade[i] = item.cap_grade
            prepared.diagnostics.append(
                {
                    "level": "warning",
                    "code": "veto",
                    "unit": prepared.units[i],
                    "indicator": item.id,
                    "message": f"一票否决 {item.name_zh}: grade capped at {item.cap_grade}",
                }
            )
    return vetoes


def _node_grades(system: System, scores: Mapping[str, FloatArray]) -> dict[str, list[str | None]]:
    """Grades of the nodes that declare their own grade scale, on their displayed score."""
    node_grades: dict[str, list[str | None]] = {}
    for node in system.root.walk():
        if node.grades is not None:
            display = scores[node.id] if system.scheme == "points" else scores[node.id] * system.scale
            node_grades[node.id] = _grade(node.grades, display, ranks_of(display))
    return node_grades


def _coupling(system: System, scores: Mapping[str, FloatArray]) -> dict[str, Any]:
    """Coupling degree C, development index T, coordination D, its level and the lag type per unit,
    from the dimension scores clipped to [0, 1]."""
    u = np.clip(np.column_stack([scores[d.id] for d in system.dimensions]), 0.0, 1.0)
    spec = system.coupling
    assert spec is not None
    c, t, d = cpl.coupling_coordination(u, spec.weights, modified=spec.modified)
    levels = [cpl.coordination_level(float(v)) for v in d]
    lags = [
        cpl.lag_type(float(row[0]), float(row[1]), margin=spec.lag_margin) if u.shape[1] == 2 else None
        for row in u
    ]
    return {
        "U": u,
        "C": c,
        "T": t,
        "D": d,
        "level": [lv.level for lv in levels],
        "level_zh": [lv.name_zh for lv in levels],
        "level_en": [lv.name_en for lv in levels],
        "lag": lags,
        "modified": spec.modified,
    }


def _method(system: System, prepared: _Prepared) -> dict[str, Any]:
    """The method the result was computed with, as stored with a run."""
    return {
        "scheme": system.scheme,
        "normalisation": {
            ind.id: (ind.normalisation or system.normalisation).method for ind in system.indicators
        }
        if system.scheme != "points"
        else "points",
        "weights": prepared.weight_methods,
        "aggregation": {node.id: node.aggregation or system.aggregation for node in system.root.walk()}
        if system.scheme != "points"
        else "sum of points",
        "missing": system.missing,
        "outliers": system.outliers,
        "treatment": {
            "default": system.treatment.to_dict(),
            "overrides": {ind.id: ind.treatment.to_dict() for ind in system.indicators if ind.treatment},
        },
        "zero_denominator": system.zero_denominator,
        "screening": None
        if system.screening is None
        else {
            "min_share": system.screening.min_share,
            "level": system.screening.level,
            "level_min_share": system.screening.level_min_share,
        },
        "ratios": {
            ind.id: {
                "numerator": ind.ratio.numerator,
                "denominator": ind.ratio.denominator,
                "scale": ind.ratio.scale,
                "unit": ind.unit,
            }
            for ind in system.all_items
            if ind.ratio is not None
        },
        "zscore_ddof": 1,
        "ranks": "1 = best, ties share the better rank",
    }


def _attainment(prepared: _Prepared) -> FloatArray:
    """Per-indicator attainment in [0, 1] for the obstacle model (normalised value, clipped)."""
    system = prepared.system
    if system.scheme == "points":
        return np.clip(np.nan_to_num(prepared.normalised, nan=1.0), 0.0, 1.0)
    out = prepared.normalised.copy()
    for j, ind in enumerate(system.indicators):
        method = (ind.normalisation or system.normalisation).method
        if method in ("zscore", "rank", "vector"):
            out[:, j] = norm.minmax(prepared.treated[:, j : j + 1], [ind.sign])[:, 0]
        elif method == "ratio":
            out[:, j] = np.minimum(out[:, j], 1.0)
    return np.clip(np.nan_to_num(out, nan=1.0), 0.0, 1.0)


def _uncertainty(prepared: _Prepared, nominal: FloatArray, n_samples: int, seed: int) -> dict[str, Any]:
    system = prepared.system
    nodes = [node for node in system.root.walk()]
    groups = list(system.dimensions)  # one uncertain input per top-level dimension's weights
    can_switch = system.scheme in ("index", "coupling")
    declared = [(ind.normalisation or system.normalisation).method for ind in system.indicators]
    switch_norm = can_switch and any(m in DATA_DRIVEN for m in declared)
    base_norm = "minmax" if "minmax" in declared else "percentile"
    other_norm = "percentile" if base_norm == "minmax" else "minmax"
    names = tuple(
        [f"weights:{d.id}" for d in groups]
        + (["aggregation"] if can_switch else [])
        + (["normalisation"] if switch_norm else [])
    )
    base_aggregation = system.aggregation
    other_aggregation = "geometric" if base_aggregation != "geometric" else "arithmetic"
    nominal_ranks = ranks_of(nominal)

    def run(factors: dict[str, FloatArray], aggregation: str | None, normalisation: str | None) -> FloatArray:
        _, _, total = _score(
            prepared, weight_factors=factors, aggregation=aggregation, normalisation=normalisation
        )
        return total

    rng = np.random.default_rng(seed)
    samples = np.empty((n_samples, len(nominal)))
    for s in range(n_samples):
        factors = {
            node.id: rng.uniform(1 - WEIGHT_NOISE, 1 + WEIGHT_NOISE, len(node.children or node.indicators))
            for node in nodes
        }
        aggregation = other_aggregation if can_switch and rng.random() < 0.5 else None
        normalisation = other_norm if switch_norm and rng.random() < 0.5 else None
        samples[s] = run(factors, aggregation, normalisation)
    intervals = rank_intervals(nominal, samples)

    owner: dict[str, int] = {}
    for g, dim in enumerate(groups):
        for node in dim.walk():
            owner[node.id] = g
    d = len(names)
    n_sobol = max(8, n_samples // (d + 2))

    def model(points: FloatArray) -> FloatArray:
        out = np.empty(points.shape[0])
        for r, point in enumerate(points):
            factors: dict[str, FloatArray] = {}
            for node in nodes:
                k = len(node.children or node.indicators)
                g = owner.get(node.id)
                if g is None:  # the root: its children's weights belong to the dimensions
                    u = np.array([point[owner[c.id]] for c in node.children])
                else:
                    u = np.full(k, point[g])
                # the same draw u moves the group's weights in a fixed pseudo-random pattern
                pattern = np.cos(np.arange(1, k + 1) * 2.399) if g is not None else np.ones(k)
                factors[node.id] = 1 + WEIGHT_NOISE * (2 * u - 1) * pattern
            aggregation = other_aggregation if can_switch and point[len(groups)] >= 0.5 else None
            normalisation = other_norm if switch_norm and point[-1] >= 0.5 else None
            out[r] = float(
                np.mean(np.abs(ranks_of(run(factors, aggregation, normalisation)) - nominal_ranks))
            )
        return out

    sobol = sobol_indices(model, d, n_sobol, names=names, seed=seed)
    return {
        "samples": n_samples,
        "weight_noise": WEIGHT_NOISE,
        "aggregation_switch": [base_aggregation, other_aggregation] if can_switch else None,
        "normalisation_switch": [base_norm, other_norm] if switch_norm else None,
        "ranks": intervals.to_dict(),
        "sensitivity": sobol.to_dict(),
        "output": "mean absolute rank shift (COINr)",
        "seed": seed,
    }
