"""The public register: registered and suspended systems (never drafts or reviews), for anyone.

Search ``q`` matches the name and purpose in every language, the owner's and holder's names and
slugs, and the sector's key and names. Every whitespace-separated query term must match, either
as a case-insensitive substring (as before), or through the catalogue's search keys
(``qazai.catalog.text``): Cyrillic and every Latin spelling of Kazakh fold to the same loose Latin
and word forms share a stem, so ``sanaq`` finds ``Санақ сауалнамасының көмекшісі`` and
``көмекші`` finds ``Kómekshi``. Suspended systems stay listed with their state, so the public can
see that a system was stopped. Paging is by system id, whatever ``q`` is.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from pydantic import BaseModel
from sqlalchemy.orm import Session

from qazai.catalog.text import fold, text_keys, word_keys, words
from qazai.core.clock import as_utc
from qazai.core.enums import Language
from qazai.core.pagination import Page, check_limit, decode_text_cursor, encode_cursor
from qazai.core.text import LocalizedText
from qazai.identity import repo as identity_repo
from qazai.identity.actor import Actor
from qazai.registry import infosec, lineage, pilots, reference, repo, trusted
from qazai.registry.models import PilotState
from qazai.registry.workflow import PUBLIC_STATES
from qazai.storage.db import UnitOfWork
from qazai.storage.tables.identity import OrganisationRow
from qazai.storage.tables.registry import AiSystemRow

_BATCH = 200


@dataclass(frozen=True)
class _Haystack:
    """An entry's searchable text: case-folded, script-folded, and its search keys."""

    lowered: str
    folded: str
    keys: frozenset[str]

    @classmethod
    def of(cls, text: str) -> _Haystack:
        return cls(lowered=text.casefold(), folded=fold(text), keys=frozenset(text_keys(text)))

    def matches(self, term: str) -> bool:
        """One query term (no whitespace): a substring, or each of its words by key or folded text."""
        lowered = term.casefold()
        if lowered in self.lowered:
            return True
        parts = words(term)
        return bool(parts) and all(
            fold(part) in self.folded or any(key in self.keys for key in word_keys(part)) for part in parts
        )


class OrganisationRef(BaseModel):
    slug: str
    name: str


class PilotSummary(BaseModel):
    id: str
    state: PilotState
    starts_at: str
    ends_at: str
    extended: bool


class ControlSummary(BaseModel):
    key: str
    title: str
    satisfied: bool


class RegisterEntry(BaseModel):
    id: str
    name: str
    purpose: str
    notice: str
    names: LocalizedText
    purposes: LocalizedText
    notices: LocalizedText
    owner: OrganisationRef
    holder: OrganisationRef | None
    sector: str
    sector_name: str
    system_type: str
    risk_class: str | None
    autonomy_class: str | None
    state_infosec_regime: bool
    infosec_controls: list[ControlSummary]
    state: str
    registered_at: str | None
    labelling_method: str | None
    produces_synthetic_content: bool
    complaint_contact: str
    trusted_list: str | None
    pilots: list[PilotSummary]
    needs_reclassification: bool
    lineage_flagged: bool


def _org(
    session: Session, org_id: str | None, lang: Language, cache: dict[str, OrganisationRef]
) -> OrganisationRef | None:
    if org_id is None:
        return None
    if org_id not in cache:
        org = identity_repo.get_organisation(session, org_id)
        cache[org_id] = OrganisationRef(
            slug=org.slug if org else "?",
            name=LocalizedText.model_validate(org.name).get(lang) if org else "?",
        )
    return cache[org_id]


def _entries(
    session: Session, rows: Sequence[AiSystemRow], lang: Language, orgs: dict[str, OrganisationRef]
) -> list[tuple[RegisterEntry, _Haystack]]:
    ids = [r.id for r in rows]
    flags = lineage.flags_by_system(session, ids)
    pilot_rows = repo.pilots_of(session, ids)
    apps = repo.trusted_applications_of(session, ids)
    sectors = reference.sectors(session)
    out = []
    for row in rows:
        sector = sectors.get(row.sector)
        names = LocalizedText.model_validate(row.name)
        purposes = LocalizedText.model_validate(row.purpose)
        notices = LocalizedText.model_validate(row.notice)
        owner = _org(session, row.owner_organisation_id, lang, orgs)
        holder = _org(session, row.holder_organisation_id, lang, orgs)
        assert owner is not None
        my_apps = [a for a in apps if a.system_id == row.id]
        entry = RegisterEntry(
            id=row.id,
            name=names.get(lang),
            purpose=purposes.get(lang),
            notice=notices.get(lang),
            names=names,
            purposes=purposes,
            notices=notices,
            owner=owner,
            holder=holder,
            sector=row.sector,
            sector_name=sector.name.get(lang) if sector else row.sector,
            system_type=row.system_type,
            risk_class=row.risk_class,
            autonomy_class=row.autonomy_class,
            state_infosec_regime=row.state_infosec_regime,
            infosec_controls=[
                ControlSummary(key=c.key, title=c.title.get(lang), satisfied=c.satisfied)
                for c in infosec.system_controls(session, row)
            ],
            state=row.state,
            registered_at=as_utc(row.registered_at).isoformat() if row.registered_at else None,
            labelling_method=row.labelling_method,
            produces_synthetic_content=row.produces_synthetic_content,
            complaint_contact=row.complaint_contact,
            trusted_list=trusted.to_read(my_apps[-1]).state.value if my_apps else None,
            pilots=[
                PilotSummary(
                    id=p.id,
                    state=pilots.pilot_state(p),
                    starts_at=as_utc(p.starts_at).isoformat(),
                    ends_at=as_utc(p.ends_at).isoformat(),
                    extended=bool(p.extensions),
                )
                for p in pilot_rows
                if p.system_id == row.id
            ],
            needs_reclassification=row.needs_reclassification,
            lineage_flagged=row.id in flags,
        )
        haystack = " ".join(
            [
                *(v or "" for v in (names.kk, names.ru, names.en, purposes.kk, purposes.ru, purposes.en)),
                owner.slug,
                *(
                    LocalizedText.model_validate(o.name).get(x)
                    for o in _raw_orgs(session, row)
                    for x in Language
                ),
                row.sector,
                *((sector.name.kk or "", sector.name.ru or "", sector.name.en or "") if sector else ()),
            ]
        )
        out.append((entry, _Haystack.of(haystack)))
    return out


def _raw_orgs(session: Session, row: AiSystemRow) -> list[OrganisationRow]:
    orgs: list[OrganisationRow] = []
    for org_id in (row.owner_organisation_id, row.holder_organisation_id):
        if org_id:
            org = identity_repo.get_organisation(session, org_id)
            if org is not None:
                orgs.append(org)
    return orgs


def _scan(session: Session, q: str | None, lang: Language, after: str | None) -> Iterator[RegisterEntry]:
    terms = (q or "").split()
    orgs: dict[str, OrganisationRef] = {}
    while True:
        rows = repo.list_systems(
            session, organisation_ids=None, states=[s.value for s in PUBLIC_STATES], after=after, limit=_BATCH
        )
        for entry, haystack in _entries(session, rows, lang, orgs):
            if all(haystack.matches(term) for term in terms):
                yield entry
        if len(rows) < _BATCH:
            return
        after = rows[-1].id


def browse_register(
    uow: UnitOfWork,
    actor: Actor,
    *,
    q: str | None = None,
    lang: Language = Language.kk,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[RegisterEntry]:
    """A page of the public register (anyone, signed in or not), texts in ``lang`` with fallback."""
    check_limit(limit)
    items: list[RegisterEntry] = []
    more = False
    for entry in _scan(uow.session, q, lang, decode_text_cursor(cursor)):
        if len(items) == limit:
            more = True
            break
        items.append(entry)
    return Page(items=items, next=encode_cursor(items[-1].id) if more else None)


CSV_COLUMNS = (
    "id",
    "name",
    "purpose",
    "owner",
    "holder",
    "sector",
    "system_type",
    "risk_class",
    "autonomy_class",
    "state",
    "registered_at",
    "notice",
    "labelling_method",
    "produces_synthetic_content",
    "trusted_list",
    "pilot_state",
    "pilot_ends_at",
    "complaint_contact",
)


def register_csv(
    uow: UnitOfWork, actor: Actor, *, q: str | None = None, lang: Language = Language.kk
) -> Iterator[str]:
    """The whole (filtered) register as CSV lines, header first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        value = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return value

    writer.writerow(CSV_COLUMNS)
    yield "\ufeff" + flush()  # a BOM, so spreadsheet programs read the Cyrillic right
    for e in _scan(uow.session, q, lang, None):
        pilot = e.pilots[-1] if e.pilots else None
        writer.writerow(
            [
                e.id,
                e.name,
                e.purpose,
                e.owner.name,
                e.holder.name if e.holder else "",
                e.sector_name,
                e.system_type,
                e.risk_class or "",
                e.autonomy_class or "",
                e.state,
                e.registered_at or "",
                e.notice,
                e.labelling_method or "",
                "true" if e.produces_synthetic_content else "false",
                e.trusted_list or "",
                pilot.state.value if pilot else "",
                pilot.ends_at if pilot else "",
                e.complaint_contact,
            ]
        )
        yield flush()
