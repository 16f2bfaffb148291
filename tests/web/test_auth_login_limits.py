"""The log-in limit holds under real concurrency and locks a user out only where the failures
came from (issue 12, item 8).

20 threads, each with its own unit of work and connection, send a wrong password for the same
user from the same address at once against real SQLite and PostgreSQL: at most the limit of
them may have their password checked; the right password from that address is then refused,
and the user at another address still logs in.
"""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest

from greenport.kernel.time import utcnow
from greenport.storage.uow import UnitOfWork
from greenport.web import auth
from greenport.web.errors import NotAuthenticated, TooManyAttempts
from tests.web.conftest import PASSWORD

USER_IP_LIMIT = next(limit.max_attempts for limit in auth.LOGIN_LIMITS if limit.key == "user_ip")
IP_LIMIT = next(limit.max_attempts for limit in auth.LOGIN_LIMITS if limit.key == "ip")
ATTACKER = "203.0.113.66"
VICTIM = "198.51.100.7"


def _login(container: Any, *, password: str, ip: str, username: str = "town_officer", now: Any = None) -> str:
    """One log-in in its own unit of work: "ok", "wrong" or "locked"."""
    with UnitOfWork(container.db) as uow:
        try:
            auth.authenticate(uow, username=username, password=password, ip=ip, demo_logins=True, now=now)
        except TooManyAttempts:
            return "locked"
        except NotAuthenticated:
            return "wrong"
    return "ok"


def test_parallel_wrong_passwords_count_at_most_the_limit(city_app: Any) -> None:
    client, _ = city_app
    container = client.app.state.container
    start = threading.Barrier(20)

    def attempt(_: int) -> str:
        start.wait()
        return _login(container, password="wrong password!", ip=ATTACKER)

    with ThreadPoolExecutor(20) as pool:
        outcomes = Counter(pool.map(attempt, range(20)))
    assert outcomes["wrong"] <= USER_IP_LIMIT, outcomes
    assert outcomes["wrong"] + outcomes["locked"] == 20
    with container.uow() as uow:
        checked = uow.accounts.login_attempts_of(username="town_officer")
    assert len([a for a in checked if not a["success"]]) <= USER_IP_LIMIT
    # locked at the attacker's address, even with the right password ...
    assert _login(container, password=PASSWORD, ip=ATTACKER) == "locked"
    # ... but not where the user is
    assert _login(container, password=PASSWORD, ip=VICTIM) == "ok"


def test_the_lock_ends_with_its_window(lite_app: Any) -> None:
    client, _ = lite_app
    container = client.app.state.container
    now = utcnow()
    for _ in range(USER_IP_LIMIT):
        assert _login(container, password="wrong password!", ip=ATTACKER, now=now) == "wrong"
    assert _login(container, password=PASSWORD, ip=ATTACKER, now=now + timedelta(minutes=14)) == "locked"
    assert _login(container, password=PASSWORD, ip=ATTACKER, now=now + timedelta(minutes=31)) == "ok"


def test_a_success_clears_the_failures_of_its_address(lite_app: Any) -> None:
    client, _ = lite_app
    container = client.app.state.container
    for _ in range(USER_IP_LIMIT - 1):
        assert _login(container, password="wrong password!", ip=VICTIM) == "wrong"
    assert _login(container, password=PASSWORD, ip=VICTIM) == "ok"
    for _ in range(USER_IP_LIMIT - 1):
        assert _login(container, password="wrong password!", ip=VICTIM) == "wrong"
    assert _login(container, password=PASSWORD, ip=VICTIM) == "ok"


def test_one_address_spraying_many_users_is_stopped(lite_app: Any) -> None:
    client, _ = lite_app
    container = client.app.state.container
    outcomes = [
        _login(container, username=f"nobody{n}", password="wrong password!", ip=ATTACKER)
        for n in range(IP_LIMIT + 1)
    ]
    assert outcomes[:IP_LIMIT] == ["wrong"] * IP_LIMIT and outcomes[-1] == "locked"
    assert _login(container, password=PASSWORD, ip=VICTIM) == "ok"


@pytest.mark.parametrize("path", ["/api/auth/login"])
def test_http_log_in_answers_429_when_locked(lite_app: Any, path: str) -> None:
    client, _ = lite_app
    for _ in range(USER_IP_LIMIT):
        assert (
            client.post(path, json={"username": "city_admin", "password": "wrong password!"}).status_code
            == 401
        )
    locked = client.post(path, json={"username": "city_admin", "password": PASSWORD})
    assert locked.status_code == 429 and locked.json()["type"] == "TooManyAttempts"
