"""Every user-visible string of the portal is in the catalogs, translated into Kazakh and Russian."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

WEB = Path(__file__).resolve().parents[2] / "src" / "qazai" / "web"
TRANSLATIONS = WEB / "translations"
CYRILLIC = set("абвгдеёжзийклмнопрстуфхцчшщъыьэюяәғқңөұүһі")


def _extracted(tmp_path: Path) -> set[object]:
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            str(Path(sys.executable).parent / "pybabel"),
            "extract",
            "-F",
            str(WEB / "babel.cfg"),
            "-k",
            "N_",
            "-o",
            str(pot),
            str(WEB),
        ],
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as f:
        return {m.id for m in read_po(f) if m.id}


def test_catalogs_cover_every_string_in_the_code(tmp_path: Path) -> None:
    wanted = _extracted(tmp_path)
    for lang in ("kk", "ru", "en"):
        with (TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po").open("rb") as f:
            have = {m.id for m in read_po(f) if m.id}
        assert wanted <= have, (
            f"{lang}: run the update in docs/web.md for {sorted(map(str, wanted - have))[:5]}"
        )


def test_kazakh_and_russian_are_complete_and_cyrillic() -> None:
    for lang in ("kk", "ru"):
        with (TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po").open("rb") as f:
            catalog = read_po(f)
        for message in catalog:
            if not message.id:
                continue
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            assert all(strings), f"{lang}: {message.id!r} is not translated"
            if lang == "kk" and message.id not in ("Enclave", "Operator", "Catalog", "Company", "University"):
                assert any(ch in CYRILLIC for ch in "".join(strings).lower()), message.id


def _key(value: object) -> object:
    return tuple(value) if isinstance(value, list | tuple) else value


def test_compiled_catalogs_match_their_sources() -> None:
    for lang in ("kk", "ru"):
        with (TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po").open("rb") as f:
            source = {_key(m.id): _key(m.string) for m in read_po(f) if m.id}
        with (TRANSLATIONS / lang / "LC_MESSAGES" / "messages.mo").open("rb") as f:
            compiled = {_key(m.id): _key(m.string) for m in read_mo(f) if m.id}
        assert compiled == source, f"{lang}: recompile the .mo (docs/web.md)"
