"""English labels of enum values shown on pages; marked with ``N_`` so Babel extracts them and
templates translate them with ``_(label(value))``."""

from __future__ import annotations

from collections.abc import Callable


def N_(message: str) -> str:
    return message


LABELS: dict[str, str] = {
    # organisation kinds
    "government_body": N_("Government body"),
    "company": N_("Company"),
    "university": N_("University"),
    "non_profit": N_("Non-profit organisation"),
    "individual_entrepreneur": N_("Individual entrepreneur"),
    # roles
    "member": N_("Member"),
    "producer": N_("Producer"),
    "org_admin": N_("Organisation administrator"),
    "operator": N_("Operator"),
    "regulator": N_("Regulator"),
    "output_checker": N_("Output checker"),
    # access tiers
    "open": N_("Open"),
    "registered": N_("Registered users"),
    "restricted": N_("Restricted"),
    "enclave": N_("Enclave"),
    # version and grant states
    "published": N_("Published"),
    "rejected": N_("Rejected"),
    "withdrawn": N_("Withdrawn"),
    "pending": N_("Pending"),
    "approved": N_("Approved"),
    "refused": N_("Refused"),
    "revoked": N_("Revoked"),
    # job states
    "queued": N_("Queued"),
    "running": N_("Running"),
    "succeeded": N_("Succeeded"),
    "failed": N_("Failed"),
    # risk and autonomy
    "minimal": N_("Minimal"),
    "medium": N_("Medium"),
    "high": N_("High"),
    "low": N_("Low"),
    "cancelled": N_("Cancelled"),
    # legal bases and update frequencies
    "none": N_("No personal data"),
    "depersonalised": N_("Depersonalised"),
    "consent": N_("Consent"),
    "once": N_("Once"),
    "daily": N_("Daily"),
    "weekly": N_("Weekly"),
    "monthly": N_("Monthly"),
    "quarterly": N_("Quarterly"),
    "annual": N_("Annual"),
    "irregular": N_("Irregular"),
    # privacy actions
    "keep": N_("Keep"),
    "drop": N_("Drop"),
    "mask": N_("Mask"),
    "pseudonymise": N_("Pseudonymise"),
    "generalise": N_("Generalise"),
    "redact": N_("Redact"),
    # what the privacy engine found in a column
    "direct_identifier": N_("Direct identifier"),
    "quasi_identifier": N_("Quasi-identifier"),
    "sensitive": N_("Sensitive"),
    "free_text": N_("Free text"),
    "non_personal": N_("Not personal"),
    # token scopes
    "read": N_("read"),
    "write": N_("write"),
    "admin": N_("admin"),
}


def label(value: object) -> str:
    """The English label of an enum value (or the value itself when it has none)."""
    raw = getattr(value, "value", value)
    return LABELS.get(str(raw), str(raw))


# Column types as words. The wizard offers the published types (``ColumnType``); a schema read
# from a Parquet file says Arrow's names, which map onto them.
TYPE_LABELS: dict[str, str] = {
    "string": N_("Text"),
    "integer": N_("Whole number"),
    "float": N_("Decimal number"),
    "boolean": N_("Yes or no"),
    "date": N_("Date"),
    "datetime": N_("Date and time"),
    "null": N_("Empty"),
}
_ARROW_TYPES: tuple[tuple[str, str], ...] = (
    ("large_string", "string"),
    ("large_utf8", "string"),
    ("utf8", "string"),
    ("dictionary", "string"),
    ("int", "integer"),
    ("uint", "integer"),
    ("float", "float"),
    ("double", "float"),
    ("halffloat", "float"),
    ("decimal", "float"),
    ("bool", "boolean"),
    ("date", "date"),
    ("timestamp", "datetime"),
)

# What the privacy engine finds (``privacy.entities.Entity``), as words.
ENTITY_LABELS: dict[str, str] = {
    "IIN": N_("IIN"),
    "BIN": N_("BIN"),
    "IBAN_KZ": N_("Bank account (IBAN)"),
    "CARD": N_("Card number"),
    "PHONE_KZ": N_("Phone number"),
    "EMAIL": N_("E-mail address"),
    "IP": N_("IP address"),
    "PASSPORT_KZ": N_("Passport number"),
    "ID_CARD_KZ": N_("ID card number"),
    "VEHICLE_PLATE_KZ": N_("Vehicle plate"),
    "PERSON": N_("Person's name"),
    "ADDRESS": N_("Address"),
    "DATE_OF_BIRTH": N_("Date of birth"),
}

# Catalogue facet values that are words of ours rather than the producer's: themes of the demo and
# common ones, the country. Formats are shown by their names (``FORMAT_NAMES``).
FACET_VALUE_LABELS: dict[str, dict[str, str]] = {
    "theme": {
        "population": N_("Population"),
        "employment": N_("Employment"),
        "environment": N_("Environment"),
        "public services": N_("Public services"),
        "public_services": N_("Public services"),
        "demo": N_("Demonstration"),
        "economy": N_("Economy"),
        "health": N_("Health care"),
        "education": N_("Education"),
        "transport": N_("Transport"),
        "agriculture": N_("Agriculture"),
        "finance": N_("Finance"),
        "energy": N_("Energy"),
    },
    "region": {"Kazakhstan": N_("Kazakhstan"), "KZ": N_("Kazakhstan")},
}
FORMAT_NAMES: dict[str, str] = {
    "parquet": "Parquet",
    "csv": "CSV",
    "xlsx": "XLSX",
    "json": "JSON",
    "zip": "ZIP",
}


def type_english(value: object) -> str:
    """The English word for a column type (``ColumnType`` or an Arrow type's name)."""
    raw = str(getattr(value, "value", value)).strip().lower()
    if raw in TYPE_LABELS:
        return TYPE_LABELS[raw]
    for prefix, kind in _ARROW_TYPES:
        if raw.startswith(prefix):
            return TYPE_LABELS[kind]
    return N_("Other")


def translated_labels(gettext: Callable[[str], str]) -> dict[str, Callable[..., str]]:
    """The label helpers templates use, already in the page's language (no ``_()`` around them):
    ``type_label``, ``entity_label``, ``yes_no``, ``facet_value_label``."""

    def entity_label(value: object) -> str:
        raw = str(getattr(value, "value", value))
        return gettext(ENTITY_LABELS[raw]) if raw in ENTITY_LABELS else raw

    def yes_no(value: object) -> str:
        if value is None or value == "":
            return "—"
        if isinstance(value, str):  # a yes/no that arrived as text: "true", "False", "0"...
            said = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}
            if value.strip().lower() not in said:
                return value
            value = said[value.strip().lower()]
        return gettext(N_("Yes") if value else N_("No"))

    def facet_value_label(facet: str, value: object) -> str:
        raw = str(getattr(value, "value", value))
        if facet == "tier":
            return gettext(label(raw))
        if facet == "format":
            return FORMAT_NAMES.get(raw.lower(), raw.upper())
        known = FACET_VALUE_LABELS.get(facet, {})
        return gettext(known[raw]) if raw in known else raw

    return {
        "type_label": lambda value: gettext(type_english(value)),
        "entity_label": entity_label,
        "yes_no": yes_no,
        "facet_value_label": facet_value_label,
    }
