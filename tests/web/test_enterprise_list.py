"""The enterprise list of a city with a few hundred firms: search by name or credit code, filters by
town, park, industry group and evaluation class, pages of 50, all in SQL (API and page alike)."""

from __future__ import annotations

import re
from typing import Any

from greenport.assessments import service as assessments
from greenport.demo.assessments import demo_values
from greenport.storage import registry as reg
from tests.web.conftest import TOWN_A, TOWN_B, bearer

#: Firms added to the test city (besides e1 and e2): every third in town B, every fifth in park P1.
EXTRA = 130
GROUPS = ("chemicals", "textiles", "metallurgy")


def _add_firms(client: Any, city: Any) -> dict[str, str]:
    """130 more firms and a per-mu run grading all of them: {credit code: class}."""
    container = client.app.state.container
    with container.uow() as uow:
        for k in range(EXTRA):
            uow.session.add(
                reg.EnterpriseRow(
                    credit_code=f"91320582MA{k:06d}Z{k % 10}",
                    name=f"{'纺织' if k % 7 == 0 else '港城'}公司{k:03d}",
                    industry_code="1711",
                    industry_group=GROUPS[k % 3],
                    town_code=TOWN_B if k % 3 == 0 else TOWN_A,
                    park_id=city.ids["park"] if k % 5 == 0 else None,
                    land_area_mu=10.0 + k,
                    lon=120.55,
                    lat=31.95,
                    size_class="small",
                    above_scale=True,
                )
            )
        uow.session.flush()
        codes = [f"91320582MA{k:06d}Z{k % 10}" for k in range(EXTRA)]
        synthetic = list(demo_values("enterprise_per_mu", "2022").values())
        values = {code: synthetic[k % len(synthetic)] for k, code in enumerate(codes)}
        assessments.record_values(uow, system_id="enterprise_per_mu", period="2022", values=values)
        run = assessments.run_assessment(uow, system_id="enterprise_per_mu", period="2022")
    return {row["unit"]: row["grade"] for row in run.unit_rows()}


def _page_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr data-enterprise="(\d+)"', html)]


def test_search_filters_and_pages(lite_app: Any) -> None:
    client, city = lite_app
    grades = _add_firms(client, city)
    admin = bearer(city, "city_admin")
    api = "/api/enterprises"
    everything = client.get(api, params={"limit": 1000}, headers=admin).json()
    assert everything["count"] == EXTRA + 2 and everything["class_period"] == "2022"
    # pages of 50 by name, no firm twice, the last page short
    first = client.get("/enterprises", headers=admin).text
    assert len(_page_ids(first)) == 50 and 'id="page-next"' in first
    pages = [_page_ids(client.get("/enterprises", params={"page": n}, headers=admin).text) for n in (1, 2, 3)]
    assert [len(p) for p in pages] == [50, 50, 32]
    assert len({i for p in pages for i in p}) == EXTRA + 2
    by_name = client.get(api, params={"order": "name", "limit": 1000}, headers=admin).json()["data"]
    assert pages[0] == [r["id"] for r in by_name[:50]]
    # search: a part of the name, or of the credit code (either case)
    textiles = client.get(api, params={"q": "纺织"}, headers=admin).json()
    assert textiles["count"] == len(range(0, EXTRA, 7)) and all("纺织" in r["name"] for r in textiles["data"])
    by_code = client.get(api, params={"q": "ma000042z"}, headers=admin).json()["data"]
    assert [r["credit_code"] for r in by_code] == ["91320582MA000042Z2"]
    # filters combine, in SQL
    combined = client.get(
        api,
        params={"town_code": TOWN_A, "park_id": city.ids["park"], "industry_group": "textiles"},
        headers=admin,
    ).json()
    expected = [k for k in range(EXTRA) if k % 3 == 1 and k % 5 == 0]
    assert combined["count"] == len(expected)  # e1 (town A, park P1) is chemicals
    assert {r["credit_code"] for r in combined["data"]} == {f"91320582MA{k:06d}Z{k % 10}" for k in expected}
    # the evaluation class of the newest per-mu run, on each row and as a filter
    a_class = client.get(api, params={"evaluation_class": "A", "limit": 1000}, headers=admin).json()
    assert {r["credit_code"] for r in a_class["data"]} == {c for c, g in grades.items() if g == "A"}
    assert all(r["evaluation_class"] == "A" for r in a_class["data"])
    page = client.get(
        "/enterprises", params={"evaluation_class": "D", "town_code": TOWN_B}, headers=admin
    ).text
    d_in_b = client.get(
        api, params={"evaluation_class": "D", "town_code": TOWN_B, "order": "name"}, headers=admin
    ).json()
    assert _page_ids(page) == [r["id"] for r in d_in_b["data"]] and d_in_b["count"] > 0
    assert 'id="filter-class"' in page and "塘桥镇" in page
    # the form as a browser submits it: every filter present, the unused ones empty
    form = {"q": "", "town_code": TOWN_B, "park_id": "", "industry_group": "", "evaluation_class": "D"}
    submitted = client.get("/enterprises", params={**form, "order": "name"}, headers=admin)
    assert submitted.status_code == 200 and _page_ids(submitted.text) == _page_ids(page)
    bad = client.get(api, params={"evaluation_class": "Z"}, headers=admin)
    assert bad.status_code == 422 and bad.json()["field"] == "evaluation_class"
    bad_group = client.get(api, params={"industry_group": "steel"}, headers=admin)
    assert bad_group.status_code == 422 and bad_group.json()["field"] == "industry_group"


def test_a_town_officer_filters_only_within_the_town(lite_app: Any) -> None:
    client, city = lite_app
    _add_firms(client, city)
    officer = bearer(city, "town_officer")
    mine = client.get("/api/enterprises", params={"limit": 1000}, headers=officer).json()
    assert {r["town_code"] for r in mine["data"]} == {TOWN_A}
    assert mine["count"] == 1 + sum(1 for k in range(EXTRA) if k % 3 != 0)
    other_town = client.get("/api/enterprises", params={"town_code": TOWN_B}, headers=officer).json()
    assert other_town == {**other_town, "data": [], "count": 0}
    page = client.get("/enterprises", params={"town_code": TOWN_B, "q": "公司"}, headers=officer).text
    assert _page_ids(page) == []


def test_a_town_page_lists_its_first_firms_and_links_to_the_filtered_list(lite_app: Any) -> None:
    client, city = lite_app
    _add_firms(client, city)
    html = client.get(f"/towns/{TOWN_A}", headers=bearer(city, "city_admin")).text
    assert html.count('<a href="/enterprises/') == 50
    assert f'href="/enterprises?town_code={TOWN_A}"' in html
