"""The HJ 212 CRC (HJ 212-2017 Appendix A) against the standard's example and the reference's vectors."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from greenport.protocol import CrcVariant, crc16_hj212, crc16_modbus, crc16_modbus_swapped
from greenport.protocol.crc import CRC_TABLE, HJ212_CRC_VALUES, crc16_hj212_reference

APPENDIX_A_SEGMENT = (
    b"QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&"
)

# (segment, CRC) from monitoring reference §2.1 (E2-E9 CRCs computed by the reference's authors).
VECTORS = [
    (APPENDIX_A_SEGMENT, 0x1C80),
    (
        b"QN=20160801085857223;ST=32;CN=1000;PW=123456;MN=010000A8900016F000169DC0;Flag=5;CP=&&OverTime=5;ReCount=3&&",
        0xCAC1,
    ),
    (
        b"QN=20160801085857223;ST=91;CN=9011;PW=123456;MN=010000A8900016F000169DC0;Flag=4;CP=&&QnRtn=1&&",
        0x1B00,
    ),
    (
        b"QN=20160801085857223;ST=91;CN=9012;PW=123456;MN=010000A8900016F000169DC0;Flag=4;CP=&&ExeRtn=1&&",
        0x6240,
    ),
    (b"QN=20160801085000001;ST=91;CN=9014;PW=123456;MN=010000A8900016F000169DC0;Flag=4;CP=&&&&", 0xC241),
    (
        b"QN=20160801085857223;ST=32;CN=1013;PW=123456;MN=010000A8900016F000169DC0;Flag=5;CP=&&PolId=w01018&&",
        0xCAC1,
    ),
    (b"QN=20160801085857223;ST=91;CN=9013;PW=123456;MN=010000A8900016F000169DC0;Flag=4;CP=&&&&", 0x2A80),
    (
        "QN=20160801085857223;ST=32;CN=3020;PW=123456;MN=010000A8900016F000169DC0;Flag=5;"
        "CP=&&DataTime=20100301145000;PolId=w01018;i11001-Info=//清洗管路//&&".encode(),
        0x9741,
    ),
    (
        b"ST=32;CN=2011;PW=123456;MN=LD130133000015;CP=&&DataTime=20160824003817;B01-Rtd=36.91;"
        b"011-Rtd=231.0,011-Flag=N;060-Rtd=1.803,060-Flag=N&&",
        0x3C00,
    ),
]


def test_appendix_a_is_1c80_not_modbus_0759() -> None:
    assert crc16_hj212(APPENDIX_A_SEGMENT) == 0x1C80
    assert crc16_hj212_reference(APPENDIX_A_SEGMENT) == 0x1C80
    assert crc16_modbus(APPENDIX_A_SEGMENT) == 0x0759  # the common bug gives this


@pytest.mark.parametrize(("segment", "crc"), VECTORS)
def test_reference_vectors(segment: bytes, crc: int) -> None:
    assert crc16_hj212(segment) == crc
    assert crc16_hj212_reference(segment) == crc


def test_modbus_swapped_of_real_capture() -> None:
    # reference §2.4: declared A6EC is Modbus 0xECA6 printed low byte first
    segment = b"ABC"
    assert crc16_modbus_swapped(segment) == int.from_bytes(crc16_modbus(segment).to_bytes(2, "little"), "big")
    assert CrcVariant.MODBUS_SWAPPED.compute(segment) == crc16_modbus_swapped(segment)


@given(st.binary(max_size=600))
def test_fast_path_equals_appendix_a_loop(data: bytes) -> None:
    assert crc16_hj212(data) == crc16_hj212_reference(data)


@given(st.binary(min_size=1, max_size=200))
def test_crc_is_one_of_the_256_table_values(data: bytes) -> None:
    # reference §2: new = T[(old >> 8) ^ b], so the result is always an entry of T
    assert crc16_hj212(data) in HJ212_CRC_VALUES
    assert len(HJ212_CRC_VALUES) == 256 == len(CRC_TABLE)


@given(st.binary(min_size=1, max_size=300), st.data())
def test_every_single_byte_change_changes_the_crc(data: bytes, draw: st.DataObject) -> None:
    position = draw.draw(st.integers(0, len(data) - 1))
    new = draw.draw(st.integers(0, 255).filter(lambda b: b != data[position]))
    corrupted = data[:position] + bytes([new]) + data[position + 1 :]
    assert crc16_hj212(corrupted) != crc16_hj212(data)
