"""Sans-I/O HJ 212 codec: HJ/T 212-2005, HJ 212-2017 and (as far as known) HJ 212-2025.

Bytes in, frozen messages out, and back; no sockets, no asyncio, no clock (h11's shape). The
TCP server in ``greenport.ingest`` is a thin loop around this API, which is stable:

Framing and codec
    ``FrameBuffer(max_frame_size=10011)``
        ``.feed(data) -> list[bytes | FramingError]`` complete frames (CR LF included) and the
        stretches of bytes thrown away; ``.close()`` at end of stream. See ``framing``.
    ``decode(frame, *, allow_crc_variants=frozenset()) -> Message``
        One frame (CR LF optional). Raises ``ProtocolError`` (``.field``, ``.reply_hint``,
        ``.raw``). ``allow_crc_variants={CrcVariant.MODBUS_SWAPPED}`` for a device allowed
        to send the vendor CRC; ``Message.crc_variant`` records what was used.
    ``decode_segment(text) -> Message``
        A bare data segment (no ``##``/length/CRC), e.g. the standard's Appendix C examples.
    ``encode(message) -> bytes``
        The canonical frame, ``##`` + byte length + segment + CRC + CR LF.
    ``crc16_hj212(data) -> int``
        The CRC of HJ 212-2017 Appendix A (not Modbus): the Appendix A example gives 0x1C80.

Messages (``messages``)
    ``Message(qn, st, cn, pw, mn, flag, pnum, pno, cp, crc_variant)`` frozen, by keyword or position;
    properties ``ack_requested``, ``has_packets``, ``version``, ``edition``, ``data_time``.
    ``CP(data_time, params, factors)``: ``factors["w01018"]["Rtd"] -> 40.1`` (float for numeric
    fields, str for ``Flag``/``EFlag``/``Info``..., datetime for ``SampleTime``); times are aware
    datetimes in China time. ``Edition`` (2005/2017/2025), ``make_flag(edition, ack=, packets=)``.

Replies and commands (``replies``)
    ``reply_for(msg) -> Message | None`` what the upper computer answers (9014 / 9013);
    ``reply_frame(msg) -> bytes | None`` the same, encoded (the usual 9014 formatted directly);
    ``data_reply`` 9014, ``notify_reply`` 9013, ``request_reply`` 9011 (``QnRtn``),
    ``execution_result`` 9012 (``ExeRtn``), ``heartbeat`` 9015 (2025, UNVERIFIED);
    ``command``, ``time_query`` 1011, ``time_set`` 1012, ``history_request`` 2051/2061/2031/2041
    with BeginTime/EndTime; ``data_upload`` for loggers and simulators; ``make_qn(moment)``.

Dict form (``dicts``)
    ``message_to_dict(msg)`` / ``message_from_dict(d)``: JSON-ready, used by the CLI.

Codes (``codes``)
    ``factor_parameter(code, st=None) -> (parameter, unit)``: ``"011"`` and ``"w01018"`` ->
    ``("cod", "mg/L")``; ``lookup_factor``; ``system_codes``, ``command_codes``, ``data_flags``,
    ``data_flag``, ``st_name``, ``cn_name``.

Errors (``errors``)
    ``ProtocolError(InvalidInput, ValueError)`` > ``FramingError``, ``LengthError``,
    ``CrcError``, ``FormatError``, ``FieldValueError``, ``EncodeError``, ``UnknownCodeError``;
    ``QnRtn`` (Table 7) and ``ExeRtn`` (Table 6).

The package imports nothing from GreenPort but ``greenport.kernel`` (import-linter contract).
"""

from greenport.protocol.codec import (
    MAX_SEGMENT_LENGTH,
    decode,
    decode_segment,
    encode,
    encode_segment,
    factor_entries,
    format_time,
    make_qn,
)
from greenport.protocol.codes import (
    CommandCode,
    DataFlag,
    FactorCode,
    SystemCode,
    cn_name,
    command_codes,
    data_flag,
    data_flags,
    factor_codes,
    factor_parameter,
    is_normal_flag,
    lookup_factor,
    medium_for_st,
    st_name,
    system_codes,
)
from greenport.protocol.crc import CrcVariant, crc16_hj212, crc16_modbus, crc16_modbus_swapped
from greenport.protocol.dicts import message_from_dict, message_to_dict
from greenport.protocol.errors import (
    CrcError,
    EncodeError,
    ExeRtn,
    FieldValueError,
    FormatError,
    FramingError,
    LengthError,
    ProtocolError,
    QnRtn,
    UnknownCodeError,
)
from greenport.protocol.framing import DEFAULT_MAX_FRAME_SIZE, FrameBuffer
from greenport.protocol.messages import CP, NUMERIC_FIELDS, Edition, Message, Value, make_flag
from greenport.protocol.replies import (
    command,
    data_reply,
    data_upload,
    execution_result,
    heartbeat,
    history_request,
    is_upload,
    notify_reply,
    reply_for,
    reply_frame,
    request_reply,
    time_query,
    time_set,
)

__all__ = [
    "CP",
    "DEFAULT_MAX_FRAME_SIZE",
    "MAX_SEGMENT_LENGTH",
    "NUMERIC_FIELDS",
    "CommandCode",
    "CrcError",
    "CrcVariant",
    "DataFlag",
    "Edition",
    "EncodeError",
    "ExeRtn",
    "FactorCode",
    "FieldValueError",
    "FormatError",
    "FrameBuffer",
    "FramingError",
    "LengthError",
    "Message",
    "ProtocolError",
    "QnRtn",
    "SystemCode",
    "UnknownCodeError",
    "Value",
    "cn_name",
    "command",
    "command_codes",
    "crc16_hj212",
    "crc16_modbus",
    "crc16_modbus_swapped",
    "data_flag",
    "data_flags",
    "data_reply",
    "data_upload",
    "decode",
    "decode_segment",
    "encode",
    "encode_segment",
    "execution_result",
    "factor_codes",
    "factor_entries",
    "factor_parameter",
    "format_time",
    "heartbeat",
    "history_request",
    "is_normal_flag",
    "is_upload",
    "lookup_factor",
    "make_flag",
    "make_qn",
    "medium_for_st",
    "message_from_dict",
    "message_to_dict",
    "notify_reply",
    "reply_for",
    "reply_frame",
    "request_reply",
    "st_name",
    "system_codes",
    "time_query",
    "time_set",
]
