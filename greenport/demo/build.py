"""Build the demo city: the registry stage, then the stages of other areas.

Stages are functions ``build(ctx: DemoContext) -> dict``: the registry stage
(:func:`greenport.demo.city.build_registry`) always runs first; ``greenport.demo.monitoring``
and then ``greenport.demo.assessments`` (whose town air figures are the measured ones) run next
(:data:`STAGES`). Their results are merged into the
summary, which is otherwise computed from the database (:func:`greenport.demo.summary.summarise`).

Progress: ``build_demo(..., progress=callback)`` calls ``callback(stage, done, total)`` when each
stage of :data:`STAGE_NAMES` starts (``0, 1``) and ends (``1, 1``), and in between as often as
the stage reports (the monitoring stage: hours back-filled of the year); the command line draws
one bar per stage. Nothing of the build is printed or logged above DEBUG: what a user reads is
the command's business.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import MetaData

from greenport.accounts import service as accounts
from greenport.accounts.demo_accounts import demo_user_password
from greenport.bootstrap import Container
from greenport.demo import alarms as alarms_stage
from greenport.demo import assessments as assessments_stage
from greenport.demo import cases as cases_stage
from greenport.demo import monitoring as monitoring_stage
from greenport.demo.city import build_registry
from greenport.demo.context import DemoContext, DemoDevice
from greenport.demo.credentials import demo_device_password
from greenport.demo.summary import DEMO_USERNAMES, summarise
from greenport.storage.migrate import upgrade

log = logging.getLogger(__name__)

#: Seed of the published demo city.
DEFAULT_SEED = 2022

#: Stages run in this order after the registry stage: (summary key, build function). Monitoring
#: comes first: the alarms stage evaluates its stored year, and the town assessments take the
#: towns' air figures from its stored data; the cases stage opens the alarms' cases and plays the
#: year's citizen reports, whose figures the town and department assessments then take.
STAGES: tuple[tuple[str, Callable[[DemoContext], dict[str, Any]]], ...] = (
    ("monitoring", monitoring_stage.build),
    ("alarms", alarms_stage.build),
    ("cases", cases_stage.build),
    ("assessments", assessments_stage.build),
)

#: Every stage of a build, in order, as ``progress`` names them.
STAGE_NAMES: tuple[str, ...] = ("registry", *(name for name, _ in STAGES))

#: ``progress(stage, done, total)`` of :func:`build_demo`.
Progress = Callable[[str, int, int], None]

_REGISTRY_TABLES = ("divisions", "enterprises", "sites", "users")


def is_empty(container: Container) -> bool:
    """True when the registry holds no division, enterprise, site or user."""
    with container.uow() as uow:
        return all(uow.registry.count(table) == 0 for table in _REGISTRY_TABLES)


def reset_database(container: Container) -> None:
    """Drop every table of the database (all features' and Alembic's) and migrate afresh."""
    engine = container.db.engine
    metadata = MetaData()
    metadata.reflect(bind=engine)
    metadata.drop_all(bind=engine)
    container.db.dispose()
    upgrade(container.settings.database_url)


def build_demo(
    container: Container,
    *,
    seed: int = DEFAULT_SEED,
    fast: bool = False,
    progress: Progress | None = None,
) -> tuple[DemoContext, dict[str, Any]]:
    """Build the demo city into the empty database of ``container``; return the context and the
    summary (keys of :func:`~greenport.demo.summary.summarise` plus the stages' results).

    ``progress`` is told of every stage's start, advance and end (see the module docstring).
    A failing stage leaves the database empty again (every table dropped and re-migrated) and
    re-raises.
    """
    ctx = DemoContext(container=container, seed=seed, fast=fast, progress=progress)
    try:
        stages: dict[str, Any] = {}
        for name, stage in (("registry", build_registry), *STAGES):
            log.debug("demo stage %s", name)
            ctx.report(name, 0, 1)
            stages[name] = stage(ctx) or {}
            ctx.report(name, 1, 1)
    except BaseException:
        # The database was empty: leave it empty again rather than half-built.
        reset_database(container)
        raise
    return ctx, make_summary(ctx, stages)


def make_summary(ctx: DemoContext, stages: dict[str, Any] | None = None) -> dict[str, Any]:
    """The summary from the database, with the stages' results merged in (a stage never
    overrides a registry key: such a result is kept as ``summary[stage][key]``) and ``logins`` only when the settings allow demo log-ins."""
    with ctx.uow() as uow:
        summary = summarise(uow, with_logins=ctx.container.settings.demo_logins_allowed)
    summary["seed"] = ctx.seed
    for name, result in (stages or {}).items():
        if name == "registry":
            continue
        for key, value in result.items():
            # A key the registry summary owns (e.g. the monitoring stage's "water_sections", the
            # sections it evaluated) stays under the stage's name: both figures are kept.
            if key in summary:
                summary.setdefault(name, {})[key] = value
            else:
                summary[key] = value
    return summary


def load_context(container: Container, *, seed: int = DEFAULT_SEED) -> DemoContext:
    """A :class:`DemoContext` for a demo database built earlier (to serve it): registry facts
    read back from the database, device passwords re-derived from their MNs."""
    ctx = DemoContext(container=container, seed=seed)
    from greenport.enterprises import service as enterprises
    from greenport.regions import service as regions
    from greenport.regions.model import DivisionLevel

    with container.uow() as uow:
        divisions = regions.list_divisions(uow)
        ctx.city_code = next((d.code for d in divisions if d.level == DivisionLevel.CITY), "")
        ctx.town_codes = sorted(
            (d.code for d in divisions if d.level in (DivisionLevel.TOWN, DivisionLevel.STREET)),
            key=lambda code: (code[6] == "0", code),
        )
        ctx.village_codes = [
            d.code for d in divisions if d.level in (DivisionLevel.VILLAGE, DivisionLevel.COMMUNITY)
        ]
        ctx.park_codes = {p.code: p.town_code for p in regions.list_parks(uow)}
        ctx.enterprise_ids = [e.id for e in enterprises.list_enterprises(uow) if e.id is not None]
        sites = {s.id: s for s in enterprises.list_sites(uow)}
        for site in sites.values():
            assert site.id is not None
            ctx.site_ids.setdefault(site.kind.value, []).append(site.id)
        for device in enterprises.list_devices(uow):
            site = sites[device.site_id]
            ctx.devices.append(
                DemoDevice(
                    mn=device.mn,
                    password=demo_device_password(device.mn),
                    site_id=device.site_id,
                    site_code=site.code,
                    site_kind=site.kind.value,
                    enterprise_id=site.enterprise_id,
                    emission_standard=site.emission_standard,
                    process=site.process,
                )
            )
        ctx.outlet_enterprise_ids = sorted(
            {d.enterprise_id for d in ctx.devices if d.enterprise_id is not None}
        )
        users = {u.username: u for u in accounts.list_users(uow)}
        ctx.logins = [
            {"role": users[name].role.value, "username": name, "password": demo_user_password(name)}
            for name in DEMO_USERNAMES
            if name in users
        ]
    return ctx
