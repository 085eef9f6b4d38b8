"""Languages of the portal: gettext catalogs (compiled with Babel) and the choice of language.

The choice, in order: the visitor's explicit choice on this browser (the switcher's ``qazai_lang``
cookie), the signed-in user's saved language, the browser's ``Accept-Language``, else Kazakh. An
explicit choice is also saved to a signed-in user's profile (on switching, and at sign-in for a
choice made before it), so it follows the user to another browser; a new user's first saved
language is the one the portal showed at their first sign-in.

A multilingual text (``LocalizedText``) shown in another language than the page's (it lacks the
page's language) is marked with ``lang`` (:func:`localized`), so screen readers and search engines
read it right; :func:`missing_languages` tells its producer what to add.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from babel.support import NullTranslations, Translations
from markupsafe import Markup

from qazai.core.enums import Language
from qazai.core.text import FALLBACK_ORDER, LocalizedText

TRANSLATIONS_DIR = Path(__file__).parent / "translations"
DOMAIN = "messages"
LANG_COOKIE = "qazai_lang"
DEFAULT_LANGUAGE = Language.kk
# The name of each language in itself, as the switcher shows it.
LANGUAGE_NAMES: dict[Language, str] = {Language.kk: "Қазақша", Language.ru: "Русский", Language.en: "English"}


@cache
def translations_for(lang: Language) -> NullTranslations:
    """The compiled catalog of ``lang`` (English is the source language: an empty catalog works)."""
    loaded = Translations.load(str(TRANSLATIONS_DIR), [lang.value], domain=DOMAIN)
    return loaded


def parse_language(value: str | None) -> Language | None:
    if not value:
        return None
    try:
        return Language(value.strip().lower())
    except ValueError:
        return None


def from_accept_language(header: str | None) -> Language | None:
    """The first supported language in an ``Accept-Language`` header, by quality."""
    if not header:
        return None
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        ranked.append((-quality, position, tag.strip().lower()))
    for negative_quality, _position, tag in sorted(ranked):
        if negative_quality >= 0:
            continue
        lang = parse_language(tag.split("-")[0])
        if lang is not None:
            return lang
    return None


def choose_language(*, saved: Language | None, cookie: str | None, accept_language: str | None) -> Language:
    """The page's language: the explicit choice (``cookie``) wins over the ``saved`` one."""
    return parse_language(cookie) or saved or from_accept_language(accept_language) or DEFAULT_LANGUAGE


class InLanguage(str):
    """A text in another language than the page's: plain text to Python (slicing, ``|truncate``,
    concatenation give a ``str``), ``<span lang="xx">`` when Jinja renders it."""

    lang: Language

    def __new__(cls, text: str, lang: Language) -> InLanguage:
        made = super().__new__(cls, text)
        made.lang = lang
        return made

    def __html__(self) -> Markup:
        return Markup('<span lang="{}">{}</span>').format(self.lang.value, str(self))


def localized(value: LocalizedText, lang: Language) -> str:
    """``value`` in ``lang``, else in the first language it has (``LocalizedText.get``'s order),
    then marked as :class:`InLanguage`; "" when it has none."""
    for candidate in FALLBACK_ORDER[lang]:
        text = getattr(value, candidate.value)
        if text:
            return str(text) if candidate is lang else InLanguage(str(text), candidate)
    return ""


def missing_languages(value: LocalizedText | None) -> list[Language]:
    """The portal's languages ``value`` lacks (kk, ru, en order); every one when it is None."""
    return [lang for lang in Language if value is None or not (getattr(value, lang.value) or "").strip()]
