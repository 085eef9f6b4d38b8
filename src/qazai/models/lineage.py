"""Lineage: model version <- library versions, AI system -> model versions, and what a withdrawn
library version does to the models trained on it and the systems running them.

The registry sits below models: it learns of model flags through
:data:`qazai.registry.lineage.SYSTEM_FLAG_SOURCES`, and models learn of a withdrawn library
version through :mod:`qazai.libraries.hooks`; :func:`install_hooks` (called by
:mod:`qazai.api.wiring`) connects both.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from qazai.core.clock import utcnow
from qazai.core.errors import Conflict, NotFound, PermissionDenied
from qazai.core.ids import new_id
from qazai.core.text import LocalizedText
from qazai.identity.actor import Actor
from qazai.libraries import hooks as library_hooks
from qazai.libraries import lineage as library_lineage
from qazai.libraries.service import audit
from qazai.models import policy, reads, repo
from qazai.models.models import (
    LibraryVersionUse,
    ModelUsingLibrary,
    SystemData,
    SystemDataEntry,
    SystemModelLink,
    SystemUsingModel,
    VersionStatus,
)
from qazai.models.service import parse_library_version
from qazai.registry import lineage as registry_lineage
from qazai.registry import policy as registry_policy
from qazai.registry import repo as registry_repo
from qazai.registry.notifications import notify_organisation
from qazai.registry.workflow import PUBLIC_STATES, SystemState
from qazai.storage.db import UnitOfWork
from qazai.storage.tables.models import AiSystemModelRow, ModelRepoRow, ModelTrainingDataRow, ModelVersionRow
from qazai.storage.tables.registry import AiSystemRow


class SystemModelEntry(BaseModel):
    repo_id: str
    revision: str
    tag: str
    usage: str
    status: VersionStatus
    flagged: bool
    flag_reasons: list[str]


def _version_and_repo(session: Session, version_id: str) -> tuple[ModelVersionRow, ModelRepoRow]:
    version = repo.get_version(session, version_id)
    assert version is not None
    repo_row = repo.get_repo_by_pk(session, version.repo_id)
    assert repo_row is not None
    return version, repo_row


def version_flags(session: Session, version: ModelVersionRow) -> list[str]:
    """Why a model version taints what runs it: its own flag, a withdrawn or opted-out library
    version it was trained on, or its own withdrawal."""
    reasons = [
        link.flag_reason
        for link in reads.training_links(session, [version.id]).get(version.id, [])
        if link.flag_reason
    ]
    if version.flag_reason and version.flag_reason not in reasons:
        reasons.insert(0, version.flag_reason)
    if version.status == VersionStatus.withdrawn.value:
        reasons.append(f"the model version was withdrawn: {version.withdrawn_reason or ''}".rstrip(": "))
    return reasons


# -- AI system -> model versions ------------------------------------------------------------------


def _system(uow: UnitOfWork, actor: Actor, system_id: str, *, edit: bool) -> AiSystemRow:
    system = registry_repo.get_system(uow.session, system_id)
    if system is None or not (
        registry_policy.can_read_system(actor, system)
        or (not edit and SystemState(system.state) in PUBLIC_STATES)
    ):
        raise NotFound(f"no AI system {system_id!r}", code="system_not_found")
    if edit and not registry_policy.can_edit_system(actor, system):
        raise PermissionDenied("only members of the owner organisation can change what the system runs")
    return system


def link_system_model(
    uow: UnitOfWork, actor: Actor, system_id: str, cmd: SystemModelLink
) -> SystemModelEntry:
    """Record that an AI system runs a model version (``main`` is pinned to today's revision).
    NotFound for an unknown system, repo or revision; Conflict if already linked, if the version
    is withdrawn, or if the system is rejected or retired."""
    system = _system(uow, actor, system_id, edit=True)
    if SystemState(system.state) in (SystemState.rejected, SystemState.retired):
        raise Conflict(f"the system is {system.state}; its lineage is closed", code="system_closed")
    repo_row = reads.load_repo(uow.session, cmd.repo_id)
    version = reads.find_version(uow.session, repo_row, cmd.revision)
    if version.status != VersionStatus.published.value:
        raise Conflict(
            f"{cmd.repo_id}@{version.tag} was withdrawn and cannot be linked", code="version_withdrawn"
        )
    row = AiSystemModelRow(
        id=new_id(),
        system_id=system.id,
        model_version_id=version.id,
        usage=cmd.usage,
        linked_by=actor.user_id,
        created_at=utcnow(),
    )
    try:
        with uow.session.begin_nested():
            uow.session.add(row)
            uow.session.flush()
    except IntegrityError:
        raise Conflict(
            f"the system already runs {cmd.repo_id}@{version.tag}", code="model_already_linked"
        ) from None
    audit(
        uow.session,
        actor,
        "ai_system.link_model_version",
        "ai_system",
        system.id,
        {"repo": cmd.repo_id, "revision": version.revision, "tag": version.tag, "usage": cmd.usage},
        system.owner_organisation_id,
    )
    uow.commit()
    reasons = version_flags(uow.session, version)
    return SystemModelEntry(
        repo_id=repo_row.repo_id,
        revision=version.revision,
        tag=version.tag,
        usage=row.usage,
        status=VersionStatus(version.status),
        flagged=bool(reasons),
        flag_reasons=reasons,
    )


def models_of_system(uow: UnitOfWork, actor: Actor, system_id: str) -> list[SystemModelEntry]:
    """The model versions a system runs (public systems for everyone, like its other lineage)."""
    system = _system(uow, actor, system_id, edit=False)
    out = []
    for link in repo.models_of_system(uow.session, system.id):
        version, repo_row = _version_and_repo(uow.session, link.model_version_id)
        reasons = version_flags(uow.session, version)
        out.append(
            SystemModelEntry(
                repo_id=repo_row.repo_id,
                revision=version.revision,
                tag=version.tag,
                usage=link.usage,
                status=VersionStatus(version.status),
                flagged=bool(reasons),
                flag_reasons=reasons,
            )
        )
    return out


def model_flags_by_system(session: Session, system_ids: Sequence[str]) -> dict[str, list[str]]:
    """For the registry (a :data:`SYSTEM_FLAG_SOURCES` entry): why each system is flagged by the
    models it runs."""
    out: dict[str, list[str]] = {}
    for system_id in system_ids:
        for link in repo.models_of_system(session, system_id):
            version, repo_row = _version_and_repo(session, link.model_version_id)
            for reason in version_flags(session, version):
                out.setdefault(system_id, []).append(f"model {repo_row.repo_id}@{version.tag}: {reason}")
    return out


# -- queries both ways ----------------------------------------------------------------------------


def _systems_running(uow: UnitOfWork, actor: Actor, version_ids: Sequence[str]) -> list[SystemUsingModel]:
    out = []
    for link in repo.systems_running(uow.session, version_ids):
        system = registry_repo.get_system(uow.session, link.system_id)
        if system is None or not (
            SystemState(system.state) in PUBLIC_STATES or registry_policy.can_read_system(actor, system)
        ):
            continue
        version, repo_row = _version_and_repo(uow.session, link.model_version_id)
        out.append(
            SystemUsingModel(
                system_id=system.id,
                name=LocalizedText.model_validate(system.name),
                owner_organisation_id=system.owner_organisation_id,
                state=system.state,
                repo_id=repo_row.repo_id,
                revision=version.revision,
                tag=version.tag,
                usage=link.usage,
            )
        )
    return out


def systems_running_model(
    uow: UnitOfWork, actor: Actor, repo_id: str, revision: str | None
) -> list[SystemUsingModel]:
    """The AI systems that run a model version (public ones, and the actor's own)."""
    repo_row = reads.load_repo(uow.session, repo_id)
    version = reads.find_version(uow.session, repo_row, revision)
    return _systems_running(uow, actor, [version.id])


def library_version_use(uow: UnitOfWork, actor: Actor, library_version: str) -> LibraryVersionUse:
    """Which models and systems use a library version (``slug@N`` or its id): the model versions
    trained on it, the systems running those, and the systems linked to it directly."""
    ref = library_lineage.get_version_ref(uow.session, library_version)
    if ref is None:
        slug, number = parse_library_version(library_version)
        ref = library_lineage.find_version_ref(uow.session, slug, number)
    if ref is None:
        raise NotFound(f"no library version {library_version!r}", code="library_version_not_found")
    models: list[ModelUsingLibrary] = []
    version_ids: list[str] = []
    for link in repo.models_trained_on(uow.session, [ref.id]):
        version, repo_row = _version_and_repo(uow.session, link.model_version_id)
        models.append(
            ModelUsingLibrary(
                repo_id=repo_row.repo_id, revision=version.revision, tag=version.tag, source=link.source
            )
        )
        version_ids.append(version.id)
    direct = [s.system_id for s in registry_lineage.systems_using_version(uow, actor, ref.id)]
    return LibraryVersionUse(
        library_version_id=ref.id,
        library_slug=ref.library_slug,
        number=ref.number,
        models=models,
        systems=_systems_running(uow, actor, version_ids),
        systems_direct=direct,
    )


def system_data(uow: UnitOfWork, actor: Actor, system_id: str) -> SystemData:
    """What data is behind a system: the library versions linked to it directly and those its
    model versions were trained on (each with how it got there and any flag)."""
    system = _system(uow, actor, system_id, edit=False)
    entries = [
        SystemDataEntry(
            library_version_id=e.library_version_id,
            library_slug=e.library_slug,
            number=e.number,
            status=e.status,
            via="direct",
            flag_reason=e.flag_reason,
        )
        for e in registry_lineage.lineage_entries(uow.session, system.id)
    ]
    models: list[ModelUsingLibrary] = []
    for link in repo.models_of_system(uow.session, system.id):
        version, repo_row = _version_and_repo(uow.session, link.model_version_id)
        models.append(
            ModelUsingLibrary(
                repo_id=repo_row.repo_id, revision=version.revision, tag=version.tag, source=link.usage
            )
        )
        for data in reads.training_links(uow.session, [version.id]).get(version.id, []):
            entries.append(
                SystemDataEntry(
                    library_version_id=data.library_version_id,
                    library_slug=data.library_slug,
                    number=data.number,
                    status=data.status,
                    via=f"{repo_row.repo_id}@{version.revision}",
                    flag_reason=data.flag_reason,
                )
            )
    return SystemData(system_id=system.id, models=models, data=entries)


# -- recorded by compute, flagged by withdrawals --------------------------------------------------


def record_training_data(
    uow: UnitOfWork,
    actor: Actor,
    repo_id: str,
    revision: str,
    library_version_ids: Sequence[str],
    *,
    job_id: str,
) -> list[str]:
    """Record that a model version was trained on library versions by a compute job whose
    released output became the model (for compute's publish-as-model step). Idempotent: links
    already there are kept. Producers of the model's organisation (or the platform itself).
    Returns the library version ids linked by this call. NotFound for an unknown version."""
    repo_row = reads.load_repo(uow.session, repo_id)
    if not policy.can_push_model_version(actor, repo_row.organisation_id):
        raise PermissionDenied("only producers of the repository's organisation can record its lineage")
    version = reads.find_version(uow.session, repo_row, revision)
    known = {link.library_version_id for link in repo.training_data_of(uow.session, [version.id])}
    added = []
    for library_version_id in dict.fromkeys(library_version_ids):
        if library_version_id in known:
            continue
        if library_lineage.get_version_ref(uow.session, library_version_id) is None:
            raise NotFound(f"no library version {library_version_id!r}", code="library_version_not_found")
        uow.session.add(
            ModelTrainingDataRow(
                id=new_id(),
                model_version_id=version.id,
                library_version_id=library_version_id,
                source="compute",
                job_id=job_id,
                created_at=utcnow(),
            )
        )
        added.append(library_version_id)
    if added:
        version.trained_on_platform = True
        uow.session.flush()
        audit(
            uow.session,
            actor,
            "model.version.lineage",
            "model_version",
            version.id,
            {"repo": repo_id, "revision": version.revision, "job": job_id, "library_versions": added},
            repo_row.organisation_id,
        )
        uow.commit()
    return added


def flag_models_trained_on(session: Session, actor: Actor, library_version_id: str, reason: str) -> None:
    """The libraries' withdrawal hook: flag every model version trained on the library version,
    notify the model's organisation and the owners of the systems running it (kk/ru/en), one audit
    event per model version. Runs in the withdrawing transaction (no commit)."""
    ref = library_lineage.get_version_ref(session, library_version_id)
    label = f"{ref.library_slug} v{ref.number}" if ref else library_version_id
    why = f"library version {label} was withdrawn: {reason}"
    now = utcnow()
    for link in repo.models_trained_on(session, [library_version_id]):
        version, repo_row = _version_and_repo(session, link.model_version_id)
        if version.flag_reason is None:
            version.flag_reason = why
            version.flagged_at = now
        model = f"{repo_row.repo_id}@{version.tag}"
        notify_organisation(
            session,
            repo_row.organisation_id,
            "model_data_withdrawn",
            {
                "kk": f"{model} моделі оқытылған {label} кітапхана нұсқасы кері қайтарылды: {reason}",
                "ru": f"Версия библиотеки {label}, на которой обучена модель {model}, отозвана: {reason}",
                "en": f"Library version {label}, which {model} was trained on, was withdrawn: {reason}",
            },
            {
                "repo": repo_row.repo_id,
                "revision": version.revision,
                "library_version_id": library_version_id,
            },
        )
        for running in repo.systems_running(session, [version.id]):
            system = registry_repo.get_system(session, running.system_id)
            if system is None:
                continue
            notify_organisation(
                session,
                system.owner_organisation_id,
                "model_data_withdrawn",
                {
                    "kk": f"Жүйеңіз пайдаланатын {model} моделінің {label} деректері "
                    f"кері қайтарылды: {reason}",
                    "ru": f"Данные {label} модели {model}, которую использует ваша система, "
                    f"отозваны: {reason}",
                    "en": f"The data {label} of the model {model} your system runs was withdrawn: {reason}",
                },
                {
                    "repo": repo_row.repo_id,
                    "revision": version.revision,
                    "library_version_id": library_version_id,
                },
                system_id=system.id,
            )
        audit(
            session,
            actor,
            "model.version.flag",
            "model_version",
            version.id,
            {"repo": repo_row.repo_id, "revision": version.revision, "reason": why},
            repo_row.organisation_id,
        )
    session.flush()


def install_hooks() -> None:
    """Connect models to the layers below (idempotent): withdrawn library versions flag models,
    and the registry's system flags include the models'."""
    library_hooks.on_version_withdrawn(flag_models_trained_on)
    if model_flags_by_system not in registry_lineage.SYSTEM_FLAG_SOURCES:
        registry_lineage.SYSTEM_FLAG_SOURCES.append(model_flags_by_system)
