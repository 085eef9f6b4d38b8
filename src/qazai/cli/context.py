"""What every CLI command shares: settings, the platform, the CLI actor, one-line errors."""

from __future__ import annotations

import getpass
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from qazai.identity.actor import Actor

if TYPE_CHECKING:  # imported when a command runs, not at start-up
    from qazai.api.platform import Platform
    from qazai.config import Settings


def cli_settings(**overrides: object) -> Settings:
    from qazai.config import load_settings

    return load_settings(**{k: v for k, v in overrides.items() if v is not None})


def cli_actor() -> Actor:
    """The CLI runs with direct database access, i.e. as the platform itself; the audit trail
    records the operating-system user who ran the command."""
    try:
        who = getpass.getuser()
    except (KeyError, OSError):
        who = str(os.getuid())
    return Actor(user_id=None, label=f"cli:{who}", is_system=True)


@contextmanager
def open_platform(settings: Settings | None = None) -> Iterator[Platform]:
    """The platform for one command (migrations applied, no workers)."""
    from qazai.api.wiring import build_platform

    platform = build_platform(settings or cli_settings(), start_workers=False)
    try:
        yield platform
    finally:
        platform.close()
