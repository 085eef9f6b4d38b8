"""Exact character spans of every regex match in a string column, without a Python loop.

The trick: ``replace_all(pattern, "\\x00$0\\x00")`` wraps each match in NUL marks; splitting on
NUL gives the pieces ``[before, match, between, match, ..., after]``, and a cumulative sum of
their lengths gives each match's offsets. Input text never contains NUL (callers replace it), so
the marks are unambiguous. The gap pieces are kept as left/right context windows.
"""

from __future__ import annotations

import polars as pl

MARK = "\x00"
CONTEXT_CHARS = 40

SPAN_SCHEMA: dict[str, pl.DataType] = {
    "row": pl.UInt32(),
    "start": pl.Int64(),
    "end": pl.Int64(),
    "match": pl.String(),
    "before": pl.String(),
    "after": pl.String(),
}


def clean_text(expr: pl.Expr) -> pl.Expr:
    """NUL would collide with the span marks; a space keeps every offset unchanged."""
    return expr.str.replace_all(MARK, " ", literal=True)


def find_spans(
    frame: pl.DataFrame, pattern: str, *, lead: bool = False, keep: tuple[str, ...] = ()
) -> pl.DataFrame:
    """Spans of ``pattern`` in ``frame["text"]`` (rows keyed by ``frame["row"]``).

    ``lead=True`` means the pattern starts with one boundary character (``(?:^|[^\\p{L}])``)
    that is not part of the match and is cut off here. ``keep``: columns of ``frame`` carried to
    each span of its row.
    """
    # One pass finds each cell's first match (the same compiled regex as the split below).
    # Fast path for identifier columns: a cell whose first match is the whole cell is exactly
    # one match and needs no splitting.
    first = pl.col("text").str.extract(pattern, 0)
    candidates = frame.with_columns(first.alias("_first")).filter(pl.col("_first").is_not_null())
    if candidates.height == 0:
        return pl.DataFrame(schema=SPAN_SCHEMA)
    marked = candidates.with_columns((pl.col("_first") == pl.col("text")).alias("_whole")).drop("_first")
    whole = marked.filter(pl.col("_whole")).select(
        "row",
        *keep,
        pl.lit(0, dtype=pl.Int64).alias("start"),
        pl.col("text").str.len_chars().cast(pl.Int64).alias("end"),
        pl.col("text").alias("match"),
        pl.lit("").alias("before"),
        pl.lit("").alias("after"),
    )
    hits = marked.filter(~pl.col("_whole")).drop("_whole")
    if hits.height == 0:
        return whole.cast(SPAN_SCHEMA)  # type: ignore[arg-type]
    pieces = (
        hits.select(
            "row",
            *keep,
            pl.col("text").str.replace_all(pattern, MARK + "${0}" + MARK).str.split(MARK).alias("p"),
        )
        .with_columns(pl.int_ranges(pl.col("p").list.len(), dtype=pl.UInt32).alias("i"))
        .explode("p", "i")
        .with_columns(pl.col("p").str.len_chars().cast(pl.Int64).alias("n"))
        # end offsets: a running sum over the exploded pieces minus the sum where the cell
        # began (a cell's pieces are adjacent; no per-cell window needed)
        .with_columns(pl.col("n").cum_sum().alias("_cum"))
        .with_columns(
            (
                pl.col("_cum") - pl.when(pl.col("i") == 0).then(pl.col("_cum") - pl.col("n")).forward_fill()
            ).alias("end")
        )
        .with_columns(
            pl.col("p").shift(1).str.slice(-CONTEXT_CHARS).alias("before"),
            pl.col("p").shift(-1).str.slice(0, CONTEXT_CHARS).alias("after"),
        )
        .filter(pl.col("i") % 2 == 1)
        .select(
            "row",
            *keep,
            (pl.col("end") - pl.col("n")).alias("start"),
            "end",
            pl.col("p").alias("match"),
            "before",
            "after",
        )
    )
    if lead:
        stripped = pl.col("match").str.replace(r"^[^\p{L}\p{N}+]", "")
        cut = pl.col("match").str.len_chars().cast(pl.Int64) - stripped.str.len_chars().cast(pl.Int64)
        pieces = pieces.with_columns(
            (pl.col("start") + cut).alias("start"),
            stripped.alias("match"),
            (pl.col("before") + pl.col("match").str.slice(0, cut)).alias("before"),
        )
    pieces = pieces.filter(pl.col("match").str.len_chars() > 0).cast(SPAN_SCHEMA)  # type: ignore[arg-type]
    return pl.concat([whole.cast(SPAN_SCHEMA), pieces]) if whole.height else pieces  # type: ignore[arg-type]
