"""How a text file is encoded and delimited, judged from its first bytes: shared by the publish
pipeline's readers (``qazai.libraries.ingest``) and the privacy engine's ``qazai scan`` readers,
so a file reads the same way in both."""

from __future__ import annotations

import codecs
import csv
import io
from collections import Counter

from charset_normalizer import from_bytes

from qazai.core.errors import InvalidInput

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# Candidates for text that is not UTF-8, in order of preference for Kazakh and Russian files.
_LEGACY_ENCODINGS = ["cp1251", "kz1048", "koi8_r", "cp866", "iso8859_5", "cp1252"]


def bom_encoding(head: bytes) -> str | None:
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return encoding
    return None


def looks_like_utf16_without_bom(head: bytes) -> str | None:
    """ASCII-range text in UTF-16 has a NUL in every other byte; that is how to tell it apart."""
    sample = head[:4096]
    if len(sample) < 8:
        return None
    even_nuls = sample[0::2].count(0) / len(sample[0::2])
    odd_nuls = sample[1::2].count(0) / len(sample[1::2])
    if odd_nuls > 0.3 and even_nuls < 0.05:
        return "utf-16-le"
    if even_nuls > 0.3 and odd_nuls < 0.05:
        return "utf-16-be"
    # Cyrillic text (U+0400-U+04FF) puts 0x04 where ASCII puts NUL: the high bytes of the code
    # units are nearly all 0x00 or 0x04, which no 8-bit or UTF-8 text does
    even = sample[0::2]
    odd = sample[1::2]
    for high, encoding in ((odd, "utf-16-le"), (even, "utf-16-be")):
        mostly_cyrillic = (high.count(0) + high.count(4)) / len(high) > 0.9 and high.count(4) / len(
            high
        ) > 0.3
        if mostly_cyrillic and _decodes_as(sample[: len(sample) // 2 * 2], encoding) is None:
            return encoding
    return None


def _decodes_as(head: bytes, encoding: str) -> int | None:
    """The byte offset of the first undecodable byte, or None; a character cut at the end is fine."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    try:
        decoder.decode(head, final=False)
    except UnicodeDecodeError as error:
        return error.start
    return None


def detect_encoding(head: bytes, declared: str | None, label: str) -> str:
    """The encoding of a text file from its first bytes; a declared one is checked, not trusted.

    Raises InvalidInput when the declared encoding cannot decode the file, or would garble it
    (a UTF-8 file declared as cp1251 decodes without errors but turns Cyrillic into mojibake).
    """
    detected = bom_encoding(head) or looks_like_utf16_without_bom(head)
    if detected is None:
        detected = "utf-8" if _decodes_as(head, "utf-8") is None else _guess_legacy(head)
    if declared is None:
        return detected
    try:
        declared_name = codecs.lookup(declared).name
    except LookupError as error:
        raise InvalidInput(f"{label}: unknown encoding {declared!r}") from error
    bad_offset = _decodes_as(head, declared_name)
    if bad_offset is not None:
        raise InvalidInput(
            f"{label}: the file is not valid {declared} (undecodable byte at offset {bad_offset}); "
            f"it looks like {detected}"
        )
    detected_name = codecs.lookup(detected).name
    utf8_family = {"utf-8", "utf-8-sig"}
    if detected_name in utf8_family and declared_name in utf8_family:
        return detected_name
    if detected_name in utf8_family and declared_name not in utf8_family and not head.isascii():
        garbled = head[:200].decode(declared_name, errors="replace")[:40]
        raise InvalidInput(
            f"{label}: declared encoding {declared} does not match the file, which is valid UTF-8; "
            f"reading it as {declared} would garble the text ({garbled!r}...)"
        )
    if detected_name.startswith("utf-16") and not declared_name.startswith("utf-16"):
        raise InvalidInput(f"{label}: declared encoding {declared} does not match the file, which is UTF-16")
    return declared_name


# Letters of Kazakh that Russian lacks (і is left out: cp1251 has it at the same byte).
_KAZAKH_LETTERS = frozenset("әғқңөұүһӘҒҚҢӨҰҮҺ")


def _guess_legacy(head: bytes) -> str:
    best = from_bytes(head[:65536], cp_isolation=_LEGACY_ENCODINGS).best()
    guess = "cp1251" if best is None else codecs.lookup(str(best.encoding)).name
    # kz1048 is cp1251 with Kazakh letters in place of Serbian and Ukrainian ones: both decode
    # the same bytes, and the statistics cannot tell them apart. Kazakh letters decide.
    if guess in ("cp1251", "kz1048") and _decodes_as(head, "kz1048") is None:
        kazakh = sum(1 for ch in head.decode("kz1048", errors="replace") if ch in _KAZAKH_LETTERS)
        return "kz1048" if kazakh else "cp1251"
    return guess


def detect_delimiter(text: str) -> str:
    """The delimiter that splits the sample's rows into the most consistent number of fields."""
    best = ","
    best_score = (0.0, 0)
    for candidate in (",", ";", "\t", "|"):
        try:
            counts = [len(row) for row in csv.reader(io.StringIO(text), delimiter=candidate) if row][:200]
        except csv.Error:  # e.g. a field over csv's size limit: not this delimiter
            continue
        if not counts:
            continue
        modal, modal_rows = Counter(counts).most_common(1)[0]
        if modal < 2:
            continue
        score = (modal_rows / len(counts), modal)
        if score > best_score:
            best, best_score = candidate, score
    return best
