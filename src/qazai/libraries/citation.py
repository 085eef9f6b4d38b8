"""How to cite a data library: APA (7th edition, "Data set") and BibTeX.

A citation names the producer by its full name, the title, the year and number of the version
cited and its permanent address (the version's files never change), so a reader finds exactly
the data a paper used.
"""

from __future__ import annotations

import re

from pydantic import BaseModel

PUBLISHER = "QazAI"
_BIBTEX_SPECIAL = re.compile(r"([&%$#_{}])")


class Citation(BaseModel):
    apa: str
    bibtex: str


def _bibtex_text(value: str) -> str:
    value = value.replace("\\", r"\textbackslash{}").replace("~", r"\textasciitilde{}")
    value = value.replace("^", r"\textasciicircum{}")
    return _BIBTEX_SPECIAL.sub(r"\\\1", value)


def cite_library(
    *, slug: str, title: str, producer: str, year: int, version: int | None, url: str
) -> Citation:
    """The citation of ``version`` of a library (of the library itself when none is published).
    ``url`` is the version's permanent address; ``title`` and ``producer`` in the reader's language."""
    version_part = f" (Version {version})" if version else ""
    apa = f"{producer}. ({year}). {title}{version_part} [Data set]. {PUBLISHER}. {url}"
    key = re.sub(r"[^A-Za-z0-9]+", "_", slug).strip("_") + (f"_v{version}" if version else "")
    fields = [
        ("author", "{" + _bibtex_text(producer) + "}"),  # braces: an organisation, not "Last, First"
        ("title", _bibtex_text(title)),
        ("year", str(year)),
        *([("version", str(version))] if version else []),
        ("publisher", PUBLISHER),
        ("howpublished", "Data set"),
        ("url", url),
    ]
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return Citation(apa=apa, bibtex=f"@misc{{{key},\n{body}\n}}")
