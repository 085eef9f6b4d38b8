"""Open version files where nginx can serve them without asking the app (issue 18).

Objects are content-addressed (``sha256/...``) while URLs name the library and version, so nginx
alone cannot find a file: behind nginx the app answers every read with an ``X-Accel-Redirect``.
For open data that check always says yes, so the app's ~0.4 ms per request is all the cost. The
public tree is the map nginx lacks: ``<root>/libraries/<slug>/v/<n>/data/<file>`` is a symbolic
link to the stored object, made the first time the app serves that file as open and published,
and removed when the version is withdrawn. nginx's ``try_files`` serves what is in the tree and
hands everything else to the app (docs/deploy/nginx.conf, docs/operations.md "Serving files").

What keeps personal data out of it:
- a link is made only after the app resolved the file for a reader as an open, published
  version's part (its tier is fixed at publication; restricted and enclave files never get one);
- a withdrawal removes the version's links inside the withdrawing transaction (a rolled-back
  withdrawal only costs the next reader a trip through the app, which makes the link again);
- every start of the server prunes links of versions no longer published and open, and links
  whose object is gone (an erased object leaves a dangling link, which nginx never serves:
  ``try_files`` falls through to the app).
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from qazai.core.enums import AccessTier
from qazai.identity.actor import Actor
from qazai.libraries.models import VersionStatus
from qazai.storage.tables.libraries import LibraryRow, LibraryVersionRow

log = logging.getLogger("qazai.libraries.public_tree")


def _safe(segment: str) -> bool:
    return bool(segment) and segment not in (".", "..") and "/" not in segment and "\x00" not in segment


class PublicTree:
    """The folder of links nginx serves open version files from."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def version_dir(self, slug: str, number: int) -> Path:
        return self.root / "libraries" / slug / "v" / str(number)

    def link(self, slug: str, number: int, filename: str, target: Path) -> bool:
        """Link ``filename`` of version ``number`` of ``slug`` to ``target`` (atomically: a
        reader sees no link or the whole one). True when the link is in place."""
        if not (_safe(slug) and _safe(filename)):
            return False
        path = self.version_dir(slug, number) / "data" / filename
        try:
            if path.is_symlink() and os.readlink(path) == str(target):
                return True
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary = path.with_name(f".{filename}.{os.getpid()}.tmp")
            temporary.unlink(missing_ok=True)
            os.symlink(target, temporary)
            os.replace(temporary, path)
            return True
        except OSError:
            log.exception("could not link %s in the public tree", path)
            return False

    def unlink_version(self, slug: str, number: int) -> None:
        if _safe(slug):
            shutil.rmtree(self.version_dir(slug, number), ignore_errors=True)

    def forget_withdrawn(self, session: Session, actor: Actor, version_id: str, reason: str) -> None:
        """The withdrawal hook (libraries.hooks): nginx stops serving the version's files."""
        row = session.execute(
            select(LibraryRow.slug, LibraryVersionRow.number)
            .join(LibraryRow, LibraryRow.id == LibraryVersionRow.library_id)
            .where(LibraryVersionRow.id == version_id)
        ).first()
        if row is not None:
            self.unlink_version(row.slug, row.number)

    def prune(self, session: Session) -> int:
        """Remove every version folder whose version is not published and open any more, and
        every dangling link. Returns how many folders and links went."""
        libraries = self.root / "libraries"
        if not libraries.is_dir():
            return 0
        served = {
            (slug, number)
            for slug, number in session.execute(
                select(LibraryRow.slug, LibraryVersionRow.number)
                .join(LibraryRow, LibraryRow.id == LibraryVersionRow.library_id)
                .where(
                    LibraryVersionRow.status == VersionStatus.published.value,
                    LibraryVersionRow.tier == AccessTier.open.value,
                )
            )
        }
        removed = 0
        for library in libraries.iterdir():
            versions = library / "v"
            for version in versions.iterdir() if versions.is_dir() else ():
                number = int(version.name) if version.name.isdigit() else -1
                if (library.name, number) not in served:
                    shutil.rmtree(version, ignore_errors=True)
                    removed += 1
                    continue
                data = version / "data"
                for entry in data.iterdir() if data.is_dir() else ():
                    if entry.is_symlink() and not entry.exists():
                        entry.unlink(missing_ok=True)
                        removed += 1
        return removed
