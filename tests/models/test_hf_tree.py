"""The Hub's tree and paths-info answers over a revision's files (no server: pure functions)."""

from __future__ import annotations

import hashlib

import pytest

from qazai.core.errors import NotFound
from qazai.models.hf.shapes import RepoEntry, TreeEntry, git_blob_oid, lfs_pointer_oid
from qazai.models.hf.tree import list_tree, paths_info

ENTRIES = [
    RepoEntry.stored("config.json", 10, "a" * 64),
    RepoEntry.stored("model.safetensors", 2048, "b" * 64),
    RepoEntry.stored("tokenizer/vocab.txt", 30, "c" * 64),
    RepoEntry.stored("tokenizer/extra/merges.txt", 40, "d" * 64),
    RepoEntry.generated("README.md", b"# card\n"),
]


def _shape(entries: list[TreeEntry]) -> list[tuple[str, str]]:
    return [(e.type, e.path) for e in entries]


def test_root_lists_folders_first_then_files_without_descending() -> None:
    assert _shape(list_tree(ENTRIES)) == [
        ("directory", "tokenizer"),
        ("file", "README.md"),
        ("file", "config.json"),
        ("file", "model.safetensors"),
    ]


def test_a_folder_and_recursive_listing() -> None:
    assert _shape(list_tree(ENTRIES, "tokenizer")) == [
        ("directory", "tokenizer/extra"),
        ("file", "tokenizer/vocab.txt"),
    ]
    assert _shape(list_tree(ENTRIES, "/tokenizer/", recursive=True)) == [
        ("directory", "tokenizer/extra"),
        ("file", "tokenizer/extra/merges.txt"),
        ("file", "tokenizer/vocab.txt"),
    ]
    everything = list_tree(ENTRIES, recursive=True)
    assert {e.path for e in everything if e.type == "file"} == {e.path for e in ENTRIES}


def test_stored_files_are_lfs_with_their_sha256_and_made_files_plain_git_blobs() -> None:
    by_path = {e.path: e for e in list_tree(ENTRIES)}
    assert by_path["config.json"].lfs is not None and by_path["config.json"].lfs.oid == "a" * 64
    assert by_path["config.json"].oid == lfs_pointer_oid("a" * 64, 10)
    assert by_path["README.md"].lfs is None
    # git's own object id of the content, as `git hash-object` gives it
    assert (
        by_path["README.md"].oid == hashlib.sha1(b"blob 7\0# card\n").hexdigest() == git_blob_oid(b"# card\n")
    )


def test_a_folders_oid_changes_with_its_content() -> None:
    before = list_tree(ENTRIES)[0].oid
    changed = [*ENTRIES[:2], RepoEntry.stored("tokenizer/vocab.txt", 31, "e" * 64), *ENTRIES[3:]]
    assert list_tree(changed)[0].oid != before
    assert list_tree(list(reversed(ENTRIES)))[0].oid == before


def test_a_missing_folder_is_entry_not_found() -> None:
    with pytest.raises(NotFound) as raised:
        list_tree(ENTRIES, "nothing")
    assert raised.value.code == "file_not_found"
    with pytest.raises(NotFound):
        list_tree(ENTRIES, "config.json")  # a file is not a folder


def test_paths_info_keeps_the_order_asked_and_leaves_out_what_is_not_there() -> None:
    found = paths_info(ENTRIES, ["tokenizer/extra", "missing.bin", "config.json", "tokenizer"])
    assert _shape(found) == [
        ("directory", "tokenizer/extra"),
        ("file", "config.json"),
        ("directory", "tokenizer"),
    ]
