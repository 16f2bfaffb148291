"""One error shape for the whole web app (STYLE habit 13).

Every error leaving ``/api`` is ``DomainError.to_dict()``: ``{"error": ..., "type": ...,
"field"?: ..., ...}`` with the status from ``status_hint``. FastAPI's own 401/403/404/405/422
and any unexpected exception are translated here into the same body. Pages get ``error.html``
with the same message (and a 401 on a page becomes a redirect to the log-in page), drawn by
the page renderer :func:`install` is given (the pages' frame is theirs, not this module's).

The domain's refusals map by their ``status_hint``: among them the accounts feature's
:class:`~greenport.accounts.errors.NotAuthenticated` (401) and ``TooManyAttempts`` (429).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from greenport.accounts.errors import NotAuthenticated
from greenport.kernel.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from greenport.web.i18n import N_

log = logging.getLogger(__name__)

#: Draws the error page of a request (``pages.base.render_error``), given to :func:`install`.
ErrorPageRenderer = Callable[[Request, DomainError], Response]


class CsrfFailed(PermissionDenied):
    """A form or HTMX request without the double-submit CSRF token."""


class PayloadTooLarge(DomainError):
    """A request body over ``GREENPORT_MAX_REQUEST_BYTES`` (uploads: ``..._UPLOAD_BYTES``)."""

    status_hint = 413


class MethodNotAllowed(DomainError):
    status_hint = 405


class InternalError(DomainError):
    status_hint = 500


#: What an error page tells a person, by the error's type (checked first, along its base classes)
#: and else by its HTTP status; msgids of the catalogue, translated where the page is drawn. The
#: technical message (English, for developers) stays in the JSON body and the log; the page keeps
#: of it only the field a form must mend.
EXPLANATION_BY_TYPE: dict[str, str] = {
    "CsrfFailed": N_("The form has expired. Reload the page and try again."),
    "InvalidRows": N_("Some rows of the file are invalid; nothing was imported."),
    "NoEditionInForce": N_("No edition of the standard is in force on that date."),
    "InsufficientData": N_("There are too few valid data to compute this figure."),
}
EXPLANATION_BY_STATUS: dict[int, str] = {
    400: N_("The request could not be processed."),
    403: N_("You are not allowed to open this page."),
    404: N_("The page or record you asked for does not exist."),
    405: N_("This action is not possible here."),
    409: N_("The request conflicts with data already stored."),
    413: N_("The request or file is too large."),
    422: N_("Some input is invalid. Check the field named below."),
    429: N_("Too many attempts. Wait a moment and try again."),
    500: N_("Something went wrong on the server; the event was logged."),
}


def explanation(error: DomainError) -> str:
    """The catalogue's msgid explaining ``error`` to a person (translate it with ``gettext``)."""
    for kind in type(error).__mro__:
        if kind.__name__ in EXPLANATION_BY_TYPE:
            return EXPLANATION_BY_TYPE[kind.__name__]
    status = error.status_hint
    return EXPLANATION_BY_STATUS.get(status) or EXPLANATION_BY_STATUS[500 if status >= 500 else 400]


def _wants_json(request: Request) -> bool:
    path = request.url.path
    if path.startswith("/api") or path.endswith(".json"):
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def error_response(request: Request, error: DomainError) -> Response:
    """Render ``error`` as the canonical JSON body or as the error page."""
    status = error.status_hint
    if _wants_json(request):
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        return JSONResponse(error.to_dict(), status_code=status, headers=headers)
    if status == 401:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
    render_page: ErrorPageRenderer = request.app.state.render_error_page
    return render_page(request, error)


def _from_http(exc: StarletteHTTPException) -> DomainError:
    detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    kinds: dict[int, type[DomainError]] = {
        401: NotAuthenticated,
        403: PermissionDenied,
        404: NotFound,
        405: MethodNotAllowed,
        413: PayloadTooLarge,
    }
    kind = kinds.get(exc.status_code)
    if kind is not None:
        return kind(detail)
    error = DomainError(detail)
    error.status_hint = exc.status_code
    return error


def _from_validation(exc: RequestValidationError) -> InvalidInput:
    errors = exc.errors()
    first: dict[str, Any] = errors[0] if errors else {}
    loc = [str(part) for part in first.get("loc", ()) if part not in ("body", "query", "path", "form")]
    field = ".".join(loc) or None
    message = str(first.get("msg", "invalid input"))
    details = [
        {"field": ".".join(str(p) for p in e.get("loc", ())[1:]), "error": e.get("msg")} for e in errors
    ]
    return InvalidInput(message, field=field, errors=details)


def install(app: FastAPI, *, render_page: ErrorPageRenderer) -> None:
    """Register the handlers that turn every error into the canonical shape; ``render_page``
    draws the error page for a browser."""
    app.state.render_error_page = render_page

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> Response:
        return error_response(request, exc)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        return error_response(request, _from_http(exc))

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        return error_response(request, _from_validation(exc))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(request, InternalError("internal error; the event was logged"))
