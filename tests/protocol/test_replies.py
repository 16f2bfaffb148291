"""Reply and command builders reproduce the standard's own examples (HJ 212-2017 Appendix C)."""

from __future__ import annotations

from datetime import datetime

import pytest

from greenport.kernel.time import CHINA_TZ
from greenport.protocol import (
    CP,
    Edition,
    EncodeError,
    ExeRtn,
    Message,
    QnRtn,
    command,
    data_reply,
    data_upload,
    decode,
    decode_segment,
    encode,
    execution_result,
    heartbeat,
    history_request,
    make_flag,
    make_qn,
    notify_reply,
    reply_for,
    request_reply,
    time_query,
    time_set,
)
from tests.protocol.golden import MN, QN, ROUND_TRIP

FRAME = {
    name.split()[0] + ("b" if "reply" in name and name.startswith("E7") else ""): f
    for name, f, _ in ROUND_TRIP
}
E1, E2, E3, E4, E5, E6, E7, E7B, E9 = (
    FRAME["E1"],
    FRAME["E2"],
    FRAME["E3"],
    FRAME["E4"],
    FRAME["E5"],
    FRAME["E6"],
    FRAME["E7"],
    FRAME["E7b"],
    FRAME["E9"],
)


def test_request_reply_and_execution_result_of_c1() -> None:
    request = decode(E2)  # C.1: set timeout, Flag=5
    assert encode(request_reply(request)) == E3
    assert encode(execution_result(request)) == E4
    refused = request_reply(request, QnRtn.PW_ERROR)
    assert refused.cp.params == {"QnRtn": "3"} and refused.flag == 4
    assert execution_result(request, ExeRtn.NO_DATA).cp.params == {"ExeRtn": "100"}


def test_data_reply_of_c16() -> None:
    upload = decode(E9)  # C.16 minute data, Flag=5: wants a 9014 with the same QN
    assert encode(data_reply(upload)) == E5
    assert reply_for(upload) == data_reply(upload)


def test_notify_reply_of_c4() -> None:
    notice = decode(E7)  # C.4 1013 time-calibration request
    assert encode(notify_reply(notice)) == E7B
    assert reply_for(notice) == notify_reply(notice)


def test_history_request_of_c21() -> None:
    hour = datetime(2016, 8, 1, 8, 0, tzinfo=CHINA_TZ)
    request = history_request("2061", st="32", mn=MN, pw="123456", qn=QN, begin=hour, end=hour)
    assert encode(request) == E6


def test_history_request_refuses_non_history_cn_and_reversed_range() -> None:
    hour = datetime(2016, 8, 1, 8, 0, tzinfo=CHINA_TZ)
    with pytest.raises(EncodeError) as info:
        history_request("2011", st="32", mn=MN, pw="1", qn=QN, begin=hour, end=hour)
    assert "2051" in str(info.value)
    with pytest.raises(EncodeError):
        history_request("2051", st="32", mn=MN, pw="1", qn=QN, begin=hour, end=hour.replace(hour=7))


def test_time_commands_of_c2_c3() -> None:
    query = time_query(st="32", mn=MN, pw="123456", qn=QN, pol_id="w01018")
    expected_query = (
        "QN=20160801085857223;ST=32;CN=1011;PW=123456;MN=010000A8900016F000169DC0;Flag=5;CP=&&PolId=w01018&&"
    )
    assert query == decode_segment(expected_query)
    setting = time_set(
        st="32",
        mn=MN,
        pw="123456",
        qn=QN,
        pol_id="w01018",
        system_time=datetime(2016, 8, 1, 8, 58, 57, tzinfo=CHINA_TZ),
    )
    expected_set = (
        "QN=20160801085857223;ST=32;CN=1012;PW=123456;MN=010000A8900016F000169DC0;Flag=5;"
        "CP=&&PolId=w01018;SystemTime=20160801085857&&"
    )
    assert setting == decode_segment(expected_set)


def test_command_rtd_interval_is_appendix_a() -> None:
    message = command("1062", st="32", mn=MN, pw="100000", qn=QN, params={"RtdInterval": "30"})
    assert encode(message) == E1


def test_reply_for_uploads_without_ack_and_other_messages() -> None:
    upload = decode(E9)
    quiet = Message(
        qn=upload.qn, st=upload.st, cn=upload.cn, pw=upload.pw, mn=upload.mn, flag=4, cp=upload.cp
    )
    assert reply_for(quiet) is None
    assert reply_for(decode(E5)) is None  # a 9014 is not answered
    assert reply_for(decode(E1)) is None  # a request from the upper computer carries no data


def test_replies_keep_the_senders_version_bits() -> None:
    upload_2025 = data_upload(
        st="22",
        cn="2011",
        mn="M",
        pw="1",
        qn="20260101000000000",
        data_time=datetime(2026, 1, 1, tzinfo=CHINA_TZ),
        factors={"a34004": {"Rtd": 12, "Flag": "N"}},
        edition=Edition.HJ212_2025,
    )
    assert upload_2025.flag == 9
    assert data_reply(upload_2025).flag == 8
    legacy = decode_segment("ST=32;CN=2011;PW=1;MN=M;CP=&&DataTime=20160801000000;011-Rtd=1&&")
    assert data_reply(legacy).flag is None and data_reply(legacy).qn is None


def test_heartbeat_2025_is_answered_with_9013() -> None:
    beat = heartbeat(st="22", mn="M", pw="1", qn="20260101000000000")
    assert (beat.cn, beat.flag, beat.edition) == ("9015", 9, Edition.HJ212_2025)
    answer = reply_for(beat)
    assert answer is not None and (answer.cn, answer.st, answer.flag, answer.qn) == ("9013", "91", 8, beat.qn)
    assert reply_for(heartbeat(st="22", mn="M", pw="1", ack=False)) is None
    assert decode(encode(beat)) == beat


def test_data_upload_normalises_numbers() -> None:
    message = data_upload(
        st="32",
        cn="2051",
        mn="M",
        pw="1",
        data_time=datetime(2016, 8, 1, 8, 40, tzinfo=CHINA_TZ),
        factors={"w01018": {"Avg": "40.1", "Cou": 10, "Flag": "N"}},
    )
    assert message.cp.factors["w01018"] == {"Avg": 40.1, "Cou": 10.0, "Flag": "N"}
    assert message.flag == make_flag(Edition.HJ212_2017, ack=True) == 5
    assert decode(encode(message)) == message
    with pytest.raises(EncodeError):
        data_upload(
            st="32", cn="2051", mn="M", pw="1", data_time=datetime(2016, 1, 1), factors={"a": {"Avg": "x"}}
        )


def test_make_qn() -> None:
    assert make_qn(datetime(2016, 8, 1, 8, 58, 57, 223000, tzinfo=CHINA_TZ)) == QN
    assert make_qn(datetime(2016, 8, 1, 8, 58, 57, tzinfo=CHINA_TZ)) == "20160801085857000"


def test_empty_cp_reply_round_trips() -> None:
    assert decode(encode(notify_reply(decode(E7)))).cp == CP()
