"""QazAI privacy engine: find and de-identify Kazakhstan personal data in tables and text.

A pure library (imports only ``qazai.core`` and third-party packages). See docs/privacy.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from qazai.privacy.assessment import Assessment, RiskAccumulator, assess
    from qazai.privacy.classify import (
        ColumnReport,
        TableReport,
        classify_table,
        scan_lines,
        scan_table,
        scan_text,
    )
    from qazai.privacy.deidentification import (
        Plan,
        deidentify,
        deidentify_stream,
        finish_assessment,
        fit_generalisation,
        plan_deidentification,
        transform_batch,
    )
    from qazai.privacy.detectors import ColumnInput, detect_column, detect_columns
    from qazai.privacy.entities import PERSONAL_DIRECT, ColumnKind, Entity, Finding
    from qazai.privacy.policy import Action, ColumnRule, Policy, default_policy

# No module of the package may share a name with a function it exports: importing a submodule sets
# the package's attribute of that name to the module, so with lazy names `from qazai.privacy import
# deidentify` handed out the module whenever the pipeline had imported it first (hence
# `assessment.py` and `deidentification.py`). tests/privacy/test_package_names.py checks it.
# The names below are imported from their module on first use (PEP 562), so that importing one
# module of the engine (`qazai scan` needs classify and readers) does not load them all: the
# de-identification side brings DuckDB and the policy files (~0.2 s of CPU in a fresh process).
_EXPORTS: dict[str, str] = {
    "Assessment": "qazai.privacy.assessment",
    "RiskAccumulator": "qazai.privacy.assessment",
    "assess": "qazai.privacy.assessment",
    "ColumnReport": "qazai.privacy.classify",
    "TableReport": "qazai.privacy.classify",
    "classify_table": "qazai.privacy.classify",
    "scan_lines": "qazai.privacy.classify",
    "scan_table": "qazai.privacy.classify",
    "scan_text": "qazai.privacy.classify",
    "Plan": "qazai.privacy.deidentification",
    "deidentify": "qazai.privacy.deidentification",
    "deidentify_stream": "qazai.privacy.deidentification",
    "finish_assessment": "qazai.privacy.deidentification",
    "fit_generalisation": "qazai.privacy.deidentification",
    "plan_deidentification": "qazai.privacy.deidentification",
    "transform_batch": "qazai.privacy.deidentification",
    "ColumnInput": "qazai.privacy.detectors",
    "detect_column": "qazai.privacy.detectors",
    "detect_columns": "qazai.privacy.detectors",
    "PERSONAL_DIRECT": "qazai.privacy.entities",
    "ColumnKind": "qazai.privacy.entities",
    "Entity": "qazai.privacy.entities",
    "Finding": "qazai.privacy.entities",
    "Action": "qazai.privacy.policy",
    "ColumnRule": "qazai.privacy.policy",
    "Policy": "qazai.privacy.policy",
    "default_policy": "qazai.privacy.policy",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "PERSONAL_DIRECT",
    "Action",
    "Assessment",
    "ColumnInput",
    "ColumnKind",
    "ColumnReport",
    "ColumnRule",
    "Entity",
    "Finding",
    "Plan",
    "Policy",
    "RiskAccumulator",
    "TableReport",
    "assess",
    "classify_table",
    "default_policy",
    "deidentify",
    "deidentify_stream",
    "detect_column",
    "detect_columns",
    "finish_assessment",
    "fit_generalisation",
    "plan_deidentification",
    "scan_lines",
    "scan_table",
    "scan_text",
    "transform_batch",
]
