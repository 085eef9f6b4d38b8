"""The registration workflow as a state machine: an enum, a transition table and one check.

The diagram is in docs/registry.md; a test walks the table and refuses every pair not in it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from qazai.core.errors import Conflict, InvalidInput, PermissionDenied


class SystemState(StrEnum):
    draft = "draft"
    submitted = "submitted"
    in_review = "in_review"
    registered = "registered"
    returned = "returned"
    rejected = "rejected"
    suspended = "suspended"
    retired = "retired"


class Who(StrEnum):
    owner = "owner"
    regulator = "regulator"
    screening = "screening"  # the platform itself: automatic refusal on a prohibited capability


@dataclass(frozen=True)
class Transition:
    source: SystemState
    target: SystemState
    who: frozenset[Who]
    reason_required: bool = False


S = SystemState
TRANSITIONS: tuple[Transition, ...] = (
    Transition(S.draft, S.submitted, frozenset({Who.owner})),
    Transition(S.draft, S.rejected, frozenset({Who.screening}), reason_required=True),
    Transition(S.returned, S.submitted, frozenset({Who.owner})),
    Transition(S.returned, S.rejected, frozenset({Who.screening}), reason_required=True),
    Transition(S.submitted, S.draft, frozenset({Who.owner})),
    Transition(S.submitted, S.in_review, frozenset({Who.regulator})),
    Transition(S.in_review, S.registered, frozenset({Who.regulator})),
    Transition(S.in_review, S.returned, frozenset({Who.regulator}), reason_required=True),
    Transition(S.in_review, S.rejected, frozenset({Who.regulator}), reason_required=True),
    Transition(S.registered, S.suspended, frozenset({Who.regulator, Who.screening}), reason_required=True),
    Transition(S.registered, S.retired, frozenset({Who.owner, Who.regulator}), reason_required=True),
    Transition(S.suspended, S.registered, frozenset({Who.regulator}), reason_required=True),
    Transition(S.suspended, S.retired, frozenset({Who.owner, Who.regulator}), reason_required=True),
)

_BY_PAIR = {(t.source, t.target): t for t in TRANSITIONS}

# States whose record the owner may still edit.
EDITABLE_STATES = frozenset({S.draft, S.returned})
# States shown on the public register.
PUBLIC_STATES = frozenset({S.registered, S.suspended})


def allowed_next(state: SystemState) -> list[SystemState]:
    return [t.target for t in TRANSITIONS if t.source == state]


def check_transition(
    source: SystemState, target: SystemState, who: set[Who], reason: str | None
) -> Transition:
    """The transition ``source -> target`` if one of ``who`` may make it; Conflict otherwise.

    The message names the current state and the states allowed next, so a caller knows what to do.
    """
    transition = _BY_PAIR.get((source, target))
    nexts = ", ".join(s.value for s in allowed_next(source)) or "none (final state)"
    if transition is None:
        raise Conflict(
            f"cannot move a system from {source.value} to {target.value}; from {source.value} it can "
            f"go to: {nexts}",
            code="invalid_transition",
            details={
                "state": source.value,
                "target": target.value,
                "allowed": [s.value for s in allowed_next(source)],
            },
        )
    if not transition.who & who:
        raise PermissionDenied(
            f"moving a system from {source.value} to {target.value} is done by "
            f"{' or '.join(sorted(w.value for w in transition.who))}, not by you",
            code="transition_not_yours",
            details={
                "state": source.value,
                "target": target.value,
                "who": sorted(w.value for w in transition.who),
            },
        )
    if transition.reason_required and not (reason or "").strip():
        raise InvalidInput(
            f"moving a system from {source.value} to {target.value} needs a reason", code="reason_required"
        )
    return transition
