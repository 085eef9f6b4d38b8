"""The published trusted lists (Law on AI Art. 19; LAW.md row 10), one per sectoral state body.

A list holds the systems whose application the body (or the regulator) published and that are
still on the public register; withdrawn applications and retired systems leave it. Anyone reads
the lists, as JSON, CSV (UTF-8 with BOM) and portal pages. The bodies are the ``trusted_list_body``
keys of the sectors; a body's name is its organisation's when one has the key as its slug.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from qazai.core.clock import utcnow
from qazai.core.enums import Language
from qazai.core.errors import NotFound
from qazai.core.text import LocalizedText
from qazai.identity import repo as identity_repo
from qazai.registry import reference, repo
from qazai.registry.models import TrustedListState
from qazai.registry.workdays import local_date
from qazai.registry.workflow import PUBLIC_STATES, SystemState
from qazai.storage.db import UnitOfWork
from qazai.storage.tables.registry import TrustedListApplicationRow


class BodySector(BaseModel):
    key: str
    name: LocalizedText


class TrustedListBody(BaseModel):
    key: str
    name: LocalizedText
    organisation_slug: str | None
    sectors: list[BodySector]
    published: int


class ListedOwner(BaseModel):
    slug: str
    name: str


class TrustedListEntry(BaseModel):
    application_id: str
    system_id: str
    name: str
    names: LocalizedText
    owner: ListedOwner
    sector: str
    sector_name: str
    risk_class: str | None
    state: str
    published_on: date | None
    register_url: str


class TrustedList(BaseModel):
    body: TrustedListBody
    entries: list[TrustedListEntry]
    as_of: date


def _published(session: Session, body: str | None = None) -> list[TrustedListApplicationRow]:
    query = select(TrustedListApplicationRow).where(
        TrustedListApplicationRow.state == TrustedListState.published.value
    )
    if body is not None:
        query = query.where(TrustedListApplicationRow.sector_body == body)
    rows = session.scalars(
        query.order_by(TrustedListApplicationRow.decided_on, TrustedListApplicationRow.id)
    ).all()
    listed = []
    for row in rows:
        system = repo.get_system(session, row.system_id)
        if system is not None and SystemState(system.state) in PUBLIC_STATES:
            listed.append(row)
    return listed


def _bodies(session: Session) -> list[TrustedListBody]:
    sectors = reference.sectors(session).sectors
    keys = sorted({s.trusted_list_body for s in sectors})
    counts: dict[str, int] = {}
    for row in _published(session):
        counts[row.sector_body] = counts.get(row.sector_body, 0) + 1
    out = []
    for key in keys:
        org = identity_repo.get_organisation(session, key)
        out.append(
            TrustedListBody(
                key=key,
                name=LocalizedText.model_validate(org.name) if org is not None else LocalizedText(en=key),
                organisation_slug=org.slug if org is not None else None,
                sectors=[BodySector(key=s.key, name=s.name) for s in sectors if s.trusted_list_body == key],
                published=counts.get(key, 0),
            )
        )
    return out


def list_bodies(uow: UnitOfWork) -> list[TrustedListBody]:
    """Every sectoral body that keeps a trusted list, with its sectors and how many it lists."""
    return _bodies(uow.session)


def published_list(uow: UnitOfWork, body: str, lang: Language = Language.kk) -> TrustedList:
    """The trusted list of ``body``, texts in ``lang``; NotFound ``trusted_list_not_found`` for a
    key that is no sector's body."""
    found = next((b for b in _bodies(uow.session) if b.key == body), None)
    if found is None:
        raise NotFound(f"no sectoral body {body!r} keeps a trusted list", code="trusted_list_not_found")
    sectors = reference.sectors(uow.session)
    entries = []
    for row in _published(uow.session, body):
        system = repo.get_system(uow.session, row.system_id)
        assert system is not None
        owner = identity_repo.get_organisation(uow.session, system.owner_organisation_id)
        sector = sectors.get(system.sector)
        names = LocalizedText.model_validate(system.name)
        entries.append(
            TrustedListEntry(
                application_id=row.id,
                system_id=system.id,
                name=names.get(lang),
                names=names,
                owner=ListedOwner(
                    slug=owner.slug if owner else "?",
                    name=LocalizedText.model_validate(owner.name).get(lang) if owner else "?",
                ),
                sector=system.sector,
                sector_name=sector.name.get(lang) if sector else system.sector,
                risk_class=system.risk_class,
                state=system.state,
                published_on=row.decided_on,
                register_url=f"/register/{system.id}",
            )
        )
    return TrustedList(body=found, entries=entries, as_of=local_date(utcnow()))


CSV_COLUMNS = (
    "system_id",
    "name",
    "owner",
    "sector",
    "risk_class",
    "state",
    "published_on",
    "application_id",
    "body",
)


def _cell(value: str) -> str:
    # A cell a spreadsheet would run as a formula is kept as text.
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def published_list_csv(uow: UnitOfWork, body: str, lang: Language = Language.kk) -> Iterator[str]:
    """The trusted list of ``body`` as CSV lines, header first (BOM for spreadsheet programs)."""
    listing = published_list(uow, body, lang)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for e in listing.entries:
        writer.writerow(
            [
                e.system_id,
                _cell(e.name),
                _cell(e.owner.name),
                _cell(e.sector_name),
                e.risk_class or "",
                e.state,
                e.published_on.isoformat() if e.published_on else "",
                e.application_id,
                listing.body.key,
            ]
        )
    yield "\ufeff" + buffer.getvalue()
