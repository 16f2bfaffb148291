from __future__ import annotations

import pytest

from greenport.accounts.passwords import PROFILES, hash_password, needs_rehash, verify_password


def test_hash_is_argon2id_and_verifies_only_the_right_password() -> None:
    stored = hash_password("s3cret-口令", profile="device")
    assert stored.startswith("$argon2id$v=19$")
    assert verify_password(stored, "s3cret-口令")
    assert not verify_password(stored, "s3cret")
    assert not verify_password(stored, "")


def test_random_salt_differs_fixed_salt_reproduces() -> None:
    assert hash_password("pw", profile="device") != hash_password("pw", profile="device")
    salt = b"0123456789abcdef"
    first = hash_password("pw", salt=salt, profile="device")
    assert first == hash_password("pw", salt=salt, profile="device")
    assert verify_password(first, "pw")


def test_malformed_hash_never_raises() -> None:
    assert verify_password("not-a-hash", "pw") is False
    assert verify_password("", "pw") is False
    assert needs_rehash("not-a-hash") is True


def test_needs_rehash_compares_with_the_profile() -> None:
    device_hash = hash_password("pw", profile="device")
    assert not needs_rehash(device_hash, profile="device")
    assert needs_rehash(device_hash, profile="user")


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="non-empty"):
        hash_password("")
    with pytest.raises(ValueError, match="salt"):
        hash_password("pw", salt=b"short")
    with pytest.raises(ValueError, match="known: user, device"):
        hash_password("pw", profile="nope")
    assert set(PROFILES) == {"user", "device"}
