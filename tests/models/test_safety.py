"""Bad input on push: code-running pickles, lying safetensors headers, truncated and empty
uploads, cards with HTML. Nothing is published when a file or the card is refused."""

from __future__ import annotations

import io
import json
import os
import pickle
import struct
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from qazai.core.enums import AccessTier
from qazai.core.errors import Conflict, InvalidInput
from qazai.core.text import LocalizedText
from qazai.identity.actor import SYSTEM
from qazai.libraries import uploads
from qazai.models import cards, reads, service
from qazai.models.models import FileSource, ModelUploadCreate, VersionPush
from tests.models.factory import create_repo, full_card, push_folder, write_tiny_model


class RunsACommand:
    def __reduce__(self) -> tuple[Any, ...]:
        return (os.system, ("echo pwned > /tmp/qazai-pwned",))


def _versions(platform: Any, repo_id: str) -> int:
    with platform.db.uow(read_only=True) as uow:
        return len(reads.list_model_versions(uow, SYSTEM, repo_id))


def test_a_pickle_that_runs_os_system_is_refused_in_the_open_tier(
    platform: Any, people: Any, tmp_path: Path
) -> None:
    repo_id = create_repo(platform)
    folder = write_tiny_model(tmp_path / "m")
    (folder / "pytorch_model.bin").write_bytes(
        pickle.dumps({"weights": [1.0], "hook": RunsACommand()}, protocol=4)
    )
    with pytest.raises(InvalidInput) as err:
        push_folder(platform, repo_id, folder)
    assert err.value.code == "unsafe_pickle"
    assert "posix.system" in err.value.message or "os.system" in err.value.message
    assert err.value.details["path"] == "pytorch_model.bin"
    assert _versions(platform, repo_id) == 0


def test_registered_tier_refuses_it_too_and_restricted_keeps_it_with_findings(
    platform: Any, people: Any, tmp_path: Path
) -> None:
    folder = write_tiny_model(tmp_path / "m")
    (folder / "model.pkl").write_bytes(pickle.dumps(RunsACommand(), protocol=2))
    registered = create_repo(platform, "reg", tier=AccessTier.registered)
    with pytest.raises(InvalidInput):
        push_folder(platform, registered, folder)
    restricted = create_repo(platform, "res", tier=AccessTier.restricted)
    version = push_folder(platform, restricted, folder)
    kept = next(f for f in version.files if f.path == "model.pkl")
    assert not kept.preferred and kept.format == "pickle"
    assert any(f["code"] == "pickle_import" and "system" in f["message"] for f in kept.scan)


def test_a_pickle_of_arrays_only_is_accepted_but_not_preferred(
    platform: Any, people: Any, tmp_path: Path
) -> None:
    repo_id = create_repo(platform)
    folder = write_tiny_model(tmp_path / "m")
    (folder / "weights.pkl").write_bytes(pickle.dumps({"w": np.arange(6, dtype=np.float32)}, protocol=4))
    version = push_folder(platform, repo_id, folder)
    weights = next(f for f in version.files if f.path == "weights.pkl")
    assert weights.scan == [] and not weights.preferred


def test_a_compressed_pickle_cannot_be_verified_and_is_refused(
    platform: Any, people: Any, tmp_path: Path
) -> None:
    import zlib

    repo_id = create_repo(platform)
    folder = write_tiny_model(tmp_path / "m")
    (folder / "model.joblib").write_bytes(zlib.compress(pickle.dumps(RunsACommand())))
    with pytest.raises(InvalidInput) as err:
        push_folder(platform, repo_id, folder)
    assert err.value.code == "pickle_unverifiable"


def _lie_about_sizes(path: Path) -> None:
    raw = path.read_bytes()
    (length,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + length])
    header["head.weight"]["shape"] = [3, 9]  # 27 floats in a span of 24
    body = json.dumps(header).encode()
    body += b" " * ((8 - len(body) % 8) % 8)
    path.write_bytes(struct.pack("<Q", len(body)) + body + raw[8 + length :])


def test_a_safetensors_header_that_lies_about_sizes_is_refused(
    platform: Any, people: Any, tmp_path: Path
) -> None:
    repo_id = create_repo(platform)
    folder = write_tiny_model(tmp_path / "m")
    _lie_about_sizes(folder / "model.safetensors")
    with pytest.raises(InvalidInput) as err:
        push_folder(platform, repo_id, folder)
    assert err.value.code == "safetensors_header_invalid"
    assert "head.weight" in err.value.message


def test_a_truncated_safetensors_file_is_refused(platform: Any, people: Any, tmp_path: Path) -> None:
    repo_id = create_repo(platform)
    folder = write_tiny_model(tmp_path / "m")
    weights = folder / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:-10])
    with pytest.raises(InvalidInput) as err:
        push_folder(platform, repo_id, folder)
    assert err.value.code == "safetensors_header_invalid" and "truncated" in err.value.message


def test_a_truncated_upload_is_refused_with_what_arrived(platform: Any, people: Any, tmp_path: Path) -> None:
    repo_id = create_repo(platform)
    raw = (write_tiny_model(tmp_path / "m") / "model.safetensors").read_bytes()
    with platform.db.uow() as uow:
        upload = service.create_model_upload(
            uow, SYSTEM, repo_id, ModelUploadCreate(filename="model.safetensors", size=len(raw)),
            max_bytes=10**9, retention_days=1,
        )  # fmt: skip
    uploads.append_chunk(platform.db, platform.objects, SYSTEM, upload.id, 0, io.BytesIO(raw[:100]))
    cmd = VersionPush(card=full_card(), files=[FileSource(path="model.safetensors", upload_id=upload.id)])
    with pytest.raises(Conflict) as err:
        service.push_model_version(platform.db, platform.objects, SYSTEM, repo_id, cmd)
    assert err.value.code == "upload_incomplete"
    assert err.value.details == {"path": "model.safetensors", "offset": 100, "size": len(raw)}
    uploads.append_chunk(platform.db, platform.objects, SYSTEM, upload.id, 100, io.BytesIO(raw[100:]))
    assert service.push_model_version(platform.db, platform.objects, SYSTEM, repo_id, cmd).files[
        0
    ].size == len(raw)


def test_a_zero_byte_file_is_refused(platform: Any, people: Any, tmp_path: Path) -> None:
    repo_id = create_repo(platform)
    folder = write_tiny_model(tmp_path / "m")
    (folder / "empty.bin").write_bytes(b"")
    with pytest.raises(InvalidInput) as err:
        push_folder(platform, repo_id, folder)
    assert err.value.code == "empty_file"
    assert _versions(platform, repo_id) == 0


@pytest.mark.parametrize("path", ["../model.safetensors", ".git/config", "a//b", "a\\b"])
def test_unsafe_file_paths_are_refused(path: str) -> None:
    with pytest.raises(InvalidInput) as err:
        service.check_file_path(path)
    assert err.value.code == "invalid_file_path"


def test_a_card_with_a_script_tag_is_refused_and_would_render_escaped(
    platform: Any, people: Any, tmp_path: Path
) -> None:
    repo_id = create_repo(platform)
    evil = "Fine model.\n\n<script>alert('x')</script>\n\n<img src=x onerror=alert(1)>"
    with pytest.raises(InvalidInput) as err:
        push_folder(
            platform,
            repo_id,
            write_tiny_model(tmp_path / "m"),
            card=full_card(limitations_and_risks=LocalizedText(ru=evil)),
        )
    assert err.value.code == "card_raw_html" and err.value.details["field"] == "limitations_and_risks.ru"
    html = str(cards.render_markdown(evil + "\n\n[click](javascript:alert(1))"))
    assert "<script" not in html and "&lt;script&gt;" in html
    assert "<img" not in html and 'href="javascript' not in html
    # code spans may show HTML as text
    cards.check_card(full_card(evaluation=LocalizedText(en="Use `<b>` in prompts.")))


def test_card_file_front_matter_and_languages(tmp_path: Path) -> None:
    (tmp_path / "card.md").write_text(
        "---\nlicense: apache-2.0\nintended_use: Classify texts.\n"
        "out_of_scope_uses: {kk: Адамдар туралы шешім, en: Decisions}\n"
        "training_data: {declared: Public news 2020-2024}\nevaluation: F1 0.8\n"
        "limitations_and_risks: Short texts only\n"
        "risk_class: minimal\n---\n# Tiny\n\nA **tiny** model.\n",
        encoding="utf-8",
    )
    (tmp_path / "card.kk.md").write_text("# Шағын\n", encoding="utf-8")
    card, meta = cards.parse_card_file(tmp_path / "card.md")
    assert meta == {"license": "apache-2.0"}
    assert (
        card.description is not None
        and card.description.kk == "# Шағын"
        and "tiny" in (card.description.en or "")
    )
    assert card.out_of_scope_uses is not None and card.out_of_scope_uses.kk == "Адамдар туралы шешім"
    assert cards.missing_fields(card) == []


def _write_gguf(path: Path) -> Path:
    import gguf

    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_name("tiny")
    writer.add_tensor("token_embd.weight", np.zeros((32, 8), dtype=np.float32))
    writer.add_tensor("output_norm.weight", np.ones((64,), dtype=np.float16))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def test_gguf_headers_are_read_and_a_truncated_gguf_is_refused(
    platform: Any, people: Any, tmp_path: Path
) -> None:
    repo_id = create_repo(platform)
    folder = write_tiny_model(tmp_path / "m")
    _write_gguf(folder / "model.gguf")
    version = push_folder(platform, repo_id, folder)
    gguf_file = next(f for f in version.files if f.path == "model.gguf")
    assert gguf_file.preferred and gguf_file.format == "gguf"
    assert gguf_file.tensors is not None
    assert gguf_file.tensors["count"] == 2 and gguf_file.tensors["parameters"] == 32 * 8 + 64
    assert gguf_file.tensors["dtypes"] == {"F16": 64, "F32": 256}
    assert gguf_file.tensors["metadata"]["general.name"] == "tiny"

    raw = (folder / "model.gguf").read_bytes()
    (folder / "model.gguf").write_bytes(raw[: len(raw) - 100])  # into the tensors
    with pytest.raises(InvalidInput) as truncated:
        push_folder(platform, repo_id, folder)
    assert truncated.value.code == "gguf_header_invalid" and "truncated" in truncated.value.message
    (folder / "model.gguf").write_bytes(b"GGUF" + b"\xff" * 60)
    with pytest.raises(InvalidInput) as garbage:
        push_folder(platform, repo_id, folder)
    assert garbage.value.code == "gguf_header_invalid"
