"""Routing (pure): which (channel, recipient) pairs hear of a notice, by role, severity and scope,
as declared in a routes file (``data/routes.yaml``, or the file ``GREENPORT_NOTIFICATION_ROUTES``
names).

A bad routes file is refused whole with a :class:`RoutesError` naming the file, the route (index
and name) and the field, e.g. ``routes.yaml: routes[2] (mail_towns).min_severity: must be one of
info|minor|major|critical``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from greenport.accounts.model import Role, RowScope
from greenport.kernel.errors import InvalidInput
from greenport.notifications.model import (
    TOPICS,
    Channel,
    Flavour,
    Notice,
    NotificationConfig,
    Recipient,
    RetryPolicy,
    Route,
    Severity,
)

#: The routes GreenPort ships (package data).
SHIPPED_ROUTES_FILE = "data/routes.yaml"
ROUTE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,59}$")
#: A webhook's variables live under this prefix (``GREENPORT_WEBHOOK_CITY_DUTY``).
WEBHOOK_ENV = re.compile(r"^GREENPORT_WEBHOOK_[A-Z0-9_]+$")
TOWN_CODE = re.compile(r"^\d{12}$")
#: Roles a person-addressed route may name (the public hears of nothing).
ROUTABLE_ROLES = frozenset(r.value for r in Role) - {Role.PUBLIC.value}

_COMMON_FIELDS = {"name", "channel", "topics", "min_severity", "events"}
_FIELDS = {
    Channel.IN_APP: _COMMON_FIELDS | {"roles"},
    Channel.EMAIL: _COMMON_FIELDS | {"roles"},
    Channel.WEBHOOK: _COMMON_FIELDS | {"url_env", "secret_env", "flavour", "towns"},
}


class RoutesError(InvalidInput):
    """A routes file breaks its schema; ``file``, ``route`` (index and name) and ``field`` say where."""

    def __init__(self, source: str, where: str, message: str, *, field: str | None = None) -> None:
        super().__init__(f"{source}: {where}: {message}" if where else f"{source}: {message}", field=field)
        self.source = source
        self.details["file"] = source

    def __str__(self) -> str:
        return self.message


def _strings(value: Any, *, source: str, where: str, field: str) -> list[str]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
        raise RoutesError(source, f"{where}.{field}", "must be a non-empty list of names", field=field)
    return list(value)


def _choice(value: Any, options: Iterable[str], *, source: str, where: str, field: str) -> str:
    options = list(options)
    if value not in options:
        raise RoutesError(
            source, f"{where}.{field}", f"must be one of {'|'.join(options)}, got {value!r}", field=field
        )
    return str(value)


def _env_name(value: Any, *, source: str, where: str, field: str) -> str:
    if not isinstance(value, str) or not WEBHOOK_ENV.match(value):
        raise RoutesError(
            source,
            f"{where}.{field}",
            f"must name an environment variable GREENPORT_WEBHOOK_<NAME> (capitals, digits, _), got {value!r}",
            field=field,
        )
    return value


def _route(raw: Any, index: int, *, source: str, seen: dict[str, int]) -> Route:
    if not isinstance(raw, Mapping):
        raise RoutesError(source, f"routes[{index}]", "must be a mapping of fields")
    name = raw.get("name")
    where = f"routes[{index}]" + (f" ({name})" if isinstance(name, str) else "")
    if not isinstance(name, str) or not ROUTE_NAME.match(name):
        raise RoutesError(
            source, f"{where}.name", "is required: snake_case, at most 60 characters", field="name"
        )
    if name in seen:
        raise RoutesError(
            source, f"{where}.name", f"duplicate name (first at routes[{seen[name]}])", field="name"
        )
    seen[name] = index
    channel = Channel(_choice(raw.get("channel"), list(Channel), source=source, where=where, field="channel"))
    unknown = sorted(set(raw) - _FIELDS[channel])
    if unknown:
        raise RoutesError(
            source,
            f"{where}.{unknown[0]}",
            f"is not a field of a {channel.value} route (fields: {', '.join(sorted(_FIELDS[channel]))})",
            field=unknown[0],
        )
    topics = _strings(raw.get("topics"), source=source, where=where, field="topics")
    for topic in topics:
        _choice(topic, TOPICS, source=source, where=where, field="topics")
    severity = Severity(
        _choice(
            raw.get("min_severity", "info"), list(Severity), source=source, where=where, field="min_severity"
        )
    )
    events = raw.get("events")
    event_set = (
        frozenset(_strings(events, source=source, where=where, field="events"))
        if events is not None
        else None
    )
    if channel is Channel.WEBHOOK:
        if "url_env" not in raw:
            raise RoutesError(source, f"{where}.url_env", "is required for a webhook route", field="url_env")
        url_env = _env_name(raw["url_env"], source=source, where=where, field="url_env")
        secret_env = (
            _env_name(raw["secret_env"], source=source, where=where, field="secret_env")
            if raw.get("secret_env") is not None
            else None
        )
        flavour = Flavour(
            _choice(raw.get("flavour"), list(Flavour), source=source, where=where, field="flavour")
        )
        if secret_env is not None and flavour is not Flavour.DINGTALK:
            raise RoutesError(
                source,
                f"{where}.secret_env",
                "signing is a DingTalk robot's; a WeCom robot has none",
                field="secret_env",
            )
        towns = raw.get("towns")
        town_set = None
        if towns is not None:
            town_set = frozenset(_strings(towns, source=source, where=where, field="towns"))
            bad = sorted(t for t in town_set if not TOWN_CODE.match(t))
            if bad:
                raise RoutesError(
                    source,
                    f"{where}.towns",
                    f"must be 12-digit division codes, got {bad[0]!r}",
                    field="towns",
                )
        return Route(
            name=name,
            channel=channel,
            topics=frozenset(topics),
            min_severity=severity,
            events=event_set,
            url_env=url_env,
            secret_env=secret_env,
            flavour=flavour,
            towns=town_set,
        )
    roles = _strings(raw.get("roles"), source=source, where=where, field="roles")
    for role in roles:
        if role == Role.PUBLIC.value:
            raise RoutesError(
                source,
                f"{where}.roles",
                "public is never notified (disclosed information only)",
                field="roles",
            )
        _choice(role, sorted(ROUTABLE_ROLES), source=source, where=where, field="roles")
    return Route(
        name=name,
        channel=channel,
        topics=frozenset(topics),
        min_severity=severity,
        events=event_set,
        roles=frozenset(roles),
    )


def _retry(raw: Any, *, source: str) -> RetryPolicy:
    if not isinstance(raw, Mapping):
        raise RoutesError(source, "retry", "is required: a mapping with delays_seconds and claim_seconds")
    delays = raw.get("delays_seconds")
    if not isinstance(delays, list) or not all(
        isinstance(d, int | float) and not isinstance(d, bool) and d > 0 for d in delays
    ):
        raise RoutesError(
            source,
            "retry.delays_seconds",
            "must be a list of positive numbers of seconds",
            field="delays_seconds",
        )
    claim = raw.get("claim_seconds")
    if not isinstance(claim, int | float) or isinstance(claim, bool) or claim <= 0:
        raise RoutesError(
            source, "retry.claim_seconds", "must be a positive number of seconds", field="claim_seconds"
        )
    return RetryPolicy(delays=tuple(float(d) for d in delays), claim_seconds=float(claim))


def parse_routes(text: str, *, source: str) -> NotificationConfig:
    """Parse and check a routes file (YAML text); ``source`` names it in every error."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RoutesError(source, "", f"is not valid YAML: {exc}") from None
    if not isinstance(raw, Mapping):
        raise RoutesError(source, "", "must be a mapping with 'retry' and 'routes'")
    unknown = sorted(set(raw) - {"retry", "routes"})
    if unknown:
        raise RoutesError(
            source, unknown[0], "is not a top-level field (fields: retry, routes)", field=unknown[0]
        )
    routes_raw = raw.get("routes")
    if not isinstance(routes_raw, list):
        raise RoutesError(source, "routes", "is required: a list of routes", field="routes")
    seen: dict[str, int] = {}
    routes = tuple(_route(item, index, source=source, seen=seen) for index, item in enumerate(routes_raw))
    return NotificationConfig(routes=routes, retry=_retry(raw.get("retry"), source=source), source=source)


def load_routes(path: Path | str | None = None) -> NotificationConfig:
    """The routes of file ``path``; None: the shipped ``greenport/notifications/data/routes.yaml``."""
    if path is None:
        return shipped_routes()
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RoutesError(str(path), "", f"cannot be read: {exc.strerror or exc}") from None
    return parse_routes(text, source=str(path))


@cache
def shipped_routes() -> NotificationConfig:
    text = resources.files("greenport.notifications").joinpath(SHIPPED_ROUTES_FILE).read_text("utf-8")
    return parse_routes(text, source=f"greenport/notifications/{SHIPPED_ROUTES_FILE}")


# --- routing ---------------------------------------------------------------------------------------


def scope_covers(scope: RowScope, notice: Notice) -> bool:
    """Whether a user of ``scope`` may hear of ``notice``: the public never; an enterprise user
    only of its firm; a park user only of its park; a town or grid officer only of their town;
    the city roles of everything (the rules of ``Principal.scope``)."""
    if scope.disclosed_only:
        return False
    if scope.enterprise_id is not None:
        return notice.enterprise_id == scope.enterprise_id
    if scope.park_id is not None:
        return notice.park_id == scope.park_id
    if scope.town_codes is not None:
        return notice.town_code is not None and notice.town_code in scope.town_codes
    return True


def route_matches(route: Route, notice: Notice) -> bool:
    """Topic, event and severity threshold of ``route`` (not yet who)."""
    return (
        notice.topic in route.topics
        and (route.events is None or notice.event in route.events)
        and Severity(notice.severity).rank >= route.min_severity.rank
    )


def recipients(
    notice: Notice, routes: Sequence[Route], users: Iterable[Recipient]
) -> list[tuple[Channel, str]]:
    """The (channel, recipient) pairs that hear of ``notice``, each once, in route order.

    A recipient is a user id (in-app), an address (e-mail; users without one are skipped) or a
    webhook route's name (the robot's URL is looked up only when sending).
    """
    people = list(users)
    found: list[tuple[Channel, str]] = []
    seen: set[tuple[Channel, str]] = set()

    def add(pair: tuple[Channel, str]) -> None:
        if pair not in seen:
            seen.add(pair)
            found.append(pair)

    for route in routes:
        if not route_matches(route, notice):
            continue
        if route.channel is Channel.WEBHOOK:
            if route.towns is None or notice.town_code in route.towns:
                add((Channel.WEBHOOK, route.name))
            continue
        for person in people:
            if person.role not in route.roles or not scope_covers(person.scope, notice):
                continue
            if route.channel is Channel.IN_APP:
                add((Channel.IN_APP, str(person.user_id)))
            elif person.email:
                add((Channel.EMAIL, person.email))
    return found
