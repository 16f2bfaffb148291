"""One figure, one computation: the dashboard, the scorecard and the assessment inputs agree on
every town's air figures (issue 14: 锦江镇 was 82.4 % / 26.9 on the dashboard and the scorecard
but 81.9 / 27.6 in the assessment breakdown's raw values).

The test city (tests/web/conftest.py) stores its town assessment inputs as the demo does
(:func:`greenport.demo.assessments.measured_town_air`); its stations have June 2022 daily values.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from greenport.accounts.model import RowScope
from greenport.reports import dashboard
from greenport.reports import service as reports
from tests.web.conftest import TOWN_A, TOWN_B

END_OF_2022 = datetime(2022, 12, 31, 15, tzinfo=UTC)  # 23:00 on 31 December, Beijing time


def test_dashboard_scorecard_and_assessment_inputs_agree_on_every_towns_air(city_app: Any) -> None:
    client, _city = city_app
    with client.app.state.container.uow() as uow:
        card = {town.code: town for town in reports.scorecard(uow, period="2022").towns}
        inputs: dict[str, dict[str, float | None]] = {}
        for value in uow.evaluation.indicator_values("town_eco_performance", "2022"):
            inputs.setdefault(value.unit_key, {})[value.indicator_id] = value.value
        for code in (TOWN_A, TOWN_B):
            year = dashboard.dashboard(uow, scope=RowScope(town_codes=frozenset({code})), now=END_OF_2022)[
                "year"
            ]
            assert year["year"] == 2022
            figures = {
                "dashboard": (year["good_day_ratio"], year["pm2_5_mean"]),
                "scorecard": (card[code].good_day_ratio, card[code].pm2_5_mean),
                "assessment inputs": (inputs[code]["good_air_ratio"], inputs[code]["pm25"]),
            }
            assert len(set(figures.values())) == 1, f"town {code}: {figures}"
            assert figures["scorecard"] == (56.7, 35.5)  # June 2022: 17 good days of 30 (test_bulletin)
