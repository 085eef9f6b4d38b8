"""Helpers for the label tests: pictures, a system to label for, the label config."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
from PIL import Image
from tests.registry.support import system_body

from qazai.identity.actor import Actor
from qazai.identity.service import load_actor
from qazai.labels.service import LabelConfig
from qazai.registry import service as registry_service
from qazai.registry.models import SystemCreate
from qazai.storage.db import Database

SECRET = "test-secret-key-that-is-long-enough-0123456789"
CONFIG = LabelConfig(secret_key=SECRET, base_url="https://qazai.example.kz")


def picture(seed: int = 1, size: tuple[int, int] = (320, 240)) -> Image.Image:
    """A varied picture: smooth gradients plus a few shapes (pHash reacts to structure, not noise)."""
    rng = np.random.default_rng(seed)
    width, height = size
    y, x = np.mgrid[0:height, 0:width]
    channels = []
    for _ in range(3):
        fx, fy, phase = rng.uniform(0.5, 4.0), rng.uniform(0.5, 4.0), rng.uniform(0, 6.28)
        channels.append(127 + 120 * np.sin(fx * x / width * 6.28 + fy * y / height * 6.28 + phase))
    array = np.stack(channels, axis=-1).clip(0, 255).astype("uint8")
    for _ in range(4):
        x0, y0 = int(rng.integers(0, width - 40)), int(rng.integers(0, height - 40))
        array[y0 : y0 + int(rng.integers(20, 80)), x0 : x0 + int(rng.integers(20, 80))] = rng.integers(
            0, 255, 3
        )
    return Image.fromarray(array)


def encoded(image: Image.Image, fmt: str = "JPEG", **options: Any) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def reencode(data: bytes, *, scale: float = 0.5, quality: int = 60) -> bytes:
    """What a messenger does to a picture: resize and JPEG at ``quality`` (the manifest is lost)."""
    image = Image.open(io.BytesIO(data)).convert("RGB")
    image = image.resize((int(image.width * scale), int(image.height * scale)))
    return encoded(image, "JPEG", quality=quality)


def wav_bytes(seconds: float = 0.5) -> bytes:
    import wave

    out = io.BytesIO()
    with wave.open(out, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(8000)
        tone = (np.sin(np.arange(int(8000 * seconds)) / 5) * 8000).astype("<i2")
        writer.writeframes(tone.tobytes())
    return out.getvalue()


def actor_of(db: Database, user_id: str, scopes: frozenset[str] | None = None) -> Actor:
    with db.uow() as uow:
        return load_actor(uow, user_id, scopes=scopes)


def draft_system(db: Database, owner: Actor, **overrides: Any) -> str:
    """A draft system of stat-gov (drafts may make test labels); its id."""
    with db.uow() as uow:
        return registry_service.create_system(
            uow, owner, SystemCreate.model_validate(system_body(**overrides))
        ).id
