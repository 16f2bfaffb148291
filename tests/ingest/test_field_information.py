"""Field information (CN 3020) of several instruments in one frame is stored for every one of them.

HJ 212-2017 C.40: a 3020 upload tells ``PolId=<instrument>`` then that instrument's ``iXXXXX-Info``
items. A real logger (wanghua1120/chaserver-tcp, log of 2019-05-07, in
``../shared/data/hj212-peer-vectors``) sends four instruments in one frame; each instrument's
values are stored as ``hj212:<PolId>-<code>``, through the real server and database.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from greenport.ingest.pipeline import observations_of, reading_row
from greenport.ingest.simulator import frame_bytes
from greenport.monitoring.model import DeviceRef
from greenport.protocol import decode
from greenport.storage.monitoring_repo import time_value_for
from greenport.storage.uow import UnitOfWork

from .conftest import PASSWORD, Fixture
from .test_server import exchange, start

#: The logger's frame (its 4 groups), sent as our registered device GPSEC01 with A=1 (Flag=5).
SEGMENT = (
    f"QN=20190507002451828;ST=21;CN=3020;PW={PASSWORD};MN=GPSEC01;Flag=5;CP=&&DataTime=20190507002451;"
    "PolId=w01019,i12001-Info=1,i12002-Info=0;PolId=w21001,i12001-Info=1,i12002-Info=0;"
    "PolId=w21003,i12001-Info=1,i12002-Info=3;PolId=w21011,i12001-Info=2,i12002-Info=0&&"
)
DATA_TIME = datetime(2019, 5, 7, 0, 24, 51, tzinfo=UTC) - timedelta(hours=8)
EXPECTED = {
    "hj212:w01019-i12001": 1.0,
    "hj212:w01019-i12002": 0.0,
    "hj212:w21001-i12001": 1.0,
    "hj212:w21001-i12002": 0.0,
    "hj212:w21003-i12001": 1.0,
    "hj212:w21003-i12002": 3.0,
    "hj212:w21011-i12001": 2.0,
    "hj212:w21011-i12002": 0.0,
}


def test_both_paths_of_the_pipeline_give_every_instrument() -> None:
    msg = decode(frame_bytes(SEGMENT))
    device = DeviceRef(id=3, mn="GPSEC01", site_id=9, password_hash="", crc_variant="hj212")
    received = DATA_TIME + timedelta(minutes=1)
    observed = observations_of(msg, device, frame_id=7, received_at=received)
    assert {o.parameter: o.value for o in observed} == EXPECTED
    row, data_time = reading_row(
        msg, device, frame_id=7, received_at=received, time_value=time_value_for("sqlite")
    )
    assert row is not None and data_time == DATA_TIME
    assert row[7] == len(EXPECTED)  # n_values of the stored reading


async def test_a_3020_frame_with_four_instruments_stores_all_of_them(city: Fixture) -> None:
    server = await start(city)
    try:
        replies = await exchange(server.port, frame_bytes(SEGMENT), replies=1)
    finally:
        await server.close()
    assert [decode(reply).cn for reply in replies] == ["9014"]  # acknowledged after it was stored
    with UnitOfWork(city.db) as uow:
        stored = uow.monitoring.observations(start=DATA_TIME, end=DATA_TIME + timedelta(seconds=1))
    assert {o.parameter: o.value for o in stored} == EXPECTED
