from datetime import date
from typing import Any

from tests.web.conftest import city_app, lite_app  # noqa: F401  (the same small city)

#: The issue date the tests give the bulletin (the clock is the caller's).
ISSUED = date(2022, 7, 5)

#: June 2021 in the fixture city, one year before tests/web/conftest.py's June 2022: each day d,
#: PM2.5 = 30 + d, O3-8h = 80 + 4d, CO = 0.5 + 0.1d, SO2 10, NO2 25, PM10 50 at both stations.
JUNE_2021 = {
    d: {"pm2_5": 30.0 + d, "o3_8h": 80.0 + 4 * d, "co": 0.5 + 0.1 * d, "so2": 10.0, "no2": 25.0, "pm10": 50.0}
    for d in range(1, 31)
}


def seed_june_2021(client: Any, city: Any) -> None:
    """Store :data:`JUNE_2021` as valid daily aggregates of both air stations."""
    from greenport.kernel.time import local_day_bounds
    from greenport.storage.monitoring import AggregateRow

    with client.app.state.container.uow() as uow:
        for day, values in JUNE_2021.items():
            start, _ = local_day_bounds(date(2021, 6, day))
            for site in ("airA", "airB"):
                for parameter, value in values.items():
                    uow.session.add(
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
