"""Enums shared by several capabilities."""

from __future__ import annotations

from enum import StrEnum


class Language(StrEnum):
    kk = "kk"
    ru = "ru"
    en = "en"


class AccessTier(StrEnum):
    open = "open"
    registered = "registered"
    restricted = "restricted"
    enclave = "enclave"


class RiskLevel(StrEnum):
    minimal = "minimal"
    medium = "medium"
    high = "high"


class AutonomyLevel(StrEnum):
    low = "low"
    medium = "medium"
    high = "high"


class OrgKind(StrEnum):
    government_body = "government_body"
    company = "company"
    university = "university"
    non_profit = "non_profit"
    individual_entrepreneur = "individual_entrepreneur"


class OrgRole(StrEnum):
    """A user's role inside one organisation; each includes the ones before it."""

    member = "member"
    producer = "producer"
    org_admin = "org_admin"


class PlatformRole(StrEnum):
    operator = "operator"
    regulator = "regulator"
    output_checker = "output_checker"  # reviews compute jobs' outputs in the airlock before release


class LegalBasis(StrEnum):
    """Why personal data may be in a library at all (LAW.md row 1). Also exported by
    ``qazai.libraries.models``; defined here so that `qazai publish --help` needs no pydantic."""

    none = "none"
    depersonalised = "depersonalised"
    consent = "consent"
