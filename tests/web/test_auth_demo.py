"""Demo accounts, whose passwords anyone can compute from ``greenport.accounts.demo_accounts``, cannot
log in in production, and ``greenport serve`` refuses a production database holding them
(issue 12, item 7)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from typer.testing import CliRunner

from greenport.accounts import service as accounts
from greenport.accounts.demo_accounts import demo_salt, demo_user_password, is_demo_login, made_by_demo
from greenport.accounts.errors import NotAuthenticated
from greenport.bootstrap import build
from greenport.cli.main import app as cli
from greenport.config import Settings

SECRET = "s" * 40


def _add_users(url: str) -> None:
    """``demo_admin`` as the demo city makes it; ``careless`` whose owner chose the demo-derived
    password; ``real`` with a password of its own."""
    container = build(Settings(database_url=url, mode="demo"), migrate=True)
    with container.uow() as uow:
        accounts.create_user(
            uow,
            username="demo_admin",
            password=demo_user_password("demo_admin"),
            role="city_admin",
            salt=demo_salt("user", "demo_admin"),
        )
        accounts.create_user(
            uow, username="careless", password=demo_user_password("careless"), role="city_admin"
        )
        accounts.create_user(uow, username="real", password="a password of its own", role="city_admin")
    container.db.dispose()


def test_demo_marks_are_recognised(sqlite_url: str) -> None:
    _add_users(sqlite_url)
    container = build(Settings(database_url=sqlite_url), migrate=False)
    with container.uow() as uow:
        assert accounts.demo_accounts(uow) == ["demo_admin"]
        hashes = dict(uow.accounts.password_hashes())
    container.db.dispose()
    assert made_by_demo("demo_admin", hashes["demo_admin"])
    assert not made_by_demo("real", hashes["real"]) and not made_by_demo("careless", hashes["careless"])
    assert is_demo_login("careless", demo_user_password("careless"), hashes["careless"])
    assert not is_demo_login("real", "a password of its own", hashes["real"])


def test_production_refuses_demo_logins_over_http(sqlite_url: str) -> None:
    _add_users(sqlite_url)
    from greenport.web.app import create_app

    demo = build(Settings(database_url=sqlite_url, mode="demo"))
    with TestClient(create_app(container=demo)) as client:
        ok = client.post(
            "/api/auth/login", json={"username": "demo_admin", "password": demo_user_password("demo_admin")}
        )
        assert ok.status_code == 200, ok.text
    demo.db.dispose()

    production = build(Settings(database_url=sqlite_url, mode="production", secret_key=SECRET))
    with production.uow() as uow:  # a production database in which someone created a careless user
        uow.session.execute(text("UPDATE users SET active = false WHERE username = 'demo_admin'"))
    with TestClient(create_app(container=production)) as client:
        careless = client.post(
            "/api/auth/login", json={"username": "careless", "password": demo_user_password("careless")}
        )
        assert careless.status_code == 401 and "demo" in careless.json()["error"]
        real = client.post("/api/auth/login", json={"username": "real", "password": "a password of its own"})
        assert real.status_code == 200, real.text
    production.db.dispose()


def test_the_demo_account_is_refused_even_if_the_app_is_built_around_it(sqlite_url: str) -> None:
    _add_users(sqlite_url)
    container = build(Settings(database_url=sqlite_url, mode="production", secret_key=SECRET))
    with container.uow() as uow, pytest.raises(NotAuthenticated, match="demo"):
        accounts.log_in(
            uow,
            username="demo_admin",
            password=demo_user_password("demo_admin"),
            ip="192.0.2.1",
            demo_logins=container.settings.demo_logins_allowed,
        )
    container.db.dispose()


def test_production_will_not_serve_a_database_with_demo_accounts(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _add_users(sqlite_url)
    from greenport.web.app import create_app

    settings = Settings(database_url=sqlite_url, mode="production", secret_key=SECRET)
    with pytest.raises(RuntimeError, match="demo_admin"):
        create_app(settings)
    monkeypatch.setenv("GREENPORT_MODE", "production")
    monkeypatch.setenv("GREENPORT_SECRET_KEY", SECRET)
    result = CliRunner().invoke(cli, ["serve", "--database-url", sqlite_url, "--port", "1"])
    assert result.exit_code == 2
    assert "demo account" in result.output and "demo_admin" in result.output
    listed = CliRunner().invoke(cli, ["users", "demo-accounts", "--json", "--database", sqlite_url])
    assert '"demo_admin"' in listed.stdout
