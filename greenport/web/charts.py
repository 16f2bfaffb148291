"""Pure functions turning domain results into ECharts option dicts (STYLE habit 14).

Templates pass them with ``{{ ctx.some_chart|tojson }}``; nothing here touches a request or a
database. Colours of states and AQI levels are the published ones (HJ 633-2012 Table 2).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

#: How a park's boundary is drawn over the towns.
PARK_STYLE = {"areaColor": "rgba(255, 183, 77, 0.25)", "borderColor": "#e08a00", "borderType": "dashed"}
STATE_COLOURS = {"normal": "#00A854", "over_limit": "#E8322B", "offline": "#9E9E9E"}
#: GB 3838-2002 class colours as commonly used in Chinese water bulletins (I..V, worse than V).
WATER_CLASS_COLOURS = {1: "#1E88E5", 2: "#29B6F6", 3: "#66BB6A", 4: "#FFCA28", 5: "#FB8C00", 6: "#E53935"}
#: Upper AQI of "good" (良), the line a good day stays under (HJ 633-2012 Table 2).
AQI_GOOD_LIMIT = 100
MAP_NAME = "greenport-city"
#: Category labels longer than this [characters] are drawn rotated so that neighbours do not overlap.
LONG_LABEL = 4
#: Angle of rotated category labels [degrees].
LABEL_ROTATION = 30
#: A category axis with more than this many bars shows a window of them with a zoom slider.
ZOOM_WINDOW = 20
#: Diverging colours of a correlation heat map, from -1 (red) through 0 (white) to +1 (green).
CORRELATION_COLOURS = ["#c62828", "#ffffff", "#2e7d32"]
#: Room a chart leaves around its plot [px]; ``containLabel`` keeps the axis labels inside it.
GRID = {"left": 10, "right": 40, "top": 30, "bottom": 10, "containLabel": True}


def axis_range(values: Iterable[float | None], targets: Iterable[float | None] = ()) -> dict[str, float]:
    """``{"min": ..., "max": ...}`` of a value axis that shows every value and every target line
    drawn on it (ECharts' own extent ignores markLines, so a target above the data was cut off).

    Starts at 0 unless a value is negative; the top is padded by 5 % and rounded up to a
    "nice" step (1, 2 or 5 × 10^k) so the ticks stay readable. An axis with nothing on it is 0-1.
    """
    numbers = [float(v) for v in (*values, *targets) if v is not None and math.isfinite(float(v))]
    low = min([0.0, *numbers])
    high = max([0.0, *numbers])
    if high == low:
        return {"min": low, "max": low + 1}
    span = (high - low) * 1.05
    step = 10 ** math.floor(math.log10(span / 5))
    for factor in (1, 2, 5, 10):
        if span / (factor * step) <= 10:
            step *= factor
            break
    top = math.ceil(high * 1.05 / step) * step if high > 0 else 0.0
    bottom = math.floor(low * 1.05 / step) * step if low < 0 else 0.0
    return {"min": round(bottom, 10), "max": round(top, 10)}


def category_axis(labels: Sequence[str], **extra: Any) -> dict[str, Any]:
    """A category axis that shows every label: rotated when one is longer than :data:`LONG_LABEL`
    characters (town and unit names), never silently skipped by ECharts' auto interval."""
    rotate = LABEL_ROTATION if any(len(str(label)) > LONG_LABEL for label in labels) else 0
    return {
        "type": "category",
        "data": list(labels),
        "axisLabel": {"interval": 0, "rotate": rotate, "hideOverlap": False},
        **extra,
    }


#: Ring colours of open alarms on the map by their most severe alarm (the badges' colours).
SEVERITY_COLOURS = {"info": "#607d8b", "minor": "#f9a825", "major": "#ef6c00", "critical": "#7b1fa2"}


def alarm_rings(markers: list[dict[str, Any]], *, name: str) -> dict[str, Any]:
    """A ring around each site with open alarms (drawn under the site's own marker, coloured by
    its most severe alarm); each marker: ``name`` (the tooltip: site, rules and parameters),
    ``lon``, ``lat``, ``severity``, ``count``, ``site_id``."""
    return {
        "name": name,
        "type": "scatter",
        "coordinateSystem": "geo",
        "symbol": "circle",
        "symbolSize": 22,
        "z": 1,
        "itemStyle": {"color": "rgba(0, 0, 0, 0)", "borderWidth": 3},
        "data": [
            {
                "name": m["name"],
                "value": [m["lon"], m["lat"], m["count"]],
                "site_id": m["site_id"],
                "itemStyle": {"borderColor": SEVERITY_COLOURS.get(m["severity"], "#E8322B")},
            }
            for m in markers
        ],
    }


def city_map(
    sites: list[dict[str, Any]],
    *,
    state_labels: dict[str, str],
    title: str = "",
    parks: list[str] | None = None,
    alarms: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The "one map": town boundaries (registered as :data:`MAP_NAME`) with the ``parks`` named
    there outlined over them, sites coloured by state and, given ``alarms`` (an
    :func:`alarm_rings` series), a ring around each site with open alarms."""
    series = [alarms] if alarms else []
    for state, colour in STATE_COLOURS.items():
        series.append(
            {
                "name": state_labels.get(state, state),
                "type": "scatter",
                "coordinateSystem": "geo",
                "symbolSize": 10,
                "z": 2,
                "itemStyle": {"color": colour},
                "data": [
                    {"name": s["name"], "value": [s["lon"], s["lat"], s.get("aqi")], "site_id": s["id"]}
                    for s in sites
                    if s["state"] == state
                ],
            }
        )
    return {
        "title": {"text": title, "left": "center"},
        "tooltip": {"trigger": "item"},
        "legend": {"bottom": 0},
        "geo": {
            "map": MAP_NAME,
            "roam": True,
            "itemStyle": {"areaColor": "#eef5ee", "borderColor": "#7a9"},
            # town names at the centre of each boundary (the feature's ``name``); parks keep theirs off
            "label": {"show": True, "fontSize": 11, "color": "#33503a"},
            "emphasis": {"label": {"show": True}},
            "regions": [
                {"name": name, "itemStyle": PARK_STYLE, "label": {"show": False}} for name in parks or []
            ],
        },
        "series": series,
    }


def aqi_gauge(current: dict[str, Any] | None, *, title: str) -> dict[str, Any]:
    """The current AQI on a 0-500 dial; without a value, no needle and "—" (a missing AQI is not 0)."""
    value = current.get("aqi") if current else None
    return {
        "series": [
            {
                "type": "gauge",
                "min": 0,
                "max": 500,
                "detail": {
                    "formatter": "{value}" if value is not None else "—",
                    "fontSize": 18,
                    "offsetCenter": [0, "40%"],
                },
                "title": {"show": False},
                "axisLabel": {"show": False},
                "axisTick": {"show": False},
                "splitLine": {"length": 6},
                "pointer": {"width": 4, "show": value is not None},
                "axisLine": {
                    "lineStyle": {
                        "width": 10,
                        "color": [
                            [0.1, "#00E400"],
                            [0.2, "#FFFF00"],
                            [0.3, "#FF7E00"],
                            [0.4, "#FF0000"],
                            [0.6, "#99004C"],
                            [1, "#7E0023"],
                        ],
                    }
                },
                "data": [{"value": value, "name": title}],
            }
        ]
    }


def water_classes(
    sections: list[dict[str, Any]], *, actual: str, target: str, class_names: Sequence[str]
) -> dict[str, Any]:
    """Bar chart of each section's class (lower is better) with its target as a marker.

    ``class_names`` are the six classes in the page's language (Ⅰ类 … Ⅴ类, 劣Ⅴ类: GB 3838-2002 §4 and
    the 劣Ⅴ类 of the bulletins), shown on the value axis instead of the numbers 1-6.
    """
    names = [s["name"] for s in sections]
    return {
        "tooltip": {"trigger": "axis"},
        "legend": {"data": [actual, target]},
        "grid": {**GRID, "top": 40},
        "xAxis": category_axis(names),
        "yAxis": {
            "type": "category",
            "data": list(class_names),
            "boundaryGap": False,
            "axisLabel": {"interval": 0},
        },
        "series": [
            {
                "name": actual,
                "type": "bar",
                "data": [
                    {
                        "value": None if s.get("actual_class") is None else s["actual_class"] - 1,
                        "itemStyle": {"color": WATER_CLASS_COLOURS.get(s.get("actual_class") or 0, "#ccc")},
                    }
                    for s in sections
                ],
            },
            {
                "name": target,
                "type": "scatter",
                "symbol": "diamond",
                "data": [None if s.get("target_class") is None else s["target_class"] - 1 for s in sections],
            },
        ],
    }


def progress_vs_target(
    label: str,
    value: float | None,
    target: float | None,
    *,
    unit: str,
    target_name: str,
    lower_is_better: bool = False,
) -> dict[str, Any]:
    """One horizontal bar of a yearly figure against its target (e.g. good-day ratio, PM2.5);
    ``target_name`` names the target line in the page's language."""
    return {
        "tooltip": {},
        "grid": {**GRID, "right": 50},
        "xAxis": {"type": "value", "name": unit, **axis_range([value], [target])},
        "yAxis": {"type": "category", "data": [label]},
        "series": [
            {
                "type": "bar",
                "data": [value],
                "markLine": {"data": [{"xAxis": target, "name": target_name}]} if target is not None else {},
                "itemStyle": {
                    "color": "#9E9E9E"
                    if value is None or target is None
                    else (
                        "#00A854" if (value <= target if lower_is_better else value >= target) else "#E8322B"
                    )
                },
            }
        ],
    }


def series_vs_limits(
    points: list[tuple[str, float | None]], *, parameter: str, unit: str, limits: list[tuple[str, float]]
) -> dict[str, Any]:
    """Time series of one parameter with horizontal lines at the applicable limits."""
    return {
        "tooltip": {"trigger": "axis"},
        "title": {"text": f"{parameter} [{unit}]", "left": "center", "textStyle": {"fontSize": 13}},
        "grid": {**GRID, "top": 40, "bottom": 50},
        "xAxis": {"type": "time"},
        "yAxis": {
            "type": "value",
            "name": unit,
            **axis_range([v for _, v in points], [v for _, v in limits]),
        },
        "dataZoom": [{"type": "inside"}, {"type": "slider"}],
        "series": [
            {
                "name": parameter,
                "type": "line",
                "showSymbol": False,
                "data": [[t, v] for t, v in points],
                "markLine": {
                    "symbol": "none",
                    "lineStyle": {"color": "#E8322B", "type": "dashed"},
                    "data": [
                        {"yAxis": value, "name": name, "label": {"formatter": name}} for name, value in limits
                    ],
                },
            }
        ],
    }


def breach_series(
    points: list[tuple[str, float | None]],
    *,
    parameter: str,
    unit: str,
    limits: list[tuple[str, float]],
    breach: tuple[str, str],
    breach_name: str,
) -> dict[str, Any]:
    """An alarm's series (:func:`series_vs_limits`: the values with the limit lines) with the span
    from its first to its last breach (ISO 8601 instants) shaded and named ``breach_name``."""
    option = series_vs_limits(points, parameter=parameter, unit=unit, limits=limits)
    option["series"][0]["markArea"] = {
        "itemStyle": {"color": "rgba(232, 50, 43, 0.12)"},
        "data": [[{"name": breach_name, "xAxis": breach[0]}, {"xAxis": breach[1]}]],
    }
    return option


def counts_bar(labels: Sequence[str], values: Sequence[int], *, name: str) -> dict[str, Any]:
    """A bar per label (e.g. open alarms by town), the count written on each bar."""
    return {
        "tooltip": {"trigger": "axis"},
        "grid": {**GRID, "top": 20},
        "xAxis": category_axis(labels),
        "yAxis": {"type": "value", "minInterval": 1, **axis_range(values)},
        "series": [
            {
                "name": name,
                "type": "bar",
                "data": list(values),
                "itemStyle": {"color": "#E8322B"},
                "label": {"show": True, "position": "top"},
            }
        ],
    }


def daily_aqi_calendar(days: list[dict[str, Any]], *, title: str) -> dict[str, Any]:
    """Bar chart of daily AQI coloured by level (bulletin and public page)."""
    colours = {1: "#00E400", 2: "#FFFF00", 3: "#FF7E00", 4: "#FF0000", 5: "#99004C", 6: "#7E0023"}
    return {
        "title": {"text": title, "left": "center", "textStyle": {"fontSize": 13}},
        "tooltip": {"trigger": "axis"},
        "grid": {**GRID, "top": 40},
        "xAxis": category_axis([d["day"] for d in days]),
        "yAxis": {"type": "value", "name": "AQI", **axis_range([d["aqi"] for d in days], [AQI_GOOD_LIMIT])},
        "series": [
            {
                "type": "bar",
                "data": [
                    {"value": d["aqi"], "itemStyle": {"color": colours.get(d.get("level") or 0, "#ccc")}}
                    for d in days
                ],
                "markLine": {"symbol": "none", "data": [{"yAxis": AQI_GOOD_LIMIT}]},
            }
        ],
    }


def radar(indicators: list[tuple[str, float]], values: list[float], *, name: str) -> dict[str, Any]:
    """Radar chart of one unit's sub-scores (assessment pages), titled with the unit's name."""
    return {
        "title": {"text": name, "left": "center", "textStyle": {"fontSize": 13}},
        "tooltip": {},
        "radar": {"indicator": [{"name": n, "max": m} for n, m in indicators], "center": ["50%", "56%"]},
        "series": [{"type": "radar", "data": [{"value": values, "name": name}]}],
    }


def ranked_totals(rows: list[dict[str, Any]], *, title: str = "") -> dict[str, Any]:
    """Totals of an assessment run in rank order (best first), with the rank interval (p05-p95) in
    the tooltip; more than :data:`ZOOM_WINDOW` units get a slider showing that many at a time."""
    ordered = sorted(rows, key=lambda r: r.get("rank") or 10**9)
    labels = [str(r.get("label") or r["unit"]) for r in ordered]
    option: dict[str, Any] = {
        "title": {"text": title, "left": "center", "textStyle": {"fontSize": 13}},
        "tooltip": {"trigger": "axis"},
        "grid": {**GRID, "top": 30 if title else 10, "right": 60},
        "xAxis": {"type": "value", **axis_range([r.get("total") for r in ordered])},
        "yAxis": {"type": "category", "data": labels, "inverse": True, "axisLabel": {"interval": 0}},
        "series": [
            {
                "type": "bar",
                "data": [
                    {
                        "value": r.get("total"),
                        "name": str(r.get("label") or r["unit"]),
                        "rank_interval": r.get("rank_interval"),
                    }
                    for r in ordered
                ],
                "label": {"show": True, "position": "right"},
            }
        ],
    }
    if len(ordered) > ZOOM_WINDOW:
        option["dataZoom"] = [
            {"type": "slider", "yAxisIndex": 0, "startValue": 0, "endValue": ZOOM_WINDOW - 1, "right": 5},
            {"type": "inside", "yAxisIndex": 0},
        ]
        option["grid"]["right"] = 90
    return option


def correlation_heatmap(
    rows: list[str], columns: list[str], values: list[list[float | None]], *, title: str = ""
) -> dict[str, Any]:
    """Heat map of correlations (rows x columns, each in [-1, 1]; None = undefined, drawn empty),
    e.g. each indicator with its parent aggregate and with the index (the run's audit)."""
    cells = [[j, i, round(v, 2)] for i, row in enumerate(values) for j, v in enumerate(row) if v is not None]
    return {
        "title": {"text": title, "left": "center", "textStyle": {"fontSize": 13}},
        "tooltip": {"position": "top"},
        "grid": {**GRID, "top": 40, "bottom": 60},
        "xAxis": {**category_axis(columns), "position": "top", "splitArea": {"show": True}},
        "yAxis": {
            "type": "category",
            "data": rows,
            "inverse": True,
            "axisLabel": {"interval": 0},
            "splitArea": {"show": True},
        },
        "visualMap": {
            "min": -1,
            "max": 1,
            "calculable": True,
            "orient": "horizontal",
            "left": "center",
            "bottom": 0,
            "inRange": {"color": CORRELATION_COLOURS},
        },
        "series": [{"type": "heatmap", "data": cells, "label": {"show": True}}],
    }


def case_map(lon: float, lat: float, *, name: str) -> dict[str, Any]:
    """A case's point over the town boundaries (registered as :data:`MAP_NAME`), centred on it
    [degrees, WGS 84]."""
    return {
        "tooltip": {"trigger": "item"},
        "geo": {
            "map": MAP_NAME,
            "roam": True,
            "center": [lon, lat],
            "zoom": 4,
            "itemStyle": {"areaColor": "#eef5ee", "borderColor": "#7a9"},
            "label": {"show": True, "fontSize": 11, "color": "#33503a"},
        },
        "series": [
            {
                "name": name,
                "type": "effectScatter",
                "coordinateSystem": "geo",
                "symbolSize": 12,
                "itemStyle": {"color": "#d9534f"},
                "data": [{"name": name, "value": [lon, lat]}],
            }
        ],
    }


#: Colours of an on-time closure rate [%] from poor to good (red, amber, green).
RATE_COLOURS = ["#E8322B", "#FFCA28", "#00A854"]


def rate_by_town(rates: Sequence[tuple[str, float | None]], *, name: str, no_data: str) -> dict[str, Any]:
    """A choropleth of a rate [%] per town over the town boundaries (registered as
    :data:`MAP_NAME`; ``rates``: (the town's name on the map, its rate or None)). The colour scale
    runs from the lowest rate shown (at most 80 %) to 100 %; a town without a rate stays grey and
    its tooltip says ``no_data``."""
    shown = [rate for _town, rate in rates if rate is not None]
    low = math.floor(min([80.0, *shown]))
    return {
        "tooltip": {"trigger": "item"},
        "visualMap": {
            "min": low,
            "max": 100,
            "left": 10,
            "bottom": 10,
            "text": ["100 %", f"{low} %"],
            "inRange": {"color": RATE_COLOURS},
        },
        "series": [
            {
                "name": name,
                "type": "map",
                "map": MAP_NAME,
                "roam": True,
                "label": {"show": True, "fontSize": 11, "color": "#33503a"},
                "itemStyle": {"areaColor": "#e0e0e0", "borderColor": "#7a9"},
                "data": [
                    {"name": town, "value": round(rate, 1)}
                    if rate is not None
                    else {"name": town, "value": None, "tooltip": {"formatter": f"{town}: {no_data}"}}
                    for town, rate in rates
                ],
            }
        ],
    }
