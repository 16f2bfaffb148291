"""Alarm rules, alarms and their events (frozen dataclasses, enums).

Vocabulary: ``../shared/reference/response-workflow.md`` §1 (the alarm states of Prometheus and
Grafana and the failures GreenPort must not repeat) and §2 (what the Chinese online-monitoring
practice calls an alarm). An alarm is one *episode* of one rule at one site and parameter: from
its first breach, through pending and firing, to its resolution.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

# an alarm's severity is the notifications' own scale (one scale for every notice)
from greenport.notifications.model import Severity as Severity


class RuleKind(enum.StrEnum):
    """The alarm kinds of the field (response-workflow.md §2); each is documented in
    docs/alarms.md, and a test fails for a kind that is not."""

    REALTIME_EXCEEDANCE = "realtime_exceedance"  # 实时超标: N consecutive real-time values over
    MEAN_EXCEEDANCE = "mean_exceedance"  # 小时/日均值超标: the legal exceedance
    SUSTAINED_EXCEEDANCE = "sustained_exceedance"  # 持续超标: hourly means over for N hours
    RATE_OF_CHANGE = "rate_of_change"  # 突变: a jump between consecutive real-time values
    OFFLINE = "offline"  # 离线: no data received for X minutes (fires on the clock)
    FLAT_LINE = "flat_line"  # 恒值: the same value for N periods
    ZERO_WHILE_RUNNING = "zero_while_running"  # 零值: zero concentration while the flow says running
    NEAR_LIMIT = "near_limit"  # 临界值: means held just under the limit for a long run
    DEVICE_FLAG = "device_flag"  # 设备标记: D, C, M, F, T, B (HJ 212-2017 Table 8)
    FLOW_MISMATCH = "flow_mismatch"  # 流量浓度不匹配: concentration reported from a stopped stack
    AIR_QUALITY_LEVEL = "air_quality_level"  # 重污染: an air station at AQI level 5-6
    WATER_BELOW_TARGET = "water_below_target"  # 断面超标: a section worse than its target class


#: The subject id of a city-wide alarm (the city's daily AQI): no site row has it.
CITY_SUBJECT = 0
#: The "site kind" a rule names to judge the city as a whole (air_quality_level only).
CITY_KIND = "city"

#: The falsified-data screens (数据造假筛查): in the field the first sign that someone tampers
#: with the monitoring equipment (response-workflow.md §2, "data anomalies").
FALSIFIED_DATA_FAMILY = "falsified_data"
FALSIFIED_DATA_KINDS = frozenset(
    {RuleKind.FLAT_LINE, RuleKind.NEAR_LIMIT, RuleKind.FLOW_MISMATCH, RuleKind.ZERO_WHILE_RUNNING}
)


class AlarmState(enum.StrEnum):
    """Where an alarm is in its life (response-workflow.md §1).

    ``pending``: the condition holds, not yet for the rule's hold; ``firing``; ``recovering``:
    the condition no longer holds, not yet for the rule's recovery periods; ``resolved``;
    ``invalidated``: the data it was raised on were later corrected or withdrawn (kept, marked).
    No data is not a state of an alarm: silence leaves an alarm as it is and raises the offline
    alarm of the site.
    """

    PENDING = "pending"
    FIRING = "firing"
    RECOVERING = "recovering"
    RESOLVED = "resolved"
    INVALIDATED = "invalidated"


OPEN_STATES = frozenset({AlarmState.PENDING, AlarmState.FIRING, AlarmState.RECOVERING})
#: Open alarms a person should look at (a pending one has not fired yet).
ACTIVE_STATES = frozenset({AlarmState.FIRING, AlarmState.RECOVERING})


class EventKind(enum.StrEnum):
    """What an alarm event records. State changes carry ``from_state`` and ``to_state``."""

    STATE = "state"
    ACKNOWLEDGED = "acknowledged"
    SILENCED = "silenced"
    UNSILENCED = "unsilenced"
    EXPLAINED = "explained"  # 情况说明 of the enterprise
    INVALIDATED = "invalidated"
    #: late or corrected data changed the alarm's past: the state changes after this event are
    #: its history as the data now tell it (the earlier ones stay, as what was known then)
    REVISED = "revised"


@dataclass(frozen=True, slots=True)
class Rule:
    """One alarm rule as an analyst declared it (``alarms/data/rules.yaml``).

    ``hold``: consecutive points in breach before the alarm fires (1: at once); ``recovery``:
    consecutive clear points before it resolves (hysteresis: fewer clear points keep it firing, so
    flapping input raises one alarm). ``params`` are the kind's own parameters
    (:data:`greenport.alarms.rules.KIND_PARAMETERS`). Scope: ``site_kinds``; ``parameters`` (None:
    every parameter the kind applies to); ``towns``, ``parks`` (codes), ``enterprises`` (ids):
    None means all. ``effective_from`` / ``effective_to`` bound the data dates it judges.
    """

    id: str
    kind: RuleKind
    severity: Severity
    name_zh: str
    name_en: str
    site_kinds: frozenset[str]
    hold: int = 1
    recovery: int = 1
    parameters: frozenset[str] | None = None
    towns: frozenset[str] | None = None
    parks: frozenset[str] | None = None
    enterprises: frozenset[int] | None = None
    effective_from: date | None = None
    effective_to: date | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    description: str = ""

    @property
    def family(self) -> str | None:
        return FALSIFIED_DATA_FAMILY if self.kind in FALSIFIED_DATA_KINDS else None

    def in_effect(self, day: date) -> bool:
        return (self.effective_from is None or self.effective_from <= day) and (
            self.effective_to is None or day <= self.effective_to
        )

    def to_dict(self) -> dict[str, Any]:
        def listed(values: frozenset[Any] | None) -> list[Any] | None:
            return None if values is None else sorted(values)

        return {
            "id": self.id,
            "kind": self.kind.value,
            "family": self.family,
            "severity": self.severity.value,
            "name_zh": self.name_zh,
            "name_en": self.name_en,
            "description": self.description,
            "site_kinds": sorted(self.site_kinds),
            "parameters": listed(self.parameters),
            "towns": listed(self.towns),
            "parks": listed(self.parks),
            "enterprises": listed(self.enterprises),
            "effective_from": None if self.effective_from is None else self.effective_from.isoformat(),
            "effective_to": None if self.effective_to is None else self.effective_to.isoformat(),
            "hold": self.hold,
            "recovery": self.recovery,
            "params": dict(self.params),
        }


@dataclass(frozen=True, slots=True)
class Transition:
    """A state change found by the lifecycle, at the data (or clock) instant that caused it."""

    to_state: AlarmState
    at: datetime


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """The lifecycle's state of one open alarm after its newest point (``cursor_at``), so the next
    batch goes on from it instead of re-reading the alarm's whole history."""

    state: AlarmState
    cursor_at: datetime
    breach_run: int
    clear_run: int


@dataclass(frozen=True, slots=True)
class Episode:
    """One alarm as the lifecycle derives it from a condition series.

    ``peak``: the value furthest past the limit (the largest, or for a lower limit the smallest)
    in the alarm's canonical unit, at ``peak_at``; ``limit`` the limit at the peak (None for kinds
    without a limit); ``peak_excess`` the kind's own measure of how far the peak point is past its
    rule (:attr:`greenport.alarms.lifecycle.Condition.excess`: e.g. (value − limit) / limit for an
    exceedance, the step as a share of the allowed step for a jump; None where the kind gives none),
    the measure by which the peak was chosen; ``breaches`` the number of points in breach.
    """

    first_breach_at: datetime
    last_breach_at: datetime
    transitions: tuple[Transition, ...]
    peak: float | None
    peak_at: datetime
    limit: float | None
    breaches: int
    checkpoint: Checkpoint
    peak_excess: float | None = None

    @property
    def state(self) -> AlarmState:
        """The state after the newest point (a continued alarm may have no new transition)."""
        return self.transitions[-1].to_state if self.transitions else self.checkpoint.state

    @property
    def fired_at(self) -> datetime | None:
        return next((t.at for t in self.transitions if t.to_state is AlarmState.FIRING), None)

    @property
    def resolved_at(self) -> datetime | None:
        if not self.transitions or self.transitions[-1].to_state is not AlarmState.RESOLVED:
            return None
        return self.transitions[-1].at


@dataclass(frozen=True, slots=True)
class Alarm:
    """A stored alarm (one episode of ``rule_id`` at ``site_id`` for ``parameter``; ``parameter``
    is ``""`` for a site-level rule such as offline). ``peak_excess``: as :class:`Episode` (None
    on alarms stored before it was recorded)."""

    id: int
    rule_id: str
    kind: RuleKind
    severity: Severity
    site_id: int
    parameter: str
    state: AlarmState
    first_breach_at: datetime
    last_breach_at: datetime
    fired_at: datetime | None
    resolved_at: datetime | None
    peak: float | None
    peak_at: datetime
    limit: float | None
    unit: str
    breaches: int
    updated_at: datetime
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = None
    ack_note: str | None = None
    silenced_until: datetime | None = None
    silenced_by: str | None = None
    silence_reason: str | None = None
    explanation: str | None = None
    explained_by: str | None = None
    explained_at: datetime | None = None
    peak_excess: float | None = None
    site_code: str = ""
    site_name: str = ""
    site_kind: str = ""
    town_code: str | None = None
    enterprise_id: int | None = None
    longitude: float | None = None
    latitude: float | None = None
    family: str | None = None

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    def silenced(self, now: datetime) -> bool:
        return self.silenced_until is not None and now < self.silenced_until

    def to_dict(self) -> dict[str, Any]:
        def instant(value: datetime | None) -> str | None:
            return None if value is None else value.isoformat()

        return {
            "id": self.id,
            "rule_id": self.rule_id,
            "kind": self.kind.value,
            "family": self.family,
            "severity": self.severity.value,
            "site_id": self.site_id,
            "site_code": self.site_code,
            "site_name": self.site_name,
            "site_kind": self.site_kind,
            "town_code": self.town_code,
            "enterprise_id": self.enterprise_id,
            "longitude": self.longitude,
            "latitude": self.latitude,
            "parameter": self.parameter,
            "state": self.state.value,
            "first_breach_at": instant(self.first_breach_at),
            "last_breach_at": instant(self.last_breach_at),
            "fired_at": instant(self.fired_at),
            "resolved_at": instant(self.resolved_at),
            "peak": self.peak,
            "peak_at": instant(self.peak_at),
            "limit": self.limit,
            "unit": self.unit,
            "breaches": self.breaches,
            "updated_at": instant(self.updated_at),
            "acknowledged_by": self.acknowledged_by,
            "acknowledged_at": instant(self.acknowledged_at),
            "ack_note": self.ack_note,
            "silenced_until": instant(self.silenced_until),
            "silenced_by": self.silenced_by,
            "silence_reason": self.silence_reason,
            "explanation": self.explanation,
            "explained_by": self.explained_by,
            "explained_at": instant(self.explained_at),
        }


@dataclass(frozen=True, slots=True)
class AlarmEvent:
    """One append-only entry of an alarm's history: ``at`` is the data (or clock) instant of a
    state change, or the instant a person acted; ``recorded_at`` when it was stored."""

    id: int
    alarm_id: int
    kind: EventKind
    at: datetime
    recorded_at: datetime
    from_state: AlarmState | None = None
    to_state: AlarmState | None = None
    actor: str | None = None
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "alarm_id": self.alarm_id,
            "kind": self.kind.value,
            "at": self.at.isoformat(),
            "recorded_at": self.recorded_at.isoformat(),
            "from_state": None if self.from_state is None else self.from_state.value,
            "to_state": None if self.to_state is None else self.to_state.value,
            "actor": self.actor,
            "note": self.note,
        }
