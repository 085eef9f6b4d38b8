"""The PERSON detector skips cells that cannot hold a name token (``names._UPPER_TOKEN`` /
``names._LOWER_TOKEN``); that prefilter must be a superset of what the tokenizer accepts."""

from __future__ import annotations

import random

import polars as pl

from qazai.privacy import names

_ALPHABET = list("АбвЕжзИйкЛмнҰұқҚәӘіІөӨүҮңAbcdEfgKZ0123456789") + list(
    " \t\n.-'’,;:«»()[]!?…/\\|*•–—\"@_+\u00a0"
)


def _cells(seed: int, n: int) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        k = rng.randint(1, 14)
        out.append("".join(rng.choice(_ALPHABET) for _ in range(k)))
    out += [
        "KZ07 237J 283F EFC6",
        "ivan.petrov@mail.kz",
        "Иван Петров",
        "А.Б. Ким",
        "«Жұмабаев»,",
        "бекзат ұлы",
    ]
    return out


def test_every_cell_with_a_name_token_passes_the_prefilter() -> None:
    cells = _cells(3, 20_000)
    frame = pl.DataFrame({"text": cells}).with_row_index("row")
    token_rows = set(names.word_tokens(frame)["row"].to_list())
    passes = frame.select(
        pl.col("text").str.contains(names._UPPER_TOKEN)
        | pl.col("text").str.contains(names._SEPARATE_PATRONYMIC)
    )["text"].to_list()
    missed = [cells[r] for r in token_rows if not passes[r]]
    assert missed == []
    assert sum(passes) < len(cells)  # it does filter

    lower = frame.filter(~pl.col("text").str.contains(r"\p{Lu}"))
    titled = lower.with_columns(pl.col("text").str.to_titlecase())
    lower_rows = set(names.word_tokens(titled)["row"].to_list())
    ok = dict(
        zip(lower["row"].to_list(), lower["text"].str.contains(names._LOWER_TOKEN).to_list(), strict=True)
    )
    assert [cells[r] for r in lower_rows if not ok[r]] == []
