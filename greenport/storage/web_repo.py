"""Repository of the web platform (``uow.web``).

Two kinds of method live here:

* the web's own tables (sessions, API tokens, log-in attempts, audit log);
* thin, read-only registry queries the pages need and no feature service offers yet, each
  taking a :class:`RowScope` so that no row outside a user's region, park or enterprise can
  leave storage (the scope is applied in SQL, not filtered afterwards).

Rows are returned as plain dicts (JSON-ready, ``town_code`` / ``enterprise_id`` kept on every
row so callers and tests can check the scope).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import case, delete, func, literal, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from greenport.kernel.time import utcnow
from greenport.storage.base import UTCDateTime
from greenport.storage.registry import (
    DeviceRow,
    DivisionRow,
    EnterpriseRow,
    GridCellRow,
    ParkRow,
    SiteRow,
    UserRow,
)
from greenport.storage.web import ApiTokenRow, AuditLogRow, LoginAttemptRow, LoginCounterRow, WebSessionRow


@dataclass(frozen=True, slots=True)
class RowScope:
    """Which registry rows a caller may see (every read below applies it in SQL).

    ``town_codes`` None means every town; ``enterprise_id`` narrows to one firm (its outlets, its
    town and its park); ``park_id`` to one park (its firms, their outlets, the park and its town,
    no grid cell); ``disclosed_only`` limits to what the city publishes (air stations and water
    sections).
    """

    town_codes: frozenset[str] | None = None
    enterprise_id: int | None = None
    park_id: int | None = None
    disclosed_only: bool = False

    @property
    def is_city(self) -> bool:
        return (
            self.town_codes is None
            and self.enterprise_id is None
            and self.park_id is None
            and not self.disclosed_only
        )


CITY = RowScope()

#: Site kinds the public may see (ambient monitoring; enterprise outlets are not disclosed here).
DISCLOSED_SITE_KINDS = ("air_station", "water_section")


def _user_dict(row: UserRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "username": row.username,
        "display_name": row.display_name,
        "role": str(row.role.value if hasattr(row.role, "value") else row.role),
        "division_code": row.division_code,
        "enterprise_id": row.enterprise_id,
        "park_id": row.park_id,
        "active": row.active,
    }


def _enterprise_dict(row: EnterpriseRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "credit_code": row.credit_code,
        "name": row.name,
        "industry_code": row.industry_code,
        "industry_group": str(row.industry_group.value),
        "town_code": row.town_code,
        "park_id": row.park_id,
        "land_area_mu": row.land_area_mu,
        "lon": row.lon,
        "lat": row.lat,
        "size_class": str(row.size_class.value),
        "above_scale": row.above_scale,
        "enterprise_id": row.id,
    }


def _site_dict(row: SiteRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "code": row.code,
        "name": row.name,
        "kind": str(row.kind.value),
        "level": str(row.level.value),
        "town_code": row.town_code,
        "enterprise_id": row.enterprise_id,
        "lon": row.lon,
        "lat": row.lat,
        "waterbody": row.waterbody.value if row.waterbody else None,
        "river": row.river,
        "target_class": row.target_class,
        "emission_standard": row.emission_standard,
        "emission_grade": getattr(row, "emission_grade", None),
        "process": row.process,
    }


class WebRepository:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.monitoring = MonitoringReads(session)

    # --- users, sessions, tokens ----------------------------------------------------------------

    def user_credentials(self, username: str) -> tuple[dict[str, Any], str] | None:
        row = self.session.scalar(select(UserRow).where(UserRow.username == username))
        return (_user_dict(row), row.password_hash) if row is not None else None

    def user(self, user_id: int) -> dict[str, Any] | None:
        row = self.session.get(UserRow, user_id)
        return _user_dict(row) if row is not None else None

    def set_password_hash(self, user_id: int, password_hash: str) -> None:
        self.session.execute(update(UserRow).where(UserRow.id == user_id).values(password_hash=password_hash))

    def add_session(self, *, digest: str, user_id: int, expires_at: datetime) -> None:
        self.session.add(WebSessionRow(digest=digest, user_id=user_id, expires_at=expires_at, revoked=False))
        self.session.flush()

    def session_user_id(self, digest: str, *, now: datetime) -> int | None:
        row = self.session.scalar(select(WebSessionRow).where(WebSessionRow.digest == digest))
        if row is None or row.revoked or row.expires_at <= now:
            return None
        return row.user_id

    def revoke_session(self, digest: str) -> None:
        self.session.execute(update(WebSessionRow).where(WebSessionRow.digest == digest).values(revoked=True))

    def add_token(self, *, digest: str, name: str, user_id: int, expires_at: datetime) -> int:
        row = ApiTokenRow(digest=digest, name=name, user_id=user_id, expires_at=expires_at, revoked=False)
        self.session.add(row)
        self.session.flush()
        return row.id

    def token_user_id(self, digest: str, *, now: datetime) -> int | None:
        row = self.session.scalar(select(ApiTokenRow).where(ApiTokenRow.digest == digest))
        if row is None or row.revoked or row.expires_at <= now:
            return None
        # No write here: a read request must not take SQLite's write lock (50 polling clients
        # would queue on it); ``api_tokens.last_used_at`` is therefore left empty for now.
        return row.user_id

    def tokens(self, *, user_id: int | None = None) -> list[dict[str, Any]]:
        """Tokens (never their secret), newest first; of one user or of everyone."""
        query = select(ApiTokenRow, UserRow.username).join(UserRow, UserRow.id == ApiTokenRow.user_id)
        if user_id is not None:
            query = query.where(ApiTokenRow.user_id == user_id)
        return [
            {
                "id": row.id,
                "name": row.name,
                "user_id": row.user_id,
                "username": username,
                "created_at": row.created_at.isoformat(),
                "expires_at": row.expires_at.isoformat(),
                "revoked": row.revoked,
            }
            for row, username in self.session.execute(query.order_by(ApiTokenRow.id.desc()))
        ]

    def token_owner(self, token_id: int) -> tuple[int, str] | None:
        """(user id, digest) of token ``token_id`` (None: no such token)."""
        row = self.session.execute(
            select(ApiTokenRow.user_id, ApiTokenRow.digest).where(ApiTokenRow.id == token_id)
        ).first()
        return (int(row[0]), str(row[1])) if row is not None else None

    def password_hashes(self) -> list[tuple[str, str]]:
        """(user name, stored password hash) of every active user (demo-account check)."""
        rows = self.session.execute(
            select(UserRow.username, UserRow.password_hash).where(UserRow.active.is_(True))
        )
        return [(str(name), str(stored)) for name, stored in rows]

    def revoke_token(self, *, token_id: int | None = None, digest: str | None = None) -> bool:
        """Revoke one token by id or by digest; True when a live token was revoked."""
        query = update(ApiTokenRow).where(ApiTokenRow.revoked.is_(False))
        if token_id is not None:
            query = query.where(ApiTokenRow.id == token_id)
        elif digest is not None:
            query = query.where(ApiTokenRow.digest == digest)
        else:
            raise ValueError("revoke_token needs token_id or digest")
        return bool(self.session.execute(query.values(revoked=True)).rowcount)  # type: ignore[attr-defined]

    def record_login_attempt(self, *, username: str, ip: str, success: bool, at: datetime) -> None:
        self.session.add(LoginAttemptRow(username=username[:80], ip=ip[:64], success=success, at=at))
        self.session.flush()

    def reserve_login_attempt(self, key: str, *, now: datetime, window: timedelta) -> int:
        """Count one more attempt under ``key`` and return the attempts in its window, this one
        included: one atomic ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING`` (SQLite >= 3.35,
        PostgreSQL), so two parallel attempts never read the same count. A window older than
        ``window`` starts again at ``now`` with this attempt."""
        table = LoginCounterRow
        dialect = self.session.get_bind().dialect.name
        insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
        expired = table.window_start <= now - window
        statement = (
            insert(table)
            .values(key=key[:200], window_start=now, attempts=1)
            .on_conflict_do_update(
                index_elements=[table.key],
                set_={
                    "attempts": case((expired, 1), else_=table.attempts + 1),
                    "window_start": case((expired, literal(now, UTCDateTime())), else_=table.window_start),
                },
            )
            .returning(table.attempts)
        )
        return int(self.session.execute(statement).scalar_one())

    def release_login_attempt(self, key: str) -> None:
        """Give back one reserved attempt (the password was right)."""
        table = LoginCounterRow
        self.session.execute(
            update(table)
            .where(table.key == key[:200], table.attempts > 0)
            .values(attempts=table.attempts - 1)
        )

    def clear_login_attempts(self, key: str) -> None:
        self.session.execute(delete(LoginCounterRow).where(LoginCounterRow.key == key[:200]))

    def login_attempts_of(self, *, username: str) -> list[dict[str, Any]]:
        """The stored log-in attempts of a user name, oldest first (audit and tests)."""
        rows = self.session.scalars(
            select(LoginAttemptRow).where(LoginAttemptRow.username == username).order_by(LoginAttemptRow.id)
        )
        return [{"ip": r.ip, "success": r.success, "at": r.at.isoformat()} for r in rows]

    # --- audit ----------------------------------------------------------------------------------

    def audit(
        self,
        *,
        user_id: int | None,
        username: str,
        action: str,
        entity: str,
        entity_id: str | None = None,
        detail: dict[str, Any] | None = None,
        ip: str | None = None,
    ) -> None:
        self.session.add(
            AuditLogRow(
                at=utcnow(),
                user_id=user_id,
                username=username,
                action=action,
                entity=entity,
                entity_id=entity_id,
                detail_json=json.dumps(detail, ensure_ascii=False, default=str) if detail else None,
                ip=ip,
            )
        )
        self.session.flush()

    def audit_entries(self, *, limit: int = 200) -> list[dict[str, Any]]:
        rows = self.session.scalars(select(AuditLogRow).order_by(AuditLogRow.id.desc()).limit(limit))
        return [
            {
                "id": r.id,
                "at": r.at.isoformat(),
                "user_id": r.user_id,
                "username": r.username,
                "action": r.action,
                "entity": r.entity,
                "entity_id": r.entity_id,
                "detail": json.loads(r.detail_json) if r.detail_json else None,
                "ip": r.ip,
            }
            for r in rows
        ]

    # --- registry reads (scoped) ----------------------------------------------------------------

    def division(self, code: str) -> dict[str, Any] | None:
        row = self.session.get(DivisionRow, code)
        if row is None:
            return None
        return {
            "code": row.code,
            "name": row.name,
            "level": str(row.level.value),
            "parent_code": row.parent_code,
            "area_km2": row.area_km2,
            "population": row.population,
        }

    def city(self) -> dict[str, Any] | None:
        row = self.session.scalar(select(DivisionRow).where(DivisionRow.level == "city").limit(1))
        return self.division(row.code) if row is not None else None

    def city_sites(self, kind: str) -> list[dict[str, Any]]:
        """Every site of ``kind`` in the city (for city-wide reports)."""
        return self.sites(CITY, kind=kind)

    def city_towns(self) -> list[dict[str, Any]]:
        return self.towns(CITY)

    def towns(self, scope: RowScope, *, with_boundaries: bool = False) -> list[dict[str, Any]]:
        query = (
            select(DivisionRow).where(DivisionRow.level.in_(["town", "street"])).order_by(DivisionRow.code)
        )
        if scope.town_codes is not None:
            query = query.where(DivisionRow.code.in_(scope.town_codes))
        if scope.enterprise_id is not None:
            query = query.where(
                DivisionRow.code.in_(
                    select(EnterpriseRow.town_code).where(EnterpriseRow.id == scope.enterprise_id)
                )
            )
        if scope.park_id is not None:
            query = query.where(
                DivisionRow.code.in_(select(ParkRow.town_code).where(ParkRow.id == scope.park_id))
            )
        out = []
        for row in self.session.scalars(query):
            item: dict[str, Any] = {
                "code": row.code,
                "name": row.name,
                "level": str(row.level.value),
                "town_code": row.code,
                "area_km2": row.area_km2,
                "population": row.population,
            }
            if with_boundaries:
                item["boundary"] = json.loads(row.boundary_geojson) if row.boundary_geojson else None
            out.append(item)
        return out

    def grid_cells(self, scope: RowScope) -> list[dict[str, Any]]:
        query = select(GridCellRow).order_by(GridCellRow.code)
        if scope.disclosed_only or scope.enterprise_id is not None or scope.park_id is not None:
            query = query.where(GridCellRow.id < 0)  # grid cells are territory, not a park or a firm
        if scope.town_codes is not None:
            # a cell belongs to a town when its division is the town or lies below it (same 9-digit prefix)
            query = query.where(
                or_(*[GridCellRow.division_code.like(code[:9] + "%") for code in scope.town_codes])
                if scope.town_codes
                else GridCellRow.id < 0
            )
        return [
            {
                "id": r.id,
                "code": r.code,
                "name": r.name,
                "level": str(r.level.value),
                "division_code": r.division_code,
                "town_code": r.division_code[:9] + "000",
                "parent_id": r.parent_id,
            }
            for r in self.session.scalars(query)
        ]

    def parks(self, scope: RowScope) -> list[dict[str, Any]]:
        query = select(ParkRow).order_by(ParkRow.code)
        if scope.disclosed_only:
            query = query.where(ParkRow.id < 0)
        if scope.town_codes is not None:
            query = query.where(ParkRow.town_code.in_(scope.town_codes))
        if scope.enterprise_id is not None:  # the firm's own park, if it lies in one
            query = query.where(
                ParkRow.id.in_(select(EnterpriseRow.park_id).where(EnterpriseRow.id == scope.enterprise_id))
            )
        if scope.park_id is not None:
            query = query.where(ParkRow.id == scope.park_id)
        return [
            {
                "id": r.id,
                "code": r.code,
                "name": r.name,
                "kind": str(r.kind.value),
                "town_code": r.town_code,
                "boundary": json.loads(r.boundary_geojson) if r.boundary_geojson else None,
            }
            for r in self.session.scalars(query)
        ]

    def _scope_enterprises(self, query: Any, scope: RowScope) -> Any:
        if scope.disclosed_only:
            return query.where(EnterpriseRow.id < 0)
        if scope.town_codes is not None:
            query = query.where(EnterpriseRow.town_code.in_(scope.town_codes))
        if scope.enterprise_id is not None:
            query = query.where(EnterpriseRow.id == scope.enterprise_id)
        if scope.park_id is not None:
            query = query.where(EnterpriseRow.park_id == scope.park_id)
        return query

    def enterprises(
        self, scope: RowScope, *, town_code: str | None = None, limit: int = 500, offset: int = 0
    ) -> tuple[list[dict[str, Any]], int]:
        query = self._scope_enterprises(select(EnterpriseRow), scope)
        if town_code:
            query = query.where(EnterpriseRow.town_code == town_code)
        total = self.session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = self.session.scalars(query.order_by(EnterpriseRow.id).limit(limit).offset(offset))
        return [_enterprise_dict(r) for r in rows], int(total)

    def enterprise(self, enterprise_id: int, scope: RowScope = CITY) -> dict[str, Any] | None:
        """One enterprise, or None when it does not exist or lies outside ``scope``."""
        query = self._scope_enterprises(select(EnterpriseRow).where(EnterpriseRow.id == enterprise_id), scope)
        row = self.session.scalar(query)
        return _enterprise_dict(row) if row is not None else None

    def _scope_sites(self, query: Any, scope: RowScope) -> Any:
        if scope.disclosed_only:
            query = query.where(SiteRow.kind.in_(DISCLOSED_SITE_KINDS))
        if scope.town_codes is not None:
            query = query.where(SiteRow.town_code.in_(scope.town_codes))
        if scope.enterprise_id is not None:
            query = query.where(SiteRow.enterprise_id == scope.enterprise_id)
        if scope.park_id is not None:
            query = query.where(
                SiteRow.enterprise_id.in_(
                    select(EnterpriseRow.id).where(EnterpriseRow.park_id == scope.park_id)
                )
            )
        return query

    def sites(
        self,
        scope: RowScope,
        *,
        kind: str | None = None,
        enterprise_id: int | None = None,
        town_code: str | None = None,
    ) -> list[dict[str, Any]]:
        query = self._scope_sites(select(SiteRow), scope)
        if kind:
            query = query.where(SiteRow.kind == kind)
        if enterprise_id is not None:
            query = query.where(SiteRow.enterprise_id == enterprise_id)
        if town_code:
            query = query.where(SiteRow.town_code == town_code)
        return [_site_dict(r) for r in self.session.scalars(query.order_by(SiteRow.code))]

    def site(self, site_id: int, scope: RowScope = CITY) -> dict[str, Any] | None:
        """One site, or None when it does not exist or lies outside ``scope``."""
        row = self.session.scalar(self._scope_sites(select(SiteRow).where(SiteRow.id == site_id), scope))
        return _site_dict(row) if row is not None else None

    def devices(self, scope: RowScope) -> list[dict[str, Any]]:
        query = self._scope_sites(
            select(DeviceRow, SiteRow).join(SiteRow, DeviceRow.site_id == SiteRow.id), scope
        ).order_by(DeviceRow.mn)
        return [
            {
                "id": d.id,
                "mn": d.mn,
                "site_id": d.site_id,
                "site_code": s.code,
                "site_name": s.name,
                "town_code": s.town_code,
                "enterprise_id": s.enterprise_id,
                "crc_variant": str(d.crc_variant.value),
                "active": d.active,
            }
            for d, s in self.session.execute(query)
        ]

    def device(self, device_id: int) -> dict[str, Any] | None:
        row = self.session.get(DeviceRow, device_id)
        if row is None:
            return None
        return {"id": row.id, "mn": row.mn, "site_id": row.site_id, "active": row.active}

    def set_device_active(self, device_id: int, active: bool) -> None:
        self.session.execute(update(DeviceRow).where(DeviceRow.id == device_id).values(active=active))


# --- monitoring reads (thin, read-only; over the monitoring engineer's tables) -------------------
# The monitoring feature owns these tables; no service of it offers these scoped reads yet.


class MonitoringReads:
    """Read-only monitoring queries for pages and reports (used as ``uow.web.monitoring``)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def last_seen(self, site_ids: list[int], *, since: datetime) -> dict[int, datetime]:
        """Newest observation time per site since ``since`` (sites with none are absent)."""
        from greenport.storage.monitoring import ObservationRow

        if not site_ids:
            return {}
        query = (
            select(ObservationRow.site_id, func.max(ObservationRow.data_time))
            .where(ObservationRow.data_time >= since, ObservationRow.site_id.in_(site_ids))
            .group_by(ObservationRow.site_id)
        )
        out: dict[int, datetime] = {}
        for site_id, moment in self.session.execute(query):
            if moment is not None:
                if isinstance(moment, str):
                    moment = datetime.fromisoformat(moment)
                out[int(site_id)] = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        return out

    def data_version(self) -> tuple[Any, ...]:
        """A cheap marker that moves when monitoring data arrive: the newest frame id,
        observation time and index period (each read from the head of a primary key)."""
        from greenport.storage.monitoring import FrameRow, IndexRow, ObservationRow

        return (
            self.session.scalar(select(func.max(FrameRow.id))),
            self.session.scalar(select(func.max(ObservationRow.data_time))),
            self.session.scalar(select(func.max(IndexRow.period_start))),
        )

    def latest_aggregate_time(self, site_ids: list[int], *, period: str) -> datetime | None:
        """Start of the newest stored aggregate of ``period`` among ``site_ids``."""
        from greenport.storage.monitoring import AggregateRow

        if not site_ids:
            return None
        query = (
            select(AggregateRow.period_start)
            .where(AggregateRow.period == period, AggregateRow.site_id.in_(site_ids))
            .order_by(AggregateRow.period_start.desc())
            .limit(1)
        )
        return self.session.scalar(query)

    def latest_indices(
        self, site_ids: list[int], *, kind: str, period: str, since: datetime
    ) -> dict[int, dict[str, Any]]:
        """Newest index (AQI or water class) per site since ``since``."""
        from greenport.storage.monitoring import IndexRow

        if not site_ids:
            return {}
        newest = (
            select(IndexRow.site_id, func.max(IndexRow.period_start).label("t"))
            .where(
                IndexRow.kind == kind,
                IndexRow.period == period,
                IndexRow.period_start >= since,
                IndexRow.site_id.in_(site_ids),
            )
            .group_by(IndexRow.site_id)
            .subquery()
        )
        query = select(IndexRow).join(
            newest,
            (IndexRow.site_id == newest.c.site_id)
            & (IndexRow.period_start == newest.c.t)
            & (IndexRow.kind == kind)
            & (IndexRow.period == period),
        )
        return {row.site_id: _index_dict(row) for row in self.session.scalars(query)}

    def indices(
        self, site_ids: list[int], *, kind: str, period: str, start: datetime, end: datetime
    ) -> list[dict[str, Any]]:
        from greenport.storage.monitoring import IndexRow

        if not site_ids:
            return []
        query = (
            select(IndexRow)
            .where(
                IndexRow.kind == kind,
                IndexRow.period == period,
                IndexRow.period_start >= start,
                IndexRow.period_start < end,
                IndexRow.site_id.in_(site_ids),
            )
            .order_by(IndexRow.period_start, IndexRow.site_id)
        )
        return [_index_dict(row) for row in self.session.scalars(query)]

    def aggregates(
        self,
        site_ids: list[int],
        *,
        period: str,
        start: datetime,
        end: datetime,
        parameters: list[str] | None = None,
        valid_only: bool = True,
    ) -> list[tuple[datetime, int, str, float]]:
        """(period start, site id, parameter, value) of stored aggregates in [start, end)."""
        from greenport.storage.monitoring import AggregateRow

        if not site_ids:
            return []
        query = select(
            AggregateRow.period_start, AggregateRow.site_id, AggregateRow.parameter, AggregateRow.value
        ).where(
            AggregateRow.period == period,
            AggregateRow.period_start >= start,
            AggregateRow.period_start < end,
            AggregateRow.site_id.in_(site_ids),
            AggregateRow.value.is_not(None),
        )
        if valid_only:
            query = query.where(AggregateRow.valid.is_(True))
        if parameters:
            query = query.where(AggregateRow.parameter.in_(parameters))
        return [
            (t, int(s), str(p), float(v))
            for t, s, p, v in self.session.execute(query.order_by(AggregateRow.period_start))
            if v is not None
        ]

    def latest_aggregates(
        self, site_ids: list[int], *, period: str, since: datetime
    ) -> dict[int, dict[str, tuple[datetime, float]]]:
        """Per site and parameter, the newest valid aggregate of ``period`` since ``since``:
        {site id: {parameter: (period start, value)}}."""
        from greenport.storage.monitoring import AggregateRow

        if not site_ids:
            return {}
        where = (
            AggregateRow.period == period,
            AggregateRow.period_start >= since,
            AggregateRow.site_id.in_(site_ids),
            AggregateRow.valid.is_(True),
            AggregateRow.value.is_not(None),
        )
        newest = (
            select(
                AggregateRow.site_id.label("site_id"),
                AggregateRow.parameter.label("parameter"),
                func.max(AggregateRow.period_start).label("period_start"),
            )
            .where(*where)
            .group_by(AggregateRow.site_id, AggregateRow.parameter)
            .subquery()
        )
        query = (
            select(
                AggregateRow.site_id, AggregateRow.parameter, AggregateRow.period_start, AggregateRow.value
            )
            .join(
                newest,
                (AggregateRow.site_id == newest.c.site_id)
                & (AggregateRow.parameter == newest.c.parameter)
                & (AggregateRow.period_start == newest.c.period_start),
            )
            .where(AggregateRow.period == period)
        )
        out: dict[int, dict[str, tuple[datetime, float]]] = {}
        for site_id, parameter, start, value in self.session.execute(query):
            if value is not None:
                out.setdefault(int(site_id), {})[str(parameter)] = (start, float(value))
        return out

    def observations(
        self, site_id: int, *, start: datetime, end: datetime, period: str = "raw"
    ) -> list[dict[str, Any]]:
        """Stored observations of one site (oldest first, at most 20,000), with their device flags."""
        from greenport.storage.monitoring import ObservationRow
        from greenport.storage.monitoring_repo import READING_COLUMNS, observations_in

        o = ObservationRow
        query = (
            select(*READING_COLUMNS)
            .where(o.data_time >= start, o.data_time < end, o.site_id == site_id, o.period == period)
            .order_by(o.data_time, o.device_id)
        )
        out: list[dict[str, Any]] = []
        for row in self.session.execute(query):
            for obs in observations_in(*row):
                out.append(
                    {
                        "time": obs.data_time.isoformat(),
                        "parameter": obs.parameter,
                        "value": obs.value,
                        "flag": obs.flag.value,
                        "device_id": obs.device_id,
                        "late": obs.late,
                    }
                )
            if len(out) >= 20000:
                return out[:20000]
        return out

    def quarantine(self, *, limit: int = 200, device_ids: list[int] | None = None) -> list[dict[str, Any]]:
        from greenport.storage.monitoring import QuarantineRow

        query = select(QuarantineRow).order_by(QuarantineRow.id.desc()).limit(limit)
        if device_ids is not None:
            query = query.where(QuarantineRow.device_id.in_(device_ids))
        return [
            {
                "id": r.id,
                "received_at": r.received_at.isoformat(),
                "reason": r.reason,
                "field": r.field,
                "detail": r.detail,
                "peer": r.peer,
                "mn": r.mn,
                "device_id": r.device_id,
                "raw": bytes(r.raw).decode("latin-1", errors="replace"),
            }
            for r in self.session.scalars(query)
        ]


def _index_dict(row: Any) -> dict[str, Any]:
    return {
        "period_start": row.period_start,
        "site_id": row.site_id,
        "period": row.period,
        "kind": row.kind,
        "value": row.value,
        "label": row.label,
        "detail": json.loads(row.detail) if row.detail else {},
    }
