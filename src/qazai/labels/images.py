"""Pictures: safe opening, the perceptual hash, and the visible notice stamped into a picture.

Opening checks the pixel count from the header before any pixel is decoded (a decompression
bomb is refused without spending memory on it) and decodes fully inside a guard, so a corrupt
file is a clear InvalidInput. The perceptual hash is ``imagehash.phash`` (64-bit DCT hash):
re-encoding, resizing and JPEG quality 60 move it by a few bits, unrelated pictures by about 32;
``PHASH_MAX_DISTANCE`` was chosen with ``bench/phash_false_matches.py``.
"""

from __future__ import annotations

import importlib.util
import io
import warnings
from functools import cache
from pathlib import Path

import imagehash
from PIL import Image, ImageDraw, ImageFont, UnidentifiedImageError

from qazai.core.errors import InvalidInput, Unavailable

MAX_PIXELS = 60_000_000  # about 7700 x 7700; Pillow's own bomb limit is 89 million
# Hamming distance up to which two perceptual hashes are "the same picture" (see the module doc).
PHASH_MAX_DISTANCE = 10
_PIL_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
# Fonts with Kazakh Cyrillic letters (ә, ғ, қ, ң, ө, ұ, ү, һ, і): DejaVu from the Debian package
# fonts-dejavu-core, else the copy matplotlib ships when it is installed. Never downloaded.
_FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/TTF/DejaVuSans-Bold.ttf",
)


def check_header(data: bytes) -> Image.Image:
    """The picture opened from its header only (no pixel decoded): InvalidInput for a bomb or a
    file that is not a picture Pillow reads."""
    return _open(data, decode=False)


def open_image(data: bytes) -> Image.Image:
    """The decoded picture; InvalidInput for a bomb or a file Pillow cannot decode."""
    return _open(data, decode=True)


def _open(data: bytes, *, decode: bool) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise InvalidInput(
                    f"the picture is {width}x{height} pixels, more than the {MAX_PIXELS:,} allowed "
                    "(a decompression bomb is refused before decoding)",
                    code="image_too_many_pixels",
                    details={"width": width, "height": height, "max_pixels": MAX_PIXELS},
                )
            if decode:
                image.load()
    except InvalidInput:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise InvalidInput(
            f"the picture is refused as a decompression bomb: {exc}", code="image_too_many_pixels"
        ) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise InvalidInput(
            f"the picture cannot be decoded (corrupt or truncated): {exc}", code="corrupt_image"
        ) from None
    return image


def fingerprint(data: bytes) -> int:
    """The perceptual hash of the picture in ``data``, decoded at a reduced scale where the format
    allows (JPEG's DCT scaling: the hash looks at 32x32 pixels, a full decode of a photo costs
    3x more and gives the same hash). InvalidInput as ``open_image``."""
    image = _open(data, decode=False)
    try:
        image.draft("L", (256, 256))
        image.load()
    except (OSError, SyntaxError, ValueError) as exc:
        raise InvalidInput(
            f"the picture cannot be decoded (corrupt or truncated): {exc}", code="corrupt_image"
        ) from None
    return perceptual_hash(image)


def perceptual_hash(image: Image.Image) -> int:
    """The 64-bit pHash of ``image`` as a signed 64-bit integer (how the database stores it)."""
    value = int(str(imagehash.phash(image)), 16)
    return value - (1 << 64) if value >= 1 << 63 else value


def hash_distance(a: int, b: int) -> int:
    return ((a ^ b) & ((1 << 64) - 1)).bit_count()


@cache
def _font_path() -> str | None:
    for candidate in _FONT_CANDIDATES:
        if Path(candidate).is_file():
            return candidate
    # matplotlib ships DejaVu Sans in its package data: use the file where it is installed (never
    # imported, never a dependency).
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / "mpl-data" / "fonts" / "ttf" / "DejaVuSans-Bold.ttf"
    return str(path) if path.is_file() else None


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: float) -> list[str]:
    """Greedy word wrap by the rendered width of each line."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}".strip()
        if current and font.getlength(candidate) > width:
            lines.append(current)
            current = word
        else:
            current = candidate
    return [*lines, current] if current else lines or [text]


def stamp_notice(image: Image.Image, notice: str, media_type: str) -> bytes:
    """``image`` with ``notice`` written in a dark band along its bottom edge, encoded as
    ``media_type``. Unavailable when no font with Kazakh letters is installed."""
    path = _font_path()
    if path is None:
        raise Unavailable(
            "no font with Kazakh letters is installed for the visible notice; install the Debian "
            "package fonts-dejavu-core",
            code="notice_font_missing",
        )
    picture = image.convert("RGBA") if image.mode not in ("RGB", "RGBA") else image.copy()
    width, height = picture.size
    size = max(10, min(48, width // 32))
    font = ImageFont.truetype(path, size)
    lines = _wrap(notice, font, width - size)[:4]
    line_height = int(size * 1.3)
    band = line_height * len(lines) + size // 2
    overlay = Image.new("RGBA", picture.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    draw.rectangle((0, height - band, width, height), fill=(0, 0, 0, 170))
    for index, line in enumerate(lines):
        draw.text((size // 2, height - band + size // 4 + index * line_height), line, font=font, fill="white")
    stamped = Image.alpha_composite(picture.convert("RGBA"), overlay)
    out = io.BytesIO()
    fmt = _PIL_FORMATS[media_type]
    if fmt == "JPEG":
        stamped.convert("RGB").save(out, fmt, quality=92)
    elif image.mode == "RGB" and fmt == "PNG":
        stamped.convert("RGB").save(out, fmt)
    else:
        stamped.save(out, fmt)
    return out.getvalue()
