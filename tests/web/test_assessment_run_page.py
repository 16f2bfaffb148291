"""The run page of a per-mu run over 600 enterprises stays usable: one page of the table at a time,
server-side search and sort, the top and bottom 20 in the charts (all on demand), radars for the
selected units only, and the run's statistical audit with its screened-out units."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from greenport.assessments import service as assessments
from greenport.bootstrap import build
from greenport.config import Settings
from greenport.demo.assessments import demo_values
from greenport.evaluation import parse_system
from greenport.systems import system_text
from greenport.web.app import create_app
from tests.web.conftest import City, _seed, bearer

UNITS = 600
#: Enterprises whose figures are mostly missing: the screening declared below leaves them out.
SPARSE = ("E007", "E123")


def _per_mu_600(period: str) -> dict[str, dict[str, Any]]:
    """Demo-like per-mu figures of 600 enterprises: the demo's synthetic generator, 10 x 60 firms."""
    rows: dict[str, dict[str, Any]] = {}
    for block in range(UNITS // 60):
        for k, row in enumerate(demo_values("enterprise_per_mu", period, seed=2022 + block).values()):
            rows[f"E{60 * block + k:03d}"] = dict(row)
    for unit in SPARSE:
        for key in ("tax_per_mu", "revenue_per_mu", "value_added_per_mu", "value_added_per_energy"):
            rows[unit][key] = None
    return rows


@pytest.fixture(scope="module")
def big_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, City, int]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('big') / 'greenport.db'}"
    container = build(Settings(database_url=url), migrate=True)
    city = City()
    _seed(container, city)
    declaration = yaml.safe_load(system_text("enterprise_per_mu"))
    declaration["screening"] = {"min_share": 0.6}
    system = parse_system(declaration)
    with container.uow() as uow:
        assessments.record_values(
            uow, system_id=system.id, period="2022", values=_per_mu_600("2022"), system=system
        )
        run = assessments.run_assessment(uow, system_id=system.id, period="2022", system=system)
    assert run.id is not None
    with TestClient(create_app(container=container)) as client:
        yield client, city, run.id
    container.db.dispose()


def _charts(html: str) -> dict[str, Any]:
    blocks = re.findall(r'<script type="application/json" class="gp-charts">(.*?)</script>', html, re.S)
    assert len(blocks) == 1
    return dict(json.loads(blocks[0])["charts"])


def _table_units(html: str) -> list[str]:
    table = html.split('id="results"')[1].split("</table>")[0]
    return re.findall(r'<tr data-unit="([^"]+)"', table)


def test_a_run_of_600_units_pages_its_table_and_draws_few_charts(big_run: Any) -> None:
    client, city, run_id = big_run
    analyst = bearer(city, "bureau_analyst")
    page = client.get(f"/assessments/runs/{run_id}", headers=analyst)
    assert page.status_code == 200, page.text[:500]
    html = page.text
    charts = _charts(html)
    # top 20 and bottom 20 bars, three default radars (best ranked), the audit heat map: not 600 charts
    assert set(charts) == {"totals-top", "totals-bottom", "radar-1", "radar-2", "radar-3", "audit-heatmap"}
    assert len(charts["totals-top"]["yAxis"]["data"]) == 20
    assert len(charts["totals-bottom"]["yAxis"]["data"]) == 20
    first = _table_units(html)
    assert len(first) == 50
    assert html.count('class="chart') == len(charts)
    # the next page holds the next 50 by rank
    second = _table_units(client.get(f"/assessments/runs/{run_id}", params={"page": 2}, headers=analyst).text)
    assert len(second) == 50 and not set(first) & set(second)
    detail = client.get(f"/api/assessments/runs/{run_id}", headers=analyst).json()
    by_rank = [r["unit"] for r in sorted(detail["data"], key=lambda r: r["rank"])]
    assert detail["total_units"] == UNITS - len(SPARSE)
    assert first == by_rank[:50] and second == by_rank[50:100]
    assert 'id="page-next"' in html and 'id="page-prev"' not in html
    # the last page: 598 units = 11 pages of 50 and 48
    last = client.get(f"/assessments/runs/{run_id}", params={"page": 99}, headers=analyst).text
    assert _table_units(last) == by_rank[550:] and 'id="page-next"' not in last
    # every unit in one chart on demand, scrolled 20 at a time
    everything = _charts(
        client.get(f"/assessments/runs/{run_id}", params={"chart": "all"}, headers=analyst).text
    )
    assert len(everything["totals"]["yAxis"]["data"]) == UNITS - len(SPARSE)
    assert everything["totals"]["dataZoom"][0]["endValue"] == 19


def test_search_and_sort_are_server_side(big_run: Any) -> None:
    client, city, run_id = big_run
    analyst = bearer(city, "bureau_analyst")
    found = client.get(f"/assessments/runs/{run_id}", params={"q": "e04"}, headers=analyst).text
    assert sorted(_table_units(found)) == [f"E04{k}" for k in range(10)]
    worst_first = client.get(
        f"/assessments/runs/{run_id}", params={"sort": "total", "order": "asc"}, headers=analyst
    ).text
    detail = client.get(
        f"/api/assessments/runs/{run_id}",
        params={"sort": "total", "order": "asc", "per_page": 50},
        headers=analyst,
    ).json()
    totals = [r["total"] for r in detail["data"]]
    assert totals == sorted(totals) and detail["count"] == UNITS - len(SPARSE)
    assert _table_units(worst_first) == [r["unit"] for r in detail["data"]]
    by_dimension = client.get(
        f"/api/assessments/runs/{run_id}", params={"sort": "land_output", "order": "desc"}, headers=analyst
    ).json()["data"]
    scores = [r["land_output"] for r in by_dimension]
    assert scores == sorted(scores, reverse=True)
    bad = client.get(f"/api/assessments/runs/{run_id}", params={"sort": "nonsense"}, headers=analyst)
    assert bad.status_code == 422 and bad.json()["field"] == "sort"


def test_radars_only_for_the_selected_units_each_named(big_run: Any) -> None:
    client, city, run_id = big_run
    analyst = bearer(city, "bureau_analyst")
    asked = ["E010", "E500", "E321", "E222", "E111", "E599", "E598"]
    html = client.get(f"/assessments/runs/{run_id}", params={"units": asked}, headers=analyst).text
    charts = _charts(html)
    radars = [charts[f"radar-{k}"] for k in range(1, 6)]
    assert "radar-6" not in charts
    assert [r["title"]["text"] for r in radars] == asked[:5]
    assert [r["series"][0]["data"][0]["name"] for r in radars] == asked[:5]
    # the selection survives paging (hidden inputs and links keep it)
    assert "units=E010" in html.split('id="page-next" href="')[1].split('"')[0]


def test_the_run_page_shows_the_audit_and_the_screened_units(big_run: Any) -> None:
    client, city, run_id = big_run
    analyst = bearer(city, "bureau_analyst")
    html = client.get(f"/assessments/runs/{run_id}", headers=analyst).text
    heatmap = _charts(html)["audit-heatmap"]
    assert heatmap["yAxis"]["data"][0] == "亩均税收"
    assert heatmap["xAxis"]["data"] == ["与上级", "与总指数"]
    assert heatmap["visualMap"]["min"] == -1 and heatmap["visualMap"]["max"] == 1
    assert all(-1 <= cell[2] <= 1 for cell in heatmap["series"][0]["data"])
    indicators = html.split('id="audit-indicators"')[1].split("</table>")[0]
    assert indicators.count("<tr data-indicator=") == 7 and "亩均税收" in indicators
    aggregates = html.split('id="audit-aggregates"')[1].split("</table>")[0]
    assert "克朗巴哈 α" in html and "用地产出" in aggregates
    detail = client.get(f"/api/assessments/runs/{run_id}", headers=analyst).json()
    alpha = {a["id"]: a["cronbach_alpha"] for a in detail["audit"]["aggregates"]}
    assert f"{alpha['land_output']:.2f}" in aggregates
    screened = html.split('id="audit-screened"')[1].split("</table>")[0]
    assert re.findall(r'<tr data-unit="([^"]+)"', screened) == list(SPARSE)
    assert {s["unit"] for s in detail["audit"]["screened"]} == set(SPARSE)
    # English page: the same audit with English names
    english = client.get(f"/assessments/runs/{run_id}", params={"lang": "en"}, headers=analyst).text
    assert "Tax per mu" in english.split('id="audit-indicators"')[1] and "Cronbach" in english
