"""What an attachment's bytes are, read from the bytes themselves (magic numbers),
and whether a registration takes them.

AWS takes images (PNG, JPEG, GIF) of up to 500 KB and PDF documents of up to 600 KB
as opt-in proof and MMS samples. The type is never taken from a name or a claimed
content type: a PNG renamed ``.pdf`` is a PNG.
"""

from __future__ import annotations

from collections.abc import Mapping

from lifecycle.errors import ValidationException

KB = 1024

LIMITS: Mapping[str, int] = {
    "image/png": 500 * KB,
    "image/jpeg": 500 * KB,
    "image/gif": 500 * KB,
    "application/pdf": 600 * KB,
}
"""The media types a registration takes, with the largest body of each, in bytes."""

MAX_BODY = max(LIMITS.values())
"""The largest body any backend stores (600 KB): the size cap of attachments."""

_SIGNATURES: tuple[tuple[int, bytes, str], ...] = (
    (0, b"\x89PNG\r\n\x1a\n", "image/png"),
    (0, b"\xff\xd8\xff", "image/jpeg"),
    (0, b"GIF87a", "image/gif"),
    (0, b"GIF89a", "image/gif"),
    (0, b"%PDF-", "application/pdf"),
    # Recognised, but not taken by a registration.
    (0, b"PK\x03\x04", "application/zip"),
    (4, b"ftyp", "video/mp4"),
    (8, b"WEBP", "image/webp"),
    (0, b"BM", "image/bmp"),
    (0, b"II*\x00", "image/tiff"),
    (0, b"MM\x00*", "image/tiff"),
)


def sniff(body: bytes) -> str | None:
    """The media type ``body`` starts with, or ``None`` if it is none this module knows."""
    for offset, magic, media_type in _SIGNATURES:
        if body[offset : offset + len(magic)] == magic:
            return media_type
    return None


def check_body(body: bytes, field: str = "AttachmentBody") -> str:
    """The media type of ``body``, which a registration must take.

    Raises:
        ValidationException: ``MEDIA_TYPE_NOT_SUPPORTED`` for bytes of no known type,
            ``ATTACHMENT_TYPE_NOT_SUPPORTED`` for a known type a registration does not
            take (a ZIP, a video), ``MAXIMUM_SIZE_EXCEEDED`` over the type's limit. The
            message names ``field``.
    """
    media_type = sniff(body)
    if media_type is None:
        raise ValidationException.for_field(
            field,
            "is not a PNG, JPEG, GIF or PDF file (read from its first bytes)",
            reason="MEDIA_TYPE_NOT_SUPPORTED",
        )
    limit = LIMITS.get(media_type)
    if limit is None:
        raise ValidationException.for_field(
            field,
            f"is a {media_type} file; a registration takes PNG, JPEG, GIF or PDF",
            reason="ATTACHMENT_TYPE_NOT_SUPPORTED",
        )
    if len(body) > limit:
        raise ValidationException.for_field(
            field,
            f"is a {media_type} file of {len(body):,} bytes; the most for that type is "
            f"{limit:,} bytes ({limit // KB} KB)",
            reason="MAXIMUM_SIZE_EXCEEDED",
        )
    return media_type


EXAMPLE_PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
    b"\x00\x1f\x15\xc4\x89\x00\x00\x00\x0bIDATx\x9cc\xf8\x0f\x04\x00\t\xfb\x03\xfd\xfb^k+"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)
"""A 1x1 white PNG image, the smallest file a registration takes: the opt-in screenshot
of the demo and of the example forms (:mod:`lifecycle.testing.forms`)."""
