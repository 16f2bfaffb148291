"""A value no instrument can produce is refused at ingest as ``bad_value`` naming its field
(issue 12, item 1): an authenticated 2061 with ``a21004-Avg=1e308`` was acknowledged, stored,
and stopped the city's aggregation. Ranges: ``kernel/data/parameter_ranges.csv``."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from greenport.ingest.pipeline import observations_of, reading_row
from greenport.ingest.simulator import frame_bytes
from greenport.kernel.parameters import plausible_ranges, registry
from greenport.kernel.time import PeriodKind
from greenport.monitoring.model import DeviceRef
from greenport.protocol import decode
from greenport.protocol.errors import FieldValueError
from greenport.storage.monitoring_repo import time_value_for
from greenport.storage.uow import UnitOfWork

from .conftest import PASSWORD, Fixture
from .test_garbage import send_and_close
from .test_server import WHEN, air_frame, exchange, start

DEVICE = DeviceRef(id=1, mn="GPAIR01", site_id=1, password_hash="", active=True, crc_variant="hj212")


def hourly(no2: str, *, extra: str = "") -> bytes:
    return frame_bytes(
        f"QN=20220601100000001;ST=22;CN=2061;PW={PASSWORD};MN=GPAIR01;Flag=5;"
        f"CP=&&DataTime=20220601100000;a34004-Avg=35.0,a34004-Flag=N;a21004-Avg={no2}{extra},a21004-Flag=N&&"
    )


def test_every_canonical_parameter_has_a_plausible_range() -> None:
    assert set(plausible_ranges()) == set(registry())


@pytest.mark.parametrize(
    ("no2", "extra", "field"),
    [
        ("1e308", "", "a21004-Avg"),
        ("-1e308", "", "a21004-Avg"),
        ("40.0", ",a21004-Max=1e300", "a21004-Max"),  # the Python path (the compiled one declines Max)
        ("40.0", ",a21004-ZsAvg=5e7", "a21004-ZsAvg"),
    ],
)
def test_both_paths_refuse_a_value_out_of_range_naming_its_field(no2: str, extra: str, field: str) -> None:
    msg = decode(hourly(no2, extra=extra))
    received = datetime(2022, 6, 1, 3, 0, tzinfo=UTC)
    with pytest.raises(FieldValueError) as fast:
        reading_row(msg, DEVICE, frame_id=7, received_at=received, time_value=time_value_for("sqlite"))
    with pytest.raises(FieldValueError) as pure:
        observations_of(msg, DEVICE, frame_id=7, received_at=received)
    assert fast.value.field == pure.value.field == field
    assert "no2" in fast.value.message and "parameter_ranges.csv" in fast.value.message


def test_a_value_in_range_is_kept() -> None:
    msg = decode(hourly("40.0"))
    received = datetime(2022, 6, 1, 3, 0, tzinfo=UTC)
    (no2,) = [
        o for o in observations_of(msg, DEVICE, frame_id=7, received_at=received) if o.parameter == "no2"
    ]
    assert no2.value == 40.0 and no2.period is PeriodKind.HOUR


async def test_the_server_quarantines_an_absurd_value_and_acknowledges_nothing_of_it(city: Fixture) -> None:
    server = await start(city)
    try:
        refused = await send_and_close(server.port, hourly("1e308"))
        served = await exchange(server.port, air_frame("GPAIR01", WHEN), replies=1)
    finally:
        await server.close()
    assert refused == b"" and len(served) == 1
    with UnitOfWork(city.db) as uow:
        (entry,) = uow.monitoring.quarantine()
        stored = uow.monitoring.count_observations()
    assert (entry.reason, entry.field, entry.mn) == ("bad_value", "a21004-Avg", "GPAIR01")
    assert stored == 4  # the good frame's four values only
