"""Service errors in the visitor's language: one table from ``AppError.code`` to a translated message.

Services write ``AppError.message`` in English (it is also the API's envelope). Pages show the
translation of the error's stable ``code`` instead, and keep the English message under a
"Technical detail" disclosure, since it names the specifics (a slug, a version, what is missing).
An unknown code shows the English message itself, so nothing is lost.
"""

from __future__ import annotations

from collections.abc import Callable

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
    "already_answered": N_("The request is already answered."),
}

# Codes whose English message names nothing specific: no "Technical detail" under them.
_NOTHING_MORE = frozenset(
    {
        "bad_credentials",
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
