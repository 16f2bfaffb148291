"""Per-connection state: who is talking (authenticated MNs), failures, CRC variants allowed."""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from dataclasses import dataclass, field

from greenport.monitoring.model import DeviceRef
from greenport.protocol import CrcVariant

#: Registry spelling of a device's CRC setting -> the codec's variant.
CRC_SETTING: dict[str, CrcVariant] = {
    "hj212": CrcVariant.HJ212,
    "modbus_swapped": CrcVariant.MODBUS_SWAPPED,
    "modbus-swapped": CrcVariant.MODBUS_SWAPPED,
    "modbus": CrcVariant.MODBUS,
}


def password_digest(password: str | None) -> bytes:
    return hashlib.sha256((password or "").encode("utf-8")).digest()


@dataclass
class ConnectionState:
    peer: str
    #: the source address (the peer without its port): connection and quarantine limits are per address
    address: str = "?"
    #: mn -> (sha256 of the password that verified, device)
    devices: dict[str, tuple[bytes, DeviceRef]] = field(default_factory=dict)
    failures: int = 0
    crc_variants: frozenset[CrcVariant] = frozenset()
    frames: int = 0

    def known(self, mn: str, password: str | None) -> DeviceRef | None:
        entry = self.devices.get(mn)
        if entry is not None and entry[0] == password_digest(password):
            return entry[1]
        return None


class AuthCache:
    """Bounded TTL cache of argon2 verifications keyed by (mn, sha256(pw)): one slow verification
    per device and password per ``ttl`` seconds, whatever the number of connections.

    Negative answers (unknown MN, wrong password) are cached too, for a shorter time, so a device
    with a wrong password cannot make the server hash for every frame.
    """

    def __init__(self, *, ttl: float = 300.0, negative_ttl: float = 30.0, size: int = 100_000) -> None:
        self.ttl = ttl
        self.negative_ttl = negative_ttl
        self.size = size
        self._entries: OrderedDict[tuple[str, bytes], tuple[float, DeviceRef | None, str]] = OrderedDict()

    def get(self, mn: str, password: str | None) -> tuple[DeviceRef | None, str] | None:
        key = (mn, password_digest(password))
        entry = self._entries.get(key)
        if entry is None:
            return None
        expires, device, reason = entry
        if expires < time.monotonic():
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return device, reason

    def put(self, mn: str, password: str | None, device: DeviceRef | None, reason: str = "") -> None:
        ttl = self.ttl if device is not None else self.negative_ttl
        key = (mn, password_digest(password))
        self._entries[key] = (time.monotonic() + ttl, device, reason)
        self._entries.move_to_end(key)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)

    def devices(self) -> list[DeviceRef]:
        """The devices of the positive entries (expired or not)."""
        return [device for _, device, _ in self._entries.values() if device is not None]

    def forget(self, mn: str) -> None:
        for key in [k for k in self._entries if k[0] == mn]:
            del self._entries[key]
