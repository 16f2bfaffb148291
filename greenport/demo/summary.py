"""The demo summary, computed from the database (queries through the registry services), never
echoed from the build's constants: what ``greenport demo --json`` prints."""

from __future__ import annotations

from collections import Counter
from typing import Any

from greenport.accounts import service as accounts
from greenport.accounts.demo_accounts import demo_user_password
from greenport.demo.city import plan
from greenport.enterprises import service as enterprises
from greenport.enterprises.model import OUTLET_KINDS, IndustryGroup, SiteKind, SiteLevel
from greenport.regions import service as regions
from greenport.regions.model import DivisionLevel, ParkKind
from greenport.storage.uow import UnitOfWork

#: Usernames of the demo users (``demo/data/city.yaml``); only these get a printed password.
DEMO_USERNAMES: tuple[str, ...] = tuple(u["username"] for u in plan()["users"])

#: Year of the output figures in the summary.
SUMMARY_YEAR = 2022


def summarise(uow: UnitOfWork, *, with_logins: bool = True) -> dict[str, Any]:
    """Counts and figures of the registry as stored.

    Keys: ``towns``, ``streets``, ``villages``, ``grid_cells``, ``grid_officers``, ``parks``
    (count per kind, ``national_level`` and ``total``), ``enterprises`` (above-scale),
    ``enterprises_in_parks`` and ``enterprises_in_parks_percent``, ``industrial_output_2022_yi``
    [亿元], ``output_share_by_industry`` [%], ``air_stations`` (+ ``air_stations_by_level``),
    ``water_sections`` (national + provincial), ``tributaries``, ``outlets`` (+ ``gas_outlets``,
    ``water_outlets``), ``devices``, ``users`` and ``logins`` ([{role, username, password}], only
    ``with_logins``).
    """
    levels = Counter(d.level for d in regions.list_divisions(uow))
    grid_levels = Counter(c.level.value for c in regions.list_grid_cells(uow))
    parks = regions.list_parks(uow)
    park_kinds = Counter(p.kind for p in parks)
    firms = [e for e in enterprises.list_enterprises(uow) if e.above_scale]
    firm_group = {e.id: e.industry_group for e in firms}
    output_by_group = dict.fromkeys(IndustryGroup, 0.0)
    for figures in uow.registry.list_enterprise_years(year=SUMMARY_YEAR):
        group = firm_group.get(figures.enterprise_id)
        if group is not None and figures.output_10k_yuan is not None:
            output_by_group[group] += figures.output_10k_yuan
    total_output = sum(output_by_group.values())
    sites = enterprises.list_sites(uow)
    site_count = Counter((s.kind, s.level) for s in sites)
    kinds = Counter(s.kind for s in sites)
    air_levels = {
        level.value: site_count[(SiteKind.AIR_STATION, level)]
        for level in SiteLevel
        if site_count[(SiteKind.AIR_STATION, level)]
    }
    users = accounts.list_users(uow)
    in_parks = sum(1 for e in firms if e.park_code)
    summary: dict[str, Any] = {
        "towns": levels[DivisionLevel.TOWN],
        "streets": levels[DivisionLevel.STREET],
        "villages": levels[DivisionLevel.VILLAGE] + levels[DivisionLevel.COMMUNITY],
        "grid_cells": {level: grid_levels[level] for level in ("city", "town", "village")},
        "grid_officers": uow.registry.count("grid_officers"),
        "parks": {
            **{kind.value: park_kinds[kind] for kind in ParkKind},
            "national_level": park_kinds[ParkKind.NATIONAL_DEVELOPMENT_ZONE]
            + park_kinds[ParkKind.BONDED_ZONE],
            "total": len(parks),
        },
        "enterprises": len(firms),
        "enterprises_in_parks": in_parks,
        "enterprises_in_parks_percent": round(100 * in_parks / len(firms), 2) if firms else 0.0,
        "industrial_output_2022_yi": round(total_output / 10_000, 2),
        "output_share_by_industry": {
            group.value: round(100 * value / total_output, 2) if total_output else 0.0
            for group, value in output_by_group.items()
        },
        "air_stations": kinds[SiteKind.AIR_STATION],
        "air_stations_by_level": air_levels,
        "water_sections": site_count[(SiteKind.WATER_SECTION, SiteLevel.NATIONAL)]
        + site_count[(SiteKind.WATER_SECTION, SiteLevel.PROVINCIAL)],
        "water_sections_by_level": {
            level.value: site_count[(SiteKind.WATER_SECTION, level)]
            for level in (SiteLevel.NATIONAL, SiteLevel.PROVINCIAL, SiteLevel.TOWN)
        },
        "tributaries": site_count[(SiteKind.WATER_SECTION, SiteLevel.TRIBUTARY)],
        "outlets": sum(kinds[k] for k in OUTLET_KINDS),
        "gas_outlets": kinds[SiteKind.GAS_OUTLET],
        "water_outlets": kinds[SiteKind.WATER_OUTLET],
        "outlet_enterprises": len({s.enterprise_id for s in sites if s.kind in OUTLET_KINDS}),
        "devices": uow.registry.count("devices"),
        "users": len(users),
    }
    if with_logins:
        summary["logins"] = [
            {"role": u.role.value, "username": u.username, "password": demo_user_password(u.username)}
            for u in users
            if u.username in DEMO_USERNAMES
        ]
    return summary
