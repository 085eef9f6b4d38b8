"""The compute pages: a member's projects, one project (members, inputs, right to run, jobs, the
form that submits a script) and one job (its state and its log, live while it runs)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData, UploadFile

from qazai.compute import jobs, policy, projects
from qazai.compute.models import InputAdd, JobCancel, JobLimits, JobSubmit, MemberAdd, ProjectCreate
from qazai.core.errors import AppError, InvalidInput
from qazai.identity.actor import Actor
from qazai.web.context import Web, WebContext
from qazai.web.forms import form_failure, optional, text
from qazai.web.labels import N_
from qazai.web.templating import NAV, redirect, render

router = APIRouter()
LOG_TAIL_BYTES = 64 * 1024

NAV.append(("/projects", N_("Compute"), lambda ctx: ctx.signed_in))

# The labels of job and project states on the pages.
STATE_LABELS: dict[str, str] = {
    "queued": N_("Queued"),
    "running": N_("Running"),
    "succeeded": N_("Succeeded"),
    "failed": N_("Failed"),
    "cancelled": N_("Cancelled"),
    "timed_out": N_("Stopped at its time limit"),
    "awaiting_review": N_("Outputs awaiting review"),
    "reviewed": N_("Outputs reviewed"),
    "active": N_("Active"),
    "closed": N_("Closed"),
    "lead": N_("Lead"),
    "member": N_("Member"),
}


def slabel(value: object) -> str:
    key = getattr(value, "value", value)
    return STATE_LABELS.get(str(key), str(key))


def _runtime(ctx: WebContext) -> jobs.ComputeRuntime:
    from qazai.api.wiring import compute_runtime_of

    return compute_runtime_of(ctx.platform)


@router.get("/projects", response_class=HTMLResponse)
def project_list(ctx: Web) -> HTMLResponse:
    actor = ctx.require_user()
    return render(
        ctx, "compute/projects.html", projects=projects.list_projects(ctx.uow, actor), slabel=slabel
    )


@router.post("/projects", response_model=None)
async def project_create(ctx: Web) -> Response:
    actor = ctx.require_user()
    form = await ctx.form()
    try:
        created = projects.create_project(
            ctx.uow,
            actor,
            ProjectCreate(
                slug=text(form, "slug"),
                organisation=text(form, "organisation"),
                title=text(form, "title"),
                purpose=text(form, "purpose"),
                legal_basis=text(form, "legal_basis"),
                pilot_id=optional(form, "pilot_id"),
            ),
        )
    except (ValidationError, AppError) as exc:
        ctx.uow.rollback()
        status, message = form_failure(ctx, exc)
        return render(
            ctx,
            "compute/projects.html",
            status_code=status,
            projects=projects.list_projects(ctx.uow, actor),
            slabel=slabel,
            form_error=message,
            values=dict(form),
        )
    return redirect(ctx, f"/projects/{created.slug}")


def _project_page(
    ctx: WebContext,
    key: str,
    status_code: int = 200,
    form_error: str | None = None,
    manage_error: str | None = None,
) -> HTMLResponse:
    actor = ctx.require_user()
    project = projects.get_project(ctx.uow, actor, key)
    listed = jobs.list_jobs(ctx.uow, actor, project.id, limit=50).items
    membership = projects.membership_of(ctx.uow.session, project.id, actor)
    return render(
        ctx,
        "compute/project.html",
        status_code=status_code,
        project=project,
        jobs=listed,
        slabel=slabel,
        form_error=form_error,
        manage_error=manage_error,
        may_manage=policy.can_manage_project(actor, project.organisation_id, membership),
    )


@router.post("/projects/{key}/members", response_model=None)
async def add_member(key: str, ctx: Web) -> Response:
    actor = ctx.require_user()
    form = await ctx.form()
    try:
        projects.add_member(ctx.uow, actor, key, MemberAdd(user=text(form, "user")))
    except (ValidationError, AppError) as exc:
        ctx.uow.rollback()
        status, message = form_failure(ctx, exc)
        return _project_page(ctx, key, status, manage_error=message)
    return redirect(ctx, f"/projects/{key}")


@router.post("/projects/{key}/inputs", response_model=None)
async def add_input(key: str, ctx: Web) -> Response:
    actor = ctx.require_user()
    form = await ctx.form()
    try:
        projects.add_input(ctx.uow, actor, key, InputAdd(input=text(form, "input")))
    except (ValidationError, AppError) as exc:
        ctx.uow.rollback()
        status, message = form_failure(ctx, exc)
        return _project_page(ctx, key, status, manage_error=message)
    return redirect(ctx, f"/projects/{key}")


@router.get("/projects/{key}", response_class=HTMLResponse)
def project_page(key: str, ctx: Web) -> HTMLResponse:
    return _project_page(ctx, key)


@router.post("/projects/{key}/jobs", response_model=None)
async def submit(key: str, ctx: Web) -> Response:
    actor = ctx.require_user()
    form = await ctx.form()
    upload = form.get("script")
    try:
        job_id = await _submit_upload(ctx, actor, key, form, upload)
    except (ValidationError, AppError) as exc:
        ctx.uow.rollback()
        status, message = form_failure(ctx, exc)
        return _project_page(ctx, key, status, message)
    finally:
        await form.close()  # the spooled temporary file of the upload
    return redirect(ctx, f"/jobs/{job_id}")


async def _submit_upload(ctx: WebContext, actor: Actor, key: str, form: FormData, upload: object) -> str:
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise InvalidInput("choose the script file to run", code="script_missing")
    runtime = _runtime(ctx)
    data = await upload.read(runtime.settings.compute_script_max_bytes + 1)
    job = jobs.submit_job(
        ctx.uow,
        actor,
        runtime,
        JobSubmit(
            project=key,
            inputs=[str(v) for v in form.getlist("inputs") if isinstance(v, str) and v],
            script_name=upload.filename.rsplit("/", 1)[-1],
            limits=JobLimits(),
        ),
        data,
    )
    return job.id


@router.get("/jobs/{job_id}", response_class=HTMLResponse)
def job_page(job_id: str, ctx: Web) -> HTMLResponse:
    actor = ctx.require_user()
    job = jobs.get_job(ctx.uow, actor, job_id)
    runtime = _runtime(ctx)
    if not job.final:
        with ctx.platform.db.uow() as writer:
            jobs.refresh_job(writer, runtime, job_id)
        ctx.uow.session.expire_all()
        job = jobs.get_job(ctx.uow, actor, job_id)
    log = jobs.job_logs(ctx.uow, actor, runtime, job_id, 0, 1024 * 1024)
    shown = log.text[-LOG_TAIL_BYTES:]
    return render(
        ctx,
        "compute/job.html",
        job=job,
        log=shown,
        log_cut=len(log.text) > len(shown),
        slabel=slabel,
    )


@router.post("/jobs/{job_id}/cancel", response_model=None)
async def cancel(job_id: str, ctx: Web) -> Response:
    actor = ctx.require_user()
    form = await ctx.form()
    jobs.cancel_job(ctx.uow, actor, _runtime(ctx), job_id, JobCancel(reason=optional(form, "reason")))
    return redirect(ctx, f"/jobs/{job_id}")
