"""The alarms API on the test city's real alarms (tests/web/conftest.py ``_seed_alarms``: a firing
real-time SO2 exceedance and an offline alarm at each outlet, OUT1 in town A of firm e1, OUT2 in
town B of firm e2): who sees which, who may do what, what bad input is told, what is audited."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from greenport.kernel.time import utcnow
from greenport.web import auth
from tests.web.conftest import PASSWORD, TOWN_A, TOWN_B, bearer


def _ids(body: dict[str, Any]) -> set[int]:
    return {row["id"] for row in body["data"]}


def test_each_role_sees_the_alarms_of_its_scope_and_the_public_none(city_app: Any) -> None:
    client, city = city_app
    town_a = {city.ids["alarm_out1"], city.ids["offline_out1"]}
    town_b = {city.ids["alarm_out2"], city.ids["offline_out2"]}
    expected = {
        "city_admin": town_a | town_b,
        "bureau_analyst": town_a | town_b,
        "department": town_a | town_b,
        "town_officer": town_a,
        "grid_officer": town_a,
        "enterprise": town_a,  # firm e1 owns OUT1
        "park_department": town_a,
    }
    for role, ids in expected.items():
        body = client.get("/api/alarms", headers=bearer(city, role)).json()
        assert _ids(body) == ids and body["count"] == len(ids), role
    assert client.get("/api/alarms", headers=bearer(city, "public")).status_code == 403
    assert client.get("/api/alarms").status_code == 401
    # a filter naming the other town narrows, never widens
    other = client.get("/api/alarms", params={"town_code": TOWN_B}, headers=bearer(city, "town_officer"))
    assert other.json() == {"data": [], "count": 0}
    # the officer cannot open town B's alarm: 404, as if it did not exist
    hidden = client.get(f"/api/alarms/{city.ids['alarm_out2']}", headers=bearer(city, "town_officer"))
    assert hidden.status_code == 404 and hidden.json()["type"] == "NotFound"


def test_list_filters_counts_and_one_alarm_with_events_rule_and_series(city_app: Any) -> None:
    client, city = city_app
    admin = bearer(city, "city_admin")
    exceed = client.get("/api/alarms", params={"rule_id": "outlet-realtime-exceedance"}, headers=admin).json()
    assert _ids(exceed) == {city.ids["alarm_out1"], city.ids["alarm_out2"]}
    row = next(r for r in exceed["data"] if r["id"] == city.ids["alarm_out1"])
    assert row["rule_name_zh"] == "实时超标预警" and row["parameter"] == "flue_so2"
    assert (row["peak"], row["limit"], row["state"]) == (52.0, 35.0, "firing")
    assert client.get("/api/alarms", params={"severity": "major"}, headers=admin).json()["count"] == 2
    assert client.get("/api/alarms", params={"family": "falsified_data"}, headers=admin).json()["count"] == 0
    assert client.get("/api/alarms", params={"status": "resolved"}, headers=admin).json()["count"] == 0
    counts = client.get("/api/alarms/counts", headers=bearer(city, "town_officer")).json()
    assert counts["open"] == 2 and counts["by_town"] == {TOWN_A: 2}
    assert counts["by_severity"] == {"minor": 1, "major": 1}

    one = client.get(f"/api/alarms/{city.ids['alarm_out1']}", headers=admin).json()
    assert one["alarm"]["site_id"] == city.ids["out1"] and one["rule"]["hold"] == 3
    assert [e["to_state"] for e in one["events"]] == ["pending", "firing"]
    series = client.get(f"/api/alarms/{city.ids['alarm_out1']}/series", headers=admin).json()
    assert series["parameter"] == "flue_so2" and series["period"] == "raw"
    assert max(v for _, v in series["points"]) == 52.0 and len(series["points"]) == 10
    assert [value for _name, value in series["limits"]] == [35.0]  # the ultra-low SO2 limit line
    # the offline alarm has no parameter: the outlet's headline parameter is drawn
    offline = client.get(f"/api/alarms/{city.ids['offline_out1']}/series", headers=admin).json()
    assert offline["parameter"] == "flue_so2" and offline["points"]

    rules = client.get("/api/alarm-rules", headers=bearer(city, "bureau_analyst")).json()
    offline_rule = next(r for r in rules["data"] if r["id"] == "site-offline")
    assert offline_rule["kind_parameters"]["after_minutes"]["type"] == "number"
    assert client.get("/api/alarm-rules", headers=bearer(city, "town_officer")).status_code == 403


def test_officer_acknowledges_enterprise_explains_and_every_action_is_audited(city_app: Any) -> None:
    client, city = city_app
    alarm_id = city.ids["alarm_out1"]
    acked = client.post(
        f"/api/alarms/{alarm_id}/ack", json={"note": "已电话联系企业"}, headers=bearer(city, "town_officer")
    )
    assert acked.status_code == 200, acked.text
    assert acked.json()["acknowledged_by"] == "town_officer" and acked.json()["ack_note"] == "已电话联系企业"
    # the enterprise may not acknowledge, but explains its own outlet's alarm
    refused = client.post(f"/api/alarms/{alarm_id}/ack", json={}, headers=bearer(city, "enterprise"))
    assert refused.status_code == 403
    explained = client.post(
        f"/api/alarms/{alarm_id}/explanation",
        json={"text": "脱硫塔循环泵检修"},
        headers=bearer(city, "enterprise"),
    )
    assert explained.status_code == 200 and explained.json()["explanation"] == "脱硫塔循环泵检修"
    # the department reads, never acknowledges
    assert (
        client.post(f"/api/alarms/{alarm_id}/ack", json={}, headers=bearer(city, "department")).status_code
        == 403
    )
    # the other town's officer cannot touch it
    town_b_alarm = city.ids["alarm_out2"]
    assert (
        client.post(
            f"/api/alarms/{town_b_alarm}/ack", json={}, headers=bearer(city, "grid_officer")
        ).status_code
        == 404
    )
    until = utcnow() + timedelta(hours=4)
    silenced = client.post(
        f"/api/alarms/{alarm_id}/silence",
        json={"until": until.isoformat(), "reason": "企业检修"},
        headers=bearer(city, "town_officer"),
    )
    assert silenced.status_code == 200 and silenced.json()["silence_reason"] == "企业检修"
    history = client.get(f"/api/alarms/{alarm_id}", headers=bearer(city, "town_officer")).json()["events"]
    assert [e["kind"] for e in history][-3:] == ["acknowledged", "explained", "silenced"]
    with client.app.state.container.uow() as uow:
        entries = [e for e in uow.accounts.audit_entries(limit=50) if e["entity"] == "alarm"]
    assert sorted((e["action"], e["username"], e["entity_id"]) for e in entries) == [
        ("acknowledge", "town_officer", str(alarm_id)),
        ("explain", "enterprise", str(alarm_id)),
        ("silence", "town_officer", str(alarm_id)),
    ]


def test_bad_input_is_refused_naming_the_field_and_changes_nothing(city_app: Any) -> None:
    client, city = city_app
    officer = bearer(city, "town_officer")
    alarm_id = city.ids["alarm_out1"]
    cases = [
        ("silence", {"until": (utcnow() + timedelta(days=8)).isoformat(), "reason": "检修"}, "until"),
        ("silence", {"until": (utcnow() - timedelta(hours=1)).isoformat(), "reason": "检修"}, "until"),
        ("silence", {"until": "2026-06-01T10:00:00", "reason": "检修"}, "until"),  # no time zone
        ("silence", {"until": (utcnow() + timedelta(days=1)).isoformat(), "reason": "   "}, "reason"),
        ("explanation", {"text": ""}, "text"),
        ("ack", {"note": "x" * 2001}, "note"),
    ]
    for action, body, field in cases:
        response = client.post(f"/api/alarms/{alarm_id}/{action}", json=body, headers=officer)
        assert response.status_code == 422, (action, body, response.text)
        assert response.json()["field"] == field, (action, body, response.json())
    bad_status = client.get("/api/alarms", params={"status": "burning"}, headers=officer)
    assert bad_status.status_code == 422 and bad_status.json()["field"] == "status"
    alarm = client.get(f"/api/alarms/{alarm_id}", headers=officer).json()
    assert alarm["alarm"]["silenced_until"] is None and alarm["alarm"]["explanation"] is None
    assert alarm["alarm"]["acknowledged_by"] is None


def test_a_session_must_send_the_csrf_token(city_app: Any) -> None:
    client, city = city_app
    login = client.post("/api/auth/login", json={"username": "town_officer", "password": PASSWORD})
    assert login.status_code == 200
    alarm_id = city.ids["alarm_out1"]
    refused = client.post(f"/api/alarms/{alarm_id}/ack", json={"note": "无令牌"})
    assert refused.status_code == 403 and "CSRF" in refused.json()["error"].upper()
    accepted = client.post(
        f"/api/alarms/{alarm_id}/ack",
        json={"note": "有令牌"},
        headers={auth.CSRF_HEADER: login.json()["csrf_token"]},
    )
    assert accepted.status_code == 200 and accepted.json()["ack_note"] == "有令牌"
