"""Log-in and log-out pages."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from greenport.accounts import service as accounts_service
from greenport.accounts.model import EVERYONE, SIGNED_IN, Principal
from greenport.kernel.errors import DomainError
from greenport.web import auth
from greenport.web.deps import SettingsDep, UowDep, allow, client_ip, log_out
from greenport.web.pages.base import render

router = APIRouter(tags=["pages"], include_in_schema=False)


@dataclass(frozen=True)
class LoginContext:
    next: str = field(default="/", metadata={"help": "where to go after logging in"})
    username: str = field(default="", metadata={"help": "the user name typed before"})
    error: str | None = field(default=None, metadata={"help": "why the last attempt failed"})


def _safe_next(target: str) -> str:
    return target if target.startswith("/") and not target.startswith("//") else "/"


@router.get("/login")
def login_page(
    request: Request, _: Annotated[Principal, allow(EVERYONE, anonymous=True)], next: str = "/"
) -> Response:
    return render(request, "login.html", LoginContext(next=_safe_next(next)))


@router.post("/login")
def login_submit(
    request: Request,
    uow: UowDep,
    settings: SettingsDep,
    _: Annotated[Principal, allow(EVERYONE, anonymous=True)],
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    auth.require_csrf(request.cookies.get(auth.CSRF_COOKIE), csrf_token)
    try:
        principal = accounts_service.log_in(
            uow,
            username=username,
            password=password,
            ip=client_ip(request),
            demo_logins=settings.demo_logins_allowed,
        )
    except DomainError as exc:
        return render(
            request,
            "login.html",
            LoginContext(next=_safe_next(next), username=username, error=exc.message),
            status_code=exc.status_hint,
        )
    session_id = accounts_service.open_session(uow, principal=principal)
    response = RedirectResponse(_safe_next(next), status_code=303)
    auth.set_session_cookies(
        response,
        secret_key=settings.secret_key,
        session_id=session_id,
        secure=settings.mode == "production",
    )
    return response


@router.post("/logout")
def logout_submit(request: Request, uow: UowDep, user: Annotated[Principal, allow(SIGNED_IN)]) -> Response:
    log_out(request, uow, user=user)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(auth.SESSION_COOKIE)
    return response
