"""A demo model for `qazai serve --demo`: a tiny Kazakh/Russian region-name classifier, written
here (a real safetensors file and config.json, random weights), pushed through the services."""

from __future__ import annotations

import json
import struct
import tempfile
from pathlib import Path

import numpy as np

from qazai.core.enums import AccessTier, RiskLevel
from qazai.core.errors import NotFound
from qazai.core.text import LocalizedText
from qazai.identity.actor import Actor
from qazai.models import reads, service
from qazai.models.models import ModelCard, ModelRepoCreate, TrainingData
from qazai.storage.db import Database
from qazai.storage.objects import ObjectStore

DEMO_REPO = "qazdata-lab/region-name-classifier"
_DTYPES = {np.dtype(np.float32): "F32", np.dtype(np.int64): "I64"}


def safetensors_bytes(tensors: dict[str, np.ndarray], metadata: dict[str, str] | None = None) -> bytes:
    """The safetensors encoding of ``tensors`` (little-endian, C order), as the format specifies."""
    header: dict[str, object] = {"__metadata__": metadata} if metadata else {}
    offset = 0
    blobs = []
    for name, array in tensors.items():
        data = np.ascontiguousarray(array).astype(array.dtype.newbyteorder("<"), copy=False).tobytes()
        header[name] = {
            "dtype": _DTYPES[array.dtype],
            "shape": list(array.shape),
            "data_offsets": [offset, offset + len(data)],
        }
        offset += len(data)
        blobs.append(data)
    encoded = json.dumps(header, separators=(",", ":")).encode()
    encoded += b" " * (-len(encoded) % 8)
    return struct.pack("<Q", len(encoded)) + encoded + b"".join(blobs)


DEMO_CARD = ModelCard(
    description=LocalizedText(
        kk="Елді мекен атауын (қазақша немесе орысша) облысқа жатқызатын **демо** модель. "
        "Салмақтары кездейсоқ.",
        ru="**Демо**-модель, относящая название населённого пункта (на казахском или русском) к области. "
        "Веса случайные.",
        en="A **demo** model that maps a place name (Kazakh or Russian) to its region. "
        "The weights are random.",
    ),
    intended_use=LocalizedText(
        kk="Платформаның модельдер хабын көрсету.",
        ru="Показ хаба моделей платформы.",
        en="Showing the platform's model hub.",
    ),
    out_of_scope_uses=LocalizedText(
        kk="Кез келген нақты шешім.", ru="Любые реальные решения.", en="Any real decision."
    ),
    training_data=TrainingData(
        declared=LocalizedText(
            kk="Деректер жоқ: салмақтар кездейсоқ.",
            ru="Данных нет: веса случайные.",
            en="None: the weights are random.",
        )
    ),
    evaluation=LocalizedText(kk="Бағаланбаған.", ru="Не оценивалась.", en="Not evaluated."),
    limitations_and_risks=LocalizedText(
        kk="Ештеңені болжамайды.", ru="Ничего не предсказывает.", en="It predicts nothing."
    ),
    risk_class=RiskLevel.minimal,
)


def seed_demo_models(
    db: Database, objects: ObjectStore, actor: Actor, *, max_bytes: int, retention_days: int
) -> bool:
    """Create and push the demo model unless it exists; True if pushed."""
    with db.uow() as uow:
        try:
            if reads.get_model_repo(uow, actor, DEMO_REPO).latest_revision:
                return False
        except NotFound:
            org, name = reads.parse_repo_id(DEMO_REPO)
            service.create_model_repo(
                uow,
                actor,
                ModelRepoCreate(
                    organisation=org,
                    name=name,
                    tier=AccessTier.open,
                    licence="Apache-2.0",
                    task="text-classification",
                    languages=["kk", "ru"],
                    title=LocalizedText(
                        kk="Өңір атауын жіктеуіш",
                        ru="Классификатор названий регионов",
                        en="Region name classifier",
                    ),
                    tags=["demo"],
                ),
            )
    rng = np.random.default_rng(2026)
    with tempfile.TemporaryDirectory(prefix="qazai-demo-model-") as folder:
        weights = Path(folder) / "model.safetensors"
        weights.write_bytes(
            safetensors_bytes(
                {
                    "embeddings.weight": rng.standard_normal((512, 32)).astype(np.float32),
                    "classifier.weight": rng.standard_normal((20, 32)).astype(np.float32),
                    "classifier.bias": np.zeros(20, dtype=np.float32),
                },
                {"format": "pt"},
            )
        )
        config = Path(folder) / "config.json"
        config.write_text(
            json.dumps(
                {"model_type": "bag-of-characters", "vocab_size": 512, "hidden_size": 32, "num_labels": 20}
            )
        )
        service.push_model_files(
            db,
            objects,
            actor,
            DEMO_REPO,
            [("model.safetensors", weights), ("config.json", config)],
            card=DEMO_CARD,
            tag="v1",
            max_bytes=max_bytes,
            retention_days=retention_days,
        )
    return True
