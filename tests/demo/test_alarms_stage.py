"""The demo alarms stage over a short synthetic back-fill of the demo city's own sites: the planted
kinds of episode (exceedance, offline, flat-line) raise their alarms through the shipped rules,
the back-fill's reception times raise no offline alarm of their own, and the demo accounts handle
the episodes' alarms. (The full year is too long for the suite; ``ctx.fast`` back-fills 3 days.)"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np

from greenport.alarms import service as alarms
from greenport.alarms.model import AlarmState, EventKind
from greenport.demo import alarms as alarms_stage
from greenport.demo import monitoring as monitoring_stage
from greenport.demo.city import build_registry
from greenport.demo.context import DemoContext
from greenport.kernel.time import local_year_bounds
from tests.demo.conftest import demo_container

DAYS = 10  # more than one back-fill week: the old week-end reception stamp made a 3-day silence
#: The planted episodes' kinds, moved into the first days of the year (same shape as EPISODES).
SHORT_EPISODES: dict[str, dict[str, Any]] = {
    "exceedance": {
        "kind": "gas_outlet",
        "parameter": "flue_nox",
        "start": "2022-01-03T08:00",
        "hours": 12,
        "factor": 3.5,
    },
    "offline": {"kind": "water_outlet", "start": "2022-01-05T00:00", "hours": 30},
    "flatline": {
        "kind": "water_outlet",
        "parameter": "cod",
        "start": "2022-01-07T00:00",
        "hours": 24,
        "value": 28.0,
    },
}


def test_the_stage_raises_and_handles_the_planted_episodes_alarms(tmp_path: Path) -> None:
    container = demo_container(f"sqlite:///{tmp_path / 'demo.db'}")
    try:
        ctx = DemoContext(container=container, fast=True)
        build_registry(ctx)
        with ctx.uow() as uow:
            sites = uow.monitoring.sites()
            device_ids = {d.mn: d.id for d in uow.monitoring.devices()}
        devices = monitoring_stage._first_device(ctx.devices)
        gas = sorted(s for s in devices if sites[s].kind == "gas_outlet")[:2]
        water = sorted(s for s in devices if sites[s].kind == "water_outlet")[:2]
        rng = np.random.default_rng(7)
        hours = DAYS * 24
        series = {s: monitoring_stage._site_series(rng, monitoring_stage.GAS, hours, sd=0.05) for s in gas}
        series |= {
            s: monitoring_stage._site_series(rng, monitoring_stage.WASTEWATER, hours, sd=0.05) for s in water
        }
        ctx.episodes = monitoring_stage._episodes(
            series, {"gas_outlet": gas, "water_outlet": water}, sites, 2022, specs=SHORT_EPISODES
        )
        start, _ = local_year_bounds(2022)
        monitoring_stage.store_backfill(
            ctx, series, {s: device_ids[devices[s].mn] for s in series}, start, hours
        )

        result = alarms_stage.build(ctx)

        found = alarms_stage.all_alarms(ctx)
        city = alarms_stage._principal(ctx, alarms_stage.CITY_USER)
        with ctx.uow() as uow:
            history = {a.id: alarms.events(uow, city, a.id) for a in found}
    finally:
        container.db.dispose()
    exceedance, offline, flatline = (ctx.episodes[name] for name in ("exceedance", "offline", "flatline"))
    fired = Counter((a.rule_id, a.site_id, a.parameter) for a in found)
    nox = (exceedance["site_id"], "flue_nox")
    assert fired["outlet-hourly-exceedance", *nox] >= 1
    assert fired["outlet-sustained-exceedance", *nox] == 1  # 12 hours over: one alarm, not many
    assert fired["hourly-flat-line", flatline["site_id"], "cod"] == 1
    # the only silence in the back-fill is the planted one (the reception of each hourly reading
    # at its hour's end makes no gap; stamping a week's readings at the week's end did)
    assert [(a.site_id, a.state) for a in found if a.rule_id == "site-offline"] == [
        (offline["site_id"], AlarmState.RESOLVED)
    ]
    [silent] = [a for a in found if a.rule_id == "site-offline"]
    # the silence starts at local 2022-01-05 00:00, when the 23:00 reading is received: the alarm
    # fires 120 min later and resolves when the first reading after the 30 silent hours arrives
    silence = start + timedelta(days=4)
    assert silent.fired_at == silence + timedelta(minutes=120)
    assert silent.resolved_at == silence + timedelta(hours=30 + 1)

    # the handling: town officer acknowledges, the enterprise explains, the offline one silenced
    sustained = next(a for a in found if a.rule_id == "outlet-sustained-exceedance")
    assert sustained.fired_at is not None and sustained.acknowledged_by == "town"
    assert sustained.acknowledged_at == sustained.fired_at + timedelta(hours=3)
    assert sustained.explained_by == "enterprise" and "脱硝" in (sustained.explanation or "")
    assert silent.acknowledged_by == "town" and silent.silenced_by == "town"
    assert silent.silence_reason and "检修" in silent.silence_reason
    assert [e.kind for e in history[silent.id] if e.kind is not EventKind.STATE] == [
        EventKind.ACKNOWLEDGED,
        EventKind.SILENCED,
    ]
    assert all(e.at.year == 2022 for events in history.values() for e in events)
    assert result["alarm_handling"]["silenced"] == 1
    assert result["alarms"]["by_rule"]["site-offline"] == {"resolved": 1}
    assert {a["rule_id"] for a in result["alarm_episodes"]["exceedance"]} >= {
        "outlet-hourly-exceedance",
        "outlet-sustained-exceedance",
    }


def test_the_live_demo_keeps_the_shipped_rules_but_the_offline_silence() -> None:
    from dataclasses import replace

    from greenport.alarms.model import RuleKind
    from greenport.alarms.rules import shipped_rules

    live, shipped = alarms_stage.live_rules(), shipped_rules()
    assert [r.id for r in live] == [r.id for r in shipped]
    for ours, theirs in zip(live, shipped, strict=True):
        if theirs.kind is RuleKind.OFFLINE:
            assert ours.params["after_minutes"] == alarms_stage.LIVE_OFFLINE_MINUTES == 5.0
            assert replace(ours, params=theirs.params) == theirs
        else:
            assert ours == theirs
