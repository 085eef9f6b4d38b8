"""QazAI privacy engine: find and de-identify Kazakhstan personal data in tables and text.

A pure library (imports only ``qazai.core`` and third-party packages). See docs/privacy.md.
"""

from __future__ import annotations

from qazai.privacy.assess import Assessment, RiskAccumulator, assess
from qazai.privacy.classify import (
    ColumnReport,
    TableReport,
    classify_table,
    scan_lines,
    scan_table,
    scan_text,
)
from qazai.privacy.deidentify import (
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
