"""``FrameBuffer``: bytes in, complete HJ 212 frames out (sans-I/O, like h11's receive buffer).

TCP gives a byte stream: frames arrive split across reads or several in one read, sometimes with
garbage between them (monitoring reference §3, "TCP"). Feed whatever arrived; get back the
complete frames, in order, and a :class:`FramingError` for every stretch of bytes that had to be
thrown away (each carrying the bytes in ``raw`` so that a receiver can quarantine them).

Rules (HJ 212-2017 §6.3.1: ``##`` + 4-digit length + segment + CRC + CR LF):

* A frame starts at ``##``. Bytes before it are discarded; if they are more than whitespace a
  ``FramingError`` reports them.
* A frame ends at the first LF (the CR before it is optional) **or** just before the next ``##``,
  whichever comes first. ``##`` never occurs inside a valid data segment, so a new header proves
  that the previous frame is over: a frame that lost its CR LF is still delivered when the next
  one starts (``decode`` then checks its length and CRC as usual), and a frame cut short by a new
  header is delivered and rejected by ``decode`` instead of swallowing the good frame after it.
* The end is found by the terminator, not by the declared length, so a frame whose declared
  length is wrong does not desynchronise the stream (``decode`` reports the mismatch).
* An unfinished frame longer than ``max_frame_size`` bytes is discarded with a ``FramingError``
  and the buffer resynchronises on the next ``##``.
* At the end of the stream, :meth:`FrameBuffer.close` delivers a last unterminated frame if it is
  complete by its declared length (the only case where a missing CR LF at the very end is safe),
  otherwise reports it as a truncated frame.

The buffer never decodes: pass each frame to :func:`greenport.protocol.decode`.
"""

from __future__ import annotations

from greenport.protocol.errors import FramingError

#: Default cap for an unfinished frame [bytes]: ``##`` + 4 + the largest length 9999 + CRC + CR LF.
DEFAULT_MAX_FRAME_SIZE = 2 + 4 + 9999 + 4 + 2


class FrameBuffer:
    """Accumulate received bytes and cut them into frames.

    Parameters
    ----------
    max_frame_size
        Largest frame, terminator included [bytes]; longer unfinished data is discarded.

    Examples
    --------
    >>> buf = FrameBuffer()
    >>> for item in buf.feed(data):  # doctest: +SKIP
    ...     if isinstance(item, FramingError):
    ...         quarantine(item.raw, str(item))
    ...     else:
    ...         message = decode(item)
    """

    def __init__(self, max_frame_size: int = DEFAULT_MAX_FRAME_SIZE) -> None:
        if max_frame_size < 12:
            raise ValueError(f"max_frame_size {max_frame_size} is below the smallest frame (12 bytes)")
        self.max_frame_size = max_frame_size
        self._buffer = bytearray()
        self._scan_from = 0  # where to resume looking for a terminator inside the current frame
        self.closed = False

    @property
    def pending(self) -> int:
        """Bytes received but not yet delivered [bytes]."""
        return len(self._buffer)

    def feed(self, data: bytes | bytearray | memoryview) -> list[bytes | FramingError]:
        """Add received bytes; return the frames (``bytes``, CR LF included) and errors completed."""
        if self.closed:
            raise RuntimeError("feed() after close()")
        if (
            not self._buffer
            and type(data) is bytes
            and data.startswith(b"##")
            and data.find(b"\n") == len(data) - 1
            and data.find(b"##", 2) < 0
            and len(data) <= self.max_frame_size
        ):
            return [data]  # one whole frame per read, the usual case of a device awaiting its reply
        self._buffer += data
        return self._drain(final=False)

    def close(self) -> list[bytes | FramingError]:
        """End of stream: deliver or report whatever is left; the buffer is then empty."""
        items = self._drain(final=True)
        self.closed = True
        return items

    def _discard(self, count: int, items: list[bytes | FramingError], reason: str) -> None:
        if count <= 0:
            return
        junk = bytes(self._buffer[:count])
        del self._buffer[:count]
        self._scan_from = 0
        if junk.strip():
            items.append(FramingError(f"{reason} ({len(junk)} bytes discarded)", field="frame", raw=junk))

    def _drain(self, *, final: bool) -> list[bytes | FramingError]:
        items: list[bytes | FramingError] = []
        buf = self._buffer
        while buf:
            start = buf.find(b"##")
            if start < 0:
                # keep a trailing '#' that may start the next header
                keep = 1 if buf.endswith(b"#") and not final else 0
                self._discard(len(buf) - keep, items, "bytes outside any frame")
                break
            if start:
                self._discard(start, items, "bytes before a frame header")
                continue
            newline = buf.find(b"\n", max(self._scan_from, 2))
            header = buf.find(b"##", max(self._scan_from, 2))
            if newline >= 0 and (header < 0 or newline < header):
                end = newline + 1
            elif header >= 0:
                end = header
            else:
                if len(buf) > self.max_frame_size:
                    keep = 1 if buf.endswith(b"#") else 0  # may be the first half of the next header
                    self._discard(
                        len(buf) - keep, items, f"unfinished frame longer than {self.max_frame_size} bytes"
                    )
                    if keep:
                        break
                    continue
                if final:
                    frame = bytes(buf)
                    if _complete_by_length(frame):
                        items.append(frame)
                        buf.clear()
                    else:
                        self._discard(len(buf), items, "truncated frame at end of stream")
                    break
                self._scan_from = max(len(buf) - 1, 2)
                break
            if end > self.max_frame_size:
                self._discard(end, items, f"frame longer than {self.max_frame_size} bytes")
                continue
            items.append(bytes(buf[:end]))
            del buf[:end]
            self._scan_from = 0
        return items


def _complete_by_length(frame: bytes) -> bool:
    """True when an unterminated frame holds exactly header + declared segment + 1-4 hex CRC."""
    length = frame[2:6]
    if not (len(length) == 4 and length.isdigit()):
        return False
    tail = frame[6 + int(length) :].rstrip(b"\r")
    return 0 < len(tail) <= 4 and frame[4 + int(length) : 6 + int(length)] == b"&&"
