"""Search index: Pagefind, run over the pages once they are written.

Pagefind (https://pagefind.app) builds a chunked static index that the browser fetches piece
by piece; nothing runs on the server. Chinese has no spaces between words, so the index must
be built by Pagefind's *extended* binary, which segments Chinese text. The version is pinned
in ``package.json`` (npm ``@pagefind/linux-x64`` / ``linux-arm64`` 1.6.0, which carry the
binary): measured on the example portal and on synthetic portals, 1.6.0 finds every page
that contains 公务用车, while PyPI's ``pagefind[extended]`` 1.5.2 segments the index and the
query differently and loses most of them (Pagefind issue #1237). See docs/search.md.

What is indexed is set by the templates: ``data-pagefind-body`` on the disclosure's content,
filters (department, year, kind, region) and metadata (title, headline figure) in ``<meta>``
tags of the page head. After each run, the fragments keep only their headings' anchors (a
result opens at its section), the pages are numbered
in the order of their URLs (Pagefind numbers them as the file system lists them: another folder
gave other bytes), the fragments get short sequential names, and the metadata is recompressed
(search_bundle: drop_anchors, canonical_page_order, shorten_fragment_names, recompress_metadata):
the same bytes wherever the site is built, fewer for a reader's first query.
"""

from __future__ import annotations

import bisect
import ctypes
import html
import itertools
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .search_bundle import canonical_page_order, drop_anchors, recompress_metadata, shorten_fragment_names
from . import faults
from .errors import SiteBuilderError
from .layout import BUNDLE_DIR

PAGEFIND_VERSION = "1.6.0"   # pinned in package.json; search_bundle.KNOWN_VERSION is the bundle format it writes
SHARDS_FILE = "shards.json"  # in BUNDLE_DIR: every shard, what it holds; the search page merges them as needed
# Pagefind holds the whole index in memory while it builds it, in proportion to the pages
# (measured: docs/performance.md#pagefind-memory). A large portal is indexed
# in shards of at most this many pages, one Pagefind run after another, merged in the browser
# (mergeIndex); fewer shards make a cheaper first query (each brings its own metadata).
DEFAULT_SHARD_SIZE = 2500
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
    shards: int = 1
    peak_memory: int = 0    # bytes, the largest of the Pagefind runs
    version: str = ""       # what the binary reports; PAGEFIND_VERSION is the one measured and pinned


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


def pagefind_command(binary: Path, site: Path, output: Path, glob: str | None = None) -> list[str]:
    return [str(binary), "--site", str(site), "--output-path", str(output), *(["--glob", glob] if glob else [])]


def plan_shards(groups: list[tuple[str, int]], shard_size: int,
                regions: dict[str, str] | None = None) -> list[list[str]]:
    """Top-level folders (departments), grouped by ``regions`` (folder → region: regions in order
    of first appearance, their departments in order), split into as few shards as ``shard_size``
    allows, of about equal size (5,000 pages in shards of 2,500: 2,500 + 2,500, not
    2,000 + 2,000 + 1,000): every shard costs a query that searches it its own metadata and index
    chunks. Grouped, and cut where a region ends when that is near (_region_cuts), so that a
    region's pages are in one shard, or in two next to each other: the search page searches only
    the shards of a region chosen or named (search.js)."""
    region_of = regions or {}
    if regions:
        first: dict[str, int] = {}
        for name, _ in groups:
            first.setdefault(region_of.get(name, ""), len(first))
        groups = sorted(groups, key=lambda group: first[region_of.get(group[0], "")])    # (stable: in order within)
    total = sum(count for _, count in groups)
    count_of_shards = max(1, -(-total // shard_size))
    target = total / count_of_shards
    shard_of: list[int] = []
    before = 0
    for _, count in groups:
        # a department goes to the shard its middle page falls in
        shard_of.append(min(count_of_shards - 1, int((before + count / 2) // target)))
        before += count
    cuts = [next((i for i, shard in enumerate(shard_of) if shard >= k), len(groups)) for k in range(1, count_of_shards)]
    if regions and groups:
        # (no shard larger than shard_size, or than the largest the rule above made: it can exceed
        # shard_size by half a department)
        largest = max(sum(count for (_, count), shard in zip(groups, shard_of, strict=True) if shard == k)
                      for k in range(count_of_shards))
        cuts = _region_cuts(groups, [region_of.get(name, "") for name, _ in groups], cuts, target,
                            max(shard_size, largest))
    edges = [0, *cuts, len(groups)]
    shards = [[name for name, _ in groups[start:end]] for start, end in itertools.pairwise(edges)]
    return [shard for shard in shards if shard]


SNAP = 0.1   # a shard may be this share of the even size smaller or larger, to end where a region does


def _region_cuts(groups: list[tuple[str, int]], region_of: list[str], cuts: list[int], target: float,
                 shard_size: int) -> list[int]:
    """The cuts between shards (each shard's first department) moved to the nearest place where a
    region ends, when one is within SNAP of the even share and no shard exceeds ``shard_size``
    (counting the pages left for the shards after): at 50,000 pages in shards of 2,500, a county
    of about 500 pages would otherwise fall across two shards about one time in five."""
    ends = list(itertools.accumulate(count for _, count in groups))
    moved: list[int] = []
    previous = 0
    for k, cut in enumerate(cuts, start=1):
        ideal = k * target
        start = ends[previous - 1] if previous else 0
        low = bisect.bisect_left(ends, ideal - SNAP * target) + 1
        high = min(bisect.bisect_right(ends, ideal + SNAP * target), len(groups) - 1)
        places = [i for i in range(max(low, previous + 1), high + 1)
                  if region_of[i] != region_of[i - 1] and ends[i - 1] - start <= shard_size
                  and ends[-1] - ends[i - 1] <= (len(cuts) + 1 - k) * shard_size]
        if places:
            cut = min(places, key=lambda i: abs(ends[i - 1] - ideal))
        moved.append(max(cut, previous))
        previous = moved[-1]
    return moved


_REGION = re.compile(r'<meta data-pagefind-filter="region\[content\]" content="([^"]*)"')


def department_facts(site: Path, folder: str) -> tuple[str, list[str]]:
    """The region a department's disclosure pages name (their ``region`` filter, read from the
    head of the first one: ``folder/YEAR/KIND/index.html``) and the years it publishes for (its
    year folders). What shards.json says a shard holds, and how plan_shards groups them; a
    template that moved the region's tag elsewhere gives "" (the shard may hold any region)."""
    years: list[str] = []
    region = ""
    try:
        entries = sorted(os.scandir(site / folder), key=lambda entry: entry.name)
    except OSError:
        return region, years
    for entry in entries:
        if not (re.fullmatch(r"\d{4}", entry.name) and entry.is_dir()):
            continue
        years.append(entry.name)
        if region:
            continue
        for page in sorted(Path(entry.path).glob("*/index.html")):
            with open(page, encoding="utf-8", errors="replace") as file:
                found = _REGION.search(file.read(8192))
            if found:
                region = html.unescape(found.group(1))
                break
    return region, years


def shard_record(path: str, pages: int, facts: list[tuple[str, list[str]]]) -> dict[str, object]:
    """What shards.json says of a shard: its folder under pagefind/ ("" for pagefind/ itself), its
    pages, and the regions (in order) and years (newest first) of its departments: a list of
    strings a shard, so that the search page knows which shards a filter or a place named in the
    query needs without fetching them."""
    regions = list(dict.fromkeys(region for region, _ in facts if region))
    years = sorted({year for _, found in facts for year in found}, reverse=True)
    return {"path": path, "pages": pages, "regions": regions, "years": years}


def index_site(site: Path, groups: list[tuple[str, int]] | None = None, shard_size: int = DEFAULT_SHARD_SIZE,
               binary: Path | None = None, bundle: Path | None = None, compact: bool = True) -> IndexResult:
    """Run Pagefind over ``site``: one bundle in ``bundle`` (default ``site/pagefind/``), or, when
    ``groups`` (top-level folder, pages) hold more than ``shard_size`` pages, one bundle per shard
    (``pagefind/`` and ``pagefind/shard-N/``, departments grouped by region: plan_shards), each
    listed in ``pagefind/shards.json`` with its pages, regions and years, for the search page to
    merge those a query needs. ``build`` indexes into a folder beside the site and swaps it in afterwards.
    ``compact``: keep only the fragments' heading anchors, number the pages in the order of their URLs (the
    same bytes from any folder), rename the fragments short and recompress (fewer bytes per
    query): about 12 + 13 ms of CPU a page (docs/search.md). The preview server leaves it out,
    to have its index sooner."""
    binary = binary or require_pagefind()
    started = time.perf_counter()
    version = pagefind_version(binary)
    sharded = bool(groups) and sum(n for _, n in groups or []) > shard_size
    facts = {name: department_facts(site, name) for name, _ in groups or []} if sharded else {}
    shards = plan_shards(groups or [], shard_size, {name: region for name, (region, _) in facts.items()}) \
        if sharded else [[]]
    records: list[dict[str, object]] = []
    pages = words = peak = 0
    kept = bundle is not None and bundle.resolve() != (site / BUNDLE_DIR).resolve()    # (built beside the site)
    bundle = bundle or site / BUNDLE_DIR
    prefixes: set[str] = set()      # of the shards' fragment names, distinct (shorten_fragment_names)
    for number, folders in enumerate(shards, start=1):
        output = bundle if number == 1 else bundle / f"shard-{number}"
        glob = "{" + ",".join(folders) + "}/**/*.html" if folders else None
        stdout, memory = _run(pagefind_command(binary, site, output, glob), binary, kept)
        peak = max(peak, memory)
        drop_unused_ui(output)
        if compact:
            drop_anchors(output)
            canonical_page_order(output)
            shorten_fragment_names(output, prefixes)
            recompress_metadata(output)
        shard_pages = _count(stdout, "pages")
        pages += shard_pages
        words += _count(stdout, "words")
        records.append(shard_record("" if number == 1 else f"shard-{number}/", shard_pages,
                                    [facts[name] for name in folders if name in facts]))
    # "shards": the further shards' folders, as before (a search page an HTTP cache kept from an
    # earlier build merges them all); "contents": what each shard holds, the first included
    listing = {"shards": [record["path"] for record in records[1:]], "contents": records}
    (bundle / SHARDS_FILE).write_text(json.dumps(listing, ensure_ascii=False) + "\n", encoding="utf-8")
    if pages == 0:
        raise SearchError(None, "搜索索引中没有任何页面（模板中缺少 data-pagefind-body？）",
                          _hint(kept, "公开文件页面的正文元素应带 data-pagefind-body 属性，见 docs/templates.md"))
    return IndexResult(pages, words, time.perf_counter() - started, binary, len(shards), peak, version)


def require_pagefind() -> Path:
    """The Pagefind binary, or a SearchError that says how to install it (checked before a
    build writes anything, so a missing indexer never leaves new pages with an old index)."""
    binary = find_pagefind()
    if binary is None or not binary.is_file():
        raise SearchError(None, "找不到 Pagefind 搜索索引工具（pagefind_extended），无法生成搜索索引",
                          "在项目文件夹运行 npm ci 安装（见 README），或设置环境变量 PAGEFIND_BINARY_PATH；"
                          "暂不需要搜索时加 --no-search")
    return binary


def pagefind_version(binary: Path) -> str:
    """“1.6.0” from ``pagefind_extended --version`` (empty when it cannot say)."""
    try:
        output = subprocess.run([str(binary), "--version"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired):
        return ""
    match = re.search(r"(\d+\.\d+\.\d+)", output)
    return match.group(1) if match else ""


def _run(command: list[str], binary: Path, kept: bool = False) -> tuple[str, int]:
    """Run one Pagefind; return its output and its peak memory in bytes (0 where unknown).
    ``kept``: the index is built beside the site, so a failure leaves the site as it was (the
    error says so)."""
    try:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   text=True, encoding="utf-8", errors="replace", preexec_fn=_dies_with_parent())
    except OSError as exc:
        raise SearchError(None, f"无法运行 Pagefind 搜索索引工具（{binary}）：{exc.strerror}",
                          _hint(kept, "重新运行 npm ci，或检查 PAGEFIND_BINARY_PATH")) from exc
    output: dict[str, str] = {}
    readers = [threading.Thread(target=lambda key=key, stream=stream: output.__setitem__(key, stream.read()))
               for key, stream in (("out", process.stdout), ("err", process.stderr))]
    for reader in readers:
        reader.start()
    faults.point("search.pagefind")     # (a test stops the build here, while Pagefind runs)
    peak = 0
    if hasattr(os, "wait4"):   # the child's own resource usage: its peak memory
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        peak = usage.ru_maxrss * 1024
    else:  # pragma: no cover - Windows
        process.wait()
    for reader in readers:
        reader.join()
    if process.returncode != 0:
        raise _failure(process.returncode, output.get("err", ""), output.get("out", ""),
                       command[command.index("--output-path") + 1], peak, kept)
    return output.get("out", ""), peak


def _dies_with_parent() -> Callable[[], None] | None:
    """For Linux: Pagefind is killed when the build dies (``prctl(PR_SET_PDEATHSIG, SIGKILL)``),
    SIGKILL included, so no orphan goes on writing into a staging folder that the next command
    removes. The function is looked up before the fork; the child only calls it."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    return lambda: prctl(1, signal.SIGKILL, 0, 0, 0)     # PR_SET_PDEATHSIG = 1


def _failure(returncode: int, stderr: str, stdout: str, output: str, peak: int, kept: bool) -> SiteBuilderError:
    """A failed Pagefind run as the clerk should read it: what failed and what to do, in
    Chinese, never Pagefind's own English or a Rust panic as the message. Pagefind's last words
    (the panic and its place, or its last line) follow in the hint, after “Pagefind 的原始输出：”,
    for a bug report: in the message, because a clerk's report is what the terminal showed
    (a file beside the output would be missed, or published, and cannot be written on a full
    disk). A disk that refused Pagefind's writes (it panics: ``Os { code: 28, kind:
    StorageFull … }``) is a WriteError that names the folder, like every refused write."""
    text = stderr + stdout
    refused = re.search(r"(?:code: |os error )(\d+)", text)
    if refused and returncode > 0:
        from .write import write_error

        error = write_error(OSError(int(refused[1]), os.strerror(int(refused[1]))), output)
        if error is not None:
            return error
    raw = _last_words(text)
    report = f"Pagefind 的原始输出（报告问题时请附上）：{raw}" if raw else ""
    if returncode < 0:
        name = _signal_name(-returncode)
        used = f"，终止前用了 {_memory(peak)} 内存" if peak else ""
        if -returncode == getattr(signal, "SIGKILL", 9):
            return SearchError(None, f"生成搜索索引失败：Pagefind 搜索索引工具被系统强行终止（{name}{used}）",
                               _hint(kept, "最常见的原因是内存不足（Pagefind 每页约需 4 MB 内存）：加 "
                                     "--search-shard-size 1000 分批生成索引后重新运行，或加 --no-search "
                                     "先生成不含搜索的网站", report))
        return SearchError(None, f"生成搜索索引失败：Pagefind 搜索索引工具被终止（{name}{used}）",
                           _hint(kept, "如果不是有意中止，重新运行 site-builder build；加 --no-search "
                                 "可先生成不含搜索的网站", report))
    if "panicked at" in text:
        return SearchError(None, "生成搜索索引失败：Pagefind 搜索索引工具内部出错（程序崩溃）",
                           _hint(kept, "重新运行一次；仍然出错时，加 --no-search 先生成不含搜索的网站，"
                                 "并把 Pagefind 的原始输出报告给维护人员", report))
    return SearchError(None, f"生成搜索索引失败：Pagefind 搜索索引工具出错退出（退出码 {returncode}）",
                       _hint(kept, "检查 Pagefind 的安装（在项目文件夹运行 npm ci）后重新运行；加 --no-search "
                             "可先生成不含搜索的网站", report))


def _hint(kept: bool, *parts: str) -> str:
    from .write import KEPT

    return "；".join(part for part in (KEPT if kept else "", *parts) if part)


def _last_words(text: str, limit: int = 400) -> str:
    """What Pagefind said last, for a bug report: a panic's place and the line after it, its
    message (not Rust's "note: run with RUST_BACKTRACE=1"), else its last line; at most
    ``limit`` characters."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for number, line in enumerate(lines):
        if "panicked at" in line:
            said = [line, *(rest for rest in lines[number + 1:number + 2] if not rest.startswith("note:"))]
            return _shortened(" ".join(said), limit)
    lines = [line for line in lines if not line.startswith("note:")]
    return _shortened(lines[-1], limit) if lines else ""


def _shortened(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _memory(size: int) -> str:
    return f"{size / 2**30:.1f} GB" if size >= 2**30 else f"{max(1, round(size / 2**20))} MB"


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"信号 {number}"


# Pagefind's ready-made UIs and its web worker: the portal has its own labelled search page
# (assets/search.js) over the JS API, run with noWorker, so these are never loaded; removing
# them keeps the published folder lean.
_UNUSED = ("pagefind-worker.js", "pagefind-ui.js", "pagefind-ui.css", "pagefind-modular-ui.js",
           "pagefind-modular-ui.css", "pagefind-component-ui.js", "pagefind-component-ui.css",
           "pagefind-highlight.js")


def drop_unused_ui(bundle: Path) -> None:
    for name in _UNUSED:
        (bundle / name).unlink(missing_ok=True)


def _count(output: str, what: str) -> int:
    match = re.search(rf"Indexed (\d+) {what.rstrip('s')}s?\b", output)  # "1 page", "3 pages"
    return int(match.group(1)) if match else 0
