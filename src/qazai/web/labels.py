"""English labels of enum values shown on pages; marked with ``N_`` so Babel extracts them and
templates translate them with ``_(label(value))``."""

from __future__ import annotations


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
