"""The values the CLI coerces without pydantic (cli/main.py `_without_pydantic`) are exactly what
typer's own adapters make of them; anything else goes through typer, errors included."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import click
import pytest
import typer
from typer.main import get_command

from qazai.cli import main as cli_main


class Colour(StrEnum):
    red = "red"
    dark_blue = "dark-blue"


def _command() -> click.Command:
    app = typer.Typer()

    @app.command()
    def run(
        text: str,
        name: Annotated[str, typer.Option()] = "x",
        count: Annotated[int, typer.Option(min=1, max=10)] = 5,
        plain: int = 3,
        colour: Colour = Colour.red,
        shout: Annotated[str, typer.Option(parser=str.upper)] = "a",
        where: Annotated[Path, typer.Option()] = Path("x"),
        existing: Annotated[Path, typer.Option(exists=True, dir_okay=False, readable=True)] = Path("x"),
        folder: Annotated[Path, typer.Option(exists=True, file_okay=False)] = Path("x"),
        resolved: Annotated[Path, typer.Option(resolve_path=True)] = Path("x"),
        dash: Annotated[Path, typer.Option(allow_dash=True)] = Path("x"),
    ) -> None:
        pass

    return get_command(app)


CASES: list[tuple[str, Any]] = [
    ("text", 'SELECT 1 FROM "t"'),
    ("text", ""),
    ("text", "ақ ниет"),
    ("name", "x"),
    ("count", 5),
    ("count", 1),
    ("count", 10),
    ("plain", 3),
    ("plain", -7),
    ("count", "5"),
    ("count", "10"),
    ("count", "0001"),
    ("plain", "3"),
    ("plain", "0"),
    ("colour", "red"),
    ("colour", "dark-blue"),
    ("colour", Colour.dark_blue),
    ("where", "some/relative/path.csv"),
    ("where", "деректер/файл.csv"),
    ("where", "/no/such/file"),
    ("existing", __file__),
    ("folder", str(Path(__file__).parent)),
    ("resolved", "a/../b/./c"),
    ("dash", "data.csv"),
]


@pytest.mark.parametrize(("name", "value"), CASES)
def test_same_value_as_typer(name: str, value: Any) -> None:
    command = _command()
    param = next(p for p in command.params if p.name == name)
    ctx = click.Context(command)
    fast = cli_main._without_pydantic(param, ctx, value)
    assert fast is not cli_main._UNCHANGED
    typed = param.get_runtime_param().coerce(value, param=param, ctx=ctx)  # type: ignore[attr-defined]
    assert fast == typed and type(fast) is type(typed)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("count", 0),
        ("count", 11),
        ("count", "11"),
        ("count", "0"),
        ("plain", "-3"),
        ("plain", "+3"),
        ("plain", " 3"),
        ("plain", "3_000"),
        ("plain", "٣"),  # an Arabic-Indic digit: str.isdigit says yes
        ("plain", "3.0"),
        ("plain", "x"),
        ("colour", "purple"),
        ("shout", "a"),
        ("existing", "/no/such/file"),  # typer's "does not exist", in its words
        ("existing", str(Path(__file__).parent)),  # a folder
        ("folder", __file__),  # a file
        ("dash", "-"),  # standard input
        ("where", ""),
    ],
)
def test_other_values_go_through_typer(name: str, value: Any) -> None:
    command = _command()
    param = next(p for p in command.params if p.name == name)
    assert cli_main._without_pydantic(param, click.Context(command), value) is cli_main._UNCHANGED
