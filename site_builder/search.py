"""Search index (stage 6): Pagefind, run over the pages once they are written.

Pagefind (https://pagefind.app) builds a chunked static index that the browser fetches piece
by piece; nothing runs on the server. Chinese has no spaces between words, so the index must
be built by Pagefind's *extended* binary, which segments Chinese text. The version is pinned
in ``package.json`` (npm ``pagefind`` 1.6.0, whose ``@pagefind/<platform>`` package carries
the binary): measured on the example portal and on synthetic portals, 1.6.0 finds every page
that contains 公务用车, while PyPI's ``pagefind[extended]`` 1.5.2 segments the index and the
query differently and loses most of them (Pagefind issue #1237). See docs/search.md.

What is indexed is set by the templates: ``data-pagefind-body`` on the disclosure's content,
filters (department, year, kind, region), metadata (title, headline figure) and the sort key
(year) in ``<meta>`` tags of the page head.
"""

from __future__ import annotations

import os
import platform
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from .errors import SiteBuilderError

PAGEFIND_VERSION = "1.6.0"
BUNDLE_DIR = "pagefind"     # the index folder inside the output, next to index.html
_PLATFORMS = {("linux", "x86_64"): "linux-x64", ("linux", "aarch64"): "linux-arm64",
              ("darwin", "x86_64"): "darwin-x64", ("darwin", "arm64"): "darwin-arm64",
              ("win32", "AMD64"): "windows-x64", ("win32", "ARM64"): "windows-arm64"}


class SearchError(SiteBuilderError):
    """The search index could not be built; the previous output stays in place."""


@dataclass
class IndexResult:
    pages: int
    words: int
    seconds: float
    binary: Path


def _package_dirs() -> list[Path]:
    """Where ``npm ci`` may have put node_modules: the working folder, then this checkout."""
    here = Path(__file__).resolve().parent.parent
    return [Path.cwd(), here]


def find_pagefind() -> Path | None:
    """The extended Pagefind binary: $PAGEFIND_BINARY_PATH, node_modules, or PATH."""
    explicit = os.environ.get("PAGEFIND_BINARY_PATH")
    if explicit:
        return Path(explicit)
    name = "pagefind_extended.exe" if sys.platform == "win32" else "pagefind_extended"
    target = _PLATFORMS.get((sys.platform, platform.machine()))
    if target:
        for base in _package_dirs():
            candidate = base / "node_modules" / "@pagefind" / target / "bin" / name
            if candidate.is_file():
                return candidate
    found = shutil.which(name)
    return Path(found) if found else None


def pagefind_command(binary: Path, site: Path) -> list[str]:
    return [str(binary), "--site", str(site), "--output-subdir", BUNDLE_DIR]


def index_site(site: Path, binary: Path | None = None) -> IndexResult:
    """Run Pagefind over ``site``; the bundle goes to ``site/pagefind/``."""
    binary = binary or find_pagefind()
    if binary is None or not binary.is_file():
        raise SearchError(None, "找不到 Pagefind 搜索索引工具（pagefind_extended），无法生成搜索索引",
                          "在项目文件夹运行 npm ci 安装（见 README），或设置环境变量 PAGEFIND_BINARY_PATH；"
                          "暂不需要搜索时加 --no-search")
    started = time.perf_counter()
    try:
        result = subprocess.run(pagefind_command(binary, site),
                                capture_output=True, text=True, encoding="utf-8", errors="replace",
                                timeout=3600, check=False)
    except OSError as exc:
        raise SearchError(None, f"无法运行 Pagefind（{binary}）：{exc.strerror}",
                          "重新运行 npm ci，或检查 PAGEFIND_BINARY_PATH") from exc
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()[-5:]
        raise SearchError(None, "生成搜索索引失败：" + " / ".join(detail), "加 --no-search 可先生成不含搜索的网站")
    drop_unused_ui(site / BUNDLE_DIR)
    pages = _count(result.stdout, "pages")
    if pages == 0:
        raise SearchError(None, "搜索索引中没有任何页面（模板中缺少 data-pagefind-body？）",
                          "公开文件页面的正文元素应带 data-pagefind-body 属性，见 docs/templates.md")
    return IndexResult(pages, _count(result.stdout, "words"), time.perf_counter() - started, binary)


# Pagefind's ready-made UIs: the portal has its own labelled search page (assets/search.js) over
# the JS API, so these are never loaded; removing them keeps the published folder lean.
_UNUSED = ("pagefind-ui.js", "pagefind-ui.css", "pagefind-modular-ui.js", "pagefind-modular-ui.css",
           "pagefind-component-ui.js", "pagefind-component-ui.css", "pagefind-highlight.js")


def drop_unused_ui(bundle: Path) -> None:
    for name in _UNUSED:
        (bundle / name).unlink(missing_ok=True)


def _count(output: str, what: str) -> int:
    match = re.search(rf"Indexed (\d+) {what}", output)
    return int(match.group(1)) if match else 0
