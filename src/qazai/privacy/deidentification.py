"""De-identification: plan on a sample, fit generalisation on the quasi-identifiers, transform
batch by batch, assess the whole output.

The batch-wise API is what the publish pipeline uses on Arrow record batches::

    plan = plan_deidentification(sample, policy)                 # classify a sample
    plan = fit_generalisation(plan, policy, qi_batches)          # pass 1: QI columns only
    acc = plan.accumulator(policy)
    for batch in batches:                                         # pass 2: bounded memory
        out = transform_batch(batch, plan, policy, secret, scope)
        acc.observe(out); write(out)
    assessment = finish_assessment(plan, policy, acc)

Memory: pass 1 keeps one row per distinct combination of quasi-identifier values (reduced to
the policy's starting level), never whole rows; pass 2 holds one batch and the class counts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from functools import partial

import polars as pl
import pyarrow as pa

from qazai.core.errors import InvalidInput
from qazai.privacy.assessment import Assessment, RiskAccumulator, check_rules
from qazai.privacy.classify import ColumnEvidence, Thresholds, as_polars, internal_name, scan_table
from qazai.privacy.detectors import detect_column
from qazai.privacy.entities import ColumnKind, Entity
from qazai.privacy.headers import read_header
from qazai.privacy.policy import Action, ColumnRule, Policy
from qazai.privacy.transforms import MAX_LEVEL, generalise_expr, mask, parse_date, pseudonymise, redact

_MERGE_EVERY = 16


@dataclass(frozen=True)
class ColumnPlan:
    name: str
    kind: ColumnKind
    rule: ColumnRule
    entity: Entity | None = None
    qi_type: str | None = None
    #: what the engine's decision rests on (None for columns it did not scan)
    evidence: ColumnEvidence | None = None
    #: the engine's action when the policy names this column and chose another one
    engine_action: Action | None = None


@dataclass
class Plan:
    """Per-column transforms, and after fitting: generalisation levels and the classes to suppress."""

    columns: list[ColumnPlan]
    quasi_identifiers: list[str]
    sensitive: list[str]
    levels: dict[str, int] = field(default_factory=dict)
    rare: pl.DataFrame | None = None
    rows_in: int = 0
    #: the sample is a table of statistics (see ``classify.aggregate_table``)
    aggregate: bool = False

    def column(self, name: str) -> ColumnPlan:
        return next(c for c in self.columns if c.name == name)

    def accumulator(self, policy: Policy) -> RiskAccumulator:
        return RiskAccumulator(
            self.quasi_identifiers, self.sensitive, rescan=True, min_score=policy.min_score
        )


def _start_level(col: ColumnPlan) -> int:
    if col.rule.level is not None:
        return col.rule.level
    if col.rule.action is not Action.generalise:
        return 0
    return {"date": 2 if col.entity is Entity.DATE_OF_BIRTH else 1, "age": 1, "kato": 1, "postcode": 1}.get(
        col.qi_type or "", 0
    )


def plan_deidentification(sample: pl.DataFrame | pa.Table | pa.RecordBatch, policy: Policy) -> Plan:
    """Classify ``sample`` and choose each column's transform from ``policy``."""
    frame = as_polars(sample)
    thresholds = Thresholds(direct_ratio=policy.direct_ratio, embedded_ratio=policy.embedded_ratio)
    report = scan_table(frame, min_score=policy.min_score, thresholds=thresholds)
    declared_qi = set(policy.quasi_identifiers or [])
    declared_s = set(policy.sensitive or [])
    missing = (declared_qi | declared_s | set(policy.columns)) - set(frame.columns)
    if missing:
        raise InvalidInput(f"the policy names columns the table does not have: {sorted(missing)}")
    columns: list[ColumnPlan] = []
    engine_rules = policy.model_copy(update={"columns": {}})  # the policy without per-column choices
    for c in report.columns:
        kind = c.kind
        qi_type = c.qi_type
        if c.name in declared_qi:
            kind = ColumnKind.quasi_identifier
            qi_type = qi_type or read_header(c.name).qi_type or "categorical"
        elif c.name in declared_s:
            kind = ColumnKind.sensitive
        elif policy.quasi_identifiers is not None and kind is ColumnKind.quasi_identifier:
            kind = ColumnKind.non_personal  # QIs were declared: the others are not QIs
        if kind is ColumnKind.quasi_identifier and qi_type is None:
            qi_type = "categorical"
        entity = c.dominant if c.dominant is not None else None
        rule = policy.rule_for(c.name, kind, entity)
        engine = engine_rules.rule_for(c.name, kind, entity)
        overridden = c.name in policy.columns and rule.action is not engine.action
        if overridden and rule.action is Action.keep and not (rule.reason or "").strip():
            raise InvalidInput(
                f"column '{c.name}': keeping a column the engine would {engine.action.value} needs a reason",
                code="override_needs_reason",
            )
        columns.append(
            ColumnPlan(
                c.name,
                kind,
                rule,
                entity,
                qi_type,
                evidence=c.evidence,
                engine_action=engine.action if overridden else None,
            )
        )
    qi = [
        c.name for c in columns if c.kind is ColumnKind.quasi_identifier and c.rule.action is not Action.drop
    ]
    sensitive = [
        c.name for c in columns if c.kind is ColumnKind.sensitive and c.rule.action is not Action.drop
    ]
    plan = Plan(columns=columns, quasi_identifiers=qi, sensitive=sensitive, aggregate=report.aggregate)
    plan.levels = {
        c.name: _start_level(c) for c in columns if c.name in qi and c.rule.action is Action.generalise
    }
    return plan


def _reduce(expr: pl.Expr, qi_type: str, level: int, dtype: pl.DataType | None = None) -> pl.Expr:
    """A representative of ``expr`` at ``level`` that still generalises correctly to higher
    levels (first day of the month/year, lower bound of the band, KATO prefix)."""
    if level <= 0 or qi_type in ("sex", "categorical"):
        return generalise_expr(expr, qi_type, level, dtype)
    if level >= MAX_LEVEL.get(qi_type, 1):
        return generalise_expr(expr, qi_type, level, dtype)
    if qi_type == "date":
        d = parse_date(expr, dtype)
        every = {1: "1mo", 2: "1y", 3: "1y", 4: "1y"}[level]
        return d.dt.truncate(every).dt.strftime("%Y-%m-%d")
    if qi_type in ("age", "number"):
        width = ({1: 5, 2: 10, 3: 20} if qi_type == "age" else {1: 10, 2: 100, 3: 1000})[level]
        n = expr.cast(pl.String).str.replace_all(r"\s", "").cast(pl.Float64, strict=False)
        return ((n // width) * width).cast(pl.Int64).cast(pl.String)
    return generalise_expr(expr, qi_type, level, dtype)


def _reduce_as(qi_type: str, level: int, expr: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    return _reduce(expr, qi_type, level, dtype)


def _generalise_as(qi_type: str, level: int, expr: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    return generalise_expr(expr, qi_type, level, dtype)


def per_value(values: pl.Series, expr_of: Callable[[pl.Expr, pl.DataType], pl.Expr]) -> pl.Series:
    """``expr_of(column, dtype)`` evaluated on ``values``; once per distinct value when values
    repeat (a column of birth dates or districts), the results joined back to the rows."""
    name = values.name
    frame = values.to_frame()
    distinct = values.unique()
    if distinct.len() * 2 > values.len():
        return frame.select(expr_of(pl.col(name), values.dtype).alias(name)).to_series()
    out = internal_name("__out", [name])
    mapping = distinct.to_frame().with_columns(expr_of(pl.col(name), values.dtype).alias(out))
    joined = frame.join(mapping, on=name, how="left", nulls_equal=True, maintain_order="left")
    return joined[out].alias(name)


def _generalised(frame: pl.DataFrame, plan: Plan, levels: dict[str, int]) -> list[pl.Expr]:
    return [
        generalise_expr(pl.col(name), plan.column(name).qi_type or "categorical", levels.get(name, 0)).alias(
            name
        )
        for name in plan.quasi_identifiers
    ]


def fit_generalisation(
    plan: Plan, policy: Policy, qi_batches: Iterable[pl.DataFrame | pa.Table | pa.RecordBatch]
) -> Plan:
    """Pass 1: raise generalisation levels until at most ``policy.max_suppression`` of the
    records sit in classes smaller than ``policy.k``; remember the classes left to suppress.

    ``qi_batches`` need hold only the quasi-identifier columns (more are ignored)."""
    qi = plan.quasi_identifiers
    if not qi:
        return plan
    start = dict(plan.levels)
    n = internal_name("n", qi)  # the class size, next to quasi-identifiers that may be called "n"
    parts: list[pl.DataFrame] = []
    rows = 0
    for batch in qi_batches:
        frame = as_polars(batch).select(qi)
        rows += frame.height
        reduced = pl.DataFrame(
            [
                per_value(
                    frame[q], partial(_reduce_as, plan.column(q).qi_type or "categorical", start.get(q, 0))
                )
                for q in qi
            ]
        )
        parts.append(reduced.group_by(qi).len(n))
        if len(parts) >= _MERGE_EVERY:
            parts = [pl.concat(parts).group_by(qi).agg(pl.col(n).sum())]
    if not parts:
        return replace(plan, rows_in=0)
    combos = pl.concat(parts).group_by(qi).agg(pl.col(n).sum())
    levels = dict(start)
    adjustable = [n for n in qi if plan.column(n).rule.action is Action.generalise]
    while True:
        gen = combos.select([*_generalised(combos, plan, levels), pl.col(n)])
        classes = gen.group_by(qi).agg(pl.col(n).sum())
        small = classes.filter(pl.col(n) < policy.k)
        share = float(small[n].sum()) / rows if rows else 0.0
        if share <= policy.max_suppression:
            break
        # raise the column with the most distinct values that can still go up
        candidates = [
            q
            for q in adjustable
            if levels.get(q, 0) < MAX_LEVEL.get(plan.column(q).qi_type or "categorical", 1)
        ]
        if not candidates:
            break
        distinct = {q: gen[q].n_unique() for q in candidates}
        target = max(candidates, key=lambda q: distinct[q])
        levels[target] = levels.get(target, 0) + 1
    return replace(plan, levels=levels, rare=small.select(qi), rows_in=rows)


def transform_batch(
    batch: pl.DataFrame | pa.Table | pa.RecordBatch,
    plan: Plan,
    policy: Policy,
    secret: bytes,
    scope: str,
) -> pl.DataFrame:
    """Pass 2 on one batch: apply every column's transform and drop suppressed records."""
    frame = as_polars(batch)
    out: list[pl.Series] = []
    for col in plan.columns:
        if col.name not in frame.columns:
            raise InvalidInput(f"column '{col.name}' is missing from a batch")
        values = frame[col.name]
        action = col.rule.action
        if action is Action.drop:
            continue
        if action is Action.keep:
            out.append(values)
        elif action is Action.mask:
            out.append(mask(values, col.entity))
        elif action is Action.pseudonymise:
            out.append(pseudonymise(values, secret, scope))
        elif action is Action.redact:
            found = detect_column(values, entities=policy.redact_entities, min_score=policy.min_score)
            out.append(redact(values, found))
        elif action is Action.generalise:
            level = plan.levels.get(col.name, _start_level(col))
            qi_type = col.qi_type or "categorical"
            out.append(per_value(values, partial(_generalise_as, qi_type, level)))
    result = pl.DataFrame(out)
    if plan.rare is not None and plan.rare.height and plan.quasi_identifiers:
        flag = internal_name("__rare", result.columns)
        rare = plan.rare.with_columns(pl.lit(True).alias(flag))
        result = (
            result.join(rare, on=plan.quasi_identifiers, how="left", nulls_equal=True)
            .filter(pl.col(flag).is_null())
            .drop(flag)
        )
    return result


def finish_assessment(plan: Plan, policy: Policy, acc: RiskAccumulator, rows_in: int) -> Assessment:
    """The assessment of the whole output, with the tier's rules checked."""
    a = Assessment(tier=policy.tier, k_target=policy.k, rows_in=rows_in)
    acc.fill(a)
    a.records_suppressed = rows_in - a.rows_out
    kept = [c for c in plan.columns if c.rule.action is not Action.drop]
    a.cells_suppressed = a.records_suppressed * len(kept)
    a.dropped_columns = [c.name for c in plan.columns if c.rule.action is Action.drop]
    a.generalisation_levels = dict(plan.levels)
    for name, level in plan.levels.items():
        if level >= MAX_LEVEL.get(plan.column(name).qi_type or "categorical", 1):
            a.cells_suppressed += a.rows_out
    losses = [
        plan.levels.get(c.name, 0) / MAX_LEVEL.get(c.qi_type or "categorical", 1)
        for c in plan.columns
        if c.name in plan.quasi_identifiers
    ] + [1.0 for _ in a.dropped_columns]
    a.information_loss = sum(losses) / len(plan.columns) if plan.columns else 0.0
    return check_rules(a, allow_residual=policy.allow_residual_identifiers, l_target=policy.l_target)


def deidentify(
    table: pl.DataFrame | pa.Table, policy: Policy, secret: bytes, scope: str
) -> tuple[pl.DataFrame, Assessment]:
    """De-identify a table held in memory; returns the output and its assessment."""
    frame = as_polars(table)
    plan = plan_deidentification(frame, policy)
    plan = fit_generalisation(plan, policy, [frame.select(plan.quasi_identifiers)])
    out = transform_batch(frame, plan, policy, secret, scope)
    acc = plan.accumulator(policy)
    acc.observe(out)
    return out, finish_assessment(plan, policy, acc, frame.height)


def deidentify_stream(
    open_batches: Callable[[list[str] | None], Iterable[pa.RecordBatch]],
    policy: Policy,
    secret: bytes,
    scope: str,
    sink: Callable[[pa.RecordBatch], None],
    *,
    sample_rows: int = 20_000,
) -> Assessment:
    """De-identify a source too large for memory.

    ``open_batches(columns)`` must return a fresh iterator of record batches each time it is
    called, reading only ``columns`` when not None (it is called up to three times: sample,
    quasi-identifiers, everything). ``sink`` receives each output batch in order."""
    sample_parts: list[pl.DataFrame] = []
    got = 0
    for batch in open_batches(None):
        part = as_polars(batch)
        sample_parts.append(part.head(sample_rows - got))
        got += sample_parts[-1].height
        if got >= sample_rows:
            break
    if not sample_parts:
        raise InvalidInput("the input has no rows")
    plan = plan_deidentification(pl.concat(sample_parts, how="vertical_relaxed"), policy)
    if plan.quasi_identifiers:
        plan = fit_generalisation(plan, policy, open_batches(plan.quasi_identifiers))
    acc = plan.accumulator(policy)
    rows_in = 0
    for batch in open_batches(None):
        rows_in += batch.num_rows
        out = transform_batch(batch, plan, policy, secret, scope)
        acc.observe(out)
        sink(
            out.to_arrow().to_batches()[0]
            if out.height
            else pa.RecordBatch.from_pylist([], schema=out.to_arrow().schema)
        )
    return finish_assessment(plan, policy, acc, rows_in)
