"""Log-in, log-out, the current user, bearer tokens (create from a session, list, revoke)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request, Response
from fastapi import Path as FastApiPath
from pydantic import BaseModel, Field

from greenport.accounts import service as accounts_service
from greenport.accounts.model import EVERYONE, SIGNED_IN, Principal
from greenport.accounts.secret_tokens import digest
from greenport.web import auth
from greenport.web.deps import SettingsDep, UowDep, allow, client_ip, log_out

router = APIRouter(prefix="/auth", tags=["auth"])


class LoginIn(BaseModel):
    username: str = Field(min_length=1, max_length=80)
    password: str = Field(min_length=1, max_length=200)


class TokenIn(BaseModel):
    name: str = Field(min_length=1, max_length=100, description="What the token is for.")
    days: int = Field(
        90,
        ge=1,
        description="Lifetime [days], at most GREENPORT_TOKEN_MAX_DAYS (default 90); tokens always expire.",
    )


def principal_public(p: Principal) -> dict[str, Any]:
    return {
        "id": p.user_id,
        "username": p.username,
        "display_name": p.display_name,
        "role": p.role.value,
        "division_code": p.division_code,
        "enterprise_id": p.enterprise_id,
        "park_id": p.park_id,
        "authenticated": p.authenticated,
    }


@router.post("/login", summary="Log in; sets the session cookie (pages) and returns the user")
def login(
    body: LoginIn,
    request: Request,
    response: Response,
    uow: UowDep,
    settings: SettingsDep,
    _: Annotated[Principal, allow(EVERYONE, anonymous=True)],
) -> dict[str, Any]:
    principal = accounts_service.log_in(
        uow,
        username=body.username,
        password=body.password,
        ip=client_ip(request),
        demo_logins=settings.demo_logins_allowed,
    )
    session_id = accounts_service.open_session(uow, principal=principal)
    csrf = auth.set_session_cookies(
        response,
        secret_key=settings.secret_key,
        session_id=session_id,
        secure=settings.mode == "production",
    )
    return {"user": principal_public(principal), "csrf_token": csrf}


@router.post("/logout", summary="End the current session; with a bearer token, revoke that token")
def logout(
    request: Request, response: Response, uow: UowDep, user: Annotated[Principal, allow(SIGNED_IN)]
) -> dict[str, Any]:
    log_out(request, uow, user=user)
    if user.via != "token":
        response.delete_cookie(auth.SESSION_COOKIE)
    return {"ok": True}


@router.get("/me", summary="Who am I (anonymous callers get the public principal)")
def me(user: Annotated[Principal, allow(SIGNED_IN, anonymous=True)]) -> dict[str, Any]:
    return {"user": principal_public(user)}


@router.post(
    "/tokens", summary="Create a bearer token for integrations (shown once; needs a session, not a token)"
)
def create_token(
    body: TokenIn,
    request: Request,
    uow: UowDep,
    settings: SettingsDep,
    user: Annotated[Principal, allow(SIGNED_IN)],
) -> dict[str, Any]:
    token = accounts_service.issue_token(
        uow, principal=user, name=body.name, days=body.days, max_days=settings.token_max_days
    )
    accounts_service.record_audit(
        uow,
        principal=user,
        action="create",
        entity="api_token",
        detail={"name": body.name, "days": body.days},
        ip=client_ip(request),
    )
    return {"token": token, "name": body.name, "token_type": "bearer", "days": body.days}


@router.get("/tokens", summary="My bearer tokens (never their secret), newest first")
def my_tokens(uow: UowDep, user: Annotated[Principal, allow(SIGNED_IN)]) -> dict[str, Any]:
    rows = accounts_service.list_tokens(uow, user_id=user.user_id)
    return {"data": rows, "count": len(rows)}


@router.delete("/tokens/{token_id}", summary="Revoke one of my tokens (a city admin: any token)")
def revoke_token(
    token_id: Annotated[int, FastApiPath(ge=1, le=2**31 - 1)],
    request: Request,
    uow: UowDep,
    user: Annotated[Principal, allow(SIGNED_IN)],
) -> dict[str, Any]:
    revoked_digest = accounts_service.revoke_token(uow, token_id=token_id, by=user)
    # this process forgets it at once (other workers within PRINCIPAL_TTL)
    request.app.state.principal_cache.pop_where(
        lambda key: key[0] == "bearer" and digest(key[1]) == revoked_digest
    )
    accounts_service.record_audit(
        uow,
        principal=user,
        action="revoke",
        entity="api_token",
        entity_id=str(token_id),
        ip=client_ip(request),
    )
    return {"ok": True, "id": token_id}
