"""The interop tests share one platform and one real server per test module
(``tests/catalog/module_platform.py``)."""

from __future__ import annotations

import pytest
from tests.catalog import module_platform

# Module-scoped fixtures for this folder (they override the function-scoped ones of tests/conftest.py).
app = module_platform.app
client = module_platform.client
live_server = module_platform.live_server
module_database_url = module_platform.module_database_url
module_tmp = module_platform.module_tmp
people = module_platform.people
platform = module_platform.platform


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    module_platform.mark_module_db_items(items)
