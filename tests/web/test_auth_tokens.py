"""API tokens (issue 12, item 12): created only from a session, always expiring (at most
GREENPORT_TOKEN_MAX_DAYS), listed and revoked through the API and the CLI; log-out with a token
revokes it; migration web_0002_tokens gives the never-expiring tokens of web_0001 an expiry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from greenport.accounts import service as accounts_service
from greenport.accounts.secret_tokens import digest, new_secret
from greenport.cli.main import app as cli
from greenport.kernel.time import utcnow
from greenport.storage.migrate import upgrade
from greenport.web import auth
from tests.web.conftest import PASSWORD, bearer


def _session(client: Any, username: str = "bureau_analyst") -> dict[str, str]:
    """Log in with the password; the CSRF header the session's non-GET calls need."""
    response = client.post("/api/auth/login", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {auth.CSRF_HEADER: response.json()["csrf_token"]}


def test_a_token_cannot_mint_a_token(city_app: Any) -> None:
    client, city = city_app
    response = client.post("/api/auth/tokens", json={"name": "x"}, headers=bearer(city, "city_admin"))
    assert response.status_code == 403 and "session" in response.json()["error"]


def test_tokens_always_expire_within_the_maximum(city_app: Any) -> None:
    client, _ = city_app
    csrf = _session(client)
    assert client.post("/api/auth/tokens", json={"name": "x", "days": None}, headers=csrf).status_code == 422
    too_long = client.post("/api/auth/tokens", json={"name": "x", "days": 91}, headers=csrf)
    assert too_long.status_code == 422 and too_long.json()["field"] == "days"
    made = client.post("/api/auth/tokens", json={"name": "feed"}, headers=csrf)
    assert made.status_code == 200 and made.json()["days"] == 90
    listed = client.get("/api/auth/tokens").json()["data"]
    assert [row["name"] for row in listed] == ["feed", "test"]  # newest first; "test": the fixture's
    assert made.json()["token"] not in str(listed)  # never shown again
    expires = datetime.fromisoformat(listed[0]["expires_at"])
    assert timedelta(days=89) < expires - utcnow() <= timedelta(days=90)


def test_revoke_list_and_logout(city_app: Any) -> None:
    client, city = city_app
    csrf = _session(client)
    first = client.post("/api/auth/tokens", json={"name": "first"}, headers=csrf).json()["token"]
    second = client.post("/api/auth/tokens", json={"name": "second"}, headers=csrf).json()["token"]
    client.cookies.clear()
    me = {"Authorization": f"Bearer {first}"}
    assert client.get("/api/auth/me", headers=me).status_code == 200  # now cached
    rows = client.get("/api/auth/tokens", headers=me).json()["data"]
    first_id = next(row["id"] for row in rows if row["name"] == "first")
    # another user (not an admin) cannot revoke it, nor learn that it exists
    assert (
        client.delete(f"/api/auth/tokens/{first_id}", headers=bearer(city, "town_officer")).status_code == 404
    )
    assert client.delete(f"/api/auth/tokens/{first_id}", headers=me).status_code == 200
    assert client.get("/api/auth/me", headers=me).status_code == 401  # at once, not after the cache
    # log-out with a bearer token revokes that token
    other = {"Authorization": f"Bearer {second}"}
    assert client.get("/api/auth/me", headers=other).status_code == 200
    assert client.post("/api/auth/logout", headers=other).status_code == 200
    assert client.get("/api/auth/me", headers=other).status_code == 401
    assert [
        row["revoked"]
        for row in client.get("/api/auth/tokens", headers=bearer(city, "bureau_analyst")).json()["data"]
        if row["name"] in ("first", "second")
    ] == [True, True]


def test_an_expired_token_is_refused(city_app: Any) -> None:
    client, _ = city_app
    token = "gp_" + new_secret()
    with client.app.state.container.uow() as uow:
        user_id = accounts_service.get_user(uow, username="city_admin").id
        assert user_id is not None
        uow.accounts.add_token(
            digest=digest(token), name="old", user_id=user_id, expires_at=utcnow() - timedelta(seconds=1)
        )
    assert client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_cli_lists_and_revokes_every_users_tokens(lite_app: Any, sqlite_url: str) -> None:
    client, city = lite_app
    runner = CliRunner()
    listed = runner.invoke(
        cli, ["users", "tokens", "list", "--user", "enterprise", "--json", "--database", sqlite_url]
    )
    assert listed.exit_code == 0, listed.output
    import json

    rows = json.loads(listed.stdout)["data"]
    assert [row["username"] for row in rows] == ["enterprise"] and city.tokens[
        "enterprise"
    ] not in listed.stdout
    revoked = runner.invoke(cli, ["users", "tokens", "revoke", str(rows[0]["id"]), "--database", sqlite_url])
    assert revoked.exit_code == 0, revoked.output
    assert client.get("/api/auth/me", headers=bearer(city, "enterprise")).status_code == 401
    missing = runner.invoke(cli, ["users", "tokens", "revoke", "999999", "--json", "--database", sqlite_url])
    assert missing.exit_code == 2 and json.loads(missing.stdout)["type"] == "NotFound"


def test_migration_gives_never_expiring_tokens_an_expiry(database_url: str) -> None:
    upgrade(database_url, "web_0001")
    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    created = datetime(2024, 1, 1, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO users (id, username, password_hash, display_name, role, active, created_at) "
                "VALUES (1, 'u', 'x', 'u', 'city_admin', true, :at)"
            ),
            {"at": created.replace(tzinfo=None) if database_url.startswith("sqlite") else created},
        )
        conn.execute(
            text(
                "INSERT INTO api_tokens (digest, name, user_id, created_at, expires_at, revoked) "
                "VALUES ('d', 'legacy', 1, :at, NULL, false)"
            ),
            {"at": created.replace(tzinfo=None) if database_url.startswith("sqlite") else created},
        )
    upgrade(database_url)
    with engine.connect() as conn:
        expires = conn.execute(text("SELECT expires_at FROM api_tokens")).scalar_one()
    engine.dispose()
    if isinstance(expires, str):
        expires = datetime.fromisoformat(expires)
    assert expires.replace(tzinfo=None) == datetime(2024, 3, 31)
