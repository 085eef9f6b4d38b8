"""Settings: one object, QAZAI_ prefix, placeholder secrets refused outside demo/dev."""

from __future__ import annotations

from pathlib import Path

import pytest

from qazai.config import PLACEHOLDER_SECRET, load_settings
from qazai.core.errors import ConfigError


def test_defaults_need_nothing_but_python(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path)
    assert settings.effective_database_url.startswith("sqlite:///")
    assert settings.effective_object_store_url == str((tmp_path / "objects").resolve())
    assert settings.port == 8000


def test_environment_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QAZAI_PORT", "9001")
    monkeypatch.setenv("QAZAI_UPLOAD_MAX_BYTES", "1024")
    settings = load_settings()
    assert settings.port == 9001 and settings.upload_max_bytes == 1024


@pytest.mark.parametrize("secret", [PLACEHOLDER_SECRET, "short"])
def test_production_refuses_placeholder_or_weak_secret(secret: str) -> None:
    with pytest.raises(ConfigError, match="QAZAI_SECRET_KEY"):
        load_settings(environment="production", secret_key=secret)


def test_production_accepts_a_real_secret() -> None:
    assert load_settings(environment="production", secret_key="x" * 48).environment.value == "production"


def test_bad_value_is_a_config_error_naming_the_setting() -> None:
    with pytest.raises(ConfigError, match="port"):
        load_settings(port="eighty")
