"""No English and no raw values on Kazakh and Russian pages (issue 17, point 5).

The demo portal's main pages are fetched in kk and in ru, anonymous and signed in (a producer with
the publish wizard's preview, the regulator), and their visible text — text nodes and the
``title``/``alt``/``placeholder``/``aria-label`` attributes — is searched for Latin words. Code
(``<code>``, ``<pre>``, ``<kbd>``), text marked as another language (``lang="en"``, what
``t()`` and the technical details do) and data marked ``translate="no"`` (column names and cell
values of a data table, charts) are left out; so are e-mail addresses, web addresses, file names and the
product and format names in ``NAMES``. A Latin word left is English the page did not translate, or
a raw value (``non_personal``, ``int64``, ``stat-gov``) it did not turn into words. ``True``,
``False``, ``None`` and ``nan`` fail even in data: a reader sees Иә/Жоқ, Да/Нет or nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser

import httpx
import pytest

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("browser")]

# Names that stay as they are in every language: products, formats, standards, units of data.
NAMES = frozenset(
    {
        "QazAI",
        "API",
        "CSV",
        "TSV",
        "XLSX",
        "XLS",
        "JSON",
        "JSON-LD",
        "JSONL",
        "Parquet",
        "DuckDB",
        "pandas",
        "SQL",
        "PDF",
        "PNG",
        "JPEG",
        "WebP",
        "C2PA",
        "c2pa",
        "Croissant",
        "Hugging",
        "Face",
        "datasets",
        "SHA-256",
        "sha256",
        "UTF-8",
        "Excel",
        "IBAN",
        "IP",
        "BibTeX",
        "LaTeX",
        "APA",
        "CKAN",
        "DCAT",
        "Frictionless",
        "HTTP",
        "URL",
        "KB",
        "MB",
        "GB",
        "Bearer",
        "Markdown",
        "HTML",
        "ORCID",
        "Slurm",
        "GGUF",
        "safetensors",
        "pickle",
        "ONNX",
        "Python",
        "Jupyter",
        "KATO",
        "SPDX",
        "eGov",  # the e-government portal's name
        "halyq",  # the search boxes' examples of a Latin-letter query (transliteration)
        "naselenie",
        "egov",
        "translation",  # the model search's examples: a task and a language are identifiers
        "text-classification",
        "kk",
        "QazData",  # a demo organisation's name, the same in every language
        "Lab",
    }
)
LATIN_WORD = re.compile(r"(?<![\w@.\-/])[A-Za-z][A-Za-z0-9]*(?:[_\-'][A-Za-z0-9]+)*")
SKIPPED_TEXT = re.compile(
    r"\S+@\S+"  # e-mail addresses
    r"|https?://\S+|(?<!\w)/[\w\-./?=&%]+"  # web addresses and paths
    r"|\b[a-z0-9][\w\-.]*/[\w\-.]+"  # model repositories: organisation/name
    r"|\b[\w\-]+\.(?:csv|xlsx|parquet|jsonl?|py|ipynb|txt|png|pdf|zip|safetensors|gguf|onnx|md)\b"  # files
    r"|\b[A-Z][A-Za-z]*(?:-[A-Za-z0-9]+)*-\d+(?:\.\d+)*\b"  # licence identifiers: CC-BY-4.0, Apache-2.0
    r"|\b[0-9A-HJKMNP-TV-Z]{26}\b"  # ids (ULID)
    r"|\b[0-9a-f]{7,64}\b"  # hashes, revisions
    r"|\bv\d+\b",  # version tags
)
HIDDEN = frozenset({"script", "style", "code", "pre", "kbd", "samp", "head"})
RAW = frozenset({"True", "False", "None", "nan", "NaN", "null"})
VOID = frozenset(
    {"br", "img", "input", "meta", "link", "hr", "wbr", "source", "area", "col", "embed", "track"}
)


class VisibleText(HTMLParser):
    """The text a reader of ``lang`` sees, minus code and text declared in another language."""

    def __init__(self, lang: str) -> None:
        super().__init__(convert_charrefs=True)
        self.lang = lang
        self.open: list[tuple[str, bool, bool]] = []  # (tag, hides what is inside, is data)
        self.parts: list[str] = []
        self.data: list[str] = []  # text marked translate="no": only raw values count there

    def _hidden(self) -> bool:
        return any(hides for _tag, hides, _data in self.open)

    def _data(self) -> bool:
        return any(data for _tag, _hides, data in self.open)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        given = dict(attrs)
        other_language = bool(given.get("lang")) and given.get("lang") != self.lang and tag != "html"
        if tag not in VOID:
            # a chart (svg) is data too: its labels are the data's names and values
            data = given.get("translate") == "no" or tag == "svg"
            self.open.append((tag, tag in HIDDEN or other_language, data))
        if not self._hidden() and not other_language and given.get("type") != "hidden":
            shown = [v for k, v in attrs if k in ("title", "alt", "placeholder", "aria-label") and v]
            (self.data if self._data() else self.parts).extend(shown)
        if tag == "title" and not self._data():  # the page's title shows in the tab, though in <head>
            self.open[-1] = (tag, False, False)

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.open) - 1, -1, -1):
            if self.open[index][0] == tag:
                del self.open[index:]
                return

    def handle_data(self, data: str) -> None:
        inside_title = bool(self.open) and self.open[-1][0] == "title" and not self._data()
        if data.strip() and (inside_title or not self._hidden()):
            (self.data if self._data() and not inside_title else self.parts).append(data)


def english_words(html: str, lang: str) -> list[str]:
    """Latin words of the visible text of ``html`` that are not names, codes or addresses."""
    parser = VisibleText(lang)
    parser.feed(html)
    text = SKIPPED_TEXT.sub(" ", " ".join(parser.parts))
    words = [word for word in LATIN_WORD.findall(text) if word not in NAMES and len(word) > 1]
    return words + [word for word in LATIN_WORD.findall(" ".join(parser.data)) if word in RAW]


def test_the_check_sees_english_raw_values_and_respects_lang_and_code() -> None:
    page = (
        '<html lang="ru"><head><title>Главная — QazAI</title></head><body>'
        "<p>Уровень: open · passed: True</p><p>Тип int64, non_personal → keep</p>"
        '<p>Название <span lang="en">Water basins</span> и <code>stat_gov</code>, файл a.csv</p>'
        '<input placeholder="search"><a href="https://x.kz/a_b">mail@x.kz</a> CC-BY-4.0 QazAI'
        '<table translate="no"><tr><td>Almaty_region</td><td>False</td></tr></table>'
        "</body></html>"
    )
    found = english_words(page, "ru")
    assert found == ["open", "passed", "True", "int64", "non_personal", "keep", "search", "False"]


# -- the pages -----------------------------------------------------------------------------------


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def _client(base: str, lang: str) -> httpx.Client:
    return httpx.Client(base_url=base, cookies={"qazai_lang": lang}, follow_redirects=True, timeout=60)


def _sign_in(client: httpx.Client, email: str) -> None:
    from qazai.cli.demo import DEMO_PASSWORD

    page = client.get("/sign-in")
    reply = client.post(
        "/sign-in",
        data={"csrf_token": _csrf(page.text), "email": email, "password": DEMO_PASSWORD, "next": "/"},
    )
    assert reply.status_code == 200 and "/sign-in" not in str(reply.url), reply.text[:300]


def _links(html: str, pattern: str) -> list[str]:
    return sorted(set(re.findall(rf'href="({pattern})"', html)))


def _public_pages(client: httpx.Client) -> Iterator[str]:
    yield "/"
    catalog = client.get("/catalog").text
    yield "/catalog"
    for name, value in sorted(set(re.findall(r'name="(\w+)" value="([^"]+)"', catalog))):
        if name in ("theme", "tier", "format", "region", "producer", "licence", "year"):
            yield f"/catalog?{name}={httpx.QueryParams({name: value})[name]}"
    slugs = sorted({link.split("/")[2] for link in _links(catalog, r"/libraries/[\w\-]+")})
    yield from (f"/libraries/{slug}" for slug in slugs)
    register = client.get("/register").text
    yield "/register"
    yield from _links(register, r"/register/[\w\-]+")[:2]
    models = client.get("/models").text
    yield "/models"
    yield from _links(models, r"/models/[\w\-]+/[\w\-.]+")[:2]
    yield "/verify"
    yield "/trusted-lists"
    yield "/optouts"
    yield "/complaints"
    yield "/sign-in"


def _complaint_status(client: httpx.Client) -> str:
    """File a complaint on a system page; the receipt's status page."""
    register = client.get("/register").text
    system = _links(register, r"/register/[\w\-]+")[0]
    page = client.get(system).text
    action = re.search(r'<form method="post" action="(/register/[^"]+/complaints)"', page)
    assert action, "the system page has no complaint form"
    reply = client.post(
        action.group(1),
        data={
            "csrf_token": _csrf(page),
            "kind": "complaint",
            "text": "Шешім түсініксіз, түсіндіруді сұраймын.",
            "language": "kk",
        },
    )
    assert "/complaints/" in str(reply.url), reply.text[:500]
    return str(reply.url).split(str(client.base_url).rstrip("/"), 1)[-1]


def _preview_page(client: httpx.Client) -> str:
    """The publish wizard's columns-and-privacy step for a small file with personal data."""
    start = client.get("/publish").text
    slug = "no-english-check"
    if f"/publish/{slug}" not in start:
        client.post(
            "/publish/libraries",
            data={
                "csrf_token": _csrf(start),
                "slug": slug,
                "organisation": "stat-gov",
                "title_kk": "Тексеру",
                "title_ru": "Проверка",
                "description_kk": "Тексеру",
                "tier": "open",
                "legal_basis": "depersonalised",
                "licence": "CC-BY-4.0",
                "source_systems": "Тексеру жүйесі",
                "contact_email": "data@stat.gov.kz",
            },
        )
    upload = client.get(f"/publish/{slug}").text
    rows = "\n".join(
        f"87010{i:02d}30012{i % 10},Асқаров Ерлан,+7 701 555 {i:04d},{1980 + i % 20}-05-0{1 + i % 9},Алматы"
        for i in range(40)
    )
    csv = ("ИИН,ФИО,Телефон,Дата рождения,Город\n" + rows + "\n").encode()
    reply = client.post(
        f"/publish/upload/{slug}",
        data={"csrf_token": _csrf(upload)},
        files={"file": ("people.csv", csv, "text/csv")},
    )
    assert "/uploads/" in str(reply.url), reply.text[:500]
    return str(reply.url).split(str(client.base_url).rstrip("/"), 1)[-1]


def _project_page(client: httpx.Client) -> str:
    """A compute project of the producer's organisation (created once), its page."""
    slug = "no-english-project"
    if client.get(f"/projects/{slug}").status_code != 200:
        page = client.get("/projects").text
        created = client.post(
            "/projects",
            data={
                "csrf_token": _csrf(page),
                "slug": slug,
                "organisation": "stat-gov",
                "title": "Тексеру жобасы",
                "purpose": "Тілдерді тексеруге арналған жоба",
                "legal_basis": "Заң, 12-бап",
            },
        )
        assert created.status_code == 200 and str(created.url).endswith(slug), created.text[:300]
    return f"/projects/{slug}"


def _signed_in_pages(client: httpx.Client, who: str) -> Iterator[str]:
    if who == "producer":
        yield "/publish"
        yield _preview_page(client)
        yield "/access-requests"
        yield "/systems"
        yield "/projects"
        yield _project_page(client)
        yield "/airlock"
        yield "/labels/new"
        yield "/account/tokens"
    else:
        yield "/review"
        yield "/review/complaints"


def _problems(client: httpx.Client, lang: str, paths: Iterator[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in paths:
        reply = client.get(path)
        if reply.status_code != 200 or f'<html lang="{lang}">' not in reply.text:
            found[path] = [f"HTTP {reply.status_code}"]
            continue
        words = english_words(reply.text, lang)
        if words:
            found[path] = sorted(set(words))
    return found


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_public_pages_have_no_english_or_raw_values(demo_portal: str, lang: str) -> None:
    with _client(demo_portal, lang) as client:
        paths = [*_public_pages(client), _complaint_status(client)]
        found = _problems(client, lang, iter(paths))
    assert not found, f"{lang}: English or raw values on {found}"


@pytest.mark.parametrize("lang", ["kk", "ru"])
@pytest.mark.parametrize("who", ["producer@stat.gov.kz", "regulator@mdai.gov.kz"])
def test_signed_in_pages_have_no_english_or_raw_values(demo_portal: str, lang: str, who: str) -> None:
    with _client(demo_portal, lang) as client:
        _sign_in(client, who)
        found = _problems(client, lang, _signed_in_pages(client, who.split("@", maxsplit=1)[0]))
    assert not found, f"{lang}, {who}: English or raw values on {found}"
