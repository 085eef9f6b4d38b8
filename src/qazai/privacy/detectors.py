"""Cell-level detection over a whole string column at once.

``detect_column`` is the hot path: one Rust regex pass per pattern over the column (after a
cheap prefilter), vectorised validation (checksums, dates), context scoring from the words just
before and after each match, then overlap resolution - all Polars expressions, no per-cell loop.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import polars as pl

from qazai.privacy.checksums import iban_mask, luhn_mask, twelve_digit_kind
from qazai.privacy.entities import Entity
from qazai.privacy.names import detect_persons
from qazai.privacy.patterns import NEGATIVE_AFTER, NEGATIVE_BEFORE, PATTERNS, POSITIVE_AFTER, POSITIVE_CONTEXT
from qazai.privacy.spans import clean_text, find_spans

FINDING_SCHEMA: dict[str, pl.DataType] = {
    "row": pl.UInt32(),
    "start": pl.Int64(),
    "end": pl.Int64(),
    "entity": pl.String(),
    "score": pl.Float64(),
}

#: A column is scanned by distinct value when at most this share of its cells are distinct.
DEDUPE_SHARE = 0.8

#: Reported only at or above this score.
MIN_SCORE = 0.5

_BASE_SCORE: dict[Entity, float] = {
    Entity.IIN: 0.85,
    Entity.BIN: 0.8,
    Entity.IBAN_KZ: 0.95,
    Entity.CARD: 0.85,
    Entity.PHONE_KZ: 0.85,
    Entity.EMAIL: 0.95,
    Entity.IP: 0.6,
    Entity.PASSPORT_KZ: 0.65,
    Entity.ID_CARD_KZ: 0.3,  # needs context
    Entity.VEHICLE_PLATE_KZ: 0.6,
    Entity.ADDRESS: 0.85,
    Entity.DATE_OF_BIRTH: 0.3,  # needs context
}

#: Where two findings overlap, the more specific entity wins (lower number), then the score.
SPECIFICITY: dict[str, int] = {
    e.value: i
    for i, e in enumerate(
        [
            Entity.IBAN_KZ,
            Entity.IIN,
            Entity.BIN,
            Entity.CARD,
            Entity.EMAIL,
            Entity.PHONE_KZ,
            Entity.ADDRESS,
            Entity.DATE_OF_BIRTH,
            Entity.PASSPORT_KZ,
            Entity.VEHICLE_PLATE_KZ,
            Entity.ID_CARD_KZ,
            Entity.IP,
            Entity.PERSON,
        ]
    )
}


def empty_findings() -> pl.DataFrame:
    return pl.DataFrame(schema=FINDING_SCHEMA)


def _digits(expr: pl.Expr) -> pl.Expr:
    return expr.str.replace_all(r"[^0-9]", "")


def _validate(entity: Entity, spans: pl.DataFrame) -> pl.DataFrame:
    """Keep valid candidates and attach ``entity``; IIN/BIN candidates are split here."""
    m = pl.col("match")
    if entity is Entity.IIN:
        digits = spans.select(_digits(m).alias("d"))
        return spans.with_columns(twelve_digit_kind(digits, "d").alias("entity")).drop_nulls("entity")
    if entity is Entity.CARD:
        digits = spans.select(_digits(m).alias("d"))
        ok = (
            digits["d"].str.len_chars().is_between(13, 19)
            & luhn_mask(digits, "d")
            & ~digits["d"].str.contains("^0+$")
        )
        return spans.filter(ok).with_columns(pl.lit(entity.value).alias("entity"))
    if entity is Entity.PHONE_KZ:
        d = _digits(m)
        return spans.filter(d.str.len_chars() == 11).with_columns(pl.lit(entity.value).alias("entity"))
    if entity is Entity.IBAN_KZ:
        compact = spans.select(m.str.replace_all(r"\s", "").str.to_uppercase().alias("c"))
        return spans.filter(iban_mask(compact, "c")).with_columns(pl.lit(entity.value).alias("entity"))
    return spans.with_columns(pl.lit(entity.value).alias("entity"))


def _score(spans: pl.DataFrame, header_hints: frozenset[Entity]) -> pl.DataFrame:
    """Base score per entity, raised by context words or a matching header, lowered by
    order-number/amount context. Context is evaluated once per distinct (entity, before, after)."""
    keys = ["entity", "before", "after"]
    spans = spans.with_columns(pl.col("before").fill_null(""), pl.col("after").fill_null(""))
    distinct = _score_distinct(spans.select(keys).unique(), header_hints)
    return spans.join(distinct, on=keys, how="left", nulls_equal=True)


def _score_distinct(spans: pl.DataFrame, header_hints: frozenset[Entity]) -> pl.DataFrame:
    low = spans.with_columns(
        pl.col("before").fill_null("").str.to_lowercase().alias("_b"),
        pl.col("after").fill_null("").str.to_lowercase().alias("_a"),
    )
    parts: list[pl.DataFrame] = []
    # one partition per entity, so each row is tested against its own entity's words only
    for (value,), part in low.partition_by("entity", as_dict=True).items():
        ent = Entity(str(value))
        positive = pl.lit(False)
        if ent in POSITIVE_CONTEXT:
            positive = positive | pl.col("_b").str.contains(POSITIVE_CONTEXT[ent])
        if ent in POSITIVE_AFTER:
            positive = positive | pl.col("_a").str.contains(POSITIVE_AFTER[ent])
        negative = pl.col("_b").str.contains(NEGATIVE_BEFORE) | pl.col("_a").str.contains(NEGATIVE_AFTER)
        parts.append(part.with_columns(positive.alias("_pos"), negative.alias("_neg")))
    staged = pl.concat(parts)
    entity = pl.col("entity")
    positive, negative = pl.col("_pos"), pl.col("_neg")
    base = entity.replace_strict({e.value: s for e, s in _BASE_SCORE.items()}, default=0.5)
    header = entity.is_in([e.value for e in header_hints]) if header_hints else pl.lit(False)
    context_only = entity.is_in([Entity.ID_CARD_KZ.value, Entity.DATE_OF_BIRTH.value])
    score = (
        pl.when(header)
        .then(pl.max_horizontal(base + 0.15, pl.lit(0.9)))
        .when(positive & context_only)
        .then(pl.lit(0.85))
        .when(positive)
        .then(base + 0.1)
        .otherwise(base)
    )
    score = pl.when(negative & ~positive & ~header).then(score - 0.45).otherwise(score)
    return staged.select("entity", "before", "after", score.clip(0.0, 1.0).alias("score"))


def resolve_overlaps(findings: pl.DataFrame) -> pl.DataFrame:
    """Keep, of any two overlapping findings in one cell, the more specific (then higher-scored,
    then longer) one."""
    if findings.height < 2:
        return findings
    ranked = findings.with_columns(
        pl.col("entity").replace_strict(SPECIFICITY, default=99).alias("_spec"),
        pl.int_range(pl.len(), dtype=pl.UInt32).alias("_id"),
    )
    multi = ranked.filter(pl.len().over("row") > 1)
    if multi.height == 0:
        return findings
    pairs = multi.join(multi, on="row", suffix="_o").filter(
        (pl.col("_id") != pl.col("_id_o"))
        & (pl.col("start") < pl.col("end_o"))
        & (pl.col("start_o") < pl.col("end"))
        & (
            (pl.col("_spec_o") < pl.col("_spec"))
            | ((pl.col("_spec_o") == pl.col("_spec")) & (pl.col("score_o") > pl.col("score")))
            | (
                (pl.col("_spec_o") == pl.col("_spec"))
                & (pl.col("score_o") == pl.col("score"))
                & ((pl.col("end_o") - pl.col("start_o")) > (pl.col("end") - pl.col("start")))
            )
            | (
                (pl.col("_spec_o") == pl.col("_spec"))
                & (pl.col("score_o") == pl.col("score"))
                & ((pl.col("end_o") - pl.col("start_o")) == (pl.col("end") - pl.col("start")))
                & (pl.col("_id_o") < pl.col("_id"))
            )
        )
    )
    losers = pairs.select("_id").unique()
    return ranked.join(losers, on="_id", how="anti").drop("_spec", "_id")


@dataclass(frozen=True)
class ColumnInput:
    """One column to scan: its values, the entities its header suggests (they raise scores and
    enable context-only detectors) and whether the header names places (PERSON discounted)."""

    values: pl.Series
    header_hints: frozenset[Entity] = frozenset()
    place_column: bool = False


def detect_column(
    values: pl.Series,
    *,
    header_hints: Iterable[Entity] = (),
    entities: Iterable[Entity] | None = None,
    min_score: float = MIN_SCORE,
    place_column: bool = False,
) -> pl.DataFrame:
    """Findings in one column: a frame ``row, start, end, entity, score`` sorted by row/start.

    ``values`` is cast to string; nulls are skipped. ``header_hints`` are the entities the
    column header suggests (they raise scores and enable context-only detectors); ``entities``
    limits which detectors run. ``place_column`` says the header names places (region, river,
    lake): PERSON evidence is discounted there.
    """
    column = ColumnInput(values, frozenset(header_hints), place_column)
    return detect_columns([column], entities=entities, min_score=min_score)[0]


@dataclass
class _Work:
    """A column in flight: the cells still to search and the findings so far."""

    frame: pl.DataFrame  # row, text[, count], _len, _digit, _at
    hints: frozenset[Entity]
    place_column: bool
    mapping: pl.DataFrame | None  # distinct-value row -> the rows holding it
    parts: list[pl.DataFrame] = field(default_factory=list)


def _prepare(column: ColumnInput) -> _Work | None:
    text = column.values.cast(pl.String, strict=False)
    frame = (
        pl.DataFrame({"text": text})
        .with_row_index("row")
        .drop_nulls("text")
        .with_columns(clean_text(pl.col("text")))
    )
    if frame.height == 0:
        return None
    # Detection is a function of the cell text alone (the place-column vote is weighted by
    # ``count``), so each distinct value is scanned once and its findings are copied to every
    # row holding it: real columns (names, cities, codes) repeat a lot.
    # (a column of nearly all distinct values - IINs, phones - skips the grouping; counting the
    # distinct values is one hash pass, a few milliseconds per 100,000 cells)
    mapping = None
    if frame["text"].n_unique() <= DEDUPE_SHARE * frame.height:
        groups = frame.group_by("text", maintain_order=True).agg(pl.col("row").alias("rows"))
        mapping = groups.select(pl.int_range(pl.len(), dtype=pl.UInt32).alias("row"), "rows")
        frame = groups.select(
            pl.int_range(pl.len(), dtype=pl.UInt32).alias("row"),
            "text",
            pl.col("rows").list.len().cast(pl.Int64).alias("count"),
        )
    frame = frame.with_columns(
        pl.col("text").str.len_chars().cast(pl.Int64).alias("_len"),
        pl.col("text").str.contains(r"[0-9]").alias("_digit"),
        pl.col("text").str.contains("@", literal=True).alias("_at"),
    )
    return _Work(frame, column.header_hints, column.place_column, mapping)


def _whole_rows(frame: pl.DataFrame, found: pl.DataFrame) -> pl.Series:
    """Rows of ``frame`` that one finding of ``found`` spans from end to end."""
    whole = found.filter(pl.col("start") == 0).select("row", "end")
    if whole.height == 0:
        return pl.Series("row", [], dtype=pl.UInt32)
    return whole.join(frame.select("row", pl.col("_len").alias("end")), on=["row", "end"], how="semi")["row"]


#: Pattern detectors from the most to the least specific entity (see ``SPECIFICITY``).
_BY_SPECIFICITY = tuple(sorted(PATTERNS, key=lambda spec: SPECIFICITY[spec.entity.value]))


def detect_columns(
    columns: Sequence[ColumnInput],
    *,
    entities: Iterable[Entity] | None = None,
    min_score: float = MIN_SCORE,
) -> list[pl.DataFrame]:
    """Findings in each of ``columns`` (as :func:`detect_column` gives them), in one sweep.

    Detectors run from the most specific entity down. A cell that one reported finding covers
    from end to end (an IIN column, an e-mail column) is not searched by the later detectors:
    anything they found there would overlap that finding and lose to it in
    ``resolve_overlaps``, so the result is the same and identifier columns cost one pass.

    The loop runs detector by detector over all the columns, not column by column: Polars keeps
    only the 32 most recently compiled regexes (per thread), fewer than one sweep uses, so
    column-by-column every regex would be compiled again for every column (about 60 ms each
    time) - which dominated small tables."""
    wanted = frozenset(entities) if entities is not None else frozenset(Entity)
    names = [e.value for e in wanted]
    work = [_prepare(column) for column in columns]
    live = [w for w in work if w is not None]
    for spec in _BY_SPECIFICITY:
        if spec.entity not in wanted and not (spec.entity is Entity.IIN and Entity.BIN in wanted):
            continue
        for w in live:
            if w.frame.height == 0:
                continue
            source = w.frame.filter("_digit") if spec.needs == "digit" else w.frame
            source = source.filter("_at") if spec.needs == "at" else source
            if source.height == 0:
                continue
            spans = find_spans(source, spec.regex, lead=spec.lead)
            if spans.height == 0:
                continue
            valid = _validate(spec.entity, spans)
            if valid.height == 0:
                continue
            scored = _score(valid, w.hints).select(list(FINDING_SCHEMA))
            scored = scored.filter(pl.col("entity").is_in(names) & (pl.col("score") >= min_score))
            if scored.height:
                w.parts.append(scored)
                covered = _whole_rows(w.frame, scored)
                if covered.len():
                    w.frame = w.frame.filter(~pl.col("row").is_in(covered.implode()))
    if Entity.PERSON in wanted:
        for w in live:
            if w.frame.height:
                persons = detect_persons(
                    w.frame.drop("_len", "_digit", "_at"),
                    header_is_name=Entity.PERSON in w.hints,
                    place_column=w.place_column,
                )
                w.parts.append(persons.filter(pl.col("score") >= min_score))
    return [_finish(w) if w is not None else empty_findings() for w in work]


def _finish(w: _Work) -> pl.DataFrame:
    found = pl.concat(w.parts) if w.parts else empty_findings()
    found = resolve_overlaps(found)
    if w.mapping is not None:
        found = found.join(w.mapping, on="row").drop("row").explode("rows").rename({"rows": "row"})
    return found.select(list(FINDING_SCHEMA)).sort("row", "start").cast(FINDING_SCHEMA)  # type: ignore[arg-type]
