"""Demo stage: the demo year's alarms, and how the people of the demo city handled them (issue 16).

The back-filled year (:mod:`greenport.demo.monitoring`) goes through the shipped alarm rules
(``alarms/data/rules.yaml``) by the same service path as live data
(:func:`greenport.alarms.service.evaluate_sites`, since the year's start for every site, a few
sites per transaction so a year of readings never sits in memory at once). The year carries the
planted episodes (:data:`greenport.demo.monitoring.EPISODES`: an NOx exceedance, an offline week,
a COD flat-line; and the air stations' outage of 14-15 September), which raise mean and sustained
exceedance, offline and hourly flat-line alarms; the calibrated air year also raises its
heavy-pollution hours, as a real year does.

Then the handling, through :mod:`greenport.alarms.service` at instants of 2022 (so two builds are
identical): the town officer (demo account ``town``) acknowledges the exceedance and offline
alarms a few hours after they fired, the enterprise (``enterprise``) explains the exceedance
(情况说明), and the officer silences the offline alarm while the outlet's monitoring station is
under maintenance (:data:`HANDLING` holds the notes and delays).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from greenport.accounts import service as accounts
from greenport.accounts.model import Principal
from greenport.alarms import service as alarms
from greenport.alarms.model import Alarm, Rule, RuleKind
from greenport.alarms.rules import shipped_rules
from greenport.demo.context import DemoContext
from greenport.kernel.time import CHINA_TZ, local_year_bounds

log = logging.getLogger(__name__)

#: Sites evaluated per transaction (a year of hourly readings of one site is ~9,000 readings).
SITES_PER_CHUNK = 8

#: How the demo city's people handled the planted episodes' alarms: who (a demo username of
#: ``demo/data/city.yaml``), how long after the alarm fired, and what they wrote.
HANDLING: dict[str, dict[str, Any]] = {
    "acknowledge_exceedance": {
        "user": "town",
        "after": timedelta(hours=3),
        "note": "已电话联系江港钢铁环保部，要求立即排查烧结机头脱硝设施，12小时内书面报告。",
    },
    "explain_exceedance": {
        "user": "enterprise",
        "after": timedelta(hours=14),
        "text": "3月15日烧结机头SCR脱硝系统喷氨泵故障，氨水供应中断导致NOx超标；"
        "已于当日20时切换备用泵，21时起排放恢复正常。已对喷氨泵加装故障报警，并报生态环境局备案。",
    },
    "acknowledge_offline": {
        "user": "town",
        "after": timedelta(hours=4),
        "note": "企业反映废水排口在线监测站房停电检修，已要求尽快恢复供电并补传数据。",
    },
    "silence_offline": {
        "user": "town",
        "after": timedelta(hours=4, minutes=10),
        "for": timedelta(days=7),
        "reason": "在线监测站房停电检修（企业已报备），检修期间暂停离线通知。",
    },
}


#: The live demo's offline rule waits this long [min] instead of the shipped 2 h, so that the
#: simulator's ``offline`` injection (a device silent for 20 minutes) shows within the demo; every
#: other shipped rule is kept as it is (docs/alarms.md, "The demo").
LIVE_OFFLINE_MINUTES = 5.0


def live_rules() -> tuple[Rule, ...]:
    """The rules of the served demo: the shipped ones, with the offline rule's silence shortened
    to :data:`LIVE_OFFLINE_MINUTES` (devices send every 30 s: ten missed values)."""
    return tuple(
        replace(rule, params={**rule.params, "after_minutes": LIVE_OFFLINE_MINUTES})
        if rule.kind is RuleKind.OFFLINE
        else rule
        for rule in shipped_rules()
    )


def _principal(ctx: DemoContext, username: str) -> Principal:
    with ctx.uow() as uow:
        user = accounts.get_user(uow, username=username)
        return replace(accounts.principal_of(uow, user), via="demo")


def evaluation_instant(ctx: DemoContext, site_ids: Sequence[int]) -> datetime | None:
    """The clock of the year's evaluation: when the last back-filled reading was received (so the
    offline rule sees no silence after the back-filled window); None when nothing was stored."""
    start, _ = local_year_bounds(ctx.reference_year)
    with ctx.uow() as uow:
        last = uow.monitoring.sites_last_received(list(site_ids), since=start)
    return max(last.values(), default=None)


def evaluate_year(ctx: DemoContext, rules: Sequence[Rule], site_ids: Sequence[int]) -> dict[str, int]:
    """Every site of ``site_ids`` through ``rules`` from the reference year's start, a chunk of
    sites per transaction; the totals of the evaluation reports."""
    start, _ = local_year_bounds(ctx.reference_year)
    now = evaluation_instant(ctx, site_ids)
    if now is None:
        return {}
    totals: Counter[str] = Counter()
    ids = sorted(site_ids)
    for first in range(0, len(ids), SITES_PER_CHUNK):
        chunk = ids[first : first + SITES_PER_CHUNK]
        with ctx.uow() as uow:
            report = alarms.evaluate_sites(uow, rules=rules, since=dict.fromkeys(chunk, start), now=now)
        totals.update({"sites": report.sites, "opened": report.opened, "changed": report.changed})
        ctx.report("alarms", min(first + SITES_PER_CHUNK, len(ids)), len(ids))
        log.debug("alarms of the demo year: %d of %d sites", first + len(chunk), len(ids))
    return dict(totals)


#: The demo account that sees every alarm of the city (the summary counts them as it sees them).
CITY_USER = "admin"


def all_alarms(ctx: DemoContext) -> list[Alarm]:
    """Every alarm of the demo city (fired ones and those still pending), as the city sees them."""
    city = _principal(ctx, CITY_USER)
    with ctx.uow() as uow:
        found, _ = alarms.visible_alarms(uow, city, status=None, limit=1_000_000)
        pending, _ = alarms.visible_alarms(uow, city, status="pending", limit=1_000_000)
    return found + pending


def _episode_alarms(
    found: Sequence[Alarm], episode: dict[str, Any] | None, *, kinds: set[str]
) -> list[Alarm]:
    """The fired alarms of ``kinds`` at the episode's site (and parameter) whose first breach
    falls in the episode's hours, oldest first."""
    if not episode:
        return []
    parameter = episode.get("parameter")
    begin = datetime.fromisoformat(str(episode["start"])).replace(tzinfo=CHINA_TZ)
    end = begin + timedelta(hours=int(episode["hours"]))
    return sorted(
        (
            a
            for a in found
            if a.site_id == episode["site_id"]
            and a.kind.value in kinds
            and a.fired_at is not None
            and (parameter is None or a.parameter == parameter)
            and begin <= a.first_breach_at < end
        ),
        key=lambda a: (a.first_breach_at, a.rule_id),
    )


def handle_episodes(ctx: DemoContext, found: Sequence[Alarm]) -> dict[str, int]:
    """The people's actions on the planted episodes' alarms (:data:`HANDLING`); counts of each."""
    episodes = ctx.episodes
    done: Counter[str] = Counter()
    exceedance = _episode_alarms(
        found, episodes.get("exceedance"), kinds={"mean_exceedance", "sustained_exceedance"}
    )
    offline = _episode_alarms(found, episodes.get("offline"), kinds={"offline"})
    if not exceedance and not offline:
        return {}
    officer = _principal(ctx, HANDLING["acknowledge_exceedance"]["user"])
    firm = _principal(ctx, HANDLING["explain_exceedance"]["user"])
    with ctx.uow() as uow:
        for alarm in exceedance:
            assert alarm.fired_at is not None
            step = HANDLING["acknowledge_exceedance"]
            alarms.acknowledge(uow, officer, alarm.id, note=step["note"], now=alarm.fired_at + step["after"])
            done["acknowledged"] += 1
            step = HANDLING["explain_exceedance"]
            alarms.explain(uow, firm, alarm.id, text=step["text"], now=alarm.fired_at + step["after"])
            done["explained"] += 1
        for alarm in offline:
            assert alarm.fired_at is not None
            step = HANDLING["acknowledge_offline"]
            alarms.acknowledge(uow, officer, alarm.id, note=step["note"], now=alarm.fired_at + step["after"])
            done["acknowledged"] += 1
        if offline:
            step = HANDLING["silence_offline"]
            at = offline[0].fired_at
            assert at is not None
            now = at + step["after"]
            alarms.silence(
                uow, officer, offline[0].id, until=now + step["for"], reason=step["reason"], now=now
            )
            done["silenced"] += 1
    return dict(done)


def summary_of(found: Sequence[Alarm]) -> dict[str, Any]:
    """Alarms by rule and state, by state, and the planted episodes' alarms (rule, site, state)."""
    by_rule: dict[str, dict[str, int]] = {}
    for alarm in found:
        states = by_rule.setdefault(alarm.rule_id, {})
        states[alarm.state.value] = states.get(alarm.state.value, 0) + 1
    return {
        "total": len(found),
        "by_state": dict(sorted(Counter(a.state.value for a in found).items())),
        "by_rule": {rule: dict(sorted(states.items())) for rule, states in sorted(by_rule.items())},
    }


def build(ctx: DemoContext) -> dict[str, Any]:
    """Evaluate the back-filled year through the shipped rules, handle the episodes' alarms, and
    return the summary (``alarms``: by rule and state, ``alarm_handling``: counts of actions,
    ``alarm_episodes``: the alarms each planted episode raised)."""
    rules = alarms.rules()
    with ctx.uow() as uow:
        site_ids = sorted(uow.monitoring.sites())
    evaluate_year(ctx, rules, site_ids)
    found = all_alarms(ctx)
    handling = handle_episodes(ctx, found)
    found = all_alarms(ctx)
    episodes: dict[str, list[dict[str, Any]]] = {}
    kinds_of = {
        "exceedance": {"mean_exceedance", "sustained_exceedance", "realtime_exceedance"},
        "offline": {"offline"},
        "flatline": {"flat_line"},
    }
    for name, kinds in kinds_of.items():
        episodes[name] = [
            {
                "rule_id": a.rule_id,
                "site_id": a.site_id,
                "parameter": a.parameter,
                "state": a.state.value,
                "fired_at": None if a.fired_at is None else a.fired_at.isoformat(),
            }
            for a in _episode_alarms(found, ctx.episodes.get(name), kinds=kinds)
        ]
    return {"alarms": summary_of(found), "alarm_handling": handling, "alarm_episodes": episodes}
