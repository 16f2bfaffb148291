"""Decoded uploads -> observations: routing, units, O2-corrected values, unmapped codes, lateness;
and the simulator's own encoder against the protocol's decoder (two implementations agree)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from greenport.ingest.pipeline import observations_of
from greenport.ingest.simulator import frame_bytes, upload_segment
from greenport.kernel.time import PeriodKind
from greenport.monitoring.model import DeviceFlag, DeviceRef
from greenport.protocol import decode

DEVICE = DeviceRef(id=3, mn="GPGAS01", site_id=9, password_hash="", crc_variant="hj212")
WHEN = datetime(2022, 3, 15, 0, 0, tzinfo=UTC)


def test_flue_gas_upload_maps_codes_units_and_o2_corrected_values() -> None:
    segment = (
        "QN=20220315080000000;ST=31;CN=2061;PW=123456;MN=GPGAS01;Flag=5;CP=&&DataTime=20220315080000;"
        "a21002-Avg=40.5,a21002-ZsAvg=52.1,a21002-Flag=N;a00000-Avg=10,a00000-Flag=N;a99948-Avg=1.5;"
        "a21026-Avg=12,a21026-Flag=M&&"
    )
    msg = decode(frame_bytes(segment))
    obs = {
        o.parameter: o
        for o in observations_of(msg, DEVICE, frame_id=7, received_at=WHEN + timedelta(minutes=70))
    }
    nox = obs["flue_nox"]
    assert (nox.value, nox.zs_value, nox.period, nox.data_time) == (40.5, 52.1, PeriodKind.HOUR, WHEN)
    assert obs["flue_flow"].value == 10 * 3600  # m³/s -> m³/h (HJ 212 Table B.2 unit to the canonical one)
    assert obs["hj212:a99948"].value == 1.5  # vendor code kept in the device's unit
    assert obs["flue_so2"].flag is DeviceFlag.MAINTENANCE
    assert not nox.late and nox.frame_id == 7 and nox.site_id == 9
    late = observations_of(msg, DEVICE, frame_id=8, received_at=WHEN + timedelta(hours=3))
    assert all(o.late for o in late)


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(
        st.floats(min_value=0, max_value=99999, allow_nan=False).map(lambda v: round(v, 3)),
        min_size=1,
        max_size=8,
    ),
    seconds=st.integers(min_value=0, max_value=10**7),
)
def test_simulator_frames_decode_to_their_values(values: list[float], seconds: int) -> None:
    codes = ["a34004", "a34002", "a21026", "a21004", "a21005", "a05024", "a01001", "a01002"]
    when = WHEN + timedelta(seconds=seconds)
    raw = frame_bytes(
        upload_segment(
            st="22",
            mn="GPAIR01",
            pw="123456",
            data_time=when,
            values=[(c, v, None) for c, v in zip(codes, values, strict=False)],
        )
    )
    msg = decode(raw)
    assert msg.cn == "2011" and msg.ack_requested and msg.data_time == when
    assert [msg.cp.factors[c]["Rtd"] for c in codes[: len(values)]] == values
