"""The privacy engine's decision on a column, said as a sentence in the visitor's language.

The preview gives each column's evidence as data (a rule code, cells per entity, whether the
findings were validated, the entities the header suggests). The publish wizard shows it as one
sentence per rule code, so a producer sees why a column is dropped, generalised or kept before
choosing to override it. Entity names (IIN, PHONE_KZ...) are said as words (``labels.ENTITY_LABELS``).
"""

from __future__ import annotations

from collections.abc import Callable

from qazai.libraries.models import ColumnEvidenceRead
from qazai.web.labels import ENTITY_LABELS, N_

RULE_SENTENCES: dict[str, str] = {
    "identifier_cells": N_("%(cells)s of %(total)s cells hold %(entity)s: an identifier column."),
    "identifier_cells_header": N_(
        "The header names %(entity)s and %(cells)s of %(total)s cells hold one: an identifier column."
    ),
    "free_text_findings": N_("Free text: %(cells)s of %(total)s cells mention %(entity)s."),
    "embedded_identifiers": N_(
        "Short text with %(entity)s in %(cells)s of %(total)s cells: those cells are redacted."
    ),
    "birth_dates": N_("Dates of birth, by their values and the header: a quasi-identifier."),
    "quasi_identifier_values": N_(
        "The header and the values make it a quasi-identifier: "
        "with other columns it could single a person out."
    ),
    "sensitive_header": N_("The header names a sensitive attribute."),
    "company_ids": N_("%(cells)s of %(total)s cells hold BIN, company register data: kept."),
    "aggregate_table": N_("A table of statistics: kept whole."),
    "no_person_table": N_("No column of this table is about a person: kept."),
    "header_only": N_("The header suggests %(header)s but no cell holds one: kept."),
    "free_text_clean": N_("Free text with no personal data found in it: kept."),
    "no_evidence": N_("Nothing personal found in %(total)s cells."),
    "empty": N_("The column is empty."),
}
VALIDATED = N_("Checked by checksum or strict format.")
HEURISTIC = N_("Found by pattern and context, not by a checksum.")
ATTENTION = N_("Worth a look: the decision is close.")
_NEEDS_FINDING = frozenset(
    {
        "identifier_cells",
        "identifier_cells_header",
        "free_text_findings",
        "embedded_identifiers",
        "company_ids",
    }
)


def _number(value: int) -> str:
    return f"{value:,}".replace(",", "\u00a0")  # 12 345: a comma is the decimal mark in kk and ru


def evidence_text(gettext: Callable[[str], str], evidence: ColumnEvidenceRead | None) -> str:
    """The engine's reason for its decision on a column, translated; "" without evidence or for
    a rule code this portal does not know (the API still shows the code)."""
    if evidence is None or evidence.rule not in RULE_SENTENCES:
        return ""
    top = evidence.findings[0] if evidence.findings else None

    def word(entity: str) -> str:
        return gettext(ENTITY_LABELS[entity]) if entity in ENTITY_LABELS else entity

    header = ", ".join(word(entity) for entity in evidence.header) or "?"
    values = {
        "cells": _number(top.cells if top else 0),
        "total": _number(evidence.cells),
        "entity": word(top.entity) if top else header,
        "header": header,
    }
    sentences = [gettext(RULE_SENTENCES[evidence.rule]) % values]
    if top is not None and evidence.rule in _NEEDS_FINDING:
        sentences.append(gettext(VALIDATED if top.validated else HEURISTIC))
    if evidence.attention:
        sentences.append(gettext(ATTENTION))
    return " ".join(sentences)
