"""The portal's screenshots in docs/web.md: the home page, a library page and the data viewer, at
1366 px (desktop, the first screen) and 390 px (a phone, the top of the page), in Kazakh.

    .venv/bin/python docs/screenshots/make.py [--lang kk] [--out docs/images]

Starts the demo portal (`qazai serve --demo` in a thread, a temporary data folder, every demo
library published), drives Debian's /usr/bin/chromium with Playwright and writes palette PNGs
(Pillow, 256 colours) so the images stay small. Offline: nothing is downloaded.
"""

from __future__ import annotations

import argparse
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))

PAGES = (
    ("home", "/"),
    ("library", "/libraries/population-by-region"),
    ("viewer", "/libraries/population-by-region/viewer?table=Population_KZ"),
)
SIZES = {"desktop": (1366, 900), "phone": (390, 844)}
PHONE_HEIGHT = 2200  # the top of a phone page: what one sees in the first few swipes


def _serve(data_dir: Path) -> tuple[str, Any, Any, Any]:
    import uvicorn

    from qazai.api.app import create_app
    from qazai.api.wiring import build_platform
    from qazai.cli.demo import seed_demo
    from qazai.config import load_settings
    from qazai.libraries.service import PUBLISH_JOB
    from qazai.storage.jobs.queue import list_jobs
    from qazai.storage.tables.jobs import JobState

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    settings = load_settings(
        environment="demo",
        data_dir=data_dir,
        secret_key="screenshots-demo-secret-key-that-is-long-enough-01",  # noqa: S106 - a throwaway demo
        argon2_time_cost=1,
        argon2_memory_kib=64,
        host="127.0.0.1",
        port=port,
        workers=1,
        log_json=True,
    )
    platform = build_platform(settings, start_workers=True)
    seed_demo(platform)
    server = uvicorn.Server(
        uvicorn.Config(create_app(platform), host="127.0.0.1", port=port, log_config=None, access_log=False)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()

    def publishing() -> int:
        with platform.db.uow() as uow:
            return sum(
                len(list_jobs(uow.session, state=state, kind=PUBLISH_JOB, limit=100))
                for state in (JobState.queued, JobState.running)
            )

    deadline = time.monotonic() + 300
    while (not server.started or publishing()) and time.monotonic() < deadline:
        time.sleep(0.5)
    if publishing():
        raise SystemExit("the demo libraries were not published within 300 s")
    return f"http://127.0.0.1:{port}", server, thread, platform


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

    with tempfile.TemporaryDirectory(prefix="qazai-shots-") as tmp:
        base, server, thread, platform = _serve(Path(tmp) / "data")
        try:
            with sync_playwright() as playwright:
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
                        print(f"{target.relative_to(ROOT)}: {_small_png(raw, target) // 1024} KiB")
                    context.close()
                browser.close()
        finally:
            server.should_exit = True
            thread.join(timeout=15)
            platform.close()


if __name__ == "__main__":
    main()
