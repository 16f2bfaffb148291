"""A tiny city for the web tests: two towns, a park, two firms, stations, a section, outlets,
one user per role (bearer tokens made directly), and June 2022 daily air data."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from greenport.accounts.model import RowScope
from greenport.accounts.passwords import hash_password
from greenport.accounts.secret_tokens import digest
from greenport.bootstrap import build
from greenport.config import Settings
from greenport.kernel.time import local_day_bounds
from greenport.storage import registry as reg

CITY = "320582000000"
TOWN_A = "320582100000"
TOWN_B = "320582101000"
VILLAGE_A = "320582100201"
PASSWORD = "correct horse battery staple"
DEVICE_PASSWORD = "123456"
ROLES = ("city_admin", "bureau_analyst", "department", "town_officer", "grid_officer", "enterprise", "public")
#: A department user tied to park P1 (token key and user name).
PARK_USER = "park_department"
SQUARE_A = {
    "type": "Polygon",
    "coordinates": [[[120.5, 31.9], [120.6, 31.9], [120.6, 32.0], [120.5, 32.0], [120.5, 31.9]]],
}
SQUARE_B = {
    "type": "Polygon",
    "coordinates": [[[120.6, 31.9], [120.7, 31.9], [120.7, 32.0], [120.6, 32.0], [120.6, 31.9]]],
}

#: Daily city means of June 2022 used by the report tests (µg/m³, CO mg/m³); day -> (pm2_5, o3_8h).
JUNE = {d: (20.0 + d, 90.0 + 4 * d) for d in range(1, 31)}


@dataclass
class City:
    ids: dict[str, int] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)


def _seed(container, city: City) -> None:  # type: ignore[no-untyped-def]
    import json

    from greenport.storage.monitoring import AggregateRow, IndexRow

    password_hash = hash_password(PASSWORD, profile="device")  # cheaper argon2 cost for tests
    device_hash = hash_password(DEVICE_PASSWORD, profile="device")
    with container.uow() as uow:
        s = uow.session
        s.add(reg.DivisionRow(code=CITY, name="张家港市", level="city"))
        s.flush()
        s.add(
            reg.DivisionRow(
                code=TOWN_A,
                name="杨舍镇",
                level="town",
                parent_code=CITY,
                boundary_geojson=json.dumps(SQUARE_A),
            )
        )
        s.add(
            reg.DivisionRow(
                code=TOWN_B,
                name="塘桥镇",
                level="town",
                parent_code=CITY,
                boundary_geojson=json.dumps(SQUARE_B),
            )
        )
        s.flush()
        s.add(reg.DivisionRow(code=VILLAGE_A, name="村A", level="village", parent_code=TOWN_A))
        park = reg.ParkRow(code="P1", name="化工园", kind="chemical_park", town_code=TOWN_A)
        s.add(park)
        # a second park with no firm of the test city: no one but the city (and town B) may see it
        other_park = reg.ParkRow(code="P2", name="高新园", kind="provincial_high_tech_zone", town_code=TOWN_B)
        s.add(other_park)
        s.flush()
        s.add(reg.GridCellRow(code="G-A", name="杨舍网格", level="town", division_code=TOWN_A))
        s.add(reg.GridCellRow(code="G-B", name="塘桥网格", level="town", division_code=TOWN_B))
        firms = {}
        for key, town, park_id in (("e1", TOWN_A, park.id), ("e2", TOWN_B, None)):
            firm = reg.EnterpriseRow(
                credit_code=f"91320582MA0000{key.upper()}XX"[:18],
                name=f"企业{key}",
                industry_code="2614",
                industry_group="chemicals",
                town_code=town,
                park_id=park_id,
                land_area_mu=50.0,
                lon=120.55,
                lat=31.95,
                size_class="medium",
                above_scale=True,
            )
            s.add(firm)
            s.flush()
            firms[key] = firm.id
        sites = {
            "airA": dict(kind="air_station", level="national", town_code=TOWN_A),
            "airB": dict(kind="air_station", level="national", town_code=TOWN_B),
            "waterA": dict(
                kind="water_section", level="provincial", town_code=TOWN_A, target_class=3, river="张家港河"
            ),
            "out1": dict(kind="gas_outlet", level="enterprise", town_code=TOWN_A, enterprise_id=firms["e1"]),
            "out2": dict(kind="gas_outlet", level="enterprise", town_code=TOWN_B, enterprise_id=firms["e2"]),
        }
        for key, attrs in sites.items():
            row = reg.SiteRow(code=key.upper(), name=f"点位{key}", lon=120.55, lat=31.95, **attrs)
            s.add(row)
            s.flush()
            city.ids[key] = row.id
            dev = reg.DeviceRow(
                mn=f"MN{row.id:010d}", password_hash=device_hash, site_id=row.id, crc_variant="hj212"
            )
            s.add(dev)
            s.flush()
            city.ids["dev_" + key] = dev.id
        city.ids.update(firms)
        city.ids["park"] = park.id
        city.ids["park2"] = other_park.id
        scopes = {
            "town_officer": dict(division_code=TOWN_A),
            "grid_officer": dict(division_code=VILLAGE_A),
            "enterprise": dict(enterprise_id=firms["e1"]),
            "department": dict(department="市生态环境局"),
        }
        # every role, and a park management committee: a department user tied to the park (sees
        # the park only); each gets a bearer token named after its user
        accounts = [(role, role, role, scopes.get(role, {})) for role in ROLES]
        accounts.append((PARK_USER, "department", "园区管委会", {"park_id": park.id}))
        for username, role, display_name, scope in accounts:
            user = reg.UserRow(
                username=username,
                password_hash=password_hash,
                display_name=display_name,
                role=role,
                active=True,
                **scope,
            )
            s.add(user)
            s.flush()
            token = f"gp_test_{username}"
            uow.accounts.add_token(
                digest=digest(token),
                name="test",
                user_id=user.id,
                expires_at=datetime.now(UTC) + timedelta(days=90),
            )
            city.tokens[username] = token
        # June 2022: the same daily values at both air stations (so the city mean equals them)
        for day, (pm25, o3) in JUNE.items():
            start, _ = local_day_bounds(date(2022, 6, day))
            for site in ("airA", "airB"):
                for parameter, value in (
                    ("pm2_5", pm25),
                    ("o3_8h", o3),
                    ("so2", 8.0),
                    ("no2", 20.0),
                    ("co", 0.6),
                    ("pm10", 40.0),
                ):
                    s.add(
                        AggregateRow(
                            period_start=start,
                            site_id=city.ids[site],
                            period="day",
                            parameter=parameter,
                            value=value,
                            n_values=24,
                            valid=True,
                        )
                    )
            s.add(
                IndexRow(
                    period_start=start,
                    site_id=city.ids["waterA"],
                    period="day",
                    kind="water_class",
                    value=2.0 if day <= 20 else 4.0,
                    label="meets" if day <= 20 else "fails",
                    detail="{}",
                )
            )


#: When the test city's outlets report (Beijing 10:00 on 30 June 2022) and when the alarms are
#: evaluated: three hours later, so the outlets are also offline (GREENPORT's shipped rules).
ALARM_DATA_START = datetime(2022, 6, 30, 2, 0, tzinfo=UTC)
ALARM_EVALUATED_AT = ALARM_DATA_START + timedelta(hours=3)


def _seed_alarms(container, city: City) -> None:  # type: ignore[no-untyped-def]
    """Alarms made as in production: both outlets (town A's OUT1 of firm e1, town B's OUT2 of e2)
    are coal-fired units under the ultra-low limits (SO2 35 mg/m3 at 6 % O2); each reports ten
    real-time values, the last six over the limit, then falls silent. The shipped rules, evaluated
    three hours later, raise a real-time exceedance (firing) and an offline alarm at each outlet.
    Ids land in ``city.ids`` as ``alarm_out1``, ``alarm_out2`` (the exceedances) and
    ``offline_out1``, ``offline_out2``."""
    from sqlalchemy import update

    from greenport.alarms import service as alarms
    from greenport.kernel.time import PeriodKind
    from greenport.monitoring import service as monitoring
    from greenport.monitoring.model import Observation

    rules = alarms.rules(container.settings.alarm_rules)
    values = [20.0, 22.0, 21.0, 20.0, 40.0, 52.0, 47.0, 45.0, 44.0, 43.0]
    with container.uow() as uow:
        for key in ("out1", "out2"):
            uow.session.execute(
                update(reg.SiteRow)
                .where(reg.SiteRow.id == city.ids[key])
                .values(emission_standard="coal_power_ultra_low", process="coal_fired_unit")
            )
        observations = []
        for key in ("out1", "out2"):
            for i, so2 in enumerate(values):
                moment = ALARM_DATA_START + timedelta(minutes=i)
                for parameter, value in (("flue_so2", so2), ("flue_o2", 6.0)):
                    observations.append(
                        Observation(
                            moment,
                            city.ids["dev_" + key],
                            city.ids[key],
                            PeriodKind.RAW,
                            parameter,
                            value,
                            received_at=moment + timedelta(seconds=5),
                        )
                    )
        monitoring.store_observations(uow, observations=observations, mark_dirty=False)
    with container.uow() as uow:
        # the evaluator's own pass over these sites (without its lease and marks: a live test's
        # ingest server runs its evaluator on the wall clock at the same time)
        since = {city.ids[k]: ALARM_DATA_START for k in ("out1", "out2")}
        alarms.evaluate_sites(uow, rules=rules, since=since, now=ALARM_EVALUATED_AT)
        found, _ = uow.alarms.visible_alarms(RowScope(), limit=100)
    for alarm in found:
        key = "out1" if alarm.site_id == city.ids["out1"] else "out2"
        name = {"outlet-realtime-exceedance": "alarm_", "site-offline": "offline_"}.get(alarm.rule_id)
        if name is not None:
            city.ids[name + key] = alarm.id


#: The photo attached to the case at each outlet (a JPEG's first bytes and a marker of its own).
CASE_PHOTOS = {
    key: b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + key.encode() + b"\xff\xd9" for key in ("out1", "out2")
}


def _seed_cases(container, city: City) -> None:  # type: ignore[no-untyped-def]
    """A case of illegal emission at each outlet: the grid officer is the officer of town A's
    cell, so town A's case is dispatched to them; town B's cell has no officer, its case stays new."""
    from greenport.cases import service as cases
    from greenport.cases.model import CaseSource
    from greenport.regions import service as regions

    with container.uow() as uow:
        officer = uow.session.query(reg.UserRow).filter_by(username="grid_officer").one()
        regions.add_grid_officer(uow, grid_cell_code="G-A", name="grid_officer", user_id=officer.id)
        for key in ("out1", "out2"):
            case = cases.open_case(
                uow,
                source=CaseSource.PATROL,
                category="illegal_emission",
                description=f"{key} 冒黑烟",
                now=datetime(2026, 3, 2, 1, 0, tzinfo=UTC),
                site_id=city.ids[key],
                attachments=[(CASE_PHOTOS[key], f"{key}.jpg", "image/jpeg")],
            )
            city.ids["case_" + key] = case.id


def _seed_assessments(container, city: City) -> None:  # type: ignore[no-untyped-def]
    """Indicator values of the town 1000-point system for 2021 and 2022; a run of 2021."""
    from greenport.assessments import service as assessments
    from greenport.demo.assessments import demo_values, measured_town_air

    with container.uow() as uow:
        for period in ("2021", "2022"):
            # the towns' air figures measured by their stations (June 2022), as the demo takes them
            town_air = measured_town_air(uow, period=period)
            values = demo_values("town_eco_performance", period, towns=[TOWN_A, TOWN_B], town_air=town_air)
            assessments.record_values(uow, system_id="town_eco_performance", period=period, values=values)
        run = assessments.run_assessment(uow, system_id="town_eco_performance", period="2021", uncertainty=50)
        assert run.id is not None
        city.ids["run"] = run.id


@contextmanager
def _served_city(database_url: str) -> Iterator[tuple[TestClient, City]]:
    container = build(Settings(database_url=database_url), migrate=True)
    city = City()
    _seed(container, city)
    _seed_assessments(container, city)
    _seed_alarms(container, city)
    _seed_cases(container, city)
    from greenport.web.app import create_app

    with TestClient(create_app(container=container)) as client:
        yield client, city
    container.db.dispose()


@pytest.fixture
def city_app(database_url: str) -> Iterator[tuple[TestClient, City]]:
    """The small city served by a TestClient, on SQLite and on PostgreSQL."""
    with _served_city(database_url) as served:
        yield served


@pytest.fixture
def lite_app(sqlite_url: str) -> Iterator[tuple[TestClient, City]]:
    """The same city on SQLite only (tests of the web layer itself, not of SQL)."""
    with _served_city(sqlite_url) as served:
        yield served


def bearer(city: City, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {city.tokens[role]}"}


_ = (UTC, datetime, timedelta)
