"""The state information-security regime (LAW.md row 4; Law on AI Art. 17(1)).

A high-risk system that is critical ICT infrastructure or forms a state information resource
carries ``state_infosec_regime`` (set by its classification). The flag brings controls, each
shown on the system's record and public page with whether it is met:

- ``platform_infrastructure_only`` (registry, compute): every model the system uses is hosted
  on the national platform, checked at submission and at a pilot's start; compute asks
  :func:`requires_platform_infrastructure` before it runs the system's jobs.
- ``security_regime_documents`` (registry): the documentation templates marked
  ``required_if: state_infosec`` are required; submission is refused without them.
- ``regulator_review`` (registry): registered only after the regulator's review (as every
  system); once registered, every change of the record, the complaint contact included, waits in
  a revision for the regulator.

The functions here are reads on a Session with no actor: safe for other capabilities' services
and jobs (compute, in its own package, asks before running a job).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from qazai.core.text import LocalizedText
from qazai.registry import documents, repo
from qazai.registry.models import InfosecControl
from qazai.storage.tables.registry import AiSystemRow

PLATFORM_INFRASTRUCTURE = "platform_infrastructure_only"
REGIME_DOCUMENTS = "security_regime_documents"
REGULATOR_REVIEW = "regulator_review"


_TITLES: dict[str, LocalizedText] = {
    PLATFORM_INFRASTRUCTURE: LocalizedText(
        kk="Пилоттар мен есептеу тапсырмалары тек платформаның өз инфрақұрылымында орындалады; "
        "жүйенің барлық модельдері ұлттық платформада орналасқан",
        ru="Пилоты и вычислительные задачи выполняются только на собственной инфраструктуре "
        "платформы; все модели системы размещены на национальной платформе",
        en="Pilots and compute jobs run only on the platform's own infrastructure; every model "
        "the system uses is hosted on the national platform",
    ),
    REGIME_DOCUMENTS: LocalizedText(
        kk="Мемлекеттік ақпараттық қауіпсіздік режимінің құжаттары және сынақ актісі міндетті",
        ru="Обязательны документы режима государственной информационной безопасности и акт испытаний",
        en="The documents of the state information-security regime and its test report are required",
    ),
    REGULATOR_REVIEW: LocalizedText(
        kk="Реттеушінің қарауы міндетті: жүйе және оның кейінгі әрбір өзгерісі тек қараудан кейін "
        "күшіне енеді",
        ru="Рассмотрение регулятором обязательно: система и каждое её последующее изменение вступают "
        "в силу только после рассмотрения",
        en="Review by the regulator is mandatory: the system, and every later change of it, takes "
        "effect only after review",
    ),
}
_ENFORCED_BY = {
    PLATFORM_INFRASTRUCTURE: ["registry", "compute"],
    REGIME_DOCUMENTS: ["registry"],
    REGULATOR_REVIEW: ["registry"],
}


def external_models(system: AiSystemRow) -> list[str]:
    """Names of the models the system uses that are hosted outside the national platform."""
    return [
        " ".join(p for p in (str(m.get("name") or ""), str(m.get("version") or "")) if p)
        for m in system.models
        if not m.get("hosted_here")
    ]


def system_controls(session: Session, system: AiSystemRow) -> list[InfosecControl]:
    """The controls of ``system`` with whether each is met; empty without the flag."""
    if not system.state_infosec_regime:
        return []
    status = documents.documentation_status(session, system)
    regime_keys = documents.infosec_template_keys(session)
    regime_docs = [i for i in status.items if i.required and i.key in regime_keys]
    met = {
        PLATFORM_INFRASTRUCTURE: not external_models(system),
        REGIME_DOCUMENTS: all(i.satisfied for i in regime_docs),
        REGULATOR_REVIEW: system.registered_at is not None,
    }
    return [
        InfosecControl(key=key, title=_TITLES[key], enforced_by=_ENFORCED_BY[key], satisfied=met[key])
        for key in (PLATFORM_INFRASTRUCTURE, REGIME_DOCUMENTS, REGULATOR_REVIEW)
    ]


def controls_for(session: Session, system_id: str) -> list[InfosecControl]:
    """The controls of the system ``system_id`` (empty for an unknown id or without the flag)."""
    system = repo.get_system(session, system_id)
    return system_controls(session, system) if system is not None else []


def requires_platform_infrastructure(session: Session, system_id: str) -> bool:
    """Whether the system's pilots and compute jobs must run only on the platform's own
    infrastructure (no external or cloud executor): True under the state information-security
    regime; False for an unknown id or a system without the flag."""
    system = repo.get_system(session, system_id)
    return bool(system is not None and system.state_infosec_regime)
