"""The registry stage of the demo city 港城: divisions, grid, parks, enterprises with two years of
figures, monitoring sites, devices and demo users, calibrated to the seeds' published figures.

Everything is drawn from one ``random.Random(seed)`` in a fixed order and goes through the
registry services (so the demo obeys the same rules as real data) in one unit of work. The plan
lives in ``demo/data/city.yaml`` (counts, names, parks, named firms, sites), ``industry.csv``
(output shares and ratios per group) and ``class_codes.csv`` (GB/T 4754-2017 classes).

Calibration (seed-figures.csv ids):

* 10 towns/districts + 3 streets (S2-003/004), 163 villages/communities (S1-045);
* grid of 1 + 13 + 163 cells with 326 officers (S1-051/052);
* 2 national development zones, 1 provincial high-tech zone, 1 provincial metallurgy park
  (S0-116..119) and 1 chemical park; more than 60 % of above-scale firms in parks (S0-120);
* 2022 above-scale output 5,944 亿元 (S3-020) with shares metallurgy 46.91 %, machinery &
  electrical 17.15 %, chemicals 14.85 % (S0-121..123), matched exactly (to 0.01 万元) by a final
  scaling step; 2021 output 5,842.7 亿元 (implied by S0-128/130) with the same shares, and 2021
  revenue 7,171.82 亿元 (S0-112);
* 13 national/provincial water sections and 19 Yangtze tributary sections (S2-041/042).
"""

from __future__ import annotations

import csv
import io
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from typing import Any

import yaml
from sqlalchemy import select

from greenport.accounts import service as accounts
from greenport.accounts.demo_accounts import demo_salt, demo_user_password
from greenport.demo.context import DemoContext, DemoDevice
from greenport.demo.credentials import demo_device_password
from greenport.demo.geo import Cell, bbox_of, lattice, point_inside, polygon_geojson, rectangle_inside
from greenport.enterprises import service as enterprises
from greenport.enterprises.model import IndustryGroup, SiteKind, SizeClass
from greenport.kernel.time import CHINA_TZ
from greenport.regions import service as regions
from greenport.standards.ids import make_credit_code
from greenport.storage.registry import GridCellRow, GridOfficerRow
from greenport.storage.uow import UnitOfWork

#: Instant every demo record is stamped with (registration times), so rebuilds are identical.
DEMO_EPOCH = datetime(2023, 1, 1, tzinfo=UTC)

#: 2022 above-scale industrial output [10^4 yuan] (S3-020: 5,944 亿元).
OUTPUT_2022_10K_YUAN = 59_440_000.00
#: 2021 above-scale industrial output [10^4 yuan] (S0-128/S0-130: 2732.06 / 46.76 % = 5,842.7 亿元).
OUTPUT_2021_10K_YUAN = 58_427_000.00
#: 2021 above-scale industrial revenue [10^4 yuan] (S0-112: 7,171.82 亿元).
REVENUE_2021_10K_YUAN = 71_718_200.00
#: Smallest output of an above-scale firm [10^4 yuan] (规模以上: main revenue >= 2000 万元).
MIN_OUTPUT_10K_YUAN = 2_500.0

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
_GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国建华志强志明海燕红梅玉兰晓东晓明雪梅丹丹春燕立新"
_NAME_HEADS = [
    "港城",
    "江港",
    "沙洲",
    "锦江",
    "金帆",
    "华兴",
    "恒通",
    "永盛",
    "东海",
    "长江",
    "海港",
    "新港",
    "宏达",
    "鼎盛",
    "瑞丰",
    "联合",
    "天和",
    "正大",
    "华润",
    "国泰",
    "汇丰",
    "通达",
    "远航",
    "振华",
    "明阳",
    "和泰",
    "信达",
    "协鑫",
    "安信",
    "博远",
    "富江",
    "嘉禾",
    "江南",
    "凯达",
    "蓝海",
    "美达",
    "南洋",
    "普惠",
    "青山",
    "荣盛",
    "盛虹",
    "泰和",
]
_GROUP_WORDS: dict[str, list[str]] = {
    "metallurgy": ["特钢", "金属材料", "合金", "不锈钢", "铝业", "铜业", "型钢", "钢管", "冶金"],
    "machinery_electrical": [
        "机械",
        "电气",
        "重工",
        "智能装备",
        "新能源",
        "电子",
        "汽车部件",
        "电缆",
        "精密",
    ],
    "chemicals": ["化工", "新材料", "化学", "石化", "高分子", "精细化工", "塑胶", "化纤"],
    "textiles": ["纺织", "毛纺", "印染", "服饰", "织造", "纺纱", "面料"],
    "other": ["粮油", "食品", "造纸", "医药", "建材", "包装", "再生资源", "能源", "生物科技"],
}


# --- plan ----------------------------------------------------------------------------------------


def _read_csv(name: str) -> list[dict[str, str]]:
    text = resources.files("greenport.demo").joinpath(f"data/{name}").read_text("utf-8")
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    return list(csv.DictReader(io.StringIO("\n".join(lines))))


@cache
def plan() -> dict[str, Any]:
    """The city plan (``demo/data/city.yaml``)."""
    text = resources.files("greenport.demo").joinpath("data/city.yaml").read_text("utf-8")
    loaded: dict[str, Any] = yaml.safe_load(text)
    return loaded


@dataclass(frozen=True)
class GroupPlan:
    group: IndustryGroup
    share: float
    firms: int
    ratios: dict[str, float]
    park_share: float
    park: str


@cache
def industry_plan() -> dict[IndustryGroup, GroupPlan]:
    """Output share, firm count and ratios per group (``demo/data/industry.csv``)."""
    out: dict[IndustryGroup, GroupPlan] = {}
    for row in _read_csv("industry.csv"):
        group = IndustryGroup(row["group"])
        ratios = {
            k: float(v) for k, v in row.items() if k not in ("group", "firms", "park", "output_share_2022")
        }
        out[group] = GroupPlan(
            group,
            float(row["output_share_2022"]),
            int(row["firms"]),
            ratios,
            float(row["park_share"]),
            row["park"],
        )
    total = sum(g.share for g in out.values())
    if abs(total - 100.0) > 1e-9:
        raise ValueError(f"output shares in industry.csv add up to {total}, not 100")
    return out


@cache
def class_codes() -> dict[IndustryGroup, list[tuple[str, int]]]:
    codes: dict[IndustryGroup, list[tuple[str, int]]] = {}
    for row in _read_csv("class_codes.csv"):
        codes.setdefault(IndustryGroup(row["group"]), []).append((row["code"], int(row["weight"])))
    return codes


# --- the build -----------------------------------------------------------------------------------


@dataclass
class _Firm:
    """An enterprise being planned (figures in [10^4 yuan], [tce], [t], [persons], [mu])."""

    index: int
    group: IndustryGroup
    name: str
    industry_code: str
    town: str = ""
    park: str | None = None
    output: dict[int, float] = field(default_factory=dict)
    growth: float = 0.0
    factors: dict[str, float] = field(default_factory=dict)
    land_mu: float | None = None
    employees: int | None = None
    outlets: list[list[Any]] = field(default_factory=list)
    named: bool = False
    id: int | None = None
    credit_code: str = ""


@dataclass
class _Map:
    """Town cells and park rectangles (lon/lat rings) of the demo city."""

    cells: dict[str, Cell] = field(default_factory=dict)
    parks: dict[str, list[tuple[float, float]]] = field(default_factory=dict)

    def point_in_town(self, rng: random.Random, town: str, park_codes: dict[str, str]) -> tuple[float, float]:
        """A point of ``town`` outside its parks."""
        cell = self.cells[town]
        avoid = [
            polygon_geojson(self.parks[p]) for p, t in park_codes.items() if t == town and p in self.parks
        ]
        return point_inside(rng, cell.geojson, cell.bbox, avoid=avoid)

    def point_in_park(self, rng: random.Random, park: str) -> tuple[float, float]:
        ring = self.parks[park]
        return point_inside(rng, polygon_geojson(ring), bbox_of(ring))


def build_registry(ctx: DemoContext) -> dict[str, Any]:
    """Build the registry of 港城 into the (empty) database of ``ctx`` and fill ``ctx``.

    Returns the stage's own summary entries (the full summary is computed from the database by
    :func:`greenport.demo.summary.summarise`).
    """
    rng = random.Random(ctx.seed)
    city_plan = plan()
    town_map = _Map()
    with ctx.uow() as uow:
        town_map.cells = _divisions(uow, ctx, rng, city_plan)
        _grid(uow, ctx, rng, city_plan)
        _parks(uow, ctx, city_plan, town_map)
        firms = _plan_firms(rng, city_plan)
        _place_firms(rng, ctx, firms)
        _register_firms(uow, ctx, rng, firms, town_map)
        _sites(uow, ctx, rng, city_plan, town_map, firms)
        _users(uow, ctx, city_plan, firms)
    _officer_accounts(ctx)
    return {"city": city_plan["city"]["name"], "seed": ctx.seed}


#: The demo town whose village cells have officers with accounts (锦江镇, the ``town`` user's).
VILLAGE_TOWN_PART = "102"
#: Village cells of that town, besides the ``grid`` user's, whose first officer gets an account
#: (each account costs a deliberately slow password hash, ~0.3 s: the build stays short).
VILLAGE_ACCOUNTS = 3


def _officer_accounts(ctx: DemoContext) -> list[str]:
    """Accounts for the first officer of each town cell and of :data:`VILLAGE_ACCOUNTS` village
    cells of :data:`VILLAGE_TOWN_PART` (the demo ``grid`` user for its own village); their user names."""
    town_prefix = ctx.city_code[:6] + VILLAGE_TOWN_PART
    made: list[str] = []
    with ctx.uow() as uow:
        grid_user = accounts.get_user(uow, username="grid")
        villages = [
            v for v in ctx.village_codes if v.startswith(town_prefix) and v != grid_user.division_code
        ]
        cells = [
            (cell.code, cell.division_code)
            for cell in regions.list_grid_cells(uow)
            if cell.division_code in ctx.town_codes
            or cell.division_code in {grid_user.division_code, *villages[:VILLAGE_ACCOUNTS]}
        ]
        for cell_code, division in sorted(cells):
            if division == grid_user.division_code:
                user_id, username = grid_user.id, grid_user.username
            else:
                username = f"grid-{division}"
                user = accounts.create_user(
                    uow,
                    username=username,
                    password=demo_user_password(username),
                    role="grid_officer",
                    display_name=f"网格员 {division}",
                    division_code=division,
                    salt=demo_salt("user", username),
                    registered_at=datetime(2022, 1, 1, tzinfo=CHINA_TZ),
                )
                user_id = user.id
            officer = uow.session.scalars(
                select(GridOfficerRow)
                .join(GridCellRow, GridCellRow.id == GridOfficerRow.grid_cell_id)
                .where(GridCellRow.code == cell_code)
                .order_by(GridOfficerRow.id)
            ).first()
            if officer is not None:
                officer.user_id = user_id
                made.append(username)
    return made


def _town_code(city: str, part: str) -> str:
    return city[:6] + part + "000"


def _divisions(
    uow: UnitOfWork, ctx: DemoContext, rng: random.Random, city_plan: dict[str, Any]
) -> dict[str, Cell]:
    city = city_plan["city"]
    ctx.city_code = city["code"]
    lon_min, lat_min, lon_max, lat_max = (float(v) for v in city["bbox"])
    grid, outline = lattice((lon_min, lat_min, lon_max, lat_max), city_plan["lattice"]["cols"], rng)
    regions.register_division(
        uow,
        code=city["code"],
        name=city["name"],
        area_km2=city["area_km2"],
        population=city["population"],
        boundary_geojson=polygon_geojson(outline),
    )
    towns = sorted(city_plan["towns"], key=lambda t: (t["level"] != "town", t["part"]))
    cells: dict[str, Cell] = {}
    area_left = float(city["area_km2"])
    for index, town in enumerate(towns):
        code = _town_code(city["code"], town["part"])
        cell = grid[(town["row"], town["col"])]
        area = round(area_left / (len(towns) - index) * rng.uniform(0.8, 1.2), 1)
        area_left -= area
        regions.register_division(
            uow,
            code=code,
            name=town["name"],
            level=town["level"],
            area_km2=area,
            boundary_geojson=cell.geojson,
        )
        cells[code] = cell
        ctx.town_codes.append(code)
    for town in towns:
        code = _town_code(city["code"], town["part"])
        communities = int(town["communities"])
        for k in range(int(town["villages"])):
            is_community = k < communities
            part = f"{k + 1:03d}" if is_community else f"{200 + k - communities + 1:03d}"
            suffix = "社区" if is_community else "村"
            village = code[:9] + part
            regions.register_division(uow, code=village, name=f"{town['name'][:2]}{_ordinal(k)}{suffix}")
            ctx.village_codes.append(village)
    return cells


_ORDINALS = "东西南北中前后新联永红建和平安兴农富民胜利光明友谊团结华丰庆乐"


def _ordinal(k: int) -> str:
    return _ORDINALS[k % len(_ORDINALS)] + ("" if k < len(_ORDINALS) else _ORDINALS[k // len(_ORDINALS)])


def _person(rng: random.Random) -> str:
    return rng.choice(_SURNAMES) + rng.choice(_GIVEN) + (rng.choice(_GIVEN) if rng.random() < 0.6 else "")


def _grid(uow: UnitOfWork, ctx: DemoContext, rng: random.Random, city_plan: dict[str, Any]) -> None:
    spec = city_plan["grid"]
    city_cell = regions.add_grid_cell(uow, division_code=ctx.city_code, name="港城市网格")
    officers: list[tuple[str, int]] = [(city_cell.code, int(spec["city_officers"]))]
    for town in ctx.town_codes:
        cell = regions.add_grid_cell(uow, division_code=town)
        officers.append((cell.code, int(spec["town_officers_each"])))
    village_cells = [regions.add_grid_cell(uow, division_code=v).code for v in ctx.village_codes]
    left = int(spec["total_officers"]) - sum(n for _, n in officers)
    if not len(village_cells) <= left <= 2 * len(village_cells):
        raise ValueError(
            f"cannot spread {left} officers over {len(village_cells)} village cells (1 or 2 each)"
        )
    doubles = set(rng.sample(range(len(village_cells)), left - len(village_cells)))
    officers += [(code, 2 if i in doubles else 1) for i, code in enumerate(village_cells)]
    for cell_code, count in officers:
        for _ in range(count):
            phone = f"139{rng.randrange(10**8):08d}"
            regions.add_grid_officer(uow, grid_cell_code=cell_code, name=_person(rng), phone=phone)


def _parks(uow: UnitOfWork, ctx: DemoContext, city_plan: dict[str, Any], town_map: _Map) -> None:
    """Register the parks, each a rectangle inside its town (two parks of one town side by side)."""
    in_town: dict[str, list[dict[str, Any]]] = {}
    for park in city_plan["parks"]:
        in_town.setdefault(_town_code(ctx.city_code, park["town"]), []).append(park)
    for town, parks in in_town.items():
        offsets = (
            [0.0] if len(parks) == 1 else [-0.22 + 0.44 * k / (len(parks) - 1) for k in range(len(parks))]
        )
        for park, offset in zip(parks, offsets, strict=True):
            ring = rectangle_inside(town_map.cells[town], offset=offset, size=0.3 if len(parks) == 1 else 0.2)
            regions.register_park(
                uow,
                code=park["code"],
                name=park["name"],
                kind=park["kind"],
                town_code=town,
                boundary_geojson=polygon_geojson(ring),
            )
            town_map.parks[park["code"]] = ring
    for park in city_plan["parks"]:
        ctx.park_codes[park["code"]] = _town_code(ctx.city_code, park["town"])


# --- enterprises ---------------------------------------------------------------------------------


def _weighted_code(rng: random.Random, group: IndustryGroup) -> str:
    codes = class_codes()[group]
    return rng.choices([c for c, _ in codes], weights=[w for _, w in codes])[0]


def _plan_firms(rng: random.Random, city_plan: dict[str, Any]) -> list[_Firm]:
    groups = industry_plan()
    firms: list[_Firm] = []
    names: set[str] = set()
    named_by_group: dict[IndustryGroup, list[dict[str, Any]]] = {}
    for spec in city_plan["named_firms"]:
        named_by_group.setdefault(IndustryGroup(spec["group"]), []).append(spec)
    for group, gplan in groups.items():
        named = named_by_group.get(group, [])
        target_2022 = round(OUTPUT_2022_10K_YUAN * gplan.share / 100, 2)
        fixed = sum(round(float(s["output_yi"]) * 10_000, 2) for s in named)
        group_firms: list[_Firm] = []
        for spec in named:
            firm = _Firm(
                len(firms) + len(group_firms), group, spec["name"], str(spec["industry_code"]), named=True
            )
            firm.output[2022] = round(float(spec["output_yi"]) * 10_000, 2)
            firm.park = spec["park"]
            firm.town = str(spec["town"])
            firm.land_mu = float(spec["land_mu"])
            firm.employees = int(spec["employees"])
            firm.outlets = [list(o) for o in spec["outlets"]]
            names.add(firm.name)
            group_firms.append(firm)
        ordinary = gplan.firms - len(named)
        weights = [math.exp(rng.gauss(0.0, 1.15)) for _ in range(ordinary)]
        spread = target_2022 - fixed - MIN_OUTPUT_10K_YUAN * ordinary
        if spread <= 0:
            raise ValueError(f"{group}: the named firms leave no output for the others")
        total_weight = sum(weights)
        for weight in weights:
            firm = _Firm(
                len(firms) + len(group_firms),
                group,
                _firm_name(rng, group, names),
                _weighted_code(rng, group),
            )
            firm.output[2022] = round(MIN_OUTPUT_10K_YUAN + spread * weight / total_weight, 2)
            group_firms.append(firm)
        _fix_sum(group_firms, 2022, target_2022)
        firms.extend(group_firms)
    for firm in firms:
        firm.growth = max(-0.25, min(0.4, rng.gauss(0.017, 0.06)))
        ratios = groups[firm.group].ratios
        firm.factors = {key: value * rng.uniform(0.8, 1.2) for key, value in ratios.items()}
        firm.output[2021] = firm.output[2022] / (1 + firm.growth)
    for group, gplan in groups.items():
        members = [f for f in firms if f.group == group]
        target_2021 = round(OUTPUT_2021_10K_YUAN * gplan.share / 100, 2)
        scale = target_2021 / sum(f.output[2021] for f in members)
        for f in members:
            f.output[2021] = round(f.output[2021] * scale, 2)
        _fix_sum(members, 2021, target_2021)
    _choose_major_emitters(city_plan, firms)
    return firms


def _fix_sum(firms: list[_Firm], year: int, target: float) -> None:
    """Put the rounding residual on the largest unnamed firm so the group adds up to the cent."""
    residual = round(target - sum(f.output[year] for f in firms), 2)
    largest = max((f for f in firms if not f.named), key=lambda f: f.output[year])
    largest.output[year] = round(largest.output[year] + residual, 2)


def _firm_name(rng: random.Random, group: IndustryGroup, taken: set[str]) -> str:
    for _ in range(1000):
        name = f"{rng.choice(_NAME_HEADS)}{rng.choice(_GROUP_WORDS[group.value])}"
        name += rng.choice(["有限公司", "股份有限公司", "科技有限公司", "实业有限公司"])
        if name not in taken:
            taken.add(name)
            return name
    raise ValueError("ran out of firm names")


def _choose_major_emitters(city_plan: dict[str, Any], firms: list[_Firm]) -> None:
    for group_name, spec in city_plan["major_by_group"].items():
        group = IndustryGroup(group_name)
        ordinary = sorted(
            (f for f in firms if f.group == group and not f.named), key=lambda f: (-f.output[2022], f.index)
        )
        for k, firm in enumerate(ordinary[: int(spec["count"])]):
            outlet = spec["outlets"][k % len(spec["outlets"])]
            firm.outlets = [list(outlet)]
            if "industry_code" in spec:
                firm.industry_code = str(spec["industry_code"])


def _place_firms(rng: random.Random, ctx: DemoContext, firms: list[_Firm]) -> None:
    """Put >= park_share of each group's firms into parks (metallurgy and chemicals only in
    their own park), the rest into the industrial towns."""
    groups = industry_plan()
    general_parks = [code for code in ("GC-ETDZ", "GC-FTZ", "GC-HTZ") if code in ctx.park_codes]
    for firm in firms:
        if firm.named:
            firm.town = _town_code(ctx.city_code, firm.town)
    for group, gplan in groups.items():
        members = [f for f in firms if f.group == group]
        wanted = int(gplan.park_share * len(members) + 0.5)
        placed = sum(1 for f in members if f.named and f.park)
        free = [f for f in members if not f.named]
        chosen = set(id(f) for f in rng.sample(free, max(0, wanted - placed)))
        for f in free:
            if id(f) in chosen:
                if group in (IndustryGroup.METALLURGY, IndustryGroup.CHEMICALS) or rng.random() < 0.7:
                    f.park = gplan.park
                else:
                    f.park = rng.choice(general_parks)
                f.town = ctx.park_codes[f.park]
    industrial_towns = [t for t in ctx.town_codes if t[6:9] not in ("400", "401")]
    weights = [1.0 if t[6] == "0" else 3.0 for t in industrial_towns]
    for firm in firms:
        if not firm.town:
            firm.town = rng.choices(industrial_towns, weights=weights)[0]


def _register_firms(
    uow: UnitOfWork, ctx: DemoContext, rng: random.Random, firms: list[_Firm], town_map: _Map
) -> None:
    """Register the firms through the file-import service (same rules as an uploaded file),
    then their 2021 and 2022 figures."""
    rows: list[tuple[int, dict[str, Any]]] = []
    for firm in firms:
        f = firm.factors
        if firm.land_mu is None:
            firm.land_mu = round(max(10.0, firm.output[2022] / f["output_per_mu"]), 1)
        if firm.employees is None:
            firm.employees = max(20, int(firm.output[2022] / f["output_per_employee"]))
        revenue = firm.output[2022] * f["revenue_ratio"]
        firm.credit_code = make_credit_code(ctx.city_code[:6], sequence=104_729 * (firm.index + 1))
        if firm.park:
            lon, lat = town_map.point_in_park(rng, firm.park)
        else:
            lon, lat = town_map.point_in_town(rng, firm.town, ctx.park_codes)
        rows.append(
            (
                firm.index + 2,
                {
                    "credit_code": firm.credit_code,
                    "name": firm.name,
                    "industry_code": firm.industry_code,
                    "town_code": firm.town,
                    "park_code": firm.park,
                    "land_area_mu": firm.land_mu,
                    "lon": lon,
                    "lat": lat,
                    "size_class": _size_class(firm.employees, revenue).value,
                    "above_scale": True,
                },
            )
        )
    enterprises.import_enterprises(uow, rows, source="demo city")
    ids = uow.registry.enterprise_ids()
    for firm in firms:
        firm.id = ids[firm.credit_code]
        ctx.enterprise_ids.append(firm.id)
    ctx.enterprise_ids.sort()
    _register_years(uow, firms)


def _size_class(employees: int, revenue: float) -> SizeClass:
    """Industry thresholds of 统计上大中小微型企业划分办法(2017) (国统字〔2017〕213号): employees
    [persons] and revenue [10^4 yuan]; large >= 1000 and >= 40000, medium >= 300 and >= 2000,
    small >= 20 and >= 300, else micro."""
    if employees >= 1000 and revenue >= 40_000:
        return SizeClass.LARGE
    if employees >= 300 and revenue >= 2_000:
        return SizeClass.MEDIUM
    if employees >= 20 and revenue >= 300:
        return SizeClass.SMALL
    return SizeClass.MICRO


def _register_years(uow: UnitOfWork, firms: list[_Firm]) -> None:
    revenue_2021 = {f.index: f.output[2021] * f.factors["revenue_ratio"] for f in firms}
    scale = REVENUE_2021_10K_YUAN / sum(revenue_2021.values())
    records: list[dict[str, Any]] = []
    for firm in firms:
        assert firm.id is not None and firm.employees is not None
        f = firm.factors
        ratio = f["revenue_ratio"] * scale
        for year in (2021, 2022):
            output = firm.output[year]
            revenue = output * ratio
            intensity = 1.0 if year == 2021 else 0.97  # energy and emission intensity fall ~3 % a year
            staff = firm.employees if year == 2022 else max(20, int(firm.employees / (1 + firm.growth / 2)))
            records.append(
                dict(
                    enterprise_id=firm.id,
                    year=year,
                    output_10k_yuan=output,
                    revenue_10k_yuan=round(revenue, 2),
                    tax_10k_yuan=round(revenue * f["tax_rate"], 2),
                    value_added_10k_yuan=round(output * f["va_ratio"], 2),
                    rd_expense_10k_yuan=round(revenue * f["rd_rate"], 2),
                    energy_tce=round(output * f["energy_per_output"] * intensity, 2),
                    employees=staff,
                    cod_t=round(output * f["cod_per_output"] * intensity, 3),
                    nh3_n_t=round(output * f["nh3_n_per_output"] * intensity, 3),
                    so2_t=round(output * f["so2_per_output"] * intensity, 3),
                    nox_t=round(output * f["nox_per_output"] * intensity, 3),
                )
            )
    enterprises.record_enterprise_years(uow, records=records)


# --- sites, devices, users -----------------------------------------------------------------------

#: Chinese labels of outlet processes (names of the emission-limit table's processes).
PROCESS_LABELS = {
    "sintering_head": "烧结机机头",
    "pellet_roasting": "球团焙烧",
    "coke_oven_chimney": "焦炉烟囱",
    "blast_furnace_hot_stove": "高炉热风炉",
    "converter_secondary": "转炉二次烟气",
    "rolling_heat_treatment": "轧钢热处理炉",
    "captive_power_coal": "自备电厂燃煤锅炉",
    "eaf": "电炉烟气",
    "coal_fired_unit": "燃煤机组",
    "other": "废水总排口",
    "urban_wwtp": "污水处理厂出水口",
}

#: Digit of the site kind inside a demo MN (``320582`` + digit + 17-digit sequence = 24 characters).
MN_KIND_DIGIT = {
    SiteKind.AIR_STATION: "1",
    SiteKind.WATER_SECTION: "2",
    SiteKind.GAS_OUTLET: "3",
    SiteKind.WATER_OUTLET: "4",
}


def demo_mn(city_code: str, kind: SiteKind, sequence: int) -> str:
    """The MN of a demo device: county code, kind digit, 17-digit sequence (24 digits, HJ 212-2017)."""
    return f"{city_code[:6]}{MN_KIND_DIGIT[kind]}{sequence:017d}"


def _add_device(
    uow: UnitOfWork,
    ctx: DemoContext,
    site_id: int,
    site_code: str,
    kind: SiteKind,
    firm: _Firm | None = None,
    outlet: Sequence[Any] | None = None,
) -> None:
    sequence = sum(1 for d in ctx.devices if d.site_kind == kind.value) + 1
    mn = demo_mn(ctx.city_code, kind, sequence)
    password = demo_device_password(mn)
    enterprises.register_device(
        uow, mn=mn, password=password, site_id=site_id, salt=demo_salt("device", mn), registered_at=DEMO_EPOCH
    )
    ctx.devices.append(
        DemoDevice(
            mn=mn,
            password=password,
            site_id=site_id,
            site_code=site_code,
            site_kind=kind.value,
            enterprise_id=firm.id if firm else None,
            emission_standard=outlet[1] if outlet else None,
            process=outlet[2] if outlet else None,
        )
    )


def _sites(
    uow: UnitOfWork,
    ctx: DemoContext,
    rng: random.Random,
    city_plan: dict[str, Any],
    town_map: _Map,
    firms: list[_Firm],
) -> None:
    def add(
        kind: SiteKind, firm: _Firm | None = None, outlet: Sequence[Any] | None = None, **fields: Any
    ) -> None:
        site = enterprises.register_site(uow, kind=kind, **fields)
        assert site.id is not None
        ctx.site_ids.setdefault(kind.value, []).append(site.id)
        _add_device(uow, ctx, site.id, site.code, kind, firm, outlet)

    towns = _town_names(city_plan, ctx.city_code)
    air = city_plan["air_stations"]
    stations: list[tuple[str, str, str]] = []
    for k, part in enumerate(air["national"], start=1):
        stations.append((f"AIR-N{k:02d}", "national", _town_code(ctx.city_code, part)))
    for k, part in enumerate(air["provincial"], start=1):
        stations.append((f"AIR-P{k:02d}", "provincial", _town_code(ctx.city_code, part)))
    for k, town in enumerate(ctx.town_codes, start=1):
        stations.append((f"AIR-T{k:02d}", "town", town))
    level_names = {"national": "国控", "provincial": "省控", "town": "镇级"}
    for code, level, town in stations:
        lon, lat = town_map.point_in_town(rng, town, ctx.park_codes)
        add(
            SiteKind.AIR_STATION,
            code=code,
            name=f"{towns[town]}{level_names[level]}空气站",
            level=level,
            town_code=town,
            lon=lon,
            lat=lat,
        )
    for code, name, level, part, waterbody, river, target in city_plan["water_sections"]:
        town = _town_code(ctx.city_code, part)
        lon, lat = town_map.point_in_town(rng, town, ctx.park_codes)
        add(
            SiteKind.WATER_SECTION,
            code=code,
            name=name,
            level=level,
            town_code=town,
            lon=lon,
            lat=lat,
            waterbody=waterbody,
            river=river,
            target_class=int(target),
        )
    tributaries = city_plan["tributaries"]
    for k, (part, river) in enumerate(zip(tributaries["towns"], tributaries["rivers"], strict=True), start=1):
        town = _town_code(ctx.city_code, part)
        lon, lat = town_map.point_in_town(rng, town, ctx.park_codes)
        add(
            SiteKind.WATER_SECTION,
            code=f"WS-T{k:02d}",
            name=f"{river}入江口",
            level="tributary",
            town_code=town,
            lon=lon,
            lat=lat,
            waterbody="river",
            river=river,
            target_class=int(tributaries["target_class"]),
        )
    for firm in sorted((f for f in firms if f.outlets), key=lambda f: f.index):
        assert firm.id is not None
        ctx.outlet_enterprise_ids.append(firm.id)
        counters = {"gas_outlet": 0, "water_outlet": 0}
        for outlet in firm.outlets:
            kind_name, standard, process, grade = outlet
            counters[kind_name] += 1
            number = counters[kind_name]
            prefix = "DA" if kind_name == "gas_outlet" else "DW"  # HJ 608-2017 outlet numbering
            if firm.park:
                lon, lat = town_map.point_in_park(rng, firm.park)
            else:
                lon, lat = town_map.point_in_town(rng, firm.town, ctx.park_codes)
            add(
                SiteKind(kind_name),
                firm,
                outlet,
                code=f"{firm.credit_code}-{prefix}{number:03d}",
                name=f"{firm.name}{number}#{PROCESS_LABELS.get(process, process)}",
                town_code=firm.town,
                lon=lon,
                lat=lat,
                enterprise_id=firm.id,
                emission_standard=standard,
                process=process,
                emission_grade=grade,
            )
    ctx.outlet_enterprise_ids.sort()


def _town_names(city_plan: dict[str, Any], city_code: str) -> dict[str, str]:
    return {_town_code(city_code, t["part"]): t["name"] for t in city_plan["towns"]}


def _users(uow: UnitOfWork, ctx: DemoContext, city_plan: dict[str, Any], firms: list[_Firm]) -> None:
    by_name = {f.name: f for f in firms}
    for spec in city_plan["users"]:
        division: str | None = None
        raw_division = spec.get("division")
        if raw_division and str(raw_division).startswith("village_of_"):
            town = _town_code(ctx.city_code, str(raw_division).removeprefix("village_of_"))
            division = next(v for v in ctx.village_codes if v.startswith(town[:9]))
        elif raw_division:
            division = _town_code(ctx.city_code, str(raw_division))
        enterprise_id = by_name[spec["enterprise"]].id if spec.get("enterprise") else None
        username = spec["username"]
        password = demo_user_password(username)
        accounts.create_user(
            uow,
            username=username,
            password=password,
            role=spec["role"],
            display_name=spec["display_name"],
            division_code=division,
            enterprise_id=enterprise_id,
            department=spec.get("department"),
            salt=demo_salt("user", username),
            registered_at=DEMO_EPOCH,
        )
        ctx.logins.append({"role": spec["role"], "username": username, "password": password})
