"""QazAI error codes as the Hub's ``X-Error-Code``, so ``huggingface_hub`` raises its usual
exceptions (``RepositoryNotFoundError``, ``RevisionNotFoundError``, ``EntryNotFoundError``,
``GatedRepoError``) while the body stays QazAI's error envelope."""

from __future__ import annotations

import re

from qazai.core.errors import AppError

HF_ERROR_CODES: dict[str, str] = {
    "library_not_found": "RepoNotFound",
    "model_not_found": "RepoNotFound",
    "invalid_repo_id": "RepoNotFound",
    "organisation_not_found": "RepoNotFound",
    "revision_not_found": "RevisionNotFound",
    "version_not_found": "RevisionNotFound",
    "no_published_version": "RevisionNotFound",
    # a withdrawn version (410): the client raises at once with the reason, instead of looking in
    # its cache and then blaming the network
    "model_version_withdrawn": "RevisionNotFound",
    "version_withdrawn": "RevisionNotFound",
    "file_not_found": "EntryNotFound",
    "authentication_required": "GatedRepo",
    "terms_not_accepted": "GatedRepo",
    "grant_required": "GatedRepo",
    "enclave_no_download": "GatedRepo",
}
# huggingface_hub reads this exact message as "the token itself is wrong" (not a missing repo)
INVALID_CREDENTIALS = "Invalid credentials in Authorization header"
_COMMIT = re.compile(r"^[0-9a-f]{40}$")
_TOKEN_CODES = {"invalid_token", "token_revoked", "token_expired", "invalid_authorization_header"}


def hf_error_headers(error: AppError) -> dict[str, str]:
    """``X-Error-Code`` (when the Hub has one for it) and ``X-Error-Message`` for ``error``."""
    headers: dict[str, str] = {}
    hub_code = HF_ERROR_CODES.get(error.code)
    if hub_code is not None:
        headers["X-Error-Code"] = hub_code
    revision = error.details.get("revision")
    if hub_code == "EntryNotFound" and isinstance(revision, str) and _COMMIT.match(revision):
        headers["X-Repo-Commit"] = revision  # the client remembers the file is absent at this commit
    message = INVALID_CREDENTIALS if error.code in _TOKEN_CODES else error.message
    # header values are latin-1 on the wire: keep the message readable, never fail on it
    headers["X-Error-Message"] = message.encode("ascii", "replace").decode("ascii").replace("\n", " ")
    return headers
