"""Which scope each role needs (pure): the rules a user record must meet.

==============  =====================================================================
role            scope
==============  =====================================================================
city_admin      whole city; ``division_code`` empty or the city; no enterprise/park
bureau_analyst  whole city; as city_admin
department      whole city; with ``park_code`` (a park management committee) the park only
town_officer    ``division_code`` of a town or street (required)
grid_officer    ``division_code`` of a town, street, village or community (required)
enterprise      ``enterprise_id`` of a stored enterprise (required); nothing else
public          nothing (disclosed information only)
==============  =====================================================================
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from greenport.accounts.model import Role, User
from greenport.accounts.ports import ScopeLookups
from greenport.kernel.errors import InvalidInput
from greenport.kernel.fields import Fields, Problem

#: Allowed division levels per role (None: no division allowed; empty set: not needed).
ROLE_DIVISION_LEVELS: dict[Role, frozenset[str] | None] = {
    Role.CITY_ADMIN: frozenset({"city"}),
    Role.BUREAU_ANALYST: frozenset({"city"}),
    Role.DEPARTMENT: frozenset({"city"}),
    Role.TOWN_OFFICER: frozenset({"town", "street"}),
    Role.GRID_OFFICER: frozenset({"town", "street", "village", "community"}),
    Role.ENTERPRISE: None,
    Role.PUBLIC: None,
}
#: Roles that must name a division.
ROLES_NEEDING_DIVISION = frozenset({Role.TOWN_OFFICER, Role.GRID_OFFICER})
#: Roles that may be tied to a park.
ROLES_WITH_PARK = frozenset({Role.DEPARTMENT})

USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{2,79}$")
#: Shortest log-in password [characters] (NIST SP 800-63B §5.1.1.2: at least 8).
MIN_PASSWORD_LENGTH = 8


def validate_password(password: Any) -> str:
    """A log-in password: a string of at least :data:`MIN_PASSWORD_LENGTH` characters."""
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"password must have at least {MIN_PASSWORD_LENGTH} characters", field="password")
    return password


def parse_user(
    raw: Mapping[str, Any], lookups: ScopeLookups, *, username_taken: bool = False
) -> tuple[User | None, list[Problem]]:
    """Check a user record: ``username`` (3-80 of letters, digits, ``_ . @ -``; unique),
    ``display_name`` (default: the username), ``role`` and the scope fields the role needs
    (``division_code``, ``enterprise_id``, ``park_code``; table in the module docstring)."""
    fields = Fields(raw)
    username = fields.text("username", max_length=80)
    if username is not None and not USERNAME_PATTERN.match(username):
        fields.add(
            "username",
            "3-80 characters: letters, digits, '_', '.', '@', '-' (starting alphanumeric)",
            username,
        )
    elif username is not None and username_taken:
        fields.add("username", f"user {username} exists", username, conflict=True)
    display_name = fields.text("display_name", required=False, max_length=100) or username
    role = fields.choice("role", Role)
    division = fields.text("division_code", required=False, max_length=12)
    enterprise_id = fields.integer("enterprise_id", required=False, minimum=1)
    park = fields.text("park_code", required=False, max_length=40)
    department = fields.text("department", required=False, max_length=100)
    if department is not None and role is not None and role is not Role.DEPARTMENT:
        fields.add("department", f"must be empty for a {role.value} user", department)
    if role is not None:
        allowed = ROLE_DIVISION_LEVELS[role]
        if division is None and role in ROLES_NEEDING_DIVISION:
            assert allowed is not None
            fields.add("division_code", f"a {role.value} needs a division ({', '.join(sorted(allowed))})")
        elif division is not None:
            if allowed is None:
                fields.add("division_code", f"must be empty for a {role.value} user", division)
            else:
                level = lookups.division_level(division)
                if level is None:
                    fields.add("division_code", f"no division with code {division}", division)
                elif level not in allowed:
                    fields.add(
                        "division_code",
                        f"a {role.value} is scoped to a {' or '.join(sorted(allowed))}, not a {level}",
                        division,
                    )
        if role == Role.ENTERPRISE:
            if enterprise_id is None and not fields.has_problem("enterprise_id"):
                fields.add("enterprise_id", "an enterprise user needs the enterprise it belongs to")
            elif enterprise_id is not None and lookups.enterprise_town(enterprise_id) is None:
                fields.add("enterprise_id", f"no enterprise with id {enterprise_id}", enterprise_id)
        elif enterprise_id is not None:
            fields.add("enterprise_id", f"must be empty for a {role.value} user", enterprise_id)
        if park is not None:
            if role not in ROLES_WITH_PARK:
                fields.add("park_code", f"must be empty for a {role.value} user", park)
            elif lookups.park_town(park) is None:
                fields.add("park_code", f"no park with code {park}", park)
    active = fields.boolean("active", default=True)
    if fields.problems:
        return None, fields.problems
    assert username and role and display_name
    user = User(
        id=None,
        username=username,
        display_name=display_name,
        role=role,
        division_code=division,
        enterprise_id=enterprise_id,
        park_code=park,
        active=bool(active),
        department=department,
    )
    return user, []
