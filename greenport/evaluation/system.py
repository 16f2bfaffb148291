"""Indicator systems as data: the YAML schema, its checker and the immutable spec objects.

An indicator system is a YAML mapping (see ``docs/evaluation.md`` for the full schema)::

    id: enterprise_per_mu            # snake_case, unique in the registry
    version: "2024.1"
    name_zh: 工业企业亩均效益综合评价
    name_en: Per-mu benefit of industrial enterprises
    unit_kind: enterprise            # free identifier: town, enterprise, county, province, country, park ...
    scheme: points                   # points | index | coupling
    sources: [...]                   # documents the system follows (required, at least one)
    reconstruction: ...              # what was reconstructed where the sources give only the shape
    missing: refuse                  # refuse | reweight | impute_group_mean | impute_mean
    outliers: none                   # none | winsorise
    treatment: {skew_threshold: 2, kurtosis_threshold: 3.5, max_points: 5, sides: both, fallback: log}
    zero_denominator: error          # error | missing (ratio indicators)
    screening: {min_share: 0.65, level: 1, level_min_share: 0.5}
    max_points: 100                  # points scheme: Σ of item points must equal it
    scale: 100                       # index scheme: root score × scale
    normalisation: {method: minmax}  # default for indicators (index scheme)
    weighting: equal                 # default method for a node's children without weights
    aggregation: arithmetic          # default node aggregation (index scheme)
    grades: {basis: score, levels: [{grade: A, min: 90}, ...]}
    dimensions: [ {id, name_zh, name_en, weight?, weighting?, judgment?, aggregation?, grades?,
                   dimensions: [...] | indicators: [...]} ]
    adjustments: [ bonus / penalty / veto items ]

Every problem is reported with its YAML path, e.g.
``dimensions[2].indicators[4].direction: must be benefit|cost|target``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import Any

import yaml

from greenport.evaluation import aggregate as agg
from greenport.evaluation import normalise as norm
from greenport.evaluation import weights as wts
from greenport.evaluation.errors import SchemaError
from greenport.evaluation.treatment import (
    FALLBACKS,
    MISSING_POLICIES,
    OUTLIER_METHODS,
    SIDES,
    TreatmentSpec,
)

SCHEMES = ("points", "index", "coupling")
#: The unit kinds of the city's own systems; any identifier is accepted (countries, provinces, parks, firms).
UNIT_KINDS = ("town", "department", "leader", "county", "enterprise", "city_year", "city")
#: A unit kind is stored in ``evaluation_runs.unit_kind`` (String(40)).
MAX_UNIT_KIND_LENGTH = 40
DIRECTIONS = ("benefit", "cost", "target")
POINT_RULES = ("target", "linear", "stepped", "ratio", "pass", "count")
ITEM_KINDS = ("bonus", "penalty", "veto")
GRADE_BASES = ("score", "rank_share")
OUTLIER_POLICIES = OUTLIER_METHODS
ZERO_DENOMINATOR_POLICIES = ("error", "missing")
_TREATMENT_KEYS = {
    "method",
    "skew_threshold",
    "kurtosis_threshold",
    "max_points",
    "sides",
    "fallback",
    "boxcox_lambda",
}
_ID = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Normalisation:
    """How an indicator is normalised in an index scheme (see :mod:`greenport.evaluation.normalise`)."""

    method: str = "minmax"
    target: float | None = None
    lower: float | None = None
    upper: float | None = None
    cap: float | None = None
    benchmark: str | float | None = None


@dataclass(frozen=True)
class Ratio:
    """An indicator computed from two raw variables (handbook step "denominate"):
    value = ``scale`` × ``numerator`` / ``denominator`` [``unit``]."""

    numerator: str
    denominator: str
    scale: float = 1.0
    unit: str = ""


@dataclass(frozen=True)
class Screening:
    """Units with too little data are left out (reported, not ranked; COINr ``Screen`` by data availability).

    ``min_share``: minimum share of the scored indicators with a value; ``level_min_share``: minimum share
    within every aggregate at depth ``level`` (1 = the top-level dimensions), when given.
    """

    min_share: float = 0.0
    level: int | None = None
    level_min_share: float | None = None


@dataclass(frozen=True)
class Step:
    at: float
    points: float


@dataclass(frozen=True)
class PointRule:
    """Point-scheme scoring of one item.

    * ``target``: full ``max`` when the target is met, else ``max``·x/T (benefit) or ``max``·T/x (cost);
    * ``linear``: full ``max`` at the target, ``per_unit`` points deducted per unit of shortfall, floor 0;
    * ``stepped``: the points of the best step reached (``steps``: ``at`` thresholds);
    * ``ratio``: ``max``·x/benchmark (benchmark a number or ``mean`` of the units), capped at ``cap``·max;
    * ``pass``: ``max`` when the value meets the target (>= for benefit, <= for cost), else 0;
    * ``count``: ``per_unit``·x capped at ``max`` (bonus and penalty items).
    """

    rule: str
    max: float
    target: float | None = None
    per_unit: float | None = None
    steps: tuple[Step, ...] = ()
    benchmark: str | float | None = None
    cap: float | None = None


@dataclass(frozen=True)
class Indicator:
    id: str
    name_zh: str
    name_en: str
    unit: str
    direction: str
    path: str
    definition: str = ""
    column: str | None = None
    query: str | None = None
    weight: float | None = None
    normalisation: Normalisation | None = None
    points: PointRule | None = None
    kind: str = "score"
    veto_threshold: float | None = None
    cap_grade: str | None = None
    ratio: Ratio | None = None
    treatment: TreatmentSpec | None = None

    @property
    def sign(self) -> float:
        return -1.0 if self.direction == "cost" else 1.0

    @property
    def data_key(self) -> str:
        """The column (or named query) holding this indicator's values; defaults to the indicator id."""
        return self.column or self.query or self.id

    @property
    def data_keys(self) -> tuple[str, ...]:
        """The data columns this indicator reads: its numerator and denominator, or its one column."""
        if self.ratio is not None:
            return (self.ratio.numerator, self.ratio.denominator)
        return (self.data_key,)


@dataclass(frozen=True)
class GradeLevel:
    grade: str
    min: float | None = None
    top_share: float | None = None
    name_zh: str = ""


@dataclass(frozen=True)
class Grades:
    """Grade cut-offs, best grade first: absolute (``min`` score) or by rank share (``top_share``, cumulative)."""

    basis: str
    levels: tuple[GradeLevel, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(level.grade for level in self.levels)


@dataclass(frozen=True)
class Node:
    id: str
    name_zh: str
    name_en: str
    path: str
    weight: float | None = None
    weighting: str | None = None
    judgment: tuple[tuple[float, ...], ...] | None = None
    allow_inconsistent: bool = False
    aggregation: str | None = None
    grades: Grades | None = None
    children: tuple[Node, ...] = ()
    indicators: tuple[Indicator, ...] = ()

    def walk(self) -> Iterator[Node]:
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass(frozen=True)
class CouplingSpec:
    weights: tuple[float, ...] | None = None
    modified: bool = False
    lag_margin: float = 0.1


@dataclass(frozen=True)
class System:
    """A checked, immutable indicator system."""

    id: str
    version: str
    name_zh: str
    name_en: str
    unit_kind: str
    scheme: str
    sources: tuple[str, ...]
    root: Node
    adjustments: tuple[Indicator, ...] = ()
    reconstruction: str = ""
    missing: str = "refuse"
    outliers: str = "none"
    max_points: float | None = None
    scale: float = 1.0
    normalisation: Normalisation = field(default_factory=Normalisation)
    weighting: str = "equal"
    aggregation: str = "arithmetic"
    grades: Grades | None = None
    coupling: CouplingSpec | None = None
    group_by: str | None = None
    treatment: TreatmentSpec = field(default_factory=TreatmentSpec)
    zero_denominator: str = "error"
    screening: Screening | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def dimensions(self) -> tuple[Node, ...]:
        return self.root.children

    @property
    def indicators(self) -> tuple[Indicator, ...]:
        """Scored indicators in declaration order (adjustment items excluded)."""
        return tuple(ind for node in self.root.walk() for ind in node.indicators)

    @property
    def all_items(self) -> tuple[Indicator, ...]:
        return self.indicators + self.adjustments

    @property
    def variables(self) -> tuple[str, ...]:
        """Raw variables the ratio indicators are computed from (numerators and denominators), in order."""
        seen: dict[str, None] = {}
        for item in self.all_items:
            if item.ratio is not None:
                seen.setdefault(item.ratio.numerator)
                seen.setdefault(item.ratio.denominator)
        return tuple(seen)

    @property
    def data_keys(self) -> tuple[str, ...]:
        """Every data column the system reads (indicator columns and ratio variables)."""
        seen: dict[str, None] = {}
        for item in self.all_items:
            for key in item.data_keys:
                seen.setdefault(key)
        return tuple(seen)

    @property
    def version_hash(self) -> str:
        """sha256 of the canonical JSON of the declaration (formatting and comments do not count)."""
        canonical = json.dumps(
            self.raw, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str
        )
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    def indicator(self, indicator_id: str) -> Indicator:
        for item in self.all_items:
            if item.id == indicator_id:
                return item
        raise KeyError(indicator_id)

    def shape(self) -> dict[str, int]:
        """Counts used to check a system against its documents: dimensions, indicators, adjustments."""
        return {
            "dimensions": len(self.dimensions),
            "indicators": len(self.indicators),
            "adjustments": len(self.adjustments),
        }


# --------------------------------------------------------------------------- the checker


#: Top-level keys of a system declaration.
SYSTEM_KEYS: frozenset[str] = frozenset(
    {
        "schema",
        "id",
        "version",
        "name_zh",
        "name_en",
        "unit_kind",
        "scheme",
        "sources",
        "reconstruction",
        "missing",
        "outliers",
        "max_points",
        "scale",
        "normalisation",
        "weighting",
        "aggregation",
        "grades",
        "coupling",
        "dimensions",
        "adjustments",
        "group_by",
        "note",
        "description",
        "treatment",
        "zero_denominator",
        "screening",
    }
)


class _Checker:
    def __init__(self, raw: Mapping[str, Any]) -> None:
        self.raw = raw
        self.seen_ids: dict[str, str] = {}
        self.default_treatment = TreatmentSpec()

    # small typed getters -------------------------------------------------------------
    def mapping(self, value: Any, path: str) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise SchemaError(path, f"must be a mapping, got {type(value).__name__}")
        return value

    def known_keys(self, data: Mapping[str, Any], allowed: AbstractSet[str], path: str) -> None:
        for key in data:
            if key not in allowed:
                raise SchemaError(
                    _join(path, str(key)), f"unknown key; allowed: {', '.join(sorted(allowed))}"
                )

    def text(
        self, data: Mapping[str, Any], key: str, path: str, *, required: bool = True, default: str = ""
    ) -> str:
        value = data.get(key)
        if value is None:
            if required:
                raise SchemaError(_join(path, key), "is required")
            return default
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise SchemaError(_join(path, key), "must be a string")
        return str(value)

    def number(
        self,
        data: Mapping[str, Any],
        key: str,
        path: str,
        *,
        required: bool = False,
        positive: bool = False,
        non_negative: bool = False,
    ) -> float | None:
        value = data.get(key)
        if value is None:
            if required:
                raise SchemaError(_join(path, key), "is required")
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise SchemaError(_join(path, key), f"must be a number, got {value!r}")
        number = float(value)
        if positive and not number > 0:
            raise SchemaError(_join(path, key), "must be > 0")
        if non_negative and number < 0:
            raise SchemaError(_join(path, key), "must be >= 0")
        return number

    def choice(
        self,
        data: Mapping[str, Any],
        key: str,
        options: tuple[str, ...],
        path: str,
        *,
        default: str | None = None,
    ) -> str:
        value = data.get(key, default)
        if value is None:
            raise SchemaError(_join(path, key), f"is required: {'|'.join(options)}")
        if value not in options:
            raise SchemaError(_join(path, key), f"must be {'|'.join(options)}")
        return str(value)

    def identifier(self, data: Mapping[str, Any], path: str) -> str:
        ident = self.text(data, "id", path)
        if not _ID.match(ident):
            raise SchemaError(_join(path, "id"), "must be snake_case ([a-z][a-z0-9_]*)")
        if ident in self.seen_ids:
            raise SchemaError(_join(path, "id"), f"duplicate id {ident!r} (first at {self.seen_ids[ident]})")
        self.seen_ids[ident] = path
        return ident

    # parts -------------------------------------------------------------------------------
    def normalisation(self, value: Any, path: str, *, default: bool = False) -> Normalisation:
        """An indicator's normalisation; the system-wide ``default`` may leave targets to the indicators."""
        if isinstance(value, str):
            value = {"method": value}
        data = self.mapping(value, path)
        self.known_keys(data, {"method", "target", "lower", "upper", "cap", "benchmark"}, path)
        method = self.choice(data, "method", norm.METHODS, path, default="minmax")
        strict = not default
        spec = Normalisation(
            method=method,
            target=self.number(data, "target", path, required=strict and method in ("target", "closeness")),
            lower=self.number(data, "lower", path, required=strict and method == "goalposts"),
            upper=self.number(data, "upper", path, required=strict and method == "goalposts"),
            cap=self.number(data, "cap", path, positive=True),
            benchmark=self._benchmark(
                data, path, required=strict and method == "ratio" and data.get("target") is None
            ),
        )
        if method == "goalposts" and spec.lower == spec.upper:
            raise SchemaError(_join(path, "upper"), "must differ from lower")
        return spec

    def _benchmark(self, data: Mapping[str, Any], path: str, *, required: bool) -> str | float | None:
        value = data.get("benchmark")
        if value is None:
            if required:
                raise SchemaError(_join(path, "benchmark"), "is required (a number or 'mean')")
            return None
        if value == "mean":
            return "mean"
        number = self.number(data, "benchmark", path, positive=True)
        return number

    def points(self, value: Any, path: str, kind: str) -> PointRule:
        data = self.mapping(value, path)
        self.known_keys(data, {"rule", "max", "target", "per_unit", "steps", "benchmark", "cap"}, path)
        rule = self.choice(data, "rule", POINT_RULES, path)
        maximum = self.number(data, "max", path, required=True, positive=True)
        assert maximum is not None
        target = self.number(data, "target", path, required=rule in ("target", "linear", "pass"))
        if rule == "target" and target is not None and target <= 0:
            raise SchemaError(_join(path, "target"), "must be > 0 for the proportional 'target' rule")
        per_unit = self.number(data, "per_unit", path, required=rule in ("linear", "count"), positive=True)
        steps: tuple[Step, ...] = ()
        if rule == "stepped":
            raw_steps = data.get("steps")
            if not isinstance(raw_steps, list) or not raw_steps:
                raise SchemaError(_join(path, "steps"), "must be a non-empty list of {at, points}")
            parsed = []
            for k, step in enumerate(raw_steps):
                step_path = f"{_join(path, 'steps')}[{k}]"
                step_data = self.mapping(step, step_path)
                self.known_keys(step_data, {"at", "points"}, step_path)
                at = self.number(step_data, "at", step_path, required=True)
                pts = self.number(step_data, "points", step_path, required=True, non_negative=True)
                assert at is not None and pts is not None
                if pts > maximum:
                    raise SchemaError(_join(step_path, "points"), f"exceeds the item's max {maximum:g}")
                parsed.append(Step(at, pts))
            steps = tuple(parsed)
        benchmark = self._benchmark(data, path, required=rule == "ratio")
        cap = self.number(data, "cap", path, positive=True)
        if kind in ("bonus", "penalty") and rule not in ("count", "pass", "stepped", "linear", "target"):
            raise SchemaError(
                _join(path, "rule"), "bonus/penalty items use count, pass, stepped, linear or target"
            )
        return PointRule(rule, maximum, target, per_unit, steps, benchmark, cap)

    def grades(self, value: Any, path: str) -> Grades:
        data = self.mapping(value, path)
        self.known_keys(data, {"basis", "levels"}, path)
        basis = self.choice(data, "basis", GRADE_BASES, path, default="score")
        raw_levels = data.get("levels")
        if not isinstance(raw_levels, list) or len(raw_levels) < 2:
            raise SchemaError(_join(path, "levels"), "must list at least two grades, best first")
        levels = []
        previous: float | None = None
        for k, level in enumerate(raw_levels):
            level_path = f"{_join(path, 'levels')}[{k}]"
            level_data = self.mapping(level, level_path)
            self.known_keys(level_data, {"grade", "min", "top_share", "name_zh"}, level_path)
            grade = self.text(level_data, "grade", level_path)
            last = k == len(raw_levels) - 1
            if basis == "score":
                cut = self.number(level_data, "min", level_path, required=not last)
                if cut is not None and previous is not None and cut >= previous:
                    raise SchemaError(
                        _join(level_path, "min"), "cut-offs must decrease from the best grade down"
                    )
                previous = cut if cut is not None else previous
                levels.append(
                    GradeLevel(
                        grade, min=cut, name_zh=self.text(level_data, "name_zh", level_path, required=False)
                    )
                )
            else:
                share = self.number(level_data, "top_share", level_path, required=not last)
                if share is not None:
                    if not 0 < share <= 1:
                        raise SchemaError(
                            _join(level_path, "top_share"),
                            "must lie in (0, 1] (cumulative share from the top)",
                        )
                    if previous is not None and share <= previous:
                        raise SchemaError(_join(level_path, "top_share"), "cumulative shares must increase")
                    previous = share
                levels.append(
                    GradeLevel(
                        grade,
                        top_share=share,
                        name_zh=self.text(level_data, "name_zh", level_path, required=False),
                    )
                )
        return Grades(basis, tuple(levels))

    def indicator(self, value: Any, path: str, scheme: str, *, adjustment: bool = False) -> Indicator:
        data = self.mapping(value, path)
        allowed = {
            "id",
            "name_zh",
            "name_en",
            "unit",
            "direction",
            "definition",
            "source",
            "weight",
            "normalisation",
            "points",
            "kind",
            "veto",
            "target",
            "note",
            "ratio",
            "treatment",
        }
        self.known_keys(data, allowed, path)
        ident = self.identifier(data, path)
        kind = self.choice(
            data,
            "kind",
            ("score", *ITEM_KINDS),
            path,
            default="veto" if "veto" in data else ("score" if not adjustment else None),
        )
        if adjustment and kind == "score":
            raise SchemaError(_join(path, "kind"), "adjustments must be bonus|penalty|veto")
        if not adjustment and kind != "score":
            raise SchemaError(_join(path, "kind"), "bonus, penalty and veto items belong under adjustments")
        direction = self.choice(
            data, "direction", DIRECTIONS, path, default="benefit" if adjustment else None
        )
        column = query = None
        source = data.get("source")
        ratio = self.ratio(data["ratio"], _join(path, "ratio")) if "ratio" in data else None
        if ratio is not None and source is not None:
            raise SchemaError(_join(path, "ratio"), "give either source or ratio, not both")
        if source is not None:
            source_path = _join(path, "source")
            if isinstance(source, str):
                column = source
            else:
                source_data = self.mapping(source, source_path)
                self.known_keys(source_data, {"column", "query"}, source_path)
                if ("column" in source_data) == ("query" in source_data):
                    raise SchemaError(source_path, "give exactly one of column or query")
                column = self.text(source_data, "column", source_path, required=False) or None
                query = self.text(source_data, "query", source_path, required=False) or None
        weight = self.number(data, "weight", path, non_negative=True)
        normalisation = None
        points = None
        veto_threshold = None
        cap_grade = None
        if kind == "veto":
            veto_path = _join(path, "veto")
            veto = self.mapping(data.get("veto", {}), veto_path)
            self.known_keys(veto, {"threshold", "cap_grade"}, veto_path)
            veto_threshold = self.number(veto, "threshold", veto_path) or 1.0
            cap_grade = self.text(veto, "cap_grade", veto_path)
        elif scheme == "points" or kind in ("bonus", "penalty"):
            if "points" not in data:
                raise SchemaError(
                    _join(path, "points"), "is required in a points scheme (and for bonus/penalty items)"
                )
            points = self.points(data["points"], _join(path, "points"), kind)
        elif "normalisation" in data:
            normalisation = self.normalisation(data["normalisation"], _join(path, "normalisation"))
        target = self.number(data, "target", path)
        if direction == "target" and kind == "score":
            has_target = (
                target is not None
                or (normalisation and normalisation.target is not None)
                or (points and points.target is not None)
            )
            if not has_target:
                raise SchemaError(_join(path, "target"), "a 'target' direction needs a target value")
            if normalisation is None and scheme != "points":
                normalisation = Normalisation(method="closeness", target=target)
        if (
            points is not None
            and points.rule in ("target", "linear")
            and direction == "target"
            and points.target is None
        ):
            points = PointRule(
                points.rule, points.max, target, points.per_unit, points.steps, points.benchmark, points.cap
            )
        unit = self.text(data, "unit", path, required=not adjustment and ratio is None, default="")
        if ratio is not None:
            if unit and ratio.unit and unit != ratio.unit:
                raise SchemaError(_join(path, "ratio.unit"), f"{ratio.unit!r} differs from the unit {unit!r}")
            unit = unit or ratio.unit
            if not unit:
                raise SchemaError(_join(path, "unit"), "is required (or ratio.unit)")
        treatment = None
        if "treatment" in data:
            treatment = self.treatment(data["treatment"], _join(path, "treatment"), self.default_treatment)
        return Indicator(
            id=ident,
            name_zh=self.text(data, "name_zh", path),
            name_en=self.text(data, "name_en", path),
            unit=unit,
            direction=direction,
            path=path,
            definition=self.text(data, "definition", path, required=False),
            column=column,
            query=query,
            weight=weight,
            normalisation=normalisation,
            points=points,
            kind=kind,
            veto_threshold=veto_threshold,
            cap_grade=cap_grade,
            ratio=ratio,
            treatment=treatment,
        )

    def ratio(self, value: Any, path: str) -> Ratio:
        data = self.mapping(value, path)
        self.known_keys(data, {"numerator", "denominator", "scale", "unit"}, path)
        numerator = self.text(data, "numerator", path)
        denominator = self.text(data, "denominator", path)
        if numerator == denominator:
            raise SchemaError(_join(path, "denominator"), "must differ from the numerator")
        scale = self.number(data, "scale", path, positive=True)
        return Ratio(
            numerator,
            denominator,
            1.0 if scale is None else scale,
            self.text(data, "unit", path, required=False),
        )

    def treatment(self, value: Any, path: str, base: TreatmentSpec) -> TreatmentSpec:
        """A ``treatment:`` block over ``base`` (the system's block over COINr's defaults)."""
        data = self.mapping(value, path)
        self.known_keys(data, _TREATMENT_KEYS, path)
        skew = self.number(data, "skew_threshold", path, positive=True)
        kurt = self.number(data, "kurtosis_threshold", path)
        max_points = data.get("max_points", base.max_points)
        if isinstance(max_points, bool) or not isinstance(max_points, int) or max_points < 1:
            raise SchemaError(_join(path, "max_points"), "must be a whole number >= 1")
        lam = self.number(data, "boxcox_lambda", path)
        spec = TreatmentSpec(
            method=self.choice(data, "method", OUTLIER_METHODS, path, default=base.method),
            skew_threshold=base.skew_threshold if skew is None else skew,
            kurtosis_threshold=base.kurtosis_threshold if kurt is None else kurt,
            max_points=max_points,
            sides=self.choice(data, "sides", SIDES, path, default=base.sides),
            fallback=self.choice(data, "fallback", FALLBACKS, path, default=base.fallback),
            boxcox_lambda=base.boxcox_lambda if lam is None else lam,
        )
        if spec.fallback == "boxcox" and spec.boxcox_lambda is None:
            raise SchemaError(
                _join(path, "boxcox_lambda"), "is required with fallback: boxcox (λ is not optimised)"
            )
        return spec

    def screening(self, value: Any, path: str, depth: int) -> Screening:
        data = self.mapping(value, path)
        self.known_keys(data, {"min_share", "level", "level_min_share"}, path)
        shares = {}
        for key in ("min_share", "level_min_share"):
            share = self.number(data, key, path)
            if share is not None and not 0 <= share <= 1:
                raise SchemaError(_join(path, key), "must lie in [0, 1] (a share of the indicators)")
            shares[key] = share
        level = data.get("level")
        if (level is None) != (shares["level_min_share"] is None):
            raise SchemaError(path, "level and level_min_share go together")
        if level is not None and (
            isinstance(level, bool) or not isinstance(level, int) or not 1 <= level <= depth
        ):
            raise SchemaError(
                _join(path, "level"), f"must be a whole number from 1 to {depth} (1 = top dimensions)"
            )
        return Screening(shares["min_share"] or 0.0, level, shares["level_min_share"])

    def unit_kind(self, data: Mapping[str, Any]) -> str:
        kind = self.text(data, "unit_kind", "")
        if not _ID.match(kind) or len(kind) > MAX_UNIT_KIND_LENGTH:
            raise SchemaError(
                "unit_kind",
                f"must be an identifier ([a-z][a-z0-9_]*, at most {MAX_UNIT_KIND_LENGTH} characters), "
                "e.g. town, enterprise, province, country, park",
            )
        return kind

    def node(self, value: Any, path: str, scheme: str, depth: int) -> Node:
        data = self.mapping(value, path)
        allowed = {
            "id",
            "name_zh",
            "name_en",
            "weight",
            "weighting",
            "judgment",
            "allow_inconsistent",
            "aggregation",
            "grades",
            "dimensions",
            "indicators",
            "note",
        }
        self.known_keys(data, allowed, path)
        ident = self.identifier(data, path)
        has_children = "dimensions" in data
        has_indicators = "indicators" in data
        if has_children == has_indicators:
            raise SchemaError(path, "a dimension holds either 'dimensions' or 'indicators' (exactly one)")
        weighting = data.get("weighting")
        if weighting is not None and weighting not in wts.METHODS:
            raise SchemaError(_join(path, "weighting"), f"must be {'|'.join(wts.METHODS)}")
        aggregation = data.get("aggregation")
        if aggregation is not None and aggregation not in agg.METHODS:
            raise SchemaError(_join(path, "aggregation"), f"must be {'|'.join(agg.METHODS)}")
        children: tuple[Node, ...] = ()
        indicators: tuple[Indicator, ...] = ()
        if has_children:
            raw_children = data["dimensions"]
            if not isinstance(raw_children, list) or not raw_children:
                raise SchemaError(_join(path, "dimensions"), "must be a non-empty list")
            children = tuple(
                self.node(child, f"{_join(path, 'dimensions')}[{k}]", scheme, depth + 1)
                for k, child in enumerate(raw_children)
            )
            n_children = len(children)
        else:
            raw_inds = data["indicators"]
            if not isinstance(raw_inds, list) or not raw_inds:
                raise SchemaError(_join(path, "indicators"), "must be a non-empty list")
            indicators = tuple(
                self.indicator(ind, f"{_join(path, 'indicators')}[{k}]", scheme)
                for k, ind in enumerate(raw_inds)
            )
            n_children = len(indicators)
        allow = data.get("allow_inconsistent", False)
        if not isinstance(allow, bool):
            raise SchemaError(_join(path, "allow_inconsistent"), "must be true or false")
        judgment = self.judgment(
            data.get("judgment"), _join(path, "judgment"), n_children, weighting, allow_inconsistent=allow
        )
        return Node(
            id=ident,
            name_zh=self.text(data, "name_zh", path),
            name_en=self.text(data, "name_en", path),
            path=path,
            weight=self.number(data, "weight", path, non_negative=True),
            weighting=weighting,
            judgment=judgment,
            allow_inconsistent=allow,
            aggregation=aggregation,
            grades=self.grades(data["grades"], _join(path, "grades")) if "grades" in data else None,
            children=children,
            indicators=indicators,
        )

    def judgment(
        self, value: Any, path: str, n: int, weighting: str | None, *, allow_inconsistent: bool = False
    ) -> tuple[tuple[float, ...], ...] | None:
        if weighting == "ahp" and value is None:
            raise SchemaError(path, "is required when weighting is ahp")
        if value is None:
            return None
        if (
            not isinstance(value, list)
            or len(value) != n
            or any(not isinstance(r, list) or len(r) != n for r in value)
        ):
            raise SchemaError(path, f"must be a {n} x {n} matrix (one row per child)")
        try:
            matrix = tuple(tuple(_fraction(v) for v in row) for row in value)
        except (TypeError, ValueError, ZeroDivisionError) as exc:
            raise SchemaError(path, f"entries must be numbers or fractions like 1/3: {exc}") from exc
        try:
            details = wts.ahp_details(matrix)
        except Exception as exc:
            raise SchemaError(path, str(exc)) from exc
        if details["cr"] >= wts.MAX_CONSISTENCY_RATIO and not allow_inconsistent:
            raise SchemaError(
                path,
                f"consistency ratio CR = {details['cr']:.4f} >= {wts.MAX_CONSISTENCY_RATIO:g} (Saaty RI); revise the "
                "judgments or set allow_inconsistent: true on the dimension",
            )
        return matrix

    # the steps of system() ---------------------------------------------------------------
    def declared_treatment(self, data: Mapping[str, Any]) -> TreatmentSpec:
        """The system-wide outlier treatment (``treatment:``, or the older ``outliers:`` policy)."""
        outliers = self.choice(data, "outliers", OUTLIER_POLICIES, "", default="none")
        treatment = self.treatment(data.get("treatment", {}), "treatment", TreatmentSpec(method=outliers))
        if "outliers" in data and treatment.method != outliers:
            raise SchemaError("treatment.method", f"contradicts outliers: {outliers}")
        return treatment

    def system_id(self, data: Mapping[str, Any]) -> str:
        ident = self.text(data, "id", "")
        if not _ID.match(ident):
            raise SchemaError("id", "must be snake_case ([a-z][a-z0-9_]*)")
        return ident

    def sources(self, data: Mapping[str, Any]) -> tuple[str, ...]:
        sources = data.get("sources")
        if (
            not isinstance(sources, list)
            or not sources
            or not all(isinstance(s, str) and s.strip() for s in sources)
        ):
            raise SchemaError("sources", "must be a non-empty list of the documents the system follows")
        return tuple(sources)

    def dimensions(self, data: Mapping[str, Any], scheme: str) -> tuple[Node, ...]:
        raw_dims = data.get("dimensions")
        if not isinstance(raw_dims, list) or not raw_dims:
            raise SchemaError("dimensions", "must be a non-empty list")
        return tuple(self.node(d, f"dimensions[{k}]", scheme, 1) for k, d in enumerate(raw_dims))

    def adjustments(self, data: Mapping[str, Any], scheme: str) -> tuple[Indicator, ...]:
        raw_adj = data.get("adjustments") or []
        if not isinstance(raw_adj, list):
            raise SchemaError("adjustments", "must be a list")
        return tuple(
            self.indicator(a, f"adjustments[{k}]", scheme, adjustment=True) for k, a in enumerate(raw_adj)
        )

    def system_weighting(self, data: Mapping[str, Any]) -> str:
        weighting = self.choice(data, "weighting", wts.METHODS, "", default="equal")
        if weighting == "ahp":
            raise SchemaError(
                "weighting", "ahp needs a judgment per node: set weighting: ahp on the dimensions"
            )
        return weighting

    def root(self, data: Mapping[str, Any], dimensions: tuple[Node, ...]) -> Node:
        return Node(
            id="root",
            name_zh=self.text(data, "name_zh", ""),
            name_en=self.text(data, "name_en", ""),
            path="",
            weighting=None,  # the system default applies only where children carry no weights
            judgment=self.judgment(data.get("judgment"), "judgment", len(dimensions), None),
            aggregation=data.get("aggregation"),
            children=dimensions,
        )

    def system_grades(self, data: Mapping[str, Any], adjustments: tuple[Indicator, ...]) -> Grades | None:
        """The system's grade scale; every veto's ``cap_grade`` must name one of its grades."""
        grades = self.grades(data["grades"], "grades") if "grades" in data else None
        for item in adjustments:
            if item.cap_grade is not None and (grades is None or item.cap_grade not in grades.names):
                raise SchemaError(f"{item.path}.veto.cap_grade", "must name one of the system's grades")
        return grades

    def max_points(self, data: Mapping[str, Any], scheme: str, root: Node) -> float | None:
        """``max_points`` (required by the points scheme, where the items' points must add up to it)."""
        max_points = self.number(data, "max_points", "", positive=True, required=scheme == "points")
        if scheme == "points":
            total = sum(
                ind.points.max for ind in (i for n in root.walk() for i in n.indicators) if ind.points
            )
            assert max_points is not None
            if abs(total - max_points) > 1e-6:
                raise SchemaError(
                    "max_points", f"is {max_points:g} but the items' points add up to {total:g}"
                )
        return max_points

    def coupling(self, data: Mapping[str, Any], scheme: str, dimensions: tuple[Node, ...]) -> CouplingSpec:
        """The ``coupling:`` block of a coupling system (at least two subsystems)."""
        if len(dimensions) < 2:
            raise SchemaError("dimensions", "a coupling system needs at least two subsystems")
        c_data = self.mapping(data.get("coupling", {}), "coupling")
        self.known_keys(c_data, {"weights", "modified", "lag_margin"}, "coupling")
        c_weights = c_data.get("weights")
        if c_weights is not None and (not isinstance(c_weights, list) or len(c_weights) != len(dimensions)):
            raise SchemaError("coupling.weights", f"must list {len(dimensions)} numbers, one per subsystem")
        return CouplingSpec(
            weights=tuple(float(w) for w in c_weights) if c_weights else None,
            modified=bool(c_data.get("modified", False)),
            lag_margin=self.number(c_data, "lag_margin", "coupling", non_negative=True) or 0.1,
        )

    def system(self) -> System:
        """The whole declaration, checked step by step in the order its errors are reported."""
        data = self.mapping(self.raw, "")
        self.known_keys(data, SYSTEM_KEYS, "")
        self.default_treatment = self.declared_treatment(data)
        ident = self.system_id(data)
        scheme = self.choice(data, "scheme", SCHEMES, "")
        sources = self.sources(data)
        dimensions = self.dimensions(data, scheme)
        adjustments = self.adjustments(data, scheme)
        weighting = self.system_weighting(data)
        root = self.root(data, dimensions)
        grades = self.system_grades(data, adjustments)
        max_points = self.max_points(data, scheme, root)
        coupling = self.coupling(data, scheme, dimensions) if scheme == "coupling" else None
        aggregation = self.choice(data, "aggregation", agg.METHODS, "", default="arithmetic")
        return System(
            id=ident,
            version=self.text(data, "version", ""),
            name_zh=self.text(data, "name_zh", ""),
            name_en=self.text(data, "name_en", ""),
            unit_kind=self.unit_kind(data),
            scheme=scheme,
            sources=sources,
            root=root,
            adjustments=adjustments,
            reconstruction=self.text(data, "reconstruction", "", required=False),
            missing=self.choice(data, "missing", MISSING_POLICIES, "", default="refuse"),
            outliers=self.default_treatment.method,
            max_points=max_points,
            scale=self.number(data, "scale", "", positive=True) or 1.0,
            normalisation=self.normalisation(
                data.get("normalisation", "minmax"), "normalisation", default=True
            ),
            weighting=weighting,
            aggregation=aggregation,
            grades=grades,
            coupling=coupling,
            group_by=self.text(data, "group_by", "", required=False) or None,
            treatment=self.default_treatment,
            zero_denominator=self.choice(
                data, "zero_denominator", ZERO_DENOMINATOR_POLICIES, "", default="error"
            ),
            screening=self.screening(data["screening"], "screening", _depth(root))
            if "screening" in data
            else None,
            raw=data,
        )


def _depth(node: Node) -> int:
    """Number of aggregate levels below ``node`` (a root over indicator-holding dimensions has depth 1)."""
    return 0 if not node.children else 1 + max(_depth(child) for child in node.children)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _fraction(value: Any) -> float:
    if isinstance(value, bool):
        raise TypeError("booleans are not judgments")
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip()
    if "/" in text:
        numerator, denominator = text.split("/", 1)
        return float(numerator) / float(denominator)
    return float(text)


def parse_system(data: Mapping[str, Any]) -> System:
    """Check a parsed declaration against the schema and build the :class:`System`.

    Raises
    ------
    SchemaError : naming the YAML path of the first problem.
    """
    return _Checker(data).system()


def load_system(text: str) -> System:
    """Parse YAML *text* (not a path: the engine does no I/O) into a checked :class:`System`."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise SchemaError("", f"not valid YAML {where}: {getattr(exc, 'problem', exc)}".strip()) from exc
    if not isinstance(data, Mapping):
        raise SchemaError("", "an indicator system must be a YAML mapping")
    return parse_system(data)
