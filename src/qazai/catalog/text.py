"""Search keys for Kazakh, Russian and English text, in Cyrillic or Latin script.

Every word becomes one or more *keys*: lower-case ASCII strings on which the documents are
indexed and the queries are matched. Two things make a Kazakh or Russian word and its other
spellings land on the same key:

- **script folding**: Cyrillic is transliterated, and every Latin spelling of Kazakh (the 2021
  official alphabet with diacritics, the 2018 apostrophe alphabet, common informal romanisation,
  Russian-style transliteration such as ``kh``/``zh``) is reduced to the same loose Latin, e.g.
  ``Халықтың`` / ``Halyqtyń`` / ``Halyqtyn'`` / ``Halyktyn`` -> ``haliktin``;
- **word forms**: a Kazakh suffix stripper (agglutinative endings peeled off from the right while
  a stem of 3+ letters remains) for all words, plus the Snowball Russian stemmer for Cyrillic
  words and the Snowball English stemmer for Latin ones. A word yields every distinct key those
  give; a query word matches a document when they share one key. A Latin word is also read as
  romanised Russian (``obrashcheniya`` -> ``обращения``) and given that word's Russian stem;
- **related words**: a thesaurus of the portal's themes (``thesaurus.toml``; its source and
  rationale are at its top), words for the same thing across kk/ru/en (``су``/``вода``/``water``;
  ``безработные``/``занятость``/``жұмыссыз``), gives each of its words one more shared key
  (``~water``), at index and at query time alike.

Folding is deliberately lossy (``q``/``k``, ``y``/``i``/``ы``/``й``/``і`` collapse): recall matters
more than precision for a catalogue of a few thousand libraries ranked by BM25.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from functools import lru_cache
from importlib import resources

import snowballstemmer

_CYRILLIC_TO_LATIN = {
    "а": "a", "ә": "a", "б": "b", "в": "v", "г": "g", "ғ": "g", "д": "d", "е": "e", "ё": "e",
    "ж": "zh", "з": "z", "и": "i", "й": "i", "к": "k", "қ": "k", "л": "l", "м": "m", "н": "n",
    "ң": "n", "о": "o", "ө": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ұ": "u",
    "ү": "u", "ф": "f", "х": "h", "һ": "h", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "sh", "ъ": "",
    "ы": "i", "і": "i", "ь": "", "э": "e", "ю": "iu", "я": "ia",
}  # fmt: skip

# Latin letters with diacritics of the Kazakh alphabets (2021: Ä Ğ Ñ Ö Ū Ü Ş Ç I İ; Turkish-style ı).
_LATIN_LETTERS = {
    "ä": "a", "á": "a", "ğ": "g", "ǵ": "g", "ñ": "n", "ń": "n", "ö": "o", "ó": "o", "ū": "u",
    "ü": "u", "ú": "u", "ş": "sh", "ç": "ch", "ı": "i", "i̇": "i", "ý": "i", "é": "e", "ё": "e",
}  # fmt: skip

_KAZAKH_ONLY = set("әғқңөұүһі")
_WORD = re.compile(r"[^\W_]+(?:['’ʼ`][^\W_]+)*", re.UNICODE)
# Applied in order to already-lowercased Latin text.
_LATIN_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"([aoug])['’ʼ`]"), r"\1"),  # 2018 alphabet: a' o' u' g'
    (re.compile(r"n['’ʼ`]"), "n"),
    (re.compile(r"['’ʼ`]"), ""),
    (re.compile(r"shch|sch"), "sh"),  # Russian romanisation of щ (folded Cyrillic щ is "sh")
    (re.compile(r"kh"), "h"),
    (re.compile(r"j"), "zh"),  # 2021: Ж -> J
    (re.compile(r"q"), "k"),
    (re.compile(r"x"), "h"),
    (re.compile(r"w"), "u"),
    (re.compile(r"y"), "i"),
    (re.compile(r"zhzh"), "zh"),
)

# Kazakh endings after folding, longest first. Plural, possessive, case, and a few derivational
# endings (-lyq/-lik "-ness", -shy "-er", -daghy "-in"); voicing variants (d/t/l, g/k, n) included.
_KZ_SUFFIXES = sorted(
    {
        # plural
        "lar", "ler", "dar", "der", "tar", "ter",
        # possessive
        "imiz", "iniz", "lari", "leri", "dari", "deri", "tari", "teri", "im", "in", "si", "i",
        # genitive, accusative
        "nin", "din", "tin", "ni", "di", "ti",
        # dative
        "ga", "ge", "ka", "ke", "na", "ne", "a", "e",
        # locative, ablative, instrumental
        "nda", "nde", "da", "de", "ta", "te", "nan", "nen", "dan", "den", "tan", "ten",
        "men", "ben", "pen",
        # derivational
        "lik", "dik", "tik", "shi", "dagi", "degi", "tagi", "tegi", "gi",
    },
    key=len,
    reverse=True,
)  # fmt: skip
_MIN_STEM = 3

_russian = snowballstemmer.stemmer("russian")
_english = snowballstemmer.stemmer("english")

# Romanised Russian back to Cyrillic, so that ``bezrabotnye`` gets the Russian stemmer's key of
# ``безработные``. Multi-letter spellings first; ``y`` is read from its neighbours below.
_ROMAN_RUSSIAN = (
    ("shch", "щ"), ("sch", "щ"), ("zh", "ж"), ("kh", "х"), ("ts", "ц"), ("ch", "ч"), ("sh", "ш"),
    ("ya", "я"), ("ja", "я"), ("yu", "ю"), ("ju", "ю"), ("yo", "ё"), ("jo", "ё"),
)  # fmt: skip
_ROMAN_LETTERS = dict(zip("abvgdezijklmnoprstufhcwxq", "абвгдезийклмнопрстуфхцвкк", strict=True))
_VOWELS = set("aeiouy")
_ROMAN_PARTS = re.compile("|".join(k for k, _ in _ROMAN_RUSSIAN) + "|.")


def latin_to_russian(word: str) -> str:
    """A Latin spelling of a Russian word in Cyrillic (``obrashcheniya`` -> ``обращения``);
    ``""`` when the word has letters outside ASCII."""
    if not word.isascii():
        return ""
    multi = dict(_ROMAN_RUSSIAN)
    parts = _ROMAN_PARTS.findall(word)
    out: list[str] = []
    for i, part in enumerate(parts):
        previous = parts[i - 1][-1] if i else ""
        if part in multi:
            out.append(multi[part])
        elif part == "y":
            if previous and previous in _VOWELS:
                out.append("й")  # -iy, -ey, -oy: й
            elif previous:
                out.append("ы")  # -nye, -ny: ые, ы
            else:
                out.append("й")
        else:
            out.append(_ROMAN_LETTERS.get(part, part))
    return "".join(out)


def fold(text: str) -> str:
    """Lower-case loose Latin for any Kazakh, Russian or English text (see the module docstring)."""
    lowered = unicodedata.normalize("NFC", text.lower())
    out = []
    for char in lowered:
        mapped = _CYRILLIC_TO_LATIN.get(char)
        if mapped is None:
            mapped = _LATIN_LETTERS.get(char)
        out.append(char if mapped is None else mapped)
    latin = "".join(out)
    # Remaining combining marks (e.g. "ı̇", decomposed diacritics) go.
    latin = "".join(c for c in unicodedata.normalize("NFD", latin) if not unicodedata.combining(c))
    for pattern, replacement in _LATIN_RULES:
        latin = pattern.sub(replacement, latin)
    return latin


def strip_kazakh_suffixes(word: str) -> str:
    """Peel Kazakh endings off a folded word while a stem of at least 3 letters remains."""
    changed = True
    while changed:
        changed = False
        for suffix in _KZ_SUFFIXES:
            if word.endswith(suffix) and len(word) - len(suffix) >= _MIN_STEM:
                word = word[: -len(suffix)]
                changed = True
                break
    return word


def words(text: str) -> list[str]:
    """The words of ``text`` (letters and digits; inner apostrophes kept, as in ``Halyqtyn'``)."""
    return _WORD.findall(text)


@lru_cache(maxsize=65536)
def word_keys(word: str) -> tuple[str, ...]:
    """Every search key of one word, most specific first (see the module docstring)."""
    lowered = word.lower()
    if lowered.isdigit():
        return (lowered,)
    folded = fold(lowered)
    if not folded.isascii() or not folded.isalnum():
        folded = "".join(c for c in folded if c.isalnum())
    if not folded:
        return ()
    keys = _own_keys(lowered, folded)
    related = [f"~{group}" for group, members in _related_keys().items() if members & set(keys)]
    return tuple(dict.fromkeys([*keys, *related]))


def _own_keys(lowered: str, folded: str) -> list[str]:
    keys = [strip_kazakh_suffixes(folded), folded]
    is_cyrillic = any("\u0400" <= c <= "\u04ff" for c in lowered)
    if is_cyrillic and not (_KAZAKH_ONLY & set(lowered)):
        keys.append(fold(_russian.stemWord(lowered)))
    elif not is_cyrillic:
        keys.append(_english.stemWord(folded))
        cyrillic = latin_to_russian(lowered)
        if cyrillic:
            keys.append(fold(_russian.stemWord(cyrillic)))
    return [k for k in dict.fromkeys(keys) if k]


def _group_keys(lowered: str) -> set[str]:
    """A thesaurus word's keys: its folded spelling and its own language's stem (the thesaurus
    writes Kazakh and Russian in Cyrillic, English in Latin), none shorter than 2 letters."""
    folded = "".join(c for c in fold(lowered) if c.isalnum())
    keys = {folded}
    if any("\u0400" <= c <= "\u04ff" for c in lowered):
        if not (_KAZAKH_ONLY & set(lowered)):
            keys.add(fold(_russian.stemWord(lowered)))
    else:
        keys.add(_english.stemWord(folded))
    return {k for k in keys if len(k) >= 2}


@lru_cache(maxsize=1)
def _related_keys() -> dict[str, frozenset[str]]:
    """Each group of ``thesaurus.toml`` as the set of its words' most specific keys (the folded
    word and its stemmer's key; the Kazakh stripper's shorter key would pull in unrelated words)."""
    groups: dict[str, frozenset[str]] = {}
    thesaurus = tomllib.loads(resources.files("qazai.catalog").joinpath("thesaurus.toml").read_text("utf-8"))
    for group, entry in thesaurus.items():
        keys: set[str] = set()
        for member in entry["words"]:
            lowered = member.lower()
            keys.update(_group_keys(lowered))
        groups[group] = frozenset(keys)
    return groups


def text_keys(text: str) -> list[str]:
    """All keys of all words of ``text``, in order (a word's several keys are adjacent)."""
    out: list[str] = []
    for word in words(text):
        out.extend(word_keys(word))
    return out


# Words a query may leave out: joining words of kk/ru/en, and "data" in a catalogue of data (a
# library's text rarely says it). Dropped from a query unless nothing else is left.
_QUERY_STOPWORDS = frozenset(
    {
        "және", "мен", "бен", "пен", "бойынша", "үшін", "туралы",
        "и", "в", "во", "на", "по", "для", "о", "об", "от", "из", "с", "со", "к",
        "and", "or", "of", "the", "in", "on", "by", "for", "to", "a", "an",
        "деректер", "деректері", "данные", "данных", "data", "dataset", "datasets",
    }
)  # fmt: skip


def query_terms(text: str) -> list[tuple[str, ...]]:
    """A query as a list of words, each the tuple of its keys (a word matches on any of them);
    joining words and "data" are left out when other words remain."""
    found = words(text)
    kept = [w for w in found if w.lower() not in _QUERY_STOPWORDS] or found
    return [keys for keys in (word_keys(w) for w in kept) if keys]
