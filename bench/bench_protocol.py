"""Benchmark: HJ 212 frames decoded per second (CRC included), one core.

Decodes 2,000 distinct frames (different DataTime and values, so no cache helps more than it
would in the field) of two typical kinds, repeatedly, and prints frames/s:

* a 2011 real-time upload of an air station: 8 factors ``-Rtd`` + ``-Flag``;
* a 2051 minute upload of a pollution source: 8 factors ``-Cou/-Min/-Avg/-Max/-Flag``.

Goal (issue 3): >= 100,000 frames/s. ``decode`` uses the compiled fast path when it is built;
the pure-Python reference ``decode_python`` is timed beside it. Then runs ``bench_aqi.main()`` if ``bench/bench_aqi.py``
exists. Run: ``.venv/bin/python bench/bench_protocol.py``.
"""

from __future__ import annotations

import os
import random
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

from greenport.kernel.time import CHINA_TZ
from greenport.protocol import FrameBuffer, crc16_hj212, data_upload, decode, encode, make_qn
from greenport.protocol.codec import COMPILED, decode_python

GOAL = 100_000
AIR_CODES = ("a21026", "a21004", "a21005", "a05024", "a34002", "a34004", "a01001", "a01002")
SOURCE_CODES = ("a00000", "a19001", "a01012", "a01013", "a01014", "a34013", "a21026", "a21002")


def frames_2011(count: int, rng: random.Random) -> list[bytes]:
    start = datetime(2026, 5, 1, tzinfo=CHINA_TZ)
    frames = []
    for i in range(count):
        moment = start + timedelta(seconds=30 * i)
        factors = {code: {"Rtd": round(rng.uniform(0, 300), 1), "Flag": "N"} for code in AIR_CODES}
        msg = data_upload(
            st="22",
            cn="2011",
            mn="320582000000000000000001",
            pw="123456",
            qn=make_qn(moment),
            data_time=moment,
            factors=factors,
        )
        frames.append(encode(msg))
    return frames


def frames_2051(count: int, rng: random.Random) -> list[bytes]:
    start = datetime(2026, 5, 1, tzinfo=CHINA_TZ)
    frames = []
    for i in range(count):
        moment = start + timedelta(minutes=10 * i)
        factors = {}
        for code in SOURCE_CODES:
            low = round(rng.uniform(0, 50), 2)
            factors[code] = {
                "Cou": round(rng.uniform(0, 900), 3),
                "Min": low,
                "Avg": round(low + rng.uniform(0, 10), 2),
                "Max": round(low + rng.uniform(10, 20), 2),
                "Flag": "N",
            }
        msg = data_upload(
            st="31",
            cn="2051",
            mn="320582000000000000000002",
            pw="123456",
            qn=make_qn(moment),
            data_time=moment,
            factors=factors,
        )
        frames.append(encode(msg))
    return frames


def rate(func, items: list[bytes], seconds: float = 2.0) -> float:  # type: ignore[no-untyped-def]
    """Items per second of ``func`` over ``items``, best of several passes of about ``seconds``."""
    best = 0.0
    deadline = time.process_time() + seconds
    while time.process_time() < deadline:
        t0 = time.process_time()
        for item in items:
            func(item)
        elapsed = time.process_time() - t0
        best = max(best, len(items) / elapsed)
    return best


def main() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    rng = random.Random(212)
    kinds = {
        "2011 (8 factors, Rtd+Flag)": frames_2011(2000, rng),
        "2051 (8 factors, Cou/Min/Avg/Max/Flag)": frames_2051(2000, rng),
    }
    path = "compiled fast path (_speedups.c)" if COMPILED else "pure Python (extension NOT built)"
    print(f"python {sys.version.split()[0]}, one core, decode via {path}; goal >= {GOAL:,} frames/s")
    for name, frames in kinds.items():
        size = sum(len(f) for f in frames) / len(frames)
        segments = [f[6:-6] for f in frames]
        decoded = rate(decode, frames)
        reference = rate(decode_python, frames, seconds=1.0)
        crc_only = rate(crc16_hj212, segments)
        buffer = FrameBuffer()
        blob = b"".join(frames)
        t0 = time.process_time()
        chunks = [blob[i : i + 1460] for i in range(0, len(blob), 1460)]
        out = 0
        for chunk in chunks:
            out += len(buffer.feed(chunk))
        framing = out / (time.process_time() - t0)
        verdict = "meets" if decoded >= GOAL else "below"
        print(
            f"{name}: {size:.0f} bytes/frame | decode {decoded:,.0f} frames/s ({verdict} goal) | "
            f"pure-Python decode_python {reference:,.0f} frames/s | "
            f"CRC alone {crc_only:,.0f}/s | FrameBuffer {framing:,.0f} frames/s"
        )
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    try:
        import bench_aqi  # type: ignore[import-not-found]
    except ImportError:
        print("bench_aqi.py not present: AQI benchmark skipped")
    else:
        try:
            bench_aqi.main()
        except Exception as exc:  # another engineer's benchmark must not hide these figures
            print(f"bench_aqi.main() failed: {type(exc).__name__}: {exc}")


if __name__ == "__main__":
    main()
