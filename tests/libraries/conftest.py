"""Where the real government files are: ../shared/data next to the repo, else the packaged copy."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
_SHARED = REPO_ROOT.parent / "shared" / "data"
_PACKAGED = REPO_ROOT / "src" / "qazai" / "libraries" / "demo_data"


@pytest.fixture(scope="session")
def real_data() -> Path:
    return _SHARED if (_SHARED / "README.md").is_file() else _PACKAGED


@pytest.fixture(scope="session")
def read_all() -> object:
    """Open a file and run it through inference and conversion the way the pipeline will."""
    from qazai.libraries.ingest import (
        ConversionReport,
        apply_overrides,
        convert_batch,
        infer_schema,
        open_source,
    )

    def run(path: Path, overrides: dict[str, object] | None = None, **options: object) -> dict[str, object]:
        import pyarrow as pa

        results: dict[str, object] = {}
        for table in open_source(path, **options):  # type: ignore[arg-type]
            sample = table.head(10_000)
            schema = apply_overrides(infer_schema(sample), overrides or {}, sample)  # type: ignore[arg-type]
            report = ConversionReport()
            batches = []
            for batch in table.batches():
                converted = convert_batch(batch, schema)
                report.add(converted)
                batches.append(converted.batch)
            data = pa.Table.from_batches(batches, schema=schema.arrow_schema)
            results[table.name] = (table, schema, data, report)
        return results

    return run
