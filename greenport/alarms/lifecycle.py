"""The alarm lifecycle: from a condition series (one point per value, in breach or clear) to the
alarms it makes. Pure: no I/O, no clock.

The states and their order follow the reference alerting engines (response-workflow.md §1):

* normal → **pending** at the first point in breach; → **firing** once ``hold`` consecutive
  points are in breach (``hold`` = 1: at once). A clear point while pending ends the episode
  without it ever firing (Prometheus drops such a pending alert; GreenPort keeps it as resolved,
  never fired, so that the record stays append-only).
* firing → **recovering** at the first clear point; → **resolved** once ``recovery`` consecutive
  points are clear; a point in breach while recovering sends it back to firing. This hysteresis is
  the flap damping the Alertmanager maintainers say belongs in the rule (alertmanager#204): input
  that flaps faster than ``recovery`` raises one alarm, not many.
* **No data is not a point.** A gap in the series leaves the state as it was: a device that goes
  silent during an exceedance leaves the alarm firing (prometheus#17482, #6816), and a pending
  alarm does not skip its hold because data stopped (grafana#56067). The offline rule speaks of
  the silence.

Time is epoch microseconds (int64) so that a year of one-minute values folds with numpy; the fold
walks the *runs* of equal breach values, not the points, so a long quiet series costs one step.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import numpy.typing as npt

from greenport.alarms.model import AlarmState, Checkpoint, Episode, Transition

Micros = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_instant(micros: int | np.integer) -> datetime:
    """An epoch-microsecond count as an aware UTC datetime."""
    return _EPOCH + timedelta(microseconds=int(micros))


def to_micros(moment: datetime) -> int:
    """An aware datetime as epoch microseconds (the inverse of :func:`to_instant`)."""
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


@dataclass(frozen=True, slots=True)
class Condition:
    """A rule's verdict on each point of one series, in time order.

    ``times`` [epoch µs], ``breach`` (the point breaks the rule), ``values`` (the value as compared,
    e.g. referred to the reference O2) [canonical unit], ``limits`` (the limit in force for the
    point, NaN for kinds without one) and ``excess`` (how far past the limit, to choose the peak;
    for kinds without a limit the value itself).
    """

    times: Micros
    breach: Bools
    values: Floats
    limits: Floats
    excess: Floats

    def __len__(self) -> int:
        return int(self.times.shape[0])

    def after(self, moment: int) -> Condition:
        """The points strictly after ``moment`` [epoch µs]."""
        start = int(np.searchsorted(self.times, moment, side="right"))
        return self.slice(start, len(self))

    def since(self, moment: int) -> Condition:
        """The points at or after ``moment`` [epoch µs]."""
        start = int(np.searchsorted(self.times, moment, side="left"))
        return self.slice(start, len(self))

    def slice(self, start: int, stop: int) -> Condition:
        return Condition(
            self.times[start:stop],
            self.breach[start:stop],
            self.values[start:stop],
            self.limits[start:stop],
            self.excess[start:stop],
        )


@dataclass(frozen=True, slots=True)
class OpenStart:
    """Where an open alarm stood after its newest folded point: the fold goes on from here."""

    checkpoint: Checkpoint
    first_breach_at: datetime


def _runs(breach: Bools) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Start indices and lengths of the runs of equal values in ``breach``."""
    n = breach.shape[0]
    if n == 0:
        return np.empty(0, np.intp), np.empty(0, np.intp)
    change = np.flatnonzero(breach[1:] != breach[:-1]) + 1
    starts = np.concatenate(([0], change))
    lengths = np.diff(np.concatenate((starts, [n])))
    return starts, lengths


class _Builder:
    """The episode being folded: its transitions and the index range of its points."""

    __slots__ = ("first", "first_index", "last_index", "transitions")

    def __init__(self, first: datetime | None, first_index: int) -> None:
        self.first = first
        self.first_index = first_index
        self.last_index = first_index
        self.transitions: list[Transition] = []

    def episode(self, cond: Condition, state: AlarmState, breach_run: int, clear_run: int) -> Episode | None:
        points = cond.slice(self.first_index, self.last_index + 1)
        hits = np.flatnonzero(points.breach)
        if self.first is None and hits.size == 0 and not self.transitions:
            return None
        if hits.size:
            peak_index = (
                int(hits[int(np.nanargmax(points.excess[hits]))])
                if np.any(~np.isnan(points.excess[hits]))
                else int(hits[-1])
            )
            peak = float(points.values[peak_index])
            limit = float(points.limits[peak_index])
            excess = float(points.excess[peak_index])
            peak_at = to_instant(points.times[peak_index])
            last_breach = to_instant(points.times[int(hits[-1])])
        else:  # a continued alarm with no new breach: the stored peak stays (see reconcile)
            peak, limit, excess = float("nan"), float("nan"), float("nan")
            peak_at = to_instant(points.times[0])
            last_breach = self.first if self.first is not None else peak_at
        first = self.first if self.first is not None else to_instant(points.times[int(hits[0])])
        cursor = to_instant(points.times[-1]) if len(points) else first
        return Episode(
            first_breach_at=first,
            last_breach_at=last_breach,
            transitions=tuple(self.transitions),
            peak=None if np.isnan(peak) else peak,
            peak_at=peak_at,
            limit=None if np.isnan(limit) else limit,
            breaches=int(hits.size),
            checkpoint=Checkpoint(state=state, cursor_at=cursor, breach_run=breach_run, clear_run=clear_run),
            peak_excess=None if np.isnan(excess) else excess,
        )


def fold(cond: Condition, *, hold: int, recovery: int, start: OpenStart | None = None) -> list[Episode]:
    """The episodes of one rule, site and parameter over ``cond``.

    Parameters
    ----------
    cond : Condition
        The points to fold, in time order (all of them after ``start.checkpoint.cursor_at``).
    hold : int
        Consecutive points in breach before pending turns firing (>= 1).
    recovery : int
        Consecutive clear points before firing (through recovering) turns resolved (>= 1).
    start : OpenStart, optional
        An open alarm to go on from; its episode comes first in the result (with only the
        transitions and breaches of the new points: the caller merges it with the stored alarm).

    Returns
    -------
    list of Episode
        In time order. Only the last can be open (pending, firing or recovering).
    """
    if hold < 1 or recovery < 1:
        raise ValueError("hold and recovery must be at least 1")
    episodes: list[Episode] = []
    times = cond.times
    if start is not None:
        state = start.checkpoint.state
        breach_run, clear_run = start.checkpoint.breach_run, start.checkpoint.clear_run
        current: _Builder | None = _Builder(start.first_breach_at, 0)
    else:
        state, breach_run, clear_run, current = AlarmState.RESOLVED, 0, 0, None  # RESOLVED = normal

    def close(at_index: int) -> None:
        nonlocal current
        assert current is not None
        current.last_index = at_index
        episode = current.episode(cond, state, breach_run, clear_run)
        if episode is not None:
            episodes.append(episode)
        current = None

    starts, lengths = _runs(cond.breach)
    for run_start, run_length in zip(starts.tolist(), lengths.tolist(), strict=True):
        in_breach = bool(cond.breach[run_start])
        run_end = run_start + run_length - 1
        if in_breach:
            if state is AlarmState.RESOLVED:  # normal -> pending (-> firing)
                current = _Builder(None, run_start)
                current.transitions.append(Transition(AlarmState.PENDING, to_instant(times[run_start])))
                state, breach_run, clear_run = AlarmState.PENDING, 0, 0
            elif state is AlarmState.RECOVERING:
                assert current is not None
                current.transitions.append(Transition(AlarmState.FIRING, to_instant(times[run_start])))
                state, breach_run, clear_run = AlarmState.FIRING, 0, 0
            if state is AlarmState.PENDING:
                needed = hold - breach_run
                if needed <= run_length:
                    assert current is not None
                    current.transitions.append(
                        Transition(AlarmState.FIRING, to_instant(times[run_start + needed - 1]))
                    )
                    state = AlarmState.FIRING
            breach_run += run_length
            clear_run = 0
            assert current is not None
            current.last_index = run_end
            continue
        # a run of clear points
        if state is AlarmState.RESOLVED:
            continue
        assert current is not None
        if state is AlarmState.PENDING:  # cleared before it fired
            current.transitions.append(Transition(AlarmState.RESOLVED, to_instant(times[run_start])))
            state, breach_run, clear_run = AlarmState.RESOLVED, 0, 0
            close(run_start)
            continue
        if state is AlarmState.FIRING:
            state, clear_run = AlarmState.RECOVERING, 0
            if recovery > 1:
                current.transitions.append(Transition(AlarmState.RECOVERING, to_instant(times[run_start])))
        needed = recovery - clear_run
        if needed <= run_length:
            resolved_index = run_start + needed - 1
            current.transitions.append(Transition(AlarmState.RESOLVED, to_instant(times[resolved_index])))
            state, breach_run, clear_run = AlarmState.RESOLVED, 0, 0
            close(resolved_index)
        else:
            clear_run += run_length
            breach_run = 0
            current.last_index = run_end
    if current is not None:
        current.last_index = len(cond) - 1 if len(cond) else 0
        if len(cond) == 0:  # a continued alarm and no new point: nothing to say
            return episodes
        episode = current.episode(cond, state, breach_run, clear_run)
        if episode is not None:
            episodes.append(episode)
    return episodes
