"""Users and roles. A user's scope decides which rows any route may return."""

from __future__ import annotations

import enum
from dataclasses import dataclass


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
