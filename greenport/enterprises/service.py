"""Use cases of enterprises, their annual figures, monitoring sites and devices.

Every function takes the unit of work first and keyword-only arguments; it validates with
:mod:`greenport.enterprises.validation` (every problem named by field) and raises
:class:`~greenport.kernel.errors.InvalidInput`, :class:`~greenport.kernel.errors.Conflict` or
:class:`~greenport.kernel.errors.NotFound`. The caller's unit of work commits or rolls back.
The scoped reads (``visible_*``) return the read models pages and the API show, with the caller's
:class:`~greenport.accounts.model.RowScope` applied in SQL.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from greenport.accounts.model import Principal, RowScope
from greenport.accounts.passwords import hash_password
from greenport.accounts.service import record_audit
from greenport.enterprises.importing import (
    RegistrySnapshot,
    enterprise_record,
    site_record,
    validate_enterprise_rows,
    validate_site_rows,
    validate_year_rows,
    year_record,
)
from greenport.enterprises.model import (
    CrcVariantSetting,
    Device,
    Enterprise,
    EnterpriseYear,
    IndustryGroup,
    Site,
    SiteKind,
    SiteLevel,
    SizeClass,
    Waterbody,
)
from greenport.enterprises.ports import DeviceAdminUnitOfWork, EnterprisesUnitOfWork, ScopedSitesUnitOfWork
from greenport.enterprises.validation import (
    YEAR_FIGURES,
    parse_crc_variant,
    parse_enterprise,
    parse_site,
    validate_device_password,
    validate_mn,
)
from greenport.kernel.errors import Conflict, InvalidInput, InvalidRows, NotFound, PermissionDenied, RowError
from greenport.kernel.fields import Fields, ImportOutcome, raise_problems

# --- enterprises ---------------------------------------------------------------------------------


def register_enterprise(
    uow: EnterprisesUnitOfWork,
    *,
    credit_code: str,
    name: str,
    industry_code: str,
    town_code: str,
    land_area_mu: float,
    lon: float,
    lat: float,
    size_class: SizeClass | str,
    park_code: str | None = None,
    above_scale: bool = True,
) -> Enterprise:
    """Register an enterprise (rules: :func:`~greenport.enterprises.validation.parse_enterprise`).

    ``land_area_mu`` in [mu]; ``lon``/``lat`` in [degree]. The industry group is derived from the
    GB/T 4754-2017 class code. A duplicate credit code raises :class:`Conflict`.
    """
    raw: dict[str, Any] = {
        "credit_code": credit_code,
        "name": name,
        "industry_code": industry_code,
        "town_code": town_code,
        "park_code": park_code,
        "land_area_mu": land_area_mu,
        "lon": lon,
        "lat": lat,
        "size_class": size_class,
        "above_scale": above_scale,
    }
    enterprise, problems = parse_enterprise(raw, uow.registry)
    raise_problems(problems, what="enterprise")
    assert enterprise is not None
    return uow.registry.add_enterprise(enterprise)


def get_enterprise(
    uow: EnterprisesUnitOfWork, *, enterprise_id: int | None = None, credit_code: str | None = None
) -> Enterprise:
    """One enterprise by id or credit code; :class:`NotFound` otherwise."""
    found: Enterprise | None = None
    if enterprise_id is not None:
        found = uow.registry.get_enterprise(enterprise_id)
    elif credit_code is not None:
        found = uow.registry.get_enterprise_by_credit_code(credit_code.strip().upper())
    else:
        raise InvalidInput("give enterprise_id or credit_code", field="enterprise_id")
    if found is None:
        key = enterprise_id if enterprise_id is not None else credit_code
        raise NotFound(
            f"no enterprise {key}", field="enterprise_id" if enterprise_id is not None else "credit_code"
        )
    return found


def list_enterprises(
    uow: EnterprisesUnitOfWork,
    *,
    town_code: str | None = None,
    park_code: str | None = None,
    industry_group: IndustryGroup | None = None,
) -> list[Enterprise]:
    """Enterprises ordered by id, optionally of one town, park or industry group."""
    found = uow.registry.list_enterprises(town_code=town_code, park_code=park_code)
    if industry_group is not None:
        found = [e for e in found if e.industry_group == industry_group]
    return found


def record_enterprise_year(
    uow: EnterprisesUnitOfWork, *, enterprise_id: int, year: int, **figures: float | int | None
) -> EnterpriseYear:
    """Store (insert or replace) an enterprise's figures for ``year``.

    Figures (all optional, >= 0): money in [10^4 yuan], ``energy_tce`` [tce], emissions [t],
    ``employees`` [persons]; value added and tax cannot exceed output/revenue by construction
    of the statistics, so only non-negativity is checked here.
    """
    if uow.registry.enterprise_town(enterprise_id) is None:
        raise NotFound(f"no enterprise with id {enterprise_id}", field="enterprise_id")
    record = _check_year(enterprise_id, year, figures)
    uow.registry.put_enterprise_year(record)
    return record


def record_enterprise_years(
    uow: EnterprisesUnitOfWork, *, records: Iterable[Mapping[str, Any]]
) -> list[EnterpriseYear]:
    """Store many enterprise-years at once (each ``{enterprise_id, year, **figures}``, rules of
    :func:`record_enterprise_year`); all are checked before any is written."""
    known = uow.registry.enterprise_towns()
    checked: list[EnterpriseYear] = []
    for raw in records:
        figures = dict(raw)
        enterprise_id = int(figures.pop("enterprise_id"))
        year = figures.pop("year")
        if enterprise_id not in known:
            raise NotFound(f"no enterprise with id {enterprise_id}", field="enterprise_id")
        checked.append(_check_year(enterprise_id, year, figures))
    uow.registry.put_enterprise_years(checked)
    return checked


def _check_year(enterprise_id: int, year: Any, figures: Mapping[str, Any]) -> EnterpriseYear:
    unknown = sorted(set(figures) - set(YEAR_FIGURES) - {"employees"})
    if unknown:
        raise InvalidInput(f"unknown figure(s): {', '.join(unknown)}", field=unknown[0])
    fields = Fields({"year": year, **figures})
    checked_year = fields.integer("year", minimum=1949, maximum=2100)
    values: dict[str, Any] = {}
    for name, unit in YEAR_FIGURES.items():
        values[name] = fields.number(name, required=False, minimum=0, unit=unit)
    values["employees"] = fields.integer("employees", required=False, minimum=0)
    raise_problems(fields.problems, what=f"figures of enterprise {enterprise_id}")
    assert checked_year is not None
    return EnterpriseYear(enterprise_id=enterprise_id, year=checked_year, **values)


# --- sites ---------------------------------------------------------------------------------------


def register_site(
    uow: EnterprisesUnitOfWork,
    *,
    code: str,
    name: str,
    kind: SiteKind | str,
    town_code: str,
    lon: float,
    lat: float,
    level: SiteLevel | str | None = None,
    enterprise_id: int | None = None,
    enterprise_credit_code: str | None = None,
    waterbody: Waterbody | str | None = None,
    river: str | None = None,
    target_class: int | None = None,
    emission_standard: str | None = None,
    process: str | None = None,
    emission_grade: str | int | None = None,
) -> Site:
    """Register a monitoring site (kind rules: :func:`~greenport.enterprises.validation.parse_site`)."""
    raw: dict[str, Any] = {
        "code": code,
        "name": name,
        "kind": kind,
        "level": level,
        "town_code": town_code,
        "lon": lon,
        "lat": lat,
        "enterprise_id": enterprise_id,
        "enterprise_credit_code": enterprise_credit_code,
        "waterbody": waterbody,
        "river": river,
        "target_class": target_class,
        "emission_standard": emission_standard,
        "process": process,
        "emission_grade": emission_grade,
    }
    site, problems = parse_site(raw, uow.registry)
    raise_problems(problems, what="site")
    assert site is not None
    return uow.registry.add_site(site)


def get_site(uow: EnterprisesUnitOfWork, *, site_id: int | None = None, code: str | None = None) -> Site:
    found: Site | None = None
    if site_id is not None:
        found = uow.registry.get_site(site_id)
    elif code is not None:
        found = uow.registry.get_site_by_code(code.strip())
    else:
        raise InvalidInput("give site_id or site_code", field="site_id")
    if found is None:
        raise NotFound(
            f"no site {site_id if site_id is not None else code}",
            field="site_id" if site_id is not None else "site_code",
        )
    return found


def list_sites(
    uow: EnterprisesUnitOfWork, *, kind: SiteKind | None = None, enterprise_id: int | None = None
) -> list[Site]:
    """Sites ordered by id, optionally of one kind or one enterprise."""
    return uow.registry.list_sites(kind=kind, enterprise_id=enterprise_id)


# --- scoped reads: what a caller may see ----------------------------------------------------------
# Pages, reports and the API read firms and sites through these, with the caller's RowScope (the
# repository applies it in SQL). A row that exists but lies outside the scope is refused
# (PermissionDenied, 403) rather than hidden as missing (NotFound, 404), as the routes always did.

#: At most this many enterprises go into one registry workbook (the city has about 3,000 firms).
EXPORT_MAX_ENTERPRISES = 100_000

#: Registry tables ``registry_counts`` counts, in the order a listing shows them.
REGISTRY_TABLES = (
    "divisions",
    "grid_cells",
    "grid_officers",
    "parks",
    "enterprises",
    "enterprise_years",
    "sites",
    "devices",
    "users",
)


def visible_enterprises(
    uow: EnterprisesUnitOfWork,
    *,
    scope: RowScope,
    town_code: str | None = None,
    limit: int = 500,
    offset: int = 0,
) -> tuple[list[dict[str, Any]], int]:
    """One page (``limit`` rows from ``offset``, by id) of the enterprises in ``scope``, optionally
    of one town, and how many there are in all; the public sees none."""
    return uow.registry.visible_enterprises(scope, town_code=town_code, limit=limit, offset=offset)


def visible_enterprise(uow: EnterprisesUnitOfWork, *, enterprise_id: int, scope: RowScope) -> dict[str, Any]:
    """The enterprise's profile if ``scope`` holds it.

    Raises :class:`NotFound` when there is no such enterprise and :class:`PermissionDenied` when it
    lies outside ``scope`` (both with ``field="enterprise_id"``).
    """
    enterprise = uow.registry.visible_enterprise(enterprise_id, scope)
    if enterprise is not None:
        return enterprise
    if uow.registry.enterprise_town(enterprise_id) is None:
        raise NotFound(f"no enterprise {enterprise_id}", field="enterprise_id")
    raise PermissionDenied(f"enterprise {enterprise_id} is outside your scope", field="enterprise_id")


#: Orders of :func:`search_enterprises`: by name, credit code, town (then name), land area or id.
ENTERPRISE_ORDERS = ("name", "credit_code", "town", "land", "id")
#: Most enterprises one page of :func:`search_enterprises` holds.
MAX_ENTERPRISE_PAGE = 1000


def search_enterprises(
    uow: EnterprisesUnitOfWork,
    *,
    scope: RowScope,
    search: str = "",
    town_code: str | None = None,
    park_id: int | None = None,
    industry_group: IndustryGroup | str | None = None,
    credit_codes: Iterable[str] | None = None,
    order: str = "name",
    descending: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[dict[str, Any]], int]:
    """One page of the enterprises in ``scope`` matching every filter given, and how many match.

    ``search`` matches a substring of the name or the unified social credit code (either case);
    ``town_code``, ``park_id`` and ``industry_group`` (:class:`IndustryGroup`) must equal; ``credit_codes``
    keeps only those firms (the caller passes e.g. the firms of one evaluation class). The filters
    narrow the scope in SQL, never widen it: a town officer asking for another town gets nothing.
    Raises :class:`InvalidInput` naming the field for an unknown group or order or a bad page size.
    """
    if order not in ENTERPRISE_ORDERS:
        raise InvalidInput(
            f"order must be one of {', '.join(ENTERPRISE_ORDERS)}, not {order!r}", field="order"
        )
    if not 1 <= limit <= MAX_ENTERPRISE_PAGE:
        raise InvalidInput(f"limit must be 1-{MAX_ENTERPRISE_PAGE}, not {limit}", field="limit")
    group = None
    if industry_group:
        try:
            group = IndustryGroup(industry_group)
        except ValueError:
            known = ", ".join(g.value for g in IndustryGroup)
            raise InvalidInput(
                f"industry_group must be one of {known}, not {industry_group!r}", field="industry_group"
            ) from None
    return uow.registry.search_enterprises(
        scope,
        search=search,
        town_code=town_code or None,
        park_id=park_id,
        industry_group=group,
        credit_codes=None if credit_codes is None else sorted(set(credit_codes)),
        order=order,
        descending=descending,
        limit=limit,
        offset=max(offset, 0),
    )


def visible_sites(
    uow: EnterprisesUnitOfWork,
    *,
    scope: RowScope,
    kind: SiteKind | str | None = None,
    enterprise_id: int | None = None,
    town_code: str | None = None,
) -> list[dict[str, Any]]:
    """Monitoring sites in ``scope`` by code, optionally of one kind, enterprise or town
    (:data:`~greenport.accounts.model.DISCLOSED`: the air stations and water sections only)."""
    return uow.registry.visible_sites(
        scope, kind=None if kind is None else str(kind), enterprise_id=enterprise_id, town_code=town_code
    )


def visible_site(uow: EnterprisesUnitOfWork, *, site_id: int, scope: RowScope) -> dict[str, Any]:
    """The site if ``scope`` holds it; :class:`NotFound` when there is no such site,
    :class:`PermissionDenied` when it lies outside ``scope`` (both with ``field="site_id"``)."""
    site = uow.registry.visible_site(site_id, scope)
    if site is not None:
        return site
    if uow.registry.get_site(site_id) is None:
        raise NotFound(f"no site {site_id}", field="site_id")
    raise PermissionDenied(f"site {site_id} is outside your scope", field="site_id")


def registry_workbook(uow: EnterprisesUnitOfWork, *, scope: RowScope) -> dict[str, list[dict[str, Any]]]:
    """The registry in ``scope`` as tables of the export workbook: ``towns``, ``parks`` (without
    boundaries), ``enterprises`` and ``sites``, each a list of rows keyed by column."""
    enterprises, _total = uow.registry.visible_enterprises(scope, limit=EXPORT_MAX_ENTERPRISES)
    return {
        "towns": uow.registry.visible_towns(scope),
        "parks": uow.registry.visible_parks(scope, with_boundaries=False),
        "enterprises": enterprises,
        "sites": uow.registry.visible_sites(scope),
    }


def registry_counts(uow: EnterprisesUnitOfWork) -> dict[str, int]:
    """Row counts of every registry table (:data:`REGISTRY_TABLES`), for operators."""
    return {table: uow.registry.count(table) for table in REGISTRY_TABLES}


# --- devices -------------------------------------------------------------------------------------


def register_device(
    uow: EnterprisesUnitOfWork,
    *,
    mn: str,
    password: str,
    site_id: int | None = None,
    site_code: str | None = None,
    crc_variant: CrcVariantSetting | str = CrcVariantSetting.HJ212,
    salt: bytes | None = None,
    registered_at: datetime | None = None,
) -> Device:
    """Register an HJ 212 data logger at a site; its password is stored argon2id-hashed.

    Parameters
    ----------
    mn : str
        Device identifier (HJ 212-2017 §6.3.2), at most 24 letters/digits/``_``/``-``.
    password : str
        The ``PW=`` access password the device sends (stored only as a hash, profile ``device``).
    site_id, site_code : int or str
        The site the device measures (one of them).
    crc_variant : str
        ``hj212`` (HJ 212-2017 App. A) or ``modbus_swapped``.
    salt : bytes, optional
        Fixed salt for reproducible fixtures (the demo city) only.
    registered_at : datetime, optional
        Aware time of registration (default: now); fixed only by reproducible fixtures.

    Raises
    ------
    InvalidInput
        Bad MN (``field="mn"``), password, CRC variant or missing site reference.
    NotFound
        No such site (``field="site_id"``/``"site_code"``).
    Conflict
        A device with this MN exists (``field="mn"``).
    """
    mn = validate_mn(mn)
    password = validate_device_password(password)
    variant = parse_crc_variant(crc_variant)
    site = get_site(uow, site_id=site_id, code=site_code)
    if uow.registry.get_device(mn) is not None:
        raise Conflict(f"a device with MN {mn} is registered already", field="mn")
    assert site.id is not None
    device = Device(id=None, mn=mn, site_id=site.id, crc_variant=variant)
    return uow.registry.add_device(
        device,
        password_hash=hash_password(password, salt=salt, profile="device"),
        created_at=registered_at,
    )


def list_devices(uow: EnterprisesUnitOfWork, *, site_id: int | None = None) -> list[Device]:
    """Devices ordered by id (optionally of one site)."""
    return uow.registry.list_devices(site_id=site_id)


def get_device(uow: EnterprisesUnitOfWork, *, mn: str) -> Device:
    found = uow.registry.get_device(mn.strip())
    if found is None:
        raise NotFound(f"no device with MN {mn}", field="mn")
    return found


def get_device_credentials(uow: EnterprisesUnitOfWork, mn: str) -> tuple[Device, str] | None:
    """The device with MN ``mn`` and its stored password hash, or None when unknown.

    Check a received ``PW`` with :func:`greenport.accounts.passwords.verify_password`.
    """
    return uow.registry.get_device_credentials(mn.strip())


# --- file imports and exports --------------------------------------------------------------------


def _snapshot(uow: EnterprisesUnitOfWork) -> RegistrySnapshot:
    registry = uow.registry
    return RegistrySnapshot(
        division_levels=registry.division_levels(),
        park_towns=registry.park_towns(),
        enterprise_ids=registry.enterprise_ids(),
        enterprise_towns=registry.enterprise_towns(),
        site_codes=registry.site_codes(),
    )


def _finish(table: str, source: str, rows_read: int, errors: list[RowError], skip_invalid: bool) -> None:
    if errors and not skip_invalid:
        raise InvalidRows(sorted(errors, key=lambda e: e.row), source=source or f"{table} file")


def import_enterprises(
    uow: EnterprisesUnitOfWork,
    rows: Iterable[tuple[int, Mapping[str, Any]]],
    *,
    headers: Iterable[str] | None = None,
    skip_invalid: bool = False,
    source: str = "",
) -> ImportOutcome:
    """Import enterprise rows ``[(row number, {column: value})]`` (columns:
    :data:`~greenport.enterprises.importing.ENTERPRISE_COLUMNS`).

    Every row and column is checked first. With any error and ``skip_invalid=False`` nothing is
    written and :class:`InvalidRows` carries every error; with ``skip_invalid=True`` the valid rows
    are written and the errors are returned in the outcome.
    """
    numbered = list(rows)
    valid, errors = validate_enterprise_rows(numbered, _snapshot(uow), headers=headers)
    _finish("enterprises", source, len(numbered), errors, skip_invalid)
    uow.registry.add_enterprises([enterprise for _, enterprise in valid])
    return ImportOutcome("enterprises", len(numbered), len(valid), errors, source)


def import_sites(
    uow: EnterprisesUnitOfWork,
    rows: Iterable[tuple[int, Mapping[str, Any]]],
    *,
    headers: Iterable[str] | None = None,
    skip_invalid: bool = False,
    source: str = "",
) -> ImportOutcome:
    """Import monitoring-site rows (columns: :data:`~greenport.enterprises.importing.SITE_COLUMNS`);
    all-or-nothing unless ``skip_invalid`` (see :func:`import_enterprises`)."""
    numbered = list(rows)
    valid, errors = validate_site_rows(numbered, _snapshot(uow), headers=headers)
    _finish("sites", source, len(numbered), errors, skip_invalid)
    for _, site in valid:
        uow.registry.add_site(site)
    return ImportOutcome("sites", len(numbered), len(valid), errors, source)


def import_enterprise_years(
    uow: EnterprisesUnitOfWork,
    rows: Iterable[tuple[int, Mapping[str, Any]]],
    *,
    headers: Iterable[str] | None = None,
    skip_invalid: bool = False,
    source: str = "",
) -> ImportOutcome:
    """Import enterprise-year rows (columns: :data:`~greenport.enterprises.importing.YEAR_COLUMNS`);
    all-or-nothing unless ``skip_invalid``. Figures already stored for an (enterprise, year) are
    an error (record them with :func:`record_enterprise_year` to replace them)."""
    numbered = list(rows)
    stored = {(y.enterprise_id, y.year) for y in uow.registry.list_enterprise_years()}
    valid, errors = validate_year_rows(numbered, _snapshot(uow), stored, headers=headers)
    _finish("enterprise-years", source, len(numbered), errors, skip_invalid)
    uow.registry.put_enterprise_years([figures for _, figures in valid])
    return ImportOutcome("enterprise-years", len(numbered), len(valid), errors, source)


def export_enterprise_years(uow: EnterprisesUnitOfWork) -> list[dict[str, Any]]:
    """Every enterprise-year as a row of the import file (ordered by enterprise, year)."""
    credit_codes = {v: k for k, v in uow.registry.enterprise_ids().items()}
    return [year_record(y, credit_codes) for y in uow.registry.list_enterprise_years()]


def export_enterprises(uow: EnterprisesUnitOfWork) -> list[dict[str, Any]]:
    """Every enterprise as a row of the import file (same columns: export -> import round-trips)."""
    return [enterprise_record(e) for e in uow.registry.list_enterprises()]


def export_sites(uow: EnterprisesUnitOfWork) -> list[dict[str, Any]]:
    """Every monitoring site as a row of the import file."""
    credit_codes = {v: k for k, v in uow.registry.enterprise_ids().items()}
    return [site_record(s, credit_codes) for s in uow.registry.list_sites()]


# --- sites and devices as a caller sees them (monitoring pages; devices switched on and off) -----


def visible_devices(
    uow: ScopedSitesUnitOfWork, *, scope: RowScope, site_id: int | None = None
) -> list[dict[str, Any]]:
    """The data loggers (数采仪) at the sites ``scope`` may see (of one site), by MN, as dicts."""
    devices = uow.registry.visible_devices(scope)
    return devices if site_id is None else [d for d in devices if d["site_id"] == site_id]


def device_summary(uow: ScopedSitesUnitOfWork, *, device_id: int) -> dict[str, Any]:
    """``id``, ``mn``, ``site_id`` and ``active`` of a device; :class:`NotFound` if there is none."""
    device = uow.registry.device_summary(device_id)
    if device is None:
        raise NotFound(f"no device {device_id}", field="device_id")
    return device


def set_device_active(
    uow: DeviceAdminUnitOfWork, *, principal: Principal, device_id: int, active: bool, ip: str | None = None
) -> dict[str, Any]:
    """Enable or disable a device (an inactive device's frames are refused by ingest) and record
    who did it, from where, and the change in the audit log; returns the device as it now is."""
    device = device_summary(uow, device_id=device_id)
    uow.registry.set_device_active(device_id, active)
    record_audit(
        uow,
        principal=principal,
        action="set_active",
        entity="device",
        entity_id=str(device_id),
        detail={"mn": device["mn"], "from": device["active"], "to": active},
        ip=ip,
    )
    return {**device, "active": active}
