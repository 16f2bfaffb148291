"""Tables of the city's registry: divisions, grid cells and officers, parks, enterprises,
sites, devices, users. Domain enums come from the feature packages' ``model.py``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Enum,
    Float,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from greenport.accounts.model import Role
from greenport.enterprises.model import (
    CrcVariantSetting,
    IndustryGroup,
    SiteKind,
    SiteLevel,
    SizeClass,
    Waterbody,
)
from greenport.kernel.time import utcnow
from greenport.regions.model import DivisionLevel, GridLevel, ParkKind
from greenport.storage.base import Base, UTCDateTime


def _enum(enum_cls: type, name: str) -> Enum:
    # Stored as VARCHAR + CHECK (native_enum=False) so adding a member needs no ALTER TYPE.
    return Enum(
        enum_cls, name=name, native_enum=False, values_callable=lambda e: [m.value for m in e], length=40
    )


class DivisionRow(Base):
    __tablename__ = "divisions"

    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[DivisionLevel] = mapped_column(_enum(DivisionLevel, "division_level"))
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("divisions.code"), index=True)
    boundary_geojson: Mapped[str | None] = mapped_column(Text)
    area_km2: Mapped[float | None] = mapped_column(Float)
    population: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (CheckConstraint("length(code) = 12", name="code_12_digits"),)


class GridCellRow(Base):
    __tablename__ = "grid_cells"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[GridLevel] = mapped_column(_enum(GridLevel, "grid_level"))
    division_code: Mapped[str] = mapped_column(ForeignKey("divisions.code"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("grid_cells.id"), index=True)


class GridOfficerRow(Base):
    __tablename__ = "grid_officers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(30))
    grid_cell_id: Mapped[int] = mapped_column(ForeignKey("grid_cells.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)


class ParkRow(Base):
    __tablename__ = "parks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[ParkKind] = mapped_column(_enum(ParkKind, "park_kind"))
    town_code: Mapped[str] = mapped_column(ForeignKey("divisions.code"), index=True)
    boundary_geojson: Mapped[str | None] = mapped_column(Text)


class EnterpriseRow(Base):
    __tablename__ = "enterprises"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    industry_code: Mapped[str] = mapped_column(String(4))
    industry_group: Mapped[IndustryGroup] = mapped_column(_enum(IndustryGroup, "industry_group"))
    town_code: Mapped[str] = mapped_column(ForeignKey("divisions.code"), index=True)
    park_id: Mapped[int | None] = mapped_column(ForeignKey("parks.id"), index=True)
    land_area_mu: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    size_class: Mapped[SizeClass] = mapped_column(_enum(SizeClass, "size_class"))
    above_scale: Mapped[bool] = mapped_column(Boolean, default=True)

    __table_args__ = (
        CheckConstraint("land_area_mu >= 0", name="land_area_non_negative"),
        CheckConstraint("lon BETWEEN -180 AND 180 AND lat BETWEEN -90 AND 90", name="lon_lat_range"),
    )


class EnterpriseYearRow(Base):
    """Annual economic, energy and emission figures of an enterprise (统计年报, 亩均效益评价数据)."""

    __tablename__ = "enterprise_years"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    output_10k_yuan: Mapped[float | None] = mapped_column(Numeric(18, 2))  # 工业总产值, 万元
    revenue_10k_yuan: Mapped[float | None] = mapped_column(Numeric(18, 2))  # 营业收入, 万元
    tax_10k_yuan: Mapped[float | None] = mapped_column(Numeric(18, 2))  # 税收实际贡献, 万元
    value_added_10k_yuan: Mapped[float | None] = mapped_column(Numeric(18, 2))  # 工业增加值, 万元
    rd_expense_10k_yuan: Mapped[float | None] = mapped_column(Numeric(18, 2))  # 研发经费, 万元
    energy_tce: Mapped[float | None] = mapped_column(Numeric(18, 2))  # 综合能耗, 吨标准煤
    employees: Mapped[int | None] = mapped_column(Integer)  # 年平均职工人数
    cod_t: Mapped[float | None] = mapped_column(Numeric(18, 3))
    nh3_n_t: Mapped[float | None] = mapped_column(Numeric(18, 3))
    so2_t: Mapped[float | None] = mapped_column(Numeric(18, 3))
    nox_t: Mapped[float | None] = mapped_column(Numeric(18, 3))

    __table_args__ = (UniqueConstraint("enterprise_id", "year"),)


class SiteRow(Base):
    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[SiteKind] = mapped_column(_enum(SiteKind, "site_kind"), index=True)
    level: Mapped[SiteLevel] = mapped_column(_enum(SiteLevel, "site_level"))
    town_code: Mapped[str] = mapped_column(ForeignKey("divisions.code"), index=True)
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"), index=True)
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    waterbody: Mapped[Waterbody | None] = mapped_column(_enum(Waterbody, "waterbody"))
    river: Mapped[str | None] = mapped_column(String(100))
    target_class: Mapped[int | None] = mapped_column(Integer)
    emission_standard: Mapped[str | None] = mapped_column(String(80))
    process: Mapped[str | None] = mapped_column(String(80))
    # Discharge grade of a graded standard (GB 8978-1996 class 1/2/3); migration 0003.
    emission_grade: Mapped[str | None] = mapped_column(String(4))

    __table_args__ = (
        CheckConstraint("target_class IS NULL OR target_class BETWEEN 1 AND 5", name="target_class_1_5"),
    )


class DeviceRow(Base):
    """A data logger (数采仪) speaking HJ 212, identified by its MN; password stored hashed."""

    __tablename__ = "devices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mn: Mapped[str] = mapped_column(String(24), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    crc_variant: Mapped[CrcVariantSetting] = mapped_column(
        _enum(CrcVariantSetting, "crc_variant"), default=CrcVariantSetting.HJ212
    )
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    display_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[Role] = mapped_column(_enum(Role, "role"))
    division_code: Mapped[str | None] = mapped_column(ForeignKey("divisions.code"), index=True)
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"), index=True)
    park_id: Mapped[int | None] = mapped_column(ForeignKey("parks.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # where e-mail notifications go (migration web_0003_user_email); optional
    email: Mapped[str | None] = mapped_column(String(320))
    # the municipal department a department user belongs to (migration web_0004_user_department):
    # its cases are theirs to see (greenport.cases.service.case_scope)
    department: Mapped[str | None] = mapped_column(String(100))
