"""One log-in (:func:`greenport.accounts.service.log_in`): the rate limit holds under real
concurrency and locks a user out only where the failures came from (issue 12, item 8); an
outdated password hash is replaced; the limits come from their data file.

20 threads, each with its own unit of work and connection, send a wrong password for the same
user from the same address at once against real SQLite and PostgreSQL: at most the limit of
them may have their password checked; the right password from that address is then refused,
and the user at another address still logs in.
"""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from greenport.accounts import service as accounts
from greenport.accounts.errors import NotAuthenticated, TooManyAttempts
from greenport.accounts.login_limits import LOGIN_LIMITS, load_login_limits
from greenport.accounts.passwords import hash_password, needs_rehash
from greenport.kernel.time import utcnow
from greenport.storage.db import Database
from greenport.storage.uow import UnitOfWork
from tests.accounts.conftest import PARK_USER, PASSWORD
from tests.regions.conftest import TOWN

USER_IP_LIMIT = next(limit.max_attempts for limit in LOGIN_LIMITS if limit.key == "user_ip")
IP_LIMIT = next(limit.max_attempts for limit in LOGIN_LIMITS if limit.key == "ip")
ATTACKER = "203.0.113.66"
VICTIM = "198.51.100.7"


def _login(
    db: Database, *, password: str, ip: str, username: str = "town_officer", now: datetime | None = None
) -> str:
    """One log-in in its own unit of work: "ok", "wrong" or "locked"."""
    with UnitOfWork(db) as uow:
        try:
            accounts.log_in(uow, username=username, password=password, ip=ip, demo_logins=True, now=now)
        except TooManyAttempts:
            return "locked"
        except NotAuthenticated:
            return "wrong"
    return "ok"


def test_parallel_wrong_passwords_count_at_most_the_limit(people: Database) -> None:
    start = threading.Barrier(20)

    def attempt(_: int) -> str:
        start.wait()
        return _login(people, password="wrong password!", ip=ATTACKER)

    with ThreadPoolExecutor(20) as pool:
        outcomes = Counter(pool.map(attempt, range(20)))
    assert outcomes["wrong"] <= USER_IP_LIMIT, outcomes
    assert outcomes["wrong"] + outcomes["locked"] == 20
    with UnitOfWork(people) as uow:
        checked = uow.accounts.login_attempts_of(username="town_officer")
    assert len([a for a in checked if not a["success"]]) <= USER_IP_LIMIT
    # locked at the attacker's address, even with the right password ...
    assert _login(people, password=PASSWORD, ip=ATTACKER) == "locked"
    # ... but not where the user is
    assert _login(people, password=PASSWORD, ip=VICTIM) == "ok"


def test_the_lock_ends_with_its_window(people: Database) -> None:
    now = utcnow()
    for _ in range(USER_IP_LIMIT):
        assert _login(people, password="wrong password!", ip=ATTACKER, now=now) == "wrong"
    assert _login(people, password=PASSWORD, ip=ATTACKER, now=now + timedelta(minutes=14)) == "locked"
    assert _login(people, password=PASSWORD, ip=ATTACKER, now=now + timedelta(minutes=31)) == "ok"


def test_a_success_clears_the_failures_of_its_address(people: Database) -> None:
    for _ in range(USER_IP_LIMIT - 1):
        assert _login(people, password="wrong password!", ip=VICTIM) == "wrong"
    assert _login(people, password=PASSWORD, ip=VICTIM) == "ok"
    for _ in range(USER_IP_LIMIT - 1):
        assert _login(people, password="wrong password!", ip=VICTIM) == "wrong"
    assert _login(people, password=PASSWORD, ip=VICTIM) == "ok"


def test_one_address_spraying_many_users_is_stopped(people: Database) -> None:
    outcomes = [
        _login(people, username=f"nobody{n}", password="wrong password!", ip=ATTACKER)
        for n in range(IP_LIMIT + 1)
    ]
    assert outcomes[:IP_LIMIT] == ["wrong"] * IP_LIMIT and outcomes[-1] == "locked"
    assert _login(people, password=PASSWORD, ip=VICTIM) == "ok"


def test_a_log_in_is_the_principal_with_its_scope_and_is_recorded(people: Database) -> None:
    with UnitOfWork(people) as uow:
        officer = accounts.log_in(
            uow, username="town_officer", password=PASSWORD, ip=VICTIM, demo_logins=True
        )
        park_user = accounts.log_in(uow, username=PARK_USER, password=PASSWORD, ip=VICTIM, demo_logins=True)
    assert officer.via == "session" and officer.scope.town_codes == frozenset({TOWN})
    assert park_user.park_id is not None and park_user.park_town_code == TOWN
    assert park_user.scope.park_id == park_user.park_id
    with UnitOfWork(people) as uow:
        assert [a["success"] for a in uow.accounts.login_attempts_of(username="town_officer")] == [True]


def test_an_inactive_account_cannot_log_in(people: Database) -> None:
    with UnitOfWork(people) as uow:
        uow.session.execute(text("UPDATE users SET active = false WHERE username = 'city_admin'"))
    assert _login(people, username="city_admin", password=PASSWORD, ip=VICTIM) == "wrong"


def test_an_outdated_hash_is_replaced_at_log_in(people: Database) -> None:
    with UnitOfWork(people) as uow:
        uow.accounts.set_password_hash("town_officer", hash_password(PASSWORD, profile="device"))
    assert _login(people, password=PASSWORD, ip=VICTIM) == "ok"
    with UnitOfWork(people) as uow:
        found = uow.accounts.user_credentials("town_officer")
    assert found is not None and not needs_rehash(found[1])


def test_a_bad_limits_file_names_its_row(tmp_path: Path) -> None:
    table = tmp_path / "login_limits.csv"
    table.write_text("# note\nkey,max_attempts,window_minutes\nuser_ip,5,15\nip,many,15\n", encoding="utf-8")
    with pytest.raises(ValueError, match="data row 2"):
        load_login_limits(table)
    assert [limit.key for limit in LOGIN_LIMITS] == ["user_ip", "ip", "user"]
