"""Every /api route × every role: allowed or denied as its gate says, and no row outside scope.

The route list comes from ``app.routes``: a new route without a gate makes ``create_app`` fail,
and a route whose path parameters this test cannot fill fails here.
"""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from typing import Any

import pytest

from greenport.accounts import service as accounts_service
from greenport.accounts.model import Principal, Role
from greenport.accounts.secret_tokens import digest, new_secret
from greenport.kernel.time import utcnow
from greenport.web.app import PUBLIC_DOCUMENTATION, RouteInfo, gate_of, http_routes
from tests.web.conftest import CASE_PHOTOS, PARK_USER, PASSWORD, TOWN_A, TOWN_B, City, bearer
from tests.web.scope_check import CALLERS, DISCLOSED_PATHS, VISIBLE, rows_outside, workbook_rows

QUERY = {
    "/api/reports/bulletin": {"month": "2022-06"},
    "/api/reports/scorecard": {"period": "2022-06"},
    # the listing's search, filters and order run in SQL inside the scope: they narrow it, never widen it
    "/api/enterprises": {"q": "企业", "industry_group": "chemicals", "order": "name"},
    "/api/assessments/runs/{run_id}": {"q": "3205", "sort": "total", "order": "desc", "per_page": 1},
    "/api/notifications": {"unread": "true", "limit": 10},
    # the year of the seeded cases, grouped by town: every group names its town_code for the scope check
    "/api/cases/stats": {"by": "town", "period": "2026"},
}
BODY: dict[str, Any] = {
    "/api/auth/login": {"username": "bureau_analyst", "password": PASSWORD},
    "/api/auth/tokens": {"name": "matrix"},
    "/api/devices/{device_id}/active": {"active": False},
    "/api/assessments/runs": {"system_id": "town_eco_performance", "period": "2022"},
    "/api/notifications/read": {"ids": [1, 2]},
    "/api/alarms/{alarm_id}/ack": {"note": "已联系企业"},
    "/api/alarms/{alarm_id}/silence": {
        "until": (utcnow() + timedelta(days=1)).isoformat(),
        "reason": "企业检修",
    },
    "/api/alarms/{alarm_id}/explanation": {"text": "脱硫塔检修"},
    # a comment on the version the case at each outlet was seeded at (town A's: dispatched, 1)
    "/api/cases/{case_id}/actions": {"action": "comment", "version": 1, "note": "已联系企业"},
    # a patrol finding in town A (the town of the scoped officers)
    "/api/cases": {"category": "odour", "description": "巡查发现异味", "division_code": TOWN_A},
}
QUERY["/api/alarms"] = {"status": "open", "town_code": TOWN_B}
#: Routes that answer 404, not 403, for an object outside the caller's scope (whether an alarm
#: exists there is not to be learnt: greenport.alarms.service.alarm).
HIDDEN_OUTSIDE_SCOPE = ("{alarm_id}", "{case_id}", "{sha256}")


#: Routes a bearer token may not use although the role may: a token is created from a session.
SESSION_ONLY = {("POST", "/api/auth/tokens")}
#: Routes that use up the credential they are called with (log-out revokes a bearer token,
#: DELETE revokes the token it names): called with a throwaway token of the same role.
CONSUMES_CREDENTIAL = {("POST", "/api/auth/logout"), ("DELETE", "/api/auth/tokens/{token_id}")}


def _throwaway_token(client: Any, role: str) -> tuple[int, str]:
    """A fresh bearer token of user ``role``: (its id, the token)."""
    token = "gp_throwaway_" + new_secret()
    with client.app.state.container.uow() as uow:
        user = accounts_service.get_user(uow, username=role)
        assert user.id is not None
        token_id = uow.accounts.add_token(
            digest=digest(token),
            name="throwaway",
            user_id=user.id,
            expires_at=utcnow() + timedelta(days=1),
        )
    return token_id, token


def _principal(role: str, city: City) -> Principal:
    if role == "anonymous":
        return Principal(user_id=None, username="anonymous", display_name="", role=Role.PUBLIC)
    if role == PARK_USER:
        return Principal(
            user_id=1, username=role, display_name=role, role=Role.DEPARTMENT, park_id=city.ids["park"]
        )
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
        elif name == "alarm_id":  # the real-time exceedance at the outlet of town A / town B
            path, obj = path.replace("{alarm_id}", str(ids["alarm_" + key[1]])), key[1]
        elif name == "case_id":  # the case at the outlet of town A / town B (tests/web/conftest.py)
            path, obj = path.replace("{case_id}", str(ids["case_" + key[1]])), key[1]
        elif name == "sha256":  # the photo of that case
            photo = hashlib.sha256(CASE_PHOTOS[key[1]]).hexdigest()
            path, obj = path.replace("{sha256}", photo), key[1]
        elif name == "unit":
            path, obj = path.replace("{unit}", key[2]), f"unit:{key[2]}"
        else:
            pytest.fail(f"role matrix cannot fill path parameter {name!r} of {path}: add it to _fill")
    return path, obj


@pytest.mark.parametrize("which", ["in", "out"])
def test_every_api_route_for_every_role(city_app: Any, which: str) -> None:
    client, city = city_app
    routes = _api_routes(client.app)
    assert len(routes) >= 15
    checked = 0
    for route in routes:
        gate = gate_of(route)
        assert gate is not None, f"{route.path} has no gate"
        for role in CALLERS:
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
                allowed = gate.permits(_principal(role, city))
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
                    if any(part in route.path for part in HIDDEN_OUTSIDE_SCOPE):
                        assert response.status_code == 404, f"{where}: {obj} is outside the scope"
                        assert body["type"] == "NotFound"
                        continue
                    assert response.status_code == 403, f"{where}: {obj} is outside the scope"
                    assert body["type"] == "PermissionDenied"
                    continue
                assert response.status_code not in (401, 403), (
                    f"{where}: {response.status_code} {response.text[:200]}"
                )
                assert response.status_code < 500, f"{where}: {response.text[:300]}"
                if response.status_code == 200 and response.headers["content-type"].startswith("image/"):
                    # a case's photo: served only when its case is in scope (404 above otherwise)
                    assert response.content == CASE_PHOTOS[obj or ""], where
                    checked += 1
                    continue
                if response.status_code == 200 and not route.path.startswith(DISCLOSED_PATHS):
                    if response.headers["content-type"].startswith("application/vnd.openxmlformats"):
                        body = workbook_rows(response.content)
                    assert body is not None, f"{where}: an answer the scope check cannot read"
                    assert not rows_outside(body, role, city), f"{where}: {rows_outside(body, role, city)}"
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


def _grade_the_firms(client: Any, city: City) -> dict[str, str]:
    """A per-mu run over the two firms of the test city: their evaluation classes by credit code."""
    from greenport.assessments import service as assessments
    from greenport.demo.assessments import demo_values

    with client.app.state.container.uow() as uow:
        codes = {key: uow.registry.get_enterprise(city.ids[key]).credit_code for key in ("e1", "e2")}
        synthetic = list(demo_values("enterprise_per_mu", "2022").values())
        values = {code: synthetic[k] for k, code in enumerate(codes.values())}
        assessments.record_values(uow, system_id="enterprise_per_mu", period="2022", values=values)
        run = assessments.run_assessment(uow, system_id="enterprise_per_mu", period="2022")
    return {row["unit"]: row["grade"] for row in run.unit_rows()}


#: Filters of the enterprise list, each aimed at rows outside some caller's scope.
ENTERPRISE_FILTERS: list[dict[str, Any]] = [
    {},
    {"town_code": TOWN_B},
    {"town_code": TOWN_A, "q": "E2"},
    {"q": "企业", "order": "town", "descending": True},
    {"industry_group": "chemicals", "limit": 1, "offset": 1},
]


@pytest.mark.parametrize("filters", ENTERPRISE_FILTERS, ids=lambda f: ",".join(f) or "none")
def test_enterprise_filters_never_reach_outside_the_scope(city_app: Any, filters: dict[str, Any]) -> None:
    client, city = city_app
    grades = _grade_the_firms(client, city)
    extra: list[dict[str, Any]] = [
        {"park_id": city.ids["park"]},
        {"park_id": city.ids["park2"]},
        *({"evaluation_class": grade} for grade in sorted(set(grades.values()))),
    ]
    visible_firms = {role: {city.ids[k] for k in ("e1", "e2") if k in VISIBLE[role]} for role in CALLERS}
    for combined in (filters, *({**filters, **e} for e in extra)):
        for role in CALLERS:
            headers = {} if role == "anonymous" else bearer(city, role)
            response = client.get("/api/enterprises", params=combined, headers=headers)
            where = f"/api/enterprises {combined} as {role}"
            if role in ("anonymous", "public"):  # the gate refuses them before any filter runs
                assert response.status_code == (401 if role == "anonymous" else 403), where
                continue
            assert response.status_code == 200, f"{where}: {response.text[:200]}"
            body = response.json()
            assert not rows_outside(body, role, city), f"{where}: {rows_outside(body, role, city)}"
            ids = {row["id"] for row in body["data"]}
            assert ids <= visible_firms[role], where
            if "limit" not in combined:
                assert body["count"] == len(ids), where
            page = client.get("/enterprises", params=combined, headers=headers)
            assert page.status_code == 200, where
            shown = {int(i) for i in re.findall(r'<tr data-enterprise="(\d+)"', page.text)}
            if "limit" not in combined:
                assert shown == ids, where
