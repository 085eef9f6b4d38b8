"""Reading a job's output files for the disclosure checks, and writing their safe versions. Pure.

:func:`check_outputs` takes every file a job wrote and sorts them:

- tables (``.csv``, ``.tsv``, ``.parquet``, ``.xlsx``) are read, declared (sidecar or header
  convention) and checked by :func:`qazai.compute.disclosure.check_table`; a proposed safe version
  in the same format is written beside them;
- declarations (``<table>.sdc.json``) and the contributions files they name are *evidence*: used by
  the checks, never released;
- everything else (figures, model weights, text) is *other*: a reviewer justifies its release.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import Any

import polars as pl
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from qazai.compute.disclosure import (
    DisclosureSettings,
    Finding,
    FindingCode,
    Severity,
    TableCheck,
    TableDeclaration,
    TableKind,
    TableLayout,
    check_table,
    cross_differences,
    finding,
    infer_declaration,
)
from qazai.core.errors import InvalidInput
from qazai.core.textfiles import detect_delimiter, detect_encoding

TABLE_SUFFIXES = frozenset({".csv", ".tsv", ".parquet", ".xlsx"})
SIDECAR_SUFFIX = ".sdc.json"
MAX_SIDECAR_BYTES = 64 * 1024


class FileRole(StrEnum):
    table = "table"  # checked automatically; a safe version is proposed
    other = "other"  # figures, weights, text: a reviewer's written justification is needed
    evidence = "evidence"  # declarations and contributions: used by the checks, never released


class FileCheck(BaseModel):
    """The checks' verdict on one output file."""

    model_config = ConfigDict(frozen=True)

    name: str
    role: FileRole
    kind: TableKind | None = None
    layout: TableLayout | None = None
    findings: list[Finding] = Field(default_factory=list)
    cells: int = 0
    suppressed: int = 0
    secondary: int = 0
    safe_path: Path | None = None

    @property
    def original_is_safe(self) -> bool:
        """A checked table with nothing to hide and nothing that blocks it."""
        return self.role is FileRole.table and not any(
            f.severity in (Severity.suppress, Severity.secondary, Severity.blocking) for f in self.findings
        )

    @property
    def needs_justification(self) -> bool:
        """Released only with a reviewer's written justification (not checked, or not checkable)."""
        return self.role is FileRole.other or (self.role is FileRole.table and self.safe_path is None)


class TableUnreadable(Exception):
    """The file is not a readable table of its format (damaged, half written, wrong format)."""


def _format(name: str) -> str:
    return Path(name).suffix.lower().lstrip(".")


def read_table(path: Path, name: str) -> pl.DataFrame:
    """The table in ``path`` (the first sheet of a workbook); TableUnreadable when it is not one."""
    suffix = Path(name).suffix.lower()
    try:
        if suffix == ".parquet":
            return pl.read_parquet(path)
        if suffix == ".xlsx":
            return _read_xlsx(path)
        raw = path.read_bytes()
        encoding = detect_encoding(raw[:65536], None, name)
        text = raw.decode(encoding)
        separator = "\t" if suffix == ".tsv" else detect_delimiter(text[:65536])
        return pl.read_csv(io.BytesIO(text.encode("utf-8")), separator=separator, infer_schema_length=None)
    except (OSError, InvalidInput, UnicodeDecodeError, pl.exceptions.PolarsError, ValueError) as error:
        raise TableUnreadable(
            str(error).splitlines()[0][:300] if str(error) else type(error).__name__
        ) from error


def _read_xlsx(path: Path) -> pl.DataFrame:
    from python_calamine import CalamineWorkbook

    try:
        rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    except Exception as error:  # calamine raises several unrelated types for a damaged workbook
        raise TableUnreadable(str(error)[:300] or type(error).__name__) from error
    if not rows:
        raise TableUnreadable("the first sheet is empty")
    header = [str(h).strip() for h in rows[0]]
    if len(set(header)) != len(header) or any(not h for h in header):
        raise TableUnreadable("the first row must name every column once")
    columns: dict[str, list[Any]] = {h: [] for h in header}
    for row in rows[1:]:
        for h, value in zip(header, [*row, *[""] * (len(header) - len(row))], strict=False):
            columns[h].append(None if value == "" else value)
    series = []
    for h, values in columns.items():
        s = pl.Series(h, values, strict=False)
        if (
            s.dtype.is_float()
            and s.drop_nulls().len()
            and bool((s.drop_nulls() == s.drop_nulls().round(0)).all())
        ):
            s = s.cast(pl.Int64)
        series.append(s)
    return pl.DataFrame(series)


def write_table(frame: pl.DataFrame, path: Path, name: str) -> None:
    """Write ``frame`` in the format of ``name`` (what the safe version of that file looks like)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = Path(name).suffix.lower()
    if suffix == ".parquet":
        frame.write_parquet(path)
    elif suffix == ".xlsx":
        from openpyxl import Workbook

        workbook = Workbook()
        sheet = workbook.active
        assert sheet is not None
        sheet.append(frame.columns)
        for row in frame.iter_rows():
            sheet.append(list(row))
        workbook.save(path)
    else:
        frame.write_csv(path, separator="\t" if suffix == ".tsv" else ",")


def read_declaration(path: Path) -> TableDeclaration:
    """A sidecar's declaration; ValueError naming what is wrong."""
    if path.stat().st_size > MAX_SIDECAR_BYTES:
        raise ValueError(f"the sidecar is larger than {MAX_SIDECAR_BYTES // 1024} KiB")
    try:
        return TableDeclaration.model_validate(json.loads(path.read_bytes()))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ValueError(f"the sidecar is not JSON ({error})") from error
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ValueError(f"{where + ': ' if where else ''}{first['msg']}") from error


def check_outputs(
    files: Mapping[str, Path], settings: DisclosureSettings, safe_dir: Path
) -> dict[str, FileCheck]:
    """Check every output file (name in the job's output folder -> local path).

    Safe versions are written under ``safe_dir`` with the original's name. Never raises for a bad
    file: a damaged table or a wrong declaration is a blocking finding on that file.
    """
    sidecars = {
        name[: -len(SIDECAR_SUFFIX)]: path for name, path in files.items() if name.endswith(SIDECAR_SUFFIX)
    }
    declarations: dict[str, TableDeclaration | str] = {}
    for table, path in sidecars.items():
        try:
            declarations[table] = read_declaration(path)
        except (ValueError, OSError) as error:
            declarations[table] = str(error)
    contributions: set[str] = set()
    for table, declared in declarations.items():
        if isinstance(declared, TableDeclaration) and declared.contributions:
            contributions.add(declared.contributions)
            if "/" in table:
                contributions.add(str(Path(table).parent / declared.contributions))
    results: dict[str, FileCheck] = {}
    checked: dict[str, TableCheck] = {}
    for name, path in sorted(files.items()):
        if name.endswith(SIDECAR_SUFFIX) or name in contributions:
            results[name] = FileCheck(name=name, role=FileRole.evidence)
        elif Path(name).suffix.lower() in TABLE_SUFFIXES:
            results[name], outcome = _check_file(
                name, path, declarations.get(name), files, settings, safe_dir
            )
            if outcome is not None:
                checked[name] = outcome
        else:
            results[name] = FileCheck(
                name=name,
                role=FileRole.other,
                findings=[finding(FindingCode.not_tabular, Severity.review, name)],
            )
    for name, more in cross_differences(checked, settings).items():
        if more:
            results[name] = results[name].model_copy(update={"findings": [*results[name].findings, *more]})
    return results


def _check_file(
    name: str,
    path: Path,
    declared: TableDeclaration | str | None,
    files: Mapping[str, Path],
    settings: DisclosureSettings,
    safe_dir: Path,
) -> tuple[FileCheck, TableCheck | None]:
    def blocked(item: Finding) -> tuple[FileCheck, TableCheck | None]:
        return FileCheck(name=name, role=FileRole.table, findings=[item]), None

    try:
        frame = read_table(path, name)
    except TableUnreadable as error:
        return blocked(
            finding(FindingCode.unreadable, Severity.blocking, name, format=_format(name), reason=str(error))
        )
    if isinstance(declared, str):
        return blocked(finding(FindingCode.declaration_invalid, Severity.blocking, name, reason=declared))
    declaration = declared or infer_declaration(frame)
    if declaration is None:
        return blocked(finding(FindingCode.undeclared, Severity.review, name, name=Path(name).name))
    contributions = None
    if declaration.contributions is not None:
        # beside the table first (a sidecar in tables/ names "firms.parquet"), else from the top
        beside = (
            str(Path(name).parent / declaration.contributions) if "/" in name else declaration.contributions
        )
        source = files.get(beside) or files.get(declaration.contributions)
        if source is None:
            return blocked(
                finding(
                    FindingCode.declaration_invalid,
                    Severity.blocking,
                    name,
                    reason=f"the contributions file {declaration.contributions!r} is not among the outputs",
                )
            )
        try:
            contributions = read_table(source, declaration.contributions)
        except TableUnreadable as error:
            return blocked(
                finding(
                    FindingCode.unreadable,
                    Severity.blocking,
                    declaration.contributions,
                    format=_format(declaration.contributions),
                    reason=str(error),
                )
            )
    result = check_table(frame, declaration, settings, name, contributions)
    safe_path = None
    if result.safe is not None:
        safe_path = safe_dir / name
        write_table(result.safe, safe_path, name)
    check = FileCheck(
        name=name,
        role=FileRole.table,
        kind=declaration.kind,
        layout=declaration.layout,
        findings=result.findings,
        cells=result.cells,
        suppressed=result.suppressed,
        secondary=result.secondary,
        safe_path=safe_path,
    )
    return check, result
