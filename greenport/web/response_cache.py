"""The web's response cache: the polled dashboard and the public pages, served from memory.

It holds three things: finished response bodies of the hot routes (:class:`HotCache`), the
data they are rendered from, one computation per key and data generation (:meth:`HotCache.data`),
and time-limited values such as resolved callers and daily statistics (:class:`TtlCache`).
The data come from the feature services (``greenport.reports.dashboard`` and the public
statistics); this module knows no table and no repository: it opens a unit of work through the
factory the composition root gives it.

Fifty clients polling the "one map" must not each pay a template render, a JSON encoding or
FastAPI's dependency resolution. :class:`HotCache` keeps, per key (scope, language, viewer), the
finished response body; :class:`HotPathMiddleware` answers a GET of a hot route straight from it
when the caller's credentials are already resolved (principal cache) and the route's own gate
(:class:`~greenport.web.deps.Gate`, the same object the route declares) admits them. Anything
else (a first visit, a query string, a refused caller) goes down the normal FastAPI route, which
fills the cache with the same key and the same producer.

Freshness (stale-while-revalidate): a background thread checks a cheap *data version* (newest
frame, observation, index) every :data:`CHECK_SECONDS`; when it moves, or at least every
:data:`MAX_AGE_SECONDS` (offline states depend on the clock), it recomputes the data once per
scope and re-renders every body that was asked for recently. No client request waits for a
refresh. Pages carry the viewer's CSRF token, which is not cached: bodies hold a placeholder
that :func:`with_csrf` replaces per request.

Every age is read from one injected monotonic clock (:attr:`HotCache.clock`, ``time.monotonic``
unless a test passes its own), so what a cycle decides depends on the clock it is given and never
on how fast the machine happens to run.
"""

from __future__ import annotations

import hashlib
import html
import logging
import secrets
import threading
import time
import weakref
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Receive, Scope, Send

from greenport.accounts.model import Principal
from greenport.bootstrap import UnitOfWork
from greenport.web import auth, i18n
from greenport.web.auth import Allow

log = logging.getLogger(__name__)

#: How often the refresher looks at the data version [s].
CHECK_SECONDS = 2.0
#: A body is rebuilt at least this often even when no data arrived [s] (offline after 2 h, clock).
MAX_AGE_SECONDS = 30.0
#: Bodies nobody asked for during this long are dropped instead of refreshed [s].
KEEP_SECONDS = 600.0
#: Stand-in for the viewer's CSRF token inside a cached page (random per process).
CSRF_PLACEHOLDER = "gp-csrf-" + secrets.token_hex(16)
_CSRF_PLACEHOLDER_BYTES = CSRF_PLACEHOLDER.encode()

Producer = Callable[[], bytes]
#: A monotonic clock [s]: only differences between its readings are used.
Clock = Callable[[], float]
#: A new unit of work (``Container.uow``): the cache opens its own, its refresher outlives requests.
UowFactory = Callable[[], UnitOfWork]
#: The caller of a request's ``Authorization`` header and cookies as already resolved (the
#: principal cache, never the database); None when not known yet or refused.
KnownCaller = Callable[[str, Mapping[str, str]], Principal | None]
#: Year and 30-day statistics change with each new day of data: recomputed at most this often [s].
STATS_TTL = 300.0


@dataclass
class _Entry:
    at: float
    value: Any


class TtlCache:
    """A tiny thread-safe time-to-live cache (per process).

    ``ttl`` [s] is measured on ``clock``, a monotonic clock (``time.monotonic`` unless a test
    passes one it moves itself, so expiry never depends on the machine's speed).
    """

    def __init__(self, ttl: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.clock = clock
        self._data: dict[Any, _Entry] = {}
        self._lock = threading.Lock()
        self._key_locks: dict[Any, threading.Lock] = {}

    def get(self, key: Any) -> Any | None:
        with self._lock:
            entry = self._data.get(key)
            if entry is None or self.clock() - entry.at > self.ttl:
                return None
            return entry.value

    def peek(self, key: Any, compute: Callable[[], Any]) -> Any | None:
        """Without ever blocking (fit for the event loop): the fresh value; an expired value,
        while one background thread computes the next (stale-while-revalidate); None if absent."""
        fresh = self.get(key)
        if fresh is not None:
            return fresh
        with self._lock:
            stale = self._data.get(key)
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        if stale is None:
            return None
        if key_lock.acquire(blocking=False):
            threading.Thread(target=self._refresh, args=(key, compute, key_lock), daemon=True).start()
        return stale.value

    def get_or_compute(self, key: Any, compute: Callable[[], Any]) -> Any:
        """The cached value, else compute it once: concurrent callers of the same key wait for
        the one computation instead of all running it (no stampede when the TTL expires).

        When an expired value exists, the others get it while one refreshes (:meth:`peek` never
        waits at all).
        """
        fresh = self.get(key)
        if fresh is not None:
            return fresh
        with self._lock:
            key_lock = self._key_locks.setdefault(key, threading.Lock())
            stale = self._data.get(key)
        if stale is not None:
            if not key_lock.acquire(blocking=False):
                return stale.value
        else:
            key_lock.acquire()
        try:
            fresh = self.get(key)
            if fresh is not None:
                return fresh
            value = compute()
            self.put(key, value)
            return value
        finally:
            key_lock.release()

    def _refresh(self, key: Any, compute: Callable[[], Any], key_lock: threading.Lock) -> None:
        try:
            self.put(key, compute())
        except Exception:  # forget the value; the next caller computes it again
            log.exception("background refresh of %r failed", key)
            self.pop(key)
        finally:
            key_lock.release()

    def put(self, key: Any, value: Any) -> None:
        with self._lock:
            self._data[key] = _Entry(self.clock(), value)

    def pop_where(self, matches: Callable[[Any], bool]) -> None:
        """Drop every entry whose key ``matches`` (a revoked token known only by its digest)."""
        with self._lock:
            for key in [key for key in self._data if matches(key)]:
                del self._data[key]

    def pop(self, key: Any) -> None:
        with self._lock:
            self._data.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


def dumps(value: Any) -> bytes:
    """JSON of an answer (UTF-8, non-ASCII kept, dates ISO 8601; orjson)."""
    return orjson.dumps(value, default=str, option=orjson.OPT_NON_STR_KEYS)


@dataclass
class HotEntry:
    body: bytes
    media_type: str
    etag: str
    produce: Producer
    made_at: float
    used_at: float


@dataclass(frozen=True)
class HotRoute:
    """A GET route whose answer is cached whole: its gate and how a caller maps to a key."""

    path: str
    gate: Allow
    key: Callable[[Principal, str], Hashable]  # (principal, language) -> cache key
    media_type: str
    csrf: bool = False  # HTML page carrying the CSRF placeholder


def etag_of(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'


def with_csrf(body: bytes, token: str) -> bytes:
    """A cached page with the viewer's CSRF token in place of the placeholder (escaped)."""
    return body.replace(_CSRF_PLACEHOLDER_BYTES, html.escape(token, quote=True).encode())


@dataclass
class _Datum:
    generation: int
    value: Any


@dataclass
class HotCache:
    """Response bodies by key, data by key and generation, and the background refresher."""

    new_uow: UowFactory
    version: Callable[[UnitOfWork], Hashable] | None = None
    check_seconds: float = CHECK_SECONDS
    max_age: float = MAX_AGE_SECONDS
    keep: float = KEEP_SECONDS
    clock: Clock = time.monotonic  # every age below is measured on it (tests pass a fake one)
    routes: dict[str, HotRoute] = field(default_factory=dict)
    stats: TtlCache | None = None  # the long-lived statistics cache producers may use
    _entries: dict[Hashable, HotEntry] = field(default_factory=dict)
    _data: dict[Hashable, _Datum] = field(default_factory=dict)
    _generation: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _key_locks: dict[Hashable, threading.Lock] = field(default_factory=dict)
    _thread: threading.Thread | None = None
    _stop: threading.Event = field(default_factory=threading.Event)
    _last_version: Hashable = None
    _last_cycle: float = 0.0
    _cycle_lock: threading.Lock = field(default_factory=threading.Lock)
    refreshes: int = 0  # rebuild cycles run
    hits: int = 0  # requests answered by the fast path

    # -- routes ------------------------------------------------------------------------------
    def add_route(self, route: HotRoute) -> HotRoute:
        self.routes[route.path] = route
        return route

    # -- data (one computation per key and generation) ----------------------------------------
    def data(self, key: Hashable, compute: Callable[[UnitOfWork], Any]) -> Any:
        """The value of ``compute`` for this generation (computed once, with its own unit of
        work, whoever asks first; concurrent askers wait for that one computation)."""
        datum = self._data.get(key)
        generation = self._generation
        if datum is not None and datum.generation == generation:
            return datum.value
        with self._key_lock(("data", key)):
            datum = self._data.get(key)
            if datum is not None and datum.generation == generation:
                return datum.value
            with self.new_uow() as uow:
                value = compute(uow)
            self._data[key] = _Datum(generation, value)
            return value

    # -- bodies ------------------------------------------------------------------------------
    def get(self, key: Hashable) -> HotEntry | None:
        """The cached body (on the event loop, no waiting)."""
        entry = self._entries.get(key)
        if entry is not None:
            entry.used_at = self.clock()
        return entry

    def fill(self, key: Hashable, produce: Producer, media_type: str) -> HotEntry:
        """The body for ``key``, produced now if absent (single-flight; call in a thread)."""
        entry = self.get(key)
        if entry is not None:
            return entry
        with self._key_lock(("body", key)):
            found = self.get(key)
            if found is None:
                body = produce()
                now = self.clock()
                found = HotEntry(body, media_type, etag_of(body), produce, now, now)
                self._entries[key] = found
        self._ensure_refresher()
        return found

    async def body(self, key: Hashable, produce: Producer, media_type: str) -> HotEntry:
        """:meth:`fill` from the event loop: a hit costs no thread hop."""
        entry = self.get(key)
        if entry is not None:
            return entry
        return await run_in_threadpool(self.fill, key, produce, media_type)

    def invalidate(self) -> None:
        """Rebuild everything at the next check (after a write the data version does not see,
        e.g. a registry import)."""
        self._last_cycle = float("-inf")  # older than any max age, whatever the clock reads

    def _key_lock(self, key: Hashable) -> threading.Lock:
        with self._lock:
            return self._key_locks.setdefault(key, threading.Lock())

    # -- background refresh ------------------------------------------------------------------
    def _ensure_refresher(self) -> None:
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._stop.clear()
            self._last_cycle = self.clock()
            thread = threading.Thread(
                target=_refresher_loop, args=(weakref.ref(self),), name="gp-hot-refresh", daemon=True
            )
            self._thread = thread
        thread.start()

    def stop(self) -> None:
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(5)

    def cycle(self, *, force: bool = False) -> bool:
        """One check: rebuild every recently used body when the data moved or grew old.
        Returns whether a rebuild ran."""
        with self._cycle_lock:
            return self._cycle(force)

    def _cycle(self, force: bool) -> bool:
        now = self.clock()
        version: Hashable = None
        if self.version is not None:
            with self.new_uow() as uow:
                version = self.version(uow)
        stale = now - self._last_cycle >= self.max_age
        if not (force or stale or version != self._last_version):
            return False
        self._last_version = version
        self._last_cycle = now
        self._generation += 1
        for key, entry in list(self._entries.items()):
            if now - entry.used_at > self.keep:
                self._entries.pop(key, None)
                continue
            try:
                body = entry.produce()
            except Exception:  # keep serving the previous body; the next cycle retries
                log.exception("hot refresh of %r failed", key)
                continue
            made = self.clock()
            self._entries[key] = HotEntry(
                body, entry.media_type, etag_of(body), entry.produce, made, entry.used_at
            )
        # data no body asked for in this generation is dropped
        for key, datum in list(self._data.items()):
            if datum.generation != self._generation:
                self._data.pop(key, None)
        self.refreshes += 1
        return True

    @property
    def idle(self) -> bool:
        now = self.clock()
        return all(now - e.used_at > self.keep for e in list(self._entries.values()))


def _refresher_loop(ref: weakref.ReferenceType[HotCache]) -> None:
    cache = ref()
    if cache is None:
        return
    if cache.version is not None and cache._last_version is None:
        try:  # the baseline: the bodies just made are from this version (or a few ms older)
            with cache.new_uow() as uow:
                cache._last_version = cache.version(uow)
        except Exception:
            log.exception("hot refresh: reading the data version failed")
    del cache
    while True:
        cache = ref()
        if cache is None:
            return
        stop, interval = cache._stop, cache.check_seconds
        del cache
        if stop.wait(interval):
            return
        cache = ref()
        if cache is None:
            return
        try:
            cache.cycle()
        except Exception:  # a database hiccup: try again at the next check
            log.exception("hot refresh check failed")
        if cache.idle:  # nobody polls: stop (restarted by the next fill)
            with cache._lock:
                cache._thread = None
            return
        del cache


# -- the fast path ---------------------------------------------------------------------------


def _headers(scope: Scope) -> dict[bytes, bytes]:
    return {k: v for k, v in scope["headers"] if k in (b"authorization", b"cookie", b"if-none-match")}


class HotPathMiddleware:
    """Answer GETs of hot routes from :class:`HotCache` when everything is already known;
    otherwise pass the request on unchanged (the route then fills the cache).

    ``known_caller`` says who a request's credentials belong to without touching the database
    (the app's principal cache); a caller it does not know yet goes down the normal route.
    """

    def __init__(self, app: ASGIApp, *, cache: HotCache, known_caller: KnownCaller) -> None:
        self.app = app
        self.cache = cache
        self.known_caller = known_caller

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and not scope["query_string"]:
            route = self.cache.routes.get(scope["path"])
            if route is not None and await self._answer(route, scope, send):
                return
        await self.app(scope, receive, send)

    async def _answer(self, route: HotRoute, scope: Scope, send: Send) -> bool:
        hot = self.cache
        headers = _headers(scope)
        cookies = cookie_parser(headers[b"cookie"].decode("latin-1")) if b"cookie" in headers else {}
        principal = self.known_caller(headers.get(b"authorization", b"").decode("latin-1"), cookies)
        if principal is None or not route.gate.permits(principal):
            return False
        lang = i18n.pick_lang(None, cookies.get(i18n.LANG_COOKIE))
        entry = hot.get(route.key(principal, lang))
        if entry is None:
            return False
        out = [
            (b"content-type", entry.media_type.encode()),
            (b"cache-control", b"private, no-cache"),
        ]
        body = entry.body
        if route.csrf:
            token = cookies.get(auth.CSRF_COOKIE)
            if not token:
                token = auth.new_secret()
                out.append((b"set-cookie", f"{auth.CSRF_COOKIE}={token}; Path=/; SameSite=strict".encode()))
            body = with_csrf(body, token)
        else:
            out.append((b"etag", entry.etag.encode()))
            if headers.get(b"if-none-match") == entry.etag.encode():
                await send({"type": "http.response.start", "status": 304, "headers": out})
                await send({"type": "http.response.body", "body": b""})
                hot.hits += 1
                return True
        out.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": 200, "headers": out})
        await send({"type": "http.response.body", "body": body})
        hot.hits += 1
        return True
