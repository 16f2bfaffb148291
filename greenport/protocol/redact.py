"""Mask device passwords in raw frames kept for audit (issue 12).

A data segment carries the logger's access password in clear (``PW=``, HJ 212-2017 §6.3.3
Table 3; ``NewPW=`` when the centre sets a new one, C.4). Raw frames are kept for audit (accepted
ones and quarantined ones) and shown to analysts, who must not learn them. The audit copy is
the frame as received with each password value replaced by :data:`PASSWORD_MASK`; every other
byte is unchanged, the declared length and CRC included, so the stored copy no longer checks:
its CRC was checked on the frame as received (an accepted frame's was valid; a quarantined one
says why it was refused).
"""

from __future__ import annotations

import re

#: What a password value is replaced with: fixed, so that its length is not told either.
PASSWORD_MASK = b"******"

#: The value of a password field: up to the next separator (``;`` between fields, ``,`` between
#: items, ``&`` closing CP) or the end of the line.
_VALUE = re.compile(rb"[^;,&\r\n]*")
#: A password field in another case than the standard's ``PW`` (refused by the codec, but a
#: quarantined frame may carry one): ``pw=``, ``Pw=``, ``pW=``, ``newpw=``...
_OTHER_CASE = re.compile(rb"(?i)(pw=)[^;,&\r\n]*")


def mask_password(frame: bytes) -> bytes:
    """``frame`` with every ``PW=``/``NewPW=`` value replaced by :data:`PASSWORD_MASK`, in any
    case; about 1 µs for a usual frame (it runs on every frame ingest stores).

    >>> mask_password(b"##0051QN=1;ST=22;CN=2011;PW=123456;MN=X;CP=&&&&ABCD\\r\\n")
    b'##0051QN=1;ST=22;CN=2011;PW=******;MN=X;CP=&&&&ABCD\\r\\n'
    """
    at = frame.find(b"PW=")
    if at >= 0:
        parts: list[bytes] = []
        kept = 0
        while at >= 0:
            at += 3
            end = _VALUE.match(frame, at).end()  # type: ignore[union-attr]  # matches the empty string
            parts += (frame[kept:at], PASSWORD_MASK)
            kept = end
            at = frame.find(b"PW=", end)
        parts.append(frame[kept:])
        frame = b"".join(parts)
    if b"w=" in frame or b"pW=" in frame:
        frame = _OTHER_CASE.sub(rb"\g<1>" + PASSWORD_MASK, frame)
    return frame


def mask_password_text(text: str) -> str:
    """:func:`mask_password` of text (a message quoting a frame)."""
    if "=" not in text:
        return text
    return mask_password(text.encode("utf-8", "surrogateescape")).decode("utf-8", "surrogateescape")


__all__ = ["PASSWORD_MASK", "mask_password", "mask_password_text"]
