"""Outlets on the "one map": over limit when the newest hourly mean exceeds the emission limit.

Limit from /work/shared/reference/monitoring-standards.md §6.2 (环大气〔2019〕35号, sintering
machine head, SO2 35 mg/m³ hourly mean at 16 % O2); the values below sit either side of it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update

from greenport.kernel.time import utcnow
from tests.web.conftest import bearer


def _set_outlet_data(client: Any, city: Any, so2: float) -> None:
    from greenport.storage.monitoring import AggregateRow, ObservationRow, pack_measurements
    from greenport.storage.registry import SiteRow

    now = utcnow().replace(minute=0, second=0, microsecond=0)
    with client.app.state.container.uow() as uow:
        uow.session.execute(
            update(SiteRow)
            .where(SiteRow.id == city.ids["out1"])
            .values(emission_standard="steel_ultra_low", process="sintering_head")
        )
        uow.session.add(
            ObservationRow(
                data_time=now - timedelta(minutes=10),
                device_id=city.ids["dev_out1"],
                period="rtd",
                site_id=city.ids["out1"],
                n_values=1,
                measurements=pack_measurements({"flue_so2": [so2, "N"]}),
            )
        )
        for hours_ago, value in ((2, 20.0), (1, so2)):  # only the newest hour counts
            uow.session.add(
                AggregateRow(
                    period_start=now - timedelta(hours=hours_ago),
                    site_id=city.ids["out1"],
                    period="hour",
                    parameter="flue_so2",
                    value=value,
                    n_values=60,
                    valid=True,
                )
            )


@pytest.mark.parametrize(("so2", "state"), [(41.0, "over_limit"), (30.0, "normal")])
def test_outlet_state_follows_its_emission_limit(city_app: Any, so2: float, state: str) -> None:
    client, city = city_app
    _set_outlet_data(client, city, so2)
    body = client.get("/api/dashboard", headers=bearer(city, "city_admin")).json()
    out1 = next(s for s in body["sites"] if s["code"] == "OUT1")
    assert out1["state"] == state
    if state == "over_limit":
        (exceedance,) = out1["exceedances"]
        assert exceedance["parameter"] == "flue_so2" and exceedance["value"] == so2
        assert exceedance["limit"] == 35.0 and exceedance["averaging"] == "hour"
        live = client.get("/fragments/dashboard", headers=bearer(city, "city_admin")).text
        assert (
            'data-site="OUT1" data-state="over_limit"' in live and "烟气二氧化硫 SO₂ 41 &gt; 35" in live
        )  # names, not codes
    else:
        assert out1["exceedances"] == []
    # an outlet without a standard is never over (OUT2 has none)
    out2 = next(s for s in body["sites"] if s["code"] == "OUT2")
    assert out2["exceedances"] == [] and out2["state"] == "offline"


def test_park_boundaries_are_drawn_over_the_towns(lite_app: Any) -> None:
    import json

    from greenport.storage.registry import ParkRow
    from tests.web.conftest import SQUARE_A

    client, city = lite_app
    with client.app.state.container.uow() as uow:
        uow.session.execute(
            update(ParkRow)
            .where(ParkRow.id == city.ids["park"])
            .values(boundary_geojson=json.dumps(SQUARE_A))
        )
    body = client.get("/api/dashboard", headers=bearer(city, "city_admin")).json()
    kinds = [(f["properties"]["kind"], f["properties"]["name"]) for f in body["geojson"]["features"]]
    assert kinds[-1] == ("park", "化工园") and [k for k, _ in kinds].count("town") == 2
    page = client.get("/", headers=bearer(city, "city_admin")).text
    regions = page[page.index('"regions": [') :]
    regions = regions[: regions.index("]")]
    assert '"borderType": "dashed"' in regions and "\\u5316\\u5de5\\u56ed" in regions  # 化工园
