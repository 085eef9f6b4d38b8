"""The portal's screenshots in docs/web.md: the home page, a library page and the data viewer, at
1366 px (desktop, the first screen) and 390 px (a phone, the top of the page), in Kazakh.

    .venv/bin/python docs/screenshots/make.py [--lang kk] [--out docs/images]

Starts the demo portal (`qazai serve --demo` in a thread, a temporary data folder, every demo
library published), drives Debian's /usr/bin/chromium with Playwright and writes palette PNGs
(Pillow, 256 colours) so the images stay small. Offline: nothing is downloaded.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]  # qazai, and tests.support's live server

from tests.support.live_server import demo_portal  # noqa: E402 - after the path is set

PAGES = (
    ("home", "/"),
    ("library", "/libraries/population-by-region"),
    ("viewer", "/libraries/population-by-region/viewer?table=Population_KZ"),
)
SIZES = {"desktop": (1366, 900), "phone": (390, 844)}
PHONE_HEIGHT = 2200  # the top of a phone page: what one sees in the first few swipes


def _small_png(raw: Path, out: Path) -> int:
    from PIL import Image

    with Image.open(raw) as image:
        image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(out, optimize=True)
    return out.stat().st_size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lang", default="kk", choices=["kk", "ru", "en"])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    from playwright.sync_api import sync_playwright

    with (
        tempfile.TemporaryDirectory(prefix="qazai-shots-") as tmp,
        demo_portal(
            Path(tmp) / "data",
            secret_key="screenshots-demo-secret-key-that-is-long-enough-01",  # noqa: S106 - a throwaway demo
            publish_seconds=300,
        ) as base,
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        for size, (width, height) in SIZES.items():
            context = browser.new_context(viewport={"width": width, "height": height})
            page = context.new_page()
            page.goto(f"{base}/")
            page.click(f"button[name=lang][value={args.lang}]")
            for name, path in PAGES:
                page.goto(base + path)
                page.wait_for_load_state("networkidle")
                raw = Path(tmp) / f"{name}-{size}.png"
                if size == "desktop":
                    page.screenshot(path=str(raw))  # the first screen only
                else:
                    full = page.evaluate("document.documentElement.scrollHeight")
                    clip = {"x": 0, "y": 0, "width": width, "height": min(full, PHONE_HEIGHT)}
                    page.screenshot(path=str(raw), full_page=True, clip=clip)
                target = args.out / f"{name}-{size}.png"
                shown = target.relative_to(ROOT) if target.is_relative_to(ROOT) else target
                print(f"{shown}: {_small_png(raw, target) // 1024} KiB")
            context.close()
        browser.close()


if __name__ == "__main__":
    try:
        main()
    except TimeoutError as exc:  # the demo libraries were not published in time
        raise SystemExit(str(exc)) from None
