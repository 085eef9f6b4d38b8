"""The composition root's product: settings, database and object store, built once at start."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from qazai.config import Settings
from qazai.storage.db import Database
from qazai.storage.objects import ObjectStore

if TYPE_CHECKING:
    from qazai.libraries.public_tree import PublicTree


@dataclass
class Platform:
    """Everything a request, a CLI command or a worker needs. Build it with
    :func:`qazai.api.wiring.build_platform`."""

    settings: Settings
    db: Database
    objects: ObjectStore
    # open version files linked where nginx serves them without the app (settings.public_files_dir)
    public_tree: PublicTree | None = None
    on_start: list[Callable[[], None]] = field(default_factory=list)
    on_stop: list[Callable[[], None]] = field(default_factory=list)

    def close(self) -> None:
        self.db.dispose()
