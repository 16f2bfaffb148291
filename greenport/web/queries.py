"""The state of each site on the map (normal / over limit / offline), for the dashboard.

Temporary home: which limit applies to a site and whether its newest value exceeds it is
monitoring's domain logic and moves to ``greenport.monitoring.service.site_states(uow, *, sites,
now)``; the dashboard (``greenport.reports.dashboard``) takes this function as its ``SiteStates``
port until then, and nothing else is left in this module.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from greenport.bootstrap import UnitOfWork
from greenport.web.limits import outlet_exceedances

#: A site with no observation for this long is "offline".
OFFLINE_AFTER = timedelta(hours=2)
#: Hourly AQI above this is "over limit" on the map (HJ 633-2012 Table 2: above level 2).
AIR_OVER_LIMIT_AQI = 100
#: Outlets: over limit when the newest hourly (daily) mean exceeds the emission limit (web.limits).
OUTLET_KINDS = ("gas_outlet", "water_outlet")


class SiteState:
    NORMAL = "normal"
    OVER_LIMIT = "over_limit"
    OFFLINE = "offline"


def site_states(uow: UnitOfWork, *, sites: list[dict[str, Any]], now: datetime) -> list[dict[str, Any]]:
    """Each site with its state (normal / over_limit / offline), latest AQI or water class, and
    for outlets the pollutants over their emission limit (``exceedances``, :mod:`web.limits`)."""
    ids = [s["id"] for s in sites]
    reads = uow.monitoring
    seen = reads.sites_last_seen(ids, since=now - timedelta(days=2))
    air_ids = [s["id"] for s in sites if s["kind"] == "air_station"]
    water_ids = [s["id"] for s in sites if s["kind"] == "water_section"]
    aqi = reads.latest_indices(air_ids, kind="aqi", period="hour", since=now - timedelta(days=2))
    water = reads.latest_indices(water_ids, kind="water_class", period="day", since=now - timedelta(days=7))
    outlet_ids = [s["id"] for s in sites if s["kind"] in OUTLET_KINDS and s.get("emission_standard")]
    hourly = reads.latest_aggregates(outlet_ids, period="hour", since=now - timedelta(days=2))
    daily = reads.latest_aggregates(outlet_ids, period="day", since=now - timedelta(days=3))
    out = []
    for site in sites:
        last = seen.get(site["id"])
        state = SiteState.NORMAL
        item = {
            k: site[k]
            for k in ("id", "code", "name", "kind", "level", "town_code", "enterprise_id", "lon", "lat")
        }
        item["target_class"] = site.get("target_class")
        idx = aqi.get(site["id"])
        if idx is not None:
            item["aqi"] = idx["value"]
            item["aqi_category"] = idx["label"]
            item["primary"] = idx["detail"].get("primary", [])
            if idx["value"] is not None and idx["value"] > AIR_OVER_LIMIT_AQI:
                state = SiteState.OVER_LIMIT
        cls = water.get(site["id"])
        if cls is not None:
            item["water_class"] = cls["value"]
            if cls["label"] == "fails":
                state = SiteState.OVER_LIMIT
        if site["kind"] in OUTLET_KINDS:
            over = outlet_exceedances(site, hourly.get(site["id"], {}), daily.get(site["id"], {}))
            item["exceedances"] = over
            if over:
                state = SiteState.OVER_LIMIT
        if last is None or now - last > OFFLINE_AFTER:
            state = SiteState.OFFLINE
        item["last_seen"] = last.isoformat() if last else None
        item["state"] = state
        out.append(item)
    return out
