"""The authors' opt-out check (LAW.md row 12), through the registry's contract.

``qazai.registry.optouts.check_against_optouts(session, *, sha256s, texts) -> OptOutCheck`` with
``matched: list[OptOutMatch(work_id, title, match_kind, detail)]`` and ``works_checked: int``.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from typing import Any

from sqlalchemy.orm import Session

from qazai.core.clock import utcnow


def check_optouts(session: Session, sha256s: list[str], texts: Iterable[str]) -> dict[str, Any]:
    """The check's record for the version's provenance: ``checked``, ``works_checked``,
    ``matches`` and ``at``. When the registry is not installed, ``checked`` is false with a reason."""
    at = utcnow().isoformat()
    try:
        module = importlib.import_module("qazai.registry.optouts")
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith("qazai.registry"):
            return {"checked": False, "reason": "the opt-out registry is not installed", "at": at}
        raise
    result = module.check_against_optouts(session, sha256s=sha256s, texts=texts)
    matches = [
        {
            "work_id": str(m.work_id),
            "title": str(m.title),
            "match_kind": str(m.match_kind),
            "detail": str(m.detail),
        }
        for m in result.matched
    ]
    return {"checked": True, "works_checked": int(result.works_checked), "matches": matches, "at": at}
