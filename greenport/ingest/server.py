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
import logging
import os
import random
import re
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from greenport.accounts.passwords import verify_password
from greenport.ingest.metrics import Metrics, serve_metrics
from greenport.ingest.pipeline import ACCEPTED_WITHOUT_VALUES, UPLOAD_PERIODS, observations_of
from greenport.ingest.session import CRC_SETTING, AuthCache, ConnectionState, password_digest
from greenport.ingest.writer import BatchWriter
from greenport.kernel.time import utcnow
from greenport.monitoring import service as monitoring_service
from greenport.monitoring.model import DeviceRef, Frame, QuarantineEntry, QuarantineReason
from greenport.protocol import (
    DEFAULT_MAX_FRAME_SIZE,
    CrcError,
    CrcVariant,
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
    reply_for,
)
from greenport.storage.db import Database
from greenport.storage.uow import UnitOfWork

log = logging.getLogger("greenport.ingest")

_MN = re.compile(rb"MN=([^;,&]*)")


@dataclass
class IngestConfig:
    """Limits and timings of one ingest process (all have CLI options)."""

    host: str = "127.0.0.1"
    port: int = 9212
    metrics_host: str = "127.0.0.1"
    metrics_port: int | None = None
    max_connections: int = 10000
    max_connections_per_device: int = 2
    max_frame_size: int = DEFAULT_MAX_FRAME_SIZE  # [bytes]
    idle_timeout: float = 600.0  # [s] without any byte (HJ 212 loggers send at least every 30-60 s)
    frame_timeout: float = 30.0  # [s] to finish a frame once it started (slow-loris cut)
    max_auth_failures: int = 3  # refused frames before the connection is closed
    commit_interval: float = 0.005  # [s] group-commit gathering time
    max_batch_frames: int = 20000
    max_pending_frames: int = 200000
    auth_cache_ttl: float = 300.0  # [s]
    aggregate_interval: float = 60.0  # [s]; 0 = no aggregation in this process
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
    def __init__(self, db: Database, config: IngestConfig | None = None) -> None:
        self.db = db
        self.config = config or IngestConfig()
        self.metrics = Metrics()
        self.ids = FrameIds()
        self.auth_cache = AuthCache(ttl=self.config.auth_cache_ttl)
        self._reads = ThreadPoolExecutor(self.config.read_threads, thread_name_prefix="greenport-read")
        self.writer: BatchWriter | None = None
        self._server: asyncio.Server | None = None
        self._metrics_server: asyncio.Server | None = None
        self._aggregator: asyncio.Task[None] | None = None
        self._device_connections: dict[int, int] = defaultdict(int)
        self._last_seen: dict[int, tuple[datetime, datetime]] = {}  # device -> (data time, received)
        self._writers: set[asyncio.StreamWriter] = set()

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
        self.writer.start()
        self._server = await asyncio.start_server(
            self._handle, cfg.host, cfg.port, limit=cfg.max_frame_size * 2, reuse_port=cfg.reuse_port or None
        )
        if cfg.metrics_port is not None:
            self._metrics_server = await serve_metrics(self.metrics, cfg.metrics_host, cfg.metrics_port)
        if cfg.aggregate_interval > 0:
            self._aggregator = asyncio.get_running_loop().create_task(self._aggregate_loop())
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
        for writer in list(self._writers):
            writer.close()
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
        assert self.writer is not None
        self.metrics.frames["refused" if reason in _REFUSALS else "quarantined"] += 1
        self.metrics.error(reason.value)
        log.info("quarantined %s from %s (mn=%s field=%s): %s", reason.value, state.peer, mn, field, detail)
        self.writer.submit(
            quarantine=[
                QuarantineEntry(
                    received_at=utcnow(),
                    reason=reason.value,
                    raw=raw,
                    peer=state.peer,
                    mn=mn,
                    device_id=device.id if device else None,
                    field=field,
                    detail=(detail or "")[:2000],
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

    async def _variant_device(self, mn: str) -> DeviceRef | None:
        def lookup() -> DeviceRef | None:
            with UnitOfWork(self.db) as uow:
                return uow.monitoring.device_credentials(mn)

        return await asyncio.get_running_loop().run_in_executor(self._reads, lookup)

    # -- the connection loop ---------------------------------------------------------------------

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        cfg = self.config
        peername = writer.get_extra_info("peername")
        state = ConnectionState(peer=f"{peername[0]}:{peername[1]}" if peername else "?")
        self.metrics.connections_total += 1
        if self.metrics.connections >= cfg.max_connections:
            self.metrics.error(QuarantineReason.TOO_MANY_CONNECTIONS.value)
            log.warning(
                "connection from %s refused: %d connections open", state.peer, self.metrics.connections
            )
            writer.close()
            return
        self.metrics.connections += 1
        self._writers.add(writer)
        buffer = FrameBuffer(cfg.max_frame_size)
        counted: set[int] = set()
        try:
            while True:
                assert self.writer is not None
                await self.writer.wait_capacity()
                timeout = cfg.frame_timeout if buffer.pending else cfg.idle_timeout
                try:
                    data = await asyncio.wait_for(reader.read(65536), timeout)
                except TimeoutError:
                    if buffer.pending:
                        unfinished = b"".join(
                            item.raw or b"" if isinstance(item, FramingError) else item
                            for item in buffer.close()
                        )
                        self._quarantine(
                            QuarantineReason.IDLE,
                            unfinished,
                            state,
                            detail=f"slow connection: frame unfinished after {cfg.frame_timeout:g} s, cut",
                        )
                    else:
                        self.metrics.error(QuarantineReason.IDLE.value)
                        log.info("idle connection %s cut after %g s", state.peer, cfg.idle_timeout)
                    break
                if not data:
                    for item in buffer.close():
                        await self._item(item, state, writer, counted)
                    break
                for item in buffer.feed(data):
                    await self._item(item, state, writer, counted)
        except _Close:
            pass
        except (ConnectionError, asyncio.IncompleteReadError) as exc:
            log.debug("connection %s lost: %s", state.peer, exc)
        finally:
            self.metrics.connections -= 1
            self._writers.discard(writer)
            for device_id in counted:
                self._device_connections[device_id] -= 1
            writer.close()

    async def _item(
        self,
        item: bytes | FramingError,
        state: ConnectionState,
        writer: asyncio.StreamWriter,
        counted: set[int],
    ) -> None:
        if isinstance(item, FramingError):
            reason = _reason_of(item)
            mn_match = _MN.search(item.raw or b"")
            self._quarantine(
                reason,
                item.raw or b"",
                state,
                mn=mn_match.group(1).decode("utf-8", "replace") if mn_match else None,
                field=item.field,
                detail=item.message,
            )
            if reason is QuarantineReason.OVERSIZE:
                raise _Close
            return
        await self._frame(item, state, writer, counted)

    async def _frame(
        self, raw: bytes, state: ConnectionState, writer: asyncio.StreamWriter, counted: set[int]
    ) -> None:
        received = utcnow()
        started = time.perf_counter()
        msg: Message | None
        try:
            msg = decode(raw, allow_crc_variants=state.crc_variants)
        except CrcError as exc:
            msg = await self._retry_with_variant(raw, exc, state)
        except ProtocolError as exc:
            found = _MN.search(raw)
            self._quarantine(
                _reason_of(exc),
                raw,
                state,
                mn=found.group(1).decode("utf-8", "replace") if found else None,
                field=exc.field,
                detail=exc.message,
            )
            return
        if msg is None:
            return
        if msg.st == "91" or msg.cn in ("9011", "9012", "9013", "9014"):
            return  # a device's reply to one of our requests: nothing to store, nothing to answer
        device, reason = await self._device_for(msg.mn, msg.pw, state)
        if device is None:
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
            return
        if device.id not in counted:
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
            counted.add(device.id)
            self._maybe_request_history(msg, device, writer)
        if msg.cn in UPLOAD_PERIODS:
            frame_id = self.ids.next()
            try:
                observations = observations_of(msg, device, frame_id=frame_id, received_at=received)
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
        elif msg.cn in ACCEPTED_WITHOUT_VALUES:
            frame_id, observations = self.ids.next(), []
        else:
            self._quarantine(
                QuarantineReason.UNSUPPORTED_COMMAND,
                raw,
                state,
                mn=msg.mn,
                device=device,
                field="CN",
                detail=f"CN={msg.cn} is not something a device sends to the centre",
            )
            return
        if observations:
            self._last_seen[device.id] = (observations[0].data_time, received)
        assert self.writer is not None
        future = self.writer.submit(
            frames=[Frame(frame_id, received, msg.mn, msg.cn, raw, device.id, msg.qn, state.peer)],
            observations=observations,
            dirty=(
                ((device.site_id, observations[0].data_time.replace(minute=0, second=0, microsecond=0)),)
                if observations
                else ()
            ),
        )
        state.frames += 1
        reply = reply_for(msg)
        if reply is not None:
            payload = encode(reply)
            metrics = self.metrics

            def acknowledge(done: asyncio.Future[None]) -> None:
                if done.cancelled() or done.exception() is not None or writer.is_closing():
                    return
                writer.write(payload)
                metrics.acks += 1
                metrics.ack_latency.observe(time.perf_counter() - started)

            future.add_done_callback(acknowledge)

    async def _retry_with_variant(
        self, raw: bytes, error: CrcError, state: ConnectionState
    ) -> Message | None:
        found = _MN.search(raw)
        mn = found.group(1).decode("utf-8", "replace") if found else None
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

    def _maybe_request_history(self, msg: Message, device: DeviceRef, writer: asyncio.StreamWriter) -> None:
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
        writer.write(encode(request))

    # -- aggregation -----------------------------------------------------------------------------

    def _aggregate_once(self) -> int:
        before = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
        with UnitOfWork(self.db) as uow:
            return monitoring_service.process_dirty(uow, before=before)

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
