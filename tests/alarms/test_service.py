"""The alarm evaluator against a real database (SQLite and PostgreSQL): alarms made from stored
readings, their events, no data never resolving, late data re-deriving, people's actions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from greenport.accounts.model import Principal, Role
from greenport.alarms import service
from greenport.alarms.model import AlarmState, EventKind
from greenport.alarms.rules import load_rules_text
from greenport.kernel.errors import InvalidInput, NotFound, PermissionDenied
from greenport.storage.db import Database
from greenport.storage.uow import UnitOfWork
from tests.alarms.conftest import TOWN, Outlets, realtime, store

T0 = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)  # 10:00 Beijing time

RULES = load_rules_text(
    """
rules:
  - id: rt
    kind: realtime_exceedance
    severity: minor
    name_zh: 实时超标
    name_en: real-time exceedance
    site_kinds: [gas_outlet]
    parameters: [flue_so2]
    hold: 3
    recovery: 2
  - id: "off"
    kind: offline
    severity: major
    name_zh: 离线
    name_en: offline
    site_kinds: [gas_outlet]
    params: {after_minutes: 10}
""",
    source="test-rules.yaml",
)

ADMIN = Principal(user_id=1, username="admin", display_name="管理员", role=Role.CITY_ADMIN)


def so2(*values: float | None) -> list[dict[str, float] | None]:
    return [None if v is None else {"flue_so2": v, "flue_o2": 6.0} for v in values]


def evaluate(db: Database, now: datetime) -> service.EvaluationReport:
    with UnitOfWork(db) as uow:
        return service.evaluate_pending(uow, rules=RULES, now=now, holder="test")


def alarms(db: Database, status: str | None = None) -> list[service.Alarm]:  # type: ignore[name-defined]
    with UnitOfWork(db) as uow:
        found, _ = service.visible_alarms(uow, ADMIN, status=status)
    return found


def test_three_values_over_the_limit_fire_and_two_clear_ones_resolve(db: Database, outlets: Outlets) -> None:
    # coal-fired unit, ultra-low SO2 limit 35 mg/m3 at 6 % O2 (measured O2 6 %: no correction)
    store(db, realtime(outlets.gas, T0, so2(20, 40, 41, 50, 30, 20, 20)))
    report = evaluate(db, T0 + timedelta(minutes=7))
    assert report.opened == 1
    [alarm] = [a for a in alarms(db) if a.rule_id == "rt"]
    assert alarm.state is AlarmState.RESOLVED
    assert alarm.first_breach_at == T0 + timedelta(minutes=1)
    assert alarm.fired_at == T0 + timedelta(minutes=3)  # the third value over
    assert alarm.resolved_at == T0 + timedelta(minutes=5)  # the second clear value
    assert (alarm.peak, alarm.limit, alarm.breaches) == (50.0, 35.0, 3)
    with UnitOfWork(db) as uow:
        history = service.events(uow, ADMIN, alarm.id)
    assert [(at - T0, state) for at, state in service.replay(history)] == [
        (timedelta(minutes=1), AlarmState.PENDING),
        (timedelta(minutes=3), AlarmState.FIRING),
        (timedelta(minutes=4), AlarmState.RECOVERING),
        (timedelta(minutes=5), AlarmState.RESOLVED),
    ]


def test_silence_keeps_the_alarm_firing_and_raises_offline_on_the_clock(
    db: Database, outlets: Outlets
) -> None:
    store(db, realtime(outlets.gas, T0, so2(40, 41, 42, 43)))
    evaluate(db, T0 + timedelta(minutes=4))
    # nothing arrives; the clock runs on: the exceedance stays firing, offline fires
    evaluate(db, T0 + timedelta(minutes=30))
    evaluate(db, T0 + timedelta(hours=5))
    by_rule = {a.rule_id: a for a in alarms(db)}
    assert by_rule["rt"].state is AlarmState.FIRING
    assert by_rule["off"].state is AlarmState.FIRING
    assert by_rule["off"].first_breach_at == T0 + timedelta(minutes=3, seconds=5) + timedelta(minutes=10)
    # the device comes back with clean values: offline resolves at the first reception,
    # the exceedance after two clear values
    back = T0 + timedelta(hours=5)
    store(db, realtime(outlets.gas, back, so2(20, 20, 20)))
    evaluate(db, back + timedelta(minutes=3))
    by_rule = {a.rule_id: a for a in alarms(db)}
    assert by_rule["off"].state is AlarmState.RESOLVED
    assert by_rule["off"].resolved_at == back + timedelta(seconds=5)
    assert by_rule["rt"].state is AlarmState.RESOLVED
    assert by_rule["rt"].resolved_at == back + timedelta(minutes=1)


def test_flapping_input_raises_one_alarm(db: Database, outlets: Outlets) -> None:
    # over, over, over, then clear/over alternating: each clear run is shorter than the recovery (2)
    store(db, realtime(outlets.gas, T0, so2(40, 40, 40, 20, 40, 20, 40, 20, 40, 20, 40)))
    evaluate(db, T0 + timedelta(minutes=11))
    fired = [a for a in alarms(db) if a.rule_id == "rt"]
    assert len(fired) == 1 and fired[0].state is AlarmState.FIRING


def test_late_data_re_derive_and_invalidate(db: Database, outlets: Outlets) -> None:
    store(db, realtime(outlets.gas, T0, so2(40, 41, 42, 43, 44)))
    evaluate(db, T0 + timedelta(minutes=5))
    [first] = [a for a in alarms(db) if a.rule_id == "rt"]
    assert first.state is AlarmState.FIRING
    # a value missing from the run arrives late, and it is clear: the run that fired started a
    # minute later than the stored alarm says (a pending clears on one clear point). The alarm
    # raised on the old picture is kept, marked invalidated; the re-derived one takes its place.
    store(db, realtime(outlets.gas, T0 + timedelta(seconds=30), so2(20)))
    evaluate(db, T0 + timedelta(minutes=6))
    by_id = {a.id: a for a in alarms(db) if a.rule_id == "rt"}
    assert by_id[first.id].state is AlarmState.INVALIDATED
    [current] = [a for a in by_id.values() if a.id != first.id]
    assert current.state is AlarmState.FIRING
    assert current.first_breach_at == T0 + timedelta(minutes=1)
    assert current.fired_at == T0 + timedelta(minutes=3)
    with UnitOfWork(db) as uow:
        history = service.events(uow, ADMIN, first.id)
    assert history[-1].kind is EventKind.INVALIDATED and history[-1].to_state is AlarmState.INVALIDATED


def test_people_acknowledge_silence_and_explain_within_their_scope(db: Database, outlets: Outlets) -> None:
    store(db, realtime(outlets.gas, T0, so2(40, 41, 42)))
    evaluate(db, T0 + timedelta(minutes=3))
    [alarm] = alarms(db, "open")
    now = T0 + timedelta(minutes=10)
    from greenport.accounts import service as accounts

    with UnitOfWork(db) as uow:  # the actors are users (their actions are audited under their id)
        ids = {
            name: accounts.create_user(uow, username=name, password="x" * 12, role=role, **where).id
            for name, role, where in (
                ("town", Role.TOWN_OFFICER, {"division_code": TOWN}),
                ("other", Role.TOWN_OFFICER, {"division_code": "320582101000"}),
                ("firm", Role.ENTERPRISE, {"enterprise_id": outlets.enterprise_id}),
            )
        }
    town = Principal(
        user_id=ids["town"], username="town", display_name="镇", role=Role.TOWN_OFFICER, division_code=TOWN
    )
    other = Principal(
        user_id=ids["other"],
        username="other",
        display_name="镇2",
        role=Role.TOWN_OFFICER,
        division_code="320582101000",
    )
    firm = Principal(
        user_id=ids["firm"],
        username="firm",
        display_name="企业",
        role=Role.ENTERPRISE,
        enterprise_id=outlets.enterprise_id,
    )
    public = Principal(user_id=None, username="anonymous", display_name="公众", role=Role.PUBLIC)
    with UnitOfWork(db) as uow:
        service.acknowledge(uow, town, alarm.id, note="已电话联系企业", now=now)
        with pytest.raises(NotFound):
            service.acknowledge(uow, other, alarm.id, note="x", now=now)
        with pytest.raises(PermissionDenied):
            service.acknowledge(uow, firm, alarm.id, note="x", now=now)
        service.explain(uow, firm, alarm.id, text="脱硫塔循环泵检修，已恢复", now=now)
        with pytest.raises(InvalidInput) as too_long:
            service.silence(uow, town, alarm.id, until=now + timedelta(days=30), reason="检修", now=now)
        assert too_long.value.field == "until"
        service.silence(uow, town, alarm.id, until=now + timedelta(hours=4), reason="企业检修", now=now)
        assert service.visible_alarms(uow, public)[1] == 0
        assert service.visible_alarms(uow, other)[1] == 0
        assert service.visible_alarms(uow, firm)[1] == 1
        shown = service.alarm(uow, town, alarm.id)
        kinds = [e.kind for e in service.events(uow, town, alarm.id)]
    assert shown.acknowledged_by == "town" and shown.ack_note == "已电话联系企业"
    assert shown.explanation == "脱硫塔循环泵检修，已恢复" and shown.silenced(now)
    assert kinds[-3:] == [EventKind.ACKNOWLEDGED, EventKind.EXPLAINED, EventKind.SILENCED]
    later = now + timedelta(hours=1)
    with UnitOfWork(db) as uow:
        assert not service.unsilence(uow, town, alarm.id, now=later).silenced(later)
        with pytest.raises(InvalidInput):  # nothing left to lift
            service.unsilence(uow, town, alarm.id, now=later)
        assert service.events(uow, town, alarm.id)[-1].kind is EventKind.UNSILENCED


def test_two_evaluators_never_both_run(db: Database, outlets: Outlets) -> None:
    store(db, realtime(outlets.gas, T0, so2(40, 41, 42)))
    now = T0 + timedelta(minutes=3)
    with UnitOfWork(db) as uow:
        first = service.evaluate_pending(uow, rules=RULES, now=now, holder="a")
    with UnitOfWork(db) as uow:
        second = service.evaluate_pending(uow, rules=RULES, now=now, holder="b")
    assert first.ran and not second.ran
    with UnitOfWork(db) as uow:  # once the lease has run out, another process takes over
        assert service.evaluate_pending(uow, rules=RULES, now=now + service.LEASE * 2, holder="b").ran


def test_what_fires_is_announced_once_to_the_town_and_a_silenced_alarm_is_not(
    db: Database, outlets: Outlets
) -> None:
    from greenport.accounts import service as accounts
    from greenport.notifications import service as notifications
    from greenport.notifications.routes import shipped_routes

    with UnitOfWork(db) as uow:
        town_user = accounts.create_user(
            uow,
            username="jingang",
            display_name="金港镇",
            role=Role.TOWN_OFFICER,
            password="x" * 12,
            division_code=TOWN,
        )
        accounts.create_user(
            uow,
            username="yangshe",
            display_name="杨舍镇",
            role=Role.TOWN_OFFICER,
            password="x" * 12,
            division_code="320582101000",
        )
    routes = shipped_routes().routes
    store(db, realtime(outlets.gas, T0, so2(40, 41, 42)))
    now = T0 + timedelta(minutes=3)
    with UnitOfWork(db) as uow:
        report = service.evaluate_pending(uow, rules=RULES, now=now, holder="a")
        assert service.announce(uow, report, rules=RULES, routes=routes, now=now) >= 1
        # announced again (another process, a retried pass): stored once
        assert service.announce(uow, report, rules=RULES, routes=routes, now=now) == 0
    jingang = Principal(
        user_id=town_user.id,
        username="jingang",
        display_name="金港镇",
        role=Role.TOWN_OFFICER,
        division_code=TOWN,
    )
    with UnitOfWork(db) as uow:
        inbox = notifications.inbox(uow, jingang, unread_only=True, limit=10)
    assert [d.notice.link for d in inbox] == [f"/alarms/{alarms(db)[0].id}"]
    assert "GAS01" in inbox[0].notice.title_zh and "实时超标" in inbox[0].notice.title_zh
    # silenced: its resolution is not announced
    [alarm] = alarms(db)
    with UnitOfWork(db) as uow:
        service.silence(uow, jingang, alarm.id, until=now + timedelta(hours=2), reason="检修", now=now)
    store(db, realtime(outlets.gas, T0 + timedelta(minutes=3), so2(20, 20)))
    later = T0 + timedelta(minutes=6)
    with UnitOfWork(db) as uow:
        report = service.evaluate_pending(uow, rules=RULES, now=later, holder="a")
        assert [state for _, state, _ in report.transitions] == [AlarmState.RESOLVED]
        assert service.announce(uow, report, rules=RULES, routes=routes, now=later) == 0


def test_the_city_at_heavy_pollution_is_one_city_wide_alarm_seen_city_wide(
    db: Database, outlets: Outlets
) -> None:
    from greenport.kernel.time import PeriodKind
    from greenport.monitoring.model import Aggregate

    city_rules = load_rules_text(
        """
rules:
  - id: city-heavy
    kind: air_quality_level
    severity: critical
    name_zh: 全市重度污染
    name_en: city heavy pollution
    site_kinds: [city]
    params: {min_level: 5}
""",
        source="city.yaml",
    )
    # one national station (AIR01): PM2.5 daily means 100 (AQI 133), 180 (AQI 230, level 5), 60 µg/m³
    day0 = datetime(2026, 1, 9, 16, 0, tzinfo=UTC)  # 10 January, Beijing midnight
    means = [100.0, 180.0, 60.0]
    with UnitOfWork(db) as uow:
        uow.monitoring.put_aggregates(
            [
                Aggregate(day0 + timedelta(days=i), outlets.air[1], PeriodKind.DAY, "pm2_5", value, 24, True)
                for i, value in enumerate(means)
            ]
        )
        service.mark_dirty(uow, marks=[(outlets.air[1], day0)])
    with UnitOfWork(db) as uow:
        report = service.evaluate_pending(uow, rules=city_rules, now=day0 + timedelta(days=3), holder="t")
    assert report.opened == 1
    [alarm] = alarms(db)
    assert (alarm.site_id, alarm.site_name, alarm.parameter) == (0, "全市", "aqi")
    assert (alarm.fired_at, alarm.resolved_at) == (day0 + timedelta(days=1), day0 + timedelta(days=2))
    assert (alarm.peak, alarm.limit) == (230.0, 201.0)
    town = Principal(
        user_id=2, username="town", display_name="镇", role=Role.TOWN_OFFICER, division_code=TOWN
    )
    with UnitOfWork(db) as uow:
        assert service.visible_alarms(uow, town)[1] == 0  # a town sees its town's sites, not the city


def test_a_run_that_never_fired_is_dropped_after_a_day_and_fired_alarms_stay(
    db: Database, outlets: Outlets
) -> None:
    store(db, realtime(outlets.gas, T0, so2(40, 40, 40)))  # fires (hold 3)
    evaluate(db, T0 + timedelta(minutes=3))
    store(db, realtime(outlets.gas, T0 + timedelta(minutes=3), so2(20, 20, 40)))  # resolves; a new run starts
    evaluate(db, T0 + timedelta(minutes=6))
    store(db, realtime(outlets.gas, T0 + timedelta(minutes=6), so2(20)))  # the new run clears, never fired
    evaluate(db, T0 + timedelta(minutes=7))
    with UnitOfWork(db) as uow:
        everything, _ = service.visible_alarms(uow, ADMIN, status="resolved", limit=10)
        unfired = [a for a in uow.alarms.episodes([outlets.gas[1]], ending_after=T0) if a.fired_at is None]
        assert len(unfired) == 1 and len(everything) == 1
        assert service.purge_unfired(uow, before=T0 + timedelta(minutes=6)) == 0  # not a day old yet
        assert service.purge_unfired(uow, before=T0 + service.UNFIRED_RETENTION + timedelta(minutes=7)) == 1
    with UnitOfWork(db) as uow:
        left = uow.alarms.episodes([outlets.gas[1]], ending_after=T0)
    assert [a.fired_at is not None for a in left] == [True]


def test_a_late_value_that_changes_an_alarms_past_revises_its_history(db: Database, outlets: Outlets) -> None:
    store(db, realtime(outlets.gas, T0, so2(40, 40, 40, None, 20, 20)))
    evaluate(db, T0 + timedelta(minutes=6))
    [alarm] = alarms(db)
    assert alarm.resolved_at == T0 + timedelta(minutes=5)
    # the minute-3 reading arrives late, over the limit: the alarm never resolved at minute 5
    store(db, realtime(outlets.gas, T0 + timedelta(minutes=3), so2(40)))
    evaluate(db, T0 + timedelta(minutes=7))
    [again] = alarms(db)
    assert again.id == alarm.id and again.state is AlarmState.RESOLVED
    assert again.resolved_at == T0 + timedelta(minutes=5) and again.breaches == 4
    store(db, realtime(outlets.gas, T0 + timedelta(minutes=4, seconds=30), so2(45)))
    evaluate(db, T0 + timedelta(minutes=8))
    [revised] = alarms(db)
    assert revised.state is AlarmState.RECOVERING and revised.peak == 45.0
    with UnitOfWork(db) as uow:
        history = service.events(uow, ADMIN, alarm.id)
    assert EventKind.REVISED in [e.kind for e in history]
    assert [(at - T0, state) for at, state in service.replay(history)] == [
        (timedelta(0), AlarmState.PENDING),
        (timedelta(minutes=2), AlarmState.FIRING),
        (timedelta(minutes=4), AlarmState.RECOVERING),
        (timedelta(minutes=4, seconds=30), AlarmState.FIRING),
        (timedelta(minutes=5), AlarmState.RECOVERING),
    ]


def test_a_device_whose_data_time_lags_its_reception_is_still_seen_going_silent(
    db: Database, outlets: Outlets
) -> None:
    # a logger sending its back-log: DataTime an hour behind reception
    store(db, realtime(outlets.gas, T0, so2(20, 20, 20), received_lag=timedelta(hours=1)))
    last_reception = T0 + timedelta(minutes=2, hours=1)
    evaluate(db, last_reception + timedelta(minutes=5))
    assert alarms(db) == []
    evaluate(db, last_reception + timedelta(minutes=11))  # the rule's 10 minutes have passed
    [offline] = alarms(db)
    assert offline.rule_id == "off" and offline.first_breach_at == last_reception + timedelta(minutes=10)


def test_a_recomputed_hour_over_the_limit_raises_the_mean_exceedance_of_law(
    db: Database, outlets: Outlets
) -> None:
    from greenport.alarms.rules import shipped_rules
    from greenport.monitoring import service as monitoring

    # NOx 59-61 mg/m³ at 6 % O2 for the hour 10:00-11:00 Beijing: the hourly mean (60) is over its
    # 50 (a value that never changed would be a flat line too)
    readings = realtime(
        outlets.gas, T0, [{"flue_nox": 60.0 + (i % 3 - 1), "flue_o2": 6.0} for i in range(60)]
    )
    store(db, readings)
    rules = shipped_rules()
    with UnitOfWork(db) as uow:  # the pass right after the readings: real-time warnings only
        service.evaluate_pending(uow, rules=rules, now=T0 + timedelta(minutes=60), holder="i")
        assert {a.rule_id for a in service.visible_alarms(uow, ADMIN)[0]} == {"outlet-realtime-exceedance"}
    with UnitOfWork(db) as uow:  # the hour ends; ingest's aggregation recomputes it and marks it
        taken: list[tuple[int, datetime]] = []
        monitoring.process_dirty(uow, before=T0 + timedelta(hours=1), taken=taken)
        service.mark_dirty(uow, marks=taken)
    with UnitOfWork(db) as uow:
        service.evaluate_pending(uow, rules=rules, now=T0 + timedelta(minutes=61), holder="i")
        by_rule = {a.rule_id: a for a in service.visible_alarms(uow, ADMIN)[0]}
    mean = by_rule["outlet-hourly-exceedance"]
    assert (mean.parameter, mean.peak, mean.limit) == ("flue_nox", 60.0, 50.0)
    assert mean.fired_at == T0 and mean.state is AlarmState.FIRING


def test_a_pass_reads_then_writes_and_a_site_marked_meanwhile_keeps_its_mark(
    db: Database, outlets: Outlets
) -> None:
    store(db, realtime(outlets.gas, T0, so2(40, 41)))
    opened = 0

    def factory() -> UnitOfWork:
        nonlocal opened
        opened += 1
        if opened == 2:  # between the pass's read and its write, ingest stores the third value
            store(db, realtime(outlets.gas, T0 + timedelta(minutes=2), so2(42)))
        return UnitOfWork(db)

    now = T0 + timedelta(minutes=3)
    first = service.evaluate_pass(factory, rules=RULES, routes=(), now=now, holder="p")
    assert first.ran and alarms(db, "pending") and not alarms(db, "firing")  # decided on two values
    with UnitOfWork(db) as uow:
        assert uow.alarms.count_dirty() == 1  # marked again meanwhile: not dropped
    second = service.evaluate_pass(lambda: UnitOfWork(db), rules=RULES, routes=(), now=now, holder="p")
    assert second.ran
    [alarm] = alarms(db, "firing")
    assert alarm.fired_at == T0 + timedelta(minutes=2)
    with UnitOfWork(db) as uow:
        assert uow.alarms.count_dirty() == 0
    # another process holding the lease: the pass reads nothing and writes nothing
    assert not service.evaluate_pass(lambda: UnitOfWork(db), rules=RULES, routes=(), now=now, holder="q").ran


def test_a_run_that_clears_before_it_fires_is_kept_unannounced_and_a_late_value_inside_it_fires_it(
    db: Database, outlets: Outlets
) -> None:
    realtime_only = [rule for rule in RULES if rule.id == "rt"]  # a 14-minute gap is no offline here

    def evaluate(db: Database, now: datetime) -> service.EvaluationReport:
        with UnitOfWork(db) as uow:
            return service.evaluate_pending(uow, rules=realtime_only, now=now, holder="test")

    # one pass sees the whole run: two values over, then a clear one (hold 3: it never fires)
    store(db, realtime(outlets.gas, T0, so2(40, None, 40, 20), step=timedelta(minutes=7)))
    report = evaluate(db, T0 + timedelta(minutes=30))
    assert (report.opened, report.transitions) == (0, [])  # not news: nothing is announced
    assert alarms(db) == []  # people see fired alarms only
    with UnitOfWork(db) as uow:
        [run] = uow.alarms.episodes([outlets.gas[1]], ending_after=T0)
    assert (run.state, run.fired_at, run.first_breach_at) == (AlarmState.RESOLVED, None, T0)
    # the gap is filled late, more than the look-back after the run's start: the kept run is where
    # the re-derivation starts, so the three values over fire the alarm from the run's first breach
    store(db, realtime(outlets.gas, T0 + timedelta(minutes=7), so2(40), step=timedelta(minutes=7)))
    assert evaluate(db, T0 + timedelta(minutes=31)).opened == 0  # the kept run, now fired
    [alarm] = alarms(db)
    assert (alarm.first_breach_at, alarm.fired_at) == (T0, T0 + timedelta(minutes=14))
    assert (alarm.state, alarm.breaches) == (AlarmState.RECOVERING, 3)


def test_a_run_that_never_fired_and_was_invalidated_is_dropped_after_a_day(
    db: Database, outlets: Outlets
) -> None:
    store(db, realtime(outlets.gas, T0 + timedelta(minutes=1), so2(40, 20)))  # a run that never fired
    evaluate(db, T0 + timedelta(minutes=3))
    store(db, realtime(outlets.gas, T0, so2(40)))  # a late value before it: the run starts earlier
    evaluate(db, T0 + timedelta(minutes=4))
    with UnitOfWork(db) as uow:
        states = sorted(a.state.value for a in uow.alarms.episodes([outlets.gas[1]], ending_after=T0))
        assert states == ["invalidated", "resolved"]
        assert service.purge_unfired(uow, before=T0 + service.UNFIRED_RETENTION) == 2
