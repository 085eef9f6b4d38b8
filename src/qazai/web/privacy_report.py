"""A version's privacy report (``privacy.assessment.Assessment.to_json`` and the scan) said in plain
sentences in the visitor's language: no raw keys, no True/False, numbers in the page's format.

The assessment's keys each give one sentence (or none when they have nothing to say); a rule the
version broke is recognised by the assessment's numbers, not by its English text, and an unknown
one is kept in English, marked with ``lang="en"``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from babel.numbers import format_decimal, format_percent
from markupsafe import Markup, escape

from qazai.core.enums import Language
from qazai.web.i18n import InLanguage
from qazai.web.labels import N_, label, translated_labels

_K_BELOW = re.compile(r"^k=\d+ is below the target \d+$")
_L_BELOW = re.compile(r"^l=(?P<l>\d+) for '(?P<column>.*)' is below the target (?P<target>\d+)$")
_RESIDUAL = re.compile(r"^residual direct identifiers in the output")


@dataclass
class ColumnLine:
    """One column the scan checked: what it is and what publishing did to it, as words."""

    name: str
    kind: str
    action: str
    evidence: dict[str, Any] | None = None
    override: str = ""


@dataclass
class PrivacyReport:
    passed: bool | None
    sentences: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    aggregate: bool = False
    columns: list[ColumnLine] = field(default_factory=list)


def _quoted(name: object) -> Markup:
    """A column's name inside a sentence: data, not words of the page (``<code>``)."""
    return Markup("<code>{}</code>").format(name)


def _names(values: object) -> Markup:
    return Markup(", ").join(_quoted(v) for v in values) if isinstance(values, list | dict) else Markup()


def privacy_report(
    gettext: Callable[[str], str], lang: Language, privacy: Mapping[str, Any] | None
) -> PrivacyReport:
    """The report of one table's ``privacy`` block (``{"assessment": ..., "scan": ...}``)."""
    privacy = privacy or {}
    a: Mapping[str, Any] = privacy.get("assessment") or {}
    scan: Mapping[str, Any] = privacy.get("scan") or {}
    labels = translated_labels(gettext)

    def number(value: object) -> str:
        return format_decimal(value, locale=lang.value) if isinstance(value, int | float) else "—"

    def percent(value: object) -> str:
        return (
            format_percent(value, format="#,##0.#%", locale=lang.value)
            if isinstance(value, int | float)
            else "—"
        )

    def say(message: str, **values: object) -> str:
        # escaped first: the values are escaped by Markup's %, column names come as <code>
        return escape(gettext(message)) % values

    passed = a.get("passed") if isinstance(a.get("passed"), bool) else None
    out = PrivacyReport(passed=passed, aggregate=bool(scan.get("aggregate")))
    tier = gettext(label(a["tier"])) if a.get("tier") else "—"
    if passed is True:
        out.sentences.append(
            say(N_("The data passed the privacy check of its access level (%(tier)s)."), tier=tier)
        )
    elif passed is False:
        out.sentences.append(
            say(
                N_("The data failed the privacy check of its access level (%(tier)s): it was not published."),
                tier=tier,
            )
        )
    if "rows_in" in a:
        out.sentences.append(
            say(
                N_("Rows read: %(rows_in)s; rows published: %(rows_out)s."),
                rows_in=number(a.get("rows_in")),
                rows_out=number(a.get("rows_out")),
            )
        )
    if a.get("records_suppressed") or a.get("cells_suppressed"):
        out.sentences.append(
            say(
                N_("Withheld so that no one stands out: %(records)s rows and %(cells)s cells."),
                records=number(a.get("records_suppressed") or 0),
                cells=number(a.get("cells_suppressed") or 0),
            )
        )
    if a.get("dropped_columns"):
        out.sentences.append(say(N_("Columns removed: %(columns)s."), columns=_names(a["dropped_columns"])))
    levels = {name: n for name, n in (a.get("generalisation_levels") or {}).items() if n}
    if levels:
        out.sentences.append(
            say(
                N_("Columns made less precise (e.g. a year instead of a date): %(columns)s."),
                columns=_names(list(levels)),
            )
        )
    quasi = a.get("quasi_identifiers") or []
    if quasi and a.get("k") is not None:
        out.sentences.append(
            say(
                N_(
                    "Columns that together could point to a person: %(columns)s. Every combination of their "
                    "values is shared by at least %(k)s rows (the access level asks for %(k_target)s)."
                ),
                columns=_names(quasi),
                k=number(a.get("k")),
                k_target=number(a.get("k_target")),
            )
        )
        out.sentences.append(
            say(
                N_("%(classes)s groups of alike rows; rows in groups smaller than %(k_target)s: %(share)s."),
                classes=number(a.get("classes")),
                k_target=number(a.get("k_target")),
                share=percent(a.get("share_below_k") or 0),
            )
        )
        out.sentences.append(
            say(
                N_(
                    "Chance of recognising a person from these columns: "
                    "%(average)s on average, at most %(max)s."
                ),
                average=percent(a.get("average_risk") or 0),
                max=percent(a.get("max_risk") or 0),
            )
        )
    elif "k_target" in a:
        out.sentences.append(
            gettext(N_("No columns that together could point to a person: no group size to check."))
        )
    for column, distinct in (a.get("l_diversity") or {}).items():
        out.sentences.append(
            say(
                N_("Each group of alike rows has at least %(l)s different values of %(column)s."),
                l=number(distinct),
                column=_quoted(column),
            )
        )
    residual = a.get("residual_identifiers") or {}
    if residual:
        found = ", ".join(f"{labels['entity_label'](e)}: {number(n)}" for e, n in residual.items())
        out.sentences.append(say(N_("Personal identifiers still found in the data: %(found)s."), found=found))
    elif "residual_identifiers" in a:
        out.sentences.append(
            gettext(N_("No personal identifier (IIN, phone, name…) was found in the published data."))
        )
    if "information_loss" in a:
        out.sentences.append(
            say(
                N_("Detail lost to de-identification: %(loss)s."),
                loss=percent(a.get("information_loss") or 0),
            )
        )
    for violation in a.get("violations") or []:
        out.problems.append(_violation(gettext, str(violation), a, number, lang))
    for c in scan.get("columns") or []:
        if not isinstance(c, Mapping):
            out.columns.append(ColumnLine(name=str(c), kind="", action=""))
            continue
        kind = gettext(label(c["kind"])) if c.get("kind") else ""
        if c.get("entity") and c.get("kind") != "non_personal":
            kind = f"{kind} ({labels['entity_label'](c['entity'])})"
        override = ""
        if isinstance(c.get("override"), Mapping):
            override = say(
                N_("The producer chose %(action)s instead of %(engine)s: %(reason)s"),
                action=gettext(label(c.get("action") or "")),
                engine=gettext(label(c["override"].get("engine_action") or "")),
                reason=c["override"].get("reason") or "—",
            )
        out.columns.append(
            ColumnLine(
                name=str(c.get("name", "")),
                kind=kind,
                action=gettext(label(c["action"])) if c.get("action") else "",
                evidence=c.get("evidence") or None,
                override=override,
            )
        )
    return out


def _violation(
    gettext: Callable[[str], str],
    text: str,
    a: Mapping[str, Any],
    number: Callable[[object], str],
    lang: Language,
) -> str:
    if _RESIDUAL.match(text):
        return gettext(N_("Personal identifiers remain in the data."))
    if _K_BELOW.match(text):
        return gettext(
            N_(
                "Some combinations of values are shared by only %(k)s rows; "
                "the access level asks for %(k_target)s."
            )
        ) % {"k": number(a.get("k")), "k_target": number(a.get("k_target"))}
    found = _L_BELOW.match(text)
    if found:
        sentence = gettext(
            N_("A group of alike rows has only %(l)s different values of %(column)s; %(target)s are needed.")
        )
        return escape(sentence) % {
            "l": found["l"],
            "column": _quoted(found["column"]),
            "target": found["target"],
        }
    return InLanguage(text, Language.en)
