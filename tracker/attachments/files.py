"""What a file is, from its content: the allow-list of types and their magic bytes, thumbnails.

The name a file comes with never decides its type: a page (HTML), a drawing that can hold a
script (SVG) or anything unknown is refused, whatever it is called; and a ZIP-based office
document is taken only when its name says which one (the bytes say ZIP, the name says which
ZIP; it is downloaded, never opened inline).

Thumbnails are made with Pillow: the image is decoded and drawn again as a small PNG, so what
the page shows inline is never the uploader's bytes, and an "image" that does not decode is
refused.
"""

from __future__ import annotations

import io
import warnings

from PIL import Image

IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")
# ZIP containers accepted by the extension of their name.
ZIP_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "odp": "application/vnd.oasis.opendocument.presentation",
    "zip": "application/zip",
}
THUMBNAIL_SIZE = (320, 320)
# Decompression bombs: refuse images larger than this many pixels.
MAX_PIXELS = 40_000_000


def sniff(data: bytes, filename: str) -> str | None:
    """The media type the content shows (from the allow-list), or None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    if data.startswith(b"PK\x03\x04"):
        extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
        return ZIP_TYPES.get(extension)
    return None


def thumbnail(data: bytes) -> bytes | None:
    """A small PNG drawn from the image, or None when it does not decode as one."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                if probe.width * probe.height > MAX_PIXELS:
                    return None
                probe.verify()
            with Image.open(io.BytesIO(data)) as image:
                image.seek(0)
                small = image.convert("RGBA")
                small.thumbnail(THUMBNAIL_SIZE)
                out = io.BytesIO()
                small.save(out, format="PNG")
                return out.getvalue()
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError, Warning):
        return None
