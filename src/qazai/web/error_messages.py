"""Service errors in the visitor's language: one table from ``AppError.code`` to a translated message.

Services write ``AppError.message`` in English (it is also the API's envelope). Pages show the
translation of the error's stable ``code`` instead, and keep the English message under a
"Technical detail" disclosure, since it names the specifics (a slug, a version, what is missing).
An unknown code shows the English message itself, so nothing is lost.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from markupsafe import Markup

from qazai.core.errors import AppError
from qazai.web.labels import N_

ERROR_MESSAGES: dict[str, str] = {
    # generic, by error class
    "invalid_input": N_("Some of the data is not valid."),
    "unauthenticated": N_("Please sign in to continue."),
    "permission_denied": N_("You are not allowed to do this."),
    "not_found": N_("What you asked for was not found."),
    "conflict": N_("This conflicts with what already exists."),
    "payload_too_large": N_("The file or form is too large."),
    "disclosure_blocked": N_("This would disclose personal data, so nothing was released."),
    "unavailable": N_("The service is temporarily unavailable. Please try again later."),
    # accounts and sessions
    "bad_credentials": N_("Wrong e-mail or password."),
    "account_locked": N_(
        "Too many failed sign-ins for this account: it is temporarily locked, even for the right password."
    ),
    "too_many_sign_in_attempts": N_("Too many failed sign-ins from your network address."),
    "account_disabled": N_("This account is disabled."),
    "authentication_required": N_("Sign in to see this page."),
    "session_expired": N_("Your session has ended. Please sign in again."),
    "invalid_session": N_("Your session has ended. Please sign in again."),
    "invalid_token": N_("The API token is not valid."),
    "token_revoked": N_("The API token was revoked."),
    "token_expired": N_("The API token has expired."),
    "csrf_failed": N_("The form has expired or did not come from this site. Reload the page and try again."),
    "email_taken": N_("A user with this e-mail already exists."),
    "slug_taken": N_("This short name (slug) is already taken."),
    "bin_taken": N_("An organisation with this BIN is already registered."),
    "organisation_not_found": N_("The organisation was not found."),
    # libraries and uploads
    "library_not_found": N_("The library was not found."),
    "version_not_found": N_("This version of the library was not found."),
    "version_not_published": N_("This version is not published."),
    "version_withdrawn": N_("This version was withdrawn."),
    "version_rejected": N_("The version was rejected. See the technical detail for what to change."),
    "title_required": N_("A library must keep a title."),
    "metadata_incomplete": N_("The library lacks mandatory metadata. Add it before publishing."),
    "file_required": N_("Choose a file to upload."),
    "invalid_filename": N_("The file name cannot be used."),
    "upload_not_found": N_("The upload was not found."),
    "upload_incomplete": N_("The upload is not complete yet."),
    "no_tables": N_("No table with data was found in the file."),
    "unreadable_data": N_("The data could not be read or converted."),
    "file_not_found": N_("The file was not found."),
    "override_needs_reason": N_("Keeping a column the privacy policy would change needs a reason."),
    # access to libraries
    "grant_not_applicable": N_("Access requests are only for restricted libraries."),
    "grant_pending": N_("You already have a pending request for this library."),
    "grant_not_found": N_("The access request was not found."),
    "grant_decided": N_("The access request has already been decided."),
    "expiry_required": N_("Give an expiry date when approving."),
    "expiry_in_past": N_("The expiry date must be in the future."),
    "terms_not_accepted": N_("Accept the terms of this library first."),
    "enclave_no_download": N_(
        "The data of an enclave library is never downloaded; jobs read it on the platform."
    ),
    # AI systems
    "invalid_transition": N_("The system cannot move to this state from its current state."),
    "transition_not_yours": N_("This step is done by another role, not by you."),
    "reason_required": N_("This step needs a reason."),
    "prohibited_capability": N_(
        "The system declares a prohibited capability (Law on AI, Art. 17(3)): it cannot be submitted."
    ),
    "incomplete_submission": N_(
        "The system cannot be submitted yet. See the technical detail for what is missing."
    ),
    "not_editable": N_("The system cannot be changed in its current state."),
    "justification_required": N_("Overriding the proposed classes needs a justification."),
    "legal_basis_required": N_(
        "High autonomy is allowed only where a law provides for it: record the legal basis."
    ),
    "unanswered_question": N_("Answer every question of the questionnaire."),
    "unanswered_item": N_("Answer every question of the checklist."),
    "system_closed": N_("The system is closed; its lineage cannot change."),
    "already_linked": N_("The system already uses this library version."),
    # ready-made models
    "model_not_found": N_("The model was not found."),
    "revision_not_found": N_("The model has no such version."),
    "invalid_repo_id": N_("A model is named organisation/name, without '..'."),
    "model_already_linked": N_("The system already runs this model version."),
    "already_answered": N_("The request is already answered."),
    "not_discardable": N_(
        "Only a draft that was never submitted can be discarded; retire a registered system instead."
    ),
    "revision_not_pending": N_("These changes were already decided or withdrawn."),
    "notice_incomplete": N_("The notice to users must stay in Kazakh, Russian and English."),
    "invalid_state": N_("This cannot be done in the current state."),
    "invalid_dates": N_("The dates do not fit together: check the start and the end."),
    "empty_file": N_("The file is empty."),
    "unknown_sector": N_("Choose a sector from the list."),
    "unknown_template": N_("Choose a document type from the list."),
    "unknown_answer": N_("Choose one of the offered answers."),
    "unknown_question": N_("The questionnaire has no such question."),
    "unknown_item": N_("The checklist has no such item."),
    "not_registered": N_("Only a registered system can do this."),
    "pilot_open": N_("The system already has an open pilot."),
    "pilot_closed": N_("The pilot is closed; start a new one instead."),
    "pilot_too_long": N_("The pilot is longer than allowed."),
    "not_eligible": N_("Trusted lists are for registered high-risk systems."),
    "evidence_missing": N_("Upload the copyright evidence and the audit report first."),
    "application_exists": N_("An application for this system is already in progress or published."),
    "reviewer_required": N_("Assign the review request to a human reviewer first."),
    "invalid_reviewer": N_("The reviewer must be a person in the owner or holder organisation."),
    "not_review_request": N_("Only a request for human review is assigned to a reviewer."),
    "complaint_not_found": N_("No complaint with this reference and code. Check both on your receipt."),
    "optout_not_pending": N_("Only a pending opt-out claim can be confirmed or disputed."),
    "optout_removed": N_("This opt-out claim was removed by the regulator."),
    "invalid_isbn": N_("This is not a valid ISBN."),
    "invalid_identifier": N_("The identifier is too short to name one work."),
    "version_required": N_("Choose a library version."),
    "trusted_list_not_found": N_("A sectoral body that keeps no trusted list."),
    "unknown_body": N_("A sectoral body that keeps no trusted list."),
    "infosec_external_infrastructure": N_(
        "Under the state information-security regime every model must be hosted on the national platform."
    ),
    # API tokens and requests
    "insufficient_scope": N_("This API token is not allowed to do this: it lacks the needed scope."),
    "json_too_deep": N_("The data is nested too deeply."),
    # labels: the public check of a file or a text
    "corrupt_image": N_("The picture cannot be read: the file is damaged or cut short."),
    "image_too_many_pixels": N_("The picture has too many pixels to be checked safely."),
    "unsupported_media_type": N_(
        "This type of file cannot be checked; upload a picture, PDF, audio or video."
    ),
    "nothing_to_verify": N_("Choose a file or paste a text to check."),
    "registration_blocked": N_("The system cannot be registered yet: something it needs is missing."),
    # the airlock: outputs of compute jobs
    "output_not_found": N_("The held output was not found."),
    "output_not_released": N_("This output is not released yet: two output checkers must release it first."),
    "not_project_member": N_("Only the members of the project may see its outputs."),
    "not_output_checker": N_("Only output checkers review held outputs."),
    "own_output": N_("You ran this job: two other output checkers review its outputs."),
    "already_reviewed": N_("You have already reviewed this output: a second output checker must decide."),
    "not_reviewable": N_("This output cannot be reviewed any more."),
    "output_justification_required": N_("Write a justification of at least 20 characters."),
    "variant_required": N_("Choose the version to release: the original or the safe version."),
    "no_safe_version": N_("This output has no safe version."),
    "original_blocked": N_("The original cannot be released: release the safe version."),
    "not_released_table": N_("Only a released table can be published."),
    "not_input_producer": N_("Only a producer of a library the job read can allow its publication."),
    "not_project_producer": N_("Only a producer of the project's organisation in the project publishes."),
    "publication_not_allowed": N_("Not every producer of the data the job read has allowed it yet."),
    "library_not_open": N_("This library is not an open library of the project's organisation."),
    "invalid_library": N_("The library's details are not valid."),
    # compute projects and jobs
    "project_not_found": N_("Project not found."),
    "job_not_found": N_("Job not found."),
    "not_a_project_member": N_("Only active members of the project can do this."),
    "project_cannot_run": N_("This project may not run jobs now."),
    "input_not_found": N_("An input of the job was not found."),
    "input_not_in_project": N_("The project may not read this data; its lead adds it first."),
    "input_not_readable": N_("The project may not read this data now: its grant expired or was revoked."),
    "script_syntax_error": N_("The script has a syntax error."),
    "script_name_invalid": N_("A script is a .py or .ipynb file."),
    "notebook_invalid": N_("The notebook is not valid."),
    "quota_exceeded": N_("Your organisation's compute quota is used up."),
    "job_ended": N_("The job has already ended."),
    "grant_kind_not_applicable": N_("Enclave data is never downloaded: ask for a compute-only grant."),
    "sandbox_unavailable": N_("No sandbox is available to run this job on restricted data."),
    "script_missing": N_("Choose the script file to run."),
    "job_environment_incomplete": N_(
        "The job environment lacks packages that jobs need; the platform's operators install them first."
    ),
    "job_environment_broken": N_("The job environment does not run; the platform's operators fix it first."),
}

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
        return Markup("{}").format(exc.message)
    text = gettext(source)
    if exc.code in _NOTHING_MORE or not exc.message or exc.message.strip() == text.strip():
        return Markup("{}").format(text)
    return Markup('{} <details class="technical"><summary>{}</summary><code>{}</code> {}</details>').format(
        text, gettext("Technical detail"), exc.code, exc.message
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
        technical.append(Markup("<code>{}</code> {}").format(error.get("type", ""), said))
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
