"""The lifecycle fold, hand-worked and as properties (response-workflow.md §1): hold and
recovery counts, no data is no point, flapping damped by the recovery, and a fold continued from
a checkpoint equals one fold over all the points."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from greenport.alarms.lifecycle import Condition, OpenStart, fold, to_instant, to_micros
from greenport.alarms.model import OPEN_STATES, AlarmState, Episode

T0 = datetime(2026, 3, 1, tzinfo=UTC)
MINUTE = 60_000_000


def condition(breaches: list[bool | None], values: list[float] | None = None) -> Condition:
    """One point a minute; None is a minute without data (no point at all)."""
    times = [to_micros(T0) + i * MINUTE for i, b in enumerate(breaches) if b is not None]
    flags = [b for b in breaches if b is not None]
    vals = values if values is not None else [100.0 if b else 10.0 for b in flags]
    n = len(times)
    return Condition(
        np.array(times, np.int64),
        np.array(flags, np.bool_),
        np.array(vals, np.float64),
        np.full(n, 50.0),
        np.array(vals, np.float64) / 50.0 - 1,
    )


def at(minute: int) -> datetime:
    return T0 + timedelta(minutes=minute)


def states(episode: Episode) -> list[tuple[int, str]]:
    return [(int((t.at - T0).total_seconds() // 60), t.to_state.value) for t in episode.transitions]


def test_hold_three_recovery_two_hand_worked() -> None:
    #            0      1     2     3     4      5      6      7
    cond = condition([False, True, True, True, False, True, False, False], [1, 60, 80, 70, 1, 90, 1, 1])
    [episode] = fold(cond, hold=3, recovery=2)
    assert states(episode) == [
        (1, "pending"),
        (3, "firing"),
        (4, "recovering"),
        (5, "firing"),
        (6, "recovering"),
        (7, "resolved"),
    ]
    assert (episode.first_breach_at, episode.last_breach_at) == (at(1), at(5))
    assert (episode.peak, episode.peak_at, episode.breaches) == (90.0, at(5), 4)


def test_a_pending_that_clears_never_fires() -> None:
    [episode] = fold(condition([True, True, False, False]), hold=3, recovery=1)
    assert states(episode) == [(0, "pending"), (2, "resolved")]
    assert episode.fired_at is None


def test_no_data_is_no_point_it_neither_fires_nor_resolves() -> None:
    # breach, then a silent hour, then breach: the hold counts points, not minutes
    [episode] = fold(condition([True, *([None] * 60), True, True]), hold=3, recovery=1)
    assert states(episode) == [(0, "pending"), (62, "firing")]
    # firing, then silence to the end of the series: still firing (silence never resolves)
    [episode] = fold(condition([True, True, *([None] * 600)]), hold=1, recovery=1)
    assert episode.state is AlarmState.FIRING and episode.resolved_at is None


def test_flapping_faster_than_the_recovery_is_one_alarm() -> None:
    flapping = [True, False] * 50
    assert len(fold(condition(flapping), hold=1, recovery=2)) == 1
    assert len(fold(condition(flapping), hold=1, recovery=1)) == 50  # no damping: one per flap


breach_lists = st.lists(st.one_of(st.booleans(), st.none()), min_size=1, max_size=80)


def _merge(first: list[Episode], rest: list[Episode]) -> list[tuple[object, ...]]:
    """Episodes as comparable facts; the first of ``rest`` continues the last of ``first`` when
    that one was open."""

    def facts(e: Episode) -> tuple[object, ...]:
        return (e.first_breach_at, e.fired_at, e.resolved_at, e.state)

    if (
        first
        and first[-1].state in OPEN_STATES
        and rest
        and rest[0].first_breach_at == first[-1].first_breach_at
    ):
        head, cont = first[-1], rest[0]
        merged = (head.first_breach_at, head.fired_at or cont.fired_at, cont.resolved_at, cont.state)
        return [facts(e) for e in first[:-1]] + [merged] + [facts(e) for e in rest[1:]]
    return [facts(e) for e in first + rest]


@settings(max_examples=300, deadline=None)
@given(breach_lists, st.integers(1, 5), st.integers(1, 5), st.integers(0, 80))
def test_a_fold_continued_from_its_checkpoint_equals_one_fold(
    breaches: list[bool | None], hold: int, recovery: int, split: int
) -> None:
    cond = condition(breaches)
    whole = fold(cond, hold=hold, recovery=recovery)
    cut = min(split, len(cond))
    first = fold(cond.slice(0, cut), hold=hold, recovery=recovery)
    start = None
    if first and first[-1].state in OPEN_STATES:
        start = OpenStart(first[-1].checkpoint, first[-1].first_breach_at)
        rest = fold(
            cond.after(to_micros(first[-1].checkpoint.cursor_at)), hold=hold, recovery=recovery, start=start
        )
    else:
        rest = fold(cond.slice(cut, len(cond)), hold=hold, recovery=recovery)
    assert _merge(first, rest) == [(e.first_breach_at, e.fired_at, e.resolved_at, e.state) for e in whole]


@settings(max_examples=300, deadline=None)
@given(breach_lists, st.integers(1, 5), st.integers(1, 5))
def test_episodes_are_ordered_and_only_the_last_is_open(
    breaches: list[bool | None], hold: int, recovery: int
) -> None:
    episodes = fold(condition(breaches), hold=hold, recovery=recovery)
    allowed = {
        None: {"pending"},
        "pending": {"firing", "resolved"},
        "firing": {"recovering", "resolved"},
        "recovering": {"firing", "resolved"},
    }
    for index, episode in enumerate(episodes):
        if index < len(episodes) - 1:
            assert episode.state is AlarmState.RESOLVED
            assert (
                episode.resolved_at is not None and episode.resolved_at <= episodes[index + 1].first_breach_at
            )
        previous = None
        for transition in episode.transitions:
            assert transition.to_state.value in allowed[previous]
            previous = transition.to_state.value
        assert [t.at for t in episode.transitions] == sorted(t.at for t in episode.transitions)
    assert sum(b is True for b in breaches) == sum(e.breaches for e in episodes)


def test_bad_counts_are_refused() -> None:
    with pytest.raises(ValueError):
        fold(condition([True]), hold=0, recovery=1)
    assert to_instant(to_micros(T0)) == T0
