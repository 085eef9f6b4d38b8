"""Service errors in the visitor's language: one table from ``AppError.code`` to a translated message.

Services write ``AppError.message`` in English (it is also the API's envelope). Pages show the
translation of the error's stable ``code`` instead, and keep the English message under a
"Technical detail" disclosure (marked ``lang="en"``), since it names the specifics (a slug, a
version, what is missing). An unknown code shows the English message itself, marked the same way.
The table of codes is ``error_codes.ERROR_MESSAGES``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from markupsafe import Markup

from qazai.core.errors import AppError
from qazai.web.error_codes import ERROR_MESSAGES
from qazai.web.labels import N_

# Codes whose English message names nothing specific: no "Technical detail" under them.
_NOTHING_MORE = frozenset(
    {
        "bad_credentials",
        "account_locked",
        "too_many_sign_in_attempts",
        "account_disabled",
        "authentication_required",
        "session_expired",
        "invalid_session",
        "invalid_token",
        "token_revoked",
        "token_expired",
        "csrf_failed",
        "file_required",
    }
)


def error_text(gettext: Callable[[str], str], exc: AppError) -> Markup:
    """The message to show for ``exc``: translated by code, with the English detail kept.

    ``gettext`` is the visitor's ``gettext`` (``ctx._``). The result is safe HTML (everything
    interpolated is escaped): a text, then an optional ``<details>`` block.
    """
    source = ERROR_MESSAGES.get(exc.code)
    if source is None:
        return Markup('<span lang="en">{}</span>').format(exc.message)
    text = gettext(source)
    if exc.code in _NOTHING_MORE or not exc.message or exc.message.strip() == text.strip():
        return Markup("{}").format(text)
    detail = Markup('<code>{}</code> <span lang="en">{}</span>').format(exc.code, exc.message)
    return Markup('{} <details class="technical"><summary>{}</summary>{}</details>').format(
        text, gettext("Technical detail"), detail
    )


# -- form validation (pydantic) ------------------------------------------------------------------
#
# A command built from a form fails pydantic validation with errors whose ``type`` is stable
# (``missing``, ``string_too_short``, ...) and whose ``loc`` names the field. Pages show a
# translated message per type, naming the field by a translated label; the English ``loc: msg``
# stays under "Technical detail". Custom validators raise ``ValueError`` with an English text
# (type ``value_error``): the known ones are recognised by ``VALUE_ERRORS`` (a test triggers each
# and checks it is recognised), any other shows a generic translated message.

FIELD_LABELS: dict[str, str] = {
    # libraries
    "slug": N_("Short name (slug)"),
    "organisation": N_("Organisation"),
    "producer": N_("Producer"),
    "title": N_("Title"),
    "description": N_("Description"),
    "licence": N_("Licence"),
    "tier": N_("Who may read the data"),
    "themes": N_("Themes"),
    "keywords": N_("Keywords"),
    "source_systems": N_("Source systems"),
    "frequency": N_("Update frequency"),
    "legal_basis": N_("Legal basis for personal data"),
    "contact": N_("Contact e-mail"),
    "terms": N_("Terms of use"),
    "spatial": N_("Geographic coverage"),
    "temporal": N_("Time period"),
    "dictionary": N_("Data dictionary"),
    "upload_id": N_("Upload"),
    "sheet": N_("Sheet"),
    "policy": N_("Privacy action"),
    "overrides": N_("Columns"),
    "library": N_("Library"),
    "filename": N_("File name"),
    "size": N_("File size"),
    "sha256": N_("Checksum (SHA-256)"),
    "purpose": N_("Purpose"),
    "approve": N_("Decision"),
    "expires_on": N_("Access until"),
    "note": N_("Note"),
    # people, organisations, tokens
    "name": N_("Name"),
    "kind": N_("Kind"),
    "bin": N_("BIN"),
    "email": N_("E-mail"),
    "password": N_("Password"),
    "language": N_("Language"),
    "role": N_("Role"),
    "user_id": N_("User"),
    "scopes": N_("Scopes"),
    "expires_in_days": N_("Expires in (days)"),
    # AI systems
    "owner_organisation": N_("Owner organisation"),
    "holder_organisation": N_("Holder organisation"),
    "sector": N_("Sector"),
    "deployment_context": N_("Where and how it is used"),
    "affected_persons": N_("Who is affected"),
    "system_type": N_("Type"),
    "models": N_("Model used"),
    "models.name": N_("Model name"),
    "models.version": N_("Model version"),
    "models.provenance": N_("Who trained it, from what"),
    "models.hosted_here": N_("Hosted on the national platform"),
    "notice": N_("Notice to users that AI is used"),
    "labelling_method": N_("How AI-made output is marked"),
    "produces_synthetic_content": N_("Produces synthetic content"),
    "complaint_contact": N_("Contact for complaints"),
    "answers": N_("Answers"),
    "risk_class": N_("Final risk class"),
    "autonomy_class": N_("Final autonomy class"),
    "justification": N_("Justification"),
    "autonomy_legal_basis": N_("Legal basis for high autonomy"),
    "statement": N_("Statement"),
    "to": N_("Next state"),
    "reason": N_("Reason"),
    "library_version_id": N_("Library version"),
    "library_slug": N_("Library (short name)"),
    "number": N_("Version number"),
    "usage": N_("Used for"),
    # complaints
    "text": N_("Your complaint or request"),
    "decision_reference": N_("Reference of the decision"),
    "contact_name": N_("Your name"),
    "contact_email": N_("E-mail"),
    "contact_phone": N_("Phone"),
    # catalog search (query parameters)
    "q": N_("Search text"),
    "year": N_("Year"),
    "page": N_("Page"),
    "limit": N_("Results per page"),
}

# pydantic error type -> message; %(limit)s is the bound from the error's context.
TYPE_MESSAGES: dict[str, str] = {
    "missing": N_("This field is required."),
    "string_too_short": N_("Too short: at least %(limit)s characters."),
    "string_too_long": N_("Too long: at most %(limit)s characters."),
    "too_short": N_("Give at least %(limit)s entries."),
    "too_long": N_("Give at most %(limit)s entries."),
    "string_pattern_mismatch": N_("The value has the wrong format."),
    "enum": N_("Choose one of the offered values."),
    "literal_error": N_("Choose one of the offered values."),
    "int_parsing": N_("Enter a whole number."),
    "int_type": N_("Enter a whole number."),
    "int_from_float": N_("Enter a whole number."),
    "float_parsing": N_("Enter a number."),
    "float_type": N_("Enter a number."),
    "decimal_parsing": N_("Enter a number."),
    "greater_than_equal": N_("Enter a number of at least %(limit)s."),
    "greater_than": N_("Enter a number greater than %(limit)s."),
    "less_than_equal": N_("Enter a number of at most %(limit)s."),
    "less_than": N_("Enter a number less than %(limit)s."),
    "bool_parsing": N_("Choose yes or no."),
    "bool_type": N_("Choose yes or no."),
    "date_parsing": N_("Give a valid date."),
    "date_from_datetime_parsing": N_("Give a valid date."),
    "date_from_datetime_inexact": N_("Give a valid date."),
    "date_type": N_("Give a valid date."),
    "datetime_parsing": N_("Give a valid date and time."),
    "datetime_from_date_parsing": N_("Give a valid date and time."),
    "datetime_type": N_("Give a valid date and time."),
    "date_future": N_("The date must be in the future."),
    "datetime_future": N_("The date must be in the future."),
    "date_past": N_("The date must be in the past."),
    "datetime_past": N_("The date must be in the past."),
    "url_parsing": N_("Enter a valid web address (URL)."),
    "url_type": N_("Enter a valid web address (URL)."),
    "url_scheme": N_("Enter a valid web address (URL)."),
    "extra_forbidden": N_("This field is not expected here."),
    "string_type": N_("The value has the wrong type."),
    "list_type": N_("The value has the wrong type."),
    "dict_type": N_("The value has the wrong type."),
    "model_type": N_("The value has the wrong type."),
    "value_error": N_("The value is not valid."),
}
_LIMIT_KEYS = ("min_length", "max_length", "ge", "gt", "le", "lt")
_LOCALIZED_TEXT = N_("Give the text in at least one language: Kazakh, Russian or English.")

# English text of a custom validator's ValueError -> message (named groups fill the message).
VALUE_ERRORS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"give the text in at least one of kk, ru, en"), _LOCALIZED_TEXT),
    (
        re.compile(r"use 1-(?P<limit>\d+) lower-case letters, digits and dashes"),
        N_(
            "Use 1 to %(limit)s lower-case Latin letters, digits and dashes, "
            "not starting or ending with a dash."
        ),
    ),
    (
        re.compile(r"not a valid BIN"),
        N_("This is not a valid BIN: 12 digits with a correct check digit."),
    ),
    (re.compile(r"not an e-mail address"), N_("Enter a valid e-mail address.")),
    (
        re.compile(r"unknown scope\(s\) .*; choose from (?P<choices>.+)$"),
        N_("Unknown scope; choose from: %(choices)s."),
    ),
    (re.compile(r"give at least one scope"), N_("Choose at least one scope.")),
    (
        re.compile(r"at most (?P<count>\d+) entries of at most (?P<limit>\d+) characters"),
        N_("Give at most %(count)s entries of at most %(limit)s characters each."),
    ),
    (
        re.compile(r"give an SPDX licence id"),
        N_("Give a licence identifier such as CC-BY-4.0 (SPDX) or KZ-OPEN-DATA."),
    ),
    (re.compile(r"a KATO code has 9 digits"), N_("A KATO code has 9 digits.")),
    (
        re.compile(r"give a timezone"),
        N_("Give the time with its time zone, e.g. 2026-12-01T09:00:00+05:00."),
    ),
)

# Where a request validation error sits, before the field's own name.
_LOCATIONS = frozenset({"body", "query", "path", "header", "cookie"})


def _path(loc: Sequence[Any]) -> list[str]:
    names = [str(p) for p in loc if not isinstance(p, int)]
    while names and names[0] in _LOCATIONS:
        names.pop(0)
    return names


def field_label(gettext: Callable[[str], str], loc: Sequence[Any]) -> str | None:
    """The translated label of the field at ``loc`` (most specific known name), if any."""
    names = _path(loc)
    candidates = [".".join(names[:i]) for i in range(len(names), 0, -1)] + list(reversed(names))
    for key in candidates:
        if key in FIELD_LABELS:
            return gettext(FIELD_LABELS[key])
    return None


def problem_text(gettext: Callable[[str], str], error: Mapping[str, Any]) -> str:
    """One validation error in the visitor's language, without the field's name."""
    kind = str(error.get("type", ""))
    context = error.get("ctx") or {}
    if kind == "value_error":
        found = str(context.get("error", "")) or str(error.get("msg", ""))
        for pattern, message in VALUE_ERRORS:
            match = pattern.search(found)
            if match:
                return gettext(message) % match.groupdict()
    if kind in ("model_type", "dict_type") and context.get("class_name") == "LocalizedText":
        return gettext(_LOCALIZED_TEXT)
    if kind == "string_too_short" and context.get("min_length") == 1:
        return gettext(TYPE_MESSAGES["missing"])
    if kind == "too_short" and context.get("min_length") == 1:
        return gettext(N_("Choose at least one."))
    message = gettext(TYPE_MESSAGES.get(kind, TYPE_MESSAGES["value_error"]))
    limit = next((context[k] for k in _LIMIT_KEYS if k in context), None)
    return message % {"limit": limit} if "%(limit)s" in message else message


def validation_text(gettext: Callable[[str], str], errors: Sequence[Mapping[str, Any]]) -> Markup:
    """Validation errors of a form (pydantic ``errors()``) as safe HTML in the visitor's language.

    Each problem names its field by its translated label; several problems make a list. The
    English ``field: message`` of every problem stays under "Technical detail".
    """
    if not errors:
        return Markup("{}").format(gettext(ERROR_MESSAGES["invalid_input"]))
    shown: list[str] = []
    technical: list[Markup] = []
    for error in errors:
        label = field_label(gettext, error.get("loc", ()))
        problem = problem_text(gettext, error)
        line = f"{label}: {problem}" if label else problem
        if line not in shown:
            shown.append(line)
        where = ".".join(_path(error.get("loc", ())))
        english = str(error.get("msg", ""))
        said = f"{where}: {english}" if where else english
        technical.append(
            Markup('<code>{}</code> <span lang="en">{}</span>').format(error.get("type", ""), said)
        )
    if len(shown) == 1:
        text = Markup("{}").format(shown[0])
    else:
        text = Markup("{}<ul>{}</ul>").format(
            gettext(ERROR_MESSAGES["invalid_input"]),
            Markup("").join(Markup("<li>{}</li>").format(line) for line in shown),
        )
    return Markup('{} <details class="technical"><summary>{}</summary>{}</details>').format(
        text, gettext("Technical detail"), Markup("<br>").join(technical)
    )


def error_plain(gettext: Callable[[str], str], exc: AppError) -> str:
    """The translated message of ``exc`` as plain text (for script requests that show one line)."""
    source = ERROR_MESSAGES.get(exc.code)
    return gettext(source) if source is not None else exc.message
