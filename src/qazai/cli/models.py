"""`qazai models push|show|pull`: ready-made models from the command line (thin over the services).

Works directly on the local platform, as the platform itself (the audit trail records the
operating-system user), like the other commands.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from qazai.cli.context import cli_actor, console, open_platform
from qazai.cli.errors import CliGroup
from qazai.core.enums import AccessTier
from qazai.core.errors import Conflict, InvalidInput, NotFound

# The models and libraries services (SQLAlchemy, the tables) and rich are imported when a command
# runs, so that `qazai models --help` stays fast (tests/cli/test_startup.py).
if TYPE_CHECKING:
    from qazai.models.models import ModelRepoCreate

models = typer.Typer(
    cls=CliGroup, help="Ready-made models: push a folder with its card, show, pull.", no_args_is_help=True
)


def _size(n: int) -> str:
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"


def _files_of(folder: Path, card: Path) -> list[tuple[str, Path]]:
    """Every file under ``folder`` as (path in the repo, local path), without the card (and its
    language siblings) and without dot files and folders (`.git`, `.cache`)."""
    skip = {card.resolve()} | {
        card.with_name(f"{card.stem}.{lang}{card.suffix}").resolve() for lang in ("kk", "ru", "en")
    }
    out = []
    for local in sorted(folder.rglob("*")):
        relative = local.relative_to(folder)
        if not local.is_file() or local.resolve() in skip or any(p.startswith(".") for p in relative.parts):
            continue
        out.append((relative.as_posix(), local))
    return out


def _repo_command(
    repo: str, tier: AccessTier, meta: dict[str, Any], flags: dict[str, Any]
) -> ModelRepoCreate:
    from qazai.core.text import LocalizedText
    from qazai.models import reads
    from qazai.models.models import ModelRepoCreate

    org, name = reads.parse_repo_id(repo)
    languages = flags.get("languages") or meta.get("language") or []
    if isinstance(languages, str):
        languages = [languages]
    title = flags.get("title") or meta.get("title")
    return ModelRepoCreate(
        organisation=org,
        name=name,
        tier=tier,
        licence=flags.get("licence") or meta.get("license") or meta.get("licence") or "",
        task=flags.get("task") or meta.get("pipeline_tag") or meta.get("task") or "",
        languages=list(languages),
        title=LocalizedText.model_validate(title if isinstance(title, dict) else {"en": title})
        if title
        else None,
        tags=[str(t) for t in meta.get("tags", [])],
    )


@models.command("push")
def push(
    folder: Annotated[Path, typer.Argument(help="the model folder (every file in it is pushed)")],
    repo: Annotated[str, typer.Option("--repo", help="`organisation/name`; created if missing")],
    card_file: Annotated[Path, typer.Option("--card", help="card.md: YAML front matter + Markdown")],
    tier: Annotated[AccessTier, typer.Option(help="access tier when the repo is created")] = AccessTier.open,
    tag: Annotated[str | None, typer.Option(help="human tag of the version (default v<number>)")] = None,
    licence: Annotated[str | None, typer.Option(help="SPDX id (else the card's `license`)")] = None,
    task: Annotated[str | None, typer.Option(help="task (else the card's `pipeline_tag`)")] = None,
    language: Annotated[list[str] | None, typer.Option("--language", help="a language code; repeat")] = None,
    wait: Annotated[bool, typer.Option(help="run the push job here and wait for it")] = True,
) -> None:
    """Push a folder as a new immutable version of a model repository: uploads the files, then
    the push job stores, hashes and scans them (shown as progress) and prints the version, or
    what it was refused for.

    Example: qazai models push ./kk-ner --repo stat-gov/kk-ner --tier open --card card.md
    """
    from qazai.cli.libraries import _wait as wait_for_job
    from qazai.models import cards, reads, service
    from qazai.models.models import VersionPush

    if not folder.is_dir():
        raise InvalidInput(f"{folder} is not a folder", code="not_a_folder")
    card, meta = cards.parse_card_file(card_file)
    files = _files_of(folder, card_file)
    if not files:
        raise InvalidInput(f"{folder} holds no files to push", code="no_files")
    actor = cli_actor()
    with open_platform() as platform:
        with platform.db.uow() as uow:
            try:
                existing = reads.get_model_repo(uow, actor, repo)
                if existing.tier != tier:
                    console(stderr=True).print(
                        f"{repo} exists and is {existing.tier.value}: --tier {tier.value} is ignored"
                    )
            except NotFound:
                command = _repo_command(
                    repo, tier, meta, {"licence": licence, "task": task, "languages": language}
                )
                service.create_model_repo(uow, actor, command)
                console(stderr=True).print(f"created {repo} ({tier.value})")
        sources = service.upload_model_files(
            platform.db,
            platform.objects,
            actor,
            repo,
            files,
            max_bytes=platform.settings.upload_max_bytes,
            retention_days=platform.settings.raw_retention_days,
        )
        accepted = service.start_model_push(
            platform.db, actor, repo, VersionPush(tag=tag, card=card, files=sources)
        )
        if not wait:
            typer.echo(f"push {accepted.push_id} processing (job {accepted.job_id})")
            return
        assert accepted.job_id is not None
        wait_for_job(platform, accepted.job_id, f"{repo} ← {folder.name}")
        with platform.db.uow(read_only=True) as uow:
            outcome = service.get_model_push(uow, actor, repo, accepted.push_id)
    if outcome.version is None:
        error = outcome.error or {}
        for finding in (error.get("details") or {}).get("findings") or []:
            console(stderr=True).print(f"  {finding.get('code')}: {finding.get('message')}")
        code = str(error.get("code") or "push_refused")
        raise Conflict(f"refused: {error.get('message') or outcome.state.value}", code=code)
    version = outcome.version
    typer.echo(
        f"{repo}@{version.tag} {version.revision} ({len(version.files)} files, {_size(version.total_size)})"
    )


@models.command("list")
def list_models(
    query: Annotated[str | None, typer.Argument(help="words to search (kk/ru/en, Cyrillic or Latin)")] = None,
    task: Annotated[str | None, typer.Option(help="only this task")] = None,
    language: Annotated[str | None, typer.Option(help="only models in this language")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """List model repositories, newest first.

    Example: qazai models list аударма --language kk
    """
    from rich.table import Table

    from qazai.models import reads
    from qazai.models.models import ModelSearch

    actor = cli_actor()
    items = []
    with open_platform() as platform, platform.db.uow(read_only=True) as uow:
        cursor: str | None = None
        while True:
            page = reads.list_model_repos(
                uow, actor, ModelSearch(q=query, task=task, language=language, limit=500, cursor=cursor)
            )
            items.extend(page.items)
            if not page.next:
                break
            cursor = page.next
    if as_json:
        typer.echo(json.dumps([i.model_dump(mode="json") for i in items], ensure_ascii=False))
        return
    table = Table("repo", "task", "licence", "tier", "languages", "latest")
    for i in items:
        table.add_row(i.repo_id, i.task, i.licence, i.tier.value, ",".join(i.languages), i.latest_tag or "—")
    console(width=160).print(table)


@models.command("show")
def show(
    repo: Annotated[str, typer.Argument(help="`organisation/name`")],
    revision: Annotated[str, typer.Option(help="main, a tag or a revision id")] = "main",
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Show a model version: card fields, files with sizes, formats and tensors, lineage, flags.

    Example: qazai models show stat-gov/kk-ner --revision v1
    """
    from rich.table import Table

    from qazai.models import reads

    actor = cli_actor()
    with open_platform() as platform, platform.db.uow(read_only=True) as uow:
        info = reads.get_model_repo(uow, actor, repo)
        version = reads.resolve_revision(uow, actor, repo, revision)
    if as_json:
        body = {"repo": info.model_dump(mode="json"), "version": version.model_dump(mode="json")}
        typer.echo(json.dumps(body, ensure_ascii=False))
        return
    typer.echo(f"{info.repo_id}@{version.tag} {version.revision} [{version.status.value}]")
    typer.echo(
        f"tier {info.tier.value} · licence {info.licence} · task {info.task} · {', '.join(info.languages)}"
    )
    risk = version.card.risk_class.value if version.card.risk_class else "?"
    typer.echo(f"risk class of the systems it may serve: {risk}")
    table = Table("file", "size", "format", "tensors", "sha256")
    for f in version.files:
        tensors = ""
        if f.tensors:
            dtypes = ",".join(f.tensors.get("dtypes", {}) or {})
            tensors = f"{f.tensors.get('count')} ({f.tensors.get('parameters', '?')} params {dtypes})".strip()
        fmt = f.format.value + (" (preferred)" if f.preferred else "") + (" ⚠" if f.scan else "")
        table.add_row(f.path, _size(f.size), fmt, tensors, f.sha256[:16])
    console(width=160).print(table)
    for link in version.trained_on:
        typer.echo(f"trained on {link.library_slug}@{link.number} ({link.status}, {link.source})")
    for reason in version.flag_reasons:
        typer.echo(f"FLAGGED: {reason}")


@models.command("pull")
def pull(
    repo: Annotated[str, typer.Argument(help="`organisation/name`")],
    dest: Annotated[Path, typer.Option("--dest", "-d", help="folder to write the files into")] = Path("."),
    revision: Annotated[str, typer.Option(help="main, a tag or a revision id")] = "main",
) -> None:
    """Download a version's files (each checked against its sha256) into a folder.

    Example: qazai models pull stat-gov/kk-ner --revision v1 --dest ./kk-ner
    """
    from qazai.models import reads

    actor = cli_actor()
    with open_platform() as platform:
        with platform.db.uow(read_only=True) as uow:
            version = reads.resolve_revision(uow, actor, repo, revision)
            served = [
                reads.resolve_model_file(uow, actor, repo, version.revision, f.path) for f in version.files
            ]
        for item in served:
            target = dest / item.path
            target.parent.mkdir(parents=True, exist_ok=True)
            digest = hashlib.sha256()
            partial = target.with_name(f".{target.name}.part")
            with partial.open("wb") as out:
                for chunk in platform.objects.open(item.key):
                    digest.update(chunk)
                    out.write(chunk)
            if digest.hexdigest() != item.sha256:
                partial.unlink()
                raise InvalidInput(
                    f"{item.path}: the stored bytes do not match their sha256", code="checksum_mismatch"
                )
            partial.replace(target)
    typer.echo(f"{repo}@{version.tag} {version.revision}: {len(served)} files into {dest}")


def register(app: typer.Typer) -> None:
    """Add the `models` group to the `qazai` command."""
    models.info.cls = CliGroup
    app.add_typer(models, name="models")
