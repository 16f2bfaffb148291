"""Group commit: frames from every connection are written in one transaction every few ms.

``BatchWriter.submit`` adds a frame's rows to the open batch and returns the batch's future; the
writer thread commits the batch (one transaction, ``synchronous=FULL`` on SQLite) and only then
resolves the future, whose callbacks send the 9014 replies. While a batch commits, the next one
fills up, so the database sees a few large transactions per second instead of one per frame.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime

from greenport.ingest.metrics import Metrics
from greenport.monitoring.model import Frame, Observation, QuarantineEntry
from greenport.storage.db import Database
from greenport.storage.uow import UnitOfWork

log = logging.getLogger("greenport.ingest.writer")


@dataclass
class Batch:
    future: asyncio.Future[None]
    frames: list[Frame] = field(default_factory=list)
    observations: list[Observation] = field(default_factory=list)
    quarantine: list[QuarantineEntry] = field(default_factory=list)
    dirty: set[tuple[int, datetime]] = field(default_factory=set)


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

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="greenport-writer")

    def _open_batch(self) -> Batch:
        """The batch being filled; a full one (``max_batch_frames``) is left for the writer."""
        if not self._batches or len(self._batches[-1].frames) >= self.max_batch_frames:
            self._batches.append(Batch(asyncio.get_running_loop().create_future()))
        return self._batches[-1]

    def submit(
        self,
        *,
        frames: Iterable[Frame] = (),
        observations: Iterable[Observation] = (),
        quarantine: Iterable[QuarantineEntry] = (),
        dirty: Iterable[tuple[int, datetime]] = (),
    ) -> asyncio.Future[None]:
        """Queue rows for the next commit; the returned future resolves once they are durable."""
        batch = self._open_batch()
        before = len(batch.frames) + len(batch.quarantine)
        batch.frames.extend(frames)
        batch.observations.extend(observations)
        batch.quarantine.extend(quarantine)
        batch.dirty.update(dirty)
        self._pending += len(batch.frames) + len(batch.quarantine) - before
        if self._pending >= self.max_pending_frames:
            self._capacity.clear()
        self._wakeup.set()
        return batch.future

    async def wait_capacity(self) -> None:
        """Back-pressure: connections stop reading while too many frames wait for the disk."""
        if not self._capacity.is_set():
            await self._capacity.wait()

    def _commit(self, batch: Batch) -> float:
        started = time.perf_counter()
        with UnitOfWork(self.db) as uow:
            uow.monitoring.store(
                frames=batch.frames,
                observations=batch.observations,
                quarantine=batch.quarantine,
                dirty=batch.dirty,
            )
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
            size = len(batch.frames) + len(batch.quarantine)
            try:
                elapsed = await loop.run_in_executor(self._executor, self._commit, batch)
            except Exception as exc:  # the database refused: nothing is acknowledged
                log.error("group commit of %d frames failed: %s", size, exc)
                self.metrics.error("storage")
                if not batch.future.done():
                    batch.future.set_exception(exc)
                    batch.future.exception()  # mark retrieved; callbacks look at it
            else:
                self.metrics.commits += 1
                self.metrics.write_latency.observe(elapsed)
                self.metrics.frames["stored"] += len(batch.frames)
                self.metrics.observations += len(batch.observations)
                batch.future.set_result(None)
            self._pending -= size
            if self._pending < self.max_pending_frames:
                self._capacity.set()
            if self._batches or self._closing:
                self._wakeup.set()

    async def close(self) -> None:
        """Commit what is queued, then stop."""
        self._closing = True
        self._wakeup.set()
        if self._task is not None:
            await self._task
        self._executor.shutdown(wait=True)
