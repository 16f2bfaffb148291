"""The HJ 212 CRC (HJ 212-2017 Appendix A) and the vendor variants seen in the field.

The standard's algorithm, in words (Appendix A): register = 0xFFFF; for each byte ``b`` of the
data segment, register = (register >> 8) XOR b, then 8 times: shift right, XOR 0xA001 if the bit
shifted out was 1. The 16-bit register is printed as 4 hex digits, high byte first.

It is **not** CRC-16/MODBUS (which XORs the byte into the low byte of the full register): for the
standard's own example the HJ 212 CRC is ``1C80`` and Modbus gives ``0759``. Table form:
``new = T[(old >> 8) ^ b]`` where ``T`` is the CRC-16/ARC (0xA001) table, so every HJ 212 CRC is one
of the 256 values of ``T``: an 8-bit check in practice.

Fast path: the state that matters between bytes is the high byte ``h`` of the register, and
``h' = H(h ^ b)`` with ``H(x) = T[x] >> 8`` *linear* over GF(2) with ``H**8 == identity``. So the
contribution of a byte only depends on its distance from the end modulo 8: we XOR the bytes of
each residue class together (eight 8-bit lanes of one big integer, folded in C) and finish with
eight table look-ups. :func:`crc16_hj212_reference` is the plain loop of Appendix A; the tests
check that both agree on arbitrary data.

Real loggers (HJ/T 212-2005 era, ST=31 captures) also send the Modbus CRC16 printed low byte first
(``modbus-swapped``); accept it only when a device's setting allows it (``CrcVariant``).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from types import ModuleType


def _load_compiled() -> ModuleType | None:
    """``greenport.protocol._speedups`` when setup.py built it, else ``None`` (Python does all)."""
    try:
        from greenport.protocol import _speedups
    except ImportError:  # pragma: no cover - only on a machine that had no C compiler
        return None
    return _speedups


#: The compiled fast path when it was built, else ``None`` (then the Python code does all).
speedups: ModuleType | None = _load_compiled()


def _arc_table() -> tuple[int, ...]:
    table = []
    for index in range(256):
        value = index
        for _ in range(8):
            value = (value >> 1) ^ 0xA001 if value & 1 else value >> 1
        table.append(value)
    return tuple(table)


#: CRC-16/ARC table, polynomial 0xA001 reflected (HJ 212-2017 Appendix A, table form).
CRC_TABLE: tuple[int, ...] = _arc_table()

#: The set of values a correct HJ 212 CRC can take (a CRC outside it is a hint of another variant).
HJ212_CRC_VALUES: frozenset[int] = frozenset(CRC_TABLE)

_H: tuple[int, ...] = tuple(value >> 8 for value in CRC_TABLE)


def _power_tables() -> tuple[tuple[int, ...], ...]:
    """``_HPOW[k][x] = H**k(x)`` for k = 0..7."""
    powers = [tuple(range(256))]
    for _ in range(7):
        powers.append(tuple(_H[x] for x in powers[-1]))
    assert tuple(_H[x] for x in powers[-1]) == powers[0], "H**8 must be the identity"
    return tuple(powers)


_HPOW = _power_tables()
# After left-padding the data with zero bytes to a multiple of 8, lane j (bytes at positions
# i with i % 8 == j) sits 7 - j steps before the last byte.
_LANE = tuple(_HPOW[7 - j] for j in range(8))
_L0, _L1, _L2, _L3, _L4, _L5, _L6, _L7 = _LANE
# Contribution of the initial register's high byte 0xFF after m = n - 1 steps (depends on m % 8).
_INIT = tuple(_HPOW[m % 8][0xFF] for m in range(8))
_FOLD_MASKS: dict[int, int] = {}


def crc16_hj212_reference(data: bytes) -> int:
    """The HJ 212 CRC, computed byte by byte exactly as HJ 212-2017 Appendix A prints it.

    Parameters
    ----------
    data
        The data segment (the bytes between the 4-digit length and the CRC).

    Returns
    -------
    int
        The 16-bit CRC [0 .. 0xFFFF]; print it as ``f"{crc:04X}"``.
    """
    register = 0xFFFF
    for byte in data:
        register = (register >> 8) ^ byte
        for _ in range(8):
            register = (register >> 1) ^ 0xA001 if register & 1 else register >> 1
    return register


def crc16_hj212(data: bytes) -> int:
    """The HJ 212 CRC of a data segment (HJ 212-2017 Appendix A).

    Same result as :func:`crc16_hj212_reference`; computed by the compiled extension when it is
    built (about 0.3 µs for a 300-byte segment), else by :func:`crc16_hj212_python`.

    Parameters
    ----------
    data
        The data segment, as bytes (UTF-8 for text; the CRC is computed on bytes).

    Returns
    -------
    int
        The 16-bit CRC [0 .. 0xFFFF]; ``0x1C80`` for the Appendix A example.
    """
    if speedups is not None:
        return int(speedups.crc16_hj212(data))
    return crc16_hj212_python(data)


def crc16_hj212_python(data: bytes) -> int:
    """:func:`crc16_hj212` in pure Python (its fast path without the compiled extension): same
    parameters, same result as :func:`crc16_hj212_reference`."""
    n = len(data)
    if n == 0:
        return 0xFFFF
    if n < 24:
        register = 0xFFFF
        table = CRC_TABLE
        for byte in data:
            register = table[(register >> 8) ^ byte]
        return register
    words = (n + 7) >> 3
    pad = (words << 3) - n
    # Byte k of the padded data at bits 8k (little-endian); padding zeros sit at the low end.
    x = int.from_bytes(data, "little") << (pad << 3)
    while words > 1:
        half = (words + 1) >> 1
        mask = _FOLD_MASKS.get(half)
        if mask is None:
            mask = _FOLD_MASKS[half] = (1 << (half << 6)) - 1
        x = (x & mask) ^ (x >> (half << 6))
        words = half
    y = (
        _INIT[(n - 1) & 7]
        ^ _L0[x & 255]
        ^ _L1[(x >> 8) & 255]
        ^ _L2[(x >> 16) & 255]
        ^ _L3[(x >> 24) & 255]
        ^ _L4[(x >> 32) & 255]
        ^ _L5[(x >> 40) & 255]
        ^ _L6[(x >> 48) & 255]
        ^ _L7[x >> 56]
    )
    return CRC_TABLE[y]


def crc16_modbus(data: bytes) -> int:
    """CRC-16/MODBUS (init 0xFFFF, reflected 0xA001, no final XOR), as a 16-bit integer.

    Not the HJ 212 CRC: listed because loggers send it (see :class:`CrcVariant`).
    """
    if speedups is not None:
        return int(speedups.crc16_modbus(data))
    register = 0xFFFF
    table = CRC_TABLE
    for byte in data:
        register = (register >> 8) ^ table[(register ^ byte) & 0xFF]
    return register


def crc16_modbus_swapped(data: bytes) -> int:
    """CRC-16/MODBUS with its two bytes swapped (printed low byte first), as real loggers send it.

    Seen in receiver captures (``tonyxia2016/HJ212Receiver`` rx.log, ST=31): declared ``A6EC``
    for a Modbus CRC of ``0xECA6`` (monitoring reference §2.4).
    """
    register = crc16_modbus(data)
    return ((register & 0xFF) << 8) | (register >> 8)


class CrcVariant(enum.StrEnum):
    """Which CRC a frame carried. Only ``HJ212`` is the standard; the others are opt-in per device."""

    HJ212 = "hj212"  #: HJ 212-2017 Appendix A
    MODBUS_SWAPPED = "modbus-swapped"  #: CRC-16/MODBUS printed low byte first (vendor variant)
    MODBUS = "modbus"  #: CRC-16/MODBUS printed high byte first (vendor variant)

    def compute(self, data: bytes) -> int:
        """The CRC of ``data`` under this variant [0 .. 0xFFFF]."""
        return CRC_FUNCTIONS[self](data)


#: The function computing each variant.
CRC_FUNCTIONS: dict[CrcVariant, Callable[[bytes], int]] = {
    CrcVariant.HJ212: crc16_hj212,
    CrcVariant.MODBUS_SWAPPED: crc16_modbus_swapped,
    CrcVariant.MODBUS: crc16_modbus,
}
