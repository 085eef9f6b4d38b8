"""Languages of the portal: gettext catalogs (compiled with Babel) and the choice of language.

The choice, in order: the signed-in user's saved language, the ``qazai_lang`` cookie (anonymous
visitors), the browser's ``Accept-Language``, else Kazakh.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from babel.support import NullTranslations, Translations

from qazai.core.enums import Language

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
    return saved or parse_language(cookie) or from_accept_language(accept_language) or DEFAULT_LANGUAGE
