"""The log-in limit over HTTP: past the limit the API answers 429 ``TooManyAttempts`` even with
the right password (the counting itself, under 20 parallel threads on SQLite and PostgreSQL, is
tested at the service: ``tests/accounts/test_log_in.py``)."""

from __future__ import annotations

from typing import Any

import pytest

from greenport.accounts.login_limits import LOGIN_LIMITS
from tests.web.conftest import PASSWORD

USER_IP_LIMIT = next(limit.max_attempts for limit in LOGIN_LIMITS if limit.key == "user_ip")


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
