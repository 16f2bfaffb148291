"""Deterministic demo secrets (DEMO ONLY): the demo city's passwords and salts.

Every demo secret is derived from one public constant by
:mod:`greenport.accounts.demo_accounts`, which also recognises the accounts made with them (the
accounts feature refuses them in production); this module adds the device passwords the
simulator reproduces. Nothing here is secret: never use it outside the demo city.
"""

from __future__ import annotations

from greenport.accounts.demo_accounts import derive_demo_secret


def demo_device_password(mn: str) -> str:
    """The HJ 212 ``PW`` of the demo device ``mn`` (12 characters, no protocol separators)."""
    return derive_demo_secret("device", mn, 12)
