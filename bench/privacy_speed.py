# ruff: noqa: E501
"""Throughput of qazai vs airlock-pii vs Presidio (pattern recognizers, NoOp NLP engine, plus an
IIN recognizer) on one generated table, in the same run.

    .venv/bin/python bench/privacy_speed.py [--rows 100000] [--ref-cells 20000] [--threads 1]

qazai runs over the whole table (>= 1 M cells); the two per-cell libraries run on a slice of
``--ref-cells`` cells with the same mix of columns (their cells/s is flat in table size).
Times are CPU time of this process (``time.process_time``), with Polars on ``--threads``
threads, so the figures are per core and robust to other load on the machine.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--ref-cells", type=int, default=20_000)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    os.environ["POLARS_MAX_THREADS"] = str(args.threads)

    import polars as pl
    import psutil

    from privacy_corpus import Gen
    from privacy_eval import text_cell
    from qazai.privacy import scan_table

    g = Gen(1)
    n = args.rows
    ident = {
        "ИИН": [g.iin() for _ in range(n)],
        "Телефон": [g.phone() for _ in range(n)],
        "Email": [g.email() for _ in range(n)],
        "ИИК": [g.iban() for _ in range(n)],
        "БИН": [g.bin() for _ in range(n)],
        "Номер карты": [g.card() for _ in range(n)],
        "ФИО": [g.person() for _ in range(n)],
        "Сумма": [str(g.r.randint(1, 10**6)) for _ in range(n)],
    }
    free = {
        "Комментарий": [text_cell(g).text for _ in range(n)],
        "Ескерту": [text_cell(g).text for _ in range(n)],
    }
    table = pl.DataFrame({**ident, **free})
    cells = table.height * table.width
    id_cells = n * len(ident)
    proc = psutil.Process()
    print(
        f"table: {n} rows x {table.width} columns = {cells:,} cells ({len(free)} free-text columns); polars threads={pl.thread_pool_size()}"
    )

    scan_table(table.head(1000))  # warm-up: compile regexes, load lists
    t0 = time.process_time()
    scan_table(table.select(list(ident)))
    t_id = time.process_time() - t0
    t0 = time.process_time()
    scan_table(table)
    t_all = time.process_time() - t0
    rss_q = proc.memory_info().rss
    q_rate = cells / t_all
    print(
        f"qazai       : {q_rate:12,.0f} cells/s (whole table, {t_all:.2f}s); identifier columns only {id_cells / t_id:,.0f} cells/s"
    )

    # a slice with the same column mix for the per-cell libraries
    per_row = max(1, args.ref_cells // table.width)
    slice_cells = [v for row in table.head(per_row).iter_rows() for v in row]

    import airlock_pii

    t0 = time.process_time()
    for v in slice_cells:
        airlock_pii.detect(v)
    a_rate = len(slice_cells) / (time.process_time() - t0)
    print(f"airlock-pii : {a_rate:12,.0f} cells/s ({len(slice_cells):,} cells)")

    import tldextract.tldextract as tld
    from presidio_analyzer import AnalyzerEngine, Pattern, PatternRecognizer, RecognizerRegistry

    # Presidio's e-mail recognizer asks tldextract, which would fetch the public suffix list over
    # the network (and time out offline, slowing Presidio unfairly): use the snapshot it ships.
    tld.TLD_EXTRACTOR = tld.TLDExtract(suffix_list_urls=())
    from presidio_analyzer.nlp_engine import NlpArtifacts, NlpEngine

    class NoOpNlpEngine(NlpEngine):  # type: ignore[misc]
        """No tokenizer model: pattern recognizers only."""

        def load(self) -> None: ...
        def is_loaded(self) -> bool:
            return True

        def process_text(self, text: str, language: str) -> NlpArtifacts:
            return NlpArtifacts(
                entities=[], tokens=[], tokens_indices=[], lemmas=[], nlp_engine=self, language=language
            )

        def process_batch(self, texts, language, batch_size=1, n_process=1, **kwargs):  # type: ignore[no-untyped-def]
            for t in texts:
                yield t, self.process_text(t, language)

        def is_stopword(self, word: str, language: str) -> bool:
            return False

        def is_punct(self, word: str, language: str) -> bool:
            return False

        def get_supported_entities(self) -> list[str]:
            return []

        def get_supported_languages(self) -> list[str]:
            return ["en"]

    registry = RecognizerRegistry()
    registry.load_predefined_recognizers(languages=["en"])
    registry.add_recognizer(
        PatternRecognizer(
            supported_entity="KZ_IIN", patterns=[Pattern("iin", r"\b\d{12}\b", 0.5)], context=["иин", "iin"]
        )
    )
    engine = AnalyzerEngine(registry=registry, nlp_engine=NoOpNlpEngine(), supported_languages=["en"])
    p_slice = slice_cells[: max(table.width, len(slice_cells) // 4)]
    t0 = time.process_time()
    for v in p_slice:
        engine.analyze(v, language="en")
    p_rate = len(p_slice) / (time.process_time() - t0)
    print(
        f"presidio    : {p_rate:12,.0f} cells/s ({len(p_slice):,} cells, {len(registry.recognizers)} recognizers)"
    )
    print(f"\nratios: qazai/airlock-pii = {q_rate / a_rate:.1f}x, qazai/presidio = {q_rate / p_rate:.1f}x")
    print(f"peak RSS of this process: {max(rss_q, proc.memory_info().rss) / 2**20:,.0f} MiB")


if __name__ == "__main__":
    main()
