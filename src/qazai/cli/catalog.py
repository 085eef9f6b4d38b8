"""`qazai query` and `qazai search`: the catalogue and the SQL query API from the command line.

Both run through the same catalogue service as the HTTP API, on the local platform, as the
platform itself (the CLI has direct database access).
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from qazai.cli.context import cli_actor, open_platform

# DuckDB, SQLAlchemy and the catalogue are imported when a command runs (tests/cli/test_startup.py).
if TYPE_CHECKING:
    from qazai.catalog.query import QueryOutcome


class OutputFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _print_result(result: QueryOutcome, fmt: OutputFormat) -> None:
    from qazai.catalog.query import spreadsheet_safe

    if fmt == OutputFormat.json:  # the API's QueryResult, field for field
        typer.echo(json.dumps(result.__dict__, ensure_ascii=False))
        return
    if fmt == OutputFormat.csv:
        import csv
        import io

        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        # Spreadsheet-safe, as the API's CSV: a formula-like cell gets a leading quote.
        writer.writerow([spreadsheet_safe(c) for c in result.columns])
        writer.writerows([spreadsheet_safe(_cell(v)) for v in row] for row in result.rows)
        typer.echo(buffer.getvalue(), nl=False)
        return
    from rich.console import Console  # only for the table (its import is a tenth of a second)
    from rich.table import Table

    console = Console()
    table = Table(*result.columns, show_lines=False)
    for row in result.rows:
        table.add_row(*(_cell(v) for v in row))
    console.print(table)
    more = " (truncated; raise --limit)" if result.truncated else ""
    console.print(f"{len(result.rows)} row(s) in {result.elapsed_ms:.1f} ms{more}", style="dim")


def _query(sql: str, *, limit: int, timeout_ms: int | None) -> QueryOutcome:
    """The ordinary way: the platform's settings, database and object store, and the catalogue
    service the API calls."""
    from qazai.catalog import service
    from qazai.catalog.query_limits import QueryLimits, one_off_runtime

    # no catalogue index (`None`): the query names a few tables, looked up in the database;
    # its worker is forked from this process (no fork server: one query, then exit)
    with open_platform(reading=True) as platform, platform.db.uow(read_only=True) as uow:
        runtime = one_off_runtime(QueryLimits.of(platform.settings))
        try:
            return service.query(
                uow,
                None,
                platform.objects,
                cli_actor(),
                sql,
                runtime=runtime,
                limit=limit,
                timeout_ms=timeout_ms,
            )
        finally:
            runtime.workers.close()


def register(app: typer.Typer) -> None:
    """Add `query` and `search` to the `qazai` command."""

    @app.command("query")
    def query(
        sql: Annotated[str, typer.Argument(help="one SELECT, e.g. 'SELECT * FROM \"my-library\" LIMIT 5'")],
        fmt: Annotated[
            OutputFormat, typer.Option("--format", "-f", help="output format")
        ] = OutputFormat.table,
        limit: Annotated[int, typer.Option(min=1, max=10_000, help="at most this many rows")] = 1000,
        timeout_ms: Annotated[
            int | None, typer.Option("--timeout-ms", min=10, max=60_000, help="time limit")
        ] = None,
    ) -> None:
        """Run one read-only SQL SELECT over the published libraries (tables are named by slug)."""
        from qazai.cli import query_fast

        # Most often the settings, database and store are plain: the query runs without
        # SQLAlchemy, pydantic or the platform (a third of the time); else the ordinary way.
        result = query_fast.run(sql, limit=limit, timeout_ms=timeout_ms)
        if result is None:
            result = _query(sql, limit=limit, timeout_ms=timeout_ms)
        _print_result(result, fmt)

    @app.command("search")
    def search(
        q: Annotated[str, typer.Argument(help="words in Kazakh, Russian or English (Cyrillic or Latin)")],
        rows: Annotated[int, typer.Option(min=0, max=1000, help="at most this many libraries")] = 20,
        as_json: Annotated[bool, typer.Option("--json", help="print JSON (CKAN package dicts)")] = False,
    ) -> None:
        """Search the catalogue of published libraries."""
        from rich.console import Console
        from rich.table import Table

        from qazai.catalog import service
        from qazai.catalog.ckan import package_dict
        from qazai.catalog.ckan_params import package_search_request
        from qazai.catalog.indexer import catalog_index

        console = Console()
        with open_platform() as platform:
            request = package_search_request({"q": q, "rows": str(rows)})
            page = service.search_libraries(catalog_index(platform.db), cli_actor(), request)
            base = platform.settings.public_base_url
            results = [
                {**package_dict(base, doc), "score": hit.score}
                for doc, hit in zip(page.docs, page.result.hits, strict=False)
            ]
        if as_json:
            typer.echo(json.dumps({"count": page.result.count, "results": results}, ensure_ascii=False))
            return
        if not results:
            console.print(f"no library matches {q!r}")
            return
        table = Table("name", "title", "organisation", "tier")
        for doc in page.docs:
            table.add_row(doc.slug, doc.title.get("en"), doc.organisation_slug, doc.tier.value)
        console.print(table)
        console.print(f"{len(results)} of {page.result.count} libraries", style="dim")
