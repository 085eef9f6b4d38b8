"""Demo AI systems for `qazai serve --demo`: one at each interesting stage, so the public register
is never empty. Idempotent: a system whose English name exists for its owner is skipped.

- stat-gov: census questionnaire assistant, registered, piloting, linked to a demo library if the
  libraries demo published one;
- astana-akimat: adaptive traffic lights, registered, high risk, trusted-list application pending;
- mdai: eGov chatbot, in review;
- qazdata-lab: Kazakh speech-to-text, registered, with an answered complaint;
- qazdata-lab: an "emotion-aware" kiosk, refused for a prohibited capability.
"""

from __future__ import annotations

import contextlib
import io
import logging
from dataclasses import dataclass, field
from datetime import timedelta

from qazai.core.clock import utcnow
from qazai.core.errors import AppError, Conflict
from qazai.core.text import LocalizedText
from qazai.identity import repo as identity_repo
from qazai.identity.actor import Actor
from qazai.libraries import lineage as library_lineage
from qazai.libraries import service as library_service
from qazai.registry import (
    classification,
    complaints,
    documents,
    lineage,
    pilots,
    reference,
    repo,
    service,
    trusted,
)
from qazai.registry.models import (
    AttestationCreate,
    ClassificationCreate,
    ComplaintAnswer,
    ComplaintCreate,
    LineageLink,
    ModelUsed,
    PilotCreate,
    SystemCreate,
    SystemType,
    TransitionCreate,
    TrustedApplicationCreate,
)
from qazai.registry.workflow import SystemState
from qazai.storage.db import Database
from qazai.storage.objects import ObjectStore

log = logging.getLogger("qazai.registry.demo")
DEMO_ACTOR = Actor(user_id=None, label="demo", is_system=True)

_BASE = {
    "failure_impact": "moral_or_material",
    "decisions_about_people": "no",
    "human_control": "human_always",
    "critical_ict": "no",
    "state_information_resource": "no",
}


@dataclass(frozen=True)
class DemoSystem:
    create: SystemCreate
    answers: dict[str, str]
    stage: str  # registered | in_review | refused
    prohibited: tuple[str, ...] = ()
    pilot: bool = False
    trusted: bool = False
    complaint: bool = False
    link_library: bool = False
    overrides: dict[str, str] = field(default_factory=dict)


def _notice(what: LocalizedText) -> LocalizedText:
    return LocalizedText(
        kk=f"{what.kk}: бұл қызмет жасанды интеллектті пайдаланады. Шешімді адам қайта қарауын сұрай аласыз.",
        ru=f"{what.ru}: эта услуга использует искусственный интеллект. "
        "Вы можете запросить пересмотр решения человеком.",
        en=f"{what.en}: this service uses artificial intelligence. "
        "You can ask for a human to review a decision.",
    )


def _system(
    owner: str,
    name: LocalizedText,
    purpose: LocalizedText,
    sector: str,
    system_type: SystemType,
    model: str,
    contact: str,
) -> SystemCreate:
    return SystemCreate(
        owner_organisation=owner,
        name=name,
        purpose=purpose,
        sector=sector,
        deployment_context="демонстрационное развёртывание на национальной платформе ИИ",
        affected_persons="жители Казахстана, пользующиеся сервисом",
        system_type=system_type,
        models=[ModelUsed(name=model, version="1.0", provenance="demo", hosted_here=True)],
        notice=_notice(name),
        labelling_method="видимая плашка «Создано ИИ» и машиночитаемая метка на созданном тексте",
        complaint_contact=contact,
    )


DEMO_SYSTEMS = (
    DemoSystem(
        _system(
            "stat-gov",
            LocalizedText(
                kk="Санақ сауалнамасының көмекшісі",
                ru="Помощник анкеты переписи",
                en="Census questionnaire assistant",
            ),
            LocalizedText(
                kk="Санақ сауалнамаларындағы қателерді табады",
                ru="Находит ошибки в анкетах переписи",
                en="Finds mistakes in census questionnaires",
            ),
            "statistics",
            SystemType.language,
            "KazLLM",
            "ai@stat.gov.kz",
        ),
        _BASE,
        "registered",
        pilot=True,
        link_library=True,
    ),
    DemoSystem(
        _system(
            "astana-akimat",
            LocalizedText(
                kk="Бейімделгіш бағдаршамдар", ru="Адаптивные светофоры", en="Adaptive traffic lights"
            ),
            LocalizedText(
                kk="Астанадағы бағдаршамдарды көлік ағынына қарай басқарады",
                ru="Управляет светофорами Астаны по потоку транспорта",
                en="Times Astana's traffic lights to the traffic flow",
            ),
            "transport",
            SystemType.decision_support,
            "FlowNet",
            "smartcity@astana.gov.kz",
        ),
        _BASE | {"failure_impact": "severe", "human_control": "human_can_correct", "critical_ict": "yes"},
        "registered",
        trusted=True,
    ),
    DemoSystem(
        _system(
            "mdai",
            LocalizedText(kk="eGov чат-боты", ru="Чат-бот eGov", en="eGov chatbot"),
            LocalizedText(
                kk="Мемлекеттік қызметтер туралы сұрақтарға жауап береді",
                ru="Отвечает на вопросы о государственных услугах",
                en="Answers questions about public services",
            ),
            "public_services",
            SystemType.generative,
            "KazLLM",
            "support@egov.kz",
        ),
        _BASE | {"decisions_about_people": "yes"},
        "in_review",
    ),
    DemoSystem(
        _system(
            "qazdata-lab",
            LocalizedText(
                kk="Қазақ тілін тануға арналған сөйлеу жүйесі",
                ru="Распознавание казахской речи",
                en="Kazakh speech-to-text",
            ),
            LocalizedText(
                kk="Колл-орталық қоңырауларын мәтінге айналдырады",
                ru="Переводит звонки колл-центра в текст",
                en="Transcribes call-centre calls",
            ),
            "telecom",
            SystemType.speech,
            "QazSpeech",
            "hello@qazdata.kz",
        ),
        _BASE | {"failure_impact": "negligible"},
        "registered",
        complaint=True,
    ),
    DemoSystem(
        _system(
            "qazdata-lab",
            LocalizedText(
                kk="Эмоцияны танитын киоск", ru="Киоск, распознающий эмоции", en="Emotion-aware kiosk"
            ),
            LocalizedText(
                kk="Сатып алушылардың эмоцияларын келісімсіз бағалайды",
                ru="Оценивает эмоции покупателей без их согласия",
                en="Scores shoppers' emotions without their consent",
            ),
            "other",
            SystemType.computer_vision,
            "FaceMood",
            "hello@qazdata.kz",
        ),
        _BASE | {"failure_impact": "negligible"},
        "refused",
        prohibited=("emotion_recognition_without_consent",),
    ),
)


def seed_registry_demo(db: Database, objects: ObjectStore) -> None:
    """Create the demo systems that do not exist yet (see the module docstring)."""
    for spec in DEMO_SYSTEMS:
        try:
            _seed_one(db, objects, spec)
        except AppError as exc:  # one demo system failing must not stop `serve --demo`
            log.warning("demo system %s skipped: %s", spec.create.name.en, exc.message)


def _exists(db: Database, spec: DemoSystem) -> bool:
    with db.uow(read_only=True) as uow:
        org = identity_repo.get_organisation(uow.session, spec.create.owner_organisation)
        if org is None:
            return True  # nothing to attach it to
        rows = repo.list_systems(uow.session, organisation_ids=[org.id], states=None, after=None, limit=1000)
        return any(r.name.get("en") == spec.create.name.en for r in rows)


def _seed_one(db: Database, objects: ObjectStore, spec: DemoSystem) -> None:
    if _exists(db, spec):
        return
    actor = DEMO_ACTOR
    with db.uow() as uow:
        system = service.create_system(uow, actor, spec.create)
    with db.uow() as uow:
        klass = classification.classify_system(
            uow, actor, system.id, ClassificationCreate(answers=spec.answers, autonomy_legal_basis=None)
        )
    answers = {item.key: item.key in spec.prohibited for item in _checklist(db)}
    with db.uow() as uow:
        service.attest_system(uow, actor, system.id, AttestationCreate(answers=answers))
    if spec.link_library:
        _link_demo_library(db, system.id)
    with db.uow(read_only=True) as uow:
        status = documents.get_documentation(uow, actor, system.id)
    needed = [i.key for i in status.items if i.required and not i.satisfied]
    if spec.trusted:
        needed += ["copyright_evidence", "audit_report"]
    for key in needed:
        with db.uow() as uow:
            text = f"# {key}\n\nDemo document for {spec.create.name.en} ({klass.risk_class.value} risk).\n"
            if key == "training_data":
                text += "\nTrained on the owner's own data, kept outside the platform.\n"
            documents.upload_document(
                uow,
                actor,
                objects,
                system.id,
                template_key=key,
                filename=f"{key}.md",
                content_type="text/markdown",
                data=io.BytesIO(text.encode()),
            )
    targets = {
        "refused": [SystemState.submitted],
        "in_review": [SystemState.submitted, SystemState.in_review],
        "registered": [SystemState.submitted, SystemState.in_review, SystemState.registered],
    }[spec.stage]
    for target in targets:
        with db.uow() as uow, contextlib.suppress(Conflict):
            service.transition_system(uow, actor, system.id, TransitionCreate(to=target))
    now = utcnow()
    if spec.pilot:
        with db.uow() as uow:
            pilots.start_pilot(
                uow,
                actor,
                system.id,
                PilotCreate(
                    description="Пилот в двух районах Астаны",
                    starts_at=now,
                    ends_at=now + timedelta(days=60),
                ),
            )
    if spec.trusted:
        with db.uow() as uow:
            trusted.apply_for_trusted_list(
                uow, actor, system.id, TrustedApplicationCreate(note="demo application")
            )
    if spec.complaint:
        with db.uow() as uow:
            receipt = complaints.file_complaint(
                uow,
                actor,
                system.id,
                ComplaintCreate(text="Менің қоңырауым қате жазылды / My call was transcribed wrongly."),
            )
        with db.uow() as uow:
            complaints.answer_complaint(
                uow,
                actor,
                receipt.id,
                ComplaintAnswer(text="Thank you: the transcript was corrected by a person."),
            )


def _checklist(db: Database) -> list[reference.ChecklistItem]:
    with db.uow(read_only=True) as uow:
        return list(reference.prohibited_checklist(uow.session).items)


def _link_demo_library(db: Database, system_id: str) -> None:
    """Link the newest published stat-gov library version the libraries demo made, if any."""
    with db.uow(read_only=True) as uow:
        try:
            page = library_service.list_libraries(uow, DEMO_ACTOR, organisation="stat-gov", limit=50)
        except AppError:
            return
        candidates = [(lib.slug, lib.latest_version) for lib in page.items if lib.latest_version]
        refs = [
            library_lineage.find_version_ref(uow.session, slug, number)
            for slug, number in candidates
            if number
        ]
    for ref in refs:
        if ref is not None and ref.status == "published":
            with db.uow() as uow, contextlib.suppress(AppError):
                lineage.link_library_version(
                    uow, DEMO_ACTOR, system_id, LineageLink(library_version_id=ref.id)
                )
            return
