"""Search index (stage 6): Pagefind, run over the pages once they are written.

Pagefind (https://pagefind.app) builds a chunked static index that the browser fetches piece
by piece; nothing runs on the server. Chinese has no spaces between words, so the index must
be built by Pagefind's *extended* binary, which segments Chinese text. The version is pinned
in ``package.json`` (npm ``@pagefind/linux-x64`` / ``linux-arm64`` 1.6.0, which carry the
binary): measured on the example portal and on synthetic portals, 1.6.0 finds every page
that contains 公务用车, while PyPI's ``pagefind[extended]`` 1.5.2 segments the index and the
query differently and loses most of them (Pagefind issue #1237). See docs/search.md.

What is indexed is set by the templates: ``data-pagefind-body`` on the disclosure's content,
filters (department, year, kind, region) and metadata (title, headline figure) in ``<meta>``
tags of the page head. After each run, the fragments lose their anchors, get short sequential
names, and the metadata is recompressed (drop_anchors, shorten_fragment_names,
recompress_metadata): fewer bytes for a reader's first query.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from .errors import SiteBuilderError

PAGEFIND_VERSION = "1.6.0"
BUNDLE_DIR = "pagefind"     # the index folder inside the output, next to index.html
SHARDS_FILE = "shards.json"  # in BUNDLE_DIR: the further indexes the search page merges
# Pagefind holds the whole index in memory while it builds it: measured about 3.7 MB per
# disclosure page (1,000 synthetic pages: 3.7 GB; 2,500: about 9 GB). A large portal is indexed
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


def plan_shards(groups: list[tuple[str, int]], shard_size: int) -> list[list[str]]:
    """Top-level folders (departments), in order, split into as few shards as ``shard_size``
    allows, of about equal size (5,000 pages in shards of 2,500: 2,500 + 2,500, not
    2,000 + 2,000 + 1,000): every shard costs the first query its own metadata and index chunks."""
    total = sum(count for _, count in groups)
    count_of_shards = max(1, -(-total // shard_size))
    target = total / count_of_shards
    shards: list[list[str]] = [[] for _ in range(count_of_shards)]
    before = 0
    for name, count in groups:
        # a department goes to the shard its middle page falls in
        shards[min(count_of_shards - 1, int((before + count / 2) // target))].append(name)
        before += count
    return [shard for shard in shards if shard]


def index_site(site: Path, groups: list[tuple[str, int]] | None = None, shard_size: int = DEFAULT_SHARD_SIZE,
               binary: Path | None = None, bundle: Path | None = None, compact: bool = True) -> IndexResult:
    """Run Pagefind over ``site``: one bundle in ``bundle`` (default ``site/pagefind/``), or, when
    ``groups`` (top-level folder, pages) hold more than ``shard_size`` pages, one bundle per shard
    (``pagefind/`` and ``pagefind/shard-N/``) listed in ``pagefind/shards.json`` for the search
    page to merge. ``build`` indexes into a folder beside the site and swaps it in afterwards.
    ``compact``: drop the fragments' anchors, rename them short and recompress (fewer bytes per
    query, about 18 ms of CPU a page); the preview server leaves it out, to have its index sooner."""
    binary = binary or require_pagefind()
    started = time.perf_counter()
    version = pagefind_version(binary)
    shards = plan_shards(groups, shard_size) if groups and sum(n for _, n in groups) > shard_size else [[]]
    pages = words = peak = 0
    bundle = bundle or site / BUNDLE_DIR
    prefixes: set[str] = set()      # of the shards' fragment names, distinct (shorten_fragment_names)
    for number, folders in enumerate(shards, start=1):
        output = bundle if number == 1 else bundle / f"shard-{number}"
        glob = "{" + ",".join(folders) + "}/**/*.html" if folders else None
        stdout, memory = _run(pagefind_command(binary, site, output, glob), binary)
        peak = max(peak, memory)
        drop_unused_ui(output)
        if compact:
            drop_anchors(output)
            shorten_fragment_names(output, prefixes)
            recompress_metadata(output)
        pages += _count(stdout, "pages")
        words += _count(stdout, "words")
    (bundle / SHARDS_FILE).write_text(
        json.dumps({"shards": [f"shard-{n}/" for n in range(2, len(shards) + 1)]}) + "\n", encoding="utf-8")
    if pages == 0:
        raise SearchError(None, "搜索索引中没有任何页面（模板中缺少 data-pagefind-body？）",
                          "公开文件页面的正文元素应带 data-pagefind-body 属性，见 docs/templates.md")
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


def _run(command: list[str], binary: Path) -> tuple[str, int]:
    """Run one Pagefind; return its output and its peak memory in bytes (0 where unknown)."""
    try:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   text=True, encoding="utf-8", errors="replace")
    except OSError as exc:
        raise SearchError(None, f"无法运行 Pagefind（{binary}）：{exc.strerror}",
                          "重新运行 npm ci，或检查 PAGEFIND_BINARY_PATH") from exc
    output: dict[str, str] = {}
    readers = [threading.Thread(target=lambda key=key, stream=stream: output.__setitem__(key, stream.read()))
               for key, stream in (("out", process.stdout), ("err", process.stderr))]
    for reader in readers:
        reader.start()
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
        detail = (output.get("err") or output.get("out") or "").strip().splitlines()[-5:]
        raise SearchError(None, "生成搜索索引失败：" + " / ".join(detail), "加 --no-search 可先生成不含搜索的网站")
    return output.get("out", ""), peak


# Pagefind's ready-made UIs and its web worker: the portal has its own labelled search page
# (assets/search.js) over the JS API, run with noWorker, so these are never loaded; removing
# them keeps the published folder lean.
_UNUSED = ("pagefind-worker.js", "pagefind-ui.js", "pagefind-ui.css", "pagefind-modular-ui.js",
           "pagefind-modular-ui.css", "pagefind-component-ui.js", "pagefind-component-ui.css",
           "pagefind-highlight.js")


def drop_unused_ui(bundle: Path) -> None:
    for name in _UNUSED:
        (bundle / name).unlink(missing_ok=True)


FRAGMENT_SIGNATURE = b"pagefind_dcd"   # what Pagefind puts before the JSON of a fragment, inside the gzip


def drop_anchors(bundle: Path) -> None:
    """Empty the ``anchors`` list of every fragment (the per-page file a result's excerpt comes from).

    Pagefind records every element with an ``id`` inside ``data-pagefind-body`` as an anchor, with
    its text, for sub-results (links to a heading within the page). A disclosure page has dozens
    of ids (table of contents targets, ``aria-labelledby`` references), the search page shows no
    sub-results, and the anchors were 6-7% of a fragment's gzip bytes: each result's excerpt costs
    that much less. Only ``anchors`` changes: the content, word count, filters and metadata are
    kept as Pagefind wrote them, and pagefind.js reads an empty list as a page without headings.
    The file keeps its name (a hash of what Pagefind wrote), so a cached copy stays consistent."""
    fragments = list(bundle.glob("fragment/*.pf_fragment"))
    # zlib lets go of the GIL while it compresses: one thread per CPU
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        for _ in pool.map(_drop_fragment_anchors, fragments, chunksize=16):
            pass


def _drop_fragment_anchors(fragment: Path) -> None:
    data = gzip.decompress(fragment.read_bytes())
    if not data.startswith(FRAGMENT_SIGNATURE):
        raise SearchError(None, f"无法识别的搜索索引文件：{fragment.name}",
                          f"检查 Pagefind 的版本（应为 {PAGEFIND_VERSION}）")
    record = json.loads(data[len(FRAGMENT_SIGNATURE):])
    if not record.get("anchors"):
        return
    record["anchors"] = []
    body = FRAGMENT_SIGNATURE + json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    # level 9: 3% smaller than zlib's default 6 on these files, for about 18 ms a page of CPU
    fragment.write_bytes(gzip.compress(body, compresslevel=9, mtime=0))


def recompress_metadata(bundle: Path) -> None:
    """Pagefind's metadata (``*.pf_meta``: every page's fragment name and word count, the list of
    index chunks), which every first query fetches, gzipped again at level 9: 4% smaller than
    Pagefind writes it (48.8 → 47.0 KB for 2,500 pages). Same bytes inside, same name (a
    metadata shorten_fragment_names rewrote is already at level 9)."""
    for meta in bundle.glob("*.pf_meta"):
        packed = meta.read_bytes()
        smaller = gzip.compress(gzip.decompress(packed), compresslevel=9, mtime=0)
        if len(smaller) < len(packed):
            meta.write_bytes(smaller)


# ---- short fragment names -------------------------------------------------------------------
#
# pagefind.js finds a bundle's files in two steps: it fetches ``pagefind-entry.json`` (always
# anew: ``?ts=<now>``), whose ``languages[lang].hash`` names the metadata file
# (``pagefind.<hash>.pf_meta``); the metadata (``b"pagefind_dcd"`` + CBOR, gzipped) lists every
# page as [fragment name, word count, fragment group], and a result's excerpt is fetched from
# ``fragment/<name>.pf_fragment`` (the name is also the result's ``id``). Nothing else names a
# fragment: the index chunks and filters refer to pages by their position in that list.
#
# Pagefind names a fragment ``zh-cn_`` + 7 hex digits of a hash of its content: 2,500 such names
# are about 17 KB of a shard's 47 KB gzipped metadata, which every first query fetches, because
# random digits do not compress. Sequential names compress to almost nothing, so each page's
# fragment is renamed ``<prefix><counter>`` (measured on the two 2,500-page shards of 5,000
# synthetic documents: 40.8 → 33.2 KB and 41.4 → 33.6 KB gzipped):
# - ``counter``: the page's position in the metadata, in base 36 (2,500 pages: at most 3 digits);
# - ``prefix``: 3 base-36 characters (46,656 values) of a hash of the metadata Pagefind wrote,
#   which holds every page's content hash. Same pages, same names, same bytes (a rebuild with
#   nothing changed publishes the same files); any change to a page of the shard gives, but
#   for a 1-in-46,656 chance, other names, so a browser or proxy that cached an earlier
#   build's ``k3q7.pf_fragment`` is not served it for another page. Each character of prefix
#   costs about 75 bytes a shard of 2,500 pages (gzip repeats it with every name).
#   Its length is fixed, so a name can only repeat another shard's if the prefixes are equal:
#   the shards of one build (merged by the search page, whose results are told apart by id)
#   get distinct prefixes (``taken``). No language part (Pagefind's ``zh-cn_``, 0.6 KB a
#   shard): pagefind.js never reads it, and without ``_`` a short name cannot be one of
#   Pagefind's (another shard left as Pagefind wrote it keeps those).
# The metadata is then written under a new name (a hash of its new content) and
# pagefind-entry.json is pointed at it. When anything is not as Pagefind 1.6.0 writes it
# (signature, CBOR that does not re-encode to the same bytes, version, list shapes, fragment
# groups, files on disk), the bundle is left as Pagefind wrote it: search works either way.

META_SIGNATURE = b"pagefind_dcd"   # what Pagefind puts before the CBOR of its metadata, inside the gzip
ENTRY_FILE = "pagefind-entry.json"
PREFIX_LENGTH = 3
_BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"


class CborError(ValueError):
    """Not the subset of CBOR that Pagefind's metadata uses."""


def cbor_decode(data: bytes) -> object:
    """Decode one CBOR item that fills ``data``: unsigned and negative integers, byte and text
    strings, arrays and maps of definite length (what Pagefind's metadata holds; tags, floats,
    true/false/null and indefinite lengths raise CborError)."""
    value, end = _cbor_item(data, 0, 0)
    if end != len(data):
        raise CborError(f"{len(data) - end} bytes after the CBOR item")
    return value


def _cbor_item(data: bytes, at: int, depth: int) -> tuple[object, int]:
    if depth > 32:
        raise CborError("nested too deeply")
    if at >= len(data):
        raise CborError("truncated")
    major, info = data[at] >> 5, data[at] & 31
    at += 1
    if info < 24:
        argument = info
    elif info <= 27:
        size = 1 << (info - 24)
        if at + size > len(data):
            raise CborError("truncated")
        argument = int.from_bytes(data[at:at + size], "big")
        at += size
    else:
        raise CborError(f"additional information {info} (indefinite length or reserved)")
    if major == 0:
        return argument, at
    if major == 1:
        return -1 - argument, at
    if major in (2, 3):
        if at + argument > len(data):
            raise CborError("truncated string")
        raw = data[at:at + argument]
        try:
            return (bytes(raw) if major == 2 else raw.decode("utf-8")), at + argument
        except UnicodeDecodeError as exc:
            raise CborError("text string is not UTF-8") from exc
    if major == 4:
        items = []
        for _ in range(argument):
            item, at = _cbor_item(data, at, depth + 1)
            items.append(item)
        return items, at
    if major == 5:
        mapping: dict = {}
        for _ in range(argument):
            key, at = _cbor_item(data, at, depth + 1)
            if isinstance(key, (list, dict)):
                raise CborError("a map key that is an array or a map")
            mapping[key], at = _cbor_item(data, at, depth + 1)
        return mapping, at
    raise CborError(f"major type {major} (tag, float or simple value)")


def cbor_encode(value: object) -> bytes:
    """Encode what cbor_decode returns, each length and integer in its shortest form."""
    out = bytearray()
    _cbor_put(out, value)
    return bytes(out)


def _cbor_head(out: bytearray, major: int, argument: int) -> None:
    if argument < 24:
        out.append(major << 5 | argument)
        return
    for info, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if argument < 1 << (8 * size):
            out.append(major << 5 | info)
            out += argument.to_bytes(size, "big")
            return
    raise CborError("integer too large")


def _cbor_put(out: bytearray, value: object) -> None:
    if isinstance(value, bool):
        raise CborError("booleans are not encoded")
    if isinstance(value, int):
        _cbor_head(out, 0, value) if value >= 0 else _cbor_head(out, 1, -1 - value)
    elif isinstance(value, bytes):
        _cbor_head(out, 2, len(value))
        out += value
    elif isinstance(value, str):
        raw = value.encode("utf-8")
        _cbor_head(out, 3, len(raw))
        out += raw
    elif isinstance(value, list):
        _cbor_head(out, 4, len(value))
        for item in value:
            _cbor_put(out, item)
    elif isinstance(value, dict):
        _cbor_head(out, 5, len(value))
        for key, item in value.items():
            _cbor_put(out, key)
            _cbor_put(out, item)
    else:
        raise CborError(f"cannot encode {type(value).__name__}")


def read_metadata(packed: bytes) -> list:
    """A ``.pf_meta`` file's content: gzip of the signature and a CBOR array. CborError when it is
    not that, or when it would not re-encode to the very same bytes (so that renaming changes
    the names and nothing else)."""
    data = gzip.decompress(packed)
    if not data.startswith(META_SIGNATURE):
        raise CborError("no pagefind_dcd signature")
    body = data[len(META_SIGNATURE):]
    meta = cbor_decode(body)
    if not isinstance(meta, list) or cbor_encode(meta) != body:
        raise CborError("the metadata does not re-encode to the same bytes")
    return meta


def write_metadata(meta: list) -> bytes:
    return gzip.compress(META_SIGNATURE + cbor_encode(meta), compresslevel=9, mtime=0)


def _base36(number: int) -> str:
    digits = ""
    while True:
        number, digit = divmod(number, 36)
        digits = _BASE36[digit] + digits
        if not number:
            return digits


def _prefix(meta_bytes: bytes, taken: set[str]) -> str:
    """PREFIX_LENGTH base-36 characters of a hash of ``meta_bytes``, not one of ``taken``
    (another shard's, or another language's): the next hash in a chain until it is free."""
    digest = hashlib.sha256(meta_bytes).digest()
    while True:
        prefix = _base36(int.from_bytes(digest[:8], "big") % 36 ** PREFIX_LENGTH).rjust(PREFIX_LENGTH, "0")
        if prefix not in taken:
            return prefix
        digest = hashlib.sha256(digest).digest()


def shorten_fragment_names(bundle: Path, taken: set[str] | None = None) -> bool:
    """Rename the fragments of the Pagefind bundle in ``bundle`` to short sequential names and
    rewrite its metadata (and pagefind-entry.json) to match; see the comment above. ``taken``:
    the prefixes given to the build's other bundles (shards), extended with this one's. Returns
    False, leaving the bundle as it was, when it is not as Pagefind 1.6.0 writes it."""
    taken = set() if taken is None else taken
    try:
        plan = _plan_renames(bundle, taken)
    except (CborError, OSError, ValueError, KeyError, TypeError, EOFError, gzip.BadGzipFile):
        return False
    if plan is None:
        return False
    entry, metas, renames = plan
    try:
        _apply_renames(bundle, entry, metas, renames)
    except OSError:
        return False    # what was renamed has been put back
    taken.update(prefix for _, _, _, prefix in metas)
    return True


def _plan_renames(bundle: Path, taken: set[str]):
    entry = json.loads((bundle / ENTRY_FILE).read_text(encoding="utf-8"))
    if entry.get("version") != PAGEFIND_VERSION or not isinstance(entry.get("languages"), dict):
        return None
    fragments = {path.name.removesuffix(".pf_fragment") for path in (bundle / "fragment").glob("*.pf_fragment")}
    chosen = set(taken)
    metas = []      # (language, old meta hash, new metadata, prefix)
    renames: dict[str, str] = {}
    for language, index in entry["languages"].items():
        old_hash = index["hash"]
        if not re.fullmatch(r"[\w-]+", language) or not re.fullmatch(r"[\w-]+", old_hash):
            return None
        packed = (bundle / f"pagefind.{old_hash}.pf_meta").read_bytes()
        meta = read_metadata(packed)
        if len(meta) < 2 or meta[0] != PAGEFIND_VERSION or not isinstance(meta[1], list):
            return None
        prefix = _prefix(gzip.decompress(packed), chosen)
        chosen.add(prefix)
        for number, page in enumerate(meta[1]):
            # [fragment name, word count, fragment group]: a page in a group ("" here) is
            # fetched from its group's file, which this does not rename
            if not (isinstance(page, list) and len(page) == 3 and isinstance(page[0], str)
                    and isinstance(page[1], int) and page[2] == ""):
                return None
            if page[0] in renames or page[0] not in fragments:
                return None
            new = prefix + _base36(number)
            renames[page[0]] = new
            page[0] = new
        metas.append((language, old_hash, meta, prefix))
    # every fragment on disk is a page of the metadata, and no new name is an old one
    if set(renames) != fragments or set(renames.values()) & fragments or len(set(renames.values())) != len(renames):
        return None
    return entry, metas, renames


def _apply_renames(bundle: Path, entry: dict, metas: list, renames: dict[str, str]) -> None:
    """Rename the fragments, write the new metadata, then point the entry at it; an error on the
    way puts back what was done (the entry is replaced last, atomically)."""
    folder = bundle / "fragment"
    done: list[tuple[Path, Path]] = []
    written: list[Path] = []
    try:
        for old, new in renames.items():
            source, target = folder / f"{old}.pf_fragment", folder / f"{new}.pf_fragment"
            os.rename(source, target)
            done.append((source, target))
        for language, _, meta, _ in metas:
            packed = write_metadata(meta)
            new_hash = f"{language}_{hashlib.sha256(packed).hexdigest()[:13]}"
            path = bundle / f"pagefind.{new_hash}.pf_meta"
            path.write_bytes(packed)
            written.append(path)
            entry["languages"][language]["hash"] = new_hash
        temporary = bundle / (ENTRY_FILE + ".tmp")
        temporary.write_text(json.dumps(entry, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
        os.replace(temporary, bundle / ENTRY_FILE)
    except BaseException:
        for source, target in reversed(done):
            os.rename(target, source)
        for path in written:
            path.unlink(missing_ok=True)
        (bundle / (ENTRY_FILE + ".tmp")).unlink(missing_ok=True)
        raise
    for _, old_hash, _, _ in metas:
        old = bundle / f"pagefind.{old_hash}.pf_meta"
        if old not in written:
            old.unlink()


def _count(output: str, what: str) -> int:
    match = re.search(rf"Indexed (\d+) {what.rstrip('s')}s?\b", output)  # "1 page", "3 pages"
    return int(match.group(1)) if match else 0
