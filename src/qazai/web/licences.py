"""The licences the platform knows: a link to the text and what it allows, in plain words."""

from __future__ import annotations

from dataclasses import dataclass

from qazai.catalog.exports import LICENCES, licence_url
from qazai.web.labels import N_

#: What each licence lets a reader do, in one sentence (translated on the page).
SUMMARIES: dict[str, str] = {
    "CC-BY-4.0": N_(
        "You may copy, share and change the data, also commercially, if you name the producer "
        "and link to the licence."
    ),
    "CC-BY-SA-4.0": N_(
        "You may copy, share and change the data, also commercially, if you name the producer "
        "and share what you make under the same licence."
    ),
    "CC0-1.0": N_("The producer gave up all rights: use the data for anything, no conditions."),
    "PDDL-1.0": N_("The data is in the public domain: use it for anything, no conditions."),
    "ODC-By-1.0": N_(
        "You may copy, share and change the database, also commercially, if you name the producer."
    ),
    "ODbL-1.0": N_(
        "You may copy, share and change the database if you name the producer and share a changed "
        "database under the same licence."
    ),
    "KZ-OPEN-DATA": N_(
        "Open data of the Republic of Kazakhstan: free to use, name the producer as the source."
    ),
    "KZ-GOV-OPEN-1.0": N_(
        "Open data of the Republic of Kazakhstan: free to use, name the producer as the source."
    ),
    "data.egov.kz": N_(
        "Open data of the Republic of Kazakhstan: free to use, name the producer as the source."
    ),
}


@dataclass(frozen=True)
class LicenceInfo:
    id: str
    name: str
    url: str | None
    summary: str | None  # an N_ message id, or None for a licence the platform does not know


def licence_info(licence: str | None) -> LicenceInfo | None:
    """The licence's name, link and plain summary (None when the library names no licence)."""
    if not licence:
        return None
    known = LICENCES.get(licence)
    return LicenceInfo(
        id=licence,
        name=known[0] if known else licence,
        url=licence_url(licence),
        summary=SUMMARIES.get(licence),
    )
