"""The portal's text for every error code a service raises (``AppError.code``), in English and
marked with ``N_()`` for the catalogs; ``error_messages.error_text`` shows it translated.

Every code raised anywhere in ``src/qazai`` needs an entry: ``tests/web/test_error_codes.py`` finds
the codes in the source and fails on one without a message (or without its kk/ru translation).
"""

from __future__ import annotations

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
    # platform, requests and lists
    "too_many_requests": N_("Too many requests. Wait a little and try again."),
    "config_error": N_("The platform is set up wrongly; its operators must fix the settings."),
    "invalid_limit": N_("Ask for fewer results per page."),
    "invalid_cursor": N_("The link to the next page is damaged. Start the list again."),
    "range_not_satisfiable": N_("The requested part of the file is outside the file."),
    "invalid_authorization_header": N_("The Authorization header must be Bearer followed by the API token."),
    "malformed_json": N_("The request body must be a JSON object."),
    "missing_parameter": N_("A required value of the request is missing."),
    "invalid_parameter": N_("A value of the request is not valid."),
    "resource_not_found": N_("The file of the library was not found."),
    "search_query_error": N_("The search query cannot be understood. Check its words and filters."),
    "invalid_filter": N_("This filter cannot be used here."),
    "invalid_paths": N_("Ask for at most 1,000 files at once."),
    "file_too_large": N_("The file is too large."),
    "user_not_found": N_("The user was not found."),
    # libraries, uploads and publishing (more)
    "no_published_version": N_("The library has no published version yet."),
    "table_not_found": N_("The library has no such table that you may read."),
    "unknown_column": N_("The table has no such column."),
    "offset_required": N_("Say how many bytes of the upload were already received (Upload-Offset)."),
    "offset_mismatch": N_(
        "The upload continues from a different place than the platform received. "
        "Resume from the received size."
    ),
    "upload_not_receiving": N_("This upload is already finished or cancelled. Start a new upload."),
    "empty_chunk": N_("A part of the upload was empty. Try again."),
    "size_mismatch": N_("The file received has another size than declared. Upload it again."),
    "checksum_mismatch": N_("The file changed on the way (its checksum differs). Upload it again."),
    "upload_gone": N_("The uploaded file is no longer kept. Upload it again."),
    "empty_table": N_("A table of the file has a header but no rows."),
    "unknown_table": N_("The column changes name a table the file does not have."),
    "invalid_policy": N_("The privacy policy is not valid."),
    "policy_tier_mismatch": N_("The privacy policy is for another access level than the library's."),
    "invalid_sample_rows": N_("Ask for fewer sample rows."),
    # the read-only SQL query service
    "query_refused": N_("The query is not allowed."),
    "query_timeout": N_("The query took too long and was stopped. Filter or aggregate more."),
    "query_memory": N_("The query needs more memory than allowed. Filter or aggregate more."),
    "query_result_too_large": N_("The result is too large. Select fewer rows or columns, or aggregate."),
    "too_many_queries": N_("Too many queries are running. Try again in a moment."),
    "query_rate_limited": N_("Too many queries from you in a minute. Sign in or wait a little."),
    "query_not_single": N_("Send exactly one query."),
    "query_not_select": N_("Only a read-only SELECT query is allowed."),
    "query_syntax": N_("The query has a syntax error."),
    "query_catalog": N_("The query names a table or column that does not exist."),
    "query_error": N_("The query failed. Check it and try again."),
    "query_denied": N_("The query tried to reach files, the network or settings: not allowed."),
    "query_function_denied": N_("Table functions are not allowed: query the library's tables by name."),
    "query_table_denied": N_("Name the library's tables without a schema or catalogue."),
    "query_file_unavailable": N_("A file of this library cannot be read right now."),
    "query_unavailable": N_("Queries are not available on this platform."),
    # compute projects, jobs and the cluster (more)
    "project_slug_taken": N_("A project with this short name already exists."),
    "project_closed": N_("The project is closed."),
    "member_not_found": N_("The person is not an active member of the project."),
    "pilot_not_found": N_("The pilot was not found."),
    "pilot_not_of_system": N_("The pilot belongs to another AI system."),
    "pilot_ended": N_("The pilot has ended."),
    "system_not_found": N_("The AI system was not found."),
    "system_not_yours": N_("The AI system belongs to another organisation than the project."),
    "grant_required": N_("A member of the project needs an approved access to this library first."),
    "grant_not_active": N_("The access to this data has expired or was revoked."),
    "invalid_job_transition": N_("The job cannot move to this state from its current state."),
    "script_empty": N_("The script is empty."),
    "script_not_utf8": N_("The script is not UTF-8 text."),
    "output_changed": N_("An output of the job changed while it was collected. Run the job again."),
    "invalid_job_id": N_("The job's identifier is not valid."),
    "input_missing": N_("An input of the job has no file at its source."),
    "run_not_final": N_("The job is still running: cancel it or wait for it to end."),
    "compute_backend_unknown": N_("The compute backend in the settings is unknown."),
    "executor_unavailable": N_("The compute cluster does not answer. Try again later."),
    "slurm_refused": N_("The compute cluster refused the job."),
    "slurm_token_missing": N_(
        "The compute cluster's access key is not set; the platform's operators set it first."
    ),
    "not_a_table": N_("This output is not a table."),
    "unreadable_output": N_("This output cannot be shown."),
    "no_such_variant": N_("Choose the released, original or safe version."),
    # ready-made models: repositories, cards, pushes, safety scan
    "model_exists": N_("A model with this name already exists."),
    "tag_exists": N_("The model already has a version with this tag."),
    "invalid_tier": N_(
        "A model is open, for registered users or restricted: an enclave model cannot be handed out."
    ),
    "field_required": N_("This field of the model cannot be emptied."),
    "invalid_file_path": N_("A file name of the model cannot be used."),
    "duplicate_file_path": N_("The same file is given twice."),
    "invalid_library_version": N_("Name a library version as short-name@number, e.g. population@3."),
    "library_version_not_found": N_("This library version was not found."),
    "library_version_not_published": N_("This library version is not published, so it cannot be linked."),
    "push_not_found": N_("The model upload was not found."),
    "push_finished": N_("This model upload has already finished."),
    "push_failed": N_("The model upload failed. Try again."),
    "push_refused": N_("The model upload was refused. See the technical detail for why."),
    "upload_changed": N_("A file changed while it was read. Upload it again."),
    "already_withdrawn": N_("This version is already withdrawn."),
    "model_version_withdrawn": N_("This model version was withdrawn."),
    "card_incomplete": N_("The model card lacks mandatory fields. See the technical detail for which."),
    "card_invalid": N_("A field of the model card is not valid."),
    "card_raw_html": N_("The model card holds HTML: write it in Markdown without HTML."),
    "card_unreadable": N_("The model card cannot be read."),
    "no_files": N_("The folder holds no files to upload."),
    "not_a_folder": N_("This is not a folder."),
    "safetensors_header_invalid": N_("A safetensors file's header is not what the file holds."),
    "gguf_header_invalid": N_("A GGUF file's header is not valid."),
    "unsafe_pickle": N_("A pickle file could run code when loaded: it is refused."),
    "pickle_unverifiable": N_("A pickle file cannot be checked for safety: it is refused."),
    # labels: signing and marking content
    "system_suspended": N_("The AI system is suspended: it cannot label content now."),
    "system_not_labelling": N_("The AI system may not label content in its current state."),
    "batch_size": N_("Choose between one and the allowed number of files."),
    "sidecar_not_supported": N_("A PDF is labelled only with a manifest inside the file."),
    "visible_notice_not_supported": N_(
        "A visible notice is stamped on pictures only; say it in the content of audio and video."
    ),
    "media_not_labelled": N_("This file could not be labelled."),
    "empty_text": N_("The text is empty."),
    "already_revoked": N_("The certificate is already revoked."),
    "notice_font_missing": N_(
        "No font with Kazakh letters is installed for the visible notice; "
        "the platform's operators install it first."
    ),
    "label_keys_undecryptable": N_(
        "The labelling keys cannot be opened with the platform's current secret; the operators fix it."
    ),
    # AI systems: reference documents and opt-outs
    "invalid_reference": N_("The reference document is not valid."),
    "version_not_increased": N_("Raise the version number of the reference document when you change it."),
    "invalid_sha256": N_("The checksum must be 64 hexadecimal digits."),
    # the data viewer and the table downloads
    "viewer_unknown_table": N_("The library version has no such table."),
    "viewer_unknown_column": N_("The table has no such column to sort by."),
    "viewer_bad_filter": N_("A filter does not fit its column's type: check the value."),
    "viewer_bad_page": N_("This page does not exist: pages start at 1."),
    "viewer_page_out_of_range": N_("This page does not exist: the table has fewer pages."),
    "viewer_bad_search": N_("The search text is too long."),
    "xlsx_too_many_rows": N_(
        "The table has more rows than an Excel sheet holds: download it as CSV or Parquet."
    ),
    "xlsx_cell_too_long": N_(
        "A cell holds more text than Excel allows: download the table as CSV or Parquet."
    ),
}
