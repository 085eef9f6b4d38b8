"""Column and table names: cleaned, non-empty, unique, safe to use as file and SQL names."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

MAX_NAME_CHARS = 128

_WHITESPACE = re.compile(r"\s+")
# Path separators and characters Windows forbids in file names; a table name may become one.
_UNSAFE_IN_TABLE_NAME = re.compile(r'[/\\:*?"<>|]+')


def _without_controls(text: str) -> str:
    return "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")


def clean_name(raw: object) -> str:
    """Trim, collapse inner whitespace (headers often hold line breaks) and drop control characters."""
    text = "" if raw is None else str(raw)
    text = _WHITESPACE.sub(" ", _without_controls(text.replace("\n", " ").replace("\t", " "))).strip()
    return text[:MAX_NAME_CHARS].rstrip()


def clean_column_names(raw: Sequence[object]) -> tuple[str, ...]:
    """Clean header cells into unique names: empty -> ``column_<position>``, repeats -> ``a_2``.

    Uniqueness is case-insensitive because DuckDB, which serves queries, folds identifier case.
    """
    cleaned = [clean_name(value) for value in raw]
    names: list[str] = []
    taken: set[str] = set()
    # Names given in the header win over generated ones, so reserve them first.
    reserved = {name.casefold() for name in cleaned if name}
    for position, name in enumerate(cleaned, start=1):
        base = name or f"column_{position}"
        candidate = base
        suffix = 2
        while candidate.casefold() in taken or (not name and candidate.casefold() in reserved):
            candidate = f"{base}_{suffix}"
            suffix += 1
        taken.add(candidate.casefold())
        names.append(candidate)
    return tuple(names)


def safe_table_name(raw: str, *, fallback: str = "table") -> str:
    """A sheet name or file stem that cannot escape a directory (no ``/``, ``\\``, leading dots)."""
    text = _UNSAFE_IN_TABLE_NAME.sub("_", clean_name(raw))
    text = text.lstrip(". ").rstrip(". ")
    return text or fallback
