"""Log-in rate limits (pure): which counters an attempt is reserved under, and their limits.

A log-in attempt is counted under three keys, in the order of :data:`LOGIN_LIMITS`
(``data/login_limits.csv`` names the sources: OWASP Authentication Cheat Sheet, NIST SP 800-63B
§5.2.2):

* ``user_ip`` -- one user name from one client address: the lock an attacker at one address
  meets, while the user at another address is not locked out;
* ``ip`` -- one client address over every user name (password spraying);
* ``user`` -- one user name from every address (a distributed attack), much higher.

The counting itself (an atomic reservation before the password is checked) is
:func:`greenport.accounts.service.log_in`.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

LIMITS_FILE = Path(__file__).with_name("data") / "login_limits.csv"


@dataclass(frozen=True, slots=True)
class LoginLimit:
    """At most ``max_attempts`` failed (or in-flight) log-in attempts per key within ``window``."""

    key: str  # user_ip | ip | user
    max_attempts: int
    window: timedelta

    def counter_key(self, *, username: str, ip: str) -> str:
        """The counter an attempt by ``username`` from address ``ip`` is reserved under."""
        return {"user_ip": f"user-ip:{username}|{ip}", "ip": f"ip:{ip}", "user": f"user:{username}"}[self.key]

    def exceeded_by(self, attempts: int) -> bool:
        """True when ``attempts`` (this one included) within the window pass the limit."""
        return attempts > self.max_attempts

    @property
    def window_minutes(self) -> int:
        return int(self.window.total_seconds() // 60)


def load_login_limits(path: Path = LIMITS_FILE) -> tuple[LoginLimit, ...]:
    """The limits of ``path`` (CSV ``key,max_attempts,window_minutes``; ``#`` lines are notes),
    in the order they are checked. A bad row raises :class:`ValueError` naming its line."""
    limits = []
    with path.open(encoding="utf-8") as handle:
        rows = csv.DictReader(line for line in handle if not line.startswith("#"))
        for number, row in enumerate(rows, start=1):
            try:
                limit = LoginLimit(
                    row["key"], int(row["max_attempts"]), timedelta(minutes=int(row["window_minutes"]))
                )
            except (KeyError, TypeError, ValueError) as exc:
                raise ValueError(f"{path.name}, data row {number}: {exc}") from None
            if limit.key not in ("user_ip", "ip", "user") or limit.max_attempts < 1:
                raise ValueError(f"{path.name}, data row {number}: bad limit {row}")
            limits.append(limit)
    return tuple(limits)


#: Log-in rate limits, checked in this order.
LOGIN_LIMITS: tuple[LoginLimit, ...] = load_login_limits()
