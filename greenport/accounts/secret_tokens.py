"""Random credentials (session ids, API tokens) and the digest under which they are stored.

A credential is 32 random bytes, URL-safe (:func:`new_secret`); the database keeps only its
SHA-256 (:func:`digest`), so a stolen database cannot be replayed and a credential can still be
found and revoked.
"""

from __future__ import annotations

import hashlib
import secrets


def new_secret() -> str:
    """A fresh random credential: 32 bytes from the OS's CSPRNG, URL-safe base64 (43 characters)."""
    return secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    """The SHA-256 (hex) of ``secret``: what is stored and looked up instead of the secret."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()
