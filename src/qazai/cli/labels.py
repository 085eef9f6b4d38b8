"""`qazai label`, `qazai verify` and `qazai labels ...`: labelling from the command line (thin over
``qazai.labels``). The CLI works on the database directly, as the platform itself."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from qazai.cli.context import cli_actor, console, open_platform
from qazai.cli.errors import CliGroup
from qazai.core.enums import Language
from qazai.core.errors import InvalidInput

# The labelling service (SQLAlchemy, the tables, cryptography, the media libraries) and rich are
# imported when a command runs, so that `qazai labels --help` stays fast (tests/cli/test_startup.py).
if TYPE_CHECKING:
    from qazai.labels.models import Verification

labels = typer.Typer(
    cls=CliGroup, help="The labelling CA: rotate the root, re-encrypt keys, revoke.", no_args_is_help=True
)


def _is_text(data: bytes) -> bool:
    from qazai.labels import media

    if media.sniff_media_type(data[:16]) is not None:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _print_verification(result: Verification, lang: Language) -> None:
    out = console()
    out.print(f"[bold]{result.verdict.value}[/]: {result.summary.get(lang)}")
    if result.label is not None:
        label = result.label
        out.print(f"  system: {label.system_name.get(lang)} ({label.system_id})")
        out.print(f"  organisation: {label.organisation.get(lang)}")
        out.print(f"  labelled: {label.created_at:%Y-%m-%d %H:%M} UTC, id {label.id}")
        out.print(f"  notice: {label.notice.get(lang)}")
        out.print(f"  register: {label.register_url}")
    if result.distance is not None:
        out.print(f"  perceptual hash distance: {result.distance} bits")
    for finding in [*result.reasons, *result.notes]:
        out.print(f"  - {finding.message.get(lang)}")


def register(app: typer.Typer) -> None:
    """Add `label`, `verify` and the `labels` group to the `qazai` command."""

    @app.command("label")
    def label(
        file: Annotated[
            Path,
            typer.Argument(
                exists=True, dir_okay=False, help="a picture, PDF, audio, video or UTF-8 text file"
            ),
        ],
        system: Annotated[str, typer.Option("--system", help="id of the AI system that made it")],
        language: Annotated[Language, typer.Option(help="language of the notice")] = Language.kk,
        visible_notice: Annotated[
            bool, typer.Option("--visible-notice", help="stamp the notice into a picture")
        ] = False,
        sidecar: Annotated[
            bool, typer.Option("--sidecar", help="leave the file; write FILE.c2pa next to it")
        ] = False,
        mark: Annotated[bool, typer.Option("--mark", help="text: embed the signed record invisibly")] = False,
        output: Annotated[
            Path | None, typer.Option("--output", "-o", help="where to write the result")
        ] = None,
    ) -> None:
        """Label a file made by an AI system: C2PA manifest for media, signed record and notice for text.

        Example: qazai label portrait.png --system 01JABC... --visible-notice --language ru
        """
        from qazai.labels import service
        from qazai.labels.models import MediaLabelCreate, TextLabelCreate

        data = file.read_bytes()
        with open_platform() as platform, platform.db.uow() as uow:
            config = service.LabelConfig.from_settings(platform.settings)
            if _is_text(data):
                text_result = service.label_text(
                    uow,
                    cli_actor(),
                    config,
                    TextLabelCreate(
                        system_id=system,
                        text=data.decode("utf-8"),
                        language=language,
                        visible_notice=True,
                        invisible_mark=mark,
                    ),
                )
                target = output or file.with_name(f"{file.stem}.labelled{file.suffix or '.txt'}")
                target.write_text(text_result.text, encoding="utf-8")
                label_id = text_result.label.id
            else:
                result = service.label_media(
                    uow,
                    cli_actor(),
                    config,
                    MediaLabelCreate(
                        system_id=system,
                        language=language,
                        visible_notice=visible_notice,
                        sidecar=sidecar,
                        filename=file.name,
                    ),
                    data,
                )
                if result.sidecar is not None:
                    target = output or file.with_name(f"{file.name}.c2pa")
                    target.write_bytes(result.sidecar)
                else:
                    target = output or file.with_name(result.filename)
                    target.write_bytes(result.data)
                label_id = result.label.id
        console().print(f"labelled {file} -> {target} (label {label_id})")

    @app.command("verify")
    def verify_command(
        file: Annotated[
            Path, typer.Argument(exists=True, dir_okay=False, help="the file or UTF-8 text to check")
        ],
        manifest: Annotated[Path | None, typer.Option("--manifest", help="its .c2pa sidecar")] = None,
        lang: Annotated[Language, typer.Option("--lang", help="language of the answer")] = Language.en,
        as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    ) -> None:
        """Check a file or a text for a label (nothing named inside the file is fetched).

        Example: qazai verify received.jpg --lang kk
        """
        from qazai.labels import service, verify

        data = file.read_bytes()
        sidecar = manifest.read_bytes() if manifest is not None else None
        with open_platform() as platform, platform.db.uow() as uow:
            config = service.LabelConfig.from_settings(platform.settings)
            if _is_text(data):
                if sidecar is not None:
                    raise InvalidInput("a text has no .c2pa sidecar; give the text alone")
                result = verify.verify_text(uow, config, data.decode("utf-8"))
            else:
                result = verify.verify_media(uow, config, data, sidecar)
        if as_json:
            typer.echo(json.dumps(result.model_dump(mode="json"), ensure_ascii=False))
            return
        _print_verification(result, lang)

    @labels.command("rotate-root")
    def rotate_root() -> None:
        """Retire the active root (it stays trusted for earlier labels) and make a new one."""
        from qazai.labels import certificates, service

        with open_platform() as platform, platform.db.uow() as uow:
            fingerprint = certificates.rotate_root(
                uow, cli_actor(), service.LabelConfig.from_settings(platform.settings)
            )
        console().print(f"new labelling root, SHA-256 fingerprint {fingerprint}")

    @labels.command("rekey")
    def rekey(
        old_secret_env: Annotated[
            str,
            typer.Option(
                "--old-secret-env", help="environment variable holding the previous QAZAI_SECRET_KEY"
            ),
        ],
    ) -> None:
        """Re-encrypt every labelling key after QAZAI_SECRET_KEY changed (run with the new one set).

        Example: OLD_SECRET=... QAZAI_SECRET_KEY=<new> qazai labels rekey --old-secret-env OLD_SECRET
        """
        from qazai.labels import certificates

        old = os.environ.get(old_secret_env)
        if not old:
            raise InvalidInput(f"the environment variable {old_secret_env} is not set")
        with open_platform() as platform, platform.db.uow() as uow:
            count = certificates.rekey(uow, cli_actor(), old, platform.settings.secret_key.get_secret_value())
        console().print(f"re-encrypted {count} keys")

    @labels.command("revoke")
    def revoke(
        certificate_id: Annotated[str, typer.Argument(help="the certificate's id")],
        reason: Annotated[str, typer.Option("--reason", help="why (kept in the audit trail)")],
    ) -> None:
        """Revoke a signing certificate: its labels verify as untrusted from now on."""
        from qazai.labels import certificates
        from qazai.labels.models import CertificateRevoke

        with open_platform() as platform, platform.db.uow() as uow:
            read = certificates.revoke_certificate(
                uow, cli_actor(), certificate_id, CertificateRevoke(reason=reason)
            )
        console().print(f"revoked certificate {read.serial} of system {read.system_id}")

    app.add_typer(labels, name="labels")
