"""Registry pages: towns, a town, enterprises, an enterprise (profile, outlets, monitoring)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from greenport.accounts.model import CITY_ROLES, SIGNED_IN, Principal
from greenport.enterprises import service as enterprises_service
from greenport.regions import service as regions_service
from greenport.web.api.registry import get_town
from greenport.web.deps import UowDep, allow
from greenport.web.pages.base import menu_page, render
from greenport.web.params import RowId

router = APIRouter(tags=["pages"], include_in_schema=False)


@dataclass(frozen=True)
class TownsContext:
    towns: list[dict[str, Any]] = field(metadata={"help": "towns in scope"})
    parks: list[dict[str, Any]] = field(metadata={"help": "parks in scope"})
    grid_cells: list[dict[str, Any]] = field(metadata={"help": "grid cells in scope"})
    can_export: bool = field(metadata={"help": "may download the registry workbook"})
    can_import: bool = field(metadata={"help": "may upload enterprises/sites sheets (city admin)"})


@router.get("/towns")
def towns_page(request: Request, uow: UowDep, user: Annotated[Principal, menu_page("/towns")]) -> Response:
    scope = user.scope
    ctx = TownsContext(
        towns=regions_service.visible_towns(uow, scope=scope),
        parks=regions_service.visible_parks(uow, scope=scope) if user.role.value != "enterprise" else [],
        grid_cells=regions_service.visible_grid_cells(uow, scope=scope)
        if user.role.value != "enterprise"
        else [],
        can_export=user.role in CITY_ROLES,
        can_import=user.role.value == "city_admin",
    )
    return render(request, "towns.html", ctx)


@dataclass(frozen=True)
class TownContext:
    town: dict[str, Any] = field(metadata={"help": "the town with its sites"})
    enterprises: list[dict[str, Any]] = field(metadata={"help": "enterprises of the town in scope"})


@router.get("/towns/{code}")
def town_page(
    code: str, request: Request, uow: UowDep, user: Annotated[Principal, allow(SIGNED_IN)]
) -> Response:
    town = get_town(code, uow, user)
    enterprises, _count = enterprises_service.visible_enterprises(
        uow, scope=user.scope, town_code=code, limit=500
    )
    return render(request, "town.html", TownContext(town=town, enterprises=enterprises))


@dataclass(frozen=True)
class EnterprisesContext:
    enterprises: list[dict[str, Any]] = field(metadata={"help": "enterprises in scope (first 500)"})
    count: int = field(metadata={"help": "how many in scope"})


@router.get("/enterprises")
def enterprises_page(
    request: Request, uow: UowDep, user: Annotated[Principal, menu_page("/enterprises")]
) -> Response:
    rows, count = enterprises_service.visible_enterprises(uow, scope=user.scope, limit=500)
    return render(request, "enterprises.html", EnterprisesContext(enterprises=rows, count=count))


@dataclass(frozen=True)
class EnterpriseContext:
    enterprise: dict[str, Any] = field(metadata={"help": "profile"})
    outlets: list[dict[str, Any]] = field(metadata={"help": "gas and water outlets with monitoring links"})


@router.get("/enterprises/{enterprise_id}")
def enterprise_page(
    enterprise_id: RowId, request: Request, uow: UowDep, user: Annotated[Principal, allow(SIGNED_IN)]
) -> Response:
    enterprise = enterprises_service.visible_enterprise(uow, enterprise_id=enterprise_id, scope=user.scope)
    outlets = enterprises_service.visible_sites(uow, scope=user.scope, enterprise_id=enterprise_id)
    return render(request, "enterprise.html", EnterpriseContext(enterprise=enterprise, outlets=outlets))
