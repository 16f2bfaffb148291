"""Types of the compiled fast path (``_speedups.c``)."""

from datetime import tzinfo

from greenport.protocol.crc import CrcVariant
from greenport.protocol.messages import CP, Message

_Buffer = bytes | bytearray | memoryview

def crc16_hj212(data: _Buffer, /) -> int: ...
def crc16_modbus(data: _Buffer, /) -> int: ...
def configure(
    numeric_fields: frozenset[str],
    time_fields: frozenset[str],
    message: type[Message],
    cp: type[CP],
    hj212: CrcVariant,
    tz: tzinfo | None,
    /,
) -> None: ...
def scan_frame(frame: bytes, /) -> Message | None: ...
def factor_entries(
    factors: dict[str, dict[str, object]],
    value_field: str,
    corrected_field: str,
    codes: dict[str, tuple[str, float]],
    flags: dict[str | None, str],
    /,
) -> dict[str, list[object]] | None: ...
