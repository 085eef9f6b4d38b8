"""open_object_store: which store a URL or the settings give."""

from __future__ import annotations

from pathlib import Path

import pytest

from qazai.config import load_settings
from qazai.core.errors import ConfigError
from qazai.storage.objects import LocalObjectStore, S3ObjectStore, open_object_store
from tests.storage.conftest import S3_CREDENTIALS


def test_default_settings_give_a_local_folder_under_data_dir(tmp_path: Path) -> None:
    store = open_object_store(load_settings(data_dir=tmp_path))
    assert isinstance(store, LocalObjectStore)
    assert store.root == (tmp_path / "objects").resolve()


def test_folder_path_and_file_url_give_local_stores(tmp_path: Path) -> None:
    assert isinstance(open_object_store(str(tmp_path / "a")), LocalObjectStore)
    store = open_object_store(f"file://{tmp_path / 'b'}")
    assert isinstance(store, LocalObjectStore)
    assert store.root == (tmp_path / "b").resolve()


def test_s3_settings_give_a_working_s3_store(s3_bucket: tuple[str, object], s3_endpoint: str) -> None:
    bucket, _ = s3_bucket
    settings = load_settings(
        object_store_url=f"s3://{bucket}/qazai/prod",
        s3_endpoint_url=s3_endpoint,
        s3_access_key_id=S3_CREDENTIALS["access_key_id"],
        s3_secret_access_key=S3_CREDENTIALS["secret_access_key"],
    )
    store = open_object_store(settings)
    assert isinstance(store, S3ObjectStore)
    assert store.prefix == "qazai/prod/"
    key = store.put(None, [b"data"]).key
    assert list(store.list()) == [key]


@pytest.mark.parametrize("url", ["s3:///no-bucket", "ftp://host/x"])
def test_unusable_urls_are_config_errors(url: str) -> None:
    with pytest.raises(ConfigError):
        open_object_store(url)
