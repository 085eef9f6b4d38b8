"""Every user-visible string of the portal is in the catalogs, translated into Kazakh and Russian."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

WEB = Path(__file__).resolve().parents[2] / "src" / "qazai" / "web"
TRANSLATIONS = WEB / "translations"
CYRILLIC = set("абвгдеёжзийклмнопрстуфхцчшщъыьэюяәғқңөұүһі")
# Messages that stay in Latin letters in every language (names, codes).
LATIN_EVERYWHERE = frozenset({"Enclave", "Operator", "Catalog", "Company", "University"})
# Product and format names templates show as they are.
NAMES = frozenset({"QazAI", "pandas", "DuckDB", "Hugging", "Face", "datasets", "Croissant", "sha", "SHA"})
# Words in the script that are protocol, not text: a header name, the strict-mode directive.
SCRIPT_TECHNICAL = frozenset({"Accept", "use strict"})
BRACED = re.compile(r"\{\w+\}")


def _extracted(tmp_path: Path) -> set[object]:
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            str(Path(sys.executable).parent / "pybabel"),
            "extract",
            "-F",
            str(WEB / "babel.cfg"),
            "-k",
            "N_",
            "-o",
            str(pot),
            str(WEB),
        ],
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as f:
        return {m.id for m in read_po(f) if m.id}


def _catalog(lang: str) -> Catalog:
    with (TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f)


def test_catalogs_cover_every_string_in_the_code_and_nothing_else(tmp_path: Path) -> None:
    wanted = _extracted(tmp_path)
    for lang in ("kk", "ru", "en"):
        catalog = _catalog(lang)
        have = {m.id for m in catalog if m.id}
        assert wanted <= have, (
            f"{lang}: run the update in docs/web.md for {sorted(map(str, wanted - have))[:5]}"
        )
        # a string the code no longer uses is dead weight a translator would keep maintaining
        assert have <= wanted, (
            f"{lang}: run the update in docs/web.md, {sorted(map(str, have - wanted))[:5]} left"
        )
        assert not catalog.obsolete, f"{lang}: drop the obsolete (#~) entries {list(catalog.obsolete)[:5]}"


def test_kazakh_and_russian_are_complete_and_cyrillic() -> None:
    for lang in ("kk", "ru"):
        for message in _catalog(lang):
            if not message.id:
                continue
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            assert all(strings), f"{lang}: {message.id!r} is not translated"
            # pybabel compile -f (docs/web.md) would ship a fuzzy guess as if it were reviewed
            assert not message.fuzzy, f"{lang}: {message.id!r} is marked fuzzy: review it and drop the flag"
            if message.id not in LATIN_EVERYWHERE:
                assert any(ch in CYRILLIC for ch in "".join(strings).lower()), f"{lang}: {message.id!r}"


def test_placeholders_survive_translation() -> None:
    """``%(name)s`` and ``{name}`` in a message come back in its translation, none added."""
    for lang in ("kk", "ru"):
        catalog = _catalog(lang)
        problems = [(m.id, [str(e) for e in errors]) for m, errors in catalog.check() if errors]
        assert problems == [], (lang, problems[:5])
        for message in catalog:
            if not message.id or not isinstance(message.id, str):
                continue
            assert sorted(BRACED.findall(message.id)) == sorted(BRACED.findall(str(message.string))), (
                lang,
                message.id,
            )


def _key(value: object) -> object:
    return tuple(value) if isinstance(value, list | tuple) else value


def test_compiled_catalogs_match_their_sources() -> None:
    for lang in ("kk", "ru"):  # English is the source: its catalog is empty
        source = {_key(m.id): _key(m.string) for m in _catalog(lang) if m.id}
        with (TRANSLATIONS / lang / "LC_MESSAGES" / "messages.mo").open("rb") as f:
            compiled = {_key(m.id): _key(m.string) for m in read_mo(f) if m.id}
        assert compiled == source, f"{lang}: recompile the .mo (docs/web.md)"


def _visible_text(template: str) -> str:
    """What a template shows that is not a Jinja expression: text nodes and the attributes people
    read (``title``, ``alt``, ``placeholder``, ``aria-label``). Code samples are not words."""
    text = re.sub(r"\{#.*?#\}|\{%.*?%\}|\{\{.*?\}\}", " ", template, flags=re.S)
    text = re.sub(r"<(pre|code|script|style)\b.*?</\1>", " ", text, flags=re.S)
    attributes = re.findall(r'\b(?:title|alt|placeholder|aria-label)="([^"]*)"', text)
    text = re.sub(r"<[^>]*>", " ", text, flags=re.S)
    return " ".join([text, *attributes])


def test_templates_have_no_words_outside_gettext() -> None:
    """Every word a page shows goes through ``_()``, so it reaches the catalogs."""
    found: dict[str, list[str]] = {}
    for template in sorted((WEB / "templates").rglob("*.html")):
        words = re.findall(r"[^\W\d_]{2,}", _visible_text(template.read_text(encoding="utf-8")))
        stray = [w for w in words if w not in NAMES]
        if stray:
            found[str(template.relative_to(WEB))] = stray
    assert found == {}, f"wrap these in _() (or add a product name to NAMES): {found}"


def test_the_script_has_no_words_of_its_own() -> None:
    """The script shows only what the page gives it (data-* attributes filled by the template, or
    JSON the server translated): no English sentence or word literal in it."""
    script = (WEB / "static" / "qazai.js").read_text(encoding="utf-8")
    code = re.sub(r"^\s*//.*$", "", script, flags=re.M)
    literals = re.findall(r'"((?:[^"\\]|\\.)*)"', code)
    worded = [
        s for s in literals if re.search(r"[A-Za-z]{2,} [A-Za-z]{2,}", s) or re.fullmatch(r"[A-Z][a-z]+", s)
    ]
    assert [s for s in worded if s not in SCRIPT_TECHNICAL] == []
