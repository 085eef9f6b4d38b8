"""Authors' opt-outs (Law on AI Art. 23; LAW.md row 12): works that must not be used for training.

An author registers a work by file hash, URL, ISBN, DOI or another identifier, with a title, and
optionally a text excerpt (matched by the hash of its normalised form). The publish pipeline of
the libraries capability calls :func:`check_against_optouts` with the uploaded files' hashes and
the table's text cells, and refuses or excludes what matches.

A later opt-out is a *claim*: the claimant names themselves and gives evidence of authorship
(every source's SHA-256 is public in ``metadata.json``, so a hash alone proves nothing). It is in
force for new publishing at once (refusing to ingest a work is cheap and reversible), and it flags
the published versions built from the work's file; withdrawing them waits for the library's
producer or the regulator to confirm (``qazai.registry.optout_claims``), unless the regulator
registered it. States: ``active`` (in force), ``pending`` (matches published versions, awaits the
producer), ``disputed`` (the producer contests; the regulator decides), ``removed`` (wrongful:
no longer checked, flags cleared).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

import ahocorasick
from pydantic import BaseModel, ConfigDict, Field, computed_field, model_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from qazai.core.clock import as_utc, utcnow
from qazai.core.errors import InvalidInput, NotFound, PermissionDenied
from qazai.core.ids import new_id
from qazai.identity.actor import Actor
from qazai.libraries import lineage as library_lineage
from qazai.registry import policy, repo
from qazai.registry.audit import audit
from qazai.registry.workdays import add_working_days, local_date
from qazai.storage.db import UnitOfWork
from qazai.storage.tables.registry import OptOutWorkRow, RegistryNotificationRow

_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_ISBN_CANDIDATE = re.compile(r"(?<![\dXx])(?:97[89][-\s]?)?\d(?:[-\s]?\d){8}[-\s]?[\dXx](?![\dXx])")
_DOI = re.compile(r"10\.\d{4,9}/[^\s\"'<>]+", re.IGNORECASE)
_MIN_IDENTIFIER = 4
ACTIVE, PENDING, DISPUTED, REMOVED = "active", "pending", "disputed", "removed"
STATES = (ACTIVE, PENDING, DISPUTED, REMOVED)
ANSWER_WORKING_DAYS = 10  # a producer's time to confirm or dispute; then the claim awaits the regulator


@dataclass(frozen=True)
class OptOutMatch:
    work_id: str
    title: str
    match_kind: str  # file_hash | url | isbn | doi | identifier | text_hash
    detail: str


@dataclass(frozen=True)
class OptOutCheck:
    matched: list[OptOutMatch] = field(default_factory=list)
    works_checked: int = 0

    @property
    def clean(self) -> bool:
        return not self.matched


class OptOutCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=1000)
    author: str | None = Field(default=None, max_length=255)
    claimant: str = Field(
        min_length=3,
        max_length=255,
        description="who claims the work: the author or the rights holder, by name",
    )
    claimant_contact: str | None = Field(
        default=None, max_length=255, description="e-mail or phone for the review"
    )
    evidence: str = Field(
        min_length=20,
        max_length=20_000,
        description="why the claimant holds the rights: where the work was first published, a copyright "
        "registration, a contract; read by the producer and the regulator, not published",
    )
    file_sha256: str | None = Field(default=None, description="SHA-256 of the work's file, lowercase hex")
    url: str | None = Field(default=None, max_length=2000)
    isbn: str | None = Field(default=None, max_length=32)
    doi: str | None = Field(default=None, max_length=255)
    identifier: str | None = Field(default=None, max_length=255)
    text: str | None = Field(
        default=None, max_length=100_000, description="an excerpt; only its hash is kept"
    )

    @model_validator(mode="after")
    def _one_key(self) -> OptOutCreate:
        if not any((self.file_sha256, self.url, self.isbn, self.doi, self.identifier, self.text)):
            raise ValueError("give at least one of file_sha256, url, isbn, doi, identifier or text")
        return self


class OptOutRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    title: str
    author: str | None
    file_sha256: str | None
    url: str | None
    isbn: str | None
    doi: str | None
    identifier: str | None
    text_sha256: str | None
    created_at: object
    state: str  # active | pending | disputed | removed
    claimant: str | None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def answer_due_on(self) -> date | None:
        """A pending claim's producers answer within ANSWER_WORKING_DAYS; the regulator decides after."""
        if self.state != PENDING or not isinstance(self.created_at, datetime):
            return None
        return add_working_days(local_date(as_utc(self.created_at)), ANSWER_WORKING_DAYS)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def overdue(self) -> bool:
        due = self.answer_due_on
        return due is not None and local_date(utcnow()) > due


class OptOutRegistered(BaseModel):
    work: OptOutRead
    versions_marked: list[str]
    versions_withdrawn: list[str] = Field(default_factory=list)
    systems_notified: list[str]


# -- normalisation -----------------------------------------------------------------------------


def normalise_text(value: str) -> str:
    """Casefolded, NFKC, whitespace collapsed: the form whose SHA-256 identifies a text."""
    return " ".join(unicodedata.normalize("NFKC", value).casefold().split())


def text_sha256(value: str) -> str:
    return hashlib.sha256(normalise_text(value).encode("utf-8")).hexdigest()


def normalise_url(value: str) -> str:
    url = value.strip().casefold()
    url = re.sub(r"^[a-z][a-z0-9+.-]*://", "", url)
    url = url.removeprefix("www.")
    return url.rstrip("/")


def normalise_isbn(value: str) -> str | None:
    digits = re.sub(r"[^0-9Xx]", "", value).upper()
    if len(digits) == 10 and digits[:9].isdigit():
        total = sum((10 - i) * (10 if c == "X" else int(c)) for i, c in enumerate(digits))
        if total % 11 != 0:
            return None
        core = "978" + digits[:9]
        check = (10 - sum((1 if i % 2 == 0 else 3) * int(c) for i, c in enumerate(core)) % 10) % 10
        return core + str(check)
    if len(digits) == 13 and digits.isdigit():
        check = (10 - sum((1 if i % 2 == 0 else 3) * int(c) for i, c in enumerate(digits[:12])) % 10) % 10
        return digits if check == int(digits[12]) else None
    return None


def normalise_doi(value: str) -> str:
    doi = value.strip().casefold()
    doi = re.sub(r"^(https?://)?(dx\.)?doi\.org/", "", doi).removeprefix("doi:").strip()
    return doi.rstrip(".,;)")


# -- the check ---------------------------------------------------------------------------------


def check_against_optouts(session: Session, *, sha256s: list[str], texts: Iterable[str]) -> OptOutCheck:
    """Match files (by SHA-256) and text cells against every registered work.

    Builds the lookup once per call (sets for hashes, ISBNs and DOIs; one Aho-Corasick automaton
    for URLs and identifiers), then scans each text once. Returns each (work, kind, detail) match
    once, and the number of works checked against. Reads only; no audit event (the caller records
    the check with its own change).
    """
    works = session.scalars(select(OptOutWorkRow).where(OptOutWorkRow.state != REMOVED)).all()
    if not works:
        return OptOutCheck(matched=[], works_checked=0)
    by_file: dict[str, list[OptOutWorkRow]] = {}
    by_text: dict[str, list[OptOutWorkRow]] = {}
    by_isbn: dict[str, list[OptOutWorkRow]] = {}
    by_doi: dict[str, list[OptOutWorkRow]] = {}
    automaton = ahocorasick.Automaton()
    needles: dict[str, list[tuple[OptOutWorkRow, str]]] = {}
    for work in works:
        if work.file_sha256:
            by_file.setdefault(work.file_sha256, []).append(work)
        if work.text_sha256:
            by_text.setdefault(work.text_sha256, []).append(work)
        if work.isbn:
            by_isbn.setdefault(work.isbn, []).append(work)
        if work.doi:
            by_doi.setdefault(work.doi, []).append(work)
        if work.url:
            needles.setdefault(normalise_url(work.url), []).append((work, "url"))
        if work.identifier and len(work.identifier) >= _MIN_IDENTIFIER:
            needles.setdefault(work.identifier.casefold(), []).append((work, "identifier"))
    for needle, owners in needles.items():
        automaton.add_word(needle, (needle, owners))
    if needles:
        automaton.make_automaton()

    found: dict[tuple[str, str, str], OptOutMatch] = {}

    def hit(work: OptOutWorkRow, kind: str, detail: str) -> None:
        found.setdefault((work.id, kind, detail), OptOutMatch(work.id, work.title, kind, detail))

    for digest in sha256s:
        for work in by_file.get(digest.lower(), ()):
            hit(work, "file_hash", digest.lower())
    for text in texts:
        if not text:
            continue
        if by_text:
            digest = text_sha256(text)
            for work in by_text.get(digest, ()):
                hit(work, "text_hash", digest)
        if by_isbn:
            for candidate in _ISBN_CANDIDATE.findall(text):
                isbn = normalise_isbn(candidate)
                for work in by_isbn.get(isbn or "", ()):
                    hit(work, "isbn", isbn or "")
        if by_doi and "10." in text:
            for candidate in _DOI.findall(text):
                doi = normalise_doi(candidate)
                for work in by_doi.get(doi, ()):
                    hit(work, "doi", doi)
        if needles:
            for _end, (needle, owners) in automaton.iter(text.casefold()):
                for work, kind in owners:
                    hit(work, kind, needle)
    return OptOutCheck(matched=list(found.values()), works_checked=len(works))


# -- registering works -------------------------------------------------------------------------


def register_optout(uow: UnitOfWork, actor: Actor, cmd: OptOutCreate) -> OptOutRegistered:
    """Register a claim that a work must not be used for training.

    In force for new publishing at once. Published versions whose source file has the work's
    SHA-256 are flagged and their producers and the owners of systems using them notified; the
    claim stays ``pending`` until the producer or the regulator confirms it, and a confirmation
    withdraws them. Registered by the regulator, it is confirmed at once. InvalidInput for a
    malformed hash or ISBN; PermissionDenied for the anonymous.
    """
    if not policy.can_register_optout(actor):
        raise PermissionDenied("sign in to register a work")
    sha = cmd.file_sha256.strip().lower() if cmd.file_sha256 else None
    if sha is not None and not _HEX64.match(sha):
        raise InvalidInput("file_sha256 must be 64 hexadecimal digits", code="invalid_sha256")
    isbn = None
    if cmd.isbn:
        isbn = normalise_isbn(cmd.isbn)
        if isbn is None:
            raise InvalidInput(f"{cmd.isbn!r} is not a valid ISBN-10 or ISBN-13", code="invalid_isbn")
    if cmd.identifier and len(cmd.identifier.strip()) < _MIN_IDENTIFIER:
        raise InvalidInput(
            f"an identifier needs at least {_MIN_IDENTIFIER} characters", code="invalid_identifier"
        )
    row = OptOutWorkRow(
        id=new_id(),
        title=cmd.title,
        author=cmd.author,
        file_sha256=sha,
        url=cmd.url.strip() if cmd.url else None,
        isbn=isbn,
        doi=normalise_doi(cmd.doi) if cmd.doi else None,
        identifier=cmd.identifier.strip() if cmd.identifier else None,
        text_sha256=text_sha256(cmd.text) if cmd.text else None,
        registered_by=actor.user_id,
        registered_by_label=actor.label,
        created_at=utcnow(),
        state=ACTIVE,
        claimant=cmd.claimant.strip(),
        claimant_contact=cmd.claimant_contact,
        evidence=cmd.evidence.strip(),
    )
    uow.session.add(row)
    uow.session.flush()
    refs = [r for r in affected_versions(uow, row) if r.status == "published"]
    version_ids = [ref.id for ref in refs]
    withdrawn: list[str] = []
    notified: list[str] = []
    if version_ids:
        reason = f"the author of {cmd.title!r} forbade training on it (opt-out {row.id})"
        library_lineage.mark_versions_opted_out(uow.session, version_ids, reason)
        if policy.is_regulator(actor):
            row.decided_by, row.decided_at = actor.user_id, utcnow()
            row.decision_reason = "registered by the regulator"
            withdrawn = withdraw_affected(uow, actor, row)
        else:
            row.state = PENDING
            notify_producers(uow, row, refs)
        notified = notify_system_owners(uow, row, refs, withdrawn=bool(withdrawn))
    audit(
        uow,
        actor,
        "optout.register",
        None,
        {
            "title": row.title,
            "claimant": row.claimant,
            "state": row.state,
            "keys": [
                k
                for k in ("file_sha256", "url", "isbn", "doi", "identifier", "text_sha256")
                if getattr(row, k)
            ],
            "versions_marked": version_ids,
            "versions_withdrawn": withdrawn,
            "systems_notified": notified,
        },
        object_type="optout_work",
        object_id=row.id,
    )
    uow.commit()
    return OptOutRegistered(
        work=OptOutRead.model_validate(row),
        versions_marked=version_ids,
        versions_withdrawn=withdrawn,
        systems_notified=notified,
    )


def affected_versions(uow: UnitOfWork, work: OptOutWorkRow) -> list[library_lineage.VersionRef]:
    """The library versions (any status) built from the work's file."""
    if not work.file_sha256:
        return []
    return library_lineage.versions_with_source_sha256(uow.session, work.file_sha256)


def withdraw_affected(
    uow: UnitOfWork, actor: Actor, work: OptOutWorkRow, organisations: set[str] | None = None
) -> list[str]:
    """Confirm ``work``: withdraw the versions still published from its file (only those of
    ``organisations`` when given: a producer confirms for its own libraries), through the
    libraries capability; lineage then flags the systems that used them and refuses new links.
    The claim becomes ``active`` once no version from the file is left published. In the
    caller's transaction. Returns the ids withdrawn."""
    reason = f"the author of {work.title!r} forbade training on it (opt-out {work.id})"
    refs = affected_versions(uow, work)
    ids = [r.id for r in refs if organisations is None or r.producer_organisation_id in organisations]
    done = library_lineage.withdraw_opted_out_versions(uow.session, actor, ids, reason, work.id)
    withdrawn = {ref.id for ref in done}
    if not any(r.status == "published" and r.id not in withdrawn for r in refs):
        work.state = ACTIVE
    return [ref.id for ref in done]


def notify_producers(uow: UnitOfWork, work: OptOutWorkRow, refs: list[library_lineage.VersionRef]) -> None:
    """Tell each producer organisation which of its versions the claim covers and what it can do."""
    by_org: dict[str, list[str]] = {}
    for ref in refs:
        by_org.setdefault(ref.producer_organisation_id, []).append(f"{ref.library_slug} v{ref.number}")
    for org_id, labels in by_org.items():
        listed = ", ".join(labels)
        uow.session.add(
            RegistryNotificationRow(
                id=new_id(),
                organisation_id=org_id,
                system_id=None,
                kind="optout_claim",
                message={
                    "kk": f"«{work.title}» туындысына құқық иесі ({work.claimant}) оны оқытуға пайдалануға "
                    f"тыйым салды; ол {listed} нұсқаларының бастапқы файлы. Растаңыз (нұсқалар кері "
                    "қайтарылады) немесе дау айтыңыз; туындысыз жаңа нұсқа жариялай аласыз.",
                    "ru": f"Правообладатель ({work.claimant}) запретил использовать «{work.title}» для "
                    f"обучения; это исходный файл версий {listed}. Подтвердите (версии будут отозваны) "
                    "или оспорьте; вы можете опубликовать новую версию без этого произведения.",
                    "en": f"{work.claimant} claims “{work.title}” and forbids training on it; it is the "
                    f"source file of {listed}. Confirm (the versions are withdrawn) or dispute the claim; "
                    "you may publish a new version without the work.",
                },
                data={"work_id": work.id, "versions": labels},
                created_at=utcnow(),
                read_at=None,
            )
        )


def notify_system_owners(
    uow: UnitOfWork, work: OptOutWorkRow, refs: list[library_lineage.VersionRef], *, withdrawn: bool = False
) -> list[str]:
    by_id = {ref.id: ref for ref in refs}
    systems: list[str] = []
    for link in repo.lineage_for_versions(uow.session, list(by_id)):
        system = repo.get_system(uow.session, link.system_id)
        if system is None or system.id in systems:
            continue
        ref = by_id[link.library_version_id]
        label = f"{ref.library_slug} v{ref.number}"
        done = {
            "kk": "кері қайтарылды" if withdrawn else "белгіленді",
            "ru": "отозвана" if withdrawn else "помечена",
            "en": "withdrawn" if withdrawn else "marked",
        }
        uow.session.add(
            RegistryNotificationRow(
                id=new_id(),
                organisation_id=system.owner_organisation_id,
                system_id=system.id,
                kind="optout_withdrawn" if withdrawn else "optout",
                message={
                    "kk": f"«{work.title}» туындысының авторы оны оқытуға пайдалануға тыйым салды; "
                    f"жүйеңіз пайдаланған {label} нұсқасы {done['kk']}.",
                    "ru": f"Автор произведения «{work.title}» запретил использовать его для обучения; "
                    f"версия {label}, которую использовала ваша система, {done['ru']}.",
                    "en": f"The author of “{work.title}” forbade training on it; library version {label}, "
                    f"which your system used, has been {done['en']}.",
                },
                data={
                    "work_id": work.id,
                    "library_version_id": ref.id,
                    "library": ref.library_slug,
                    "number": ref.number,
                },
                created_at=utcnow(),
                read_at=None,
            )
        )
        systems.append(system.id)
    return systems


def list_optouts(uow: UnitOfWork, actor: Actor, state: str | None = None) -> list[OptOutRead]:
    """The opt-out registry is public and machine-readable (the law asks for a machine-readable
    prohibition); who registered a work is not shown, nor the evidence. ``state`` filters (the
    regulator's queue: ``pending`` ones past ``answer_due_on`` are ``overdue``). InvalidInput
    for an unknown state."""
    query = select(OptOutWorkRow).order_by(OptOutWorkRow.id)
    if state is not None:
        if state not in STATES:
            raise InvalidInput(f"state must be one of {', '.join(STATES)}", code="invalid_state")
        query = query.where(OptOutWorkRow.state == state)
    rows = uow.session.scalars(query).all()
    return [OptOutRead.model_validate(r) for r in rows]  # removed claims too: their state says so


def get_optout(uow: UnitOfWork, actor: Actor, work_id: str) -> OptOutRead:
    row = uow.session.get(OptOutWorkRow, work_id)
    if row is None:
        raise NotFound(f"no registered work {work_id!r}")
    return OptOutRead.model_validate(row)
