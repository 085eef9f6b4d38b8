"""What the file readers noted about an upload (rows skipped above the header, a merged header,
footnotes...), in the visitor's language for the publish wizard's preview.

The readers (``libraries.ingest``) write their notes in English (the API shows them as they are).
The portal translates the notes it knows by pattern; another note is shown in English, marked
``lang="en"`` so it is not read as Kazakh or Russian.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from qazai.core.enums import Language
from qazai.web.i18n import InLanguage
from qazai.web.labels import N_

READER_NOTES: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"^skipped (?P<n>\d+) title row\(s\) above the header$"),
        N_("Title rows above the header skipped: %(n)s."),
    ),
    (
        re.compile(r"^skipped (?P<n>\d+) row\(s\) above the header \(titles, units or placeholders\)$"),
        N_("Rows above the header skipped (titles, units or placeholders): %(n)s."),
    ),
    (re.compile(r"^above the header: (?P<text>.*)$", re.S), N_("Above the header: %(text)s")),
    (re.compile(r"^merged a two-row header$"), N_("A header of two rows was merged into one.")),
    (
        re.compile(r"^dropped a footnote row at the end: (?P<text>.*)$", re.S),
        N_("A footnote row at the end was left out: %(text)s"),
    ),
    (
        re.compile(
            r"^(?P<n>\d+) group title row\(s\) became the column '(?P<column>.*?)': (?P<text>.*)$", re.S
        ),
        N_("Group title rows (%(n)s) became the column %(column)s: %(text)s"),
    ),
    (
        re.compile(r"^the unnamed column (?P<n>\d+) holds region names: named '(?P<column>.*)'$"),
        N_("The unnamed column %(n)s holds region names: it is named %(column)s."),
    ),
    (
        re.compile(r"^removed a footnote marker: (?P<old>.*) -> (?P<new>.*)$", re.S),
        N_("A footnote marker was removed: %(old)s → %(new)s"),
    ),
    (
        re.compile(r"^(?P<n>\d+) cell\(s\) hold formulas; "),
        N_(
            "Cells with formulas: %(n)s. Their values as Excel last saved them were used "
            "(a formula never recalculated reads as empty)."
        ),
    ),
    (
        re.compile(r"^the header is in UTF-8 but the rows are in (?P<encoding>[^:]+): "),
        N_(
            "The header is in UTF-8 but the rows are in %(encoding)s: each was read in its own encoding. "
            "Save the whole file in one encoding to be sure."
        ),
    ),
)


def note_text(gettext: Callable[[str], str], note: str) -> str:
    """A reader's ``note`` translated, or in English marked as such when its pattern is unknown."""
    for pattern, text in READER_NOTES:
        match = pattern.match(note)
        if match:
            return gettext(text) % match.groupdict()
    return InLanguage(note, Language.en)
