"""Golden (frame, message) pairs: frames copied from the monitoring reference §2.1-2.2, messages
written by hand from the frame text (never produced by the decoder under test).

``ROUND_TRIP`` frames are in canonical form (upper-case CRC, shortest numbers), so one table
drives both ``decode(frame) == message`` and ``encode(message) == frame``. ``DECODE_ONLY``
frames are valid but not canonical (lower-case CRC, ``2.69700``, a 17-digit DataTime...).
"""

from __future__ import annotations

from datetime import datetime

from greenport.kernel.time import CHINA_TZ
from greenport.protocol import CP, Message

MN = "010000A8900016F000169DC0"
QN = "20160801085857223"


def t(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=CHINA_TZ)  # type: ignore[misc]


def fields(**values: object) -> dict[str, object]:
    return dict(values)


# E1-E9: HJ 212-2017 text (reference §2.1); R1, R4: public repositories (reference §2.2).
ROUND_TRIP: list[tuple[str, bytes, Message]] = [
    (
        "E1 Appendix A, CN 1062",
        b"##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;"
        b"CP=&&RtdInterval=30&&1C80\r\n",
        Message(qn=QN, st="32", cn="1062", pw="100000", mn=MN, flag=5, cp=CP(params={"RtdInterval": "30"})),
    ),
    (
        "E2 C.1 set timeout",
        b"##0107QN=20160801085857223;ST=32;CN=1000;PW=123456;MN=010000A8900016F000169DC0;Flag=5;"
        b"CP=&&OverTime=5;ReCount=3&&CAC1\r\n",
        Message(
            qn=QN,
            st="32",
            cn="1000",
            pw="123456",
            mn=MN,
            flag=5,
            cp=CP(params={"OverTime": "5", "ReCount": "3"}),
        ),
    ),
    (
        "E3 C.1 request reply",
        b"##0094QN=20160801085857223;ST=91;CN=9011;PW=123456;MN=010000A8900016F000169DC0;Flag=4;"
        b"CP=&&QnRtn=1&&1B00\r\n",
        Message(qn=QN, st="91", cn="9011", pw="123456", mn=MN, flag=4, cp=CP(params={"QnRtn": "1"})),
    ),
    (
        "E4 C.1 execution result",
        b"##0095QN=20160801085857223;ST=91;CN=9012;PW=123456;MN=010000A8900016F000169DC0;Flag=4;"
        b"CP=&&ExeRtn=1&&6240\r\n",
        Message(qn=QN, st="91", cn="9012", pw="123456", mn=MN, flag=4, cp=CP(params={"ExeRtn": "1"})),
    ),
    (
        "E5 C.16 data reply",
        b"##0087QN=20160801085000001;ST=91;CN=9014;PW=123456;MN=010000A8900016F000169DC0;Flag=4;"
        b"CP=&&&&C241\r\n",
        Message(qn="20160801085000001", st="91", cn="9014", pw="123456", mn=MN, flag=4),
    ),
    (
        "E6 C.21 hourly history request",
        b"##0134QN=20160801085857223;ST=32;CN=2061;PW=123456;MN=010000A8900016F000169DC0;Flag=5;"
        b"CP=&&BeginTime=20160801080000;EndTime=20160801080000&&7EC0\r\n",
        Message(
            qn=QN,
            st="32",
            cn="2061",
            pw="123456",
            mn=MN,
            flag=5,
            cp=CP(params={"BeginTime": t(2016, 8, 1, 8, 0, 0), "EndTime": t(2016, 8, 1, 8, 0, 0)}),
        ),
    ),
    (
        "E7 C.4 time-calibration notify",
        b"##0099QN=20160801085857223;ST=32;CN=1013;PW=123456;MN=010000A8900016F000169DC0;Flag=5;"
        b"CP=&&PolId=w01018&&CAC1\r\n",
        Message(qn=QN, st="32", cn="1013", pw="123456", mn=MN, flag=5, cp=CP(params={"PolId": "w01018"})),
    ),
    (
        "E7 C.4 notify reply",
        b"##0087QN=20160801085857223;ST=91;CN=9013;PW=123456;MN=010000A8900016F000169DC0;Flag=4;"
        b"CP=&&&&2A80\r\n",
        Message(qn=QN, st="91", cn="9013", pw="123456", mn=MN, flag=4),
    ),
    (
        "E8 C.40 log upload, UTF-8 (152 bytes)",
        "##0152QN=20160801085857223;ST=32;CN=3020;PW=123456;MN=010000A8900016F000169DC0;Flag=5;"
        "CP=&&DataTime=20100301145000;PolId=w01018;i11001-Info=//清洗管路//&&9741\r\n".encode(),
        Message(
            qn=QN,
            st="32",
            cn="3020",
            pw="123456",
            mn=MN,
            flag=5,
            cp=CP(
                data_time=t(2010, 3, 1, 14, 50, 0),
                params={"PolId": "w01018"},
                factors={"i11001": {"Info": "//清洗管路//"}},
            ),
        ),
    ),
    (
        "E9 C.16 minute data",
        b"##0325QN=20160801085000001;ST=32;CN=2051;PW=123456;MN=010000A8900016F000169DC0;Flag=5;"
        b"CP=&&DataTime=20160801084000;w00000-Cou=10.5,w00000-Min=16.4,w00000-Avg=17.5,w00000-Max=20.1,"
        b"w00000-Flag=N;w01001-Min=7.1,w01001-Avg=7.5,w01001-Max=7.8,w01001-Flag=N;w01018-Cou=10.5,"
        b"w01018-Min=40.1,w01018-Avg=40.1,w01018-Max=40.1,w01018-Flag=N&&6180\r\n",
        Message(
            qn="20160801085000001",
            st="32",
            cn="2051",
            pw="123456",
            mn=MN,
            flag=5,
            cp=CP(
                data_time=t(2016, 8, 1, 8, 40, 0),
                factors={
                    "w00000": {"Cou": 10.5, "Min": 16.4, "Avg": 17.5, "Max": 20.1, "Flag": "N"},
                    "w01001": {"Min": 7.1, "Avg": 7.5, "Max": 7.8, "Flag": "N"},
                    "w01018": {"Cou": 10.5, "Min": 40.1, "Avg": 40.1, "Max": 40.1, "Flag": "N"},
                },
            ),
        ),
    ),
    (
        "R1 flash520/hj212 real air station, ST=22",
        b"##0411QN=20220513162608370;ST=22;CN=2051;PW=123456;MN=JLYP01_AIR01_0001;Flag=4;"
        b"CP=&&DataTime=20220513162600;a21004-Avg=4,a21004-Flag=N;a05024-Avg=63,a05024-Flag=N;"
        b"a21026-Avg=6,a21026-Flag=N;a21005-Avg=0.427,a21005-Flag=N;a34004-Avg=14,a34004-Flag=N;"
        b"a34002-Avg=31,a34002-Flag=N;a01007-Avg=1,a01007-Flag=N;a01008-Avg=11,a01008-Flag=N;"
        b"a01001-Avg=17,a01001-Flag=N;a01002-Avg=85,a01002-Flag=N;a01006-Avg=95,a01006-Flag=N&&D641\r\n",
        Message(
            qn="20220513162608370",
            st="22",
            cn="2051",
            pw="123456",
            mn="JLYP01_AIR01_0001",
            flag=4,
            cp=CP(
                data_time=t(2022, 5, 13, 16, 26, 0),
                factors={
                    "a21004": {"Avg": 4.0, "Flag": "N"},
                    "a05024": {"Avg": 63.0, "Flag": "N"},
                    "a21026": {"Avg": 6.0, "Flag": "N"},
                    "a21005": {"Avg": 0.427, "Flag": "N"},
                    "a34004": {"Avg": 14.0, "Flag": "N"},
                    "a34002": {"Avg": 31.0, "Flag": "N"},
                    "a01007": {"Avg": 1.0, "Flag": "N"},
                    "a01008": {"Avg": 11.0, "Flag": "N"},
                    "a01001": {"Avg": 17.0, "Flag": "N"},
                    "a01002": {"Avg": 85.0, "Flag": "N"},
                    "a01006": {"Avg": 95.0, "Flag": "N"},
                },
            ),
        ),
    ),
]

DECODE_ONLY: list[tuple[str, bytes, Message]] = [
    (
        "R2 IceCoffee.HJ212 README, five-decimal values",
        b"##0285QN=20190925181031464;ST=22;CN=2061;PW=BF470F88957588DE902D1A52;MN=Z13401000010301;Flag=5;"
        b"CP=&&DataTime=20190924220000;a34006-Avg=2.69700,a34006-Flag=N;a34007-Avg=7.96600,a34007-Flag=N;"
        b"a34048-Avg=3.30600,a34048-Flag=N;a34047-Avg=7.35700,a34047-Flag=N;a34049-Avg=10.66300,"
        b"a34049-Flag=N&&C181\r\n",
        Message(
            qn="20190925181031464",
            st="22",
            cn="2061",
            pw="BF470F88957588DE902D1A52",
            mn="Z13401000010301",
            flag=5,
            cp=CP(
                data_time=t(2019, 9, 24, 22, 0, 0),
                factors={
                    "a34006": {"Avg": 2.697, "Flag": "N"},
                    "a34007": {"Avg": 7.966, "Flag": "N"},
                    "a34048": {"Avg": 3.306, "Flag": "N"},
                    "a34047": {"Avg": 7.357, "Flag": "N"},
                    "a34049": {"Avg": 10.663, "Flag": "N"},
                },
            ),
        ),
    ),
    (
        "R3 alltobs-hj212 README, surface water, Flag=8, lower-case CRC",
        b"##0435QN=20210301111100112;ST=21;CN=2011;PW=123456;MN=ZLDSZ20210127;Flag=8;"
        b"CP=&&DataTime=20210301111100;w01001-Rtd=8.33,w01001-Flag=N;w01009-Rtd=10.15,w01009-Flag=N;"
        b"w01010-Rtd=9.7,w01010-Flag=N;w01014-Rtd=1425,w01014-Flag=N;w01003-Rtd=13.10,w01003-Flag=N;"
        b"w21011-Rtd=0,w21011-Flag=N;w21001-Rtd=3.563168,w21001-Flag=N;w21003-Rtd=0.09055002,"
        b"w21003-Flag=N;w01019-Rtd=4.102818,w01019-Flag=N;w01008-Rtd=0,w01008-Flag=N;w23002-Rtd=0,"
        b"w23002-Flag=N&&7d00\r\n",
        Message(
            qn="20210301111100112",
            st="21",
            cn="2011",
            pw="123456",
            mn="ZLDSZ20210127",
            flag=8,
            cp=CP(
                data_time=t(2021, 3, 1, 11, 11, 0),
                factors={
                    "w01001": {"Rtd": 8.33, "Flag": "N"},
                    "w01009": {"Rtd": 10.15, "Flag": "N"},
                    "w01010": {"Rtd": 9.7, "Flag": "N"},
                    "w01014": {"Rtd": 1425.0, "Flag": "N"},
                    "w01003": {"Rtd": 13.1, "Flag": "N"},
                    "w21011": {"Rtd": 0.0, "Flag": "N"},
                    "w21001": {"Rtd": 3.563168, "Flag": "N"},
                    "w21003": {"Rtd": 0.09055002, "Flag": "N"},
                    "w01019": {"Rtd": 4.102818, "Flag": "N"},
                    "w01008": {"Rtd": 0.0, "Flag": "N"},
                    "w23002": {"Rtd": 0.0, "Flag": "N"},
                },
            ),
        ),
    ),
    (
        "R4 hj-212-parser, 9014 with lower-case CRC",
        b"##0087QN=20201015123632010;ST=91;CN=9014;PW=123456;MN=410183160889201000212505;Flag=4;CP=&&&&f001\r\n",
        Message(
            qn="20201015123632010", st="91", cn="9014", pw="123456", mn="410183160889201000212505", flag=4
        ),
    ),
    (
        "R5 hj-t212-parser, 2005 style: no QN, no Flag, old codes, DataTime with ms",
        b"##0139ST=32;CN=2011;PW=123456;MN=LD130133000015;CP=&&DataTime=20160824003817000;B01-Rtd=36.91;"
        b"011-Rtd=231.0,011-Flag=N;060-Rtd=1.803,060-Flag=N&&4980\r\n",
        Message(
            st="32",
            cn="2011",
            pw="123456",
            mn="LD130133000015",
            cp=CP(
                data_time=t(2016, 8, 24, 0, 38, 17),
                factors={
                    "B01": {"Rtd": 36.91},
                    "011": {"Rtd": 231.0, "Flag": "N"},
                    "060": {"Rtd": 1.803, "Flag": "N"},
                },
            ),
        ),
    ),
    (
        "R6 hj-t212-parser re-serialisation, lower-case CRC",
        b"##0136ST=32;CN=2011;PW=000000;MN=LD130133000015;CP=&&DataTime=20160824003817;011-Rtd=231.0,"
        b"011-Flag=N;B01-Rtd=36.91;060-Rtd=1.803,060-Flag=N&&1dc0\r\n",
        Message(
            st="32",
            cn="2011",
            pw="000000",
            mn="LD130133000015",
            cp=CP(
                data_time=t(2016, 8, 24, 0, 38, 17),
                factors={
                    "011": {"Rtd": 231.0, "Flag": "N"},
                    "B01": {"Rtd": 36.91},
                    "060": {"Rtd": 1.803, "Flag": "N"},
                },
            ),
        ),
    ),
]

#: Frames that must be rejected, with the error class name and field (reference §2.3).
REJECTED: list[tuple[str, bytes, str, str]] = [
    (
        "hj-t212-parser README variant: CRC 4980 wrong (correct 3C00)",
        b"##0136ST=32;CN=2011;PW=123456;MN=LD130133000015;CP=&&DataTime=20160824003817;B01-Rtd=36.91;"
        b"011-Rtd=231.0,011-Flag=N;060-Rtd=1.803,060-Flag=N&&4980\r\n",
        "CrcError",
        "CRC",
    ),
]
