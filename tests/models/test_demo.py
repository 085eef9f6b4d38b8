"""The demo model: a real safetensors file written without the safetensors package, read back by
the real safetensors library; pushed once (seeding again changes nothing)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from safetensors.numpy import load

from qazai.identity.actor import SYSTEM
from qazai.models import reads
from qazai.models.demo import DEMO_REPO, safetensors_bytes, seed_demo_models


def test_safetensors_bytes_are_what_the_safetensors_library_reads() -> None:
    tensors = {"a": np.arange(6, dtype=np.float32).reshape(2, 3), "b": np.array([7, -1], dtype=np.int64)}
    loaded = load(safetensors_bytes(tensors, {"format": "np"}))
    assert set(loaded) == {"a", "b"}
    assert np.array_equal(loaded["a"], tensors["a"]) and np.array_equal(loaded["b"], tensors["b"])


def test_demo_model_is_pushed_once(platform: Any, people: Any, tmp_path: Path) -> None:
    from qazai.core.enums import OrgKind
    from qazai.core.text import LocalizedText
    from qazai.identity import service as identity
    from qazai.identity.models import OrganisationCreate

    with platform.db.uow() as uow:
        identity.create_organisation(
            uow,
            SYSTEM,
            OrganisationCreate(slug="qazdata-lab", kind=OrgKind.company, name=LocalizedText(en="Lab")),
        )
    limits = {"max_bytes": 10**9, "retention_days": 1}
    assert seed_demo_models(platform.db, platform.objects, SYSTEM, **limits)
    assert not seed_demo_models(platform.db, platform.objects, SYSTEM, **limits)
    with platform.db.uow(read_only=True) as uow:
        version = reads.resolve_revision(uow, SYSTEM, DEMO_REPO)
    weights = next(f for f in version.files if f.path == "model.safetensors")
    assert weights.tensors is not None and weights.tensors["parameters"] == 512 * 32 + 20 * 32 + 20
