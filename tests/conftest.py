"""Shared fixtures: the example portal built once, and copies of it to break on purpose."""

from __future__ import annotations

import copy
import functools
import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import lxml.html
import pytest

from site_builder.build import build

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "content"
FENYANG = "fenyang-ybj/2024/final-accounts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
AXE = REPO / "node_modules/axe-core/axe.min.js"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]


def _missing_browser() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "pip playwright"
    if not Path(CHROMIUM).exists():
        return "chromium"
    if not AXE.exists():
        return "npm axe-core (run npm ci)"
    return None


@pytest.fixture(scope="session")
def browser():
    """Debian's headless Chromium driven by Playwright (its own browser download does not work here)."""
    missing = _missing_browser()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"browser tests need {missing}; .ci/run must install it")
        pytest.skip(f"needs {missing}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield instance
        instance.close()


class _SubPathHandler(SimpleHTTPRequestHandler):
    """Serves ``directory`` under ``prefix`` only (as a government server serves /yjsgk/); 404 elsewhere."""

    prefix = "/portal/"

    def translate_path(self, path: str) -> str:
        clean = path.split("?", 1)[0].split("#", 1)[0]
        if not clean.startswith(self.prefix):
            return str(Path(self.directory) / "\0no-such-file")
        return super().translate_path("/" + clean[len(self.prefix):])

    def log_message(self, *args) -> None:  # keep test output clean
        pass


@contextmanager
def serve(directory: Path, prefix: str = "/portal/") -> Iterator[str]:
    """Serve ``directory`` at http://127.0.0.1:<free port><prefix>; stopped when the block ends."""
    handler = functools.partial(type("Handler", (_SubPathHandler,), {"prefix": prefix}), directory=str(directory))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{prefix}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def example_out(tmp_path_factory) -> Path:
    """The example portal built into a temporary folder (once per test session)."""
    out = tmp_path_factory.mktemp("site") / "output"
    build(EXAMPLE, out, base_url="")
    return out


@pytest.fixture(scope="session")
def fenyang_page(example_out):
    return lxml.html.parse(str(example_out / FENYANG / "index.html")).getroot()


@pytest.fixture
def content_copy(tmp_path) -> Path:
    """A writable copy of the example content, to modify in a test."""
    target = tmp_path / "content"
    shutil.copytree(EXAMPLE, target)
    return target


def reader_text(el) -> str:
    """``el``'s text as a reader sees it: without the glossary tooltips (shown on hover and focus only)."""
    el = copy.deepcopy(el)
    for tip in el.cssselect(".term-tip"):
        tip.drop_tree()
    return el.text_content()


def cell(page, table_id: str, code_or_label: str, key: str) -> str:
    """The text of the amount cell in column ``key`` of the row named ``code_or_label``."""
    table = page.cssselect(f'table[data-table="{table_id}"]')[0]
    coded = table.cssselect(f'td[data-code="{code_or_label}"][data-key="{key}"]')
    if coded:
        return coded[0].text_content().strip()
    for row in table.cssselect("tbody tr"):
        texts = [c.text_content().strip() for c in row]
        if any(t == code_or_label or t.split("（")[0] == code_or_label for t in texts):
            hits = row.cssselect(f'td[data-key="{key}"]')
            if hits:
                return hits[0].text_content().strip()
    raise AssertionError(f"no row {code_or_label!r} with column {key!r} in table {table_id}")
