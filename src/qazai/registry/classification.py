"""The guided classification: answers to the questionnaire -> proposed risk and autonomy classes,
and the owner's confirmation or override, kept as history (Art. 17(1)-(2)).
"""

from __future__ import annotations

from dataclasses import dataclass

from qazai.core.clock import utcnow
from qazai.core.enums import AutonomyLevel, RiskLevel
from qazai.core.errors import Conflict, InvalidInput
from qazai.core.ids import new_id
from qazai.core.text import LocalizedText
from qazai.identity.actor import Actor
from qazai.registry import reference, repo, revisions
from qazai.registry.audit import audit
from qazai.registry.models import ClassificationCreate, ClassificationRead, ProposalRead
from qazai.registry.reference import Questionnaire
from qazai.registry.service import UPDATABLE_STATES, load_editable, load_readable
from qazai.registry.workflow import SystemState
from qazai.storage.db import UnitOfWork
from qazai.storage.tables.registry import AiSystemClassificationRow

_RISK_ORDER = [RiskLevel.minimal, RiskLevel.medium, RiskLevel.high]
_AUTONOMY_ORDER = [AutonomyLevel.low, AutonomyLevel.medium, AutonomyLevel.high]


@dataclass(frozen=True)
class Proposal:
    risk: RiskLevel
    autonomy: AutonomyLevel
    state_infosec_regime: bool
    reasons: list[LocalizedText]


def propose(questionnaire: Questionnaire, answers: dict[str, str]) -> Proposal:
    """The highest risk and autonomy any answer gives, with the reasons.

    Every question must be answered with one of its option keys (InvalidInput names the first
    missing or unknown one). The state information-security flag (Art. 17(1)) is raised only for
    a high-risk system whose answers carry the ``state_infosec`` flag.
    """
    unknown = sorted(set(answers) - {q.key for q in questionnaire.questions})
    if unknown:
        raise InvalidInput(f"unknown question(s): {', '.join(unknown)}", code="unknown_question")
    risk = RiskLevel.minimal
    autonomy = AutonomyLevel.low
    infosec = False
    reasons: list[LocalizedText] = []
    for question in questionnaire.questions:
        chosen = answers.get(question.key)
        if chosen is None:
            raise InvalidInput(f"answer the question {question.key!r}", code="unanswered_question")
        option = next((o for o in question.options if o.key == chosen), None)
        if option is None:
            keys = ", ".join(o.key for o in question.options)
            raise InvalidInput(
                f"{chosen!r} is not an answer to {question.key!r}; choose one of: {keys}",
                code="unknown_answer",
            )
        if option.risk is not None and _RISK_ORDER.index(option.risk) > _RISK_ORDER.index(risk):
            risk = option.risk
        if option.autonomy is not None and _AUTONOMY_ORDER.index(option.autonomy) > _AUTONOMY_ORDER.index(
            autonomy
        ):
            autonomy = option.autonomy
        if option.flag == "state_infosec":
            infosec = True
        if option.reason is not None:
            reasons.append(option.reason)
    return Proposal(
        risk=risk, autonomy=autonomy, state_infosec_regime=infosec and risk == RiskLevel.high, reasons=reasons
    )


# -- classification --------------------------------------------------------------------------


def propose_classification(uow: UnitOfWork, actor: Actor, answers: dict[str, str]) -> ProposalRead:
    """What the questionnaire proposes for ``answers`` (nothing stored)."""
    questionnaire = reference.questionnaire(uow.session)
    proposal = propose(questionnaire, answers)
    return ProposalRead(
        questionnaire_version=questionnaire.version,
        proposed_risk=proposal.risk,
        proposed_autonomy=proposal.autonomy,
        state_infosec_regime=proposal.state_infosec_regime,
        reasons=proposal.reasons,
    )


def classify_system(
    uow: UnitOfWork, actor: Actor, system_id: str, cmd: ClassificationCreate
) -> ClassificationRead:
    """Record a classification: the questionnaire's proposal, confirmed or overridden by the owner.

    An override needs a justification; a final autonomy class of ``high`` needs a recorded legal
    basis (Art. 17(2)). Every classification is kept (history). Conflict while under review or once final.
    """
    system = load_editable(uow, actor, system_id)
    state = SystemState(system.state)
    if state not in UPDATABLE_STATES:
        raise Conflict(f"the system is {state.value}; it cannot be re-classified now", code="not_editable")
    questionnaire = reference.questionnaire(uow.session)
    proposal = propose(questionnaire, cmd.answers)
    risk = cmd.risk_class or proposal.risk
    autonomy = cmd.autonomy_class or proposal.autonomy
    overridden = risk != proposal.risk or autonomy != proposal.autonomy
    if overridden and not (cmd.justification or "").strip():
        raise InvalidInput(
            f"the questionnaire proposes risk {proposal.risk.value} and autonomy {proposal.autonomy.value}; "
            "overriding it needs a justification",
            code="justification_required",
        )
    if autonomy == AutonomyLevel.high and not (cmd.autonomy_legal_basis or "").strip():
        raise InvalidInput(
            "high autonomy is allowed only where a law provides for it: record the legal basis "
            "(autonomy_legal_basis)",
            code="legal_basis_required",
        )
    # Art. 17(1): the regime follows the final (possibly overridden) class, not only the proposal.
    infosec = risk.value == "high" and _answers_flag_infosec(questionnaire, cmd.answers)
    row = AiSystemClassificationRow(
        id=new_id(),
        system_id=system.id,
        questionnaire_version=questionnaire.version,
        answers=dict(cmd.answers),
        proposed_risk=proposal.risk.value,
        proposed_autonomy=proposal.autonomy.value,
        reasons=[r.model_dump(exclude_none=True) for r in proposal.reasons],
        risk_class=risk.value,
        autonomy_class=autonomy.value,
        overridden=overridden,
        justification=cmd.justification,
        autonomy_legal_basis=cmd.autonomy_legal_basis,
        state_infosec_regime=infosec,
        actor_id=actor.user_id,
        actor_label=actor.label,
        created_at=utcnow(),
    )
    uow.session.add(row)
    before = {"risk": system.risk_class, "autonomy": system.autonomy_class}
    classified = {
        "risk_class": risk.value,
        "autonomy_class": autonomy.value,
        "autonomy_legal_basis": cmd.autonomy_legal_basis if autonomy == AutonomyLevel.high else None,
        "state_infosec_regime": infosec,
    }
    # On the register the new class waits for the regulator in the pending revision (issue 16).
    pending = revisions.is_reviewed(system)
    if pending:
        revisions.propose(uow, actor, system, {revisions.CLASSIFICATION: classified})
    else:
        for name, value in classified.items():
            setattr(system, name, value)
        system.needs_reclassification = False
        system.updated_at = utcnow()
    uow.session.flush()
    audit(
        uow,
        actor,
        "ai_system.classify",
        system,
        {
            "from": before,
            "to": {"risk": risk.value, "autonomy": autonomy.value},
            "proposed": {"risk": proposal.risk.value, "autonomy": proposal.autonomy.value},
            "overridden": overridden,
            "state_infosec_regime": infosec,
            "pending_review": pending,
        },
    )
    uow.commit()
    return ClassificationRead.model_validate(row)


def _answers_flag_infosec(questionnaire: reference.Questionnaire, answers: dict[str, str]) -> bool:
    for question in questionnaire.questions:
        option = next((o for o in question.options if o.key == answers.get(question.key)), None)
        if option is not None and option.flag == "state_infosec":
            return True
    return False


def list_classifications(uow: UnitOfWork, actor: Actor, system_id: str) -> list[ClassificationRead]:
    """The classification history, oldest first."""
    system = load_readable(uow, actor, system_id)
    return [ClassificationRead.model_validate(r) for r in repo.classifications(uow.session, system.id)]
