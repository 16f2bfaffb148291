"""Deterministic demo secrets (DEMO ONLY).

The demo city's device and user passwords are derived by HMAC-SHA256 from a fixed, public demo
constant, so that the device simulator can reproduce a device's ``PW=`` from its MN and the
demo log-ins can be printed. Salts of the stored argon2id hashes are derived the same way, so a
rebuilt demo database is byte-for-byte identical.

None of this is secret: never use these functions outside the demo city (``GREENPORT_MODE``
``demo`` or ``development``). Real devices and users get passwords chosen by their owners and
random salts (:func:`greenport.accounts.passwords.hash_password` without ``salt``).
"""

from __future__ import annotations

import hashlib
import hmac

#: Public demo constant from which every demo secret is derived.
DEMO_SECRET = b"greenport-demo-city-gangcheng-2022"

_DEVICE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789"


def _digest(purpose: str, value: str) -> bytes:
    return hmac.new(DEMO_SECRET, f"{purpose}:{value}".encode(), hashlib.sha256).digest()


def _encode(digest: bytes, length: int, alphabet: str = _DEVICE_ALPHABET) -> str:
    number = int.from_bytes(digest, "big")
    chars = []
    for _ in range(length):
        number, index = divmod(number, len(alphabet))
        chars.append(alphabet[index])
    return "".join(chars)


def demo_device_password(mn: str) -> str:
    """The HJ 212 ``PW`` of the demo device ``mn`` (12 characters, no protocol separators)."""
    return _encode(_digest("device", mn), 12)


def demo_user_password(username: str) -> str:
    """The log-in password of the demo user ``username`` (``demo-`` + 10 characters)."""
    return "demo-" + _encode(_digest("user", username), 10)


def demo_salt(kind: str, key: str) -> bytes:
    """A fixed 16-byte salt for the stored hash of a demo secret (reproducible database)."""
    return _digest(f"salt-{kind}", key)[:16]
