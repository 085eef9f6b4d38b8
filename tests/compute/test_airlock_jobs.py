"""The airlock behind a real job: an enclave library aggregated in the local sandbox, its table held
with its findings, released by two output checkers, the job reviewed, the safe version downloaded,
then published as an open library once the input's producer allows it."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from pydantic import ValidationError
from tests.compute import support
from tests.libraries.publishing import run_jobs

from qazai.api.platform import Platform
from qazai.compute import airlock, jobs
from qazai.compute.airlock_models import FileState, HeldFileFilter, ReviewCreate, Variant
from qazai.compute.airlock_publish import PublishReleased, allow_publication, publish_released_file
from qazai.compute.disclosure import FindingCode
from qazai.compute.executors.local import probe_sandbox
from qazai.compute.states import JobState
from qazai.core.enums import AccessTier, PlatformRole
from qazai.core.errors import Conflict, InvalidInput, PermissionDenied
from qazai.core.text import LocalizedText
from qazai.identity import service as identity
from qazai.identity.actor import SYSTEM
from qazai.identity.models import PlatformRoleGrant
from qazai.libraries import service as libraries
from qazai.libraries.models import GrantKind

pytestmark = [pytest.mark.skipif(not probe_sandbox().works, reason=probe_sandbox().reason), pytest.mark.slow]

# Four regions of about 100 people each, and a "rare" group of 4: one cell below the minimum.
SCRIPT = """
import glob, os
import polars as pl
frame = pl.read_parquet(sorted(glob.glob("inputs/population-enclave/1/*.parquet")))
group = pl.when(pl.col("people") < 104).then(pl.lit("rare")).otherwise(pl.col("region")).alias("group")
table = frame.with_columns(group).group_by("group").agg(pl.len().alias("n")).sort("group")
out = os.environ["QAZAI_OUTPUT_DIR"]
table.write_csv(os.path.join(out, "by_group.csv"))
open(os.path.join(out, "chart.svg"), "w").write("<svg xmlns='http://www.w3.org/2000/svg'/>")
"""


def test_a_jobs_table_is_held_checked_released_and_the_job_reviewed(
    platform: Platform, people: dict[str, Any], tmp_path: Path, client: Any
) -> None:
    support.published(platform, tmp_path, "population-enclave", AccessTier.enclave)
    member = support.actor(platform, people["member"].user_id)
    support.granted(platform, member, "population-enclave", GrantKind.compute_only)
    support.project(platform, member)
    support.add_input(platform, member, "regions", "population-enclave@1")
    for name in ("operator", "regulator"):
        with platform.db.uow() as uow:
            identity.grant_platform_role(
                uow, SYSTEM, people[name].user_id, PlatformRoleGrant(role=PlatformRole.output_checker)
            )
    checkers = [support.actor(platform, people[name].user_id) for name in ("operator", "regulator")]

    job = support.submit(platform, member, SCRIPT, inputs=["population-enclave@1"])
    ended = support.follow(platform, job.id)
    assert ended.state == JobState.awaiting_review, ended.message

    with platform.db.uow(read_only=True) as uow:
        held = {f.name: f for f in airlock.list_held_files(uow, member, HeldFileFilter(job_id=job.id)).items}
    table, chart = held["by_group.csv"], held["chart.svg"]
    assert [(f.code, f.row) for f in table.findings] == [
        (FindingCode.threshold, 4)
    ]  # "rare" (sorted last): 4 people
    assert chart.needs_justification and chart.state is FileState.pending
    with platform.db.uow(read_only=True) as uow, pytest.raises(PermissionDenied):
        airlock.resolve_held_file(uow, member, table.id, Variant.original)

    for checker in checkers:
        with platform.db.uow() as uow:
            airlock.review_held_file(uow, checker, table.id, ReviewCreate(decision="approve", variant="safe"))
    with platform.db.uow() as uow:
        airlock.review_held_file(
            uow,
            checkers[0],
            chart.id,
            ReviewCreate(decision="reject", justification="an empty chart, nothing to show"),
        )

    with platform.db.uow(read_only=True) as uow:
        assert jobs.get_job(uow, member, job.id).state == JobState.reviewed
        served = airlock.resolve_held_file(uow, member, table.id, Variant.safe)
    safe = pl.read_csv(io.BytesIO(b"".join(platform.objects.open(served.key))))
    assert safe.filter(pl.col("group") == "rare")["n"].to_list() == [None]
    assert safe.filter(pl.col("group") != "rare")["n"].min() >= 10  # type: ignore[operator]

    # published as an open library once the input's producer allows it
    producer = support.actor(platform, people["producer"].user_id)
    outsider = support.actor(platform, people["outsider"].user_id)
    request = PublishReleased(
        slug="population-by-group",
        title=LocalizedText(en="Population by group", ru="Население по группам"),
        description=LocalizedText(en="Released from a compute job after output checking"),
        contact_email="data@stat.gov.kz",
    )
    limits = {"max_bytes": platform.settings.upload_max_bytes, "retention_days": 30}
    with pytest.raises(PermissionDenied) as refused:  # not a member of the project
        publish_released_file(platform.db, platform.objects, producer, table.id, request, **limits)
    assert refused.value.code == "not_project_producer"
    support.add_member(platform, member, "regions", people["producer"].email)
    producer = support.actor(platform, people["producer"].user_id)
    with pytest.raises(Conflict) as waiting:
        publish_released_file(platform.db, platform.objects, producer, table.id, request, **limits)
    assert waiting.value.code == "publication_not_allowed"
    assert waiting.value.details == {"libraries": ["population-enclave"]}
    with platform.db.uow() as uow, pytest.raises(PermissionDenied):
        allow_publication(uow, outsider, table.id)
    refused_http = client.post(
        f"/api/v1/airlock/files/{table.id}/publication/consents", headers=people["outsider"].headers
    )
    assert refused_http.status_code == 403 and refused_http.json()["error"]["code"] == "not_input_producer"
    with platform.db.uow() as uow, pytest.raises(Conflict):
        allow_publication(uow, producer, chart.id)  # refused, and not a table
    # the producer allows it in the portal; the publish form then appears
    login = {"email": people["producer"].email, "password": "correct horse battery"}
    csrf = client.post("/api/v1/sessions", json=login).json()["csrf_token"]
    publish_form = f'action="/airlock/{table.id}/publish"'
    page = client.get(f"/airlock/{table.id}").text
    assert f'action="/airlock/{table.id}/allow-publication"' in page and publish_form not in page
    done = client.post(
        f"/airlock/{table.id}/allow-publication", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert done.status_code == 303
    assert publish_form in client.get(f"/airlock/{table.id}").text
    allowed = client.get(f"/api/v1/airlock/files/{table.id}/publication", headers=people["producer"].headers)
    assert allowed.status_code == 200 and allowed.json()["publishable"] is True
    assert allowed.json()["inputs"] == [
        {"library": "population-enclave", "organisation_id": people["producer"].org_id,
         "organisation_slug": "stat-gov", "allowed": True}
    ]  # fmt: skip
    with pytest.raises(ValidationError):
        PublishReleased(
            slug="Not A Slug", title=request.title, description=request.title, contact_email="a@b.kz"
        )
    bad = request.model_copy(update={"licence": "whatever I like"})
    with pytest.raises(InvalidInput):
        publish_released_file(platform.db, platform.objects, producer, table.id, bad, **limits)
    started = publish_released_file(platform.db, platform.objects, producer, table.id, request, **limits)
    (done,) = [j for j in run_jobs(platform) if j.id == started.job_id]
    assert done.state.value == "succeeded", done.error
    with platform.db.uow(read_only=True) as uow:
        library = libraries.get_library(uow, SYSTEM, "population-by-group")
    assert library.tier == AccessTier.open and library.latest_version == 1
