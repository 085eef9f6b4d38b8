"""PERSON detection: Kazakh and Russian names in Cyrillic and Latin, vectorised over a column.

Capitalised tokens (and initials, and the separate words ``ұлы``/``қызы``) are cut out with
exact offsets, folded to a skeleton key (``lexicon.skeleton_expr``), and get features:
a given name of the shipped lists (also under Russian or Kazakh case endings), a surname or
patronymic by its ending (``-ов/-ев/-ин``, ``-ович/-овна``, ``-ұлы/-қызы`` and their Latin
spellings, with case endings), a word that is never a name. Adjacent name-like tokens form a
run; a run becomes a PERSON when its evidence is strong enough. A name alone that is also an
ordinary word (Арман, Вера) needs context.
"""

from __future__ import annotations

from functools import cache

import polars as pl

from qazai.privacy.lexicon import load_lexicon, skeleton_expr

# Case endings on the skeleton key (Russian nominal/adjectival, Kazakh case suffixes).
_CASE = (
    r"a|u|oi|om|im|e|i|iu|oiu|ih|imi|ga|ge|ka|ke|na|ne|nin|din|tin|di|ti|ni|da|de|ta|te|dan|"
    r"den|tan|ten|nan|nen|men|ben|pen|men|ia"
)
_SURNAME = rf"(?:[a-z]{{2,}}(?:ov|ev|[^ndt]in|bekov|baev))(?:{_CASE})?$"
# Russian adjectives and nouns in -овый/-евой/-овка/-ировать: "Кадастровый", "Транспортировка",
# "Вербовка", "металлов" share the -ов of surnames (a Kazakh case form of a surname has қ/ғ:
# "Ахметовқа", not к)
_NOT_SURNAME_ENDING = (
    r"(?:ов|ев|ин)(?:ый|ая|ое|ые|ых|ым|ого|ому|ой|ую|ыми)$|(?:ов|ев)к(?:а|и|у|ой|е)$|"
    r"(?:ов|ев)ани(?:е|я|ю|ем)$|ировк"
)
_ADJECTIVE = r"\p{L}{3,}(?:ых|ого|ому|ыми|ими|ая|яя|ое|ее|ые|ие|ый)$"
_SURNAME_WEAK = (
    rf"(?:[a-z]{{2,}}(?:skii|ski|skaia|cki|ckaia|enko|uk|iuk|ian|svili|dze|bai|bek|ova|eva))(?:{_CASE})?$"
)
_PATRONYMIC = (
    r"(?:[a-z]{2,}(?:ovic|evic))(?:a|u|em|e)?$|(?:[a-z]{2,}(?:ovn|evn|icn))(?:a|i|e|oi|u|oiu)$"
    r"|(?:[a-z]{2,}(?:uli|kizi))(?:na|nin|ga|ka|ne|ni|men)?$|^(?:uli|kizi)$"
)
_ENDINGS = [
    "a", "u", "e", "i", "om", "em", "oi", "ei", "ga", "ge", "ka", "ke", "na", "ne", "nin", "din",
    "tin", "di", "ti", "ni", "da", "de", "ta", "te", "dan", "den", "tan", "ten", "nan", "nen",
    "men", "ben", "pen", "in", "ia", "iu", "im", "ov", "ev", "ih", "ga", "mn", "ia",
]  # fmt: skip
_ADDRESS_PREV = (
    r"(?:^|[\s,(])(?:(?:к|м|ул|пр|д|г|обл|қ|а|р-н|мкр|көш|город\w*|сел[оа]|посёлок|поселок|река|реки|рекой|"
    r"улиц\w*|проспект\w*|бульвар\w*|переул\w*|микрорайон\w*|street|avenue|"
    r"озер\w*|lake|river|town|city|village|өзен\w*|көлі\w*|водохранилищ\w*)\.?|(?:с|п|пос|р|оз|вдхр)\.)\s*$"
)
_SINGLE_CONTEXT = (
    r"(?:^|[\s(:«\"])(?:от|к|у|с|для|гр\.?|гражданин\w*|гражданк\w*|г-н\w*|г-жа|господин\w*|"
    r"госпож\w*|мырза|ханым|mr\.?|ms\.?|mrs\.?|dr\.?|тов\.?|уважаем\w*|құрметті|сотрудник\w*|"
    r"клиент\w*|пациент\w*|заявител\w*|ответчик\w*|истц\w*|истец|директор\w*|врач\w*|"
    r"менеджер\w*|dear|contact|client|patient|with|from|to|by|фио|аты-жөні|аты|name|азамат\w*|звонил\w*|"
    r"позвонил\w*|обратил\w*|жүгінді|хабарласты|написал\w*|просил\w*|это|зовут|есімі|ответственн\w*|"
    r"получател\w*|исполнител\w*|жауапты)\s*:?\s*$"
)
# words after which a capitalised unknown word (or a lower-case one) is a name by position
_NAME_POSITION = (
    r"(?:^|[\s(:«\"])(?:гр\.?|гражданин\w*|гражданк\w*|г-н\w*|г-жа|господин\w*|госпож\w*|мырза|ханым|"
    r"азамат\w*|mr\.?|ms\.?|mrs\.?|dr\.?|тов\.?|уважаем\w*|құрметті|звонил\w*|позвонил\w*|обратил\w*|"
    r"жүгінді|хабарласты|написал\w*|сказал\w*|пришл?\w*|приходил\w*|просил\w*|это|бұл|зовут|есімі|"
    r"менеджер\w*|сотрудник\w*|пациент\w*|клиент\w*|заявител\w*|ответственн\w*|получател\w*|"
    r"исполнител\w*|ответчик\w*|истц\w*|истец|жауапты|өтініш беруші|қызметкер\w*)\s*:?\s*$"
)
_VERB_AFTER = (
    r"^[,:]?\s*(?:жүгінді|обратил\w*|звонил\w*|позвонил\w*|сообщил\w*|подтвердил\w*|подписал\w*|просит|"
    r"просил\w*|пришл?\w*|хабарласты|келді|жазды|растайды|called|wrote|signed|confirmed)"
)
_STREET_AFTER = (
    r"^\s*(?:көшесі|көш\.|к-сі|даңғылы|даң\.|шағын|ауданы|қаласы|ауылы|облысы|атындағы|алаңы|"
    r"street|st\.|avenue|ave\.?|str\.|kóshesi|koshesi|kõşesi|dańğyly|dangyly|ulitsa|city|region|"
    r"university|school|district|мектеб|университет|район|облас|город|көшес|өзен|көлі|көлд|көлін|"
    r"су қойма|бассейн|"
    r"река|реки|озер|водохранилищ|lake|river|basin|reservoir|oblast|ауыл|селос|сельск|обл\b|обл\.)"
)
_SENTENCE_START = r"(?:^\s*|[.!?…]\s*|\n\s*)$"
_WORD_BEFORE_HEAD = r"(?:^|[\s(:«\"])(?:"
_WORD_BEFORE_TAIL = r")\s*:?\s*$"


def _contains_word_before(expr: pl.Expr, pattern: str) -> pl.Expr:
    """``expr.str.contains(pattern)`` for ``_SINGLE_CONTEXT``/``_NAME_POSITION``, with the
    pattern's stems (``гражданин\\w*``, ``звонил\\w*``...) under one ``\\w*``: the same matches
    (``a\\w*|b\\w*`` is ``(?:a|b)\\w*``), a tenth of the compile time and run time (each Unicode
    ``\\w`` class is compiled on its own; two dozen of them made the lazy DFA rebuild its states
    for nearly every new string)."""
    return expr.str.contains(_factored(pattern))


@cache
def _factored(pattern: str) -> str:
    assert pattern.startswith(_WORD_BEFORE_HEAD) and pattern.endswith(_WORD_BEFORE_TAIL)
    body = pattern[len(_WORD_BEFORE_HEAD) : -len(_WORD_BEFORE_TAIL)]
    assert "(" not in body and "[" not in body  # a flat alternation
    alts = body.split("|")
    stems = [a.removesuffix(r"\w*") for a in alts if a.endswith(r"\w*")]
    words = [a for a in alts if not a.endswith(r"\w*")]
    return f"{_WORD_BEFORE_HEAD}(?:{'|'.join(stems)})\\w*|{'|'.join(words)}{_WORD_BEFORE_TAIL}"


PERSON_SCHEMA: dict[str, pl.DataType] = {
    "row": pl.UInt32(),
    "start": pl.Int64(),
    "end": pl.Int64(),
    "entity": pl.String(),
    "score": pl.Float64(),
}


def _stems(key: pl.Expr) -> list[pl.Expr]:
    """``key`` without a one-, two- or three-letter case ending (null where the cut is no ending
    or leaves fewer than three letters): a name "under a case ending" is a stem in the list."""
    n = key.str.len_chars()
    endings = pl.Series(_ENDINGS).implode()
    return [
        pl.when((n - cut >= 3) & key.str.slice(n - cut).is_in(endings))
        .then(key.str.slice(0, n - cut))
        .alias(f"_stem{cut}")
        for cut in (1, 2, 3)
    ]


def _stem_in(names: pl.Series) -> pl.Expr:
    """The key, or one of its stems (columns ``_stem1..3``), is in ``names`` (an imploded list)."""
    hit = pl.col("key").is_in(names)
    for cut in (1, 2, 3):
        hit = hit | pl.col(f"_stem{cut}").is_in(names).fill_null(False)
    return hit


@cache
def _lexicon_lists() -> dict[str, pl.Series]:
    """The lexicon's key sets as imploded Series, built once (they are looked up per call)."""
    lex = load_lexicon()

    def listed(keys: frozenset[str]) -> pl.Series:
        return pl.Series(sorted(keys), dtype=pl.String).implode()

    return {
        "given": lex.given_series().implode(),
        "ordinary": listed(lex.ordinary),
        "not_name": listed(lex.not_names | lex.places | lex.geo),
        "place_person": listed(lex.geo_person),
        "place": listed(lex.geo),
        "surnames": listed(lex.surnames),
        "long_surnames": listed(frozenset(k for k in lex.surnames if len(k) >= 4)),
        "short_surnames": listed(lex.short_surnames),
    }


_SEPARATE_PATRONYMIC = r"ұлы|қызы|улы|кызы|uly|kyzy|qyzy|ulı|qızı"
_PUNCT = "\"'«»“”„()[]{}<>,;:!?…/\\|*•–—"
_WORD_PATTERN = (
    r"^(?:\p{Lu}[\p{L}\p{M}]+(?:[-'’]\p{L}[\p{L}\p{M}]*)*|(?:\p{Lu}\.){1,3}"
    r"|ұлы|қызы|улы|кызы|uly|kyzy|qyzy|ulı|qızı)$"
)


def _token_somewhere(first: str) -> str:
    """A regex true of every cell in which ``word_tokens`` can find a name token whose first
    letter is of class ``first`` (a superset test: same split, same punctuation stripping), so
    cells that cannot hold a name (IBANs, e-mails, codes) skip the tokenizer."""
    punct = "".join("\\" + ch if ch in "\\[]^-" else ch for ch in _PUNCT)
    body = rf"(?:{first}[\p{{L}}\p{{M}}]+(?:[-'’]\p{{L}}[\p{{L}}\p{{M}}]*)*|(?:{first}\.){{1,3}})"
    return rf"(?:^|\s)[{punct}]*{body}[{punct}.]*(?:\s|$)"


_UPPER_TOKEN = _token_somewhere(r"\p{Lu}")
_LOWER_TOKEN = _token_somewhere(r"\p{Ll}")


def word_tokens(frame: pl.DataFrame) -> pl.DataFrame:
    """Name-candidate tokens with exact offsets, cut at whitespace (literal split: much faster
    than a Unicode regex over the text). ``before`` holds the previous word (or, between two
    tokens, the gap), ``after`` the next word, as ``find_spans`` context windows do.

    Every word gets only what its neighbours need (length, lead, token flag); the strings of
    offsets and context are built for the tokens alone, which in free text are a small part."""
    words = (
        frame.select("row", pl.col("text").str.replace_all(r"[\t\n\r\v\f]", " ").str.split(" ").alias("w"))
        .explode("w")
        .with_columns(pl.col("w").fill_null("").str.len_chars().cast(pl.Int64).alias("n"))
    )
    # offsets inside the cell: a running sum over the exploded words minus the sum where the
    # cell began (the words of one cell are adjacent; no per-cell window needed)
    first = pl.col("row") != pl.col("row").shift(1)
    ends = (pl.col("n") + 1).cum_sum()
    words = words.with_columns(
        (
            ends
            - pl.col("n")
            - 1
            - pl.when(first.fill_null(True)).then(ends - pl.col("n") - 1).forward_fill()
        ).alias("raw_start")
    ).filter(pl.col("n") > 0)
    core_l = pl.col("w").str.strip_chars_start(_PUNCT)
    words = words.with_columns(core_l.alias("c1")).with_columns(
        (pl.col("n") - pl.col("c1").str.len_chars().cast(pl.Int64)).alias("lead"),
        pl.when(pl.col("c1").str.contains(r"^(?:\p{Lu}\.){1,3}$"))
        .then(pl.col("c1"))
        .otherwise(pl.col("c1").str.strip_chars_end(_PUNCT + "."))
        .alias("match"),
    )
    uniq = words.select("match").unique()
    uniq = uniq.with_columns(pl.col("match").str.contains(_WORD_PATTERN).alias("is_token"))
    words = words.join(uniq, on="match", how="left", maintain_order="left").with_columns(
        pl.col("match").str.len_chars().cast(pl.Int64).alias("m")
    )
    # what a token needs of its neighbours, taken before the other words are dropped
    words = words.with_columns(
        (pl.col("row").shift(1) == pl.col("row")).fill_null(False).alias("_same_prev"),
        (pl.col("row").shift(-1) == pl.col("row")).fill_null(False).alias("_same_next"),
        pl.col("w").shift(1).alias("_prev_w"),
        pl.col("is_token").shift(1).alias("_prev_token"),
        pl.col("w").shift(1).str.slice(pl.col("lead").shift(1) + pl.col("m").shift(1)).alias("_prev_trail"),
        pl.col("w").shift(-1).alias("_next_w"),
    ).filter(pl.col("is_token"))
    start = pl.col("raw_start") + pl.col("lead")
    trail = pl.col("w").str.slice(pl.col("lead") + pl.col("m"))
    lead_s = pl.col("w").str.slice(0, pl.col("lead"))
    words = words.with_columns(
        start.alias("start"), (start + pl.col("m")).alias("end"), trail.alias("trail"), lead_s.alias("lead_s")
    )
    prev_gap = pl.col("_prev_trail") + " " + pl.col("lead_s")
    prev_word = pl.col("_prev_w") + " " + pl.col("lead_s")
    before = (
        pl.when(~pl.col("_same_prev"))
        .then(pl.col("lead_s"))
        .when(pl.col("_prev_token"))
        .then(prev_gap)
        .otherwise(prev_word)
    )
    after = (
        pl.when(pl.col("_same_next"))
        .then(pl.col("trail") + " " + pl.col("_next_w"))
        .otherwise(pl.col("trail"))
    )
    prev = pl.when(~pl.col("_same_prev")).then(pl.col("lead_s")).otherwise(prev_word)
    return words.select(
        "row", "start", "end", "match", before.alias("before"), after.alias("after"), prev.alias("prev")
    )


def _token_features(tokens: pl.DataFrame) -> pl.DataFrame:
    """Features of each distinct token text (names repeat a lot: computed once, joined back)."""
    tok, key = pl.col("match"), pl.col("key")
    lists = _lexicon_lists()
    words = tokens.select("match").unique().with_columns(skeleton_expr(tok).alias("key"))
    words = words.with_columns(_stems(key))
    words = words.with_columns(
        tok.str.contains(r"^(?:\p{Lu}\.){1,3}$").alias("initial"),
        tok.str.contains(r"^(?:\p{Lu}\.){2,3}$").alias("initials"),
        _stem_in(lists["given"]).alias("given"),
        _stem_in(lists["ordinary"]).alias("ordinary"),
        key.str.contains(_PATRONYMIC).alias("patronymic"),
        (key.str.contains(_SURNAME) & ~tok.str.contains(_NOT_SURNAME_ENDING)).alias("surname"),
        key.str.contains(_SURNAME_WEAK).alias("surname_weak"),
        _stem_in(lists["not_name"]).alias("not_name"),
        _stem_in(lists["place_person"]).alias("place_person"),
        _stem_in(lists["place"]).alias("place"),
        # short surnames (Ким, Пак) only as written: "Кімге", "Цена" are no case forms of them
        (
            (key.is_in(lists["surnames"]) & ~tok.str.contains(r"^\p{Lu}{2,4}$"))
            | _stem_in(lists["long_surnames"])
        ).alias("known_surname"),
        key.is_in(lists["short_surnames"]).alias("short_surname"),
        tok.str.contains(r"^\p{Ll}").alias("lower"),
        tok.str.to_lowercase().str.contains(_ADJECTIVE).alias("adjective"),
        tok.str.to_lowercase()
        .str.contains(r"^(?:улиц[аеыу]|проспект\w*|бульвар\w*|переул\w*|микрорайон\w*|street|avenue)$")
        .alias("street_word"),
        tok.str.contains(r"^\p{Lu}").alias("upper_start"),
    )
    return words.drop("_stem1", "_stem2", "_stem3").with_columns(
        (pl.col("not_name") & ~pl.col("known_surname") & ~pl.col("given")).alias("not_name"),
    )


def _place_columns(t: pl.DataFrame, frame: pl.DataFrame) -> pl.DataFrame:
    """Per column (``_col``): do values rather than a header say "places"? Most cells with a
    token name a gazetteer place, and the cells are short (median length at most 60)."""
    counts = frame.select("row", "_col", "count")
    with_token = counts.join(t.select("row").unique(), on="row", how="semi")
    placed_rows = t.filter(pl.col("place") | pl.col("place_person") | pl.col("street_after")).select("row")
    placed = counts.join(placed_rows.unique(), on="row", how="semi")
    lengths = frame.select(
        "_col", pl.col("text").str.len_chars().repeat_by(pl.col("count")).alias("_n")
    ).explode("_n")
    votes = (
        with_token.group_by("_col")
        .agg(pl.col("count").sum().alias("_rows"))
        .join(placed.group_by("_col").agg(pl.col("count").sum().alias("_placed")), on="_col", how="left")
        .join(lengths.group_by("_col").agg(pl.col("_n").median().alias("_median")), on="_col", how="left")
    )
    vote = (
        (pl.col("_rows") >= 2)
        & (pl.col("_placed").fill_null(0) / pl.col("_rows") >= 0.5)
        & (pl.col("_median").fill_null(0) <= 60)
    )
    return votes.select("_col", vote.alias("_vote"))


def detect_persons(frame: pl.DataFrame, columns: pl.DataFrame) -> pl.DataFrame:
    """PERSON findings in ``frame``: ``row, start, end, entity, score``.

    ``frame`` holds the cells of one or more columns: ``row`` (unique across all of them),
    ``text``, ``count`` (rows holding that text) and ``_col``. ``columns`` gives per ``_col``
    ``header_is_name`` (the header says the column holds names) and ``place_column`` (the header
    names places - region, river, lake...: PERSON evidence is discounted, as it is when most
    cells name a gazetteer place). Each column keeps its own flags and its own place vote."""
    # only cells that can hold a name token at all (an upper-case letter or a separate ұлы/қызы)
    has_upper = pl.col("text").str.contains(r"\p{Lu}")
    has_name_token = pl.col("text").str.contains(_UPPER_TOKEN)
    # a cell with no capital at all ("привет, это бекзат жақсылықов"): its title-cased copy is
    # scanned (same offsets), and a name there needs stronger evidence
    # (title-casing is slow: only the candidate cells are title-cased to check the offsets hold)
    candidates = frame.filter(
        ~has_upper & pl.col("text").str.contains(r"\p{Ll}{2}") & pl.col("text").str.contains(_LOWER_TOKEN)
    )
    same_length = pl.col("text").str.len_chars() == pl.col("text").str.to_titlecase().str.len_chars()
    low_rows = candidates.filter(same_length)["row"]
    frame = frame.with_columns(pl.col("row").is_in(low_rows.implode()).alias("_low"))
    lowered = frame.filter(pl.col("_low")).drop("_low")
    frame = pl.concat(
        [
            frame.filter(
                ~pl.col("_low") & (has_name_token | pl.col("text").str.contains(_SEPARATE_PATRONYMIC))
            ).drop("_low"),
            lowered.with_columns(pl.col("text").str.to_titlecase()),
        ]
    )
    lowered_rows = lowered["row"]
    if frame.height == 0:
        return pl.DataFrame(schema=PERSON_SCHEMA)
    tokens = word_tokens(frame)
    if tokens.height == 0:
        return pl.DataFrame(schema=PERSON_SCHEMA)
    before = pl.col("before").fill_null("")
    words = _token_features(tokens)
    gaps = tokens.select(pl.col("before").fill_null("")).unique()
    gaps = gaps.with_columns(
        before.str.contains(_SENTENCE_START).alias("sentence_start"),
        before.str.to_lowercase().str.contains(_ADDRESS_PREV).alias("address_prev"),
        before.str.contains(r"^[ \t]{0,2}$|^\s?-\s?$").alias("adjacent"),
    )
    prev = pl.col("prev").fill_null("").str.to_lowercase()
    prevs = tokens.select(pl.col("prev").fill_null("")).unique()
    prevs = prevs.with_columns(
        _contains_word_before(prev, _SINGLE_CONTEXT).alias("context"),
        (_contains_word_before(prev, _NAME_POSITION) & ~pl.col("prev").str.contains(_SENTENCE_START)).alias(
            "position"
        ),
        prev.str.contains(r"(?:^|\s)(?:в|во|из|до|через|под|in|at|near)\s*$").alias("locative"),
    )
    afters = tokens.select(pl.col("after").fill_null("")).unique()
    afters = afters.with_columns(
        pl.col("after").str.contains(r"^\p{L}").alias("after_letter"),
        pl.col("after").str.to_lowercase().str.contains(_STREET_AFTER).alias("street_after"),
        pl.col("after").str.to_lowercase().str.contains(_VERB_AFTER).alias("verb_after"),
    )
    t = (
        tokens.with_columns(
            pl.col("before").fill_null(""), pl.col("after").fill_null(""), pl.col("prev").fill_null("")
        )
        # the tokens of a cell stay adjacent and in text order, as the runs below need
        .join(words, on="match", how="left", maintain_order="left")
        .join(gaps, on="before", how="left", maintain_order="left")
        .join(prevs, on="prev", how="left", maintain_order="left")
        .join(afters, on="after", how="left", maintain_order="left")
        .with_columns((pl.col("lower") & pl.col("after_letter")).alias("glued"))
    )
    flags = columns.join(_place_columns(t, frame), on="_col", how="left").select(
        "_col",
        pl.col("header_is_name").alias("_header_name"),
        (pl.col("place_column") | (~pl.col("header_is_name") & pl.col("_vote").fill_null(False))).alias(
            "_places"
        ),
    )
    t = t.join(frame.select("row", "_col"), on="row", how="left", maintain_order="left")
    t = t.join(flags, on="_col", how="left", maintain_order="left")
    t = t.with_columns(pl.col("row").is_in(lowered_rows.implode()).alias("lowered"))
    t = t.with_columns(
        (
            (pl.col("given") & ~pl.col("ordinary"))
            | pl.col("patronymic")
            | (pl.col("surname") & ~pl.col("not_name"))
            | pl.col("known_surname")
        ).alias("strong"),
        (
            ~pl.col("not_name")
            & ~pl.col("street_word")
            & ~pl.col("glued")
            & ~pl.col("address_prev")
            & ~pl.col("street_after")
            & ~((pl.col("_places") | pl.col("locative")) & pl.col("place_person"))
            & (pl.col("upper_start") | pl.col("patronymic"))
        ).alias("namey"),
    )
    return _score_runs(t)


def _score_runs(t: pl.DataFrame) -> pl.DataFrame:
    adjacent = pl.col("adjacent")
    t = t.with_columns(
        (
            (pl.col("row") != pl.col("row").shift(1))
            | ~adjacent
            | ~pl.col("namey")
            | ~pl.col("namey").shift(1).fill_null(False)
        )
        .fill_null(True)
        .cum_sum()
        .alias("run")
    ).filter(pl.col("namey"))
    runs = t.group_by("run").agg(
        pl.col("row").first(),
        pl.col("start").min(),
        pl.col("end").max(),
        pl.len().alias("n"),
        pl.col("strong").sum().alias("n_strong"),
        (pl.col("given") | pl.col("surname_weak") | pl.col("initial") | pl.col("short_surname"))
        .sum()
        .alias("n_weak"),
        pl.col("initial").sum().alias("n_initial"),
        # evidence from the word lists (not from an ending such as -ов, which "Кадастровый",
        # "Транспортировка" and "металлов" share with surnames)
        ((pl.col("given") & ~pl.col("ordinary")) | pl.col("known_surname") | pl.col("patronymic"))
        .sum()
        .alias("n_lex"),
        (pl.col("initial").first() & pl.col("place").last()).alias("initial_place"),
        pl.col("adjective").sum().alias("n_adjective"),
        pl.col("surname").first().alias("first_surname"),
        pl.col("given").first().alias("first_given"),
        pl.col("ordinary").first().alias("first_ordinary"),
        pl.col("place_person").first().alias("first_place"),
        pl.col("sentence_start").first().alias("at_start"),
        pl.col("context").first().alias("context"),
        (pl.col("position").first() | pl.col("verb_after").last()).alias("position"),
        pl.col("initials").any().alias("has_initials"),
        pl.col("not_name").first().alias("first_not_name"),
        pl.col("lowered").first().alias("lowered"),
        pl.col("_header_name").first().alias("header_is_name"),
        pl.col("_places").first().alias("places"),
    )
    n = pl.col("n")
    strong = pl.col("n_strong")
    score = (
        pl.when(pl.col("header_is_name"))
        .then(pl.lit(0.95))
        .when((n >= 2) & (strong >= 2))
        .then(pl.lit(0.95))
        .when((n >= 2) & (strong >= 1) & (n <= 4))
        .then(pl.lit(0.85))
        .when((n >= 2) & (pl.col("n_weak") >= 2) & (pl.col("n_initial") >= 1))
        .then(pl.lit(0.8))
        .when((n == 2) & pl.col("has_initials"))
        .then(pl.lit(0.75))  # "Жақсылық А.Б.": an unknown word with two initials
        .when((n >= 2) & (pl.col("n_weak") >= 1) & pl.col("context"))
        .then(pl.lit(0.75))
        .when((n == 1) & (strong == 1) & pl.col("context"))
        .then(pl.lit(0.8))
        .when((n == 1) & pl.col("first_given") & ~pl.col("first_ordinary"))
        .then(pl.lit(0.7))
        .when((n == 1) & pl.col("first_surname") & ~pl.col("at_start"))
        .then(pl.lit(0.7))
        .when((n == 1) & (strong == 1))
        .then(pl.lit(0.55))
        .when((n == 1) & pl.col("first_given") & pl.col("context"))
        .then(pl.lit(0.7))
        .when((n <= 3) & pl.col("position"))
        .then(pl.lit(0.65))  # a capitalised unknown word in a name position: "звонила Бекзат"
        .otherwise(pl.lit(0.0))
    )
    # a title-cased lower-case cell: only runs with lexical evidence, or in a name position
    # (a Russian adjective in the run - "цветных металлов" - makes it a phrase, not a name)
    lowered_ok = (
        ((n >= 2) & (strong >= 1) & (pl.col("n_adjective") == 0))
        | ((strong >= 1) & pl.col("context"))
        | pl.col("position")
    )
    score = pl.when(pl.col("lowered") & ~lowered_ok).then(0.0).otherwise(score)
    # a place that is also a given name (Абай, Жамбыл) alone, with nothing that says "person"; a
    # surname-like place (Сатпаев) alone stays a surname, as "[like-a-surname]" towns do
    alone_place = (n == 1) & pl.col("first_place") & ~pl.col("first_surname") & ~pl.col("context")
    score = pl.when(alone_place).then(score - 0.25).otherwise(score)
    score = pl.when(pl.col("places")).then(score - 0.3).otherwise(score)
    # "Г. Алматы", "Қ. Астана": the abbreviation of "city" before a place, not an initial
    score = pl.when((n == 2) & pl.col("initial_place")).then(0.0).otherwise(score)
    return (
        runs.with_columns(score.alias("score"), pl.lit("PERSON").alias("entity"))
        .filter(pl.col("score") > 0)
        .select(list(PERSON_SCHEMA))
        .cast(PERSON_SCHEMA)  # type: ignore[arg-type]
    )
