"""The Appendix A example decodes and re-encodes (HJ 212-2017 Appendix A)."""

from greenport.protocol import crc16_hj212, decode, encode

APPENDIX_A = (
    b"##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;"
    b"Flag=5;CP=&&RtdInterval=30&&1C80\r\n"
)


def test_appendix_a_round_trip() -> None:
    assert crc16_hj212(APPENDIX_A[6:-6]) == 0x1C80
    assert encode(decode(APPENDIX_A)) == APPENDIX_A
