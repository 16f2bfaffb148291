"""Users, roles and the caller: who a request comes from (:class:`Principal`) and which rows
it may see (:class:`RowScope`, applied in SQL by the repositories)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class Role(enum.StrEnum):
    CITY_ADMIN = "city_admin"  # 市级管理员: everything
    BUREAU_ANALYST = "bureau_analyst"  # 生态环境局分析员: whole city, read + analysis
    TOWN_OFFICER = "town_officer"  # 镇(街道)干部: own town
    GRID_OFFICER = "grid_officer"  # 网格员: own grid cell's town/village
    DEPARTMENT = "department"  # 部门: whole city, read, own department's targets
    ENTERPRISE = "enterprise"  # 企业: own enterprise only
    PUBLIC = "public"  # 公众: disclosed information only


@dataclass(frozen=True, slots=True)
class User:
    id: int | None
    username: str
    display_name: str
    role: Role
    division_code: str | None = None
    enterprise_id: int | None = None
    park_code: str | None = None
    active: bool = True
    email: str | None = None  # where e-mail notifications go
    department: str | None = None  # a department user's municipal department (its cases)


@dataclass(frozen=True, slots=True)
class RowScope:
    """Which registry rows a caller may see (the repositories apply it in SQL).

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
#: What the public sees: disclosed information only.
DISCLOSED = RowScope(disclosed_only=True)


#: Roles that see the whole city.
CITY_ROLES = frozenset({Role.CITY_ADMIN, Role.BUREAU_ANALYST, Role.DEPARTMENT})
#: Every role (log-in pages: a signed-in user may log in again, e.g. as someone else).
EVERYONE = frozenset(Role)
#: Every signed-in role.
SIGNED_IN = frozenset(Role) - {Role.PUBLIC}
#: Roles with officer duties in a territory (city, town or grid).
OFFICERS = CITY_ROLES | {Role.TOWN_OFFICER, Role.GRID_OFFICER}
ADMINS = frozenset({Role.CITY_ADMIN})
ANALYSTS = frozenset({Role.CITY_ADMIN, Role.BUREAU_ANALYST})


def town_of(division_code: str) -> str:
    """The town (乡镇级, GB/T 2260 + statistical codes: digits 7-9) containing a division [12 digits]."""
    return division_code[:9] + "000"


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller of one request."""

    user_id: int | None
    username: str
    display_name: str
    role: Role
    division_code: str | None = None
    enterprise_id: int | None = None
    park_id: int | None = None
    park_town_code: str | None = None
    via: str = "anonymous"  # session | token | anonymous | command_line
    department: str | None = None  # a department user's municipal department
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def authenticated(self) -> bool:
        return self.user_id is not None

    @property
    def scope(self) -> RowScope:
        """The rows this caller may see (applied in SQL by the repositories)."""
        if self.via == "command_line":  # the machine's operator (COMMAND_LINE): the whole city
            return RowScope()
        if not self.authenticated or self.role is Role.PUBLIC:
            return RowScope(disclosed_only=True)
        if self.role is Role.ENTERPRISE:
            return RowScope(enterprise_id=self.enterprise_id if self.enterprise_id is not None else -1)
        if self.park_id is not None:  # a park management committee: its park, even as a department
            return RowScope(park_id=self.park_id)
        if self.role in CITY_ROLES:
            return RowScope()
        if self.division_code is None:
            return RowScope(town_codes=frozenset())
        return RowScope(town_codes=frozenset({town_of(self.division_code)}))


ANONYMOUS = Principal(user_id=None, username="anonymous", display_name="公众", role=Role.PUBLIC)

#: The operator of the machine at the command line (``greenport users ...``), as the audit log
#: names them (no user row: whoever may run the commands may do anything).
COMMAND_LINE = Principal(
    user_id=None, username="cli", display_name="命令行", role=Role.CITY_ADMIN, via="command_line"
)
