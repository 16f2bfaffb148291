"""Benchmark: observations per second through the full shipped alarm rule set, one core (issue 16).

The demo city's monitored sites (:data:`CITY`: the counts ``greenport demo`` reports) get a day
of data: real-time values every 30 s at the outlets, air stations and sections, hourly (and for
wastewater daily) means, hourly AQI, daily section classes, reception times (one outlet silent
for an hour). Planted faults make every kind of rule find something: runs over the limit, a
stuck analyser, zeros while running, a stopped stack still reporting, a heavy-pollution
afternoon, a section below its target.

* **engine**: :func:`greenport.alarms.conditions.conditions` + :func:`greenport.alarms.lifecycle.fold`
  (numpy, pure) for every rule of ``alarms/data/rules.yaml`` at every site;
* **naive**: the same rules written in plain Python in this file, one observation at a time, one
  state object per rule, site and parameter (same semantics: hold, recovery, the limit in force
  on each value's date, O2 correction). Both must find the same alarms (asserted).

Then the latency an ingest batch adds: :func:`greenport.alarms.service.evaluate_pending` on a
real SQLite database after storing ``--batch`` readings over ``--sites`` outlets (p50/p95).

Goal: >= 200,000 observations/s for the engine. Prints a table, then JSON.
Run: ``.venv/bin/python bench/bench_alarms.py [--repeats 3] [--batch 1000 --sites 100]``.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from greenport.alarms.conditions import FLOW_OF_KIND, Series, SiteData, conditions, rule_applies
from greenport.alarms.lifecycle import fold, to_instant
from greenport.alarms.model import Rule, RuleKind
from greenport.alarms.rules import shipped_rules
from greenport.kernel.time import CHINA_TZ
from greenport.monitoring.status import FLUE_O2, Limit, MonitoredSite, applicable_limit
from greenport.standards.aqi import levels

GOAL = 200_000
#: The demo city's monitored sites (``greenport demo --json``: gas_outlets, water_outlets,
#: air_stations, water_sections + tributaries).
CITY = {"gas_outlet": 29, "water_outlet": 30, "air_station": 18, "water_section": 51}
DAY = datetime(2026, 3, 15, tzinfo=CHINA_TZ).astimezone(UTC)  # local midnight
STEP_US = 30_000_000
HOUR_US = 3_600_000_000
POINTS = 24 * 120  # a day at 30 s
GAS = {"flue_so2": 18.0, "flue_nox": 32.0, "flue_dust": 3.5}
WATER = {"cod": 32.0, "nh3_n": 1.6}
AIR = {"pm2_5": 30.0, "pm10": 55.0}
SECTION = {"codmn": 3.4, "nh3_n": 0.3}
_CONDITIONS = frozenset(
    {"flue_o2", "flue_flow", "flue_temp", "flue_pressure", "flue_moisture", "flue_velocity"}
)


# -- the synthetic city ----------------------------------------------------------------------------


def _series(times: np.ndarray, values: np.ndarray) -> Series:
    return Series(times, values, np.full(times.shape[0], np.nan), np.full(times.shape[0], "N", "<U1"))


def _means(times: np.ndarray, values: np.ndarray, width_us: int) -> Series:
    buckets = (times - times[0]) // width_us
    n = int(buckets[-1]) + 1
    sums = np.bincount(buckets, weights=values, minlength=n)
    counts = np.bincount(buckets, minlength=n)
    return _series(times[0] + np.arange(n, dtype=np.int64) * width_us, np.round(sums / counts, 3))


def city(seed: int = 16) -> list[SiteData]:
    rng = np.random.default_rng(seed)
    start = int(DAY.timestamp()) * 1_000_000
    times = start + np.arange(POINTS, dtype=np.int64) * STEP_US
    out: list[SiteData] = []
    site_id = 0
    for kind, count in CITY.items():
        for index in range(count):
            site_id += 1
            if kind == "gas_outlet":
                site = MonitoredSite(kind, "steel_ultra_low", "sintering_head")
                means = GAS
            elif kind == "water_outlet":
                site = MonitoredSite(kind, "gb8978_1996", "other", "1")
                means = WATER
            elif kind == "air_station":
                site, means = MonitoredSite(kind), AIR
            else:
                site, means = MonitoredSite(kind, target_class=3), SECTION
            raw: dict[str, np.ndarray] = {
                p: np.round(m * (1 + 0.15 * rng.standard_normal(POINTS)), 2) for p, m in means.items()
            }
            if kind == "gas_outlet":
                raw["flue_o2"] = np.round(15.0 + 0.5 * rng.standard_normal(POINTS), 2)
                raw["flue_flow"] = np.round(2e5 * (1 + 0.05 * rng.standard_normal(POINTS)), 0)
                if index % 3 == 0:  # an hour of NOx over the limit
                    raw["flue_nox"][600:720] *= 3.0
                if index == 1:  # the stack stops, the NOx analyser keeps reporting
                    raw["flue_flow"][1000:1100] = 50.0
                if index == 2:  # zeros while running
                    raw["flue_so2"][1500:1520] = 0.0
            if kind == "water_outlet":
                raw["water_flow"] = np.round(25.0 * (1 + 0.1 * rng.standard_normal(POINTS)), 2)
                if index % 4 == 0:
                    raw["cod"][2000:2400] *= 4.0
            if index % 5 == 0:  # a stuck analyser
                first = next(iter(means))
                raw[first][1200:1300] = raw[first][1200]
            received = times + 5_000_000
            if index % 7 == 0:
                received = np.concatenate((received[:300], received[420:]))  # an hour silent
            hourly = {p: _means(times, v, HOUR_US) for p, v in raw.items()}
            daily = (
                {p: _means(times, v, 24 * HOUR_US) for p, v in raw.items()} if kind == "water_outlet" else {}
            )
            aqi = Series.empty()
            if kind == "air_station":
                values = np.round(60 + 20 * rng.standard_normal(24), 0)
                if index % 6 == 0:
                    values[14:18] = [230, 260, 310, 280]
                aqi = _series(start + np.arange(24, dtype=np.int64) * HOUR_US, values)
            fails = Series.empty()
            if kind == "water_section":
                fails = _series(np.array([start], np.int64), np.array([1.0 if index % 4 == 0 else 0.0]))
            out.append(
                SiteData(
                    site_id=site_id,
                    site=site,
                    raw={p: _series(times, v) for p, v in raw.items()},
                    hourly=hourly,
                    daily=daily,
                    aqi=aqi,
                    water_fails=fails,
                    received=received,
                )
            )
    return out


def observations(sites: Sequence[SiteData]) -> int:
    total = 0
    for data in sites:
        for group in (data.raw, data.hourly, data.daily):
            total += sum(len(s) for s in group.values())
        total += len(data.aqi) + len(data.water_fails)
    return total


Found = tuple[str, int, str, int, int | None, int | None, str, int]  # rule, site, parameter, ...


def _found(rule: Rule, data: SiteData, parameter: str, episode: Any) -> Found:
    def micros(moment: datetime | None) -> int | None:
        return None if moment is None else int(moment.timestamp() * 1_000_000)

    first = micros(episode.first_breach_at)
    assert first is not None
    fired, resolved = micros(episode.fired_at), micros(episode.resolved_at)
    state = getattr(episode.state, "value", episode.state)
    return (rule.id, data.site_id, parameter, first, fired, resolved, str(state), episode.breaches)


# -- engine ----------------------------------------------------------------------------------------


def engine(sites: Sequence[SiteData], rules: Sequence[Rule], now: int) -> list[Found]:
    found: list[Found] = []
    for data in sites:
        for rule in rules:
            for parameter, cond in conditions(rule, data, now=now):
                for episode in fold(cond, hold=rule.hold, recovery=rule.recovery):
                    found.append(_found(rule, data, parameter, episode))
    return found


# -- naive peer: one observation at a time ---------------------------------------------------------


@dataclass
class NaiveEpisode:
    first_breach_at: datetime
    state: Any = None
    fired_at: datetime | None = None
    resolved_at: datetime | None = None
    breaches: int = 0


@dataclass
class KeyState:
    """The state of one rule, site and parameter, advanced one point at a time."""

    hold: int
    recovery: int
    state: str = "normal"
    breach_run: int = 0
    clear_run: int = 0
    current: NaiveEpisode | None = None
    episodes: list[NaiveEpisode] = field(default_factory=list)

    def point(self, t: int, breach: bool) -> None:
        at = to_instant(t)
        if breach:
            if self.state == "normal":
                self.current = NaiveEpisode(at)
                self.state, self.breach_run = "pending", 0
            elif self.state == "recovering":
                self.state, self.breach_run = "firing", 0
            assert self.current is not None
            self.current.breaches += 1
            self.breach_run += 1
            self.clear_run = 0
            if self.state == "pending" and self.breach_run >= self.hold:
                self.state = "firing"
                self.current.fired_at = at
            return
        if self.state == "normal":
            return
        if self.state == "pending":
            self._close(at)
            return
        if self.state == "firing":
            self.state, self.clear_run = "recovering", 0
        self.clear_run += 1
        self.breach_run = 0
        if self.clear_run >= self.recovery:
            self._close(at)

    def _close(self, at: datetime) -> None:
        assert self.current is not None
        self.current.resolved_at = at
        self.current.state = "resolved"
        self.episodes.append(self.current)
        self.current, self.state, self.breach_run, self.clear_run = None, "normal", 0, 0

    def finish(self) -> list[NaiveEpisode]:
        if self.current is not None:
            self.current.state = self.state
            self.episodes.append(self.current)
            self.current = None
        return self.episodes


_LIMITS: dict[tuple[MonitoredSite, str, str, int], Limit | None] = {}


def _limit(site: MonitoredSite, parameter: str, period: str, t: int) -> Limit | None:
    day = (t // 1_000_000 + 8 * 3600) // 86400  # the Beijing date whose limit is in force
    key = (site, parameter, period, day)
    if key not in _LIMITS:
        on = (datetime(1970, 1, 1) + timedelta(days=day)).date()
        _LIMITS[key] = applicable_limit(site, parameter, period=period, on=on)
    return _LIMITS[key]


def _referred(value: float, zs: float, o2: float | None, limit: Limit) -> float | None:
    """HJ 212-2017 App. D eq. 26: C × (21 − O2_ref) / (21 − O2), the device's ZsRtd first."""
    if not math.isnan(zs):
        return zs
    if limit.reference_o2 is None or o2 is None:
        return value
    if o2 >= 21.0:
        return None
    return value * (21.0 - limit.reference_o2) / (21.0 - o2)


def _o2_at(series: Series | None, t: int) -> float | None:
    if series is None:
        return None
    index = int(np.searchsorted(series.times, t))
    if index < len(series) and int(series.times[index]) == t and series.flags[index] == "N":
        return float(series.values[index])
    return None


def _judged(rule: Rule, group: dict[str, Series]) -> Iterator[str]:
    for parameter in sorted(group):
        if parameter in _CONDITIONS or parameter in FLOW_OF_KIND.values():
            continue
        if rule.parameters is None or parameter in rule.parameters:
            yield parameter


def _over(v: float, limit: Limit) -> bool:
    return v > limit.value or (limit.low is not None and v < limit.low)


def naive_points(rule: Rule, data: SiteData, now: int) -> Iterator[tuple[str, list[tuple[int, bool]]]]:
    """(parameter, [(time, breach)]) of ``rule`` at ``data``'s site, one observation at a time."""
    kind, params = rule.kind, rule.params
    if kind in (RuleKind.REALTIME_EXCEEDANCE, RuleKind.RATE_OF_CHANGE):
        o2 = data.raw.get(FLUE_O2)
        for p in _judged(rule, dict(data.raw)):
            s, points, previous = data.raw[p], [], None
            for i in range(len(s)):
                t = int(s.times[i])
                limit = _limit(data.site, p, "hour", t)
                if s.flags[i] != "N" or limit is None:
                    continue
                v = _referred(float(s.values[i]), float(s.zs[i]), _o2_at(o2, t), limit)
                if v is None or math.isnan(v):
                    continue
                if kind is RuleKind.REALTIME_EXCEEDANCE:
                    points.append((t, _over(v, limit)))
                else:
                    if previous is not None and t - previous[0] <= params["max_gap_minutes"] * 60_000_000:
                        points.append((t, abs(v - previous[1]) > params["max_step_of_limit"] * limit.value))
                    previous = (t, v)
            yield p, points
    elif kind in (RuleKind.MEAN_EXCEEDANCE, RuleKind.SUSTAINED_EXCEEDANCE, RuleKind.NEAR_LIMIT):
        for p in sorted(set(_judged(rule, dict(data.hourly))) | set(_judged(rule, dict(data.daily)))):
            period = "hour"
            if kind is RuleKind.MEAN_EXCEEDANCE:
                probe = data.hourly.get(p) or data.daily.get(p)
                assert probe is not None
                found = _limit(data.site, p, "hour", int(probe.times[-1]))
                period = found.averaging if found is not None else ""
            elif p not in data.hourly:
                continue
            group = data.hourly if period == "hour" else data.daily if period == "day" else {}
            if p not in group:
                continue
            s, o2, points = group[p], group.get(FLUE_O2), []
            for i in range(len(s)):
                t = int(s.times[i])
                limit = _limit(data.site, p, period, t)
                if limit is None:
                    continue
                v = _referred(float(s.values[i]), float(s.zs[i]), _o2_at(o2, t), limit)
                if v is None or math.isnan(v):
                    continue
                if kind is RuleKind.NEAR_LIMIT:
                    points.append((t, params["low_ratio"] * limit.value <= v <= limit.value))
                else:
                    points.append((t, _over(v, limit)))
            yield p, points
    elif kind is RuleKind.FLAT_LINE:
        group = dict(data.hourly if params["period"] == "hour" else data.raw)
        for p in _judged(rule, group):
            s, points, previous = group[p], [], None
            for i in range(len(s)):
                if s.flags[i] != "N":
                    continue
                v = float(s.values[i])
                if previous is not None:
                    same = abs(v - previous) <= params["tolerance"] and not (params["ignore_zero"] and v == 0)
                    points.append((int(s.times[i]), same))
                previous = v
            if previous is not None and len(points) >= 1:
                yield p, points
    elif kind in (RuleKind.ZERO_WHILE_RUNNING, RuleKind.FLOW_MISMATCH):
        flow = data.raw.get(FLOW_OF_KIND.get(data.site.kind, ""))
        if flow is None:
            return
        for p in _judged(rule, dict(data.raw)):
            s, points = data.raw[p], []
            for i in range(len(s)):
                t = int(s.times[i])
                f = _o2_at(flow, t)
                if s.flags[i] != "N" or f is None:
                    continue
                v = float(s.values[i])
                if kind is RuleKind.ZERO_WHILE_RUNNING:
                    points.append((t, v <= params["zero_at"] and f >= params["running_flow"]))
                else:
                    limit = _limit(data.site, p, "hour", t)
                    if limit is not None:
                        points.append(
                            (
                                t,
                                f <= params["stopped_flow"]
                                and v >= params["min_ratio_of_limit"] * limit.value,
                            )
                        )
            yield p, points
    elif kind is RuleKind.DEVICE_FLAG:
        flagged: dict[int, bool] = {}
        for p, s in data.raw.items():
            if rule.parameters is None or p in rule.parameters:
                for i in range(len(s)):
                    t = int(s.times[i])
                    flagged[t] = flagged.get(t, False) or str(s.flags[i]) in params["flags"]
        if flagged:
            yield "", sorted(flagged.items())
    elif kind is RuleKind.AIR_QUALITY_LEVEL:
        if len(data.aqi):
            floor = next(x.aqi_low for x in levels() if x.level == params["min_level"])
            yield (
                "aqi",
                [(int(t), float(v) >= floor) for t, v in zip(data.aqi.times, data.aqi.values, strict=True)],
            )
    elif kind is RuleKind.WATER_BELOW_TARGET:
        if len(data.water_fails):
            s = data.water_fails
            yield "water_class", [(int(t), float(v) > 0) for t, v in zip(s.times, s.values, strict=True)]
    elif kind is RuleKind.OFFLINE:
        after = int(params["after_minutes"] * 60_000_000)
        points, previous = [], None
        for r in data.received.tolist():
            if previous is not None and r - previous > after:
                points += [(previous + after, True), (r, False)]
            previous = r
        if previous is not None and now - previous > after:
            points.append((previous + after, True))
        yield "", points


def naive(sites: Sequence[SiteData], rules: Sequence[Rule], now: int) -> list[Found]:
    found: list[Found] = []
    for data in sites:
        for rule in rules:
            if not rule_applies(rule, data):
                continue
            for parameter, points in naive_points(rule, data, now):
                key = KeyState(rule.hold, rule.recovery)
                for t, breach in points:
                    key.point(t, breach)
                for episode in key.finish():
                    found.append(_found(rule, data, parameter, episode))
    return found


# -- latency per ingest batch ----------------------------------------------------------------------


def batch_latency(batch: int, site_count: int, repeats: int) -> list[float]:
    """Seconds of ``evaluate_pending`` after each stored batch of ``batch`` readings (SO2 + O2)
    over ``site_count`` gas outlets, on a real SQLite database."""
    from greenport.alarms import service
    from greenport.enterprises.model import SiteKind, SiteLevel
    from greenport.kernel.time import PeriodKind
    from greenport.monitoring import service as monitoring
    from greenport.monitoring.model import DeviceFlag, Observation
    from greenport.regions.model import DivisionLevel
    from greenport.storage.db import Database
    from greenport.storage.migrate import upgrade
    from greenport.storage.registry import DeviceRow, DivisionRow, SiteRow
    from greenport.storage.uow import UnitOfWork

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        upgrade(url)
        db = Database.from_url(url)
        pairs: list[tuple[int, int]] = []
        with db.session() as session:
            session.add(DivisionRow(code="320582000000", name="港城市", level=DivisionLevel.CITY))
            session.flush()
            for i in range(site_count):
                site = SiteRow(
                    code=f"GAS{i:04d}",
                    name=f"GAS{i:04d}",
                    kind=SiteKind.GAS_OUTLET,
                    level=SiteLevel.ENTERPRISE,
                    town_code="320582000000",
                    lon=120.5,
                    lat=31.9,
                    emission_standard="coal_power_ultra_low",
                    process="coal_fired_unit",
                )
                session.add(site)
                session.flush()
                device = DeviceRow(mn=f"GPB{i:04d}", password_hash="x", site_id=site.id)
                session.add(device)
                session.flush()
                pairs.append((device.id, site.id))
        rules = shipped_rules()
        per_site = max(1, batch // site_count)
        rng = np.random.default_rng(3)
        start = DAY
        seconds: list[float] = []
        for repeat in range(repeats):
            obs = []
            for device, site in pairs:
                for k in range(per_site):
                    t = start + timedelta(seconds=30 * (repeat * per_site + k))
                    received = t + timedelta(seconds=5)
                    for parameter, value in (("flue_so2", 20 + 30 * rng.random()), ("flue_o2", 6.0)):
                        obs.append(
                            Observation(
                                t,
                                device,
                                site,
                                PeriodKind.RAW,
                                parameter,
                                value,
                                DeviceFlag.NORMAL,
                                received_at=received,
                            )
                        )
            with UnitOfWork(db) as uow:
                monitoring.store_observations(uow, observations=obs)
                # as the ingest writer marks: each site from the earliest DataTime of the batch
                service.mark_dirty(uow, marks=[(o.site_id, o.data_time) for o in obs])
            now = start + timedelta(seconds=30 * (repeat + 1) * per_site + 5)
            began = time.perf_counter()
            with UnitOfWork(db) as uow:
                report = service.evaluate_pending(uow, rules=rules, now=now, holder="bench")
            seconds.append(time.perf_counter() - began)
            assert report.ran and report.sites == site_count
        db.dispose()
    return seconds


def _percentile(values: Sequence[float], p: float) -> float:
    data = sorted(values)
    return data[min(len(data) - 1, round(p / 100 * (len(data) - 1)))]


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeats", type=int, default=3, help="timed runs of each evaluator (best kept)")
    parser.add_argument("--batch", type=int, default=1000, help="readings per ingest batch")
    parser.add_argument("--sites", type=int, default=100, help="sites the batch spreads over")
    parser.add_argument("--batches", type=int, default=20, help="batches timed for the latency")
    args = parser.parse_args(argv)

    sites = city()
    rules = shipped_rules()
    count = observations(sites)
    now = int((DAY + timedelta(days=1)).timestamp() * 1_000_000)
    timings: dict[str, float] = {}
    results: dict[str, list[Found]] = {}
    for name, run in (("engine", engine), ("naive", naive)):
        best = math.inf
        for _ in range(args.repeats if name == "engine" else 1):
            began = time.perf_counter()
            results[name] = run(sites, rules, now)
            best = min(best, time.perf_counter() - began)
        timings[name] = best
    engine_found, naive_found = set(results["engine"]), set(results["naive"])
    assert engine_found == naive_found, (
        f"the engine and the naive peer differ: engine only {sorted(engine_found - naive_found)[:5]}, "
        f"naive only {sorted(naive_found - engine_found)[:5]}"
    )
    kinds = sorted({f[0] for f in results["engine"]})
    latency = batch_latency(args.batch, args.sites, args.batches)
    out = {
        "sites": len(sites),
        "rules": len(rules),
        "observations": count,
        "episodes_found": len(results["engine"]),
        "rules_that_found": kinds,
        "engine_obs_per_s": round(count / timings["engine"]),
        "naive_obs_per_s": round(count / timings["naive"]),
        "speedup": round(timings["naive"] / timings["engine"], 1),
        "goal_obs_per_s": GOAL,
        "batch_readings": args.batch,
        "batch_sites": args.sites,
        "batch_latency_p50_ms": round(1000 * statistics.median(latency), 1),
        "batch_latency_p95_ms": round(1000 * _percentile(latency, 95), 1),
    }
    print(f"{'evaluator':<10} {'observations/s':>16} {'seconds':>9}")
    for name in ("engine", "naive"):
        print(f"{name:<10} {count / timings[name]:>16,.0f} {timings[name]:>9.3f}")
    print(
        f"{count:,} observations, {len(sites)} sites, {len(rules)} rules, {len(results['engine'])} episodes "
        f"(same in both); goal {GOAL:,} obs/s: {'met' if count / timings['engine'] >= GOAL else 'NOT met'}"
    )
    print(
        f"evaluate_pending after a batch of {args.batch} readings over {args.sites} sites (SQLite): "
        f"p50 {out['batch_latency_p50_ms']} ms, p95 {out['batch_latency_p95_ms']} ms"
    )
    print(json.dumps(out))
    return out


if __name__ == "__main__":
    main()
