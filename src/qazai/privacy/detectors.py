"""Cell-level detection over a whole string column at once.

``detect_column`` is the hot path: one Rust regex pass per pattern over the column (after a
cheap prefilter), vectorised validation (checksums, dates), context scoring from the words just
before and after each match, then overlap resolution - all Polars expressions, no per-cell loop.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

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


#: Number-shaped entities: a candidate that is the fraction or the integer part of a decimal
#: number (``1.40220260580143``, ``3 909,62``) is a measurement, not an identifier.
_NUMBER_SHAPED = frozenset(
    {Entity.IIN, Entity.CARD, Entity.PHONE_KZ, Entity.ID_CARD_KZ, Entity.IP, Entity.PASSPORT_KZ}
)


_POINTS = pl.Series([".", ","]).implode()
_DIGITS = pl.Series(list("0123456789")).implode()


def _not_decimal_part(spans: pl.DataFrame) -> pl.DataFrame:
    # one-character slices, not a regex: this runs on every number-shaped candidate
    before = pl.col("before").fill_null("")
    after = pl.col("after").fill_null("")
    decimal = (before.str.slice(-1).is_in(_POINTS) & before.str.slice(-2, 1).is_in(_DIGITS)) | (
        after.str.slice(0, 1).is_in(_POINTS) & after.str.slice(1, 1).is_in(_DIGITS)
    )
    return spans.filter(~decimal)


def _validate(entity: Entity, spans: pl.DataFrame) -> pl.DataFrame:
    """Keep valid candidates and attach ``entity``; IIN/BIN candidates are split here."""
    if entity in _NUMBER_SHAPED:
        spans = _not_decimal_part(spans)
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
        # 11 digits with the country or trunk prefix; 10 (a 7xx mobile) after a "phone" cue
        count = m.str.count_matches(r"\d")
        phone = (count == 11) | ((count == 10) & m.str.contains(r"^\D*7"))
        return spans.filter(phone).with_columns(pl.lit(entity.value).alias("entity"))
    if entity is Entity.ADDRESS:
        # "площадь 1316 кв. м.": an area, not a square and a house number
        after = pl.col("after").fill_null("").str.to_lowercase()
        spans = spans.filter(~after.str.contains(r"^\s*(?:кв\.?\s*м|м2|м²|га\b|sq\b|кв\.?\s*км)"))
    if entity is Entity.IBAN_KZ:
        compact = spans.select(m.str.replace_all(r"\s", "").str.to_uppercase().alias("c"))
        return spans.filter(iban_mask(compact, "c")).with_columns(pl.lit(entity.value).alias("entity"))
    return spans.with_columns(pl.lit(entity.value).alias("entity"))


def _score(spans: pl.DataFrame) -> pl.DataFrame:
    """Base score per entity, raised by context words or a matching header (``_hinted``: the
    column header names this entity), lowered by order-number/amount context. Context is
    evaluated once per distinct (entity, before, after, hinted)."""
    keys = ["entity", "before", "after", "_hinted"]
    spans = spans.with_columns(pl.col("before").fill_null(""), pl.col("after").fill_null(""))
    distinct = _score_distinct(spans.select(keys).unique())
    return spans.join(distinct, on=keys, how="left", nulls_equal=True)


def _score_distinct(spans: pl.DataFrame) -> pl.DataFrame:
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
    header = pl.col("_hinted")
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
    return staged.select("entity", "before", "after", "_hinted", score.clip(0.0, 1.0).alias("score"))


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


@dataclass(frozen=True)
class _Prepared:
    """A column ready to scan: its cells (``row``, ``text``, ``count``: rows per distinct text)
    and, when it was grouped by distinct value, which rows hold each one."""

    frame: pl.DataFrame
    mapping: pl.DataFrame | None


def _prepare(column: ColumnInput) -> _Prepared | None:
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
    if frame["text"].n_unique() <= DEDUPE_SHARE * frame.height:
        groups = frame.group_by("text", maintain_order=True).agg(pl.col("row").alias("rows"))
        mapping = groups.select(pl.int_range(pl.len(), dtype=pl.UInt32).alias("row"), "rows")
        frame = groups.select(
            pl.int_range(pl.len(), dtype=pl.UInt32).alias("row"),
            "text",
            pl.col("rows").list.len().cast(pl.Int64).alias("count"),
        )
        return _Prepared(frame, mapping)
    return _Prepared(frame.with_columns(pl.lit(1, dtype=pl.Int64).alias("count")), None)


#: Pattern detectors from the most to the least specific entity (see ``SPECIFICITY``).
_BY_SPECIFICITY = tuple(sorted(PATTERNS, key=lambda spec: SPECIFICITY[spec.entity.value]))

#: Columns are stacked into one frame until it holds this many cells. Small columns gain most
#: (fixed costs per Polars call and per regex compile are paid once for all of them); a large
#: column is scanned on its own, which measured faster (less data moved by every filter).
STACK_CELLS = 65_536


def detect_columns(
    columns: Sequence[ColumnInput],
    *,
    entities: Iterable[Entity] | None = None,
    min_score: float = MIN_SCORE,
) -> list[pl.DataFrame]:
    """Findings in each of ``columns`` (as :func:`detect_column` gives them), in one sweep.

    Small columns' cells are stacked into one frame (each keeps its column's header hints and
    place flag; see ``STACK_CELLS``), so every detector runs once over all of them: a small
    table costs a few dozen Polars calls instead of a few dozen per column, and no regex is
    compiled once per column (Polars keeps only the 32 most recently used per thread, fewer
    than one sweep needs).

    Detectors run from the most specific entity down. A cell that one reported finding covers
    from end to end (an IIN column, an e-mail column) is not searched by the later detectors:
    anything they found there would overlap that finding and lose to it in
    ``resolve_overlaps``, so the result is the same and identifier columns cost one pass."""
    wanted = frozenset(entities) if entities is not None else frozenset(Entity)
    prepared = [_prepare(column) for column in columns]
    results = [empty_findings() for _ in columns]
    batch: list[int] = []
    cells = 0
    for i, prep in enumerate(prepared):
        if prep is None:
            continue
        if batch and cells + prep.frame.height > STACK_CELLS:
            _detect_stacked(batch, columns, prepared, wanted, min_score, results)
            batch, cells = [], 0
        batch.append(i)
        cells += prep.frame.height
    if batch:
        _detect_stacked(batch, columns, prepared, wanted, min_score, results)
    return results


def _cut_cue(spans: pl.DataFrame, cue: str) -> pl.DataFrame:
    """Move the context word a pattern matched to be sure (``тел: ``) from the span into its
    left context: the span is the identifier alone."""
    stripped = pl.col("match").str.replace(cue, "")
    cut = pl.col("match").str.len_chars().cast(pl.Int64) - stripped.str.len_chars().cast(pl.Int64)
    return spans.with_columns(
        (pl.col("start") + cut).alias("start"),
        (pl.col("before").fill_null("") + pl.col("match").str.slice(0, cut)).alias("before"),
        stripped.alias("match"),
    )


def _drop_chance_numbers(valid: pl.DataFrame, stacked: pl.DataFrame) -> pl.DataFrame:
    """A whole-cell number in a column of statistics passes a checksum by chance (1 in 10 for
    IIN/BIN or Luhn): without a header saying so it is a count or a sum. Columns where most cells
    are such findings are identifier columns and need no look."""
    whole = (pl.col("start") == 0) & (pl.col("end") == pl.col("_len"))
    candidates = valid.filter(whole & ~pl.col("_hinted"))
    if candidates.height == 0:
        return valid
    weights = stacked.select("row", "count")
    per_column = candidates.join(weights, on="row").group_by("_col").agg(pl.col("count").sum().alias("_hit"))
    totals = (
        stacked.filter(pl.col("_col").is_in(per_column["_col"].implode()))
        .group_by("_col")
        .agg(pl.col("count").sum().alias("_all"))
    )
    sparse = per_column.join(totals, on="_col").filter(pl.col("_hit") < 0.5 * pl.col("_all"))["_col"]
    if sparse.len() == 0:
        return valid
    statistics = _statistics_columns(stacked.filter(pl.col("_col").is_in(sparse.implode())))
    if statistics.len() == 0:
        return valid
    return valid.filter(~(whole & pl.col("_col").is_in(statistics.implode()) & ~pl.col("_hinted")))


def _statistics_columns(stacked: pl.DataFrame) -> pl.Series:
    """The ``_col`` of stacked columns that hold statistics: nearly every cell a number, and not
    shaped like one identifier (an identifier has a fixed length: most cells of an IIN, phone or
    card column have the same 10-19 digits; counts and sums vary in length)."""
    text = pl.col("text").str.strip_chars()
    numbers = stacked.with_columns(
        text.str.contains(r"^[+\-]?[\d\s\u00a0.,]+$").alias("_number"),
        text.str.replace_all(r"[^0-9]", "").str.len_chars().alias("_digits"),
    )
    per_column = numbers.group_by("_col").agg(
        (pl.col("_number").cast(pl.Int64) * pl.col("count")).sum().alias("_n"),
        pl.col("count").sum().alias("_all"),
    )
    shaped = (
        numbers.filter(pl.col("_digits").is_between(10, 19))
        .group_by("_col", "_digits")
        .agg(pl.col("count").sum().alias("_same"))
        .group_by("_col")
        .agg(pl.col("_same").max())
    )
    per_column = per_column.join(shaped, on="_col", how="left").with_columns(pl.col("_same").fill_null(0))
    return per_column.filter(
        (pl.col("_n") >= 0.8 * pl.col("_all")) & (pl.col("_same") < 0.5 * pl.col("_all"))
    )["_col"]


def _detect_stacked(
    batch: list[int],
    columns: Sequence[ColumnInput],
    prepared: list[_Prepared | None],
    wanted: frozenset[Entity],
    min_score: float,
    results: list[pl.DataFrame],
) -> None:
    """Scan the columns ``batch`` (indexes) stacked in one frame; write their findings into
    ``results``."""
    offsets: list[int] = []
    frames: list[pl.DataFrame] = []
    total = 0
    for k, i in enumerate(batch):
        prep = prepared[i]
        assert prep is not None
        offsets.append(total)
        frames.append(
            prep.frame.select(
                (pl.col("row").cast(pl.UInt32) + pl.lit(total, dtype=pl.UInt32)).alias("row"),
                "text",
                "count",
                pl.lit(k, dtype=pl.UInt32).alias("_col"),
            )
        )
        total += prep.frame.height
    stacked = pl.concat(frames).with_columns(
        pl.col("text").str.len_chars().cast(pl.Int64).alias("_len"),
        pl.col("text").str.contains(r"[0-9]").alias("_digit"),
        pl.col("text").str.contains("@", literal=True).alias("_at"),
    )
    hinted = pl.DataFrame(
        [(k, e.value) for k, i in enumerate(batch) for e in columns[i].header_hints],
        schema={"_col": pl.UInt32, "entity": pl.String},
        orient="row",
    ).with_columns(pl.lit(True).alias("_hinted"))
    names = [e.value for e in wanted]
    remaining = stacked
    parts: list[pl.DataFrame] = []
    # each prefilter's cells, computed once and narrowed as findings cover cells (a filter of the
    # whole stack per detector cost more than some of the detectors)
    sources: dict[str, pl.DataFrame] = {}

    def source_for(needs: str) -> pl.DataFrame:
        if needs not in sources:
            if needs == "digit":
                sources[needs] = remaining.filter("_digit")
            elif needs == "at":
                sources[needs] = remaining.filter("_at")
            elif needs == "alnum":  # a digit and a letter: addresses, numbers after a cue word
                sources[needs] = source_for("digit").filter(pl.col("text").str.contains(r"\p{L}"))
            else:
                sources[needs] = remaining
        return sources[needs]

    for spec in _BY_SPECIFICITY:
        if spec.entity not in wanted and not (spec.entity is Entity.IIN and Entity.BIN in wanted):
            continue
        source = source_for(spec.needs)
        if source.height == 0:
            continue
        spans = find_spans(source, spec.regex, lead=spec.lead, keep=("_col", "_len"))
        if spans.height == 0:
            continue
        if spec.cue:
            spans = _cut_cue(spans, spec.cue)
        valid = _validate(spec.entity, spans)
        if valid.height == 0:
            continue
        if hinted.height:
            valid = valid.join(hinted, on=["_col", "entity"], how="left").with_columns(
                pl.col("_hinted").fill_null(False)
            )
        else:
            valid = valid.with_columns(pl.lit(False).alias("_hinted"))
        if spec.entity in _NUMBER_SHAPED or spec.entity is Entity.IIN:
            valid = _drop_chance_numbers(valid, stacked)
            if valid.height == 0:
                continue
        scored = _score(valid).select(*FINDING_SCHEMA, "_col", "_len")
        scored = scored.filter(pl.col("entity").is_in(names) & (pl.col("score") >= min_score))
        if scored.height:
            parts.append(scored.drop("_len"))
            # cells one finding covers from end to end
            covered = scored.filter((pl.col("start") == 0) & (pl.col("end") == pl.col("_len")))["row"]
            if covered.len():
                gone = ~pl.col("row").is_in(covered.implode())
                remaining = remaining.filter(gone)
                sources = {needs: frame.filter(gone) for needs, frame in sources.items()}
    if Entity.PERSON in wanted and remaining.height:
        flags = pl.DataFrame(
            {
                "_col": list(range(len(batch))),
                "header_is_name": [Entity.PERSON in columns[i].header_hints for i in batch],
                "place_column": [columns[i].place_column for i in batch],
            },
            schema={"_col": pl.UInt32, "header_is_name": pl.Boolean, "place_column": pl.Boolean},
        )
        persons = detect_persons(remaining.select("row", "text", "count", "_col"), flags)
        persons = persons.filter(pl.col("score") >= min_score)
        # the column of each row: rows are numbered column after column from ``offsets``
        starts = pl.Series(offsets, dtype=pl.UInt32)
        column = (starts.search_sorted(persons["row"], side="right") - 1).cast(pl.UInt32)
        parts.append(persons.with_columns(column.alias("_col")).select(*FINDING_SCHEMA, "_col"))
    if not parts:
        return
    found = resolve_overlaps(pl.concat(parts))
    for part in found.partition_by("_col"):
        k = int(part["_col"][0])
        i = batch[k]
        prep = prepared[i]
        assert prep is not None
        local = part.with_columns(pl.col("row") - pl.lit(offsets[k], dtype=pl.UInt32))
        if prep.mapping is not None:
            local = local.join(prep.mapping, on="row").drop("row").explode("rows").rename({"rows": "row"})
        results[i] = local.select(list(FINDING_SCHEMA)).sort("row", "start").cast(FINDING_SCHEMA)  # type: ignore[arg-type]
