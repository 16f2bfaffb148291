"""A size limit on every request body, enforced before anything parses it.

Without it a 50 MB anonymous JSON log-in was read and parsed whole. The limit is checked twice:

* on the declared ``Content-Length``: a body announced too big is refused at once (413, the
  connection closed), the app never runs;
* on the bytes as they stream in (a chunked body has no ``Content-Length``, and a client may
  under-declare): the read that passes the limit raises :class:`BodyTooLarge`, which FastAPI lets
  through its body parsing and the app's error handler answers 413 in the canonical error shape.

Registry import uploads get their own, larger limit (``GREENPORT_MAX_UPLOAD_BYTES``).
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from greenport.web import errors

#: Paths whose bodies are file uploads (limit ``max_upload_bytes``).
UPLOAD_PREFIXES = ("/api/registry/import/", "/open311/v2/requests")
#: Exact paths whose bodies carry photos (the public report form), also ``max_upload_bytes``.
UPLOAD_PATHS = frozenset({"/report"})


class BodyTooLarge(HTTPException):
    """A request body passed the limit while it was read (an ``HTTPException`` so that FastAPI's
    body parsing re-raises it instead of turning it into a 400)."""

    def __init__(self, limit: int) -> None:
        super().__init__(status_code=413, detail=f"request body larger than {limit} bytes")


class BodySizeLimitMiddleware:
    """Pure ASGI: refuse request bodies over ``max_bytes`` (``upload_bytes`` on upload paths)."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, upload_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.upload_bytes = upload_bytes

    def limit_for(self, path: str) -> int:
        """The body limit of a request path [bytes]."""
        uploads = path.startswith(UPLOAD_PREFIXES) or path in UPLOAD_PATHS
        return self.upload_bytes if uploads else self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.strip().isdigit() and int(declared) > limit:
            error = errors.PayloadTooLarge(
                f"request body of {int(declared)} bytes is larger than the limit of {limit} bytes",
                limit=limit,
            )
            response = errors.error_response(Request(scope), error)
            response.headers["connection"] = "close"  # the unread body must not be taken for a request
            await response(scope, receive, send)
            return
        received = 0

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        await self.app(scope, counted_receive, send)
