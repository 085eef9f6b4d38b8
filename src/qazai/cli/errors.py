"""Errors in the CLI: one line on stderr and a non-zero exit, never a traceback."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import typer
from typer.core import TyperGroup

from qazai.core.errors import AppError

if TYPE_CHECKING:
    from pydantic import ValidationError

log = logging.getLogger("qazai.cli")


def describe_validation_error(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first.get("loc", ()))
    message = str(first.get("msg", "invalid value")).removeprefix("Value error, ")
    return f"{where}: {message}" if where else message


class CliGroup(TyperGroup):
    """Turns the platform's errors into one line and exit code 1 (2 for usage errors, as click does)."""

    def invoke(self, ctx: Any) -> Any:  # typer's vendored click Context
        try:
            return super().invoke(ctx)
        except AppError as exc:
            typer.echo(f"error: {exc.message}", err=True)
            raise typer.Exit(1) from None
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise
        except Exception as exc:
            from pydantic import ValidationError  # not at start-up: most commands never need it

            if isinstance(exc, ValidationError):
                typer.echo(f"error: {describe_validation_error(exc)}", err=True)
                raise typer.Exit(1) from None
            log.debug("unexpected error", exc_info=True)
            typer.echo(f"error: unexpected {type(exc).__name__}: {exc}", err=True)
            raise typer.Exit(1) from None
