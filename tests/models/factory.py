"""A tiny real model made in the test (safetensors written by `safetensors` + config.json), pushed
through the service functions. Nothing is downloaded."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from safetensors.numpy import save_file

from qazai.core.enums import AccessTier, RiskLevel
from qazai.core.text import LocalizedText
from qazai.identity.actor import SYSTEM, Actor
from qazai.models import service
from qazai.models.models import ModelCard, ModelRepoCreate, ModelVersionRead, TrainingData

CONFIG = {"architectures": ["TinyClassifier"], "model_type": "tiny", "hidden_size": 8, "num_labels": 3}


def write_tiny_model(folder: Path, *, seed: int = 0) -> Path:
    """`model.safetensors` (two float32 tensors and an int64 one) and `config.json` in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    save_file(
        {
            "embed.weight": rng.standard_normal((16, 8)).astype(np.float32),
            "head.weight": rng.standard_normal((3, 8)).astype(np.float32),
            "head.steps": np.arange(4, dtype=np.int64),
        },
        str(folder / "model.safetensors"),
        metadata={"format": "np"},
    )
    (folder / "config.json").write_text(json.dumps(CONFIG), encoding="utf-8")
    return folder


def full_card(**changes: Any) -> ModelCard:
    """A card with every mandatory field (training data declared, not on the platform)."""
    values: dict[str, Any] = {
        "description": LocalizedText(
            en="A **tiny** classifier.", kk="Шағын жіктеуіш.", ru="Маленький классификатор."
        ),
        "intended_use": LocalizedText(en="Tests of the model hub."),
        "out_of_scope_uses": LocalizedText(en="Any decision about people."),
        "training_data": TrainingData(declared=LocalizedText(en="Random numbers.")),
        "evaluation": LocalizedText(en="None: the weights are random."),
        "limitations_and_risks": LocalizedText(en="It predicts nothing."),
        "risk_class": RiskLevel.minimal,
    }
    values.update(changes)
    return ModelCard(**values)


def create_repo(
    platform: Any,
    name: str = "tiny-model",
    *,
    org: str = "stat-gov",
    tier: AccessTier = AccessTier.open,
    actor: Actor = SYSTEM,
    **extra: Any,
) -> str:
    with platform.db.uow() as uow:
        created = service.create_model_repo(
            uow,
            actor,
            ModelRepoCreate(
                organisation=org,
                name=name,
                tier=tier,
                licence=extra.pop("licence", "Apache-2.0"),
                task=extra.pop("task", "text-classification"),
                languages=extra.pop("languages", ["kk", "ru"]),
                **extra,
            ),
        )
    return created.repo_id


def push_folder(
    platform: Any,
    repo_id: str,
    folder: Path,
    *,
    card: ModelCard | None = None,
    tag: str | None = None,
    actor: Actor = SYSTEM,
) -> ModelVersionRead:
    files = [(p.relative_to(folder).as_posix(), p) for p in sorted(folder.rglob("*")) if p.is_file()]
    return service.push_model_files(
        platform.db,
        platform.objects,
        actor,
        repo_id,
        files,
        card=card or full_card(),
        tag=tag,
        max_bytes=platform.settings.upload_max_bytes,
        retention_days=platform.settings.raw_retention_days,
    )


def push_tiny_model(
    platform: Any,
    actor: Actor = SYSTEM,
    repo_id: str = "stat-gov/tiny-model",
    *,
    tier: AccessTier = AccessTier.open,
    folder: Path,
) -> ModelVersionRead:
    """Create ``repo_id`` (its organisation must exist) and push a tiny model from ``folder``."""
    org, name = repo_id.split("/")
    create_repo(platform, name, org=org, tier=tier, actor=actor)
    return push_folder(platform, repo_id, write_tiny_model(folder), actor=actor)
