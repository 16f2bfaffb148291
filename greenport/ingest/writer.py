"""Group commit: frames from every connection are written in one transaction every few ms.

``BatchWriter.add`` appends a frame's rows (plain tuples in table column order, instants already
converted by :func:`time_value_for`) and its reply to the open batch; the writer thread commits the
batch (one transaction, ``synchronous=FULL`` on SQLite) and only then, back on the event loop,
writes the replies of the batch to their connections. While a batch commits, the next one fills up,
so the database sees a few large transactions per second instead of one per frame.
``BatchWriter.submit`` takes domain objects (frames, observations, quarantine entries) and returns
the batch's future, for the rare paths.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from greenport.alarms import service as alarms_service
from greenport.ingest.metrics import Metrics
from greenport.monitoring.model import Frame, Observation, QuarantineEntry
from greenport.storage.db import Database
from greenport.storage.monitoring_repo import cached_time_value, frame_row, reading_rows
from greenport.storage.uow import UnitOfWork

log = logging.getLogger("greenport.ingest.writer")


class ReplyTarget(Protocol):
    """Where a reply goes once its batch is committed (an asyncio transport)."""

    def is_closing(self) -> bool: ...

    def write(self, data: bytes) -> None: ...


@dataclass
class Batch:
    future: asyncio.Future[None]
    frames: list[tuple[Any, ...]] = field(default_factory=list)
    #: readings (one row of ``observations`` each) and the number of values they hold
    observations: list[tuple[Any, ...]] = field(default_factory=list)
    values: int = 0
    quarantine: list[QuarantineEntry] = field(default_factory=list)
    dirty: set[tuple[int, datetime]] = field(default_factory=set)
    #: site -> earliest data time stored in the batch (where the alarm rules look again)
    changed: dict[int, datetime] = field(default_factory=dict)
    #: (transport, reply frame, perf_counter at arrival) written after the commit
    replies: list[tuple[ReplyTarget, bytes, float]] = field(default_factory=list)

    @property
    def size(self) -> int:
        return len(self.frames) + len(self.quarantine)


class BatchWriter:
    """The single writer of an ingest process (Datasette's one-write-thread pattern)."""

    def __init__(
        self,
        db: Database,
        metrics: Metrics,
        *,
        commit_interval: float = 0.005,
        max_batch_frames: int = 20000,
        max_pending_frames: int = 200000,
    ) -> None:
        self.db = db
        self.metrics = metrics
        self.commit_interval = commit_interval
        self.max_batch_frames = max_batch_frames
        self.max_pending_frames = max_pending_frames
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="greenport-writer")
        self._batches: deque[Batch] = deque()
        self._wakeup = asyncio.Event()
        self._capacity = asyncio.Event()
        self._capacity.set()
        self._pending = 0
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        #: instant -> driver value of a time column (text on SQLite), memoized; the event loop's own
        self.time_value: Callable[[datetime], Any] = cached_time_value(db.dialect)
        #: called with True when back-pressure starts (too many frames wait), False when it ends
        self.on_pressure: Callable[[bool], None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="greenport-writer")

    def _open_batch(self) -> Batch:
        """The batch being filled; a full one (``max_batch_frames``) is left for the writer."""
        if not self._batches or len(self._batches[-1].frames) >= self.max_batch_frames:
            self._batches.append(Batch(asyncio.get_running_loop().create_future()))
        return self._batches[-1]

    def add(
        self,
        frame: tuple[Any, ...],
        reading: tuple[Any, ...] | None,
        dirty: tuple[int, datetime] | None,
        reply: tuple[ReplyTarget, bytes, float] | None,
        data_time: datetime | None = None,
    ) -> None:
        """Queue one frame's rows (its audit row and its reading, whose ``n_values`` is at
        index 7), and its reply, sent after the commit: the ingest hot path. ``dirty`` is the
        reading's (site, hour), ``data_time`` its DataTime (where the alarm rules look again)."""
        batch = self._open_batch()
        batch.frames.append(frame)
        if reading is not None:
            batch.observations.append(reading)
            batch.values += reading[7]
        if dirty is not None:
            batch.dirty.add(dirty)
            site_id = dirty[0]
            moment = data_time or dirty[1]
            known = batch.changed.get(site_id)
            if known is None or moment < known:
                batch.changed[site_id] = moment
        if reply is not None:
            batch.replies.append(reply)
        self._pending += 1
        if self._pending >= self.max_pending_frames:
            self._pressure(True)
        self._wakeup.set()

    def submit(
        self,
        *,
        frames: Iterable[Frame] = (),
        observations: Iterable[Observation] = (),
        quarantine: Iterable[QuarantineEntry] = (),
        dirty: Iterable[tuple[int, datetime]] = (),
    ) -> asyncio.Future[None]:
        """Queue domain objects for the next commit; the returned future resolves once they are durable."""
        tv = self.time_value
        batch = self._open_batch()
        before = batch.size
        batch.frames.extend(frame_row(f, tv) for f in frames)
        readings = reading_rows(observations, tv)
        batch.observations.extend(readings)
        batch.values += sum(row[7] for row in readings)
        batch.quarantine.extend(quarantine)
        for site_id, hour in dirty:
            known = batch.changed.get(site_id)
            if known is None or hour < known:
                batch.changed[site_id] = hour
        batch.dirty.update(dirty)
        self._pending += batch.size - before
        if self._pending >= self.max_pending_frames:
            self._pressure(True)
        self._wakeup.set()
        return batch.future

    def _pressure(self, on: bool) -> None:
        if on == (not self._capacity.is_set()):
            return
        if on:
            self._capacity.clear()
        else:
            self._capacity.set()
        if self.on_pressure is not None:
            self.on_pressure(on)

    @property
    def pressure(self) -> bool:
        """True while too many frames wait for the disk (connections should stop reading)."""
        return not self._capacity.is_set()

    def _commit(self, batch: Batch) -> float:
        started = time.perf_counter()
        with UnitOfWork(self.db) as uow:
            uow.monitoring.store_rows(
                frames=batch.frames,
                observations=batch.observations,
                quarantine=batch.quarantine,
                dirty=batch.dirty,
            )
            # the alarm rules see every stored hour: marked in the same transaction as the readings
            alarms_service.mark_dirty(uow, marks=batch.changed.items())
        return time.perf_counter() - started

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            if self.commit_interval > 0 and not self._closing:
                await asyncio.sleep(self.commit_interval)
            batch = self._batches.popleft() if self._batches else None
            if batch is None:
                if self._closing:
                    return
                continue
            size = batch.size
            try:
                elapsed = await loop.run_in_executor(self._executor, self._commit, batch)
            except Exception as exc:  # the database refused: nothing is acknowledged
                log.error("group commit of %d frames failed: %s", size, exc)
                self.metrics.error("storage")
                if not batch.future.done():
                    batch.future.set_exception(exc)
                    batch.future.exception()  # mark retrieved; callbacks look at it
            else:
                metrics = self.metrics
                metrics.commits += 1
                metrics.write_latency.observe(elapsed)
                metrics.frames["stored"] += len(batch.frames)
                metrics.observations += batch.values
                if batch.replies:
                    now = time.perf_counter()
                    observe = metrics.ack_latency.observe
                    sent = 0
                    for target, payload, arrived in batch.replies:
                        if not target.is_closing():
                            target.write(payload)
                            observe(now - arrived)
                            sent += 1
                    metrics.acks += sent
                batch.future.set_result(None)
            self._pending -= size
            if self._pending < self.max_pending_frames:
                self._pressure(False)
            if self._batches or self._closing:
                self._wakeup.set()

    async def close(self) -> None:
        """Commit what is queued, then stop."""
        self._closing = True
        self._wakeup.set()
        if self._task is not None:
            await self._task
        self._executor.shutdown(wait=True)
