"""Progress messages of publishing jobs in the visitor's language.

The pipeline reports progress in English (the API shows it as is). The portal translates the
messages it knows by pattern; any other message is shown as it is, so nothing is lost.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from qazai.web.labels import N_

PROGRESS_MESSAGES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^reading the upload$"), N_("Reading the upload")),
    (re.compile(r"^checking authors' opt-outs$"), N_("Checking the authors' opt-outs")),
    (re.compile(r"^storing the Parquet files$"), N_("Storing the Parquet files")),
    (re.compile(r"^publishing$"), N_("Publishing")),
    (re.compile(r"^(?P<table>.+): read (?P<rows>[\d,]+) rows$"), N_("%(table)s: %(rows)s rows read")),
    (
        re.compile(r"^(?P<table>.+): de-identified (?P<done>\d+)/(?P<total>\d+)$"),
        N_("%(table)s: de-identified %(done)s of %(total)s parts"),
    ),
)


def progress_text(gettext: Callable[[str], str], message: str | None) -> str:
    """The job's progress ``message`` translated, or as it is when its pattern is unknown."""
    if not message:
        return ""
    for pattern, text in PROGRESS_MESSAGES:
        match = pattern.match(message)
        if match:
            values = match.groupdict()
            if "rows" in values:  # 12,345 -> 12 345: a comma is the decimal mark in kk and ru
                values["rows"] = values["rows"].replace(",", "\u00a0")
            return gettext(text) % values
    return message
