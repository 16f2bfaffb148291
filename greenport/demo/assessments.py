"""Demo stage: indicator values for every shipped system (2021 and 2022), then a stored run of each.

Deterministic (seeded) data, calibrated where the seeds publish figures:

* towns (1,000 points) and leaders' audit: the 13 town-level units of the demo city; city-wide air
  quality 83.8 % good days / PM2.5 30.0 μg/m³ in 2021 and 82.6 % / 28.5 in 2022 (S2-038, S2-040, S3-146,
  S3-147); industrial solid waste reuse 98.57 % (S2-046); wetland protection 80 % (S3-157);
* departments (100 points): the 27 departments of the "face-to-face" sessions (S1-043);
* innovation and well-off indices: 港城 and peer county-level cities 昆山, 江阴, 常熟, 太仓, 宜兴, 慈溪, 晋江;
  港城's R&D intensity 3.58 % and 955 high-tech firms in 2022 (S3-009, S3-080); the well-off index is also
  stored for 2019 and calibrated to the published 148.97 with all five sub-indices A+ (S1-002, S1-004, S1-005);
* enterprise per-mu benefit: the named queries over ``enterprise_years`` (registry stage), plus bonus,
  penalty and veto items;
* industrial greening × city quality: city years 2013-2022 (period 2022) and 2012-2021 (period 2021).
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np

from greenport.assessments import service
from greenport.cases.categories import CATEGORIES
from greenport.evaluation import evaluate
from greenport.reports import service as reports_service
from greenport.reports.ports import ReportUow
from greenport.systems import get_system, system_ids

PERIODS = ("2021", "2022")
#: Peer county-level cities benchmarked with the demo city 港城.
COUNTIES = ("港城", "昆山", "江阴", "常熟", "太仓", "宜兴", "慈溪", "晋江")
#: Well-off index of the city in the 2019 monitoring report (S1-002).
WELL_OFF_2019 = 148.97

#: 27 municipal departments (S1-043: 27 departments attend the "face-to-face" sessions).
DEPARTMENTS = (
    "市发展和改革委员会",
    "市工业和信息化局",
    "市科学技术局",
    "市财政局",
    "市自然资源和规划局",
    "市生态环境局",
    "市住房和城乡建设局",
    "市交通运输局",
    "市水务局",
    "市农业农村局",
    "市商务局",
    "市文化广电和旅游局",
    "市卫生健康委员会",
    "市应急管理局",
    "市市场监督管理局",
    "市城市管理局",
    "市机关事务管理局",
    "市统计局",
    "市教育局",
    "市民政局",
    "市人力资源和社会保障局",
    "市公安局",
    "市司法局",
    "市审计局",
    "市行政审批局",
    "市数据局",
    "市供销合作总社",
)

#: Town-level units used when no registry is at hand (tests): 10 towns/districts + 3 streets.
FALLBACK_TOWNS = (
    tuple(f"3205820{n}000" for n in ("01", "02", "03"))
    + tuple(f"32058210{k}000" for k in range(8))
    + ("320582400000", "320582401000")
)


def _rng(system_id: str, period: str, seed: int) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32(f"{system_id}/{period}".encode())])


def _year_factor(period: str) -> float:
    """Progress relative to 2022 (2019 → 0.93, 2021 → 0.98, 2022 → 1)."""
    return {"2019": 0.93, "2020": 0.95, "2021": 0.98}.get(period, 1.0)


# --------------------------------------------------------------------------- towns and leaders

_CITY_AIR = {"2021": (83.8, 30.0), "2022": (82.6, 28.5)}


#: A town's measured air figures of a year: (good-air-day ratio [%], PM2.5 annual mean [µg/m³]).
TownAir = tuple[float, float]


def measured_town_air(uow: ReportUow, *, period: str) -> dict[str, TownAir]:
    """Each town's air figures of ``period`` (``YYYY``) from its stations' stored daily values, by
    the computation the dashboard and the scorecard publish (:func:`greenport.reports.service.scorecard`:
    mean of daily means over the town's stations, HJ 663-2013; good days over valid days), rounded
    as they publish them. Towns without a station, or without valid days, are absent."""
    card = reports_service.scorecard(uow, period=period)
    return {
        town.code: (town.good_day_ratio, town.pm2_5_mean)
        for town in card.towns
        if town.good_day_ratio is not None and town.pm2_5_mean is not None
    }


def _town_rows(
    system_id: str,
    period: str,
    towns: Sequence[str],
    seed: int,
    town_air: Mapping[str, TownAir] | None = None,
) -> dict[str, dict[str, Any]]:
    """Indicator values of the town-level units; a town's air figures are the measured ones
    (``town_air``, :func:`measured_town_air`) where the monitoring data have them: one figure,
    one computation; generated around the city's published figures where not (2021)."""
    rng = _rng(system_id, period, seed)
    case_rng = _rng(f"{system_id}/cases", period, seed)
    good_city, pm_city = _CITY_AIR.get(period, _CITY_AIR["2022"])
    good_offsets = rng.normal(0, 1.6, len(towns))
    pm_offsets = rng.normal(0, 1.5, len(towns))
    good_offsets -= good_offsets.mean()
    pm_offsets -= pm_offsets.mean()
    rows: dict[str, dict[str, Any]] = {}
    for k, town in enumerate(towns):
        q = float(np.clip(rng.normal(0.97, 0.05), 0.82, 1.06))  # the town's general performance
        good_air, pm25 = (town_air or {}).get(
            town, (round(good_city + good_offsets[k], 1), round(pm_city + pm_offsets[k], 1))
        )
        common = {
            "good_air_ratio": good_air,
            "pm25": pm25,
            "water_class3_share": round(min(100.0, 100 * q + rng.normal(3, 2)), 1),
            "black_odour_water_eliminated": 100.0 if rng.random() < 0.85 else round(rng.uniform(80, 99), 1),
            "forest_coverage": round(20 * q + rng.normal(0, 1.2), 1),
            "wetland_protection": round(min(100.0, 80 * q + rng.normal(1, 3)), 1),
            "eco_redline_kept": 100.0 if rng.random() < 0.92 else 99.2,
            "industrial_solid_waste_reuse": round(min(100.0, 98.57 + rng.normal(0, 1.0)), 2),
            "energy_intensity_decline": round(3 * q + rng.normal(0, 0.6), 2),
            "inefficient_land_redevelopment": round(min(120.0, 100 * q + rng.normal(0, 6)), 1),
        }
        if system_id == "town_eco_performance":
            rows[town] = common | {
                "eco_assessment_share": round(float(rng.choice([20.0, 20.0, 22.0, 18.0])), 1),
                "inspection_rectification": round(min(100.0, 100 * q + rng.normal(2, 2)), 1),
                "env_info_disclosure": round(min(100.0, 100 * q + rng.normal(4, 2)), 1),
                "emerging_industry_share": round(46.76 * q + rng.normal(0, 4), 2),
                "sewage_collection": round(72 * q + rng.normal(0, 3), 1),
                "waste_recycling": round(36 * q + rng.normal(0, 2), 1),
                "green_building_share": round(55 * q + rng.normal(0, 5), 1),
                "public_satisfaction": round(min(99.0, 88 * q + rng.normal(0, 3)), 1),
                "public_participation": round(min(99.0, 82 * q + rng.normal(0, 3)), 1),
                # the grid's case figures: generated for a period without cases (2021, tests);
                # the build replaces them by the named queries over the demo's cases
                # (drawn from their own generator, so that the other indicators' values stay as they were)
                "grid_case_on_time_rate": round(min(100.0, 93 * q + case_rng.normal(0, 2)), 1),
                "grid_case_satisfaction": round(min(5.0, 4.3 * q + case_rng.normal(0, 0.1)), 2),
                "demonstration_awards": int(rng.random() < 0.3),
                "substantiated_complaints": int(rng.poisson(2.5)),
                "overdue_rectifications": int(rng.random() < 0.15),
                "major_incident": int(k == 7 and period == "2021"),
                "redline_violation": 0,
            }
        else:  # leader audit
            rows[town] = common | {
                "farmland_retention": round(min(102.0, 100 * q + rng.normal(1, 1.5)), 1),
                "basic_farmland_protection": round(min(101.0, 100 * q + rng.normal(2, 1)), 1),
                "construction_land_intensity_decline": round(4.5 * q + rng.normal(0, 0.7), 2),
                "water_per_gdp": round(max(10.0, 48 / q + rng.normal(0, 5)), 1),
                "eqi_change": round(float(rng.normal(0.3, 0.8)), 2),
                "env_spending_share": round(3 * q + rng.normal(0, 0.4), 2),
                "special_fund_use": round(min(100.0, 96 * q + rng.normal(2, 2)), 1),
                "special_fund_compliance": round(min(100.0, 100 - abs(rng.normal(0, 1.5))), 1),
                "hazardous_waste_disposal": 100.0 if rng.random() < 0.9 else 99.0,
                "risk_plan_filing": round(min(100.0, 100 * q + rng.normal(2, 2)), 1),
                "env_incidents": int(rng.random() < 0.2),
                "contaminated_farmland_safe_use": round(min(100.0, 93 * q + rng.normal(2, 2)), 1),
                "public_satisfaction": round(min(99.0, 88 * q + rng.normal(0, 3)), 1),
                "complaints_per_10k": round(max(0.5, 4.5 / q + rng.normal(0, 1)), 2),
                "complaint_closure": round(min(100.0, 99 * q + rng.normal(1, 1)), 1),
                "good_air_ratio": common["good_air_ratio"],
                "major_responsibility_event": 0,
            }
    return rows


#: The departments that handle a category of grid cases (greenport/cases/data/categories.csv).
CASE_DEPARTMENTS = frozenset(category.department for category in CATEGORIES.values())


def _department_rows(period: str, seed: int) -> dict[str, dict[str, Any]]:
    rng = _rng("department_eco_performance", period, seed)
    case_rng = _rng("department_eco_performance/cases", period, seed)
    rows = {}
    for name in DEPARTMENTS:
        q = float(np.clip(rng.normal(0.97, 0.04), 0.85, 1.03))
        rows[name] = {
            "eco_task_completion": round(min(100.0, 100 * q + rng.normal(1, 1.5)), 1),
            "inspection_rectification": round(min(100.0, 100 * q + rng.normal(1, 1.5)), 1),
            "complaint_closure": round(min(100.0, 100 * q + rng.normal(1, 1)), 1),
            # a department with no grid category has no case to be late with: 100
            "case_on_time_closure": (
                round(min(100.0, 94 * q + case_rng.normal(0, 2)), 1) if name in CASE_DEPARTMENTS else 100.0
            ),
            "green_procurement": round(min(100.0, 82 * q + rng.normal(0, 4)), 1),
            "office_energy_decline": round(2 * q + rng.normal(0, 0.5), 2),
            "eco_publicity_events": int(rng.integers(1, 7)),
            "coordination_rating": round(min(100.0, 90 * q + rng.normal(0, 3)), 1),
            "provincial_commendations": int(rng.random() < 0.15),
            "public_criticism": int(rng.random() < 0.1),
            "serious_dereliction": 0,
        }
    return rows


# --------------------------------------------------------------------------- counties

#: 港城's 2022 values of the innovation indicators (S3-009 R&D 3.58 %, S3-080 955 high-tech firms; the
#: rest are plausible county-level magnitudes).
INNOVATION_BASE: dict[str, float] = {
    "rd_intensity": 3.58,
    "fiscal_sci_tech_share": 5.2,
    "enterprise_rd_share": 2.1,
    "rd_personnel_per_10k": 160,
    "high_tech_investment_growth": 12.0,
    "guidance_fund_scale": 148,
    "basic_research_share": 3.5,
    "high_tech_enterprises": 955,
    "tech_smes": 1500,
    "rd_institution_coverage": 55,
    "new_rd_institutions": 18,
    "listed_enterprises": 32,
    "little_giants": 20,
    "innovation_platforms": 210,
    "talent_per_10k": 2900,
    "high_level_talents": 420,
    "high_skill_share": 33,
    "students_per_10k": 180,
    "postdoc_stations": 40,
    "talent_fund": 6.5,
    "incubators": 60,
    "incubator_area": 150,
    "tech_loans": 220,
    "tech_service_institutions": 130,
    "tech_contract_value": 45,
    "base_stations_5g_density": 4.5,
    "ip_pledge_financing": 9,
    "invention_patents_per_10k": 40,
    "pct_applications": 180,
    "high_tech_output_share": 50,
    "new_product_share": 28,
    "strategic_emerging_share": 40,
    "labour_productivity": 38,
    "sci_tech_awards": 15,
    "disposable_income": 72000,
    "energy_intensity": 0.62,
    "good_air_ratio": 82.6,
    "online_services_share": 92,
    "urban_rural_income_ratio": 1.85,
}
_COST_INNOVATION = {"energy_intensity", "urban_rural_income_ratio"}
#: Relative strength of each peer (1 = 港城), shapes differ by county.
_COUNTY_STRENGTH = {
    "港城": 1.0,
    "昆山": 1.25,
    "江阴": 1.05,
    "常熟": 0.95,
    "太仓": 0.8,
    "宜兴": 0.82,
    "慈溪": 0.88,
    "晋江": 0.9,
}


def _innovation_rows(period: str, seed: int) -> dict[str, dict[str, Any]]:
    rng = _rng("innovation_index", period, seed)
    growth = _year_factor(period)
    rows = {}
    for county in COUNTIES:
        strength = _COUNTY_STRENGTH[county]
        row: dict[str, Any] = {}
        for key, base in INNOVATION_BASE.items():
            noise = float(rng.lognormal(0, 0.12)) if county != "港城" else 1.0
            if key in _COST_INNOVATION:
                value = base / (strength**0.3) * noise / growth**0.5
            elif key == "good_air_ratio":
                value = min(95.0, base * (1 + (strength - 1) * 0.05) * noise**0.2)
            elif key in (
                "rd_institution_coverage",
                "online_services_share",
                "high_skill_share",
                "high_tech_output_share",
                "strategic_emerging_share",
                "new_product_share",
            ):
                value = min(99.0, base * strength**0.5 * noise * growth)
            else:
                value = base * strength * noise * growth
            if county == "港城" and key == "rd_intensity" and period == "2022":
                value = 3.58
            if county == "港城" and key == "high_tech_enterprises" and period == "2022":
                value = 955
            if county == "港城" and key == "good_air_ratio":
                value = _CITY_AIR.get(period, _CITY_AIR["2022"])[0]
            row[key] = round(value, 3)
        rows[county] = row
    return rows


#: 港城's well-off indicator values (2022 basis) before calibration.
WELL_OFF_BASE: dict[str, float] = {
    "gdp_per_capita": 186000,
    "non_agri_share": 99.0,
    "urbanisation": 72,
    "informatisation": 96,
    "modern_agriculture": 92,
    "rd_intensity": 3.58,
    "urban_income": 80000,
    "rural_income": 42000,
    "housing_complete_share": 98,
    "buses_per_10k": 19,
    "village_bus_coverage": 100,
    "unemployment_rate": 1.8,
    "culture_industry_share": 6.0,
    "culture_sports_area": 4.8,
    "schooling_years": 12.8,
    "library_books_per_capita": 3.9,
    "energy_intensity": 0.36,
    "good_air_ratio": 82.6,
    "water_class3_share": 100,
    "forest_coverage": 26,
    "sewage_treatment": 98,
    "village_election_turnout": 99,
    "rule_of_law_satisfaction": 97,
    "public_safety_sense": 98.5,
    "online_services_share": 95,
}


def _well_off_rows(period: str, seed: int) -> dict[str, dict[str, Any]]:
    rng = _rng("well_off_index", period, seed)
    growth = _year_factor(period)
    system = get_system("well_off_index")
    dimension_of = {ind.id: dim.id for dim in system.dimensions for ind in dim.indicators}
    rows: dict[str, dict[str, Any]] = {}
    for k, county in enumerate(COUNTIES):
        strength = _COUNTY_STRENGTH[county] ** 0.5
        # each peer has one weaker sub-index: 港城 is the only city with all five A+ (S1-005)
        weak = None if county == "港城" else system.dimensions[k % len(system.dimensions)].id
        row = {}
        for key, base in WELL_OFF_BASE.items():
            noise = float(rng.lognormal(0, 0.05)) if county != "港城" else 1.0
            if dimension_of[key] == weak:  # a realisation degree of 85-97 % on this sub-index
                indicator = system.indicator(key)
                target = indicator.normalisation.target if indicator.normalisation else None
                assert target is not None
                degree = float(rng.uniform(0.85, 0.97))
                row[key] = round(target / degree if indicator.direction == "cost" else target * degree, 4)
                continue
            penalty = 1.0
            if key in ("unemployment_rate", "energy_intensity"):
                value = base / strength * noise / growth**0.5 / penalty
            elif key in (
                "gdp_per_capita",
                "urban_income",
                "rural_income",
                "rd_intensity",
                "culture_industry_share",
            ):
                value = base * strength * noise * growth * penalty
            else:
                value = (
                    min(100.0, base * strength**0.2 * noise * penalty)
                    if base <= 100
                    else base * noise * penalty
                )
            row[key] = round(value, 4)
        rows[county] = row
    if period == "2019":
        _calibrate_well_off(rows)
    return rows


def _calibrate_well_off(rows: dict[str, dict[str, Any]]) -> None:
    """Scale 港城's income and output indicators by one factor so its 2019 index is 148.97 (S1-002)."""
    system = get_system("well_off_index")
    city = dict(rows["港城"])
    keys = (
        "gdp_per_capita",
        "urban_income",
        "rural_income",
        "rd_intensity",
        "buses_per_10k",
        "culture_sports_area",
        "library_books_per_capita",
    )

    def index(factor: float) -> float:
        trial = {**city, **{k: city[k] * factor for k in keys}}
        return float(evaluate(system, {**rows, "港城": trial}).total[0])

    low, high = 0.3, 3.0
    if not index(low) < WELL_OFF_2019 < index(high):
        raise ValueError("well-off calibration: 148.97 is out of reach of the demo values")
    for _ in range(45):
        mid = (low + high) / 2
        if index(mid) < WELL_OFF_2019:
            low = mid
        else:
            high = mid
    factor = (low + high) / 2
    rows["港城"] = {**city, **{k: city[k] * factor for k in keys}}


# --------------------------------------------------------------------------- enterprises and coupling


def _per_mu_synthetic(period: str, seed: int, n: int = 60) -> dict[str, dict[str, Any]]:
    """Synthetic per-mu figures (only for tests without a registry; the demo uses the named queries)."""
    rng = _rng("enterprise_per_mu", period, seed)
    rows = {}
    for k in range(n):
        scale = float(rng.lognormal(0, 0.6))
        rows[f"E{k:03d}"] = {
            "tax_per_mu": round(24 * scale * rng.lognormal(0, 0.2), 3),
            "revenue_per_mu": round(480 * scale * rng.lognormal(0, 0.2), 2),
            "value_added_per_mu": round(136 * scale * rng.lognormal(0, 0.2), 2),
            "value_added_per_energy": round(2.7 * rng.lognormal(0, 0.5), 3),
            "value_added_per_emission": round(4900 * rng.lognormal(0, 0.7), 1)
            if rng.random() > 0.05
            else None,
            "rd_intensity": round(3.0 * rng.lognormal(0, 0.5), 3),
            "labour_productivity": round(18 * scale**0.5 * rng.lognormal(0, 0.3), 2),
        } | _enterprise_adjustments(rng, k)
    return rows


def _enterprise_adjustments(rng: np.random.Generator, k: int) -> dict[str, Any]:
    return {
        "green_factory_titles": int(rng.random() < 0.08),
        "environmental_penalties": int(rng.random() < 0.05),
        "major_accident": int(k == 17),
    }


#: 港城 city-year series 2012-2022 (shape follows seed 000's thesis: greening and city quality both rise).
def _coupling_rows(period: str, seed: int) -> dict[str, dict[str, Any]]:
    last = int(period) if period.isdigit() else 2022
    rng = _rng("greening_city_coupling", "series", seed)
    rows = {}
    for year in range(2012, 2023):
        t = (year - 2012) / 10
        e = rng.normal(0, 1, 12)
        good_air = {2021: 83.8, 2022: 82.6}.get(year, 70 + 12 * t + e[6])
        pm25 = {2021: 30.0, 2022: 28.5}.get(year, 58 - 27 * t + e[7])
        rows[str(year)] = {
            "energy_intensity": round(0.78 - 0.2 * t + 0.01 * e[0], 4),
            "industrial_water_intensity": round(18 - 6 * t + 0.4 * e[1], 3),
            "so2_intensity": round(3.2 - 2.4 * t + 0.08 * e[2], 3),
            "industrial_solid_waste_reuse": round(min(99.5, 94 + 4.5 * t + 0.3 * e[3]), 2),
            "emerging_industry_share": round(32 + 15 * t**1.2 + 0.6 * e[4], 2),
            "high_tech_output_share": round(38 + 12 * t + 0.6 * e[5], 2),
            "good_air_ratio": round(good_air, 1),
            "pm25": round(pm25, 1),
            "green_coverage": round(41 + 3 * t + 0.2 * e[8], 2),
            "sewage_treatment": round(min(99.0, 88 + 10 * t + 0.3 * e[9]), 2),
            "disposable_income": round(38000 * (1.075 ** (year - 2012)) * (1 + 0.005 * e[10]), 0),
            "culture_sports_area": round(2.6 + 2.0 * t + 0.05 * e[11], 3),
        }
    return {year: row for year, row in rows.items() if last - 9 <= int(year) <= last}


def demo_values(
    system_id: str,
    period: str,
    *,
    seed: int = 2022,
    towns: Sequence[str] | None = None,
    town_air: Mapping[str, TownAir] | None = None,
) -> dict[str, dict[str, Any]]:
    """Deterministic demo values ``{unit_key: {indicator_id: value}}`` of a shipped system for a
    period; ``town_air``: the towns' measured air figures (:func:`measured_town_air`), used as
    the town systems' air indicators where given."""
    towns = list(towns or FALLBACK_TOWNS)
    if system_id in ("town_eco_performance", "leader_natural_resource_audit"):
        return _town_rows(system_id, period, towns, seed, town_air)
    if system_id == "department_eco_performance":
        return _department_rows(period, seed)
    if system_id == "innovation_index":
        return _innovation_rows(period, seed)
    if system_id == "well_off_index":
        return _well_off_rows(period, seed)
    if system_id == "enterprise_per_mu":
        return _per_mu_synthetic(period, seed)
    if system_id == "greening_city_coupling":
        return _coupling_rows(period, seed)
    raise KeyError(f"no demo data for system {system_id!r}")


def _clean(system_id: str, rows: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    known = {item.id for item in get_system(system_id).all_items}
    return {unit: {k: v for k, v in row.items() if k in known} for unit, row in rows.items()}


def build(ctx: Any) -> dict[str, Any]:
    """Store demo values of every shipped system for 2021 and 2022, run each, and return a summary."""
    seed = int(getattr(ctx, "seed", 2022))
    towns = list(getattr(ctx, "town_codes", []) or FALLBACK_TOWNS)
    summary: dict[str, Any] = {}
    for system_id in system_ids():
        periods = (*PERIODS, "2019") if system_id == "well_off_index" else PERIODS
        runs = {}
        for period in periods:
            # fixed timestamps (assessed in the January after the period) keep the demo reproducible
            stamp = datetime(int(period) + 1, 1, 15, 2, 0, tzinfo=UTC)
            with ctx.uow() as uow:
                if system_id == "enterprise_per_mu":
                    service.fill_named_queries(uow, system_id=system_id, period=period, recorded_at=stamp)
                    codes = sorted(uow.evaluation.named_query("tax_per_mu", period))
                    rng = _rng(system_id, period, seed)
                    adjustments = {code: _enterprise_adjustments(rng, k) for k, code in enumerate(codes)}
                    service.record_values(
                        uow,
                        system_id=system_id,
                        period=period,
                        values=adjustments,
                        source="demo",
                        recorded_at=stamp,
                    )
                else:
                    town_air = measured_town_air(uow, period=period)
                    values = _clean(
                        system_id, demo_values(system_id, period, seed=seed, towns=towns, town_air=town_air)
                    )
                    service.record_values(
                        uow,
                        system_id=system_id,
                        period=period,
                        values=values,
                        source="demo",
                        recorded_at=stamp,
                    )
                    # the figures the stored data give (the cases stage's year) replace generated ones
                    service.fill_named_queries(uow, system_id=system_id, period=period, recorded_at=stamp)
                run = service.run_assessment(
                    uow, system_id=system_id, period=period, seed=seed, created_at=stamp
                )
                rows = run.unit_rows()
                best = min(rows, key=lambda r: r["rank"])
                runs[period] = {
                    "run_id": run.id,
                    "units": len(rows),
                    "first": best["label"],
                    "score": best["total"],
                }
        summary[system_id] = runs
    return {"assessments": summary}
