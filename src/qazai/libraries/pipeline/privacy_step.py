"""The pipeline's use of the privacy engine: policy choice, planning, reports.

Adapter between the pipeline and ``qazai.privacy`` (a pure library): everything the pipeline
knows about policies goes through here.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import polars as pl
from pydantic import ValidationError

from qazai.core.enums import AccessTier
from qazai.core.errors import InvalidInput
from qazai.privacy import Action, Plan, Policy, default_policy, plan_deidentification
from qazai.privacy.classify import Rule
from qazai.privacy.deidentification import ColumnPlan


def parse_policy(data: dict[str, Any], tier: AccessTier | None = None) -> Policy:
    """A policy from JSON/YAML data. Fields not given come from ``base`` (a tier; by default the
    library's tier), so a producer's policy only needs the columns it changes. InvalidInput if bad."""
    given = dict(data)
    base = given.pop("base", None) or given.get("tier") or (tier.value if tier else AccessTier.open.value)
    try:
        merged = default_policy(AccessTier(base)).model_dump(mode="json")
        merged.update(given)
        if tier is not None and "tier" not in given:
            merged["tier"] = tier.value
        return Policy.model_validate(merged)
    except (ValidationError, ValueError) as exc:
        raise InvalidInput(f"the privacy policy is invalid: {exc}", code="invalid_policy") from None


def policy_for(tier: AccessTier, given: dict[str, Any] | None, legal_basis: str | None = None) -> Policy:
    """The producer's policy, or the tier's default. A policy written for another tier is refused:
    its rules (e.g. residual identifiers allowed) would not protect this library's readers.

    With legal basis ``none`` the producer declares the data is not about persons (aggregate
    statistics): the default then declares no quasi-identifiers, so region names in a table of
    regions are not generalised away; direct identifiers are still removed and checked for."""
    if given is None:
        policy = default_policy(tier)
        if legal_basis == "none":
            policy = policy.model_copy(update={"quasi_identifiers": []})
        return policy
    policy = parse_policy(given, tier)
    if policy.tier != tier:
        raise InvalidInput(
            f"the policy is for tier {policy.tier.value} but the library is {tier.value}",
            code="policy_tier_mismatch",
        )
    return policy


def pseudonym_secret(secret_key: str) -> bytes:
    """The keyed-pseudonym key, derived from the platform secret (never stored with the data)."""
    return hmac.new(secret_key.encode(), b"qazai-libraries-pseudonyms-v1", hashlib.sha256).digest()


def plan(sample: pl.DataFrame, policy: Policy) -> tuple[Plan, dict[str, Any]]:
    """The de-identification plan for a typed sample, and its report: each column's kind,
    detected entity and action (no cell values)."""
    deid_plan = plan_deidentification(sample, policy)
    columns = [column_report(column, deid_plan.levels.get(column.name)) for column in deid_plan.columns]
    return deid_plan, {"rows_scanned": sample.height, "aggregate": deid_plan.aggregate, "columns": columns}


def column_report(column: ColumnPlan, level: int | None) -> dict[str, Any]:
    """One column of the privacy report: kind, action, the evidence the decision rests on, and
    the producer's override (with its reason) where the policy chose another action."""
    doc: dict[str, Any] = {
        "name": column.name,
        "kind": column.kind.value,
        "entity": column.entity.value if column.entity else None,
        "qi_type": column.qi_type,
        "action": column.rule.action.value,
        "level": level,
        "evidence": column.evidence.to_json() if column.evidence else None,
    }
    if column.engine_action is not None:
        doc["override"] = {"engine_action": column.engine_action.value, "reason": column.rule.reason}
    return doc


def policy_json(policy: Policy) -> dict[str, Any]:
    return dict(policy.model_dump(mode="json"))


def statistics_columns(plan: Plan) -> set[str]:
    """Columns kept because classification judged the table statistics (aggregate, or not about
    persons) after weighing their findings: the residual scan sets their name and address
    look-alikes aside as classification did."""
    return {
        c.name
        for c in plan.columns
        if c.rule.action is Action.keep
        and c.evidence is not None
        and c.evidence.rule in (Rule.aggregate_table, Rule.no_person_table)
    }


def derived_columns(plan: Plan) -> set[str]:
    """Output columns whose values the engine derived rather than copied (pseudonyms,
    generalisations above level 0: years, bands, prefixes, ``*``): they cannot hold a residual
    identifier, so the residual scan leaves them out."""
    return {
        c.name
        for c in plan.columns
        if c.rule.action is Action.pseudonymise
        or (c.rule.action is Action.generalise and plan.levels.get(c.name, 0) > 0)
    }
