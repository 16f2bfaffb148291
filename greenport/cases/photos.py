"""Files attached to a case event: the bytes must be what they claim (pure).

A photo is recognised by its signature, not by its name or the client's ``Content-Type``: JPEG
(``FF D8 FF``), PNG (the 8-byte signature of RFC 2083 / ISO/IEC 15948 §5.2), WebP (``RIFF``....
``WEBP``, RFC 9649 §2). PDF (``%PDF-``, ISO 32000-1 §7.5.2) is accepted as a document. Anything
else is refused, and so is a file over :data:`MAX_FILE_BYTES` or an empty one. The content hash
(SHA-256) names the file: the same photo sent twice is stored once.
"""

from __future__ import annotations

import hashlib

from greenport.cases.model import Attachment
from greenport.kernel.errors import InvalidInput

#: Largest file one event may carry [bytes] (a phone photo at full resolution is 2-6 MB).
MAX_FILE_BYTES = 8 * 1024 * 1024
#: Most files one action carries.
MAX_FILES_PER_EVENT = 6

_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"%PDF-", "application/pdf"),
)


def sniff_media_type(data: bytes) -> str | None:
    """The media type ``data`` starts like, or None when it is none GreenPort accepts."""
    for signature, media_type in _SIGNATURES:
        if data.startswith(signature):
            return media_type
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def checked_file(data: bytes, *, name: str = "file", claimed_type: str | None = None) -> Attachment:
    """The :class:`Attachment` of ``data`` (hash, size, the sniffed media type), or
    :class:`InvalidInput` naming the file (``name``) and what is wrong: empty, too large, not a
    JPEG/PNG/WebP photo or a PDF, or not the type the client claimed."""
    if not data:
        raise InvalidInput(f"{name}: the file is empty", field="photos")
    if len(data) > MAX_FILE_BYTES:
        raise InvalidInput(
            f"{name}: {len(data)} bytes is over the limit of {MAX_FILE_BYTES} bytes ({MAX_FILE_BYTES // 2**20} MiB)",
            field="photos",
        )
    media_type = sniff_media_type(data)
    if media_type is None:
        raise InvalidInput(f"{name}: not a JPEG, PNG or WebP photo or a PDF", field="photos")
    claimed = (claimed_type or "").split(";")[0].strip().lower()
    if claimed and claimed not in ("application/octet-stream", media_type):
        raise InvalidInput(f"{name}: the content is {media_type}, not {claimed}", field="photos")
    return Attachment(sha256=hashlib.sha256(data).hexdigest(), size=len(data), media_type=media_type)
