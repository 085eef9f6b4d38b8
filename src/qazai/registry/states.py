"""The registry's plain state enums, without pydantic: `qazai registry` names them in its options,
and its --help must not build the registry's models. ``qazai.registry.models`` exports them too."""

from __future__ import annotations

from enum import StrEnum


class RevisionState(StrEnum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"
    withdrawn = "withdrawn"


class ComplaintKind(StrEnum):
    complaint = "complaint"
    review_request = "review_request"


class ComplaintState(StrEnum):
    open = "open"
    assigned = "assigned"
    answered = "answered"
