"""Schemathesis over every operation of the OpenAPI document, anonymous and with a token.

Every response must be declared (status, content type, schema) and no request may cause a server
error. The example count is bounded so the run fits in the suite; docs/operations.md ("Fuzzing")
has the longer run against a real server.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance
from tests.catalog.module_platform import app, module_database_url, module_tmp, people, platform

__all__ = ["app", "module_database_url", "module_tmp", "people", "platform"]  # module-scoped fixtures

pytestmark = [pytest.mark.db, pytest.mark.slow]

EXAMPLES = 4
PHASES = ["examples", "fuzzing"]  # the coverage phase (every boundary and method) runs in the long run
# Whether the server accepts exactly what the schema allows: not all of it can be said in a schema
# (SQL text, a search query's syntax, a body that is valid but larger than the request limit), so
# these two are reported by the longer run (docs/operations.md, "Fuzzing"), not asserted here.
NOT_CHECKED = [positive_data_acceptance, negative_data_rejection]
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture(scope="module")
def api_schema(app: Any) -> Any:
    loaded = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    loaded.config.phases.update(phases=PHASES)
    return loaded


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@FUZZ_SETTINGS
def test_fuzz_anonymous(case: Any) -> None:
    case.call_and_validate(excluded_checks=NOT_CHECKED)


@schema.parametrize()
@FUZZ_SETTINGS
def test_fuzz_with_a_token(case: Any, people: Any) -> None:
    case.call_and_validate(headers=people["producer"].headers, excluded_checks=NOT_CHECKED)
