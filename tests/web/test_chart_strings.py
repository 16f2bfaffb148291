"""Every word a chart draws is in the page's language.

Charts are drawn on a canvas, so the DOM checks of test_i18n cannot see their axis names, series,
legends, radar axes, titles or tooltips: this builds each chart's options the way its page does,
in ``en`` and in ``zh``, and reads every string in them. English options carry no Chinese (beyond
the proper names tests/web/i18n_allow.txt admits); Chinese options no English word (beyond the
codes and units it admits).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from greenport.web import charts
from greenport.web.pages import assessments, dashboard, monitoring
from tests.web.test_i18n import CJK, _allowed, _english_left

#: Option keys whose strings are ECharts settings, not text a person reads.
SETTINGS = {
    "type", "trigger", "color", "areaColor", "borderColor", "borderType", "symbol", "position",
    "map", "orient", "left", "right", "top", "bottom", "coordinateSystem", "center", "inRange",
}  # fmt: skip

#: A time point of a series (data, drawn by ECharts as a date, not read as text).
ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T")

DASHBOARD_DATA: dict[str, Any] = {
    "geojson": {
        "type": "FeatureCollection",
        "features": [
            {"properties": {"name": "锦江镇", "kind": "town"}},
            {"properties": {"name": "沿江化工园", "kind": "park"}},
        ],
    },
    "sites": [
        {"id": 1, "name": "点位A1", "lon": 120.5, "lat": 31.9, "state": "normal", "aqi": 51.0},
        {"id": 2, "name": "点位B2", "lon": 120.6, "lat": 31.8, "state": "over_limit", "aqi": None},
    ],
    "current": {"aqi": 51},
    "water": [{"name": "锦江镇", "actual_class": 3, "target_class": 2}],
    "year": {"good_day_ratio": 82.44999, "good_day_target": 83.6, "pm2_5_mean": 26.94, "pm2_5_target": 35.0},
    "alarms": {
        "open": 1,
        "by_severity": {"major": 1},
        "newest": [],
        "by_site": {
            "2": [
                {
                    "id": 7,
                    "rule_id": "site-offline",
                    "kind": "offline",
                    "severity": "major",
                    "parameter": "",
                    "state": "firing",
                }
            ]
        },
    },
}
SITE_SERIES: dict[str, dict[str, Any]] = {
    "pm2_5": {"points": [("2026-01-01T00:00:00+08:00", 35.4999)], "limits": [("GB 3095-2012 class 2", 75.0)]},
    "co": {"points": [("2026-01-01T00:00:00+08:00", 1.2499999)], "limits": [("GB 3095-2012 class 2", 10.0)]},
    "ph": {"points": [], "limits": [("GB 3838 class 3", 9.0), ("GB 3838 class 3 (low)", 6.0)]},
    "flue_so2": {"points": [], "limits": [("gb28662_2012, O2 16%", 200.0)]},
}
RUN_DETAIL: dict[str, Any] = {
    "dimensions": [
        {"id": "economy", "name_zh": "经济发展", "name_en": "Economic development"},
        {"id": "ecology", "name_zh": "生态环境", "name_en": "Ecological environment"},
    ],
    "data": [
        {"unit": f"u{i}", "label": "锦江镇", "rank": i, "total": 90.0 - i, "economy": 40.0, "ecology": 50.0 - i}
        for i in range(1, 50)
    ],
    "audit": {
        "indicators": [
            {"name_zh": "空气质量优良天数比例", "name_en": "Good-air-day ratio", "pearson_parent": 0.8,
             "pearson_index": 0.5},
        ]
    },
}  # fmt: skip
BREAKDOWN: dict[str, Any] = {
    "label": "锦江镇",
    "dimensions": [
        {"id": "economy", "name_zh": "经济发展", "name_en": "Economic development", "display_score": 30.0}
    ],
}


def chart_options(lang: str) -> dict[str, Any]:
    """Every chart of every page, built by the page's own code in ``lang``."""
    board = dashboard._context(DASHBOARD_DATA, lang)
    return {
        "dashboard.map": board.map_chart,
        "dashboard.gauge": board.gauge_chart,
        "dashboard.water": board.water_chart,
        "dashboard.good_days": board.good_days_chart,
        "dashboard.pm25": board.pm25_chart,
        "site": monitoring.site_charts(SITE_SERIES, lang),
        "assessments.radars": assessments._radars(RUN_DETAIL, ["u1", "u2"], lang),
        "assessments.totals": assessments._totals_charts(RUN_DETAIL["data"], show_all=False, lang=lang),
        "assessments.audit": assessments._audit_chart(RUN_DETAIL, lang),
        "assessments.breakdown": assessments.breakdown_radar(BREAKDOWN, lang),
        "public.aqi": charts.daily_aqi_calendar([{"day": "06-01", "aqi": 51, "level": 2}], title="AQI"),
    }


def visible_strings(option: Any, key: str = "") -> Iterator[str]:
    """The strings of an option a person may read (not colours, positions or chart types)."""
    if isinstance(option, dict):
        for name, value in option.items():
            if name not in SETTINGS:
                yield from visible_strings(value, name)
    elif isinstance(option, list | tuple):
        for value in option:
            yield from visible_strings(value, key)
    elif isinstance(option, str) and option not in ("", "—", "{value}") and not option.startswith("#"):
        if ISO_TIME.match(option):
            return
        yield option


@pytest.mark.parametrize("chart", sorted(chart_options("en")))
def test_english_charts_carry_no_chinese(chart: str) -> None:
    allowed = _allowed("en")
    left = [s for s in visible_strings(chart_options("en")[chart]) if CJK.search(allowed.sub(" ", s))]
    assert left == [], f"Chinese in the English {chart} chart: {left}"


@pytest.mark.parametrize("chart", sorted(chart_options("zh")))
def test_chinese_charts_carry_no_english(chart: str) -> None:
    left = [s for s in visible_strings(chart_options("zh")[chart]) if _english_left(s)]
    assert left == [], f"English in the Chinese {chart} chart: {left}"


def test_the_site_charts_name_parameters_and_limits_in_the_page_language() -> None:
    zh = monitoring.site_charts(SITE_SERIES, "zh")
    en = monitoring.site_charts(SITE_SERIES, "en")
    assert zh[0]["series"][0]["name"] != "pm2_5" and "PM2.5" in zh[0]["title"]["text"]
    assert zh[0]["series"][0]["markLine"]["data"][0]["name"] == "GB 3095-2012 2级"
    assert en[2]["series"][0]["markLine"]["data"][1]["name"] == "GB 3838 Class III (lower limit)"
    assert "Ⅲ类" in zh[2]["series"][0]["markLine"]["data"][0]["name"]
