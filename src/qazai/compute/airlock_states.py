"""The airlock's plain enums, without pydantic: `qazai airlock` names them in its options, and its
--help must not build the airlock's models. ``qazai.compute.airlock_models`` exports them too."""

from __future__ import annotations

from enum import StrEnum


class FileState(StrEnum):
    pending = "pending"  # held, waiting for two output checkers
    released = "released"  # downloadable by the project's members
    rejected = "rejected"  # an output checker refused it; never released
    withheld = "withheld"  # never reviewable: the job did not succeed, or the file is damaged
    evidence = "evidence"  # a declaration or contributions file: used by the checks, never released


class Variant(StrEnum):
    original = "original"  # the file as the job wrote it
    safe = "safe"  # the checks' proposed version (suppressed cells blank, contributions dropped)


class Decision(StrEnum):
    approve = "approve"
    reject = "reject"
