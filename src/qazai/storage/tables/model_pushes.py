"""Model pushes in progress: a version being copied, hashed and scanned by a background job.

A push row is not a version: no reader, Hugging Face route or listing looks at this table. The
job turns it into a version (``state`` published, ``version_id`` set) in the one transaction
that writes the version, or refuses it with the findings (``state`` refused, ``error``). See
docs/models.md.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from qazai.storage.tables.base import ID, Base


class ModelPushRow(Base):
    __tablename__ = "model_pushes"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    repo_id: Mapped[str] = mapped_column(ID, ForeignKey("model_repos.id", ondelete="CASCADE"), index=True)
    tag: Mapped[str | None] = mapped_column(String(64))
    # processing | published | refused
    state: Mapped[str] = mapped_column(String(16), index=True)
    # {"card": ..., "files": [{"path", "upload_id", "sha256", "size"}]}
    request: Mapped[dict[str, Any]] = mapped_column(JSON)
    # content-addressed keys this push stored that did not exist before (what a refusal removes)
    created_keys: Mapped[list[Any]] = mapped_column(JSON)
    job_id: Mapped[str | None] = mapped_column(ID)
    version_id: Mapped[str | None] = mapped_column(ID)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    actor_id: Mapped[str | None] = mapped_column(ID)
    actor_label: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
