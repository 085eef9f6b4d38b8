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
LATIN_EVERYWHERE = frozenset({"Enclave", "Operator", "Catalog", "Company", "University", "Excel (XLSX)"})
# Product and format names templates show as they are.
NAMES = frozenset(
    {"QazAI", "pandas", "DuckDB", "Hugging", "Face", "datasets", "Croissant", "sha", "SHA", "Data", "Package"}
)  # "Data Package" is the Frictionless format's name
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


# Latin words a Kazakh or Russian translation may keep: names of products, formats and standards,
# protocol words (a header's name), identifiers users type, and Latin-letter search examples.
KEPT_IN_TRANSLATION = NAMES | frozenset(
    {
        "API",
        "CSV",
        "XLSX",
        "JSON",
        "Parquet",
        "PDF",
        "C2PA",
        "ISBN",
        "DOI",
        "CSRF",
        "SELECT",
        "HTTP",
        "IBAN",
        "IP",
        "Excel",
        "UTF",
        "GGUF",
        "safetensors",
        "Pickle",
        "pickle",
        "Markdown",
        "HTML",
        "Bearer",
        "Authorization",
        "Upload",
        "Offset",
        "KZ",
        "OPEN",
        "DATA",
        "CC",
        "BY",
        "SPDX",
        "RAG",
        "slug",
        "inputs",
        "outputs",
        "library",
        "version",
        "token",
        "httpfs",
        "eGov",
        "egov",
        "halyq",
        "naselenie",
        "translation",
        "population",
        "ID",
        "QR",
        "URL",
        "KATO",
        "BIN",
        "IIN",
        "PNG",
        "JPEG",
        "WebP",
        "Slurm",
        "Python",
        "Jupyter",
        "ZIP",
        "TSV",
        "SQL",
        "OK",
        "AI",
        "APA",
        "BibTeX",
        "LaTeX",
        "T09",  # a timestamp's example: 2026-12-01T09:00:00+05:00
    }
)


def test_kazakh_and_russian_translations_keep_no_english_words() -> None:
    """A translation does not leave an English word in the sentence (e-mail, label, download...):
    a Kazakh or Russian reader would meet it on the page."""
    for lang in ("kk", "ru"):
        kept: dict[str, list[str]] = {}
        for message in _catalog(lang):
            if not message.id:
                continue
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            text = re.sub(
                r"%\(\w+\)[sd]|\{\w+\}|<[^>]*>|&\w+;|\S+@\S+|\S*/\S*|\S*\.\w+\b", " ", " ".join(strings)
            )
            words = [
                w
                for w in re.findall(r"[A-Za-z][A-Za-z0-9]*", text)
                if len(w) > 1 and w not in KEPT_IN_TRANSLATION
            ]
            if words:
                kept[str(message.id)[:60]] = words
        assert kept == {}, f"{lang}: English left in translations: {kept}"


def test_every_value_the_portal_labels_has_a_translated_word() -> None:
    """Each value of the enums pages show (tiers, states, kinds, actions, entities, column types...)
    has an English label, translated in kk and ru: no raw `non_personal` or `int64` on a page."""
    from qazai.core.enums import AccessTier, OrgKind, OrgRole, PlatformRole
    from qazai.libraries.ingest import ColumnType
    from qazai.libraries.models import Frequency, LegalBasis
    from qazai.privacy.entities import ColumnKind, Entity
    from qazai.privacy.policy import Action
    from qazai.registry.models import ComplaintState
    from qazai.web.labels import ENTITY_LABELS, LABELS, TYPE_LABELS, type_english
    from qazai.web.views.registry_common import REGISTRY_LABELS

    wanted: list[str] = []
    for enum in (AccessTier, OrgKind, OrgRole, PlatformRole, Frequency, LegalBasis, ColumnKind, Action):
        for value in enum:
            assert value.value in LABELS, f"{enum.__name__}.{value.value} has no label in web/labels.py"
            wanted.append(LABELS[value.value])
    for state in ComplaintState:
        assert state.value in REGISTRY_LABELS, f"complaint state {state.value} has no label"
        wanted.append(REGISTRY_LABELS[state.value])
    for entity in Entity:
        assert entity.value in ENTITY_LABELS, f"entity {entity.value} has no word in web/labels.py"
        wanted.append(ENTITY_LABELS[entity.value])
    for column_type in ColumnType:
        wanted.append(TYPE_LABELS[column_type.value])
    for arrow in ("int64", "double", "large_string", "bool", "date32[day]", "timestamp[us]"):
        assert type_english(arrow) != "Other", arrow
    for lang in ("kk", "ru"):
        catalog = _catalog(lang)
        missing = [w for w in wanted if not (catalog.get(w) and catalog.get(w).string)]
        assert missing == [], f"{lang}: untranslated labels {missing}"
    # a complaint that is open is not "Открытые", the access tier's word
    assert REGISTRY_LABELS["open"] != LABELS["open"]
