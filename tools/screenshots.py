"""Screenshots of every page type, and the fenyang document printed to PDF, for people to look at.

    python tools/screenshots.py [--site OUTPUT] [--to FOLDER]

Builds the example portal (or takes an already built ``--site``), serves it on 127.0.0.1 under
a sub-path (as a government server would), and saves, per page type, a full-page PNG at 1280
and at 360 CSS pixels in each display mode, and ``print-fenyang.pdf`` (A4, as the browser
prints it: the print stylesheet, repeated table headers, address and date). Drives Debian's
Chromium (/usr/bin/chromium) with Playwright. Default folder: ``screenshots/`` (git-ignored).
"""

from __future__ import annotations

import argparse
import functools
import sys
import tempfile
import threading
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]
PREFIX = "/portal/"
FENYANG = "fenyang-ybj/2024/final-accounts/index.html"
PAGES = {                                   # page type → path in the example portal
    "home": "index.html",
    "department": "fenyang-ybj/index.html",
    "department-year": "fenyang-ybj/2024/index.html",
    "final-accounts": FENYANG,
    "budget": "lvliang-ybj/2023/budget/index.html",
    "performance": "gaoyi-ybj/2021/performance/index.html",
    "year": "years/2024/index.html",
    "search": "search/index.html?q=公务用车",
    "404": "404.html",
    "glossary": "glossary/index.html",
}
WIDTHS = [1280, 360]
# display mode → the script that switches it on, as a reader's click on the header button would
# (an empty script: the default mode)
MODES = {"normal": "localStorage.removeItem('site-builder.display')",
         "large": "localStorage.setItem('site-builder.display', JSON.stringify({large: true}))",
         "contrast": "localStorage.setItem('site-builder.display', JSON.stringify({contrast: true}))"}


class _Handler(SimpleHTTPRequestHandler):
    def translate_path(self, path: str) -> str:
        clean = path.split("?", 1)[0].split("#", 1)[0]
        if not clean.startswith(PREFIX):
            return str(Path(self.directory) / "\0missing")
        return super().translate_path("/" + clean[len(PREFIX):])

    def log_message(self, *args) -> None:
        pass


@contextmanager
def served(site: Path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Handler, directory=str(site)))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{PREFIX}"
    finally:
        server.shutdown()
        server.server_close()


def take(site: Path, folder: Path, pages: dict[str, str] | None = None) -> list[Path]:
    """Save the screenshots and the PDF into ``folder``; returns the files written."""
    from playwright.sync_api import sync_playwright

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    with served(site) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for mode, switch_on in MODES.items():
            for width in WIDTHS:
                page = browser.new_page(viewport={"width": width, "height": 900})
                page.goto(base + "index.html")
                if switch_on:
                    page.evaluate(switch_on)
                for name, path in (pages or PAGES).items():
                    page.goto(base + path)
                    if name == "search":
                        page.wait_for_function("document.querySelector('#search-status').textContent.trim() !== ''",
                                               timeout=15_000)
                    target = folder / f"{name}-{width}-{mode}.png"
                    page.screenshot(path=str(target), full_page=True)
                    written.append(target)
                page.close()
        page = browser.new_page()
        page.goto(base + FENYANG)
        page.emulate_media(media="print")
        target = folder / "print-fenyang.pdf"
        target.write_bytes(page.pdf(format="A4", print_background=True))
        written.append(target)
        browser.close()
    return written


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--site", type=Path, help="a built portal (default: build the example portal)")
    parser.add_argument("--to", type=Path, default=REPO / "screenshots", help="where to save (default: screenshots/)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        site = args.site
        if site is None:
            sys.path.insert(0, str(REPO))
            from site_builder.build import build

            site = Path(scratch) / "site"
            build(REPO / "content", site, base_url="")
        for path in take(site, args.to):
            print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
