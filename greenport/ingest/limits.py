"""Per-address limits of the ingest server: a token bucket per source address (issue 12).

Anyone who reaches the ingest port can send junk, and every refused frame is kept in the
quarantine with its bytes; without a limit 20 MiB of junk became 20 MiB of database in 0.1 s.
:class:`TokenBuckets` lets each address store ``burst`` quarantine entries at once and
``rate`` a second after that; what is over the limit is counted (``/metrics``), not stored.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable


class TokenBuckets:
    """One token bucket per key (a source address), bounded in memory.

    Parameters
    ----------
    rate
        Tokens added per second to each bucket [1/s]; 0 = none after the burst.
    burst
        Size of a bucket: how many takes in a row a fresh key gets.
    clock
        Monotonic time [s]; injected by tests.
    size
        Buckets kept (the least recently used are forgotten beyond it: such a key starts again
        with a full bucket, which bounds memory whatever the number of addresses).
    """

    def __init__(
        self,
        *,
        rate: float,
        burst: int,
        clock: Callable[[], float] = time.monotonic,
        size: int = 100_000,
    ) -> None:
        if rate < 0 or burst < 0:
            raise ValueError(f"rate {rate} and burst {burst} must be >= 0")
        self.rate = rate
        self.burst = float(burst)
        self.clock = clock
        self.size = size
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # key -> (tokens, at)

    def take(self, key: str) -> bool:
        """Take a token from ``key``'s bucket: True when there was one."""
        now = self.clock()
        tokens, at = self._buckets.get(key, (self.burst, now))
        tokens = min(self.burst, tokens + max(0.0, now - at) * self.rate)
        allowed = tokens >= 1.0
        if allowed:
            tokens -= 1.0
        self._buckets[key] = (tokens, now)
        self._buckets.move_to_end(key)
        if len(self._buckets) > self.size:
            self._buckets.popitem(last=False)
        return allowed


__all__ = ["TokenBuckets"]
