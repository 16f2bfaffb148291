"""What every page shares: the frame (:class:`Chrome`), rendering, the error page.

Each page family has one router module and one context dataclass per page, defined next to
its view; the template reads only ``ctx.<field>`` (checked by ``tests/web/test_page_contexts``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates

from greenport.accounts.model import ADMINS, ANALYSTS, ANONYMOUS, SIGNED_IN, Principal, Role
from greenport.kernel.errors import DomainError
from greenport.web import auth, errors, i18n
from greenport.web.api.alarms import RULE_READERS as ALARM_RULE_READERS
from greenport.web.api.alarms import VIEWERS as ALARM_VIEWERS
from greenport.web.api.assessments import READERS as ASSESSMENT_READERS
from greenport.web.api.cases import DISPATCHERS as CASE_DISPATCHERS
from greenport.web.api.cases import READERS as CASE_READERS
from greenport.web.api.public import PUBLIC_GATE
from greenport.web.api.reports import REPORT_GATE
from greenport.web.deps import Gate
from greenport.web.i18n import N_
from greenport.web.response_cache import CSRF_PLACEHOLDER, HotEntry, with_csrf

TEMPLATES_DIR = Path(__file__).resolve().parents[1] / "templates"


@dataclass(frozen=True)
class NavItem:
    key: str
    href: str


@dataclass(frozen=True)
class MenuPage:
    """A page of the menu and the gate its route declares (``Depends(menu_gate(href))``)."""

    key: str
    href: str
    gate: Gate


#: The one table of who may open which menu page: the page's route depends on this gate and the
#: menu lists the link only when the same gate admits the user (no link that answers 403).
#: ``key`` is the menu entry's English msgid (marked for extraction with ``N_``, translated by the
#: template's ``gettext(item.key)``).
#: The first page of the menu a user may open is their landing page (:func:`landing_page`):
#: the city's map for the staff, an enterprise's own dashboard, 信息公开 for the public.
MENU: tuple[MenuPage, ...] = (
    MenuPage(N_("One map"), "/", Gate(SIGNED_IN - {Role.ENTERPRISE})),
    MenuPage(N_("My enterprise"), "/my-firm", Gate(frozenset({Role.ENTERPRISE}))),
    MenuPage(N_("Alarms"), "/alarms", Gate(ALARM_VIEWERS)),
    MenuPage(N_("Cases"), "/cases", Gate(CASE_READERS)),
    MenuPage(N_("Case board"), "/cases/board", Gate(CASE_DISPATCHERS)),
    MenuPage(N_("Grid statistics"), "/cases/stats", Gate(CASE_READERS)),
    MenuPage(N_("Towns"), "/towns", Gate(SIGNED_IN)),
    MenuPage(N_("Enterprises"), "/enterprises", Gate(SIGNED_IN)),
    MenuPage(N_("Assessments"), "/assessments", Gate(ASSESSMENT_READERS)),
    MenuPage(N_("Reports"), "/reports", REPORT_GATE),
    MenuPage(N_("Alarm rules"), "/alarm-rules", Gate(ALARM_RULE_READERS)),
    MenuPage(N_("Quarantine"), "/quarantine", Gate(ANALYSTS)),
    MenuPage(N_("Devices"), "/devices", Gate(ADMINS)),
    MenuPage(N_("Public disclosure"), "/public", PUBLIC_GATE),
)
_MENU_GATES = {page.href: page.gate for page in MENU}


def landing_page(user: Principal) -> str:
    """Where ``user`` lands (after logging in, or asking for ``/``): the first page of
    :data:`MENU` their role may open (信息公开 is open to everyone, so there always is one)."""
    return next(page.href for page in MENU if page.gate.permits(user))


def menu_gate(href: str) -> Gate:
    """The gate of menu page ``href`` (for its route)."""
    return _MENU_GATES[href]


def menu_page(href: str) -> Any:
    """``Depends`` on the gate of menu page ``href``: what the route of a menu page declares."""
    return Depends(menu_gate(href))


@dataclass(frozen=True)
class Chrome:
    """The page frame: language, user, CSRF token, navigation."""

    lang: str
    user: Principal
    csrf_token: str
    path: str
    nav: list[NavItem] = field(default_factory=list)


@dataclass(frozen=True)
class ErrorContext:
    status: int = field(metadata={"help": "HTTP status"})
    error: dict[str, Any] = field(
        metadata={"help": "the canonical error body (its type is kept as data-type)"}
    )
    explanation: str = field(metadata={"help": "what went wrong, in the page's language"})
    field_name: str | None = field(metadata={"help": "the input to mend (a 422's field), or None"})


def templates() -> Jinja2Templates:
    """The pages' templates, with gettext (Jinja2's i18n extension), ``label`` and ``local_time``."""
    loaded = Jinja2Templates(directory=str(TEMPLATES_DIR))
    i18n.install(loaded.env)
    return loaded


def nav_for(user: Principal) -> list[NavItem]:
    """The menu of ``user``: the pages of :data:`MENU` whose gate admits them."""
    return [NavItem(page.key, page.href) for page in MENU if page.gate.permits(user)]


def chrome(request: Request) -> Chrome:
    user = getattr(request.state, "principal", None) or ANONYMOUS
    lang = i18n.pick_lang(request.query_params.get("lang"), request.cookies.get(i18n.LANG_COOKIE))
    token = getattr(request.state, "csrf_token", None) or request.cookies.get(auth.CSRF_COOKIE) or ""
    return Chrome(lang=lang, user=user, csrf_token=token, path=request.url.path, nav=nav_for(user))


HTML = "text/html; charset=utf-8"


def page_chrome(user: Principal, lang: str, path: str) -> Chrome:
    """The frame of a cached page: the CSRF token is a placeholder (:func:`response_cache.with_csrf`)."""
    return Chrome(lang=lang, user=user, csrf_token=CSRF_PLACEHOLDER, path=path, nav=nav_for(user))


def viewer(user: Principal) -> Hashable:
    """What of the user a page's frame shows (cache key part of a cached page)."""
    return (user.user_id, user.role, user.display_name)


def render_bytes(templates: Jinja2Templates, template: str, ctx: Any, frame: Chrome, **parts: Any) -> bytes:
    """``template`` rendered outside a request (for the hot cache)."""
    assert dataclasses.is_dataclass(ctx), "pages render dataclass contexts"
    with i18n.language(frame.lang):
        html = templates.get_template(template).render(ctx=ctx, chrome=frame, **parts)
    return html.encode()


def hot_page(request: Request, entry: HotEntry) -> Response:
    """A cached page for this request: its CSRF token in place, the language cookie if asked."""
    frame = chrome(request)
    response = Response(with_csrf(entry.body, frame.csrf_token), media_type=HTML)
    if request.query_params.get("lang") in i18n.LANGS:
        response.set_cookie(i18n.LANG_COOKIE, frame.lang, samesite="lax")
    return response


def render(
    request: Request, template: str, ctx: Any, *, status_code: int = 200, **parts: Any
) -> HTMLResponse:
    """Render ``template`` with its typed context ``ctx`` (a dataclass) and the page frame;
    ``parts`` are pre-rendered pieces (e.g. a cached fragment) the template places as they are."""
    assert dataclasses.is_dataclass(ctx), "pages render dataclass contexts"
    frame = chrome(request)
    with i18n.language(frame.lang):  # Starlette renders the template here, in the constructor
        response = request.app.state.templates.TemplateResponse(
            request, template, {"ctx": ctx, "chrome": frame, **parts}, status_code=status_code
        )
    if request.query_params.get("lang") in i18n.LANGS:
        response.set_cookie(i18n.LANG_COOKIE, frame.lang, samesite="lax")
    return response  # type: ignore[no-any-return]


def render_error(request: Request, error: DomainError) -> HTMLResponse:
    """The error page in the page's language: an explanation by the error's type or status
    (:func:`greenport.web.errors.explanation`) and the field to mend; not the developer's message."""
    _ = i18n.gettext_for(chrome(request).lang)
    body = error.to_dict()
    return render(
        request,
        "error.html",
        ErrorContext(
            status=error.status_hint,
            error=body,
            explanation=_(errors.explanation(error)),
            field_name=body.get("field"),
        ),
        status_code=error.status_hint,
    )
