"""decode/encode against the golden table (one table drives both directions), plus the
leniency and strictness rules of the codec (monitoring reference §1.12)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from greenport.kernel.time import CHINA_TZ
from greenport.protocol import (
    CP,
    CrcError,
    CrcVariant,
    Edition,
    EncodeError,
    FieldValueError,
    FormatError,
    FramingError,
    LengthError,
    Message,
    ProtocolError,
    QnRtn,
    decode,
    decode_segment,
    encode,
    message_from_dict,
    message_to_dict,
)
from greenport.protocol.crc import crc16_hj212_reference, crc16_modbus_swapped
from tests.protocol.golden import DECODE_ONLY, REJECTED, ROUND_TRIP


def frame_of(segment: str, *, crc: str | None = None, length: int | None = None, tail: str = "\r\n") -> bytes:
    """A frame around ``segment`` with the CRC of the (independent) reference implementation."""
    data = segment.encode("utf-8")
    code = f"{crc16_hj212_reference(data):04X}" if crc is None else crc
    return f"##{len(data) if length is None else length:04d}".encode() + data + code.encode() + tail.encode()


@pytest.mark.parametrize(("name", "frame", "message"), ROUND_TRIP + DECODE_ONLY, ids=lambda v: str(v)[:24])
def test_decode_golden(name: str, frame: bytes, message: Message) -> None:
    assert decode(frame) == message


@pytest.mark.parametrize(("name", "frame", "message"), ROUND_TRIP, ids=lambda v: str(v)[:24])
def test_encode_golden(name: str, frame: bytes, message: Message) -> None:
    assert encode(message) == frame


@pytest.mark.parametrize(("name", "frame", "message"), ROUND_TRIP + DECODE_ONLY, ids=lambda v: str(v)[:24])
def test_decode_encode_decode(name: str, frame: bytes, message: Message) -> None:
    assert decode(encode(decode(frame))) == message


@pytest.mark.parametrize(("name", "frame", "error", "field"), REJECTED, ids=lambda v: str(v)[:24])
def test_rejected_golden(name: str, frame: bytes, error: str, field: str) -> None:
    with pytest.raises(ProtocolError) as info:
        decode(frame)
    assert type(info.value).__name__ == error
    assert info.value.field == field


def test_crc_mismatch_names_both_crcs_and_hints_qnrtn_9() -> None:
    frame = REJECTED[0][1]
    with pytest.raises(CrcError) as info:
        decode(frame)
    assert info.value.reply_hint == QnRtn.CRC_ERROR == 9
    assert info.value.details["computed"] == "3C00"
    assert info.value.raw == frame
    assert info.value.to_dict()["field"] == "CRC"


def test_without_crlf_and_with_lf_only() -> None:
    frame = ROUND_TRIP[0][1]
    assert decode(frame[:-2]) == decode(frame) == decode(frame[:-2] + b"\n")
    assert decode(frame.decode()) == decode(frame)


# -- flags and editions (HJ 212-2017 Table 3; 2025 bits UNVERIFIED) ---------------------------


@pytest.mark.parametrize(
    ("flag", "edition", "ack", "packets"),
    [
        (None, Edition.HJT212_2005, False, False),
        (0, Edition.HJT212_2005, False, False),
        (1, Edition.HJT212_2005, True, False),
        (4, Edition.HJ212_2017, False, False),
        (5, Edition.HJ212_2017, True, False),
        (6, Edition.HJ212_2017, False, True),
        (7, Edition.HJ212_2017, True, True),
        (8, Edition.HJ212_2025, False, False),
        (9, Edition.HJ212_2025, True, False),
        (12, None, False, False),
    ],
)
def test_flag_bits(flag: int | None, edition: Edition | None, ack: bool, packets: bool) -> None:
    flag_item = "" if flag is None else f"Flag={flag};"
    message = decode(frame_of(f"QN=20160801085857223;ST=32;CN=2011;PW=1;MN=M;{flag_item}CP=&&&&"))
    assert (message.flag, message.edition, message.ack_requested, message.has_packets) == (
        flag,
        edition,
        ack,
        packets,
    )


def test_split_packet_fields() -> None:
    segment = (
        "QN=20160801085857535;ST=32;CN=2061;PW=123456;MN=M;Flag=7;PNUM=2;PNO=2;"
        "CP=&&DataTime=20160801080000;w01018-Avg=40.1&&"
    )
    message = decode(frame_of(segment))
    assert (message.pnum, message.pno, message.has_packets) == (2, 2, True)
    # PNO before PNUM is tolerated (reference §1.12); encoding puts them in Table 3 order
    swapped = decode(frame_of(segment.replace("PNUM=2;PNO=2", "PNO=2;PNUM=2")))
    assert swapped == message
    assert encode(swapped) == frame_of(segment)


# -- lenient where the field is messy --------------------------------------------------------


def test_semicolons_everywhere_and_trailing_semicolon() -> None:
    message = decode(
        frame_of(
            "ST=22;CN=2011;PW=123456;MN=8888888826462285;CP=&&DataTime=20211006030527;"
            "TEMP-Rtd=22.0;HUMI-Rtd=43.5;PM25-Rtd=2.0;PM25-Flag=N;&&"
        )
    )
    assert message.cp.factors == {
        "TEMP": {"Rtd": 22.0},
        "HUMI": {"Rtd": 43.5},
        "PM25": {"Rtd": 2.0, "Flag": "N"},
    }
    assert message.qn is None and message.flag is None


def test_missing_qn_flag_and_pw_2005_style() -> None:
    message = decode(frame_of("ST=32;CN=2011;MN=LD130133000015;CP=&&DataTime=20160824003817;011-Rtd=231&&"))
    assert (message.qn, message.pw, message.flag, message.edition) == (None, None, None, Edition.HJT212_2005)
    assert message.cp.factors["011"]["Rtd"] == 231.0


def test_stray_spaces_missing_semicolon_and_commas_in_header() -> None:
    message = decode(
        frame_of(
            "QN=20160801085857534,ST=32;CN=2041;PW=123456;MN=M; Flag=5CP=&& DataTime=20160801000000;"
            "SB1-RT=1.1 ;i12003-Info =0;BeginTime=20160801000000,EndTime=20160801000000 &&"
        )
    )
    assert message.qn == "20160801085857534" and message.flag == 5
    assert message.cp.factors == {"SB1": {"RT": 1.1}, "i12003": {"Info": "0"}}
    assert message.cp.params["EndTime"] == datetime(2016, 8, 1, tzinfo=CHINA_TZ)


def test_lower_case_and_unpadded_crc() -> None:
    segment = "ST=32;CN=2011;PW=1;MN=M;CP=&&a-Rtd=1&&"
    crc = crc16_hj212_reference(segment.encode())
    assert decode(frame_of(segment, crc=f"{crc:04x}")) == decode(frame_of(segment))
    # find a segment whose CRC is below 0x1000 and send it without the leading zero (seen: "880")
    for i in range(2000):
        segment = f"ST=32;CN=2011;PW=1;MN=M{i};CP=&&a-Rtd=1&&"
        crc = crc16_hj212_reference(segment.encode())
        if crc < 0x1000:
            break
    message = decode(frame_of(segment, crc=f"{crc:X}"))
    assert "CRC not zero-padded" in message.notes


def test_length_counted_in_characters_is_accepted() -> None:
    segment = "ST=32;CN=3020;PW=1;MN=M;CP=&&i11001-Info=//清洗管路//&&"
    message = decode(frame_of(segment, length=len(segment)))
    assert message.cp.factors["i11001"]["Info"] == "//清洗管路//"
    assert "length counts characters, not bytes" in message.notes


def test_info_text_may_hold_separators() -> None:
    segment = "ST=32;CN=3020;PW=1;MN=M;CP=&&DataTime=20160801062035;i11001-Info=//a;b,c//;PolId=w01018&&"
    message = decode(frame_of(segment))
    assert message.cp.factors["i11001"]["Info"] == "//a;b,c//"
    assert message.cp.params == {"PolId": "w01018"}
    assert decode(encode(message)) == message


def test_negative_numbers_and_exponents() -> None:
    message = decode(frame_of("ST=31;CN=2061;PW=1;MN=M;CP=&&S08-Min=-0.4643,S08-Max=0.0000;x-Avg=1e-3&&"))
    assert message.cp.factors == {"S08": {"Min": -0.4643, "Max": 0.0}, "x": {"Avg": 0.001}}


def test_gb18030_text_is_tolerated() -> None:
    segment = "ST=32;CN=3020;PW=1;MN=M;CP=&&i11001-Info=//清洗管路//&&".encode("gb18030")
    frame = b"##%04d" % len(segment) + segment + b"%04X\r\n" % crc16_hj212_reference(segment)
    message = decode(frame)
    assert message.cp.factors["i11001"]["Info"] == "//清洗管路//"
    assert "text decoded as GB18030, not UTF-8" in message.notes


# -- strict where it matters -----------------------------------------------------------------


def test_length_mismatch() -> None:
    segment = "QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=M;Flag=5;CP=&&RtdInterval=30&&"
    for wrong in (len(segment) - 1, len(segment) + 1, len(segment) + 4, 0):
        with pytest.raises(LengthError) as info:
            decode(frame_of(segment, length=wrong))
        assert info.value.field == "length"


def test_length_not_digits() -> None:
    with pytest.raises(LengthError):
        decode(b"##01a1QN=1;ST=32;CN=1;MN=M;CP=&&&&1C80\r\n")


def test_no_header() -> None:
    with pytest.raises(FramingError):
        decode(ROUND_TRIP[0][1][2:])


def test_crc_variant_only_when_allowed() -> None:
    segment = b"ST=31;CN=2011;PW=123456;MN=4201003;CP=&&DataTime=20200923111707;a-Rtd=1&&"
    frame = b"##%04d%s%04X\r\n" % (len(segment), segment, crc16_modbus_swapped(segment))
    with pytest.raises(CrcError):
        decode(frame)
    message = decode(frame, allow_crc_variants={CrcVariant.MODBUS_SWAPPED})
    assert message.crc_variant is CrcVariant.MODBUS_SWAPPED
    assert encode(message) == frame  # re-encoded with the variant it came with
    assert decode(frame, allow_crc_variants={CrcVariant.MODBUS_SWAPPED}).crc_variant == "modbus-swapped"
    assert (
        decode(ROUND_TRIP[0][1], allow_crc_variants={CrcVariant.MODBUS_SWAPPED}).crc_variant
        is CrcVariant.HJ212
    )


@pytest.mark.parametrize(
    ("cp", "field"),
    [
        ("DataTime=20161301084000", "DataTime"),
        ("DataTime=2016080108400", "DataTime"),
        ("DataTime=20160801256000", "DataTime"),
        ("DataTime=2016-08-01", "DataTime"),
        ("DataTime=", "DataTime"),
        ("w01018-Rtd=abc", "w01018-Rtd"),
        ("w01018-Rtd=", "w01018-Rtd"),
        ("w01018-Rtd=nan", "w01018-Rtd"),
        ("w01018-Avg=inf", "w01018-Avg"),
        ("w01018-Avg=1_000", "w01018-Avg"),
        ("w01018-Avg=١٢", "w01018-Avg"),
        ("w01018-SampleTime=2016", "w01018-SampleTime"),
        ("BeginTime=20160899000000", "BeginTime"),
    ],
)
def test_bad_values_name_the_field(cp: str, field: str) -> None:
    with pytest.raises(FieldValueError) as info:
        decode(frame_of(f"QN=20160801085857223;ST=32;CN=2051;PW=1;MN=M;Flag=5;CP=&&{cp}&&"))
    assert info.value.field == field


@pytest.mark.parametrize(
    ("header", "error", "field", "hint"),
    [
        ("QN=2016080108585722X;ST=32;CN=2011;MN=M;", FieldValueError, "QN", QnRtn.QN_ERROR),
        ("ST=3-2;CN=2011;MN=M;", FieldValueError, "ST", QnRtn.ST_ERROR),
        ("ST=32;CN=20a1;MN=M;", FieldValueError, "CN", QnRtn.CN_ERROR),
        ("ST=32;CN=2011;MN=M;Flag=256;", FieldValueError, "Flag", QnRtn.FLAG_ERROR),
        ("ST=32;CN=2011;MN=M;Flag=x;", FieldValueError, "Flag", QnRtn.FLAG_ERROR),
        ("CN=2011;MN=M;", FormatError, "ST", QnRtn.ST_ERROR),
        ("ST=32;MN=M;", FormatError, "CN", QnRtn.CN_ERROR),
        ("ST=32;CN=2011;", FormatError, "MN", QnRtn.MN_ERROR),
        ("ST=32;CN=2011;MN=M;XX=1;", FormatError, "XX", QnRtn.REJECTED),
        ("ST=32;ST=32;CN=2011;MN=M;", FormatError, "ST", QnRtn.REJECTED),
    ],
)
def test_bad_header(header: str, error: type[ProtocolError], field: str, hint: QnRtn) -> None:
    with pytest.raises(error) as info:
        decode(frame_of(header + "CP=&&&&"))
    assert (info.value.field, info.value.reply_hint) == (field, hint)


@pytest.mark.parametrize(
    "segment",
    ["ST=32;CN=2011;MN=M", "ST=32;CN=2011;MN=M;CP=&&a-Rtd=1", "ST=32;CP=&&x&&", "ST=32;CN=1;MN=M;CP=&&&=&&"],
)
def test_bad_syntax(segment: str) -> None:
    with pytest.raises(FormatError):
        decode_segment(segment)


def test_protocol_error_is_a_value_error_and_pickles() -> None:
    import pickle

    with pytest.raises(ValueError):
        decode(b"garbage")
    error = CrcError("x", field="CRC", raw=b"abc")
    again = pickle.loads(pickle.dumps(error))
    assert (type(again), again.field, again.raw, again.reply_hint) == (
        CrcError,
        "CRC",
        b"abc",
        QnRtn.CRC_ERROR,
    )


# -- encoding ------------------------------------------------------------------------------------


def test_message_by_position_in_table_3_order() -> None:
    _name, frame, message = ROUND_TRIP[0]
    positional = Message("20160801085857223", "32", "1062", "100000", message.mn, 5, None, None, message.cp)
    assert positional == message and encode(positional) == frame
    with pytest.raises(TypeError, match="cn, mn"):
        Message(st="32")


def test_encode_times_in_china_time() -> None:
    moment = datetime(2016, 8, 1, 0, 40, tzinfo=UTC)  # 08:40 in Beijing
    message = Message(st="32", cn="2051", mn="M", cp=CP(data_time=moment, factors={"a": {"Avg": 1.5}}))
    assert b"DataTime=20160801084000;a-Avg=1.5" in encode(message)
    assert decode(encode(message)).data_time == moment
    naive = Message(st="32", cn="2051", mn="M", cp=CP(data_time=datetime(2016, 8, 1, 8, 40)))
    assert b"DataTime=20160801084000" in encode(naive)


@pytest.mark.parametrize(
    "message",
    [
        Message(st="32", cn="2011", mn="a;b"),
        Message(st="3 2", cn="2011", mn="M"),
        Message(st="32", cn="x", mn="M"),
        Message(st="32", cn="2011", mn="M", flag=300),
        Message(st="32", cn="2011", mn="M", qn="abc"),
        Message(st="32", cn="2011", mn="M", cp=CP(factors={"a": {"Rtd": float("nan")}})),
        Message(st="32", cn="2011", mn="M", cp=CP(factors={"a": {"Rtd": "12x"}})),
        Message(st="32", cn="2011", mn="M", cp=CP(factors={"a": {"R-td": 1.0}})),
        Message(st="32", cn="2011", mn="M", cp=CP(factors={"a": {}})),
        Message(st="32", cn="2011", mn="M", cp=CP(params={"DataTime": "x"})),
        Message(st="32", cn="2011", mn="M", cp=CP(params={"EndTime": "0"})),
        Message(st="32", cn="2011", mn="M", cp=CP(factors={"a": {"Info": "x;y"}})),
        Message(st="32", cn="2011", mn="M", cp=CP(factors={"a": {"Info": "x//y"}})),
        Message(st="32", cn="2011", mn="M", cp=CP(factors={"a": {"Info": " x"}})),
        Message(st="32", cn="2011", mn="M", cp=CP(factors={"a": {"Info": "x" * 10000}})),
    ],
)
def test_encode_refuses_what_would_not_decode_back(message: Message) -> None:
    with pytest.raises(EncodeError):
        encode(message)


def test_header_values_are_stripped_and_may_hold_ampersands() -> None:
    message = decode(frame_of("ST=32;CN=2011;PW= p&w ;MN=a&b ;CP=&&&&"))
    assert (message.pw, message.mn) == ("p&w", "a&b")
    assert decode(encode(message)) == message


def test_factor_codes_may_hold_dashes() -> None:
    message = Message(st="32", cn="2011", mn="M", cp=CP(factors={"a-b": {"Rtd": 1.0}, "-": {"Flag": "N"}}))
    assert decode(encode(message)) == message


def test_values_may_hold_equals_and_ampersands() -> None:
    message = Message(st="32", cn="3020", mn="M", cp=CP(factors={"a": {"Info": "k=v&"}, "b": {"SN": "&&x"}}))
    assert decode(encode(message)) == message


def test_encode_numbers_canonically() -> None:
    message = Message(
        st="32",
        cn="2011",
        mn="M",
        cp=CP(factors={"a": {"Rtd": 63.0, "Avg": 1e-7, "Max": 1e20, "Min": -0.5, "Cou": 7}}),
    )
    assert b"a-Rtd=63,a-Avg=0.0000001,a-Max=100000000000000000000,a-Min=-0.5,a-Cou=7" in encode(message)
    assert decode(encode(message)) == message


# -- deviations tolerated, each with its note; several PolId groups kept ------------------------


@pytest.mark.parametrize(
    ("segment", "note"),
    [
        (  # QN after CN (HJ 212-2017 §6.3.2 Table 3 order)
            "ST=32;CN=2011;QN=20190507002947624;PW=1;MN=M;Flag=5;CP=&&DataTime=20190506222200;w01018-Rtd=27.3&&",
            "header fields not in HJ 212-2017 Table 3 order: ST, CN, QN, PW, MN, Flag",
        ),
        (  # Flag bit D (split upload) without PNUM/PNO
            "QN=20200814151600001;ST=22;CN=2011;PW=1;MN=M;Flag=7;CP=&&DataTime=20200814151600;a34004-Rtd=207&&",
            "Flag=7 sets bit D (split upload) but PNUM/PNO are missing",
        ),
        (  # PNUM/PNO without bit D
            "QN=20191112091100598;ST=31;CN=2051;PW=1;MN=M;Flag=5;PNUM=2;PNO=1;CP=&&DataTime=20191112090000;"
            "a01006-Avg=101.85&&",
            "PNUM/PNO given but Flag=5 does not set bit D (split upload)",
        ),
        (  # PNUM/PNO without any Flag
            "QN=20191112091100598;ST=31;CN=2051;PW=1;MN=M;PNUM=2;PNO=1;CP=&&DataTime=20191112090000;"
            "a01006-Avg=101.85&&",
            "PNUM/PNO given without Flag (bit D marks a split upload)",
        ),
        (  # a bare Flag item in CP (§6.3.3 Table 4: code-Flag)
            "QN=20250131202809340;ST=39;CN=2011;PW=1;MN=M;Flag=4;CP=&&DataTime=20250131202809;a34001-Rtd=92;Flag=N&&",
            "CP item 'Flag=N' names no factor (HJ 212-2017 Table 4: code-Flag); kept as an item",
        ),
    ],
    ids=["header-order", "d-without-pnum", "pnum-without-d", "pnum-without-flag", "bare-flag"],
)
def test_each_tolerated_deviation_leaves_one_note(segment: str, note: str) -> None:
    message = decode(frame_of(segment))
    assert message.notes == (note,)
    assert decode_segment(segment).notes == (note,)  # the same rules without the frame


def test_the_standard_form_of_those_fields_leaves_no_note() -> None:
    for segment in (
        "QN=20160801085857535;ST=32;CN=2061;PW=1;MN=M;Flag=7;PNUM=2;PNO=2;CP=&&DataTime=20160801080000;w01018-Avg=40.1&&",
        "QN=20160801085857535;ST=32;CN=2061;PW=1;MN=M;Flag=5;CP=&&DataTime=20160801080000;w01018-Avg=40.1,w01018-Flag=N&&",
        # HJ/T 212-2005 (version bits 0): its own examples send Flag=3 requests without PNUM/PNO
        "QN=20040516010101001;ST=32;CN=2051;PW=1;MN=M;Flag=3;CP=&&BeginTime=20040506111000,EndTime=20040506151000&&",
    ):
        assert decode(frame_of(segment)).notes == ()


MULTI_POLID = (
    "QN=20190507002451828;ST=21;CN=3020;PW=624930;MN=A140100_2006;Flag=9;CP=&&DataTime=20190507002451;"
    "PolId=w01019,i12001-Info=1,i12002-Info=0;PolId=w21001,i12001-Info=1,i12002-Info=0;"
    "PolId=w21003,i12001-Info=0,i12002-Info=2&&"
)


def test_several_polid_groups_are_all_kept_and_round_trip() -> None:
    """HJ 212-2017 C.40: field information is per instrument; a real logger sends several
    instruments in one 3020 frame. Every group is kept (one note), none overwrites another."""
    message = decode(frame_of(MULTI_POLID))
    assert message.cp.params == {"PolId": "w01019"}
    assert message.cp.factors == {"i12001": {"Info": "1"}, "i12002": {"Info": "0"}}
    assert message.cp.groups == (
        CP(params={"PolId": "w21001"}, factors={"i12001": {"Info": "1"}, "i12002": {"Info": "0"}}),
        CP(params={"PolId": "w21003"}, factors={"i12001": {"Info": "0"}, "i12002": {"Info": "2"}}),
    )
    assert message.notes == ("3 PolId groups in one data area (HJ 212-2017 C.40 shows one); all kept",)
    assert decode(encode(message)) == message
    assert encode(message) == frame_of(  # canonical: ';' between items, each group in wire order
        "QN=20190507002451828;ST=21;CN=3020;PW=624930;MN=A140100_2006;Flag=9;CP=&&DataTime=20190507002451;"
        "PolId=w01019;i12001-Info=1;i12002-Info=0;PolId=w21001;i12001-Info=1;i12002-Info=0;"
        "PolId=w21003;i12001-Info=0;i12002-Info=2&&"
    )
    assert message_from_dict(message_to_dict(message)) == message


def test_encode_refuses_groups_that_would_not_decode_back() -> None:
    group = CP(params={"PolId": "w21001"}, factors={"i12001": {"Info": "1"}})
    for cp in (
        CP(factors={"i12001": {"Info": "1"}}, groups=(group,)),  # no PolId of its own
        CP(params={"PolId": "a"}, groups=(CP(params={"X": "1", "PolId": "b"}),)),  # PolId not first
        CP(params={"PolId": "a"}, groups=(CP(data_time=datetime(2020, 1, 1), params={"PolId": "b"}),)),
    ):
        with pytest.raises(EncodeError) as refused:
            encode(Message(st="21", cn="3020", mn="M", cp=cp))
        assert refused.value.field == "PolId"


def test_a_frame_missing_its_closing_ampersands_reports_the_length_of_its_segment() -> None:
    """HJ 212-2017 §6.3.1 Table 2: the length counts the data segment; without the closing ``&&``
    (§6.3.2) the segment runs up to the 4-character CRC, not up to ``CP=&&``. A real frame of
    sCair/Hj212-Distribute declares 0121 for a 119-byte segment."""
    frame = (
        b"##0121QN=20250131202809340;ST=39;CN=2051;PW=123456;MN=0507A010003242;Flag=4;"
        b"CP=&&DataTime=20250131202809;a34001-Avg=92;Flag=N65C0"
    )
    with pytest.raises(LengthError) as refused:
        decode(frame)
    assert refused.value.field == "length"
    assert (refused.value.details["declared"], refused.value.details["actual"]) == (121, 119)
    assert "declared length 0121 but the data segment has 119 bytes" in refused.value.message
    assert "not closed with '&&'" in refused.value.message
    # the right length but still no closing '&&': the data area is what is wrong
    right = frame.replace(b"##0121", b"##0119")
    with pytest.raises(FormatError) as unclosed:
        decode(right)
    assert unclosed.value.field == "CP"
