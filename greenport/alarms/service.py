"""Alarms: evaluate the rules as data arrive and as the clock runs, keep one alarm per rule, site
and parameter with its append-only events, and let people acknowledge, silence and explain.

Where the rules run (issue 16): ingest marks each (site, hour) it stores in ``alarm_dirty`` in
the same transaction as the readings, and the aggregation marks each hour it recomputes; the
evaluator (:func:`evaluate_pending`, on a timer of a second or two in the ingest process) takes the
marks, adds the sites the clock makes offline, and folds each site's recent series through the
rules (:mod:`greenport.alarms.conditions`, :mod:`greenport.alarms.lifecycle`). One evaluator runs
at a time across processes (a lease row, claimed in the evaluation's own transaction), and an open
alarm is unique per rule, site and parameter in SQL, so no alarm is raised twice.

Determinism: an alarm is a function of the stored data (and, for offline, of the clock), not of
the order or grouping of the batches that brought them: new data after an open alarm's checkpoint
continue it; data before it (late or corrected) re-derive the alarms of the periods they touch
from the data, and a stored alarm that the data no longer support is marked invalidated (kept).
"""

from __future__ import annotations

import math
from collections import defaultdict, deque
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from greenport.accounts import service as accounts_service
from greenport.accounts.model import Principal, Role, RowScope
from greenport.alarms.conditions import (
    DAILY_KINDS,
    HOURLY_KINDS,
    REALTIME_KINDS,
    Series,
    SiteData,
    conditions,
)
from greenport.alarms.lifecycle import OpenStart, fold, to_micros
from greenport.alarms.model import (
    CITY_KIND,
    CITY_SUBJECT,
    FALSIFIED_DATA_KINDS,
    OPEN_STATES,
    Alarm,
    AlarmEvent,
    AlarmState,
    Checkpoint,
    Episode,
    EventKind,
    Rule,
    RuleKind,
)
from greenport.alarms.ports import (
    AlarmEvidenceUnitOfWork,
    AlarmReadsUnitOfWork,
    AlarmsRepository,
    AlarmsUnitOfWork,
)
from greenport.alarms.rules import load_rules
from greenport.kernel.errors import InvalidInput, NotFound, PermissionDenied
from greenport.kernel.parameters import registry as parameter_registry
from greenport.kernel.time import PeriodKind, local_to_utc
from greenport.monitoring import city_air
from greenport.monitoring.model import Frame, IndexKind, Observation
from greenport.monitoring.service import CITY_AIR_LEVELS
from greenport.monitoring.status import AIR_STATION, FAILS_TARGET, MonitoredSite
from greenport.notifications import service as notifications_service
from greenport.notifications.model import Notice, Route

#: The longest a silence may last (a silenced alarm that nobody looks at again is a lost alarm).
MAX_SILENCE = timedelta(days=7)
#: The longest interval between real-time values the look-back allows for (HJ 212-2017 §6.3:
#: the real-time upload interval is set per device; 10 min covers the usual 30 s to 10 min).
REALTIME_INTERVAL = timedelta(minutes=10)
#: Real-time readings before where a fold starts that are parsed for context (per site): a jump
#: and a flat line compare a value with the one before (two: a site may have two loggers).
CONTEXT_READINGS = 2
#: How far before a site's window the context readings are looked for when the window holds fewer
#: than :data:`CONTEXT_READINGS` (a device that paused): a flat line compares a value with the one
#: before however long the gap, so the one before must be found wherever the batch boundary fell.
#: Beyond this span a value has no predecessor, whichever the batches (one day: a device silent
#: longer has been offline, and its next value starts afresh).
CONTEXT_SPAN = timedelta(days=1)
#: How long an evaluator's lease lasts without renewal.
LEASE = timedelta(seconds=30)
LEASE_NAME = "evaluator"
_CLOCK_SINCE = timedelta(days=3)
_REVISED = "late or corrected data changed this alarm's past; the state changes below are its history now"
_MAX_TEXT = 2000

AlarmKey = tuple[str, int, str]


@dataclass
class EvaluationReport:
    """What one evaluation pass did: sites evaluated, alarms opened and changed, and the state
    changes stored now (alarm id, new state, at) that :func:`announce` tells people of."""

    ran: bool = True
    sites: int = 0
    marks: int = 0
    opened: int = 0
    changed: int = 0
    invalidated: int = 0
    transitions: list[tuple[int, AlarmState, datetime]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ran": self.ran,
            "sites": self.sites,
            "marks": self.marks,
            "opened": self.opened,
            "changed": self.changed,
            "invalidated": self.invalidated,
        }


# --- rule classes and look-backs -----------------------------------------------------------------


def rule_period(rule: Rule) -> str:
    """``raw``, ``hour``, ``day`` or ``clock``: the points a rule folds."""
    if rule.kind is RuleKind.OFFLINE:
        return "clock"
    if rule.kind is RuleKind.FLAT_LINE and rule.params.get("period") == "hour":
        return "hour"
    if rule.site_kinds == {CITY_KIND}:
        return "day"  # the city's AQI is a daily one (HJ 663-2013 §4)
    if rule.kind is RuleKind.MEAN_EXCEEDANCE:
        return (
            "day"
            if rule.params.get("period") == "day"
            else "hour"
            if rule.params.get("period") == "hour"
            else "day"
        )
    if rule.kind in REALTIME_KINDS:
        return "raw"
    if rule.kind in HOURLY_KINDS:
        return "hour"
    if rule.kind in DAILY_KINDS:
        return "day"
    raise ValueError(f"no period for kind {rule.kind}")  # pragma: no cover - every kind is listed


_STEP = {"raw": REALTIME_INTERVAL, "hour": timedelta(hours=1), "day": timedelta(days=1)}


def look_back(rules: Iterable[Rule]) -> dict[str, timedelta]:
    """How far before a change each class of rules re-reads: two points of context (a jump or a
    flat line compares a value with the one before), or twice an offline rule's silence.

    Runs longer than that need no look-back: a run in breach is stored as a pending alarm from its
    first point, and a change inside a stored alarm's span re-derives it from its first breach."""
    out = {period: 2 * step for period, step in _STEP.items()} | {"clock": timedelta(0)}
    for rule in rules:
        if rule_period(rule) == "clock":
            span = timedelta(minutes=2 * float(rule.params["after_minutes"]))
            out["clock"] = max(out["clock"], span)
    return out


# --- loading a site's series ----------------------------------------------------------------------


def _series(points: list[tuple[int, float, float, str]]) -> Series:
    points.sort(key=lambda p: p[0])
    n = len(points)
    times = np.fromiter((p[0] for p in points), np.int64, n)
    values = np.fromiter((p[1] for p in points), np.float64, n)
    zs = np.fromiter((p[2] for p in points), np.float64, n)
    flags = np.array([p[3] for p in points], dtype="<U1") if n else np.empty(0, "<U1")
    return Series(times, values, zs, flags)


def _num(value: Any) -> float:
    return math.nan if value is None else float(value)


def load_site_data(
    uow: AlarmsUnitOfWork,
    *,
    sites: Mapping[int, Mapping[str, Any]],
    parks: Mapping[int, str],
    windows: Mapping[int, Mapping[str, datetime]],
    now: datetime,
    horizons: Mapping[int, Mapping[str, datetime]] | None = None,
) -> dict[int, SiteData]:
    """Each site's series over its windows (``{site: {"raw"|"hour"|"day"|"clock": start}}``).

    Real-time readings before a site's raw ``horizons`` are context only (a jump or a flat line
    compares a value with the one before): of those, only the last :data:`CONTEXT_READINGS` are
    parsed, so a pass that re-reads a window to see what came before costs little more than the
    new readings. Where the window holds fewer (a gap in the data), they are looked for up to
    :data:`CONTEXT_SPAN` before it, so the value before is the same whichever batch brought it."""
    if not windows:
        return {}
    end = now + timedelta(hours=2)
    site_ids = sorted(windows)
    raw_start = min(w["raw"] for w in windows.values())
    clock_start = min(w["clock"] for w in windows.values())
    raw: dict[int, dict[str, list[tuple[int, float, float, str]]]] = defaultdict(lambda: defaultdict(list))
    received: dict[int, list[int]] = defaultdict(list)
    context: dict[int, deque[tuple[datetime, str]]] = defaultdict(lambda: deque(maxlen=CONTEXT_READINGS))

    def judged(site_id: int, data_time: datetime, text: str) -> None:
        t = to_micros(data_time)
        by_parameter = raw[site_id]
        for parameter, entry in orjson.loads(text).items():
            value = entry[0]
            if value is None:
                continue
            by_parameter[parameter].append(
                (t, float(value), _num(entry[2]) if len(entry) > 2 else math.nan, entry[1] or "N")
            )

    for data_time, site_id, period, reception, text in uow.monitoring.reading_entries(
        start=min(raw_start, clock_start), end=end, site_ids=site_ids
    ):
        if data_time >= windows[site_id]["clock"]:
            received[site_id].append(to_micros(reception))
        if period != PeriodKind.RAW.value or data_time < windows[site_id]["raw"]:
            continue
        if horizons is not None and data_time < horizons[site_id]["raw"]:
            context[site_id].append((data_time, text))
            continue
        judged(site_id, data_time, text)
    if horizons is not None:
        _earlier_context(uow, context, windows=windows, site_ids=site_ids)
    for site_id, rows in context.items():
        for data_time, text in rows:
            judged(site_id, data_time, text)
    means: dict[tuple[int, str], dict[str, list[tuple[int, float, float, str]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for period, kind in (("hour", PeriodKind.HOUR), ("day", PeriodKind.DAY)):
        start = min(w[period] for w in windows.values())
        for agg in uow.monitoring.aggregates(start=start, end=end, period=kind, site_ids=site_ids):
            if agg.valid and agg.value is not None and agg.period_start >= windows[agg.site_id][period]:
                means[agg.site_id, period][agg.parameter].append(
                    (to_micros(agg.period_start), agg.value, math.nan, "N")
                )
    aqi: dict[int, list[tuple[int, float, float, str]]] = defaultdict(list)
    hour_start = min(w["hour"] for w in windows.values())
    for index in uow.monitoring.indices(
        start=hour_start, end=end, period=PeriodKind.HOUR, kind=IndexKind.AQI, site_ids=site_ids
    ):
        if index.value is not None and index.period_start >= windows[index.site_id]["hour"]:
            aqi[index.site_id].append((to_micros(index.period_start), float(index.value), math.nan, "N"))
    fails: dict[int, list[tuple[int, float, float, str]]] = defaultdict(list)
    day_start = min(w["day"] for w in windows.values())
    for index in uow.monitoring.indices(
        start=day_start, end=end, period=PeriodKind.DAY, kind=IndexKind.WATER_CLASS, site_ids=site_ids
    ):
        if index.label is not None and index.period_start >= windows[index.site_id]["day"]:
            fails[index.site_id].append(
                (to_micros(index.period_start), 1.0 if index.label == FAILS_TARGET else 0.0, math.nan, "N")
            )
    out: dict[int, SiteData] = {}
    for site_id in site_ids:
        site = sites.get(site_id)
        if site is None:
            continue
        out[site_id] = SiteData(
            site_id=site_id,
            site=MonitoredSite.of(site),
            town_code=site.get("town_code"),
            park_code=parks.get(site_id),
            enterprise_id=site.get("enterprise_id"),
            raw={p: _series(v) for p, v in raw[site_id].items()},
            hourly={p: _series(v) for p, v in means[site_id, "hour"].items()},
            daily={p: _series(v) for p, v in means[site_id, "day"].items()},
            aqi=_series(aqi[site_id]),
            water_fails=_series(fails[site_id]),
            received=np.array(sorted(received[site_id]), np.int64),
        )
    return out


def _earlier_context(
    uow: AlarmsUnitOfWork,
    context: dict[int, deque[tuple[datetime, str]]],
    *,
    windows: Mapping[int, Mapping[str, datetime]],
    site_ids: Sequence[int],
) -> None:
    """Complete ``context`` (the readings before each site's horizon, at most
    :data:`CONTEXT_READINGS`) from before the sites' raw windows, up to :data:`CONTEXT_SPAN` back,
    for the sites whose window held too few (one read for them all; rare: a gap in the data)."""
    short = [site_id for site_id in site_ids if len(context[site_id]) < CONTEXT_READINGS]
    if not short:
        return
    starts = {site_id: windows[site_id]["raw"] for site_id in short}
    earlier: dict[int, deque[tuple[datetime, str]]] = defaultdict(lambda: deque(maxlen=CONTEXT_READINGS))
    for data_time, site_id, _, _, text in uow.monitoring.reading_entries(
        start=min(starts.values()) - CONTEXT_SPAN,
        end=max(starts.values()),
        site_ids=short,
        periods=[PeriodKind.RAW],
    ):
        if starts[site_id] - CONTEXT_SPAN <= data_time < starts[site_id]:
            earlier[site_id].append((data_time, text))
    for site_id, rows in earlier.items():
        context[site_id].extendleft(reversed([*rows][len(context[site_id]) - CONTEXT_READINGS :]))


def _city_stations(sites: Mapping[int, Mapping[str, Any]]) -> set[int]:
    """The air stations whose daily values make the city's (HJ 663-2013: national and provincial)."""
    return {
        site_id
        for site_id, site in sites.items()
        if site.get("kind") == AIR_STATION and site.get("level") in CITY_AIR_LEVELS
    }


def load_city_data(
    uow: AlarmsUnitOfWork, *, stations: Iterable[int], start: datetime, now: datetime
) -> SiteData:
    """The city as an alarm subject: its daily AQI from the city's daily concentrations (the mean
    of its stations' valid daily values, HJ 663-2013 §4; :mod:`greenport.monitoring.city_air`)."""
    daily = uow.monitoring.aggregates(
        start=start - timedelta(days=1),
        end=now + timedelta(days=1),
        period=PeriodKind.DAY,
        site_ids=sorted(stations),
    )
    points: list[tuple[int, float, float, str]] = []
    for day, concentrations in sorted(city_air.city_daily_means(city_air.valid_daily_values(daily)).items()):
        found = city_air.city_day(day, concentrations)
        midnight = local_to_utc(datetime(day.year, day.month, day.day))
        if found.aqi is not None and midnight >= start:
            points.append((to_micros(midnight), float(found.aqi), math.nan, "N"))
    return SiteData(site_id=CITY_SUBJECT, site=MonitoredSite(kind=CITY_KIND), aqi=_series(points))


# --- evaluation ----------------------------------------------------------------------------------


def _unit(parameter: str) -> str:
    found = parameter_registry().get(parameter)
    return found.unit if found is not None else ""


def _more_extreme(new: Episode, stored: Alarm) -> bool:
    """The new points' peak replaces the stored peak of a continued alarm: compared by the fold's
    own measure (``peak_excess``, :attr:`greenport.alarms.lifecycle.Condition.excess`), so that the
    peak of an alarm folded in several batches is the one a single fold finds (a later point
    replaces the peak only when strictly further past, as the fold keeps the first of equal ones;
    where the kind gives no measure the fold takes the newest point in breach).

    Alarms stored before the measure was recorded (``peak_excess`` None with a peak) compare by
    value/limit (over an upper limit; limit/value under a lower one, pH; without a limit, the value).
    """
    if new.breaches == 0:
        return False
    if stored.peak_excess is not None:
        return new.peak_excess is not None and new.peak_excess > stored.peak_excess
    if new.peak_excess is None or stored.peak is None:
        return True
    if new.peak is None:
        return False

    def score(value: float, limit: float | None) -> float:
        if not limit:
            return value
        return value / limit if value >= limit else limit / max(value, 1e-9)

    return score(new.peak, new.limit) > score(stored.peak, stored.limit)


def _state_events(
    alarm_id: int,
    episode: Episode,
    *,
    after: AlarmState | None,
    now: datetime,
    known: set[tuple[str, datetime]],
) -> list[dict[str, Any]]:
    events = []
    previous = after
    for transition in episode.transitions:
        key = (transition.to_state.value, transition.at)
        if key not in known:
            events.append(
                {
                    "alarm_id": alarm_id,
                    "kind": EventKind.STATE.value,
                    "at": transition.at,
                    "recorded_at": now,
                    "from_state": None if previous is None else previous.value,
                    "to_state": transition.to_state.value,
                    "actor": None,
                    "note": None,
                }
            )
        previous = transition.to_state
    return events


def _episode_values(
    rule: Rule, site_id: int, parameter: str, episode: Episode, now: datetime
) -> dict[str, Any]:
    cp = episode.checkpoint
    return {
        "rule_id": rule.id,
        "kind": rule.kind.value,
        "severity": rule.severity.value,
        "site_id": site_id,
        "parameter": parameter,
        "state": episode.state.value,
        "first_breach_at": episode.first_breach_at,
        "last_breach_at": episode.last_breach_at,
        "fired_at": episode.fired_at,
        "resolved_at": episode.resolved_at,
        "peak": episode.peak,
        "peak_at": episode.peak_at,
        "limit_value": episode.limit,
        "peak_excess": episode.peak_excess,
        "unit": _unit(parameter) if parameter not in ("", "aqi", "water_class") else "",
        "breaches": episode.breaches,
        "updated_at": now,
        "cursor_at": cp.cursor_at,
        "breach_run": cp.breach_run,
        "clear_run": cp.clear_run,
    }


@dataclass(frozen=True, slots=True)
class _NewAlarm:
    """The id of an alarm the plan inserts, until the writes give it its row id."""

    number: int


class _Plan:
    """The writes of an evaluation, recorded while it reads and carried out afterwards
    (:meth:`apply`), so that on SQLite the write lock is held for the writes only, not while the
    rules run (the ingest writer waits for that lock)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any, Any]] = []
        self._inserted = 0

    def insert_alarm(self, values: dict[str, Any]) -> Any:
        self._inserted += 1
        placeholder = _NewAlarm(self._inserted)
        self.calls.append(("insert", placeholder, values))
        return placeholder

    def update_alarm(self, alarm_id: Any, values: dict[str, Any]) -> None:
        self.calls.append(("update", alarm_id, values))

    def append_events(self, events: Sequence[dict[str, Any]]) -> None:
        if events:
            self.calls.append(("events", None, list(events)))

    def flush(self) -> None:
        self.calls.append(("flush", None, None))

    def apply(self, repo: AlarmsRepository, report: EvaluationReport) -> None:
        """Carry out the writes on ``repo``; the report's transitions get the real alarm ids."""
        ids: dict[_NewAlarm, int] = {}

        def real(alarm_id: Any) -> int:
            return ids[alarm_id] if isinstance(alarm_id, _NewAlarm) else int(alarm_id)

        for operation, key, payload in self.calls:
            if operation == "insert":
                ids[key] = repo.insert_alarm(payload)
            elif operation == "update":
                repo.update_alarm(real(key), payload)
            elif operation == "events":
                repo.append_events([event | {"alarm_id": real(event["alarm_id"])} for event in payload])
            else:
                repo.flush()
        repo.flush()
        report.transitions[:] = [(real(alarm_id), state, at) for alarm_id, state, at in report.transitions]


class _Reconciler:
    """Writes what the fold found: updates continued and re-derived alarms, opens new ones,
    marks the ones the data no longer support, appends every state change as an event."""

    def __init__(
        self,
        uow: AlarmsUnitOfWork,
        now: datetime,
        report: EvaluationReport,
        checkpoints: Mapping[int, tuple[datetime, int, int]],
    ) -> None:
        self.uow = uow
        self.now = now
        self.report = report
        self.checkpoints = checkpoints
        self.plan = _Plan()
        self.known: dict[int, set[tuple[str, datetime]]] = {}

    def _unchanged(self, stored: Alarm, values: Mapping[str, Any]) -> bool:
        """The re-derived episode says what is stored already (the usual case of a pass that
        re-reads a little before the new data): nothing to write."""
        checkpoint = self.checkpoints.get(stored.id)
        return (
            stored.state.value == values["state"]
            and stored.first_breach_at == values["first_breach_at"]
            and stored.last_breach_at == values["last_breach_at"]
            and stored.fired_at == values["fired_at"]
            and stored.resolved_at == values["resolved_at"]
            and stored.peak == values["peak"]
            and stored.peak_at == values["peak_at"]
            and stored.limit == values["limit_value"]
            and stored.peak_excess == values["peak_excess"]
            and stored.breaches == values["breaches"]
            and (
                checkpoint is None
                or checkpoint == (values["cursor_at"], values["breach_run"], values["clear_run"])
            )
        )

    def _known(self, alarm_id: int) -> set[tuple[str, datetime]]:
        if alarm_id not in self.known:
            self.known[alarm_id] = {
                (e.to_state.value, e.at)
                for e in self.uow.alarms.events(alarm_id)
                if e.kind is EventKind.STATE and e.to_state is not None
            }
        return self.known[alarm_id]

    def _write(
        self, rule: Rule, key: AlarmKey, episode: Episode, stored: Alarm | None, *, continued: bool
    ) -> None:
        _, site_id, parameter = key
        values = _episode_values(rule, site_id, parameter, episode, self.now)
        repo = self.plan
        if stored is None:
            # a pending that cleared before it fired is stored too (and dropped after a day by
            # purge_unfired): it is the run's anchor, so that a late value inside the run finds
            # where the run starts and re-derives it from there (``_windows``); it is not news
            alarm_id = repo.insert_alarm(values)
            if episode.fired_at is not None or episode.state is not AlarmState.RESOLVED:
                self.report.opened += 1
            events = _state_events(alarm_id, episode, after=None, now=self.now, known=set())
            repo.append_events(events)
        else:
            alarm_id = stored.id
            if continued:
                values["first_breach_at"] = stored.first_breach_at
                values["fired_at"] = stored.fired_at or episode.fired_at
                values["breaches"] = stored.breaches + episode.breaches
                values["last_breach_at"] = (
                    max(stored.last_breach_at, episode.last_breach_at)
                    if episode.breaches
                    else stored.last_breach_at
                )
                if not _more_extreme(episode, stored):
                    values["peak"], values["peak_at"], values["limit_value"], values["peak_excess"] = (
                        stored.peak,
                        stored.peak_at,
                        stored.limit,
                        stored.peak_excess,
                    )
            if not continued and self._unchanged(stored, values):
                return
            repo.update_alarm(alarm_id, values)
            known = self._known(alarm_id)
            derived = {(t.to_state.value, t.at) for t in episode.transitions}
            if not continued and known - derived:  # the data now tell another past
                repo.append_events(
                    [_event(alarm_id, EventKind.REVISED, now=self.now, actor=None, note=_REVISED)]
                )
                known = set()
            events = _state_events(
                alarm_id, episode, after=stored.state if continued else None, now=self.now, known=known
            )
            repo.append_events(events)
            if events or stored.state.value != values["state"]:
                self.report.changed += 1
        for event in events:  # only the state changes stored now are news, of an alarm that fired
            if values["fired_at"] is None:
                break
            if event["to_state"] in (AlarmState.FIRING.value, AlarmState.RESOLVED.value):
                self.report.transitions.append((alarm_id, AlarmState(event["to_state"]), event["at"]))

    def invalidate(self, stored: Alarm) -> None:
        repo = self.plan
        if stored.state is AlarmState.INVALIDATED:
            return
        offline = stored.kind is RuleKind.OFFLINE
        to_state = AlarmState.RESOLVED if offline and stored.state in OPEN_STATES else AlarmState.INVALIDATED
        if offline and stored.state is AlarmState.RESOLVED:
            return  # a silence that happened stays: back-filled data do not undo it
        note = (
            "the gap was back-filled: data came in late"
            if offline
            else "the data it was raised on were corrected or withdrawn"
        )
        repo.update_alarm(
            stored.id,
            {
                "state": to_state.value,
                "updated_at": self.now,
                **({"resolved_at": self.now} if offline else {}),
            },
        )
        repo.append_events(
            [
                {
                    "alarm_id": stored.id,
                    "kind": EventKind.STATE.value if offline else EventKind.INVALIDATED.value,
                    "at": self.now,
                    "recorded_at": self.now,
                    "from_state": stored.state.value,
                    "to_state": to_state.value,
                    "actor": None,
                    "note": note,
                }
            ]
        )
        self.report.invalidated += 0 if offline else 1

    def key(
        self,
        rule: Rule,
        key: AlarmKey,
        episodes: list[Episode],
        stored: list[Alarm],
        open_alarm: Alarm | None,
        continued: bool,
    ) -> None:
        """Reconcile one key: ``stored`` are its alarms in the re-derived range (not the
        continued open one)."""
        by_first = {a.first_breach_at: a for a in stored}
        plan: list[tuple[Episode, Alarm | None, bool]] = []
        matched: set[int] = set()
        for index, episode in enumerate(episodes):
            if (
                continued
                and index == 0
                and open_alarm is not None
                and episode.first_breach_at == open_alarm.first_breach_at
            ):
                plan.append((episode, open_alarm, True))
                continue
            found = by_first.get(episode.first_breach_at)
            if found is not None and found.fired_at is not None and episode.fired_at is None:
                found = None  # it fired on data that no longer make it fire: invalidated
            if found is not None:
                matched.add(found.id)
            plan.append((episode, found, False))
        # first close what the data no longer support: only one alarm of a key may be open
        for alarm in stored:
            if alarm.id not in matched:
                self.invalidate(alarm)
        self.plan.flush()
        for episode, found, is_continued in plan:
            if found is None and any(a.first_breach_at == episode.first_breach_at for a in stored):
                found_again = by_first[episode.first_breach_at]
                # an invalidated alarm keeps its row; the re-derived episode needs its own key
                if found_again.id not in matched:
                    continue
            self._write(rule, key, episode, found, continued=is_continued)


def _windows(
    rules: Sequence[Rule],
    since: Mapping[int, datetime],
    stored: Mapping[int, list[Alarm]],
    backs: Mapping[str, timedelta],
    cursors: Mapping[int, datetime],
) -> tuple[dict[int, dict[str, datetime]], dict[int, dict[str, datetime]]]:
    """Per site: where each class of rules starts folding (horizons), and where data must be read
    from (windows: earlier where an open alarm continues from its checkpoint and needs context).

    A fold starts in the normal state, so its horizon must not fall inside a stored run: a run the
    horizon reaches into is re-derived from its first breach (repeated until no run is cut, as
    rewinding to one run's start may reach into an earlier one). The stored runs are the anchors:

    * an open alarm that a change before its checkpoint reaches;
    * a resolved one, fired or not (a pending that cleared is stored for this), ending at or after
      the horizon;
    * an invalidated one whose breaches reach the horizon. When late data invalidate a fired alarm
      but leave a run with the same first breach that no longer fires, that run cannot be stored
      (the invalidated row keeps the episode's key: rule, site, parameter, first breach; it stays
      as the record of what was announced). The invalidated row anchors it instead: the new run
      starts at the same first breach and ends at its first clear point, before the point where the
      invalidated alarm fired, so within the invalidated row's span; a later value inside the run
      reaches that span and the run is re-derived whole (and if it now fires, it matches the
      invalidated row by its key and revives it, with a ``revised`` event).
    """
    period_of = {rule.id: rule_period(rule) for rule in rules}

    def cursor_of(alarm: Alarm) -> datetime:
        return cursors.get(alarm.id, alarm.last_breach_at)

    def reaches(alarm: Alarm, changed: datetime, horizon: datetime) -> bool:
        if alarm.state in OPEN_STATES:
            return changed <= cursor_of(alarm)
        if alarm.state is AlarmState.RESOLVED:
            return alarm.resolved_at is not None and alarm.resolved_at >= horizon
        return alarm.last_breach_at >= horizon  # invalidated

    horizons: dict[int, dict[str, datetime]] = {}
    windows: dict[int, dict[str, datetime]] = {}
    for site_id, changed in since.items():
        horizon = {period: changed - back for period, back in backs.items()}
        moved = True
        while moved:
            moved = False
            for alarm in stored.get(site_id, ()):
                period = period_of.get(alarm.rule_id)
                if period is None or alarm.first_breach_at >= horizon[period]:
                    continue
                if reaches(alarm, changed, horizon[period]):
                    horizon[period] = alarm.first_breach_at
                    moved = True
        window = {period: start - backs[period] for period, start in horizon.items()}
        for alarm in stored.get(site_id, ()):
            period = period_of.get(alarm.rule_id)
            if period is not None and alarm.state in OPEN_STATES:
                window[period] = min(window[period], cursor_of(alarm) - backs[period])
        horizons[site_id] = horizon
        windows[site_id] = window
    return horizons, windows


def evaluate_sites(
    uow: AlarmsUnitOfWork,
    *,
    rules: Sequence[Rule],
    since: Mapping[int, datetime],
    now: datetime,
    report: EvaluationReport | None = None,
) -> EvaluationReport:
    """Evaluate ``rules`` at the sites of ``since`` (``{site: earliest data time that changed}``)
    and write the alarms they make; in the caller's transaction."""
    report = report or EvaluationReport()
    plan_sites(uow, rules=rules, since=since, now=now, report=report).apply(uow.alarms, report)
    return report


def plan_sites(
    uow: AlarmsUnitOfWork,
    *,
    rules: Sequence[Rule],
    since: Mapping[int, datetime],
    now: datetime,
    report: EvaluationReport,
) -> _Plan:
    """What :func:`evaluate_sites` writes, read and decided without writing (:class:`_Plan`)."""
    if not since:
        return _Plan()
    sites = {s["id"]: s for s in uow.registry.visible_sites(RowScope())}
    city_rules = [rule for rule in rules if CITY_KIND in rule.site_kinds]
    stations = _city_stations(sites)
    changed_stations = [since[site_id] for site_id in since if site_id in stations]
    if city_rules and changed_stations:  # a station's day changed: so may the city's
        since = {
            **since,
            CITY_SUBJECT: min([*changed_stations, since.get(CITY_SUBJECT, changed_stations[0])]),
        }
    site_ids = sorted(since)
    backs = look_back(rules)
    earliest = min(since.values()) - max(backs.values())
    stored_all = uow.alarms.episodes(site_ids, ending_after=earliest)
    checkpoints = uow.alarms.checkpoints(site_ids)
    stored: dict[int, list[Alarm]] = defaultdict(list)
    for alarm in stored_all:
        stored[alarm.site_id].append(alarm)
    horizons, windows = _windows(
        rules, since, stored, backs, {alarm_id: cp[0] for alarm_id, cp in checkpoints.items()}
    )
    parks = uow.alarms.site_park_codes(site_ids)
    data = load_site_data(uow, sites=sites, parks=parks, windows=windows, now=now, horizons=horizons)
    if CITY_SUBJECT in since:
        data[CITY_SUBJECT] = load_city_data(
            uow, stations=stations, start=windows[CITY_SUBJECT]["day"], now=now
        )
    reconciler = _Reconciler(uow, now, report, checkpoints)
    now_us = to_micros(now)
    for site_id in site_ids:
        site_data = data.get(site_id)
        if site_data is None:
            continue
        report.sites += 1
        horizon = horizons[site_id]
        site_alarms = stored.get(site_id, [])
        for rule in rules:
            period = rule_period(rule)
            start_us = to_micros(horizon[period])
            for parameter, cond in conditions(rule, site_data, now=now_us):
                key = (rule.id, site_id, parameter)
                mine = [a for a in site_alarms if a.rule_id == rule.id and a.parameter == parameter]
                open_alarm = next((a for a in mine if a.state in OPEN_STATES), None)
                continued = (
                    open_alarm is not None
                    and open_alarm.id in checkpoints
                    and since[site_id] > checkpoints[open_alarm.id][0]
                    and open_alarm.first_breach_at < horizon[period]
                )
                if continued:
                    assert open_alarm is not None
                    cursor, breach_run, clear_run = checkpoints[open_alarm.id]
                    start = OpenStart(
                        Checkpoint(open_alarm.state, cursor, breach_run, clear_run),
                        open_alarm.first_breach_at,
                    )
                    episodes = fold(
                        cond.after(to_micros(cursor)), hold=rule.hold, recovery=rule.recovery, start=start
                    )
                    rederived: list[Alarm] = []
                else:
                    episodes = fold(cond.since(start_us), hold=rule.hold, recovery=rule.recovery)
                    rederived = [a for a in mine if a.first_breach_at >= horizon[period]]
                    open_alarm = None
                reconciler.key(rule, key, episodes, rederived, open_alarm, continued)
    return reconciler.plan


def _clock_sites(uow: AlarmsUnitOfWork, rules: Sequence[Rule], *, now: datetime) -> dict[int, datetime]:
    """Sites whose silence an offline rule must now see: their newest reception is older than
    the rule's ``after_minutes`` (sites that never sent anything are not watched), each with the
    data time of its newest reading, where the evaluation reads from (windows are in data time;
    a device's data time may lag its reception, e.g. while it sends a back-log)."""
    offline_rules = [r for r in rules if r.kind is RuleKind.OFFLINE]
    if not offline_rules:
        return {}
    shortest = min(float(r.params["after_minutes"]) for r in offline_rules)
    sites = uow.registry.visible_sites(RowScope())
    kinds = set().union(*(r.site_kinds for r in offline_rules))
    ids = [s["id"] for s in sites if s["kind"] in kinds]
    last = uow.monitoring.sites_last_received(ids, since=now - _CLOCK_SINCE)
    due = now - timedelta(minutes=shortest)
    silent = {site_id: moment for site_id, moment in last.items() if moment < due}
    if len(offline_rules) == 1:  # a site whose offline alarm is already open needs no new look
        already = uow.alarms.open_site_ids(rule_id=offline_rules[0].id, site_ids=sorted(silent))
        silent = {site_id: moment for site_id, moment in silent.items() if site_id not in already}
    newest = uow.monitoring.sites_last_seen(sorted(silent), since=now - _CLOCK_SINCE)
    return {site_id: min(newest.get(site_id, moment), moment) for site_id, moment in silent.items()}


def evaluate_pending(
    uow: AlarmsUnitOfWork,
    *,
    rules: Sequence[Rule],
    now: datetime,
    holder: str,
    limit: int = 5000,
) -> EvaluationReport:
    """One pass of the evaluator: claim the lease (or do nothing while another process holds it),
    take the marks, add the sites the clock makes offline, evaluate. In the caller's transaction,
    so the marks are consumed together with the alarms they made."""
    if not uow.alarms.claim_lease(LEASE_NAME, holder=holder, now=now, until=now + LEASE):
        return EvaluationReport(ran=False)
    marks = uow.alarms.take_dirty(limit=limit)
    since: dict[int, datetime] = dict(marks)
    for site_id, last in _clock_sites(uow, rules, now=now).items():
        since.setdefault(site_id, last)
    report = EvaluationReport(marks=len(marks))
    return evaluate_sites(uow, rules=rules, since=since, now=now, report=report)


_STATE_ZH = {AlarmState.FIRING: "告警", AlarmState.RESOLVED: "已恢复"}
_STATE_EN = {AlarmState.FIRING: "firing", AlarmState.RESOLVED: "resolved"}


def announce(
    uow: AlarmsUnitOfWork,
    report: EvaluationReport,
    *,
    rules: Sequence[Rule],
    routes: Sequence[Route],
    now: datetime,
) -> int:
    """Enqueue a notice for each alarm that fired or resolved in ``report`` (in the caller's
    transaction, so the alarm and its notices commit together), except alarms silenced at ``now``.
    Returns the deliveries stored. The dedupe key (alarm, state, instant) stores a notice once
    even when two processes announce it."""
    by_id = {rule.id: rule for rule in rules}
    stored = 0
    for alarm_id, state, at in report.transitions:
        found = uow.alarms.visible_alarm(alarm_id, RowScope())
        if found is None or found.silenced(now):
            continue
        rule = by_id.get(found.rule_id)
        name_zh = rule.name_zh if rule else found.rule_id
        name_en = rule.name_en if rule else found.rule_id
        parameter = found.parameter or "-"
        peak = "" if found.peak is None else f"{found.peak:g}"
        limit = "" if found.limit is None else f"{found.limit:g}"
        values_zh = f"，峰值 {peak} {found.unit}（限值 {limit}）" if peak and limit else ""
        values_en = f", peak {peak} {found.unit} (limit {limit})" if peak and limit else ""
        notice = Notice(
            topic="alarm",
            subject_id=alarm_id,
            event=state.value,
            severity=found.severity,
            title_zh=f"【{_STATE_ZH[state]}】{found.site_name} {name_zh}",
            title_en=f"[{_STATE_EN[state]}] {found.site_name} {name_en}",
            body_zh=f"{found.site_name}（{found.site_code}）{parameter} {name_zh}{values_zh}。",
            body_en=f"{found.site_name} ({found.site_code}) {parameter} {name_en}{values_en}.",
            link=f"/alarms/{alarm_id}",
            occurred_at=at,
            dedupe_key=f"alarm:{alarm_id}:{state.value}:{at.isoformat()}",
            site_id=found.site_id,
            town_code=found.town_code,
            enterprise_id=found.enterprise_id,
            park_id=uow.alarms.site_park_ids([found.site_id]).get(found.site_id),
        )
        stored += notifications_service.enqueue(uow, notice=notice, routes=routes, now=now)
    return stored


def evaluate_everything(
    uow: AlarmsUnitOfWork,
    *,
    rules: Sequence[Rule],
    since: datetime,
    now: datetime,
    holder: str = "rebuild",
    sites_per_pass: int = 25,
) -> EvaluationReport:
    """Re-evaluate every site from ``since`` (after an import, or to build a history), a few sites
    at a time so that memory stays bounded; under the evaluator's lease like a pass of ingest."""
    if not uow.alarms.claim_lease(LEASE_NAME, holder=holder, now=now, until=now + LEASE):
        return EvaluationReport(ran=False)
    report = EvaluationReport()
    site_ids = sorted(s["id"] for s in uow.registry.visible_sites(RowScope()))
    for first in range(0, len(site_ids), sites_per_pass):
        chunk = site_ids[first : first + sites_per_pass]
        evaluate_sites(uow, rules=rules, since=dict.fromkeys(chunk, since), now=now, report=report)
    return report


#: How long a run that never fired (a pending that cleared) is kept before it is dropped.
UNFIRED_RETENTION = timedelta(days=1)


def purge_unfired(uow: AlarmsUnitOfWork, *, before: datetime) -> int:
    """Drop the runs that never fired and ended before ``before`` (with their events): a pending
    that cleared (or a never-fired run that later data invalidated) is the rule's bookkeeping
    (Prometheus drops it at once), kept for a day as the anchor by which a late value inside the
    run re-derives it from its start; alarms that fired are never dropped. The number dropped."""
    return uow.alarms.purge_unfired(before=before)


def evaluate_pass(
    uow_factory: Callable[[], AbstractContextManager[AlarmsUnitOfWork]],
    *,
    rules: Sequence[Rule],
    routes: Sequence[Route],
    now: datetime,
    holder: str,
    limit: int = 5000,
) -> EvaluationReport:
    """One pass of the ingest process's evaluator, in two transactions: the first reads the marks
    and the data and decides (no write: on SQLite the ingest writer is never held up while the rules
    run), the second claims the lease, writes the alarms and their notices, and drops the marks it
    evaluated unless a site was marked again meanwhile (a mark's version). A process whose lease
    claim fails (another took it) writes nothing: its plan is discarded, the marks stay."""
    with uow_factory() as uow:
        if not uow.alarms.lease_free(LEASE_NAME, holder=holder, now=now):
            return EvaluationReport(ran=False)
        marks = uow.alarms.peek_dirty(limit=limit)
        since: dict[int, datetime] = {site_id: moment for site_id, moment, _ in marks}
        for site_id, last in _clock_sites(uow, rules, now=now).items():
            since.setdefault(site_id, last)
        report = EvaluationReport(marks=len(marks))
        plan = plan_sites(uow, rules=rules, since=since, now=now, report=report)
    with uow_factory() as uow:
        if not uow.alarms.claim_lease(LEASE_NAME, holder=holder, now=now, until=now + LEASE):
            return EvaluationReport(ran=False)
        plan.apply(uow.alarms, report)
        uow.alarms.drop_marks([(site_id, version) for site_id, _, version in marks])
        announce(uow, report, rules=rules, routes=routes, now=now)
    return report


def mark_dirty(uow: AlarmsUnitOfWork, *, marks: Iterable[tuple[int, datetime]]) -> None:
    """Mark (site, earliest changed data time) for the next evaluation; ingest and aggregation
    call this in the transaction that changed the data (an hour's start is a valid, earlier mark)."""
    uow.alarms.mark_dirty(marks)


# --- people --------------------------------------------------------------------------------------


#: Roles that may acknowledge and silence alarms (officers of the territory); an enterprise may
#: only explain its own.
HANDLERS = frozenset({Role.CITY_ADMIN, Role.BUREAU_ANALYST, Role.TOWN_OFFICER, Role.GRID_OFFICER})


def visible_alarms(
    uow: AlarmReadsUnitOfWork,
    principal: Principal,
    *,
    status: str | None = None,
    site_id: int | None = None,
    severity: str | None = None,
    town_code: str | None = None,
    rule_id: str | None = None,
    family: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[Alarm], int]:
    """The alarms ``principal`` may see (none for the public), newest first.

    ``status``: ``open`` (firing or recovering), ``firing``, ``recovering``, ``resolved``,
    ``invalidated``, ``pending`` or None for every fired alarm."""
    states = _states(status)
    kinds = [k.value for k in FALSIFIED_DATA_KINDS] if family == "falsified_data" else None
    return uow.alarms.visible_alarms(
        principal.scope,
        states=states,
        site_id=site_id,
        severity=severity,
        town_code=town_code,
        rule_id=rule_id,
        family=kinds,
        fired_only=status != "pending",
        limit=limit,
        offset=offset,
    )


STATUSES = ("open", "firing", "recovering", "pending", "resolved", "invalidated")


def _states(status: str | None) -> list[str] | None:
    if status is None or status == "":
        return None
    if status == "open":
        return [AlarmState.FIRING.value, AlarmState.RECOVERING.value]
    if status not in STATUSES:
        raise InvalidInput(f"unknown status {status!r} (one of {', '.join(STATUSES)})", field="status")
    return [status]


def alarm(uow: AlarmReadsUnitOfWork, principal: Principal, alarm_id: int) -> Alarm:
    """One alarm ``principal`` may see; NotFound otherwise (not PermissionDenied: whether an
    alarm exists outside one's scope is not to be learnt)."""
    found = uow.alarms.visible_alarm(alarm_id, principal.scope)
    if found is None:
        raise NotFound(f"no alarm {alarm_id}", field="alarm_id")
    return found


#: Most frames :func:`evidence_frames` returns (an hour of minute data is 60).
MAX_EVIDENCE_FRAMES = 60


def evidence_frames(
    uow: AlarmEvidenceUnitOfWork, principal: Principal, alarm_id: int
) -> list[tuple[Observation, Frame]]:
    """The raw HJ 212 frames behind an alarm's peak, each with the stored value it carried: the
    readings of the alarm's site (and parameter) at the peak's data time — for a kind judged on
    hourly means, within the peak's hour (the device's hourly upload and the minute or real-time
    data the mean was made of) — that came from a frame (``frame_id``; a back-filled value has
    none). So a case can be followed to its alarm and the bytes the device sent (issue 17).
    At most :data:`MAX_EVIDENCE_FRAMES`, in data-time order; none for a city-wide alarm."""
    found = alarm(uow, principal, alarm_id)
    if found.site_id == CITY_SUBJECT:
        return []
    if found.kind in DAILY_KINDS:
        span = timedelta(days=1)
    elif found.kind in HOURLY_KINDS or found.kind is RuleKind.MEAN_EXCEEDANCE:
        span = timedelta(hours=1)  # a daily mean's own upload is at the peak's time: inside too
    else:
        span = timedelta(seconds=1)
    readings = uow.monitoring.observations(
        start=found.peak_at, end=found.peak_at + span, site_ids=[found.site_id]
    )
    out: list[tuple[Observation, Frame]] = []
    seen: set[int] = set()
    for reading in readings:
        if found.parameter and reading.parameter != found.parameter:
            continue
        if reading.frame_id is None or reading.frame_id in seen:
            continue
        seen.add(reading.frame_id)
        frame = uow.monitoring.frame(reading.frame_id)
        if frame is not None:
            out.append((reading, frame))
        if len(out) >= MAX_EVIDENCE_FRAMES:
            break
    return out


def events(uow: AlarmReadsUnitOfWork, principal: Principal, alarm_id: int) -> list[AlarmEvent]:
    alarm(uow, principal, alarm_id)
    return uow.alarms.events(alarm_id)


def replay(history: Sequence[AlarmEvent]) -> list[tuple[datetime, AlarmState]]:
    """The alarm's states in order, from its events alone (the append-only history replays):
    the state changes after its last revision (late or corrected data re-told its past)."""
    out: list[tuple[datetime, AlarmState]] = []
    for event in history:
        if event.kind is EventKind.REVISED:
            out = []
        elif event.to_state is not None and event.kind in (EventKind.STATE, EventKind.INVALIDATED):
            out.append((event.at, event.to_state))
    return out


def counts(uow: AlarmReadsUnitOfWork, principal: Principal) -> dict[str, Any]:
    """Open (firing or recovering) alarms by severity, by town and by kind, as ``principal`` sees them."""
    by_severity: dict[str, int] = defaultdict(int)
    by_town: dict[str, int] = defaultdict(int)
    by_kind: dict[str, int] = defaultdict(int)
    total = 0
    for severity, town, kind, n in uow.alarms.counts(principal.scope, states=["firing", "recovering"]):
        by_severity[severity] += n
        by_town[town] += n
        by_kind[kind] += n
        total += n
    return {
        "open": total,
        "by_severity": dict(by_severity),
        "by_town": dict(by_town),
        "by_kind": dict(by_kind),
    }


#: Open alarms the map and the dashboards draw at most (the newest first; a city with more has
#: bigger problems than markers, and the console lists them all).
MAX_MARKERS = 500


def open_alarms_summary(uow: AlarmReadsUnitOfWork, *, scope: RowScope, newest: int = 5) -> dict[str, Any]:
    """What the 一张图 map, the dashboards and a site page show of the open (firing or recovering)
    alarms ``scope`` sees: ``open`` (count), ``by_severity``, the ``newest`` few (dicts of
    :meth:`Alarm.to_dict`) and ``by_site`` (site id -> its open alarms, most severe first, at most
    :data:`MAX_MARKERS` alarms in all). The public scope sees none (the repository's rule)."""
    active = [AlarmState.FIRING.value, AlarmState.RECOVERING.value]
    by_severity: dict[str, int] = defaultdict(int)
    for severity, _town, _kind, n in uow.alarms.counts(scope, states=active):
        by_severity[severity] += n
    alarms, total = uow.alarms.visible_alarms(scope, states=active, limit=MAX_MARKERS)
    by_site: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for found in sorted(alarms, key=lambda a: (-a.severity.rank, -a.id)):
        by_site[found.site_id].append(found.to_dict())
    return {
        "open": total,
        "by_severity": dict(by_severity),
        "newest": [a.to_dict() for a in alarms[:newest]],
        "by_site": dict(by_site),
    }


def version(uow: AlarmReadsUnitOfWork) -> Hashable:
    """A cheap value that moves whenever an alarm or its history changes (the web's response
    cache compares it to know when to redraw the map)."""
    return uow.alarms.version()


def _text(value: str | None, field: str, *, required: bool) -> str | None:
    text = (value or "").strip()
    if required and not text:
        raise InvalidInput("must not be empty", field=field)
    if len(text) > _MAX_TEXT:
        raise InvalidInput(f"at most {_MAX_TEXT} characters", field=field)
    return text or None


def _event(
    alarm_id: int, kind: EventKind, *, now: datetime, actor: str | None, note: str | None
) -> dict[str, Any]:
    return {
        "alarm_id": alarm_id,
        "kind": kind.value,
        "at": now,
        "recorded_at": now,
        "from_state": None,
        "to_state": None,
        "actor": actor,
        "note": note,
    }


def _record(
    uow: AlarmsUnitOfWork,
    principal: Principal,
    alarm_id: int,
    *,
    values: dict[str, Any],
    kind: EventKind,
    note: str | None,
    detail: dict[str, Any],
    now: datetime,
    ip: str | None,
) -> Alarm:
    """What a person did to an alarm: its fields, its event (who, when, note) and the audit entry
    (who, from which address), in the caller's transaction; the alarm as it is now."""
    uow.alarms.update_alarm(alarm_id, values)
    uow.alarms.append_events([_event(alarm_id, kind, now=now, actor=principal.username, note=note)])
    accounts_service.record_audit(
        uow, principal=principal, action=_AUDIT_ACTION[kind], entity="alarm", entity_id=str(alarm_id),
        detail=detail, ip=ip,
    )  # fmt: skip
    return alarm(uow, principal, alarm_id)


#: The audit log's name of each person's action on an alarm.
_AUDIT_ACTION = {
    EventKind.ACKNOWLEDGED: "acknowledge",
    EventKind.SILENCED: "silence",
    EventKind.UNSILENCED: "unsilence",
    EventKind.EXPLAINED: "explain",
}


def acknowledge(
    uow: AlarmsUnitOfWork,
    principal: Principal,
    alarm_id: int,
    *,
    note: str | None,
    now: datetime,
    ip: str | None = None,
) -> Alarm:
    """An officer takes note of the alarm (who, when, note; audited); it stays open until the data
    clear it."""
    if principal.role not in HANDLERS:
        raise PermissionDenied("only officers acknowledge alarms", field="alarm_id")
    alarm(uow, principal, alarm_id)
    text = _text(note, "note", required=False)
    return _record(
        uow, principal, alarm_id, kind=EventKind.ACKNOWLEDGED, note=text, detail={"note": text}, now=now, ip=ip,
        values={"acknowledged_by": principal.username, "acknowledged_at": now, "ack_note": text},
    )  # fmt: skip


def silence(
    uow: AlarmsUnitOfWork,
    principal: Principal,
    alarm_id: int,
    *,
    until: datetime,
    reason: str,
    now: datetime,
    ip: str | None = None,
) -> Alarm:
    """Stop notifications of the alarm until ``until`` (at most :data:`MAX_SILENCE` ahead; audited);
    the alarm itself goes on being evaluated and shown."""
    if principal.role not in HANDLERS:
        raise PermissionDenied("only officers silence alarms", field="alarm_id")
    alarm(uow, principal, alarm_id)
    text = _text(reason, "reason", required=True)
    if until.tzinfo is None:
        raise InvalidInput("needs a time zone", field="until")
    if until <= now:
        raise InvalidInput("must be in the future", field="until")
    if until - now > MAX_SILENCE:
        raise InvalidInput(f"at most {MAX_SILENCE.days} days ahead", field="until")
    return _record(
        uow, principal, alarm_id, kind=EventKind.SILENCED, note=f"until {until.isoformat()}: {text}",
        detail={"until": until.isoformat(), "reason": text}, now=now, ip=ip,
        values={"silenced_until": until, "silenced_by": principal.username, "silence_reason": text},
    )  # fmt: skip


def unsilence(
    uow: AlarmsUnitOfWork, principal: Principal, alarm_id: int, *, now: datetime, ip: str | None = None
) -> Alarm:
    """Lift a silence before it runs out (who, when; audited): notifications of the alarm resume."""
    if principal.role not in HANDLERS:
        raise PermissionDenied("only officers lift a silence", field="alarm_id")
    if not alarm(uow, principal, alarm_id).silenced(now):
        raise InvalidInput("the alarm is not silenced", field="alarm_id")
    return _record(
        uow, principal, alarm_id, kind=EventKind.UNSILENCED, note=None, detail={}, now=now, ip=ip,
        values={"silenced_until": now},
    )  # fmt: skip


def explain(
    uow: AlarmsUnitOfWork,
    principal: Principal,
    alarm_id: int,
    *,
    text: str,
    now: datetime,
    ip: str | None = None,
) -> Alarm:
    """The enterprise's explanation (情况说明) of an alarm at one of its own sites (audited)."""
    if principal.role is not Role.ENTERPRISE and principal.role not in HANDLERS:
        raise PermissionDenied("only the enterprise or an officer adds an explanation", field="alarm_id")
    alarm(uow, principal, alarm_id)
    body = _text(text, "text", required=True)
    return _record(
        uow, principal, alarm_id, kind=EventKind.EXPLAINED, note=body, detail={"text": body}, now=now, ip=ip,
        values={"explanation": body, "explained_by": principal.username, "explained_at": now},
    )  # fmt: skip


def rules(path: str | Path | None = None) -> tuple[Rule, ...]:
    """The rules in force: the deployment's file (``GREENPORT_ALARM_RULES``) or the shipped one."""
    return load_rules(path)
