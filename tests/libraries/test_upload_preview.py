"""Previewing an upload before publishing: tables, header, types, privacy findings, a safe sample."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from tests.libraries.publishing import make_library, upload

from qazai.api.platform import Platform
from qazai.core.enums import AccessTier, OrgKind
from qazai.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from qazai.core.text import LocalizedText
from qazai.identity import service as identity
from qazai.identity.actor import SYSTEM, Actor
from qazai.identity.models import OrganisationCreate
from qazai.libraries import preview
from qazai.libraries.models import LegalBasis, UploadPreview
from qazai.libraries.synthetic import citizen_register_csv


@pytest.fixture
def lib_platform(platform: Platform) -> Platform:
    with platform.db.uow() as uow:
        identity.create_organisation(
            uow,
            SYSTEM,
            OrganisationCreate(slug="stat-gov", kind=OrgKind.government_body, name=LocalizedText(en="BNS")),
        )
    return platform


def _preview(
    platform: Platform, slug: str, upload_id: str, actor: Actor = SYSTEM, **kw: object
) -> UploadPreview:
    with platform.db.uow(read_only=True) as uow:
        return preview.preview_upload(uow, platform.objects, actor, slug, upload_id, **kw)  # type: ignore[arg-type]


def test_citizen_register_preview_shows_findings_and_no_raw_identifiers(
    lib_platform: Platform, tmp_path: Path
) -> None:
    raw = citizen_register_csv(600)
    path = tmp_path / "register.csv"
    path.write_bytes(raw)
    make_library(lib_platform, "citizens", legal_basis=LegalBasis.depersonalised)
    upload_id = upload(lib_platform, "citizens", path)
    result = _preview(lib_platform, "citizens", upload_id)
    [table] = result.tables
    assert table.format == "csv" and table.header_row == 0 and table.rows_sampled == 600
    columns = {c.source: c for c in table.columns}
    iin = columns["ИИН"]
    assert iin.kind == "direct_identifier" and iin.entities.get("IIN", 0) > 0 and iin.match_ratio > 0.9
    assert iin.action == iin.default_action == "drop" and iin.examples == []
    assert columns["ФИО"].action == "drop" and columns["Телефон"].action == "drop"
    assert columns["Доход"].type == "integer" and columns["Доход"].null_share == 0.0
    assert columns["Дата рождения"].type == "date" and columns["Дата рождения"].action == "generalise"
    assert iin.name not in table.sample_columns and 0 < len(table.sample_rows) <= 20
    # not one raw IIN, phone or name anywhere in the response
    document = json.dumps(result.model_dump(mode="json"), ensure_ascii=False)
    rows = raw.decode().splitlines()[1:]
    for line in rows:
        value_iin, name, _born, _sex, phone = line.split(",")[:5]
        assert value_iin not in document and phone not in document and name not in document
    assert not re.search(r"\b\d{12}\b", document)


def test_registered_tier_pseudonymises_iins_and_a_producer_policy_changes_the_action(
    lib_platform: Platform, tmp_path: Path
) -> None:
    path = tmp_path / "register.csv"
    path.write_bytes(citizen_register_csv(300))
    make_library(lib_platform, "reg", tier=AccessTier.registered, legal_basis=LegalBasis.depersonalised)
    upload_id = upload(lib_platform, "reg", path)
    first = _preview(lib_platform, "reg", upload_id, sample_rows=5)
    iin = next(c for c in first.tables[0].columns if c.source == "ИИН")
    assert iin.action == "pseudonymise" and len(first.tables[0].sample_rows) <= 5
    renamed = _preview(
        lib_platform,
        "reg",
        upload_id,
        overrides={"register": {"Регион": {"name": "region"}, "Доход": {"type": "float"}}},
        policy_data={"columns": {"region": {"action": "drop"}}},
    )
    columns = {c.source: c for c in renamed.tables[0].columns}
    assert columns["Регион"].name == "region" and columns["Регион"].action == "drop"
    assert columns["Регион"].default_action != "drop" and columns["Доход"].type == "float"
    assert renamed.policy_given and "region" not in renamed.tables[0].sample_columns


def test_real_workbook_preview(lib_platform: Platform, real_data: Path) -> None:
    make_library(lib_platform, "population")
    upload_id = upload(lib_platform, "population", real_data / "stat-population-by-region.xlsx")
    result = _preview(lib_platform, "population", upload_id)
    assert result.tables and result.filename == "stat-population-by-region.xlsx"
    table = result.tables[0]
    assert table.format == "xlsx" and table.header_row is not None
    assert any(c.type == "integer" for c in table.columns)
    assert table.sample_rows and len(table.sample_rows[0]) == len(table.sample_columns)
    one = _preview(lib_platform, "population", upload_id, sheet=table.name)
    assert [t.name for t in one.tables] == [table.name]


def test_complaints_csv_preview_redacts_free_text(lib_platform: Platform, real_data: Path) -> None:
    make_library(lib_platform, "complaints")
    upload_id = upload(lib_platform, "complaints", real_data / "akimat-complaints.csv")
    result = _preview(lib_platform, "complaints", upload_id)
    kinds = {c.kind for c in result.tables[0].columns}
    assert "free_text" in kinds
    assert all(c.action == "redact" for c in result.tables[0].columns if c.kind == "free_text")


def test_large_csv_is_read_only_up_to_a_prefix(
    lib_platform: Platform, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(preview, "PREFIX_BYTES", 4096)
    path = tmp_path / "big.csv"
    path.write_text("id,amount\n" + "".join(f"{i},{i * 3}\n" for i in range(20_000)), encoding="utf-8")
    make_library(lib_platform, "big")
    upload_id = upload(lib_platform, "big", path)
    result = _preview(lib_platform, "big", upload_id)
    assert result.truncated and 0 < result.tables[0].rows_sampled < 20_000
    assert [c.type for c in result.tables[0].columns] == ["integer", "integer"]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("ragged.csv", b"a,b\n1,2\n3,4,5\n", "ragged.csv"),
        ("html.xlsx", b"<html><body><table></table></body></html>", "HTML"),
        ("blank.csv", b"  \n\n", "blank.csv"),
    ],
)
def test_bad_files_get_the_readers_message(
    lib_platform: Platform, tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    make_library(lib_platform, "bad")
    upload_id = upload(lib_platform, "bad", path)
    with pytest.raises(InvalidInput) as caught:
        _preview(lib_platform, "bad", upload_id)
    assert message in caught.value.message


def test_preview_is_for_the_producers_of_the_organisation(lib_platform: Platform, tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    make_library(lib_platform, "mine")
    make_library(lib_platform, "other")
    upload_id = upload(lib_platform, "mine", path)
    stranger = Actor(user_id="u-x", label="stranger")
    with pytest.raises(PermissionDenied):
        _preview(lib_platform, "mine", upload_id, actor=stranger)
    with pytest.raises(NotFound):
        _preview(lib_platform, "other", upload_id)  # the upload belongs to another library
    with pytest.raises(InvalidInput):
        _preview(lib_platform, "mine", upload_id, sample_rows=0)
    from qazai.libraries.uploads import purge_upload

    purge_upload(lib_platform.db, lib_platform.objects, upload_id)
    with pytest.raises(Conflict):
        _preview(lib_platform, "mine", upload_id)


def test_preview_explains_each_decision_with_its_evidence(lib_platform: Platform, tmp_path: Path) -> None:
    path = tmp_path / "register.csv"
    path.write_bytes(citizen_register_csv(300))
    make_library(lib_platform, "explained", legal_basis=LegalBasis.depersonalised)
    upload_id = upload(lib_platform, "explained", path)
    [table] = _preview(lib_platform, "explained", upload_id).tables
    assert table.aggregate is False
    columns = {c.source: c for c in table.columns}
    evidence = columns["ИИН"].evidence
    assert evidence is not None and evidence.rule == "identifier_cells" and evidence.cells == 300
    [iin] = [f for f in evidence.findings if f.entity == "IIN"]
    assert iin.validated and iin.share == 1.0 and iin.cells == 300
    assert all(c.override_reason is None for c in table.columns)
    income = columns["Доход"].evidence
    assert income is not None and income.findings == [] and columns["Доход"].action == "keep"


def test_a_table_of_statistics_is_kept_whole_and_says_so(lib_platform: Platform, real_data: Path) -> None:
    make_library(lib_platform, "population")
    upload_id = upload(lib_platform, "population", real_data / "stat-population-by-region.xlsx")
    table = _preview(lib_platform, "population", upload_id).tables[0]
    assert table.aggregate is True
    assert {c.action for c in table.columns} == {"keep"}
    rules = {c.name: c.evidence.rule for c in table.columns if c.evidence is not None}
    assert rules["Regions_KZ"] == "aggregate_table" and rules["2021"] == "no_evidence"


def test_an_override_to_keep_needs_a_reason_and_shows_it(lib_platform: Platform, tmp_path: Path) -> None:
    path = tmp_path / "register.csv"
    path.write_bytes(citizen_register_csv(300))
    make_library(lib_platform, "kept", tier=AccessTier.registered, legal_basis=LegalBasis.depersonalised)
    upload_id = upload(lib_platform, "kept", path)
    with pytest.raises(InvalidInput) as caught:
        _preview(lib_platform, "kept", upload_id, policy_data={"columns": {"Регион": {"action": "keep"}}})
    assert caught.value.code == "override_needs_reason"
    result = _preview(
        lib_platform,
        "kept",
        upload_id,
        policy_data={"columns": {"Регион": {"action": "keep", "reason": "Oblast names are public"}}},
    )
    columns = {c.name: c for c in result.tables[0].columns}
    region = columns["Регион"]
    assert region.action == "keep" and region.default_action == "generalise"
    assert region.override_reason == "Oblast names are public"
    assert all(c.override_reason is None for n, c in columns.items() if n != "Регион")


def test_an_iin_kept_by_override_in_the_open_tier_is_not_shown(
    lib_platform: Platform, tmp_path: Path
) -> None:
    path = tmp_path / "register.csv"
    path.write_bytes(citizen_register_csv(300))
    make_library(lib_platform, "open-kept", legal_basis=LegalBasis.depersonalised)
    upload_id = upload(lib_platform, "open-kept", path)
    keep = {"action": "keep", "reason": "needed for linkage"}
    result = _preview(
        lib_platform, "open-kept", upload_id, policy_data={"columns": {"ИИН": keep, "Регион": keep}}
    )
    [table] = result.tables
    columns = {c.name: c for c in table.columns}
    iin, region = columns["ИИН"], columns["Регион"]
    assert (
        iin.action == "keep" and iin.default_action == "drop" and iin.override_reason == "needed for linkage"
    )
    assert iin.sample_withheld and iin.examples == [] and "ИИН" in table.sample_columns
    document = json.dumps(result.model_dump(mode="json"), ensure_ascii=False)
    assert not re.search(r"\b\d{12}\b", document)
    # an override of a column without personal findings shows its values
    assert not region.sample_withheld and region.examples and region.override_reason == "needed for linkage"
