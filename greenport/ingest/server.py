"""``greenport ingest``: the asyncio HJ 212 TCP server.

Per connection: :class:`~greenport.protocol.FrameBuffer` -> :func:`~greenport.protocol.decode`
-> authenticate the MN/PW (argon2, cached) -> route the upload to observations
(:mod:`greenport.ingest.pipeline`) -> group commit (:mod:`greenport.ingest.writer`) -> and only
after the commit the 9014 reply (HJ 212-2017 §6.6, C.16). Everything refused is quarantined with
its raw bytes and a reason; nothing is dropped silently.

The process is stateless apart from caches: several can run side by side against one
PostgreSQL behind a TCP load balancer (``docs/ingest.md``).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import random
import re
import socket
import time
from collections import defaultdict, deque
from collections.abc import Callable, Coroutine, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from greenport.accounts.passwords import verify_password
from greenport.alarms import service as alarms_service
from greenport.alarms.model import Rule
from greenport.alarms.service import EvaluationReport
from greenport.cases.timer import CaseTimer
from greenport.ingest.limits import TokenBuckets
from greenport.ingest.metrics import Metrics, serve_metrics
from greenport.ingest.pipeline import ACCEPTED_WITHOUT_VALUES, UPLOAD_PERIODS, reading_row
from greenport.ingest.session import CRC_SETTING, AuthCache, ConnectionState, password_digest
from greenport.ingest.writer import BatchWriter
from greenport.kernel.time import utcnow
from greenport.monitoring import service as monitoring_service
from greenport.monitoring.model import AggregationFailure, DeviceRef, QuarantineEntry, QuarantineReason
from greenport.notifications import service as notifications_service
from greenport.notifications.model import Channel, NotificationConfig
from greenport.notifications.ports import Sender
from greenport.notifications.routes import shipped_routes
from greenport.protocol import (
    DEFAULT_MAX_FRAME_SIZE,
    CrcError,
    CrcVariant,
    EncodeError,
    FieldValueError,
    FormatError,
    FrameBuffer,
    FramingError,
    LengthError,
    Message,
    ProtocolError,
    decode,
    encode,
    history_request,
    make_qn,
    reply_frame,
)
from greenport.protocol.redact import mask_password, mask_password_text
from greenport.storage.db import Database
from greenport.storage.uow import UnitOfWork

log = logging.getLogger("greenport.ingest")

_MN = re.compile(rb"MN=([^;,&]*)")


def _claimed_mn(raw: bytes) -> str | None:
    """The MN a frame that could not be decoded claims, for the quarantine, or ``None``."""
    found = _MN.search(raw)
    return found.group(1).decode("utf-8", "replace") if found else None


@dataclass
class IngestConfig:
    """Limits and timings of one ingest process (all have CLI options)."""

    host: str = "127.0.0.1"
    port: int = 9212
    metrics_host: str = "127.0.0.1"
    metrics_port: int | None = None
    max_connections: int = 10000
    max_connections_per_device: int = 2
    #: open connections from one source address (a NAT may put several loggers behind one)
    max_connections_per_address: int = 100
    max_frame_size: int = DEFAULT_MAX_FRAME_SIZE  # [bytes]
    idle_timeout: float = 600.0  # [s] without any byte (HJ 212 loggers send at least every 30-60 s)
    #: [s] from the first byte of a frame to its acceptance (slow-loris cut); not reset by later bytes
    frame_timeout: float = 30.0
    quarantine_rate: float = 1.0  # [entries/s] stored per source address, after the burst
    quarantine_burst: int = 60  # entries an address may have stored at once
    quarantine_raw_limit: int = DEFAULT_MAX_FRAME_SIZE  # [bytes] of a refused item's raw bytes kept
    quarantine_retention_days: float = 90.0  # [d] quarantine entries are kept; 0 = for ever
    purge_interval: float = 3600.0  # [s] between purges of the quarantine; 0 = never in this process
    max_auth_failures: int = 3  # refused frames before the connection is closed
    commit_interval: float = 0.005  # [s] group-commit gathering time
    max_batch_frames: int = 20000
    max_pending_frames: int = 200000
    auth_cache_ttl: float = 300.0  # [s]
    auth_refresh: float = 30.0  # [s] between checks of the logged-in devices against the registry
    aggregate_interval: float = 60.0  # [s]; 0 = no aggregation in this process
    alarm_interval: float = 2.0  # [s] between passes of the alarm evaluator; 0 = none in this process
    #: [s] between passes of the case deadline timer, run by the alarm evaluator after a pass
    case_timer_seconds: float = 60.0
    #: the alarm rules (None: ``GREENPORT_ALARM_RULES`` or the shipped ones, read at start)
    alarm_rules: tuple[Rule, ...] | None = None
    #: who hears of an alarm (None: the shipped routes); senders of e-mail and webhooks (None: the
    #: rows wait in the outbox for ``greenport notifications deliver``; in-app needs no sender)
    notifications: NotificationConfig | None = None
    senders: Mapping[Channel, Sender] | None = None
    resend_gap: float = 3600.0  # [s]; a device back after a longer silence is asked for the hours missed
    read_threads: int = 4
    reuse_port: bool = False  # SO_REUSEPORT: several processes accept on one port (``--workers``)


class FrameIds:
    """63-bit frame ids unique across processes: milliseconds << 22 | node (10 bits) << 12 | sequence."""

    def __init__(self, node: int | None = None) -> None:
        self.node = (node if node is not None else random.SystemRandom().getrandbits(10)) & 0x3FF
        self._ms = 0
        self._seq = 0

    def next(self) -> int:
        ms = int(time.time() * 1000)
        if ms <= self._ms:
            self._seq += 1
            if self._seq >= 4096:
                self._ms += 1
                self._seq = 0
            ms = self._ms
        else:
            self._ms, self._seq = ms, 0
        return (ms << 22) | (self.node << 12) | self._seq


def _reason_of(error: ProtocolError) -> QuarantineReason:
    if isinstance(error, CrcError):
        return QuarantineReason.CRC
    if isinstance(error, LengthError):
        return QuarantineReason.LENGTH
    if isinstance(error, FramingError):
        return QuarantineReason.OVERSIZE if "longer than" in error.message else QuarantineReason.FRAMING
    if isinstance(error, FieldValueError):
        return QuarantineReason.BAD_VALUE
    if isinstance(error, FormatError):
        return QuarantineReason.SYNTAX
    return QuarantineReason.SYNTAX


class _Close(Exception):
    """Internal: the connection must be closed (reason already recorded)."""


class IngestServer:
    def __init__(
        self,
        db: Database,
        config: IngestConfig | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db = db
        self.config = config or IngestConfig()
        self.metrics = Metrics()
        #: quarantine entries each source address may still store (``clock``: tests inject one)
        self.quarantine_budget = TokenBuckets(
            rate=self.config.quarantine_rate, burst=self.config.quarantine_burst, clock=clock
        )
        self._address_connections: dict[str, int] = defaultdict(int)
        self._purger: asyncio.Task[None] | None = None
        self._alarmer: asyncio.Task[None] | None = None
        self._alarm_rules: tuple[Rule, ...] = ()
        #: the alarm evaluator's and the case timer's "now" [UTC] (tests inject one to move time)
        self._wall_clock = wall_clock
        self._case_timer = CaseTimer(
            every=timedelta(seconds=self.config.case_timer_seconds),
            routes=None if self.config.notifications is None else self.config.notifications.routes,
        )
        #: names this process in the alarm evaluator's lease (one evaluator at a time)
        self._alarm_holder = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"[:80]
        self.ids = FrameIds()
        self.auth_cache = AuthCache(ttl=self.config.auth_cache_ttl)
        self._reads = ThreadPoolExecutor(self.config.read_threads, thread_name_prefix="greenport-read")
        self.writer: BatchWriter | None = None
        self._server: asyncio.Server | None = None
        self._metrics_server: asyncio.Server | None = None
        self._aggregator: asyncio.Task[None] | None = None
        self._device_connections: dict[int, int] = defaultdict(int)
        self._last_seen: dict[int, tuple[datetime, datetime]] = {}  # device -> (data time, received)
        self._connections: set[_Connection] = set()
        self._clock = 0.0
        self._now_at = utcnow()
        self._now_db: object = None
        self._sweeper: asyncio.Task[None] | None = None
        self._revalidator: asyncio.Task[None] | None = None

    # -- lifecycle -------------------------------------------------------------------------------

    async def start(self) -> None:
        cfg = self.config
        self.writer = BatchWriter(
            self.db,
            self.metrics,
            commit_interval=cfg.commit_interval,
            max_batch_frames=cfg.max_batch_frames,
            max_pending_frames=cfg.max_pending_frames,
        )
        self.writer.on_pressure = self._on_pressure
        self.writer.start()
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: _Connection(self), cfg.host, cfg.port, reuse_port=cfg.reuse_port or None
        )
        self._sweeper = loop.create_task(self._sweep_loop())
        if cfg.auth_refresh > 0:
            self._revalidator = loop.create_task(self._revalidate_loop())
        if cfg.metrics_port is not None:
            self._metrics_server = await serve_metrics(self.metrics, cfg.metrics_host, cfg.metrics_port)
        if cfg.aggregate_interval > 0:
            self._aggregator = asyncio.get_running_loop().create_task(self._aggregate_loop())
        if cfg.purge_interval > 0 and cfg.quarantine_retention_days > 0:
            self._purger = loop.create_task(self._purge_loop())
        if cfg.alarm_interval > 0:
            self._alarm_rules = cfg.alarm_rules if cfg.alarm_rules is not None else alarms_service.rules()
            self._alarmer = loop.create_task(self._alarm_loop())
        log.info("HJ 212 server listening on %s:%d (pid %d)", cfg.host, self.port, os.getpid())

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.sockets[0].getsockname()[1])

    @property
    def metrics_port(self) -> int | None:
        if self._metrics_server is None:
            return None
        return int(self._metrics_server.sockets[0].getsockname()[1])

    async def serve_forever(self) -> None:
        assert self._server is not None
        await self._server.serve_forever()

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for conn in list(self._connections):
            conn.close()
        for task in (self._sweeper, self._revalidator, self._purger, self._alarmer):
            if task is not None:
                task.cancel()
        if self._metrics_server is not None:
            self._metrics_server.close()
        if self._aggregator is not None:
            self._aggregator.cancel()
        if self.writer is not None:
            await self.writer.close()
        self._reads.shutdown(wait=False, cancel_futures=True)

    # -- helpers ---------------------------------------------------------------------------------

    def _quarantine(
        self,
        reason: QuarantineReason,
        raw: bytes,
        state: ConnectionState,
        *,
        mn: str | None = None,
        device: DeviceRef | None = None,
        field: str | None = None,
        detail: str | None = None,
    ) -> None:
        """Record a refused item: counted always; stored (its raw bytes cut to
        ``quarantine_raw_limit``, passwords masked) unless its source address is over its
        quarantine budget. Entries of an authenticated device and server errors (kept to be
        replayed) are not limited."""
        assert self.writer is not None
        self.metrics.frames["refused" if reason in _REFUSALS else "quarantined"] += 1
        self.metrics.error(reason.value)
        if (
            device is None
            and reason is not QuarantineReason.SERVER_ERROR
            and not self.quarantine_budget.take(state.address)
        ):
            self.metrics.quarantine_dropped += 1
            log.debug("not stored (over the quarantine limit of %s): %s", state.address, reason.value)
            return
        log.info("quarantined %s from %s (mn=%s field=%s): %s", reason.value, state.peer, mn, field, detail)
        text = mask_password_text((detail or "")[:2000])
        limit = self.config.quarantine_raw_limit
        if len(raw) > limit:  # junk: keep a prefix, its length and hash (it may be megabytes)
            text += f" [raw {len(raw)} bytes, sha256 {hashlib.sha256(raw).hexdigest()}; first {limit} kept]"
            raw = raw[:limit]
        self.writer.submit(
            quarantine=[
                QuarantineEntry(
                    received_at=utcnow(),
                    reason=reason.value,
                    raw=mask_password(raw),
                    peer=state.peer,
                    mn=mn,
                    device_id=device.id if device else None,
                    field=field,
                    detail=text,
                )
            ]
        )

    def _lookup(self, mn: str, password: str | None) -> tuple[DeviceRef | None, str]:
        """(device, "") or (None|device, reason); runs in a thread (argon2 and SQL block)."""
        with UnitOfWork(self.db) as uow:
            device = uow.monitoring.device_credentials(mn)
        if device is None:
            return None, QuarantineReason.UNKNOWN_MN.value
        if not device.active:
            return None, QuarantineReason.UNKNOWN_MN.value
        if not verify_password(device.password_hash, password or ""):
            return None, QuarantineReason.BAD_PASSWORD.value
        return device, ""

    async def _device_for(
        self, mn: str, password: str | None, state: ConnectionState
    ) -> tuple[DeviceRef | None, str]:
        device = state.known(mn, password)
        if device is not None:
            return device, ""
        cached = self.auth_cache.get(mn, password)
        if cached is None:
            loop = asyncio.get_running_loop()
            device, reason = await loop.run_in_executor(self._reads, self._lookup, mn, password)
            self.auth_cache.put(mn, password, device, reason)
        else:
            device, reason = cached
        if device is not None:
            state.devices[mn] = (password_digest(password), device)
        return device, reason

    async def revalidate(self) -> set[str]:
        """Forget the log-ins whose device changed in the registry since it was verified (password,
        active, site, CRC setting, or gone): from every connection and from the process-wide
        cache, so that the device's next frame is checked again. Returns the MNs forgotten.

        Run every ``auth_refresh`` seconds: a disabled device or a new password takes effect within
        that time, on connections already open too (not only after the cache entry expires)."""
        held: dict[str, set[DeviceRef]] = defaultdict(set)
        for conn in self._connections:
            for device in conn.logged_in.values():
                held[device.mn].add(device)
            for _, device in conn.state.devices.values():
                held[device.mn].add(device)
        for device in self.auth_cache.devices():
            held[device.mn].add(device)
        if not held:
            return set()

        def current() -> dict[str, DeviceRef]:
            with UnitOfWork(self.db) as uow:
                return uow.monitoring.devices_by_mn(held)

        now = await asyncio.get_running_loop().run_in_executor(self._reads, current)
        stale = {mn for mn, devices in held.items() if any(device != now.get(mn) for device in devices)}
        for mn in stale:
            self.auth_cache.forget(mn)
            log.info("device %s changed in the registry: its log-ins are checked again", mn)
        if stale:
            for conn in self._connections:
                for key in [key for key, device in conn.logged_in.items() if device.mn in stale]:
                    del conn.logged_in[key]
                for mn in stale & conn.state.devices.keys():
                    del conn.state.devices[mn]
        return stale

    async def _revalidate_loop(self) -> None:
        while True:
            await asyncio.sleep(self.config.auth_refresh)
            try:
                await self.revalidate()
            except Exception as exc:  # the registry unreachable: keep serving, try again later
                log.warning("checking the logged-in devices failed: %s", exc)

    async def _variant_device(self, mn: str) -> DeviceRef | None:
        def lookup() -> DeviceRef | None:
            with UnitOfWork(self.db) as uow:
                return uow.monitoring.device_credentials(mn)

        return await asyncio.get_running_loop().run_in_executor(self._reads, lookup)

    # -- connections -----------------------------------------------------------------------------

    def _now(self) -> datetime:
        """The reception time [UTC], read from the clock at most once a millisecond (frames that
        arrive within the same millisecond share it, and its database form)."""
        now = time.time()
        if now - self._clock >= 0.001 or now < self._clock:
            self._clock = now
            self._now_at = datetime.fromtimestamp(now, UTC)
            assert self.writer is not None
            self._now_db = self.writer.time_value(self._now_at)
        return self._now_at

    def _on_pressure(self, on: bool) -> None:
        """Back-pressure: every connection stops reading while too many frames wait for the disk."""
        for conn in list(self._connections):
            conn.pause(on)

    async def _sweep_loop(self) -> None:
        """Cut idle connections and slow ones: bytes received ``frame_timeout`` ago (the first
        byte after the last accepted frame) and no frame accepted since, so a sender trickling a
        byte a second is cut as surely as one that stops."""
        cfg = self.config
        interval = min(1.0, max(0.05, min(cfg.idle_timeout, cfg.frame_timeout) / 4))
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(interval)
            now = loop.time()
            for conn in list(self._connections):
                if conn.closed:
                    continue
                silent = now - conn.last_read
                started = conn.frame_started
                if started is not None and now - started > cfg.frame_timeout:
                    unfinished = b"".join(
                        item.raw or b"" if isinstance(item, FramingError) else item
                        for item in conn.buffer.close()
                    )
                    self._quarantine(
                        QuarantineReason.IDLE,
                        unfinished,
                        conn.state,
                        detail=f"slow connection: no frame accepted {cfg.frame_timeout:g} s after its "
                        "first byte, cut",
                    )
                    conn.close()
                elif silent > cfg.idle_timeout and started is None:
                    self.metrics.error(QuarantineReason.IDLE.value)
                    log.info("idle connection %s cut after %g s", conn.state.peer, cfg.idle_timeout)
                    conn.close()

    def _item(self, item: bytes | FramingError, conn: _Connection) -> Coroutine[Any, Any, None] | None:
        """Handle one framed item synchronously; a coroutine when it needs to wait (a device's
        first log-in, a CRC-variant lookup), which the connection awaits before its next item."""
        if isinstance(item, FramingError):
            reason = _reason_of(item)
            self._quarantine(
                reason,
                item.raw or b"",
                conn.state,
                mn=_claimed_mn(item.raw or b""),
                field=item.field,
                detail=item.message,
            )
            if reason is QuarantineReason.OVERSIZE:
                raise _Close
            return None
        started = time.perf_counter()
        received = self._now()
        try:
            msg = decode(item, allow_crc_variants=conn.state.crc_variants)
        except CrcError as exc:
            return self._frame_with_variant(item, exc, conn, received, started)
        except ProtocolError as exc:
            self._quarantine(
                _reason_of(exc),
                item,
                conn.state,
                mn=_claimed_mn(item),
                field=exc.field,
                detail=exc.message,
            )
            return None
        return self._route(item, msg, conn, received, started)

    async def _frame_with_variant(
        self, raw: bytes, error: CrcError, conn: _Connection, received: datetime, started: float
    ) -> None:
        msg = await self._retry_with_variant(raw, error, conn.state)
        if msg is not None:
            pending = self._route(raw, msg, conn, received, started)
            if pending is not None:
                await pending

    def _route(
        self, raw: bytes, msg: Message, conn: _Connection, received: datetime, started: float
    ) -> Coroutine[Any, Any, None] | None:
        if msg.st == "91" or msg.cn in ("9011", "9012", "9013", "9014"):
            return None  # a device's reply to one of our requests: nothing to store, nothing to answer
        device = conn.logged_in.get((msg.mn, msg.pw))
        if device is None:
            cached = self.auth_cache.get(msg.mn, msg.pw)
            if cached is None:
                return self._route_after_lookup(raw, msg, conn, received, started)
            device, reason = cached
            if device is None:
                self._refuse(raw, msg, reason, conn)
                return None
            conn.logged_in[(msg.mn, msg.pw)] = device
        self._accept(raw, msg, device, conn, received, started)
        return None

    async def _route_after_lookup(
        self, raw: bytes, msg: Message, conn: _Connection, received: datetime, started: float
    ) -> None:
        device, reason = await self._device_for(msg.mn, msg.pw, conn.state)
        if device is None:
            self._refuse(raw, msg, reason, conn)
            return
        conn.logged_in[(msg.mn, msg.pw)] = device
        self._accept(raw, msg, device, conn, received, started)

    def _refuse(self, raw: bytes, msg: Message, reason: str, conn: _Connection) -> None:
        state = conn.state
        self._quarantine(
            QuarantineReason(reason),
            raw,
            state,
            mn=msg.mn,
            field="PW" if reason == "bad_password" else "MN",
            detail=f"device {msg.mn!r} refused: {reason}",
        )
        state.failures += 1
        if state.failures >= self.config.max_auth_failures:
            log.warning("closing %s after %d refused frames", state.peer, state.failures)
            raise _Close

    def _accept(
        self,
        raw: bytes,
        msg: Message,
        device: DeviceRef,
        conn: _Connection,
        received: datetime,
        started: float,
    ) -> None:
        """Route an authenticated frame to the open batch; its reply goes out after the commit."""
        state = conn.state
        conn.frame_started = None if not conn.buffer.pending else conn._time()
        if device.id not in conn.counted and not conn.closed:
            if self._device_connections[device.id] >= self.config.max_connections_per_device:
                self._quarantine(
                    QuarantineReason.TOO_MANY_CONNECTIONS,
                    raw,
                    state,
                    mn=msg.mn,
                    device=device,
                    detail=f"device already has {self._device_connections[device.id]} connection(s)",
                )
                raise _Close
            self._device_connections[device.id] += 1
            conn.counted.add(device.id)
            self._maybe_request_history(msg, device, conn)
        cn = msg.cn
        writer = self.writer
        assert writer is not None
        tv = writer.time_value
        frame_id = self.ids.next()
        if cn in UPLOAD_PERIODS:
            try:
                reading, data_time = reading_row(
                    msg, device, frame_id=frame_id, received_at=received, time_value=tv
                )
            except FieldValueError as exc:
                self._quarantine(
                    QuarantineReason.BAD_VALUE,
                    raw,
                    state,
                    mn=msg.mn,
                    device=device,
                    field=exc.field,
                    detail=exc.message,
                )
                return
        elif cn in ACCEPTED_WITHOUT_VALUES:
            reading, data_time = None, None
        else:
            self._quarantine(
                QuarantineReason.UNSUPPORTED_COMMAND,
                raw,
                state,
                mn=msg.mn,
                device=device,
                field="CN",
                detail=f"CN={cn} is not something a device sends to the centre",
            )
            return
        dirty = None
        if reading is not None and data_time is not None:
            self._last_seen[device.id] = (data_time, received)
            dirty = (device.site_id, data_time.replace(minute=0, second=0, microsecond=0))
        payload = conn.reply(msg)
        writer.add(
            (
                frame_id,
                self._now_db if received is self._now_at else tv(received),
                device.id,
                msg.mn,
                cn,
                msg.qn,
                state.peer,
                mask_password(raw),  # the audit copy: PW masked (greenport.protocol.redact)
            ),
            reading,
            dirty,
            None if payload is None or conn.transport is None else (conn.transport, payload, started),
            data_time,
        )
        state.frames += 1

    async def _retry_with_variant(
        self, raw: bytes, error: CrcError, state: ConnectionState
    ) -> Message | None:
        mn = _claimed_mn(raw)
        device = await self._variant_device(mn) if mn else None
        variant = CRC_SETTING.get(device.crc_variant) if device else None
        if variant is not None and variant is not CrcVariant.HJ212:
            try:
                msg = decode(raw, allow_crc_variants={variant})
            except ProtocolError as exc:
                self._quarantine(
                    _reason_of(exc), raw, state, mn=mn, device=device, field=exc.field, detail=exc.message
                )
                return None
            state.crc_variants = state.crc_variants | {variant}
            return msg
        self._quarantine(
            QuarantineReason.CRC, raw, state, mn=mn, device=device, field=error.field, detail=error.message
        )
        return None

    def _maybe_request_history(self, msg: Message, device: DeviceRef, conn: _Connection) -> None:
        """A device back after a gap: ask it for the hourly data it missed (C.21, CN 2061)."""
        if self.config.resend_gap <= 0:
            return
        seen = self._last_seen.get(device.id)
        now = utcnow()
        if seen is None or now - seen[1] < timedelta(seconds=self.config.resend_gap):
            return
        begin = seen[0].replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        end = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
        if end < begin:
            return
        request = history_request(
            "2061", st=msg.st, mn=msg.mn, pw=msg.pw, qn=make_qn(now), begin=begin, end=end
        )
        log.info("device %s back after %s: asking for hours %s .. %s", msg.mn, now - seen[1], begin, end)
        if conn.transport is not None:
            conn.transport.write(encode(request))

    # -- aggregation -----------------------------------------------------------------------------

    def _aggregate_once(self) -> int:
        before = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
        failures: list[AggregationFailure] = []
        taken: list[tuple[int, datetime]] = []
        with UnitOfWork(self.db) as uow:
            count = monitoring_service.process_dirty(uow, before=before, failures=failures, taken=taken)
            alarms_service.mark_dirty(uow, marks=taken)  # the rules on means re-read these hours
        for failure in failures:  # recorded in monitoring_aggregation_failures; the others went on
            self.metrics.error("aggregation")
            log.error(
                "aggregation of site %d hour %s failed: %s",
                failure.site_id,
                failure.period_start.isoformat(),
                failure.error,
            )
        return count

    def _purge_once(self) -> int:
        """Delete the quarantine entries older than the retention; the number deleted."""
        now = utcnow()
        before = now - timedelta(days=self.config.quarantine_retention_days)
        with UnitOfWork(self.db) as uow:
            # runs of a rule that never fired are bookkeeping, not alarms: dropped after a day
            alarms_service.purge_unfired(uow, before=now - alarms_service.UNFIRED_RETENTION)
            return monitoring_service.purge_quarantine(uow, before=before)

    async def _purge_loop(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                purged = await loop.run_in_executor(self._reads, self._purge_once)
            except Exception as exc:  # the database unreachable: keep serving, try again later
                log.warning("purging the quarantine failed: %s", exc)
            else:
                self.metrics.quarantine_purged += purged
                if purged:
                    log.info(
                        "purged %d quarantine entries older than %g days",
                        purged,
                        self.config.quarantine_retention_days,
                    )
            await asyncio.sleep(self.config.purge_interval)

    def _evaluate_alarms_once(self) -> EvaluationReport:
        """One pass: evaluate (reading without the write lock), then write the alarms and the
        notices of what fired or resolved in one transaction (an alarm and its notices commit
        together); then one delivery pass."""
        now = self._wall_clock()
        routes = (self.config.notifications or shipped_routes()).routes
        report = alarms_service.evaluate_pass(
            lambda: UnitOfWork(self.db),
            rules=self._alarm_rules,
            routes=routes,
            now=now,
            holder=self._alarm_holder,
        )
        self.metrics.alarm_passes += int(report.ran)
        self.metrics.alarms_opened += report.opened
        if report.ran:
            self._cases_once(now)
        if self.config.senders and report.ran:
            policy = (self.config.notifications or shipped_routes()).retry
            notifications_service.deliver_due(
                lambda: UnitOfWork(self.db), now=now, senders=self.config.senders, policy=policy
            )
        return report

    def _cases_once(self, now: datetime) -> None:
        """After a pass this process evaluated: open the cases of the alarms that fired, and step
        the deadlines when the case timer is due (docs/cases.md "Timer"); a failure is logged and
        leaves the alarms written (the next pass retries: both are idempotent)."""
        try:
            done = self._case_timer.after_pass(lambda: UnitOfWork(self.db), now=now)
        except Exception:
            self.metrics.error("cases")
            log.exception("the case timer failed (will retry)")
            return
        if done.opened or done.steps:
            log.info("cases: opened %s, deadline steps %s", done.opened, done.steps)

    async def _alarm_loop(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(self.config.alarm_interval)
            try:
                report = await loop.run_in_executor(self._reads, self._evaluate_alarms_once)
                if report.opened or report.changed:
                    log.info("alarm evaluation: %s", report.to_dict())
            except Exception:
                self.metrics.error("alarms")
                log.exception("alarm evaluation failed (will retry)")

    async def _aggregate_loop(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(self.config.aggregate_interval)
            try:
                count = await loop.run_in_executor(self._reads, self._aggregate_once)
                if count:
                    log.info("recomputed aggregates of %d (site, hour) marks", count)
            except Exception:
                log.exception("aggregation failed (will retry)")


class _Connection(asyncio.Protocol):
    """One device connection: bytes -> frames -> :meth:`IngestServer._item`, in order.

    Frames are handled synchronously in ``data_received`` (the common case: a device already
    logged in on this connection); a frame that must wait (first log-in, CRC-variant lookup)
    parks the ones behind it in ``queue`` until it is done, so a connection's frames are always
    handled in the order they came.
    """

    def __init__(self, server: IngestServer) -> None:
        self.server = server
        self.transport: asyncio.Transport | None = None
        self.state = ConnectionState(peer="?")
        self.buffer = FrameBuffer(server.config.max_frame_size)
        self.counted: set[int] = set()
        #: (MN, PW) -> device, for the devices that logged in on this connection
        self.logged_in: dict[tuple[str, str | None], DeviceRef] = {}
        self.queue: deque[bytes | FramingError | None] = deque()  # None = end of stream
        self.busy = False
        self.closed = False
        self.refused = False
        self._time = asyncio.get_running_loop().time
        self.last_read = self._time()
        #: loop time of the first byte received since the last accepted frame (None: none since)
        self.frame_started: float | None = None

    # -- asyncio.Protocol ----------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        server = self.server
        self.transport = transport  # type: ignore[assignment]  # uvloop's is not an asyncio.Transport
        peername = transport.get_extra_info("peername")
        self.state.peer = f"{peername[0]}:{peername[1]}" if peername else "?"
        self.state.address = str(peername[0]) if peername else "?"
        metrics = server.metrics
        metrics.connections_total += 1
        address = self.state.address
        full = metrics.connections >= server.config.max_connections
        if full or server._address_connections[address] >= server.config.max_connections_per_address:
            metrics.error(QuarantineReason.TOO_MANY_CONNECTIONS.value)
            log.warning(
                "connection from %s refused: %d connections open (%d from that address)",
                self.state.peer,
                metrics.connections,
                server._address_connections[address],
            )
            self.refused = True
            self.closed = True
            transport.close()
            return
        server._address_connections[address] += 1
        metrics.connections += 1
        server._connections.add(self)
        if server.writer is not None and server.writer.pressure:
            self.pause(True)

    def data_received(self, data: bytes) -> None:
        if self.closed:
            return
        self.last_read = now = self._time()
        if self.frame_started is None:
            self.frame_started = now
        items = self.buffer.feed(data)
        if not items:
            return
        if self.busy or self.queue:
            self.queue.extend(items)
            return
        handle = self._handle
        for index, item in enumerate(items):
            if not handle(item):
                if not self.closed:  # the rest waits for the awaited step
                    self.queue.extend(items[index + 1 :])
                return

    def eof_received(self) -> bool:
        if not self.closed:
            self.queue.extend(self.buffer.close())
            self.queue.append(None)
            if not self.busy:
                self._drain()
        return True  # closed by _drain once the queue is handled

    def connection_lost(self, exc: Exception | None) -> None:
        if exc is not None:
            log.debug("connection %s lost: %s", self.state.peer, exc)
        self.closed = True
        if self.refused:
            return
        server = self.server
        if self in server._connections:
            server._connections.discard(self)
            server.metrics.connections -= 1
            address = self.state.address
            server._address_connections[address] -= 1
            if not server._address_connections[address]:
                del server._address_connections[address]
            for device_id in self.counted:
                server._device_connections[device_id] -= 1
            self.counted.clear()

    # -- helpers -------------------------------------------------------------------------------------

    def pause(self, on: bool) -> None:
        if self.transport is None or self.closed:
            return
        if on:
            self.transport.pause_reading()
        else:
            self.transport.resume_reading()

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    def _handle(self, item: bytes | FramingError) -> bool:
        """Handle one item; False when the items behind it must wait (it started an awaited
        step) or the connection was closed."""
        try:
            pending = self.server._item(item, self)
        except _Close:
            self.close()
            return False
        except Exception as exc:
            self._failed(item, exc)
            return True
        if pending is not None:
            self._wait(pending, item)
            return False
        return True

    def _drain(self) -> None:
        """Handle queued items until one must wait (or the queue is empty)."""
        queue = self.queue
        while queue:
            item = queue.popleft()
            if item is None:
                self.close()
                return
            if not self._handle(item):
                return

    def _wait(self, pending: Coroutine[Any, Any, None], item: bytes | FramingError) -> None:
        self.busy = True
        asyncio.get_running_loop().create_task(self._finish(pending, item))

    async def _finish(self, pending: Coroutine[Any, Any, None], item: bytes | FramingError) -> None:
        try:
            await pending
        except _Close:
            self.close()
            return
        except Exception as exc:
            self._failed(item, exc)
        finally:
            self.busy = False
        self._drain()

    def _failed(self, item: bytes | FramingError, error: Exception) -> None:
        """The server failed on a frame (a bug, not the device's fault): the frame is quarantined
        with its raw bytes, to be replayed once mended, and not acknowledged, so the device keeps
        it too; the connection and its next frames go on."""
        log.error("frame from %s failed", self.state.peer, exc_info=error)
        raw = (item.raw or b"") if isinstance(item, FramingError) else item
        self.server._quarantine(
            QuarantineReason.SERVER_ERROR,
            raw,
            self.state,
            mn=_claimed_mn(raw),
            detail=f"{type(error).__name__}: {error}",
        )

    def reply(self, msg: Message) -> bytes | None:
        """The reply owed to ``msg`` (:func:`greenport.protocol.reply_frame`: the usual 9014 from
        a cached tail), or ``None`` when none is owed or it cannot be written."""
        try:
            return reply_frame(msg)
        except EncodeError as exc:
            log.warning("no reply to %s from %s: %s", msg.cn, self.state.peer, exc.message)
            return None


_REFUSALS = {
    QuarantineReason.UNKNOWN_MN,
    QuarantineReason.BAD_PASSWORD,
    QuarantineReason.TOO_MANY_CONNECTIONS,
}


async def run(db: Database, config: IngestConfig, *, ready: asyncio.Event | None = None) -> None:
    """Run a server until cancelled."""
    server = IngestServer(db, config)
    await server.start()
    if ready is not None:
        ready.set()
    try:
        await server.serve_forever()
    finally:
        await server.close()


__all__ = ["FrameIds", "IngestConfig", "IngestServer", "run"]
