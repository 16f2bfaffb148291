"""Assessment runs through the API: results, rank intervals, comparison, breakdown, scope."""

from __future__ import annotations

from typing import Any

from tests.web.conftest import TOWN_A, TOWN_B, bearer


def test_run_compare_and_explain(lite_app: Any) -> None:
    client, city = lite_app
    analyst = bearer(city, "bureau_analyst")
    body = {"system_id": "town_eco_performance", "period": "2022", "uncertainty": 40}
    created = client.post("/api/assessments/runs", json=body, headers=analyst)
    assert created.status_code == 200, created.text
    run_id = created.json()["id"]
    detail = client.get(f"/api/assessments/runs/{run_id}", headers=analyst).json()
    units = {row["unit"]: row for row in detail["data"]}
    assert set(units) == {TOWN_A, TOWN_B}
    assert {row["rank"] for row in units.values()} == {1, 2}
    assert all(row["grade"] for row in units.values())
    assert all(1 <= row["rank_interval"]["p05"] <= row["rank_interval"]["p95"] <= 2 for row in units.values())
    assert all(row["obstacles"] for row in units.values())
    comparison = {c["unit"]: c for c in detail["comparison"]["units"]}
    assert detail["comparison"]["period_a"] == "2021"
    assert comparison[TOWN_A]["total_b"] == units[TOWN_A]["total"]
    # the breakdown explains exactly the stored score
    explained = client.get(f"/api/assessments/runs/{run_id}/units/{TOWN_A}", headers=analyst).json()
    assert abs(explained["total"] - units[TOWN_A]["total"]) < 1e-9
    assert explained["dimensions"] and explained["top_obstacles"]
    audit = client.get("/api/audit", headers=bearer(city, "city_admin")).json()["data"]
    assert audit[0]["entity"] == "assessment" and audit[0]["entity_id"] == str(run_id)


def test_town_officer_sees_only_its_town_in_results(lite_app: Any) -> None:
    client, city = lite_app
    officer = bearer(city, "town_officer")
    detail = client.get(f"/api/assessments/runs/{city.ids['run']}", headers=officer).json()
    assert [row["unit"] for row in detail["data"]] == [TOWN_A]
    assert (
        client.get(f"/api/assessments/runs/{city.ids['run']}/units/{TOWN_B}", headers=officer).status_code
        == 403
    )
    assert (
        client.post(
            "/api/assessments/runs",
            json={"system_id": "town_eco_performance", "period": "2022"},
            headers=officer,
        ).status_code
        == 403
    )


def test_bad_run_requests_name_the_field(lite_app: Any) -> None:
    client, city = lite_app
    analyst = bearer(city, "bureau_analyst")
    missing = client.post(
        "/api/assessments/runs", json={"system_id": "town_eco_performance", "period": "1999"}, headers=analyst
    )
    assert missing.status_code == 404 and missing.json()["field"] == "period"
    unknown = client.get(f"/api/assessments/runs/{city.ids['run']}/units/999999999999", headers=analyst)
    assert unknown.status_code == 404 and unknown.json()["field"] == "unit"
