"""Senders (I/O): e-mail over SMTP (smtplib) and group-robot webhooks over HTTP (httpx).

Each sender delivers one outbox row or raises :class:`~greenport.notifications.ports.DeliveryError`
with a reason that holds no secret: the SMTP password is never echoed, and a robot URL's
``access_token`` / ``key`` / ``sign`` are masked (:func:`~greenport.notifications.messages.mask_url`).
"""

from __future__ import annotations

import smtplib
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import httpx

from greenport.notifications.messages import email_message, mask_url, robot_payload, signed_url
from greenport.notifications.model import Delivery, Flavour, NotificationConfig
from greenport.notifications.ports import DeliveryError

#: Seconds a sender waits for the SMTP server or the robot before the attempt counts as failed.
SEND_TIMEOUT = 10.0


@dataclass
class SmtpSender:
    """Sends e-mail deliveries through an SMTP server (``GREENPORT_SMTP_*``).

    ``starttls`` upgrades the connection (RFC 3207) before logging in; ``user``/``password`` log in
    when a user is given. ``base_url`` makes the notice's link absolute (``https://greenport.example``).
    """

    host: str
    port: int = 25
    user: str | None = None
    password: str | None = None
    starttls: bool = False
    from_addr: str = "greenport@localhost"
    base_url: str = ""
    timeout: float = SEND_TIMEOUT

    def send(self, delivery: Delivery) -> None:
        message = email_message(
            delivery.notice, to=delivery.recipient, from_addr=self.from_addr, base_url=self.base_url
        )
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.user:
                    smtp.login(self.user, self.password or "")
                refused = smtp.send_message(message)
        except smtplib.SMTPAuthenticationError as exc:
            raise DeliveryError(
                f"SMTP {self.host}:{self.port} refused the log-in of {self.user!r} ({exc.smtp_code})"
            ) from None
        except smtplib.SMTPRecipientsRefused:
            raise DeliveryError(
                f"SMTP {self.host}:{self.port} refused the recipient {delivery.recipient!r}"
            ) from None
        except smtplib.SMTPResponseException as exc:
            raise DeliveryError(
                f"SMTP {self.host}:{self.port} answered {exc.smtp_code}: {exc.smtp_error!r}"
            ) from None
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(f"SMTP {self.host}:{self.port}: {type(exc).__name__}: {exc}") from None
        if refused:
            raise DeliveryError(f"SMTP {self.host}:{self.port} refused {', '.join(refused)}")


@dataclass(frozen=True)
class WebhookTarget:
    """Where a webhook route posts: the robot's URL (a secret: it holds the access token), its
    flavour and, for a signed DingTalk robot, its secret."""

    url: str
    flavour: Flavour
    secret: str | None = None

    def __repr__(self) -> str:  # never print the URL or the secret
        return f"WebhookTarget(url={mask_url(self.url)!r}, flavour={self.flavour.value!r}, secret={'***' if self.secret else None})"


def webhook_targets(config: NotificationConfig, environ: Mapping[str, str]) -> dict[str, WebhookTarget]:
    """The targets of the webhook routes of ``config`` whose ``url_env`` is set in ``environ``
    (a route whose variable is unset has no target: its rows fail with a reason naming the
    variable, never a value)."""
    targets = {}
    for route in config.routes:
        if route.url_env is None or route.flavour is None or not environ.get(route.url_env):
            continue
        secret = environ.get(route.secret_env) if route.secret_env else None
        targets[route.name] = WebhookTarget(
            url=environ[route.url_env], flavour=route.flavour, secret=secret or None
        )
    return targets


@dataclass
class WebhookSender:
    """Posts webhook deliveries to their route's robot (DingTalk or WeCom markdown, module
    :mod:`~greenport.notifications.messages`). A robot answers HTTP 200 with ``{"errcode": 0}``
    when it took the message; anything else is a failed attempt. ``clock_ms`` gives the
    signing timestamp [ms since the epoch] (tests inject it)."""

    targets: Mapping[str, WebhookTarget]
    config: NotificationConfig | None = None
    base_url: str = ""
    timeout: float = SEND_TIMEOUT
    clock_ms: Callable[[], int] = lambda: int(time.time() * 1000)
    transport: httpx.BaseTransport | None = None

    def send(self, delivery: Delivery) -> None:
        route_name = delivery.recipient
        target = self.targets.get(route_name)
        if target is None:
            route = self.config.route(route_name) if self.config is not None else None
            variable = route.url_env if route is not None else None
            raise DeliveryError(
                f"webhook route {route_name!r} has no URL"
                + (
                    f": set the environment variable {variable}"
                    if variable
                    else ": no such route in the routes file"
                )
            )
        url = target.url
        if target.secret:
            url = signed_url(url, secret=target.secret, timestamp_ms=self.clock_ms())
        payload = robot_payload(delivery.notice, target.flavour, base_url=self.base_url)
        try:
            with httpx.Client(timeout=self.timeout, transport=self.transport) as client:
                response = client.post(url, json=payload)
        except httpx.HTTPError as exc:
            raise DeliveryError(mask_url(f"webhook {route_name}: {type(exc).__name__}: {exc}")) from None
        if response.status_code != 200:
            raise DeliveryError(f"webhook {route_name}: the robot answered HTTP {response.status_code}")
        try:
            body = response.json()
        except ValueError:
            body = {}
        errcode = body.get("errcode", 0) if isinstance(body, dict) else 0
        if errcode not in (0, "0"):
            errmsg = str(body.get("errmsg", ""))[:200]
            raise DeliveryError(
                mask_url(f"webhook {route_name}: the robot refused the message: {errcode} {errmsg}")
            )
