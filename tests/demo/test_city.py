"""The demo city matches the seeds' figures (counts exact, output and shares within 0.5 %), its
geometry is consistent, and it is rebuilt identically from the same seed."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import MetaData, select

from greenport.accounts.passwords import verify_password
from greenport.bootstrap import Container
from greenport.demo.build import build_demo, is_empty, load_context
from greenport.demo.city import build_registry
from greenport.demo.context import DemoContext
from greenport.demo.credentials import demo_device_password
from greenport.demo.summary import summarise
from greenport.enterprises import service as enterprises
from greenport.enterprises.model import OUTLET_KINDS, SiteKind
from greenport.regions import service as regions
from greenport.regions.model import DivisionLevel
from greenport.regions.validation import point_in_geojson
from greenport.standards.emission import emission_limit
from greenport.standards.ids import validate_credit_code
from tests.demo.conftest import demo_container, seed_figure

Demo = tuple[Container, DemoContext, dict[str, Any]]


def test_summary_counts_match_the_seed_figures(demo_city: Demo) -> None:
    _, _, summary = demo_city
    assert summary["towns"] == seed_figure("S2-003") == 10
    assert summary["streets"] == seed_figure("S2-004") == 3
    assert summary["villages"] == seed_figure("S1-045")
    assert summary["grid_officers"] == seed_figure("S1-052")
    assert summary["grid_cells"] == {"city": 1, "town": 13, "village": 163}
    # S0-116: 2 national development zones (the economic development zone and the bonded zone).
    assert summary["parks"]["national_development_zone"] == seed_figure("S0-116")
    assert summary["parks"]["national_level"] == seed_figure("S0-116")
    assert summary["parks"]["provincial_metallurgy_park"] == seed_figure("S0-117")
    assert summary["parks"]["provincial_high_tech_zone"] == seed_figure("S0-118")
    assert summary["parks"]["chemical_park"] == 1
    assert summary["parks"]["total"] == 5
    assert summary["water_sections"] == seed_figure("S2-041")
    assert summary["tributaries"] == seed_figure("S2-042")
    assert summary["enterprises_in_parks_percent"] > seed_figure("S0-120")


def test_output_and_shares_within_half_a_percent(demo_city: Demo) -> None:
    _, _, summary = demo_city
    total = seed_figure("S3-020")
    assert summary["industrial_output_2022_yi"] == pytest.approx(total, rel=0.005)
    assert summary["industrial_output_2022_yi"] == pytest.approx(total, abs=0.01)  # calibrated exactly
    shares = summary["output_share_by_industry"]
    assert set(shares) == {"metallurgy", "machinery_electrical", "chemicals", "textiles", "other"}
    assert shares["metallurgy"] == pytest.approx(seed_figure("S0-121"), abs=0.5)
    assert shares["machinery_electrical"] == pytest.approx(seed_figure("S0-122"), abs=0.5)
    assert shares["chemicals"] == pytest.approx(seed_figure("S0-123"), abs=0.5)
    assert sum(shares.values()) == pytest.approx(100, abs=0.05)


def test_2021_figures_calibrated_to_revenue_and_implied_output(demo_city: Demo) -> None:
    container, _, _ = demo_city
    with container.uow() as uow:
        years = uow.registry.list_enterprise_years(year=2021)
    revenue = sum(y.revenue_10k_yuan or 0 for y in years) / 10_000
    output = sum(y.output_10k_yuan or 0 for y in years) / 10_000
    assert revenue == pytest.approx(seed_figure("S0-112"), rel=0.005)
    assert output == pytest.approx(seed_figure("S0-128") / (seed_figure("S0-130") / 100), rel=0.005)
    assert len(years) == 600
    for figures in years:
        assert None not in (
            figures.tax_10k_yuan,
            figures.value_added_10k_yuan,
            figures.energy_tce,
            figures.employees,
            figures.rd_expense_10k_yuan,
            figures.so2_t,
            figures.cod_t,
        )


def test_every_key_of_the_issue_is_in_the_summary(demo_city: Demo) -> None:
    _, _, summary = demo_city
    for key in (
        "towns",
        "streets",
        "villages",
        "grid_officers",
        "parks",
        "enterprises",
        "industrial_output_2022_yi",
        "output_share_by_industry",
        "air_stations",
        "water_sections",
        "tributaries",
        "outlets",
        "devices",
        "logins",
    ):
        assert key in summary, key
    assert summary["air_stations"] == 18 and summary["air_stations_by_level"] == {
        "national": 2,
        "provincial": 3,
        "town": 13,
    }
    assert summary["outlet_enterprises"] == 40
    assert (
        summary["devices"]
        == summary["air_stations"] + summary["water_sections"] + summary["tributaries"] + summary["outlets"]
    )
    roles = {login["role"] for login in summary["logins"]}
    assert roles == {
        "city_admin",
        "bureau_analyst",
        "town_officer",
        "grid_officer",
        "department",
        "enterprise",
        "public",
    }
    json.dumps(summary)  # serialisable as printed by --json


def test_registry_content_is_valid_and_inside_its_towns(demo_city: Demo) -> None:
    container, _, _ = demo_city
    with container.uow() as uow:
        towns = {
            d.code: d
            for d in regions.list_divisions(uow)
            if d.level in (DivisionLevel.TOWN, DivisionLevel.STREET)
        }
        firms = enterprises.list_enterprises(uow)
        sites = enterprises.list_sites(uow)
        parks = {p.code: p for p in regions.list_parks(uow)}
    assert all(t.boundary_geojson for t in towns.values())
    for park in parks.values():
        assert park.boundary_geojson and park.town_code in towns
        corners = json.loads(park.boundary_geojson)["coordinates"][0]
        assert all(point_in_geojson(x, y, towns[park.town_code].boundary_geojson or "") for x, y in corners)
    for firm in firms:
        validate_credit_code(firm.credit_code, check_organization_code=True)
        assert point_in_geojson(firm.lon, firm.lat, towns[firm.town_code].boundary_geojson or ""), firm.name
        if firm.park_code:
            assert point_in_geojson(firm.lon, firm.lat, parks[firm.park_code].boundary_geojson or "")
    for site in sites:
        assert point_in_geojson(site.lon, site.lat, towns[site.town_code].boundary_geojson or ""), site.code
    # Town polygons do not overlap: no firm or site lies in two towns.
    for point in [(f.lon, f.lat) for f in firms] + [(s.lon, s.lat) for s in sites]:
        assert sum(point_in_geojson(*point, t.boundary_geojson or "") for t in towns.values()) == 1


def test_outlets_name_limits_the_standards_package_knows(demo_city: Demo) -> None:
    container, _, _ = demo_city
    with container.uow() as uow:
        outlets = [s for s in enterprises.list_sites(uow) if s.kind in OUTLET_KINDS]
    pollutant = {SiteKind.GAS_OUTLET: "flue_dust", SiteKind.WATER_OUTLET: "cod"}
    for site in outlets:
        assert site.enterprise_id is not None and site.emission_standard and site.process
        limit = emission_limit(
            site.emission_standard,
            site.process,
            pollutant[site.kind],
            grade=site.emission_grade,
            on="2022-06-01",
        )
        assert limit.limit > 0


def test_devices_have_hashed_demo_passwords(demo_city: Demo) -> None:
    container, ctx, _ = demo_city
    assert len(ctx.devices) == 109
    sample = ctx.devices[0]
    with container.uow() as uow:
        found = enterprises.get_device_credentials(uow, sample.mn)
    assert found is not None
    device, password_hash = found
    assert device.site_id == sample.site_id and len(device.mn) == 24
    assert sample.password == demo_device_password(sample.mn)
    assert verify_password(password_hash, sample.password) and not verify_password(password_hash, "123456")


def test_context_can_be_reloaded_from_the_database(demo_city: Demo) -> None:
    container, ctx, _ = demo_city
    again = load_context(container)
    assert again.devices == ctx.devices
    assert again.town_codes == ctx.town_codes
    assert again.park_codes == ctx.park_codes
    assert again.logins == ctx.logins
    assert not is_empty(container)


REGISTRY_TABLES = {
    "divisions",
    "grid_cells",
    "grid_officers",
    "parks",
    "enterprises",
    "enterprise_years",
    "sites",
    "devices",
    "users",
}


def _dump(container: Container) -> dict[str, list[tuple[Any, ...]]]:
    metadata = MetaData()
    metadata.reflect(bind=container.db.engine)
    dumped: dict[str, list[tuple[Any, ...]]] = {}
    with container.db.engine.connect() as conn:
        for name, table in sorted(metadata.tables.items()):
            if name == "alembic_version":
                continue
            # every column, processing timestamps included: the demo stamps them with fixed times
            dumped[name] = sorted((tuple(row) for row in conn.execute(select(*table.columns))), key=repr)
    return dumped


def test_same_seed_same_database(demo_city: Demo, tmp_path: Any) -> None:
    first, _, summary = demo_city
    second = demo_container(f"sqlite:///{tmp_path / 'again.db'}")
    try:
        _, again = build_demo(second, fast=True)
        assert again == summary
        dump_first, dump_second = _dump(first), _dump(second)
        assert dump_first.keys() == dump_second.keys()
        assert dump_first.keys() >= REGISTRY_TABLES
        assert all(dump_first[table] for table in REGISTRY_TABLES)
        for table in dump_first:
            assert dump_first[table] == dump_second[table], table
    finally:
        second.db.dispose()


@pytest.mark.postgres
def test_registry_stage_on_postgresql_gives_the_same_summary(demo_city: Demo, postgres_url: str) -> None:
    _, _, summary = demo_city
    container = demo_container(postgres_url)
    try:
        ctx = DemoContext(container=container, seed=summary["seed"], fast=True)
        build_registry(ctx)
        with container.uow() as uow:
            on_postgres = summarise(uow)
    finally:
        container.db.dispose()
    assert {key: summary[key] for key in on_postgres} == on_postgres
