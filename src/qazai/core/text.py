"""Multilingual text: Kazakh, Russian and English."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, model_validator

from qazai.core.enums import Language

FALLBACK_ORDER: dict[Language, tuple[Language, ...]] = {
    Language.kk: (Language.kk, Language.ru, Language.en),
    Language.ru: (Language.ru, Language.kk, Language.en),
    Language.en: (Language.en, Language.ru, Language.kk),
}


class LocalizedText(BaseModel):
    """A text in up to three languages; at least one must be given."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kk: str | None = None
    ru: str | None = None
    en: str | None = None

    @model_validator(mode="after")
    def _at_least_one(self) -> LocalizedText:
        if not any((value or "").strip() for value in (self.kk, self.ru, self.en)):
            raise ValueError("give the text in at least one of kk, ru, en")
        return self

    def get(self, lang: Language | str) -> str:
        """The text in ``lang``, falling back to the other languages in a sensible order."""
        for candidate in FALLBACK_ORDER[Language(lang)]:
            value = getattr(self, candidate.value)
            if value:
                return str(value)
        return ""
