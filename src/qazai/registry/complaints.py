"""Complaints and requests to review an automated decision (LAW.md row 13).

Anyone may file one against a system on the public register, anonymously or with a contact. The
owner answers; a review request must first be assigned to a named human reviewer (a member of the
owner or holder organisation) who is recorded with the answer. The answer is due within the
operator's deadline in working days; the regulator lists every complaint with filters.

The complainant gets a receipt: a reference and a secret code (128 random bits, stored as its
SHA-256) that open the public status page with the state and the owner's answer. With an e-mail
contact, the receipt and the answer are also sent there through the outbox, in the complainant's
language (kk, ru or en).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select

from qazai.core.clock import utcnow
from qazai.core.enums import Language
from qazai.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from qazai.core.ids import new_id
from qazai.core.text import LocalizedText
from qazai.identity import repo as identity_repo
from qazai.identity.actor import Actor
from qazai.registry import outbox, policy, reference, repo
from qazai.registry.audit import audit
from qazai.registry.models import (
    ComplaintAnswer,
    ComplaintCreate,
    ComplaintFilter,
    ComplaintKind,
    ComplaintRead,
    ComplaintReceipt,
    ComplaintState,
    ComplaintStatus,
    ReviewerAssign,
)
from qazai.registry.workdays import ALMATY, add_working_days, local_date
from qazai.registry.workflow import PUBLIC_STATES, SystemState
from qazai.storage.db import UnitOfWork
from qazai.storage.tables.registry import AiSystemRow, ComplaintRow

# Crockford's base32 without I, L, O, U: a reference read over the phone is not misheard.
_REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

# The notices, per language: {reference}, {system}, {due_on}, {answer}; {base_url} and {code} are
# filled in by the outbox when the message is sent (the code is not kept after that).
_RECEIPT = {
    "kk": (
        "Шағым {reference} қабылданды",
        "«{system}» жүйесіне шағымыңыз қабылданды.\n\nНөмірі: {reference}\nЖауап мерзімі: {due_on}\n\n"
        "Күйін және иесінің жауабын мына жерден көре аласыз (кіру қажет емес):\n"
        "{base_url}/complaints/{reference}?code={code}\n\nҚұпия код: {code} — оны ешкімге бермеңіз.",
    ),
    "ru": (
        "Жалоба {reference} принята",
        "Ваша жалоба на систему «{system}» принята.\n\nНомер: {reference}\nСрок ответа: {due_on}\n\n"
        "Статус и ответ владельца можно посмотреть здесь (без входа):\n"
        "{base_url}/complaints/{reference}?code={code}\n\nСекретный код: {code} — никому его не сообщайте.",
    ),
    "en": (
        "Complaint {reference} received",
        "Your complaint about “{system}” was received.\n\nReference: {reference}\nAnswer due: {due_on}\n\n"
        "See its status and the owner's answer here (no sign-in):\n"
        "{base_url}/complaints/{reference}?code={code}\n\nSecret code: {code} — do not share it.",
    ),
}
_ANSWERED = {
    "kk": (
        "Шағым {reference}: жауап берілді",
        "«{system}» жүйесінің иесі {reference} шағымыңызға жауап берді:\n\n{answer}\n\n"
        "Күйі: {base_url}/complaints/{reference} (хаттағы құпия кодпен).",
    ),
    "ru": (
        "Жалоба {reference}: получен ответ",
        "Владелец системы «{system}» ответил на вашу жалобу {reference}:\n\n{answer}\n\n"
        "Статус: {base_url}/complaints/{reference} (с секретным кодом из первого письма).",
    ),
    "en": (
        "Complaint {reference}: answered",
        "The owner of “{system}” answered your complaint {reference}:\n\n{answer}\n\n"
        "Status: {base_url}/complaints/{reference} (with the secret code of the first message).",
    ),
}


def _hash_code(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def _new_reference(uow: UnitOfWork) -> str:
    year = local_date(utcnow()).year
    while True:
        candidate = f"C-{year}-" + "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(6))
        if (
            uow.session.scalars(select(ComplaintRow.id).where(ComplaintRow.reference == candidate)).first()
            is None
        ):
            return candidate


def _fill(template: str, **values: str) -> str:
    # str.replace, not format(): texts written by people may hold braces.
    for key, value in values.items():
        template = template.replace("{" + key + "}", value)
    return template


def _notify_complainant(
    uow: UnitOfWork,
    row: ComplaintRow,
    system: AiSystemRow,
    texts: dict[str, tuple[str, str]],
    *,
    code: str | None = None,
) -> str | None:
    if not row.contact_email or not row.reference:
        return None
    lang = Language(row.language)
    subject, body = texts[lang.value]
    values = {
        "reference": row.reference,
        "system": LocalizedText.model_validate(system.name).get(lang),
        "due_on": row.due_on.strftime("%d.%m.%Y"),
        "answer": row.answer or "",
    }
    outbox.queue_mail(
        uow,
        kind=f"complaint_{'receipt' if code else 'answered'}",
        to=row.contact_email,
        language=lang.value,
        subject=_fill(subject, **values),
        body=_fill(body, **values),
        secret=code,
        complaint_id=row.id,
    )
    return row.contact_email


def to_read(row: ComplaintRow) -> ComplaintRead:
    read = ComplaintRead.model_validate(row)
    overdue = row.state != ComplaintState.answered.value and local_date(utcnow()) > row.due_on
    return read.model_copy(update={"overdue": overdue})


def file_complaint(uow: UnitOfWork, actor: Actor, system_id: str, cmd: ComplaintCreate) -> ComplaintReceipt:
    """File a complaint or review request against a system on the public register (anyone, even
    anonymous). The contact is visible only to the owner and the regulator. NotFound if the
    system is not on the register."""
    system = repo.get_system(uow.session, system_id)
    if system is None or SystemState(system.state) not in PUBLIC_STATES:
        raise NotFound(f"no AI system {system_id!r} on the public register")
    deadlines = reference.deadlines(uow.session)
    days = (
        deadlines.review_request_answer_working_days
        if cmd.kind == ComplaintKind.review_request
        else deadlines.complaint_answer_working_days
    )
    now = utcnow()
    anonymous = not any((cmd.contact_name, cmd.contact_email, cmd.contact_phone))
    code = secrets.token_urlsafe(16)
    row = ComplaintRow(
        id=new_id(),
        system_id=system.id,
        kind=cmd.kind.value,
        text=cmd.text,
        decision_reference=cmd.decision_reference,
        contact_name=cmd.contact_name,
        contact_email=cmd.contact_email,
        contact_phone=cmd.contact_phone,
        filed_by=actor.user_id,
        state=ComplaintState.open.value,
        filed_at=now,
        due_on=add_working_days(local_date(now), days),
        reference=_new_reference(uow),
        access_code_hash=_hash_code(code),
        language=cmd.language.value,
    )
    uow.session.add(row)
    uow.session.flush()
    sent_to = _notify_complainant(uow, row, system, _RECEIPT, code=code)
    audit(
        uow,
        actor,
        f"ai_system.file_{cmd.kind.value}",
        system,
        {
            "complaint_id": row.id,
            "reference": row.reference,
            "anonymous": anonymous,
            "due_on": row.due_on.isoformat(),
            "language": row.language,
            "receipt_mailed": sent_to is not None,
        },
    )
    uow.commit()
    assert row.reference is not None
    return ComplaintReceipt(
        id=row.id,
        system_id=system.id,
        kind=cmd.kind,
        state=ComplaintState.open,
        due_on=row.due_on,
        anonymous=anonymous,
        reference=row.reference,
        access_code=code,
        status_url=f"/complaints/{row.reference}?code={code}",
        language=cmd.language,
        notice_sent_to=sent_to,
    )


def get_complaint_status(uow: UnitOfWork, reference_number: str, code: str) -> ComplaintStatus:
    """The complainant's status page (no sign-in): the reference and the secret code of the
    receipt. NotFound ``complaint_not_found`` for an unknown reference or a wrong code alike (the
    answer does not tell which), so references cannot be probed."""
    row = uow.session.scalars(select(ComplaintRow).where(ComplaintRow.reference == reference_number)).first()
    given = _hash_code(code)
    if row is None or row.access_code_hash is None or not hmac.compare_digest(given, row.access_code_hash):
        raise NotFound(
            f"no complaint {reference_number!r} with this code; check the reference and the code "
            "of the receipt",
            code="complaint_not_found",
        )
    system = repo.get_system(uow.session, row.system_id)
    assert system is not None
    read = to_read(row)
    return ComplaintStatus(
        reference=reference_number,
        system_id=row.system_id,
        system_name=LocalizedText.model_validate(system.name),
        kind=read.kind,
        state=read.state,
        text=row.text,
        filed_at=row.filed_at,
        due_on=row.due_on,
        overdue=read.overdue,
        answer=row.answer,
        answered_at=row.answered_at,
        language=Language(row.language),
    )


def _load(uow: UnitOfWork, actor: Actor, complaint_id: str) -> tuple[ComplaintRow, AiSystemRow]:
    row = uow.session.get(ComplaintRow, complaint_id, with_for_update=True)
    system = repo.get_system(uow.session, row.system_id) if row is not None else None
    if row is None or system is None or not policy.can_read_system(actor, system):
        raise NotFound(f"no complaint {complaint_id!r}")
    if not policy.can_answer_complaint(actor, system):
        raise policy.refusal(actor, "only the system's owner handles its complaints")
    return row, system


def assign_reviewer(uow: UnitOfWork, actor: Actor, complaint_id: str, cmd: ReviewerAssign) -> ComplaintRead:
    """Assign a review request to a named human reviewer of the owner or holder organisation."""
    row, system = _load(uow, actor, complaint_id)
    if row.kind != ComplaintKind.review_request.value:
        raise Conflict("only a review request is assigned to a reviewer", code="not_review_request")
    if row.state == ComplaintState.answered.value:
        raise Conflict("the request is already answered", code="already_answered")
    user = identity_repo.get_user(uow.session, cmd.reviewer)
    orgs = [o for o in (system.owner_organisation_id, system.holder_organisation_id) if o]
    if user is None or not any(identity_repo.get_membership(uow.session, user.id, o) for o in orgs):
        raise InvalidInput(
            "the reviewer must be a person in the owner or holder organisation", code="invalid_reviewer"
        )
    row.reviewer_user_id = user.id
    row.reviewer_name = user.name
    row.assigned_at = utcnow()
    row.state = ComplaintState.assigned.value
    audit(uow, actor, "ai_system.assign_reviewer", system, {"complaint_id": row.id, "reviewer": user.email})
    uow.commit()
    return to_read(row)


def answer_complaint(uow: UnitOfWork, actor: Actor, complaint_id: str, cmd: ComplaintAnswer) -> ComplaintRead:
    """The owner's answer. A review request must be assigned to a reviewer first, and only that
    reviewer answers it (the decision is reviewed by a named human). Conflict if already answered."""
    row, system = _load(uow, actor, complaint_id)
    if row.state == ComplaintState.answered.value:
        raise Conflict("the complaint is already answered", code="already_answered")
    if row.kind == ComplaintKind.review_request.value:
        if row.reviewer_user_id is None:
            raise Conflict("assign the review request to a human reviewer first", code="reviewer_required")
        if actor.user_id != row.reviewer_user_id:
            raise PermissionDenied(f"the assigned reviewer ({row.reviewer_name}) answers this review request")
    row.answer = cmd.text
    row.answered_by = actor.user_id
    row.answered_by_label = actor.label
    row.answered_at = utcnow()
    row.state = ComplaintState.answered.value
    sent_to = _notify_complainant(uow, row, system, _ANSWERED)
    audit(
        uow,
        actor,
        "ai_system.answer_complaint",
        system,
        {"complaint_id": row.id, "kind": row.kind, "answer_mailed": sent_to is not None},
    )
    uow.commit()
    return to_read(row)


def list_system_complaints(uow: UnitOfWork, actor: Actor, system_id: str) -> list[ComplaintRead]:
    system = repo.get_system(uow.session, system_id)
    if system is None or not policy.can_read_system(actor, system):
        raise NotFound(f"no AI system {system_id!r}")
    if not (policy.is_owner(actor, system) or policy.is_regulator(actor)):
        raise PermissionDenied("only the owner and the regulator read complaints")
    return [to_read(r) for r in repo.complaints_of(uow.session, system.id)]


def list_complaints(
    uow: UnitOfWork, actor: Actor, filters: ComplaintFilter | None = None
) -> list[ComplaintRead]:
    """Every complaint and review request matching ``filters`` (state, kind, system, overdue,
    filing dates in Astana, inclusive), oldest due first. Regulator only. InvalidInput
    ``invalid_dates`` when ``filed_from`` is after ``filed_to``."""
    if not policy.can_list_all_complaints(actor):
        raise PermissionDenied("only the regulator sees every complaint")
    filters = filters or ComplaintFilter()
    if filters.filed_from and filters.filed_to and filters.filed_from > filters.filed_to:
        raise InvalidInput("filed_from is after filed_to", code="invalid_dates")
    query = select(ComplaintRow)
    if filters.state is not None:
        query = query.where(ComplaintRow.state == filters.state.value)
    if filters.kind is not None:
        query = query.where(ComplaintRow.kind == filters.kind.value)
    if filters.system is not None:
        query = query.where(ComplaintRow.system_id == filters.system)
    if filters.overdue:
        query = query.where(
            ComplaintRow.state != ComplaintState.answered.value, ComplaintRow.due_on < local_date(utcnow())
        )
    if filters.filed_from is not None:
        query = query.where(ComplaintRow.filed_at >= _astana_midnight(filters.filed_from))
    if filters.filed_to is not None:
        query = query.where(ComplaintRow.filed_at < _astana_midnight(filters.filed_to) + timedelta(days=1))
    query = query.order_by(ComplaintRow.due_on, ComplaintRow.id).limit(filters.limit)
    return [to_read(r) for r in uow.session.scalars(query).all()]


def _astana_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=ALMATY).astimezone(UTC)
