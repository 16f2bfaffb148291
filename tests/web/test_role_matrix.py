"""Every /api route × every role: allowed or denied as its gate says, and no row outside scope.

The route list comes from ``app.routes``: a new route without a gate makes ``create_app`` fail,
and a route whose path parameters this test cannot fill fails here.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest

from greenport.accounts.model import Role
from greenport.kernel.time import utcnow
from greenport.web import auth
from greenport.web.app import PUBLIC_DOCUMENTATION, RouteInfo, gate_of, http_routes
from greenport.web.auth import Principal
from tests.web.conftest import PASSWORD, ROLES, TOWN_A, TOWN_B, bearer

#: Which registry objects each role may see (written from the rules, not from the code).
VISIBLE: dict[str, set[str]] = {
    "city_admin": {"e1", "e2", "airA", "airB", "waterA", "out1", "out2", TOWN_A, TOWN_B},
    "bureau_analyst": {"e1", "e2", "airA", "airB", "waterA", "out1", "out2", TOWN_A, TOWN_B},
    "department": {"e1", "e2", "airA", "airB", "waterA", "out1", "out2", TOWN_A, TOWN_B},
    "town_officer": {"e1", "airA", "waterA", "out1", TOWN_A},
    "grid_officer": {"e1", "airA", "waterA", "out1", TOWN_A},
    "enterprise": {"e1", "out1", TOWN_A},
    "public": {"airA", "airB", "waterA", TOWN_A, TOWN_B},
    "anonymous": {"airA", "airB", "waterA", TOWN_A, TOWN_B},
}
QUERY = {"/api/reports/bulletin": {"month": "2022-06"}, "/api/reports/scorecard": {"period": "2022-06"}}
BODY: dict[str, Any] = {
    "/api/auth/login": {"username": "bureau_analyst", "password": PASSWORD},
    "/api/auth/tokens": {"name": "matrix"},
    "/api/devices/{device_id}/active": {"active": False},
    "/api/assessments/runs": {"system_id": "town_eco_performance", "period": "2022"},
}


#: Routes a bearer token may not use although the role may: a token is created from a session.
SESSION_ONLY = {("POST", "/api/auth/tokens")}
#: Routes that use up the credential they are called with (log-out revokes a bearer token,
#: DELETE revokes the token it names): called with a throwaway token of the same role.
CONSUMES_CREDENTIAL = {("POST", "/api/auth/logout"), ("DELETE", "/api/auth/tokens/{token_id}")}


def _throwaway_token(client: Any, role: str) -> tuple[int, str]:
    """A fresh bearer token of user ``role``: (its id, the token)."""
    token = "gp_throwaway_" + auth.new_secret()
    with client.app.state.container.uow() as uow:
        found = uow.web.user_credentials(role)
        assert found is not None
        token_id = uow.web.add_token(
            digest=auth.digest(token),
            name="throwaway",
            user_id=found[0]["id"],
            expires_at=utcnow() + timedelta(days=1),
        )
    return token_id, token


def _principal(role: str) -> Principal:
    if role == "anonymous":
        return Principal(user_id=None, username="anonymous", display_name="", role=Role.PUBLIC)
    return Principal(user_id=1, username=role, display_name=role, role=Role(role))


def _api_routes(app: Any) -> list[RouteInfo]:
    return [r for r in http_routes(app) if r.path.startswith("/api") and r.path not in PUBLIC_DOCUMENTATION]


def _fill(path: str, ids: dict[str, int], which: str) -> tuple[str, str | None]:
    """Fill path parameters with the object ``which`` ("in" = town A / e1, "out" = town B / e2)."""
    key = {"in": ("e1", "out1", TOWN_A), "out": ("e2", "out2", TOWN_B)}[which]
    obj = None
    for name in re.findall(r"{(\w+)}", path):
        if name == "enterprise_id":
            path, obj = path.replace("{enterprise_id}", str(ids[key[0]])), key[0]
        elif name == "site_id":
            path, obj = path.replace("{site_id}", str(ids[key[1]])), key[1]
        elif name == "code":
            path, obj = path.replace("{code}", key[2]), key[2]
        elif name == "device_id":
            path = path.replace("{device_id}", str(ids["dev_" + key[1]]))
        elif name == "kind":
            path = path.replace("{kind}", "enterprises")
        elif name == "run_id":
            path = path.replace("{run_id}", str(ids["run"]))
        elif name == "unit":
            path, obj = path.replace("{unit}", key[2]), key[2]
        else:
            pytest.fail(f"role matrix cannot fill path parameter {name!r} of {path}: add it to _fill")
    return path, obj


def _check_rows(body: Any, role: str, city_ids: dict[str, int], path: str) -> None:
    visible = VISIBLE[role]
    towns = {c for c in visible if c.isdigit()}
    firm_ids = {city_ids[k] for k in ("e1", "e2") if k in visible}
    site_ids = {city_ids[k] for k in ("airA", "airB", "waterA", "out1", "out2") if k in visible}
    rows = body.get("data") if isinstance(body, dict) else None
    if not isinstance(rows, list):
        return
    for row in rows:
        if not isinstance(row, dict):
            continue
        if "town_code" in row and path not in ("/api/public/water",):
            assert row["town_code"] in towns, f"{role} got a row of town {row['town_code']} from {path}"
        if row.get("enterprise_id") is not None:
            assert row["enterprise_id"] in firm_ids, (
                f"{role} got enterprise {row['enterprise_id']} from {path}"
            )
        if str(row.get("unit", "")).isdigit():
            assert row["unit"] in towns, f"{role} got assessment unit {row['unit']} from {path}"
        if "kind" in row and "id" in row and path.startswith("/api/sites"):
            assert row["id"] in site_ids, f"{role} got site {row['id']} from {path}"


@pytest.mark.parametrize("which", ["in", "out"])
def test_every_api_route_for_every_role(city_app: Any, which: str) -> None:
    client, city = city_app
    routes = _api_routes(client.app)
    assert len(routes) >= 15
    checked = 0
    for route in routes:
        gate = gate_of(route)
        assert gate is not None, f"{route.path} has no gate"
        for role in (*ROLES, "anonymous"):
            headers = {} if role == "anonymous" else bearer(city, role)
            route_path = route.path
            if (
                any((m, route.path) in CONSUMES_CREDENTIAL for m in route.methods or ())
                and role != "anonymous"
            ):
                token_id, token = _throwaway_token(client, role)
                headers = {"Authorization": f"Bearer {token}"}
                route_path = route_path.replace("{token_id}", str(token_id))
            elif "{token_id}" in route_path:  # anonymous: any id, refused at the gate
                route_path = route_path.replace("{token_id}", "1")
            path, obj = _fill(route_path, city.ids, which)
            for method in sorted(route.methods or ()):
                if method == "POST" and route.path == "/api/registry/import/{kind}":
                    response = client.post(path, headers=headers, files={"file": ("x.pdf", b"%PDF")})
                else:
                    response = client.request(
                        method, path, headers=headers, params=QUERY.get(route.path), json=BODY.get(route.path)
                    )
                client.cookies.clear()
                body = (
                    response.json()
                    if response.headers.get("content-type", "").startswith("application/json")
                    else None
                )
                allowed = gate.permits(_principal(role))
                where = f"{method} {path} as {role}"
                if not allowed:
                    assert response.status_code == (401 if role == "anonymous" else 403), where
                    assert set(body) >= {"error", "type"}, where
                    continue
                if (method, route.path) in SESSION_ONLY:
                    assert response.status_code == 403, f"{where}: a bearer token must not {route.path}"
                    assert "session" in body["error"], where
                    continue
                if obj is not None and obj not in VISIBLE[role]:
                    assert response.status_code == 403, f"{where}: {obj} is outside the scope"
                    assert body["type"] == "PermissionDenied"
                    continue
                assert response.status_code not in (401, 403), (
                    f"{where}: {response.status_code} {response.text[:200]}"
                )
                assert response.status_code < 500, f"{where}: {response.text[:300]}"
                if response.status_code == 200 and body is not None:
                    _check_rows(body, role, city.ids, route.path)
                checked += 1
    assert checked > 50


def test_enterprise_user_sees_only_its_firm(lite_app: Any) -> None:
    client, city = lite_app
    body = client.get("/api/enterprises", headers=bearer(city, "enterprise")).json()
    assert [row["id"] for row in body["data"]] == [city.ids["e1"]]
    assert (
        client.get(f"/api/enterprises/{city.ids['e2']}", headers=bearer(city, "enterprise")).status_code
        == 403
    )


def test_town_officer_sees_only_the_town(lite_app: Any) -> None:
    client, city = lite_app
    sites = client.get("/api/sites", headers=bearer(city, "town_officer")).json()["data"]
    assert {s["town_code"] for s in sites} == {TOWN_A}
    assert {s["code"] for s in sites} == {"AIRA", "WATERA", "OUT1"}
