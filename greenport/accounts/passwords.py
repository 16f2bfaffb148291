"""Password hashing: the one place GreenPort turns a secret into a stored hash.

Argon2id (RFC 9106) through ``argon2-cffi``. Two named cost profiles (:data:`PROFILES`):

* ``user`` -- log-in passwords of people: argon2-cffi's default, RFC 9106 §4 second recommended
  option ("low memory"): t=3, m=64 MiB, p=4 (~0.2-0.4 s on a busy 2-core machine);
* ``device`` -- HJ 212 data-logger passwords (``PW=``, HJ 212-2017 §6.3.2), which a server checks
  for every new connection: the OWASP Password Storage Cheat Sheet minimum for argon2id,
  t=2, m=19 MiB, p=1 (~0.04 s).

The stored string is the PHC encoding ``$argon2id$v=19$m=...,t=...,p=...$salt$hash``: a hash
records its own parameters, so :func:`verify_password` checks either profile and
:func:`needs_rehash` tells when a hash was made with other parameters than its profile's.

 A fixed ``salt`` is accepted only so that the demo city can be rebuilt byte for byte; real
callers leave it out and get a random 16-byte salt.
"""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from argon2.low_level import hash_secret

#: Cost profiles by name: argon2id hasher per use (see module docstring for the sources).
PROFILES: dict[str, PasswordHasher] = {
    "user": PasswordHasher(),  # RFC 9106 §4, second recommended option
    "device": PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1),  # OWASP minimum
}
_VERIFIER = PROFILES["user"]  # verify() reads the parameters from the hash itself

#: Shortest salt accepted for a caller-supplied salt [bytes] (RFC 9106 §3.1 recommends 16).
MIN_SALT_BYTES = 16


def _hasher(profile: str) -> PasswordHasher:
    try:
        return PROFILES[profile]
    except KeyError:
        raise ValueError(f"unknown password profile {profile!r}; known: {', '.join(PROFILES)}") from None


def hash_password(password: str, *, salt: bytes | None = None, profile: str = "user") -> str:
    """Hash ``password`` with argon2id and return the PHC string to store.

    Parameters
    ----------
    password : str
        The secret in clear; must not be empty.
    salt : bytes, optional
        Only for deterministic fixtures (the demo city): at least 16 bytes. Default: random.
    profile : str
        ``"user"`` (default) or ``"device"``, see :data:`PROFILES`.
    """
    hasher = _hasher(profile)
    if not isinstance(password, str) or password == "":
        raise ValueError("password must be a non-empty string")
    if salt is None:
        return hasher.hash(password)
    if len(salt) < MIN_SALT_BYTES:
        raise ValueError(f"salt must be at least {MIN_SALT_BYTES} bytes, got {len(salt)}")
    return _hash_with_salt(password, salt, profile)


@lru_cache(maxsize=1024)
def _hash_with_salt(password: str, salt: bytes, profile: str) -> str:
    """Fixed-salt hashes are deterministic, so they are memoised (fixtures rebuilt in one process,
    e.g. the demo city's determinism test, hash each demo secret once)."""
    hasher = _hasher(profile)
    return hash_secret(
        password.encode("utf-8"),
        salt,
        time_cost=hasher.time_cost,
        memory_cost=hasher.memory_cost,
        parallelism=hasher.parallelism,
        hash_len=hasher.hash_len,
        type=Type.ID,
    ).decode("ascii")


def verify_password(password_hash: str, password: str) -> bool:
    """True when ``password`` matches the stored ``password_hash``; False for a mismatch or a
    malformed hash (never raises for bad input)."""
    if not password_hash or not isinstance(password, str):
        return False
    try:
        return _VERIFIER.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str, *, profile: str = "user") -> bool:
    """True when ``password_hash`` was made with other parameters than ``profile``'s (or is not
    an argon2 hash at all): re-hash at the next successful log-in."""
    hasher = _hasher(profile)
    try:
        return hasher.check_needs_rehash(password_hash)
    except (InvalidHashError, ValueError):
        return True
