"""Alarm rules as data: the YAML file an analyst edits (``alarms/data/rules.yaml`` ships with the
package; a deployment points ``GREENPORT_ALARM_RULES`` to its own), checked field by field.

A rule::

    - id: flue-realtime-exceedance        # unique, [a-z0-9-]
      kind: realtime_exceedance           # one of RuleKind (docs/alarms.md documents each)
      severity: minor                     # info | minor | major | critical
      name_zh: 烟气实时超标预警
      name_en: flue gas real-time exceedance warning
      site_kinds: [gas_outlet]
      parameters: [flue_so2, flue_nox]    # optional; default: every parameter the kind judges
      towns: [...]; parks: [...]; enterprises: [...]   # optional scope
      effective_from: 2024-01-01          # optional; effective_to likewise
      hold: 3                             # consecutive points in breach before it fires
      recovery: 3                         # consecutive clear points before it resolves
      params: {...}                       # the kind's own parameters (KIND_PARAMETERS)

Every error names the file, the rule (its index and id) and the field, e.g.
``rules.yaml, rule 3 (flat-line): field 'hold': must be an integer >= 1``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from greenport.alarms.model import CITY_KIND, Rule, RuleKind, Severity
from greenport.kernel.errors import InvalidInput
from greenport.kernel.parameters import parameter as get_parameter


@dataclass(frozen=True, slots=True)
class KindParameter:
    """One parameter of a rule kind: its type (``number``, ``integer``, ``boolean``, ``flags``,
    ``choice``), default (None: required) and, for a choice, the allowed values."""

    type: str
    default: Any
    help: str
    choices: tuple[str, ...] = ()
    minimum: float | None = None


#: The parameters of each kind (docs/alarms.md explains each). Units are those of the rule's
#: parameter unless stated.
KIND_PARAMETERS: dict[RuleKind, dict[str, KindParameter]] = {
    RuleKind.REALTIME_EXCEEDANCE: {},
    RuleKind.MEAN_EXCEEDANCE: {
        "period": KindParameter(
            "choice",
            "auto",
            "mean judged: auto (the limit's own averaging), hour or day",
            ("auto", "hour", "day"),
        ),
    },
    RuleKind.SUSTAINED_EXCEEDANCE: {},
    RuleKind.RATE_OF_CHANGE: {
        "max_step_of_limit": KindParameter(
            "number",
            1.0,
            "largest plausible change between consecutive values, as a share of the limit",
            minimum=0,
        ),
        "max_gap_minutes": KindParameter(
            "number", 15.0, "values further apart are not compared [min]", minimum=0
        ),
    },
    RuleKind.OFFLINE: {
        "after_minutes": KindParameter("number", 120.0, "no data received for this long [min]", minimum=0.01),
    },
    RuleKind.FLAT_LINE: {
        "period": KindParameter(
            "choice",
            "realtime",
            "the values compared: real-time values or hourly means",
            ("realtime", "hour"),
        ),
        "tolerance": KindParameter("number", 0.0, "changes up to this count as 'the same' [unit]", minimum=0),
        "ignore_zero": KindParameter("boolean", True, "a run of zeros is left to zero_while_running"),
    },
    RuleKind.ZERO_WHILE_RUNNING: {
        "zero_at": KindParameter(
            "number", 0.0, "a concentration at or below this reads as zero [unit]", minimum=0
        ),
        "running_flow": KindParameter(
            "number", None, "a flow at or above this means running [m³/h]", minimum=0
        ),
    },
    RuleKind.NEAR_LIMIT: {
        "low_ratio": KindParameter(
            "number", 0.9, "means between this share of the limit and the limit", minimum=0
        ),
    },
    RuleKind.DEVICE_FLAG: {
        "flags": KindParameter(
            "flags", ["D", "C", "M", "F", "T", "B"], "HJ 212-2017 Table 8 flags that alarm"
        ),
    },
    RuleKind.FLOW_MISMATCH: {
        "stopped_flow": KindParameter(
            "number", None, "a flow at or below this means stopped [m³/h]", minimum=0
        ),
        "min_ratio_of_limit": KindParameter(
            "number", 0.1, "a concentration at or above this share of the limit is 'reported'", minimum=0
        ),
    },
    RuleKind.AIR_QUALITY_LEVEL: {
        "min_level": KindParameter(
            "integer", 5, "HJ 633-2012 Table 2 level (5: heavy, 6: severe)", minimum=1
        ),
    },
    RuleKind.WATER_BELOW_TARGET: {},
}

#: Site kinds a kind may judge (an outlet rule on an air station is a mistake worth an error).
KIND_SITE_KINDS: dict[RuleKind, frozenset[str]] = {
    RuleKind.REALTIME_EXCEEDANCE: frozenset({"gas_outlet", "water_outlet"}),
    RuleKind.MEAN_EXCEEDANCE: frozenset({"gas_outlet", "water_outlet"}),
    RuleKind.SUSTAINED_EXCEEDANCE: frozenset({"gas_outlet", "water_outlet"}),
    RuleKind.RATE_OF_CHANGE: frozenset({"gas_outlet", "water_outlet", "air_station", "water_section"}),
    RuleKind.OFFLINE: frozenset({"gas_outlet", "water_outlet", "air_station", "water_section"}),
    RuleKind.FLAT_LINE: frozenset({"gas_outlet", "water_outlet", "air_station", "water_section"}),
    RuleKind.ZERO_WHILE_RUNNING: frozenset({"gas_outlet", "water_outlet"}),
    RuleKind.NEAR_LIMIT: frozenset({"gas_outlet", "water_outlet"}),
    RuleKind.DEVICE_FLAG: frozenset({"gas_outlet", "water_outlet", "air_station", "water_section"}),
    RuleKind.FLOW_MISMATCH: frozenset({"gas_outlet", "water_outlet"}),
    RuleKind.AIR_QUALITY_LEVEL: frozenset({"air_station", CITY_KIND}),
    RuleKind.WATER_BELOW_TARGET: frozenset({"water_section"}),
}

_RULE_FIELDS = {
    "id",
    "kind",
    "severity",
    "name_zh",
    "name_en",
    "description",
    "site_kinds",
    "parameters",
    "towns",
    "parks",
    "enterprises",
    "effective_from",
    "effective_to",
    "hold",
    "recovery",
    "params",
}
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


class RuleError(InvalidInput):
    """A rule file that breaks the schema: ``source``, ``rule`` (index and id) and ``field``."""

    def __str__(self) -> str:
        return self.message  # the message already names file, rule and field


class _Checker:
    def __init__(self, source: str, index: int, raw: Mapping[str, Any]) -> None:
        self.source = source
        self.index = index
        self.raw = raw
        self.rule_id = str(raw.get("id", "?"))

    def fail(self, field: str, message: str) -> RuleError:
        where = f"{self.source}, rule {self.index} ({self.rule_id})"
        return RuleError(
            f"{where}: field {field!r}: {message}", field=field, source=self.source, rule=self.index
        )

    def text(self, field: str, *, required: bool = True) -> str:
        value = self.raw.get(field)
        if value is None and not required:
            return ""
        if not isinstance(value, str) or not value.strip():
            read_as = "" if value is None else f" (YAML read {value!r}, a {type(value).__name__}: quote it)"
            raise self.fail(field, f"must be a non-empty text{read_as}")
        return value.strip()

    def integer(self, field: str, default: int) -> int:
        value = self.raw.get(field, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise self.fail(field, "must be an integer >= 1")
        return value

    def names(self, field: str) -> frozenset[str] | None:
        value = self.raw.get(field)
        if value is None:
            return None
        if not isinstance(value, list) or not value or not all(isinstance(v, str | int) for v in value):
            raise self.fail(field, "must be a non-empty list")
        return frozenset(str(v) for v in value)

    def day(self, field: str) -> date | None:
        value = self.raw.get(field)
        if value is None:
            return None
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            raise self.fail(field, f"{value!r} is not a date (YYYY-MM-DD)") from None

    def rule(self) -> Rule:
        unknown = sorted(set(self.raw) - _RULE_FIELDS)
        if unknown:
            raise self.fail(unknown[0], f"unknown field (allowed: {', '.join(sorted(_RULE_FIELDS))})")
        rule_id = self.text("id")
        if not _ID.match(rule_id):
            raise self.fail("id", "must be lower-case letters, digits and '-' (at most 64)")
        try:
            kind = RuleKind(self.text("kind"))
        except ValueError:
            raise self.fail("kind", f"unknown kind (known: {', '.join(k.value for k in RuleKind)})") from None
        try:
            severity = Severity(self.text("severity"))
        except ValueError:
            raise self.fail("severity", f"must be one of {', '.join(s.value for s in Severity)}") from None
        site_kinds = self.names("site_kinds")
        if site_kinds is None:
            raise self.fail("site_kinds", "is required")
        wrong = sorted(site_kinds - KIND_SITE_KINDS[kind])
        if wrong:
            raise self.fail(
                "site_kinds",
                f"{kind.value} does not judge {', '.join(wrong)} (it judges {', '.join(sorted(KIND_SITE_KINDS[kind]))})",
            )
        if CITY_KIND in site_kinds and len(site_kinds) > 1:
            raise self.fail(
                "site_kinds",
                "the city is judged by a rule of its own (its daily AQI, not a station's hourly one)",
            )
        parameters = self.names("parameters")
        for code in sorted(parameters or ()):
            try:
                get_parameter(code)
            except (KeyError, ValueError, LookupError):
                raise self.fail("parameters", f"unknown parameter {code!r}") from None
        enterprises = self.names("enterprises")
        if enterprises is not None and not all(e.isdigit() for e in enterprises):
            raise self.fail("enterprises", "must list enterprise ids (integers)")
        effective_from, effective_to = self.day("effective_from"), self.day("effective_to")
        if effective_from and effective_to and effective_to < effective_from:
            raise self.fail("effective_to", "is before effective_from")
        return Rule(
            id=rule_id,
            kind=kind,
            severity=severity,
            name_zh=self.text("name_zh"),
            name_en=self.text("name_en"),
            description=self.text("description", required=False),
            site_kinds=site_kinds,
            parameters=parameters,
            towns=self.names("towns"),
            parks=self.names("parks"),
            enterprises=None if enterprises is None else frozenset(int(e) for e in enterprises),
            effective_from=effective_from,
            effective_to=effective_to,
            hold=self.integer("hold", 1),
            recovery=self.integer("recovery", 1),
            params=self.params(kind),
        )

    def params(self, kind: RuleKind) -> dict[str, Any]:
        given = self.raw.get("params") or {}
        if not isinstance(given, Mapping):
            raise self.fail("params", "must be a mapping")
        declared = KIND_PARAMETERS[kind]
        unknown = sorted(set(given) - set(declared))
        if unknown:
            allowed = ", ".join(sorted(declared)) or "none"
            raise self.fail(f"params.{unknown[0]}", f"unknown for {kind.value} (allowed: {allowed})")
        out: dict[str, Any] = {}
        for name, spec in declared.items():
            field = f"params.{name}"
            value = given.get(name, spec.default)
            if value is None:
                raise self.fail(field, f"is required for {kind.value}: {spec.help}")
            if spec.type in ("number", "integer"):
                if isinstance(value, bool) or not isinstance(value, int | float):
                    raise self.fail(field, "must be a number")
                if spec.type == "integer" and not isinstance(value, int):
                    raise self.fail(field, "must be an integer")
                if spec.minimum is not None and value < spec.minimum:
                    raise self.fail(field, f"must be >= {spec.minimum:g}")
                value = float(value) if spec.type == "number" else int(value)
            elif spec.type == "boolean":
                if not isinstance(value, bool):
                    raise self.fail(field, "must be true or false")
            elif spec.type == "choice":
                if value not in spec.choices:
                    raise self.fail(field, f"must be one of {', '.join(spec.choices)}")
            elif spec.type == "flags":
                if not isinstance(value, list) or not value or any(f not in _KNOWN_FLAGS for f in value):
                    raise self.fail(field, f"must list HJ 212 flags among {', '.join(sorted(_KNOWN_FLAGS))}")
                value = sorted(set(value))
            out[name] = value
        return out


_KNOWN_FLAGS = frozenset({"D", "C", "M", "F", "T", "B", "S", "X"})


def parse_rules(data: Any, *, source: str) -> tuple[Rule, ...]:
    """Check parsed YAML (``{"rules": [...]}``) and build the rules, in file order."""
    if not isinstance(data, Mapping) or not isinstance(data.get("rules"), list):
        raise RuleError(f"{source}: must be a mapping with a list 'rules'", field="rules", source=source)
    rules: list[Rule] = []
    seen: set[str] = set()
    for index, raw in enumerate(data["rules"], start=1):
        if not isinstance(raw, Mapping):
            raise RuleError(
                f"{source}, rule {index}: must be a mapping", field="rules", source=source, rule=index
            )
        rule = _Checker(source, index, raw).rule()
        if rule.id in seen:
            raise _Checker(source, index, raw).fail("id", "appears twice")
        seen.add(rule.id)
        rules.append(rule)
    return tuple(rules)


class _RulesLoader(yaml.SafeLoader):
    """The safe loader without YAML 1.1's implicit timestamps: a date stays text for the checker,
    so ``2026-13-01`` is an error naming its rule and field, not a crash of the YAML library."""


_RulesLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_rules_text(text: str, *, source: str) -> tuple[Rule, ...]:
    """Parse YAML ``text`` (``source`` names it in errors)."""
    try:
        data = yaml.load(text, Loader=_RulesLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise RuleError(
            f"{source}: not valid YAML{where}: {getattr(exc, 'problem', exc)}", source=source
        ) from exc
    return parse_rules(data, source=source)


def load_rules(path: str | Path | None = None) -> tuple[Rule, ...]:
    """The rules of ``path``, or the shipped ones (``alarms/data/rules.yaml``) when None."""
    if path is None:
        return shipped_rules()
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise RuleError(f"{file.name}: cannot be read: {exc.strerror}", source=file.name) from exc
    return load_rules_text(text, source=file.name)


@cache
def shipped_rules() -> tuple[Rule, ...]:
    text = resources.files("greenport.alarms").joinpath("data/rules.yaml").read_text(encoding="utf-8")
    return load_rules_text(text, source="rules.yaml")


def rule_index(rules: Sequence[Rule]) -> dict[str, Rule]:
    return {rule.id: rule for rule in rules}
