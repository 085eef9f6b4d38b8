"""Model cards: the mandatory fields, a card file (`card.md`), and safe rendering.

A card is Markdown without raw HTML: pushing a card that holds an HTML tag (a `<script>`) is
refused, and rendering escapes any that get through, so a card never runs in a visitor's browser.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from markdown_it import MarkdownIt
from markupsafe import Markup
from pydantic import ValidationError

from qazai.core.enums import Language
from qazai.core.errors import InvalidInput
from qazai.core.text import LocalizedText
from qazai.models.models import ModelCard

MANDATORY = (
    "intended_use",
    "out_of_scope_uses",
    "training_data",
    "evaluation",
    "limitations_and_risks",
    "risk_class",
)
_TEXT_FIELDS = ("description", "intended_use", "out_of_scope_uses", "evaluation", "limitations_and_risks")
_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*(?:\n|\Z)", re.DOTALL)

# commonmark with raw HTML off: `<script>` comes out as text; links with javascript: are refused
_MARKDOWN = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")
_DETECT = MarkdownIt("commonmark", {"html": True}).enable("table")


def missing_fields(card: ModelCard) -> list[str]:
    """The mandatory fields the card lacks (training data: linked versions when trained on the
    platform, else a declaration or links)."""
    missing = [name for name in MANDATORY if getattr(card, name) is None]
    data = card.training_data
    if data is not None:
        if data.trained_on_platform and not data.library_versions:
            missing.append("training_data.library_versions")
        elif not data.library_versions and data.declared is None:
            missing.append("training_data.declared")
    return missing


def _texts(card: ModelCard) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for name in _TEXT_FIELDS:
        value: LocalizedText | None = getattr(card, name)
        if value is not None:
            out += [(f"{name}.{lang}", text) for lang, text in value.model_dump().items() if text]
    if card.training_data is not None and card.training_data.declared is not None:
        out += [
            (f"training_data.declared.{lang}", text)
            for lang, text in card.training_data.declared.model_dump().items()
            if text
        ]
    return out


def raw_html(text: str) -> list[str]:
    """The raw HTML fragments in a Markdown text (code spans and blocks do not count)."""
    found: list[str] = []
    for token in _DETECT.parse(text):
        if token.type == "html_block":
            found.append(token.content.strip())
        for child in token.children or []:
            if child.type == "html_inline":
                found.append(child.content)
    return found


def check_card(card: ModelCard) -> None:
    """InvalidInput ``card_incomplete`` listing every missing mandatory field, or ``card_raw_html``
    naming the field that holds HTML."""
    missing = missing_fields(card)
    if missing:
        raise InvalidInput(
            "the model card lacks mandatory fields: " + ", ".join(missing),
            code="card_incomplete",
            details={"missing": missing},
        )
    for where, text in _texts(card):
        fragments = raw_html(text)
        if fragments:
            raise InvalidInput(
                f"the model card's {where} holds raw HTML ({fragments[0][:60]!r}); "
                "cards are Markdown without HTML",
                code="card_raw_html",
                details={"field": where, "html": fragments[0][:200]},
            )


def render_markdown(text: str | None) -> Markup:
    """Safe HTML for a card text: raw HTML escaped, unsafe link schemes dropped."""
    if not text:
        return Markup("")
    return Markup(_MARKDOWN.render(text))  # noqa: S704 - markdown-it escapes (html off)


def card_text(value: LocalizedText | None, lang: Language | str) -> str:
    return value.get(lang) if value is not None else ""


# -- card files ---------------------------------------------------------------------------------


def _localised(value: Any, body_lang: str) -> Any:
    if isinstance(value, str):
        return {body_lang: value}
    return value


def parse_card_file(path: Path) -> tuple[ModelCard, dict[str, Any]]:
    """A card from `card.md`: YAML front matter with the card's fields (plain text or a kk/ru/en
    mapping each) and repository metadata (`license`, `pipeline_tag`, `language`, `tags`,
    `title`), then the Markdown body as the description in `card_language` (default en).
    Sibling `card.kk.md` / `card.ru.md` / `card.en.md` add the description in those languages.
    Returns the card and the repository metadata. InvalidInput naming what is wrong."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"cannot read the card file {path}: {exc}", code="card_unreadable") from None
    match = _FRONT_MATTER.match(text)
    meta: dict[str, Any] = {}
    body = text
    if match:
        try:
            loaded = yaml.safe_load(match.group(1)) or {}
        except yaml.YAMLError as exc:
            raise InvalidInput(
                f"the card's front matter is not YAML: {exc}", code="card_unreadable"
            ) from None
        if not isinstance(loaded, dict):
            raise InvalidInput("the card's front matter must be a mapping", code="card_unreadable")
        meta = loaded
        body = text[match.end() :]
    body_lang = str(meta.pop("card_language", "en"))
    if body_lang not in ("kk", "ru", "en"):
        raise InvalidInput("card_language must be kk, ru or en", code="card_unreadable")
    descriptions: dict[str, str] = {}
    if body.strip():
        descriptions[body_lang] = body.strip()
    for lang in ("kk", "ru", "en"):
        sibling = path.with_name(f"{path.stem}.{lang}{path.suffix}")
        if sibling.is_file():
            descriptions[lang] = sibling.read_text(encoding="utf-8").strip()
    fields: dict[str, Any] = {}
    for name in _TEXT_FIELDS:
        if name in meta:
            fields[name] = _localised(meta.pop(name), body_lang)
    if "risk_class" in meta:
        fields["risk_class"] = meta.pop("risk_class")
    if "training_data" in meta:
        data = meta.pop("training_data")
        if isinstance(data, dict) and "declared" in data:
            data = {**data, "declared": _localised(data["declared"], body_lang)}
        fields["training_data"] = data
    if descriptions and "description" not in fields:
        fields["description"] = descriptions
    try:
        card = ModelCard.model_validate(fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InvalidInput(f"card field {where}: {first['msg']}", code="card_invalid") from None
    return card, meta
