"""Identifier checks: the unified social credit code (GB 32100-2015) and division codes (GB/T 2260).

Unified social credit code (统一社会信用代码), GB 32100-2015 §4:

==========  =====================================================================
position    meaning
==========  =====================================================================
1           registration-authority code (登记管理部门码), Table 1
2           organisation-category code (机构类别码), Table 1
3-8         division code of the registering authority (GB/T 2260), 6 digits
9-17        organisation identifier (主体标识码, the GB 11714 organisation code:
            8 body characters + its own check character at position 17)
18          check character (校验码), GB 32100-2015 §5
==========  =====================================================================

The character set is the 31 characters ``0-9`` and ``A-Z`` without ``I, O, Z, S, V``; a
character's value is its index in that set. Check character (§5, GB/T 17710 MOD 31-3 style):
weights ``W_i = 3^(i-1) mod 31`` for i = 1..17, ``C18 = 31 - (Σ C_i W_i mod 31)``, with 31 mapped to
0.

Division codes: GB/T 2260 6-digit codes (2 province, 2 prefecture-level city, 2 county) and the
12-digit statistical division codes of the National Bureau of Statistics (统计用区划代码: 6 as GB/T
2260, 3 town/township, 3 village/community).
"""

from __future__ import annotations

import random
from functools import cache
from typing import Literal

from greenport.kernel.errors import InvalidInput
from greenport.standards._data import read_rows

#: GB 32100-2015 §4.1: the code's character set, in value order (I, O, Z, S, V excluded).
CREDIT_CODE_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"

#: GB 32100-2015 §5: weight of positions 1..17, 3^(i-1) mod 31.
CREDIT_CODE_WEIGHTS: tuple[int, ...] = tuple(pow(3, i, 31) for i in range(17))

#: GB 11714-1997 §5: weights of the 8 body characters of the organisation code.
ORGANIZATION_CODE_WEIGHTS: tuple[int, ...] = (3, 7, 9, 10, 5, 8, 4, 2)

_GB11714_VALUES = {ch: i for i, ch in enumerate("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")}
_VALUES = {ch: i for i, ch in enumerate(CREDIT_CODE_CHARSET)}

DivisionLevel = Literal["province", "city", "county", "town", "village"]


class InvalidCreditCode(InvalidInput):
    """A unified social credit code that breaks GB 32100-2015; ``position`` is 1-based (or None)."""

    def __init__(self, message: str, *, code: str, position: int | None = None) -> None:
        super().__init__(message, field="credit_code", position=position, code=code)
        self.position = position
        self.code = code


class InvalidDivisionCode(InvalidInput):
    """A division code that is not a GB/T 2260 (6-digit) or statistical (12-digit) code."""

    def __init__(self, message: str, *, code: str, position: int | None = None) -> None:
        super().__init__(message, field="division_code", position=position, code=code)
        self.position = position
        self.code = code


@cache
def authority_categories() -> dict[str, dict[str, str]]:
    """GB 32100-2015 Table 1: ``{authority code: {category code: category name}}``."""
    table: dict[str, dict[str, str]] = {}
    for row in read_rows("credit_code_authorities.csv"):
        table.setdefault(row["authority"], {})[row["category"]] = row["category_name"]
    return table


@cache
def provinces() -> dict[str, str]:
    """Province-level division prefixes (GB/T 2260) with names; ``10`` = national authorities."""
    return {row["code"]: row["name_zh"] for row in read_rows("provinces.csv")}


def credit_code_check_char(first17: str) -> str:
    """The check character (position 18) of a code's first 17 characters, GB 32100-2015 §5.

    Parameters
    ----------
    first17 : str
        Positions 1-17, upper-case, from the GB 32100 character set.

    Returns
    -------
    str
        One character of :data:`CREDIT_CODE_CHARSET`.
    """
    body = first17.strip().upper()
    if len(body) != 17:
        raise InvalidCreditCode(
            f"need 17 characters to compute a check character, got {len(body)}", code=body
        )
    total = 0
    for index, (char, weight) in enumerate(zip(body, CREDIT_CODE_WEIGHTS, strict=True), start=1):
        value = _VALUES.get(char)
        if value is None:
            raise InvalidCreditCode(
                f"bad character {char!r} at position {index} (allowed: {CREDIT_CODE_CHARSET})",
                code=body,
                position=index,
            )
        total += value * weight
    return CREDIT_CODE_CHARSET[(31 - total % 31) % 31]


def organization_code_check_char(body8: str) -> str:
    """GB 11714-1997 check character of an 8-character organisation-code body (``0-9`` or ``X``)."""
    total = 0
    for char, weight in zip(body8.upper(), ORGANIZATION_CODE_WEIGHTS, strict=True):
        value = _GB11714_VALUES.get(char)
        if value is None:
            raise ValueError(f"bad organisation-code character {char!r}")
        total += value * weight
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def validate_credit_code(code: str, *, check_organization_code: bool = False) -> str:
    """Validate a unified social credit code and return it normalised (stripped, upper-case).

    Checks, in order, length (18), the character set (position named), the registration-authority
    and category codes of positions 1-2 (Table 1), the division part (positions 3-8: six digits
    with a known province prefix) and the check character (position 18, §5). With
    ``check_organization_code=True`` also the GB 11714 check character at position 17 (true for
    codes issued to new subjects, not guaranteed for every converted legacy code).

    Raises
    ------
    InvalidCreditCode
        With ``position`` (1-based) and the reason, e.g. "check digit at position 18 should be X".
    """
    if not isinstance(code, str):
        raise InvalidCreditCode(f"credit code must be a string, got {type(code).__name__}", code=str(code))
    normal = code.strip().upper()
    if len(normal) != 18:
        raise InvalidCreditCode(f"wrong length: {len(normal)} characters, need 18", code=normal)
    for index, char in enumerate(normal, start=1):
        if char not in _VALUES:
            raise InvalidCreditCode(
                f"bad character {char!r} at position {index} (I, O, Z, S, V and non-alphanumerics are not used)",
                code=normal,
                position=index,
            )
    categories = authority_categories().get(normal[0])
    if categories is None:
        raise InvalidCreditCode(
            f"unknown registration-authority code {normal[0]!r} at position 1 "
            f"(known: {', '.join(sorted(authority_categories()))})",
            code=normal,
            position=1,
        )
    if normal[1] not in categories:
        raise InvalidCreditCode(
            f"unknown organisation-category code {normal[1]!r} at position 2 for authority {normal[0]!r} "
            f"(known: {', '.join(sorted(categories))})",
            code=normal,
            position=2,
        )
    for index in range(3, 9):
        if not normal[index - 1].isdigit():
            raise InvalidCreditCode(
                f"bad character {normal[index - 1]!r} at position {index}: the division part (3-8) is digits",
                code=normal,
                position=index,
            )
    if normal[2:4] not in provinces():
        raise InvalidCreditCode(
            f"unknown province {normal[2:4]!r} at positions 3-4 of the division part", code=normal, position=3
        )
    if check_organization_code:
        expected_org = organization_code_check_char(normal[8:16])
        if normal[16] != expected_org:
            raise InvalidCreditCode(
                f"organisation-code check digit at position 17 should be {expected_org}, is {normal[16]}",
                code=normal,
                position=17,
            )
    expected = credit_code_check_char(normal[:17])
    if normal[17] != expected:
        raise InvalidCreditCode(
            f"check digit at position 18 should be {expected}, is {normal[17]}", code=normal, position=18
        )
    return normal


def is_valid_credit_code(code: str) -> bool:
    """True when :func:`validate_credit_code` accepts ``code``."""
    try:
        validate_credit_code(code)
    except InvalidCreditCode:
        return False
    return True


def make_credit_code(
    division: str = "320582",
    *,
    sequence: int | None = None,
    authority: str = "9",
    category: str = "1",
    seed: int | None = None,
) -> str:
    """Build a valid credit code (for the demo city and tests).

    The organisation identifier is ``MA`` + 6 base-31-ish characters derived from ``sequence`` (or
    drawn with ``random.Random(seed)``), followed by its GB 11714 check character; the result
    passes :func:`validate_credit_code` with ``check_organization_code=True``. Same inputs, same code.
    """
    division = validate_division_code(division, level=None)
    if len(division) != 6:
        division = division[:6]
    if authority not in authority_categories() or category not in authority_categories()[authority]:
        raise InvalidCreditCode(
            f"unknown authority/category {authority}{category}", code=authority + category
        )
    # Characters valid in both GB 11714 and GB 32100 (no I, O, Z, S, V).
    alphabet = CREDIT_CODE_CHARSET
    if sequence is None:
        sequence = random.Random(seed).randrange(31**6)
    digits = []
    n = sequence % 31**6
    for _ in range(6):
        n, r = divmod(n, 31)
        digits.append(alphabet[r])
    body = "MA" + "".join(reversed(digits))
    org_check = organization_code_check_char(body)  # 0-9 or X: all in the GB 32100 set
    first17 = authority + category + division + body + org_check
    return first17 + credit_code_check_char(first17)


# --- division codes -----------------------------------------------------------------------------


def validate_division_code(code: str, level: DivisionLevel | None = None) -> str:
    """Validate a GB/T 2260 6-digit or a 12-digit statistical division code; return it stripped.

    A 6-digit code needs a known province prefix, and a zero city part only with a zero county part
    (``32 00 82`` is not a code). A 12-digit code adds the same rule for town (3) and village (3).
    With ``level`` the code must be of that level (:func:`division_level`).
    """
    if not isinstance(code, str):
        raise InvalidDivisionCode(
            f"division code must be a string, got {type(code).__name__}", code=str(code)
        )
    normal = code.strip()
    if len(normal) not in (6, 12):
        raise InvalidDivisionCode(f"wrong length: {len(normal)} digits, need 6 or 12", code=normal)
    for index, char in enumerate(normal, start=1):
        if not ("0" <= char <= "9"):
            raise InvalidDivisionCode(
                f"bad character {char!r} at position {index}", code=normal, position=index
            )
    if normal[:2] not in provinces() or normal[:2] == "10":
        raise InvalidDivisionCode(
            f"unknown province code {normal[:2]!r} at positions 1-2", code=normal, position=1
        )
    parts = [normal[2:4], normal[4:6]] + ([normal[6:9], normal[9:12]] if len(normal) == 12 else [])
    starts = [3, 5, 7, 10]
    seen_zero = False
    for part, start in zip(parts, starts, strict=False):
        if int(part) == 0:
            seen_zero = True
        elif seen_zero:
            raise InvalidDivisionCode(
                f"part at position {start} is non-zero below a zero higher level", code=normal, position=start
            )
    if level is not None and division_level(normal) != level:
        raise InvalidDivisionCode(f"code is a {division_level(normal)} code, not a {level} code", code=normal)
    return normal


def division_level(code: str) -> DivisionLevel:
    """Level of a division code: the lowest non-zero part decides."""
    normal = code.strip()
    if len(normal) == 12 and normal[9:] != "000":
        return "village"
    if len(normal) == 12 and normal[6:9] != "000":
        return "town"
    if normal[4:6] != "00":
        return "county"
    if normal[2:4] != "00":
        return "city"
    return "province"


def parent_division_code(code: str) -> str | None:
    """The code of the enclosing division, same length as ``code``; None for a province.

    ``320582`` (张家港市) -> ``320500`` (苏州市) -> ``320000`` (江苏省) -> None;
    ``320582100201`` -> ``320582100000`` -> ``320582000000``.
    """
    normal = validate_division_code(code)
    level = division_level(normal)
    keep = {"province": 0, "city": 2, "county": 4, "town": 6, "village": 9}[level]
    if keep == 0:
        return None
    return normal[:keep].ljust(len(normal), "0")
