"""Uploaded banner and popup images: checked by their bytes, measured, shrunk with Pillow."""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.template.defaultfilters import filesizeformat
from django.utils.text import slugify
from django.utils.translation import gettext as _

from personalization.conf import app_settings

#: What a merchant may upload: format name → file extension. No SVG: an SVG is a document
#: that can carry scripts, and it is served from the shop's own domain.
FORMATS = {"jpeg": "jpg", "png": "png", "gif": "gif", "webp": "webp"}


@dataclass(frozen=True)
class ImageInfo:
    """An image's format (a key of ``FORMATS``) and size in pixels."""

    format: str
    width: int
    height: int


def pillow_installed() -> bool:
    """Whether Pillow (the ``images`` extra) is there to decode and shrink uploads."""
    try:
        import PIL.Image  # noqa: F401
    except ImportError:
        return False
    return True


def sniff(data: bytes) -> str | None:
    """The format the first bytes announce (whatever the file is called), or None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def _looks_like_svg(data: bytes, name: str) -> bool:
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return name.lower().endswith((".svg", ".svgz")) or head.startswith((b"<?xml", b"<svg")) \
        or b"<svg" in head


def read_size(data: bytes, fmt: str) -> tuple[int, int] | None:
    """Width and height from the image's header (no decoding), or None when the header is
    cut short or makes no sense."""
    try:
        if fmt == "png" and data[12:16] == b"IHDR":
            return struct.unpack(">II", data[16:24])
        if fmt == "gif":
            return struct.unpack("<HH", data[6:10])
        if fmt == "webp":
            return _webp_size(data)
        if fmt == "jpeg":
            return _jpeg_size(data)
    except struct.error:
        return None
    return None


def _webp_size(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8 " and data[23:26] == b"\x9d\x01\x2a":
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L" and data[20:21] == b"\x2f":
        bits = struct.unpack("<I", data[21:25])[0]
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X":
        return (int.from_bytes(data[24:27], "little") + 1,
                int.from_bytes(data[27:30], "little") + 1)
    return None


#: JPEG markers that start a frame (and hold its size): SOF0-SOF15 but DHT, JPG and DAC.
_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    at = 2
    while at + 4 <= len(data):
        if data[at] != 0xFF:
            return None
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        length = struct.unpack(">H", data[at + 2:at + 4])[0]
        if marker in _SOF:
            height, width = struct.unpack(">HH", data[at + 5:at + 9])
            return width, height
        if marker in (0xD9, 0xDA) or length < 2:  # end, or the scan before any frame
            return None
        at += 2 + length
    return None


def validate_image(value: Any) -> None:
    """Field validator: a new upload must pass :func:`check_image`; a stored one was."""
    if value and not getattr(value, "_committed", True):
        check_image(value)


def _read(file: Any) -> bytes:
    file.seek(0)
    data = file.read()
    file.seek(0)
    return data


def check_image(file: Any) -> ImageInfo:
    """The uploaded ``file``'s format and size, or a ValidationError a merchant can act on:
    too big, not a JPEG/PNG/WebP/GIF (an SVG says why), or not a whole image. With Pillow
    the image is decoded too; without it, its header is read."""
    limit = app_settings.IMAGE_MAX_BYTES
    if file.size > limit:
        raise ValidationError(
            _("The image is %(size)s; at most %(limit)s is allowed.")
            % {"size": filesizeformat(file.size), "limit": filesizeformat(limit)},
            code="image_too_big")
    data = _read(file)
    fmt = sniff(data)
    if fmt is None:
        if _looks_like_svg(data, getattr(file, "name", "") or ""):
            raise ValidationError(
                _("SVG images are not accepted: they can contain scripts. Upload a PNG "
                  "or WebP instead."), code="image_svg")
        raise ValidationError(_("This is not a JPEG, PNG, WebP or GIF image."),
                              code="image_type")
    size = _decoded_size(data, fmt) if pillow_installed() else read_size(data, fmt)
    if not size or not all(size):
        raise ValidationError(_("The image is damaged or incomplete."), code="image_broken")
    _refuse_too_many_pixels(size)
    return ImageInfo(fmt, *size)


#: More pixels than any banner needs (a 40-megapixel photo is 7700 × 5200); a few megabytes
#: of PNG of one colour can unpack into gigabytes, so larger images are refused undecoded.
MAX_PIXELS = 40_000_000


def _refuse_too_many_pixels(size: tuple[int, int]) -> None:
    if size[0] * size[1] > MAX_PIXELS:
        raise ValidationError(_("The image has too many pixels."),
                              code="image_too_many_pixels")


def _decoded_size(data: bytes, fmt: str) -> tuple[int, int] | None:
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as image:
            if (image.format or "").lower() != fmt:
                return None
            _refuse_too_many_pixels(image.size)  # before decoding: a small file can unpack huge
            image.load()  # decodes every pixel: a cut-off file fails here
            return image.size
    except Image.DecompressionBombError:
        raise ValidationError(_("The image has too many pixels."),
                              code="image_too_many_pixels") from None
    except (OSError, SyntaxError, ValueError):
        return None


def prepare_image(file: Any, stem: str) -> tuple[ContentFile, ImageInfo]:
    """The checked upload ready to store as ``<stem>.<ext>`` (the extension of what it
    really is), and its size; with Pillow, an image wider than ``IMAGE_MAX_WIDTH`` is
    shrunk to it (an animated GIF is kept as it is: shrinking would drop its frames)."""
    info = check_image(file)
    data = _read(file)
    if pillow_installed():
        data, info = _shrunk(data, info)
    name = f"{slugify(stem)[:60] or 'image'}.{FORMATS[info.format]}"
    return ContentFile(data, name=name), info


def _shrunk(data: bytes, info: ImageInfo) -> tuple[bytes, ImageInfo]:
    from PIL import ExifTags, Image, ImageOps

    limit = int(app_settings.IMAGE_MAX_WIDTH)
    with Image.open(io.BytesIO(data)) as image:
        turned = image.getexif().get(ExifTags.Base.Orientation, 1) not in (1, None)
        if getattr(image, "n_frames", 1) > 1 or (image.width <= limit and not turned):
            return data, info
        # A phone photo says "turn me" in EXIF; turn it, so width and height are as shown.
        upright = ImageOps.exif_transpose(image)
        width = min(limit, upright.width)
        height = max(1, round(upright.height * width / upright.width))
        if (width, height) != upright.size:
            upright = upright.resize((width, height), Image.Resampling.LANCZOS)
        if info.format == "jpeg" and upright.mode not in ("RGB", "L"):
            upright = upright.convert("RGB")
        out = io.BytesIO()
        options = {"quality": 85} if info.format in ("jpeg", "webp") else {}
        upright.save(out, format=info.format.upper(), **options)
    return out.getvalue(), ImageInfo(info.format, width, height)
