"""Dependencies of routes: the container, a unit of work per request, the caller, role gates.

Route signatures read as prose (``user: Annotated[Principal, Depends(Allow(...))]``); nothing is
built at import time: everything hangs off ``request.app.state`` set by ``create_app``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Annotated, Any

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from greenport.accounts import service as accounts_service
from greenport.accounts.errors import NotAuthenticated
from greenport.accounts.model import ANONYMOUS, Principal
from greenport.bootstrap import Container, UnitOfWork, notification_config
from greenport.config import Settings
from greenport.kernel.errors import PermissionDenied
from greenport.notifications.model import Route
from greenport.web import auth
from greenport.web.auth import Allow


def get_container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.container.settings
    return settings


def notification_routes(request: Request) -> Sequence[Route]:
    """The notification routes in force (``GREENPORT_NOTIFICATION_ROUTES`` or the shipped ones),
    read once per app: a case notice from a page goes where the deployment says."""
    routes: Sequence[Route] | None = getattr(request.app.state, "notification_routes", None)
    if routes is None:
        routes = notification_config(get_settings(request)).routes
        request.app.state.notification_routes = routes
    return routes


async def get_uow(request: Request) -> AsyncIterator[UnitOfWork]:
    """One unit of work per request: committed when the route returns, rolled back on error.

    Opening it touches no database (the session connects on first use), so it runs on the event
    loop; only a session that did something is committed/closed in the thread pool. A request
    answered from a cache thus costs no thread hop and no connection.
    """
    uow = get_container(request).uow()
    uow.__enter__()
    try:
        yield uow
    except BaseException as exc:
        await run_in_threadpool(uow.__exit__, type(exc), exc, exc.__traceback__)
        raise
    if uow.session.in_transaction():
        await run_in_threadpool(uow.__exit__, None, None, None)
    else:
        uow.__exit__(None, None, None)


def _uow_dependency() -> Any:
    """``Depends(get_uow)`` ending *before* the response is sent (FastAPI's ``scope="function"``):
    a redirect after log-in must not reach the browser before the session row is committed."""
    try:
        return Depends(get_uow, scope="function")  # type: ignore[call-arg]
    except TypeError:  # FastAPI before 0.120 ended yield dependencies before sending anyway
        return Depends(get_uow)


ContainerDep = Annotated[Container, Depends(get_container)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
UowDep = Annotated[UnitOfWork, _uow_dependency()]


def credential_key_of(authorization: str, session_cookie: str | None) -> tuple[str, str] | None:
    """The credential of an ``Authorization`` header and a session cookie, as the key of the
    principal cache: a bearer token first, then the session, else ``None``."""
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return ("bearer", value.strip())
    return ("session", session_cookie) if session_cookie else None


def credential_key(request: Request) -> tuple[str, str] | None:
    """The credential a request carries, as the key of the principal cache."""
    return credential_key_of(
        request.headers.get("authorization", ""), request.cookies.get(auth.SESSION_COOKIE)
    )


def _principal_compute(app: Any, key: tuple[str, str]) -> Any:
    """Resolve a credential with its own unit of work (a background refresh may outlive the
    request). A refused credential is cached as its error, so it is refused again at once."""
    container: Container = app.state.container
    kind, value = key

    def compute() -> Principal | NotAuthenticated:
        session_id = auth.unsign_session(container.settings.secret_key, value) if kind == "session" else None
        with UnitOfWork(container.db) as own:
            try:
                return accounts_service.resolve_principal(
                    own, bearer=value if kind == "bearer" else None, session_id=session_id
                )
            except NotAuthenticated as exc:
                return exc

    return compute


def cached_principal(app: Any, key: tuple[str, str]) -> Principal | None:
    """The caller of credential ``key`` from the cache without waiting (an expired entry is
    served once more while one background thread resolves it again: stale-while-revalidate);
    None when the credential is unknown or was refused."""
    value = app.state.principal_cache.peek(key, _principal_compute(app, key))
    return value if isinstance(value, Principal) else None


async def get_principal(request: Request) -> Principal:
    """The caller; resolved credentials are cached for ``PRINCIPAL_TTL`` seconds and refreshed
    in the background (log-out evicts at once)."""
    cached = getattr(request.state, "principal", None)
    if isinstance(cached, Principal):
        return cached
    key = credential_key(request)
    if key is None:
        request.state.principal = ANONYMOUS
        return ANONYMOUS
    cache = request.app.state.principal_cache
    compute = _principal_compute(request.app, key)
    value = cache.peek(key, compute)
    if value is None:
        value = await run_in_threadpool(cache.get_or_compute, key, compute)
    if isinstance(value, NotAuthenticated):
        raise value.with_traceback(None)
    principal: Principal = value
    request.state.principal = principal
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]


class Gate(Allow):
    """:class:`Allow` usable as a FastAPI dependency; also enforces CSRF for cookie callers.

    ``city_wide``: the resource covers the whole city (a city report), so besides the role the
    caller's scope must be the city: a department user tied to a park is refused it.
    """

    def __init__(self, *roles: Any, anonymous: bool = False, city_wide: bool = False) -> None:
        super().__init__(*roles, anonymous=anonymous)
        self.city_wide = city_wide

    def permits(self, principal: Principal) -> bool:
        return super().permits(principal) and (not self.city_wide or principal.scope.is_city)

    def check(self, principal: Principal) -> Principal:
        if self.city_wide and principal.authenticated and not principal.scope.is_city:
            raise PermissionDenied(
                "this resource covers the whole city; your account is scoped to part of it"
            )
        return super().check(principal)

    async def __call__(self, request: Request) -> Principal:
        try:
            principal = await get_principal(request)
        except NotAuthenticated:
            # A page open to strangers (the log-in page first of all) serves a refused credential
            # (wrong bearer token, disabled account) as a stranger: otherwise the browser would be
            # sent to /login, refused there again, and loop. The JSON API keeps its 401.
            if not self.anonymous or request.url.path.startswith("/api"):
                raise
            principal = ANONYMOUS
            request.state.principal = principal
        self.check(principal)
        if request.method not in ("GET", "HEAD", "OPTIONS") and principal.via == "session":
            sent = request.headers.get(auth.CSRF_HEADER)
            if not sent and "form" in request.headers.get("content-type", ""):
                form = await request.form()
                value = form.get(auth.CSRF_FIELD)
                sent = value if isinstance(value, str) else None
            auth.require_csrf(request.cookies.get(auth.CSRF_COOKIE), sent)
        return principal


def allow(*roles: Any, anonymous: bool = False, city_wide: bool = False) -> Any:
    """``Depends(Gate(...))``: the role (and, for ``city_wide`` resources, scope) check every
    route declares."""
    return Depends(Gate(*roles, anonymous=anonymous, city_wide=city_wide))


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def log_out(request: Request, uow: UnitOfWork, *, user: Principal) -> None:
    """End the credential of this request (:func:`greenport.accounts.service.log_out`: a bearer
    token is revoked, else the session ends) and forget it at once in this process's principal
    cache (other workers within ``PRINCIPAL_TTL``). The route clears the cookie it answers with."""
    key = credential_key(request)
    bearer = key[1] if key is not None and key[0] == "bearer" else None
    cookie = request.cookies.get(auth.SESSION_COOKIE)
    secret_key = get_settings(request).secret_key
    accounts_service.log_out(
        uow,
        principal=user,
        bearer=bearer,
        session_id=auth.unsign_session(secret_key, cookie) if cookie else None,
        ip=client_ip(request),
    )
    cache = request.app.state.principal_cache
    if user.via == "token" and bearer is not None:
        cache.pop(("bearer", bearer))
    elif cookie:
        cache.pop(("session", cookie))
