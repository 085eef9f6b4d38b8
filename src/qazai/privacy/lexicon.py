"""Name lists and the folded "skeleton" key that lets Cyrillic, passport Latin and the 2021
official Latin spelling of one name meet (Жұмабаев, Zhumabayev, Jūmabaev -> ``jumabaev``).

The lists are read once from ``qazai/privacy/data`` (see the README there for sources and
licences). Nothing is downloaded at run time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

import polars as pl

# Latin digraphs first (on the lower-cased text), then one character at a time.
_DIGRAPHS: tuple[tuple[str, str], ...] = (
    ("shch", "s"),
    ("zh", "j"),
    ("kh", "h"),
    ("sh", "s"),
    ("ch", "c"),
    ("ts", "c"),
    ("ye", "e"),
    ("yo", "e"),
)
_CHARS: dict[str, str] = {
    # Kazakh and Russian Cyrillic
    "а": "a", "ә": "a", "б": "b", "в": "v", "г": "g", "ғ": "g", "д": "d", "е": "e", "ё": "e",
    "ж": "j", "з": "z", "и": "i", "й": "i", "і": "i", "к": "k", "қ": "k", "л": "l", "м": "m",
    "н": "n", "ң": "n", "о": "o", "ө": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u",
    "ұ": "u", "ү": "u", "ф": "f", "х": "h", "һ": "h", "ц": "c", "ч": "c", "ш": "s", "щ": "s",
    "ъ": "", "ы": "i", "ь": "", "э": "e", "ю": "iu", "я": "ia",
    # Latin letters with diacritics (2021 official alphabet and others), and y/q/w
    "ä": "a", "á": "a", "ğ": "g", "ı": "i", "ī": "i", "ñ": "n", "ö": "o", "ó": "o", "ş": "s",
    "ç": "c", "ū": "u", "ü": "u", "ú": "u", "é": "e", "y": "i", "q": "k", "w": "u", "'": "",
    "’": "", "-": "",
}  # fmt: skip
_DOUBLES = [c + c for c in "abcdefghijklmnopqrstuvz"]


def skeleton_expr(expr: pl.Expr) -> pl.Expr:
    """The folded key of each string: lower case, one Latin skeleton for both scripts,
    doubled letters collapsed."""
    out = expr.str.to_lowercase()
    for src, dst in _DIGRAPHS:
        out = out.str.replace_all(src, dst, literal=True)
    out = out.str.replace_many(list(_CHARS), list(_CHARS.values()))
    # twice, so that "iii" (from "ийя") also collapses
    out = out.str.replace_many(_DOUBLES, [d[0] for d in _DOUBLES])
    return out.str.replace_many(_DOUBLES, [d[0] for d in _DOUBLES])


def skeleton(words: list[str]) -> list[str]:
    """Scalar convenience over :func:`skeleton_expr` (same implementation)."""
    return pl.Series("w", words, dtype=pl.String).to_frame().select(skeleton_expr(pl.col("w")))["w"].to_list()


def _read_sections(name: str) -> dict[str, list[str]]:
    text = resources.files("qazai.privacy").joinpath("data").joinpath(name).read_text(encoding="utf-8")
    sections: dict[str, list[str]] = {"": []}
    current = ""
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("[") and line.endswith("]"):
            current = line[1:-1]
            sections.setdefault(current, [])
            continue
        for spelling in line.split(","):
            word = spelling.split("(", 1)[0].strip()
            if word:
                sections.setdefault(current, []).append(word)
    return sections


@dataclass(frozen=True)
class Lexicon:
    """Skeleton keys of given names, of given names that are also ordinary words, of words that
    are never part of a name, of places, of the gazetteer's places that are never a person
    (``geo``) and of those that may be one (``geo_person``: Абай, Жамбыл, Қонаев), and of common
    surnames that no ending gives away (``surnames``: Ким, Пак, Ли)."""

    given: frozenset[str]
    ordinary: frozenset[str]
    not_names: frozenset[str]
    places: frozenset[str]
    geo: frozenset[str] = frozenset()
    geo_person: frozenset[str] = frozenset()
    surnames: frozenset[str] = frozenset()
    short_surnames: frozenset[str] = frozenset()

    def given_series(self) -> pl.Series:
        return pl.Series("k", sorted(self.given - self.ordinary), dtype=pl.String)


# words of a gazetteer entry that only say what kind of place it is
_GEO_GENERIC = frozenset(
    skeleton(["облысы", "ауданы", "район", "море", "region", "sea", "озеро", "көлі", "өзені", "река"])
)
_SURNAME_LIKE = re.compile(r"(?:ov|ev|in|ova|eva|ina|enko)$")


def _gazetteer(given: frozenset[str]) -> tuple[frozenset[str], frozenset[str]]:
    """(places that are never a person, places that may be one). A place is ambiguous when it is
    listed under ``[person-too]``, is a known given name, or ends like a surname (Сатпаев)."""
    sections = _read_sections("gazetteer_kz.txt")
    person_too = set(skeleton([part for w in sections.pop("person-too", []) for part in w.split()]))
    words = sorted({part for entries in sections.values() for w in entries for part in w.split()})
    keys = set(skeleton(words)) - _GEO_GENERIC
    ambiguous = {k for k in keys if k in given or k in person_too or _SURNAME_LIKE.search(k)}
    return frozenset(keys - ambiguous), frozenset(ambiguous | person_too)


@cache
def load_lexicon() -> Lexicon:
    """Read and fold the shipped lists (cached: once per process)."""
    given: list[str] = []
    for name in ("given_names_kk.txt", "given_names_ru.txt"):
        for words in _read_sections(name).values():
            given.extend(words)
    ordinary = [w for ws in _read_sections("ordinary_words.txt").values() for w in ws]
    not_names_sections = _read_sections("not_names.txt")
    not_names = [w for k, ws in not_names_sections.items() if k != "surname-too" for w in ws]
    not_names += [w for ws in _read_sections("extra_not_names.txt").values() for w in ws]
    # towns that end like a surname (Иваново, Ростов) are surnames next to a given name: not listed
    places = [w for k, ws in _read_sections("places.txt").items() if k != "like-a-surname" for w in ws]
    ordinary_keys = frozenset(skeleton(ordinary))
    given_keys = frozenset(skeleton(given))
    geo, geo_person = _gazetteer(given_keys)
    surname_sections = _read_sections("surnames_kz.txt")
    short = frozenset(skeleton(surname_sections.pop("short", [])))
    surnames = frozenset(skeleton([w for ws in surname_sections.values() for w in ws])) - short
    geo_person |= geo & surnames
    geo -= surnames
    return Lexicon(
        given=given_keys,
        ordinary=ordinary_keys,
        not_names=frozenset(skeleton(not_names)) - given_keys,
        places=frozenset(skeleton(places)),
        geo=geo,
        geo_person=geo_person,
        surnames=surnames,
        short_surnames=short,
    )
