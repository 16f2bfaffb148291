"""Demo accounts (pure): the secrets of the demo city derived from a public constant, and how an
account made by them is recognised.

The demo city's device and user passwords are derived by HMAC-SHA256 from a fixed, public demo
constant (:data:`DEMO_SECRET`), so that the device simulator can reproduce a device's ``PW=``
from its MN and the demo log-ins can be printed. Salts of the stored argon2id hashes are derived
the same way, so a rebuilt demo database is byte-for-byte identical.

None of this is secret: never use these derivations outside the demo city (``GREENPORT_MODE``
``demo`` or ``development``). Real devices and users get passwords chosen by their owners and
random salts (:func:`greenport.accounts.passwords.hash_password` without ``salt``).

Because anyone can compute them, :func:`greenport.accounts.service.log_in` refuses demo
accounts in production (:func:`is_demo_login`) and ``greenport serve`` will not start in
production while a user made by the demo exists (:func:`made_by_demo`). A user made by the demo
is recognised by the salt of its stored hash: the demo derives it with :func:`demo_salt`, so it
marks every demo user without a column of its own, and no real user (random 16-byte salt)
carries it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

#: Public demo constant from which every demo secret is derived.
DEMO_SECRET = b"greenport-demo-city-gangcheng-2022"

#: Characters of a derived demo password (no look-alikes, no HJ 212 separators).
DEMO_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789"


def _digest(purpose: str, value: str) -> bytes:
    return hmac.new(DEMO_SECRET, f"{purpose}:{value}".encode(), hashlib.sha256).digest()


def derive_demo_secret(purpose: str, value: str, length: int) -> str:
    """``length`` characters of :data:`DEMO_ALPHABET` derived from :data:`DEMO_SECRET` for
    ``value`` (a user name, a device MN) used for ``purpose`` (``user``, ``device``)."""
    number = int.from_bytes(_digest(purpose, value), "big")
    chars = []
    for _ in range(length):
        number, index = divmod(number, len(DEMO_ALPHABET))
        chars.append(DEMO_ALPHABET[index])
    return "".join(chars)


def demo_user_password(username: str) -> str:
    """The log-in password of the demo user ``username`` (``demo-`` + 10 characters)."""
    return "demo-" + derive_demo_secret("user", username, 10)


def demo_salt(kind: str, key: str) -> bytes:
    """A fixed 16-byte salt for the stored hash of a demo secret (reproducible database)."""
    return _digest(f"salt-{kind}", key)[:16]


def _phc_salt(password_hash: str) -> bytes | None:
    """The salt of a PHC string ``$argon2id$v=19$m=..,t=..,p=..$<salt>$<hash>`` (None if not one)."""
    parts = password_hash.split("$")
    if len(parts) != 6:
        return None
    encoded = parts[4]
    try:
        return base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except ValueError:
        return None


def made_by_demo(username: str, password_hash: str) -> bool:
    """True when the stored hash of user ``username`` was made by the demo city (its salt is
    :func:`demo_salt` of the user name)."""
    salt = _phc_salt(password_hash or "")
    return salt is not None and hmac.compare_digest(salt, demo_salt("user", username))


def is_demo_login(username: str, password: str, password_hash: str) -> bool:
    """True for a log-in that only the demo city may accept: a user made by the demo
    (:func:`made_by_demo`), or a password equal to the public :func:`demo_user_password` of the
    user name (whoever set it)."""
    demo_password = demo_user_password(username).encode("utf-8")
    return made_by_demo(username, password_hash) or hmac.compare_digest(
        password.encode("utf-8"), demo_password
    )
