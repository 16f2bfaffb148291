"""Demo stage: a year (2022) of hourly monitoring data for every site, through the storage path.

What it does (issue 4):

* **Air stations**: six pollutants (SO2, NO2, CO, O3, PM10, PM2.5) hour by hour, with seasonal,
  diurnal and day-to-day shapes learnt from the Beijing multi-site data (UCI, 12 stations,
  2013-2017; ``data/air_shapes.csv``, re-derivable with :func:`derive_shapes`), scaled to
  Yangtze-delta levels. PM2.5 is calibrated deterministically (bisection on the log-spread, then
  the level) so that the platform's own statistics, computed from stored data by the standards'
  rules (:func:`greenport.monitoring.service.city_summary`), give the seeds' 2022 figures: city
  PM2.5 annual mean 28.5 µg/m³ and good-air-day ratio 82.6 %.
* **Water sections**: pH, DO, CODMn, NH3-N, TP hourly, each section within its target class (the
  13 national/provincial sections and the 19 tributaries at class III or better).
* **Outlets**: flue-gas SO2/NOx/particulate/O2 and wastewater COD/NH3-N hourly, under their
  limits, with three episodes for later issues: an NOx exceedance, an offline week, a flat-line.
* **An air outage**: every air station is silent for two days (:data:`AIR_OUTAGE`), so the year
  has 363 days with a city AQI, as real years have a few; the published ratio is a share of those.

Values are stored as device hourly data (period ``hour``) with :func:`store_observations`, then
:func:`greenport.monitoring.service.derive_from` derives hourly/daily aggregates, AQI and
water classes with the same pure functions as live data (without reading the day back). With
``ctx.fast`` only the first days of January are back-filled (the calibration itself always runs
on the whole year, in memory).
"""

from __future__ import annotations

import calendar
import csv
import logging
import math
import warnings
from collections.abc import Sequence
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from greenport.demo.context import DemoContext, DemoDevice
from greenport.kernel.time import PeriodKind, local_year_bounds
from greenport.monitoring import service as monitoring
from greenport.monitoring.model import DeviceFlag, Observation
from greenport.standards import aqi as aqi_std

log = logging.getLogger(__name__)

#: Pollutant keys (kernel parameters) and the Beijing file's column for each.
AIR: dict[str, str] = {"so2": "SO2", "no2": "NO2", "co": "CO", "o3": "O3", "pm10": "PM10", "pm2_5": "PM2.5"}
#: Target annual means of the demo city for the pollutants not calibrated exactly [µg/m³; CO mg/m³]
#: (order of magnitude of a Yangtze-delta county city in 2022; PM2.5 is calibrated to the seeds).
LEVELS: dict[str, float] = {"so2": 8.0, "no2": 30.0, "co": 0.75, "o3": 68.0, "pm10": 50.0, "pm2_5": 28.5}
#: Published 2022 figures the demo reproduces (seed-figures.csv S3-146, S3-147).
TARGET_PM25 = 28.5  # [µg/m³]
TARGET_GOOD_DAYS = 82.6  # [%]
#: Log-spread applied to the Beijing shapes (Beijing's variability is wider than the delta's; O3
#: is narrowed so that its daily max 8-h 90th percentile is about 160 µg/m³, as in the delta).
SPREAD: dict[str, float] = {"so2": 0.6, "no2": 0.6, "co": 0.6, "o3": 0.46}
#: Decimal places of stored air values (CO in mg/m³ with 1 decimal, others integers: as published).
DECIMALS = {"so2": 0, "no2": 0, "co": 1, "o3": 0, "pm10": 0, "pm2_5": 0}

#: Water-section means by target class [mg/L; pH]: comfortably inside the class (GB 3838-2002 Table 1).
WATER: dict[int, dict[str, float]] = {
    2: {"ph": 7.6, "do": 7.4, "codmn": 2.9, "nh3_n": 0.22, "tp": 0.07},
    3: {"ph": 7.5, "do": 6.4, "codmn": 4.2, "nh3_n": 0.45, "tp": 0.13},
}
#: Outlet means [mg/m³; mg/L; %] under ultra-low-emission / discharge limits.
GAS = {"flue_so2": 18.0, "flue_nox": 32.0, "flue_dust": 3.5}
WASTEWATER = {"cod": 32.0, "nh3_n": 1.6}

SHAPES_FILE = "data/air_shapes.csv"
#: The delta's seasonal cycle of PM2.5 (monthly / annual mean), used instead of Beijing's month shape.
PM25_SEASON_FILE = "data/pm25_season_delta.csv"


# -- shapes ---------------------------------------------------------------------------------------


def derive_shapes(directory: Path) -> list[dict[str, Any]]:
    """Seasonal, diurnal and day-to-day statistics of log concentrations from the Beijing files.

    Per pollutant: ``month`` (12 offsets of the monthly log-mean from the overall log-mean),
    ``hour`` (24 offsets of the hourly log value from its day's log-mean), ``ar_phi`` / ``ar_sd``
    (lag-1 autocorrelation and standard deviation of the daily log anomaly), ``noise_sd``
    (standard deviation of the hourly residual), ``corr_pm2_5`` (correlation of the daily anomaly
    with PM2.5's, same station).
    """
    files = sorted(directory.glob("PRSA_Data_*.csv"))
    if not files:
        raise FileNotFoundError(f"no PRSA_Data_*.csv in {directory}")
    logs: dict[str, list[np.ndarray]] = {p: [] for p in AIR}
    months = np.zeros(0)
    for path in files:
        with open(path, encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        if not len(months):
            months = np.array([int(r["month"]) for r in rows])
        for key, column in AIR.items():
            values = np.array([float(r[column]) if r[column] != "NA" else np.nan for r in rows])
            values[values <= 0] = np.nan
            logs[key].append(np.log(values))
    days = len(months) // 24
    month_of_day = months[::24][:days]
    out: list[dict[str, Any]] = []
    anomalies: dict[str, np.ndarray] = {}
    for key in AIR:
        series = np.vstack(logs[key])[:, : days * 24].reshape(len(files), days, 24)
        overall = np.nanmean(series)
        daily = np.nanmean(series, axis=2)  # station x day
        month_mean = np.array([np.nanmean(daily[:, month_of_day == m]) for m in range(1, 13)])
        hour = np.nanmean(series - daily[:, :, None], axis=(0, 1))
        anomaly = daily - month_mean[month_of_day - 1][None, :]
        a0, a1 = anomaly[:, :-1].ravel(), anomaly[:, 1:].ravel()
        ok = ~(np.isnan(a0) | np.isnan(a1))
        phi = float(np.corrcoef(a0[ok], a1[ok])[0, 1])
        residual = series - daily[:, :, None] - hour[None, None, :]
        anomalies[key] = anomaly
        for m in range(12):
            out.append(
                {"pollutant": key, "statistic": "month", "index": m + 1, "value": month_mean[m] - overall}
            )
        for h in range(24):
            out.append({"pollutant": key, "statistic": "hour", "index": h, "value": hour[h]})
        out.append({"pollutant": key, "statistic": "ar_phi", "index": 0, "value": phi})
        out.append({"pollutant": key, "statistic": "ar_sd", "index": 0, "value": float(np.nanstd(anomaly))})
        out.append(
            {"pollutant": key, "statistic": "noise_sd", "index": 0, "value": float(np.nanstd(residual))}
        )
    base = anomalies["pm2_5"].ravel()
    for key in AIR:
        other = anomalies[key].ravel()
        ok = ~(np.isnan(base) | np.isnan(other))
        corr = float(np.corrcoef(base[ok], other[ok])[0, 1])
        out.append({"pollutant": key, "statistic": "corr_pm2_5", "index": 0, "value": corr})
    for row in out:
        row["value"] = round(float(row["value"]), 5)
    return out


def write_shapes(rows: Sequence[dict[str, Any]], path: Path) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        handle.write(
            "# source: derived by greenport.demo.monitoring.derive_shapes from the Beijing Multi-Site Air-Quality\n"
            "# Data (UCI ML Repository, CC BY 4.0; Zhang et al. 2017, doi:10.1098/rspa.2017.0457), 12 stations,\n"
            "# 2013-03-01..2017-02-28 (../shared/data/beijing-multisite-aq). Statistics of natural-log concentrations.\n"
        )
        writer = csv.DictWriter(
            handle, fieldnames=["pollutant", "statistic", "index", "value"], lineterminator="\n"
        )
        writer.writeheader()
        writer.writerows(rows)


def load_shapes() -> dict[str, dict[str, Any]]:
    """pollutant -> {"month": array(12), "hour": array(24), "ar_phi", "ar_sd", "noise_sd", "corr_pm2_5"}."""
    text = resources.files("greenport.demo").joinpath(SHAPES_FILE).read_text(encoding="utf-8")
    shapes: dict[str, dict[str, Any]] = {p: {"month": np.zeros(12), "hour": np.zeros(24)} for p in AIR}
    for row in csv.DictReader(line for line in text.splitlines() if not line.startswith("#")):
        entry = shapes[row["pollutant"]]
        if row["statistic"] == "month":
            entry["month"][int(row["index"]) - 1] = float(row["value"])
        elif row["statistic"] == "hour":
            entry["hour"][int(row["index"])] = float(row["value"])
        else:
            entry[row["statistic"]] = float(row["value"])
    shapes["pm2_5"]["month"], shapes["pm2_5"]["day_spread"] = delta_pm25_season()
    return shapes


def delta_pm25_season() -> tuple[np.ndarray, np.ndarray]:
    """PM2.5's season in a Yangtze-delta city (:data:`PM25_SEASON_FILE`): 12 monthly log offsets
    (centred like the derived shapes) and 12 scales of the day-to-day log anomaly.

    Beijing's shape puts haze in June-July; in the delta June is the plum-rain season and summer
    PM2.5 is the year's lowest with short-lived episodes, so a summer heavy-pollution PM2.5 day
    (AQI > 200) would be implausible."""
    text = resources.files("greenport.demo").joinpath(PM25_SEASON_FILE).read_text(encoding="utf-8")
    rows = list(csv.DictReader(line for line in text.splitlines() if not line.startswith("#")))
    ratios, spreads = np.ones(12), np.ones(12)
    for row in rows:
        ratios[int(row["month"]) - 1] = float(row["ratio"])
        spreads[int(row["month"]) - 1] = float(row["day_spread"])
    logs = np.log(ratios)
    return logs - logs.mean(), spreads


# -- air generation and calibration ---------------------------------------------------------------


def _ar1(rng: np.random.Generator, n: int, phi: float, sd: float) -> np.ndarray:
    out = np.empty(n)
    innovation = sd * math.sqrt(max(1e-9, 1 - phi * phi))
    out[0] = rng.normal(0, sd)
    shocks = rng.normal(0, innovation, n)
    for i in range(1, n):
        out[i] = phi * out[i - 1] + shocks[i]
    return out


def air_log_components(
    shapes: dict[str, dict[str, Any]], n_stations: int, days: int, month_of_day: np.ndarray, seed: int
) -> dict[str, np.ndarray]:
    """Centred log-concentration components, station x hour, before level and spread are applied."""
    rng = np.random.default_rng(seed)
    hours = days * 24
    pm = shapes["pm2_5"]
    common = _ar1(rng, days, pm["ar_phi"], pm["ar_sd"])  # the city's weather: shared by all stations
    out: dict[str, np.ndarray] = {}
    for key, shape in shapes.items():
        rho = shape["corr_pm2_5"] if key != "pm2_5" else 1.0
        own = _ar1(rng, days, shape["ar_phi"], shape["ar_sd"])
        daily = rho * common * (shape["ar_sd"] / pm["ar_sd"]) + math.sqrt(max(0.0, 1 - rho * rho)) * own
        if "day_spread" in shape:  # a season with shorter episodes (the delta's PM2.5 summer)
            daily = daily * shape["day_spread"][month_of_day - 1]
        seasonal = shape["month"][month_of_day - 1] + daily  # per day
        series = np.repeat(seasonal, 24) + np.tile(shape["hour"], days)
        stations = np.empty((n_stations, hours))
        for j in range(n_stations):
            local = _ar1(rng, days, 0.5, 0.12)  # station-to-station differences
            offset = rng.normal(0, 0.06)
            stations[j] = (
                series + np.repeat(local, 24) + offset + rng.normal(0, shape["noise_sd"] * 0.6, hours)
            )
        out[key] = stations - stations.mean()
    return out


def _scale(component: np.ndarray, level: float, spread: float, decimals: int) -> np.ndarray:
    values = np.exp(spread * component)
    values *= level / values.mean()
    return np.round(values, decimals)


def _daily_statistics(hourly: dict[str, np.ndarray], days: int) -> dict[str, np.ndarray]:
    """Station x day AQI inputs: 24-h means; O3 max 1-h and max 8-h (running 8-h within the day)."""
    out: dict[str, np.ndarray] = {}
    for key, values in hourly.items():
        per_day = values[:, : days * 24].reshape(values.shape[0], days, 24)
        if key == "o3":
            out["o3"] = per_day.max(axis=2)
            windows = np.stack([per_day[:, :, i : i + 8].mean(axis=2) for i in range(17)], axis=2)
            out["o3_8h"] = windows.max(axis=2)
        else:
            out[key] = per_day.mean(axis=2)
    return out


def city_figures(
    hourly: dict[str, np.ndarray], city_rows: Sequence[int], days: int, year: int
) -> tuple[float, float]:
    """(city PM2.5 annual mean, good-day ratio) as :mod:`greenport.monitoring.city_air` defines them.

    Hours without data are NaN: a station's day without data has no daily value, and a day on
    which no city station has one has no city AQI and is not a valid day (HJ 663-2013 §5.3: the
    ratio is over the days with a valid AQI).
    """
    daily = _daily_statistics({k: v[list(city_rows)] for k, v in hourly.items()}, days)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a day without any station: NaN, as meant
        city = {key: np.nanmean(values, axis=0) for key, values in daily.items()}
    pm_mean = float(np.nanmean(city["pm2_5"]))  # the mean of the city's daily means (HJ 663-2013)
    result = aqi_std.aqi_array(city, "day", on=datetime(year, 7, 1).date())
    valid = ~np.isnan(result.aqi)
    good = float(np.count_nonzero(result.aqi[valid] <= 100) / np.count_nonzero(valid) * 100)
    return pm_mean, good


def calibrate(
    components: dict[str, np.ndarray],
    city_rows: Sequence[int],
    days: int,
    year: int,
    *,
    missing: slice | None = None,
) -> tuple[dict[str, np.ndarray], dict[str, float]]:
    """Hourly values per pollutant (station x hour) with PM2.5 (and PM10, tied to it) calibrated to
    the seeds' annual mean and good-day ratio: bisection on the log-spread, then the level.

    ``missing`` hours (every station) are NaN: an outage, whose days have no city AQI. The ratio
    is met to the published precision (one decimal), which a year of 365 valid days cannot give
    for 82.6 % (301/365 = 82.47 %, 302/365 = 82.74 %); see :data:`AIR_OUTAGE`.
    """
    fixed = {k: _scale(components[k], LEVELS[k], SPREAD[k], DECIMALS[k]) for k in ("so2", "no2", "co", "o3")}

    def without_data(hourly: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        if missing is not None:
            for values in hourly.values():
                values[:, missing] = np.nan
        return hourly

    fixed = without_data(fixed)

    def attempt(spread: float) -> tuple[dict[str, np.ndarray], float, float]:
        level = TARGET_PM25
        for _ in range(3):  # the level is exact before rounding; two passes absorb the rounding
            pm25 = _scale(components["pm2_5"], level, spread, 0)
            pm10 = np.round(pm25 * 1.62 + np.exp(0.5 * components["pm10"]) * 4.0, 0)
            hourly = {**fixed, **without_data({"pm2_5": pm25, "pm10": pm10})}
            mean, good = city_figures(hourly, city_rows, days, year)
            level *= TARGET_PM25 / mean
        return hourly, mean, good

    low, high = 0.3, 2.0  # more spread -> more polluted days -> a lower good-day ratio
    best = attempt(1.0)
    for _ in range(40):
        middle = (low + high) / 2
        best = attempt(middle)
        if round(best[2], 1) == TARGET_GOOD_DAYS and round(best[1], 1) == TARGET_PM25:
            break
        if best[2] > TARGET_GOOD_DAYS:
            low = middle
        else:
            high = middle
    hourly, mean, good = best
    return hourly, {
        "pm2_5_annual_mean": round(mean, 3),
        "good_day_ratio": round(good, 3),
        "spread": round(middle, 4),
    }


# -- the stage --------------------------------------------------------------------------------------


def calibrated_air(
    n_stations: int, city_rows: Sequence[int], year: int, seed: int
) -> tuple[dict[str, np.ndarray], dict[str, float]]:
    """The year's hourly air values (pollutant -> station x hour, NaN in :data:`AIR_OUTAGE`) and
    the calibration, for ``n_stations`` stations of which ``city_rows`` make the city's figures."""
    days = 366 if calendar.isleap(year) else 365
    month_of_day = np.array([(datetime(year, 1, 1) + timedelta(days=d)).month for d in range(days)])
    components = air_log_components(load_shapes(), n_stations, days, month_of_day, seed)
    first = _local_hour_index(str(AIR_OUTAGE["start"]), year)
    outage = slice(first, first + int(AIR_OUTAGE["hours"]))
    return calibrate(components, city_rows, days, year, missing=outage)


#: Episodes for later issues (alarms, cases): local dates/times of 2022.
EPISODES: dict[str, dict[str, Any]] = {
    "exceedance": {
        "kind": "gas_outlet",
        "parameter": "flue_nox",
        "start": "2022-03-15T08:00",
        "hours": 12,
        "factor": 3.5,
    },
    "offline": {"kind": "water_outlet", "start": "2022-06-06T00:00", "hours": 7 * 24},
    "flatline": {
        "kind": "water_outlet",
        "parameter": "cod",
        "start": "2022-09-20T00:00",
        "hours": 72,
        "value": 28.0,
    },
}
#: A city-wide outage of the air stations (every station, whole local days): typhoon Muifa made
#: landfall on the delta coast on 14-15 September 2022, and stations without power or network
#: report nothing. Its 2 days have no city AQI, so the year has 363 valid days; with them the
#: published ratio is reachable to its one decimal (300/363 = 82.64 %).
AIR_OUTAGE: dict[str, Any] = {"start": "2022-09-14T00:00", "hours": 48}
#: Days back-filled with ``ctx.fast`` (tests).
FAST_DAYS = 3
#: When a back-filled hourly reading is received after its DataTime (the start of its hour,
#: HJ 212-2017 §6.3): at the hour's end, when a logger sends its hourly report.
RECEIVED_AFTER = timedelta(hours=1)


def backfilled_hours(ctx: DemoContext) -> int:
    """Hours of the reference year the monitoring stage stores (``ctx.fast``: :data:`FAST_DAYS`)."""
    year = ctx.reference_year
    return FAST_DAYS * 24 if ctx.fast else (366 if calendar.isleap(year) else 365) * 24


def _first_device(devices: Sequence[DemoDevice]) -> dict[int, DemoDevice]:
    out: dict[int, DemoDevice] = {}
    for device in devices:
        out.setdefault(device.site_id, device)
    return out


def _local_hour_index(moment: str, year: int) -> int:
    local = datetime.fromisoformat(moment)
    return int((local - datetime(year, 1, 1)).total_seconds() // 3600)


def _site_series(
    rng: np.random.Generator, means: dict[str, float], hours: int, *, sd: float, decimals: int = 3
) -> dict[str, np.ndarray]:
    """Hourly values around ``means``: daily AR(1) wander and hourly noise, both relative."""
    days = hours // 24
    out = {}
    for key, mean in means.items():
        relative = sd if key not in ("ph", "flue_o2") else sd / 6
        daily = np.repeat(_ar1(rng, days, 0.7, relative), 24)
        noise = rng.normal(0, relative / 2, hours)
        out[key] = np.round(np.maximum(mean * (1 + daily + noise), mean * 0.05), decimals)
    return out


def air_station_layout(by_kind: dict[str, list[int]], sites: dict[int, Any]) -> tuple[list[int], list[int]]:
    """The air stations' site ids (rows of the hourly arrays, in id order) and the rows of the
    stations that make the city's figures (national and provincial)."""
    air_ids = by_kind.get("air_station", [])
    return air_ids, [i for i, s in enumerate(air_ids) if sites[s].level in monitoring.CITY_AIR_LEVELS]


def build(ctx: DemoContext) -> dict[str, Any]:
    """Back-fill the reference year for every demo site and return the city figures computed from
    the stored data (plus the calibration and the episodes)."""
    year = ctx.reference_year
    start_utc, _ = local_year_bounds(year)
    days = 366 if calendar.isleap(year) else 365
    hours = days * 24
    fill_hours = backfilled_hours(ctx)
    seed = ctx.seed
    with ctx.uow() as uow:
        sites = uow.monitoring.sites()
        ids = {d.mn: d.id for d in uow.monitoring.devices()}
    devices = _first_device(ctx.devices)
    by_kind: dict[str, list[int]] = {}
    for site_id in sorted(devices):
        if site_id in sites:
            by_kind.setdefault(sites[site_id].kind, []).append(site_id)

    # air: calibrated on the whole year in memory, stored for the back-filled window
    air_ids, city_rows = air_station_layout(by_kind, sites)
    series: dict[int, dict[str, np.ndarray]] = {}
    calibration: dict[str, float] = {}
    if air_ids and city_rows:
        hourly, calibration = calibrated_air(len(air_ids), city_rows, year, seed)
        for row, site_id in enumerate(air_ids):
            series[site_id] = {key: values[row] for key, values in hourly.items()}
    rng = np.random.default_rng(seed + 1)
    for site_id in by_kind.get("water_section", []):
        site = sites[site_id]
        means = dict(WATER[2 if (site.target_class or 3) <= 2 else 3])
        if site.waterbody == "lake":
            means["tp"] = 0.032  # GB 3838-2002 Table 1: lakes class III TP <= 0.05
        series[site_id] = _site_series(rng, means, hours, sd=0.12)
    for site_id in by_kind.get("gas_outlet", []):
        series[site_id] = _site_series(rng, GAS, hours, sd=0.15, decimals=2)
    for site_id in by_kind.get("water_outlet", []):
        series[site_id] = _site_series(rng, WASTEWATER, hours, sd=0.12, decimals=2)
    episodes = _episodes(series, by_kind, sites, year)
    ctx.episodes = {name: dict(spec) for name, spec in episodes.items()}
    if calibration:
        episodes["air_outage"] = {"sites": "every air station", **AIR_OUTAGE}

    written = store_backfill(
        ctx, series, {site_id: ids[devices[site_id].mn] for site_id in series}, start_utc, fill_hours
    )
    with ctx.uow() as uow:
        summary = monitoring.city_summary(uow, year=year).to_dict()
    return {
        "year": year,
        "observations": written,
        "hours_backfilled": fill_hours,
        "pm2_5_annual_mean": summary["pm2_5_annual_mean"],
        "good_day_ratio": summary["good_day_ratio"],
        "water_sections_class_iii_or_better": summary["water_sections_class_iii_or_better"],
        "water_sections": summary["water_sections"],
        "calibration": calibration,
        "episodes": episodes,
    }


def store_backfill(
    ctx: DemoContext,
    series: dict[int, dict[str, np.ndarray]],
    device_of: dict[int, int],
    start_utc: datetime,
    fill_hours: int,
) -> int:
    """Store ``series`` (site -> parameter -> hourly values from ``start_utc``, NaN: no reading)
    as device hourly data of the site's device (``device_of``: site -> device id) through the
    repository, week by week, and derive aggregates like live data; the number stored."""
    written = 0
    context: list[Any] = []
    chunk = 7 * 24
    for first in range(0, fill_hours, chunk):
        last = min(first + chunk, fill_hours)
        observations = []
        # Each hourly reading is received at its period's end (data time + 1 h), as a logger sends
        # its CN 2061 report when the hour closes: deterministic, so two builds are identical, and
        # the offline alarm rule (reception times) sees a silence only where the data have one.
        computed = start_utc + timedelta(hours=last)
        for site_id, by_parameter in series.items():
            device_id = device_of[site_id]
            for parameter, values in by_parameter.items():
                for h in range(first, last):
                    value = values[h]
                    if math.isnan(value):
                        continue
                    data_time = start_utc + timedelta(hours=h)
                    observations.append(
                        Observation(
                            data_time,
                            device_id,
                            site_id,
                            PeriodKind.HOUR,
                            parameter,
                            float(value),
                            DeviceFlag.NORMAL,
                            None,
                            None,
                            None,
                            None,
                            None,
                            True,
                            data_time + RECEIVED_AFTER,
                        )
                    )
        with ctx.uow() as uow:
            monitoring.store_observations(uow, observations=observations, mark_dirty=False)
            air_hourly = monitoring.derive_from(
                uow, observations=observations, context_hourly=context, computed_at=computed
            )
        tail = start_utc + timedelta(hours=last - 23)
        context = [a for a in air_hourly if a.period_start >= tail]
        written += len(observations)
        log.debug("monitoring back-fill: %d of %d hours (%d observations)", last, fill_hours, written)
        ctx.report("monitoring", last, fill_hours)
    return written


def _episodes(
    series: dict[int, dict[str, np.ndarray]],
    by_kind: dict[str, list[int]],
    sites: dict[int, Any],
    year: int,
    specs: dict[str, dict[str, Any]] = EPISODES,
) -> dict[str, dict[str, Any]]:
    """Apply ``specs`` (:data:`EPISODES`) to the generated series; return where and when."""
    out: dict[str, dict[str, Any]] = {}
    for name, spec in specs.items():
        candidates = by_kind.get(str(spec["kind"]), [])
        if not candidates:
            continue
        site_id = candidates[0] if name != "flatline" else candidates[min(1, len(candidates) - 1)]
        first = _local_hour_index(str(spec["start"]), year)
        span = slice(first, first + int(spec["hours"]))
        values = series[site_id]
        if name == "exceedance":
            values[str(spec["parameter"])][span] = np.round(
                values[str(spec["parameter"])][span] * float(spec["factor"]), 2
            )
        elif name == "offline":
            for key in values:
                values[key] = values[key].astype(float)
                values[key][span] = np.nan
        else:
            values[str(spec["parameter"])][span] = float(spec["value"])
        out[name] = {"site": sites[site_id].code, "site_id": site_id, **spec}
    return out
