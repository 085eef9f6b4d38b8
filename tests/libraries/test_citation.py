"""Citations of a library version: APA and BibTeX (qazai.libraries.citation)."""

from __future__ import annotations

from qazai.libraries.citation import cite_library


def test_apa_names_producer_year_title_version_and_permanent_address() -> None:
    cited = cite_library(
        slug="population-by-region",
        title="Население по регионам",
        producer="Бюро национальной статистики",
        year=2026,
        version=3,
        url="https://qazai.kz/libraries/population-by-region/v/3/",
    )
    assert cited.apa == (
        "Бюро национальной статистики. (2026). Население по регионам (Version 3) [Data set]. QazAI. "
        "https://qazai.kz/libraries/population-by-region/v/3/"
    )


def test_bibtex_is_an_entry_with_a_key_braced_author_and_escaped_specials() -> None:
    cited = cite_library(
        slug="water-basins",
        title="Water & soil: 100% of basins_2024",
        producer="Ministry of Ecology",
        year=2025,
        version=2,
        url="https://qazai.kz/libraries/water-basins/v/2/",
    )
    assert cited.bibtex.startswith("@misc{water_basins_v2,\n")
    assert "  author = {{Ministry of Ecology}}" in cited.bibtex
    assert r"  title = {Water \& soil: 100\% of basins\_2024}" in cited.bibtex
    assert "  version = {2}" in cited.bibtex
    assert "  url = {https://qazai.kz/libraries/water-basins/v/2/}" in cited.bibtex
    assert cited.bibtex.endswith("\n}")
    assert cited.bibtex.count("{") == cited.bibtex.count("}")


def test_a_library_without_a_published_version_is_cited_without_one() -> None:
    cited = cite_library(
        slug="draft", title="Draft", producer="Org", year=2026, version=None, url="https://x/libraries/draft"
    )
    assert "(Version" not in cited.apa and "version =" not in cited.bibtex
    assert cited.bibtex.startswith("@misc{draft,")
