"""What a notification is: a :class:`Notice` (what happened, whatever the channel), the
:class:`Route` that says who hears of it and how, and a :class:`Delivery` (one row of the outbox:
one notice to one recipient on one channel).

A notice is enqueued once per ``dedupe_key``: the same alarm transition enqueued twice (two
processes, a retried transaction) is stored once per (channel, recipient).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from greenport.accounts.model import RowScope


class Channel(enum.StrEnum):
    IN_APP = "in_app"  # the bell of the web app; delivered when stored
    EMAIL = "email"  # SMTP
    WEBHOOK = "webhook"  # a DingTalk or WeCom group robot


class DeliveryState(enum.StrEnum):
    PENDING = "pending"  # waiting for its (next) attempt
    DELIVERED = "delivered"
    FAILED = "failed"  # every attempt of the retry policy failed


class Severity(enum.StrEnum):
    INFO = "info"
    MINOR = "minor"
    MAJOR = "major"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        """0 (info) .. 3 (critical): a route's ``min_severity`` compares by rank."""
        return list(Severity).index(self)


class Flavour(enum.StrEnum):
    """The robot a webhook route posts to (each accepts its own markdown message shape)."""

    DINGTALK = "dingtalk"
    WECOM = "wecom"


#: What a notice is about; "case" for issue 17's deadline reminders.
TOPICS = ("alarm", "case")


@dataclass(frozen=True, slots=True)
class Notice:
    """What happened, independent of channel and recipient.

    ``subject_id`` is the id of the thing in its topic (an alarm id); ``site_id``, ``town_code``
    (12-digit division code), ``enterprise_id`` and ``park_id`` say where, and decide which
    scoped users hear of it. ``link`` is a path of the web app (``/alarms/12``). ``occurred_at``
    is an aware UTC datetime. ``dedupe_key`` identifies the notice: enqueued twice, stored once.
    """

    topic: str
    subject_id: int
    event: str
    severity: Severity
    title_zh: str
    title_en: str
    body_zh: str
    body_en: str
    link: str
    occurred_at: datetime
    dedupe_key: str
    site_id: int | None = None
    town_code: str | None = None
    enterprise_id: int | None = None
    park_id: int | None = None


@dataclass(frozen=True, slots=True)
class Route:
    """One routing rule (a row of ``data/routes.yaml``).

    In-app and e-mail routes name ``roles``: users of those roles whose scope covers the notice
    (a town officer only for their town, an enterprise user only for its firm, a park user only
    for its park, city roles for all, the public never). A webhook route names ``url_env``, the
    environment variable holding the robot's URL (its access token is a secret: never stored,
    never logged), its ``flavour``, optionally ``secret_env`` (DingTalk signing) and ``towns``.
    """

    name: str
    channel: Channel
    topics: frozenset[str]
    min_severity: Severity = Severity.INFO
    events: frozenset[str] | None = None  # None: every event
    roles: frozenset[str] = frozenset()
    url_env: str | None = None
    secret_env: str | None = None
    flavour: Flavour | None = None
    towns: frozenset[str] | None = None  # None: every town


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """When a failed delivery is tried again: after ``delays[i]`` [s] following failed attempt
    ``i + 1``; after ``max_attempts`` = ``len(delays) + 1`` failed attempts it is failed.
    ``claim_seconds`` [s]: how long a claimed row is reserved for its sender; a claim not
    recorded by then (the process died) expires and the row is tried again."""

    delays: tuple[float, ...]
    claim_seconds: float

    @property
    def max_attempts(self) -> int:
        return len(self.delays) + 1


@dataclass(frozen=True, slots=True)
class NotificationConfig:
    """A routes file: its routes and its retry policy."""

    routes: tuple[Route, ...]
    retry: RetryPolicy
    source: str = ""

    def route(self, name: str) -> Route | None:
        return next((r for r in self.routes if r.name == name), None)


@dataclass(frozen=True, slots=True)
class Recipient:
    """A user as routing sees them: role, the rows they may see (the same
    :class:`~greenport.accounts.model.RowScope` their requests get, ``Principal.scope``) and an
    e-mail address if they have one."""

    user_id: int
    role: str
    scope: RowScope
    email: str | None = None


@dataclass(frozen=True, slots=True)
class Delivery:
    """One row of the outbox: ``notice`` to ``recipient`` on ``channel``.

    ``recipient`` is the user id (in-app), the address (e-mail) or the route name (webhook; the
    robot's URL is looked up from the route's ``url_env`` only when sending).
    """

    id: int
    notice: Notice
    channel: Channel
    recipient: str
    state: DeliveryState
    attempts: int
    next_attempt_at: datetime
    created_at: datetime
    delivered_at: datetime | None = None
    read_at: datetime | None = None
    last_error: str | None = None


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    """What one :func:`~greenport.notifications.service.deliver_due` pass did (counts of rows)."""

    claimed: int = 0
    delivered: int = 0
    retried: int = 0
    failed: int = 0
