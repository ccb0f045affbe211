"""Build cache: what the last build made from which inputs, so the next build redoes only what changed.

It lives beside the output folder (``.output.cache/build.json`` for ``output/``), never inside
it: it is not published.

**Inputs** are recognised by signature, as git recognises unchanged files: every file's path,
size and modification time (nanoseconds) under a department's folder, digested. A file
modified within two seconds of the build that read it is *racy* (a second save in the same
clock tick could keep both size and time), so its department is rebuilt next time whatever its
signature says. **Outputs** are recognised by their folders' times: a file written, replaced or
deleted in the output changes its folder's time, and the department is rendered again (its
file list comes from its summary, so the cache need not list 20 files per disclosure).

**Safety.** The cache records the format, the tool's version and the *environment*: a digest of
everything every page depends on (site.yaml, profiles, templates, the tool's own code and the
build options). Any difference, and the cache is not used. A cache whose checksum fails, that
cannot be parsed or has the wrong shape is ignored with a note and the build is a full one;
``--clean`` ignores it. A rebuilt page that comes out byte-identical is not written, so a cache
that is wrong in the safe direction only costs time.

**Layout.** A JSON header line (format, checksum…), a line of the portal's records (with the
facts the last build derived from every department: a build with no change reuses them, and the
file-system monitor's clock when one is used: fsmonitor.py), then
a line per department: what a build needs to see it unchanged, a tab, the listing of its
content folders (``scan``; decoded by the worker that scans them), a tab, its brief (what the
portal's facts are derived from: a build after an edit decodes these), a tab, and its summary,
decoded only when a page that shows it is made. A build that changed one department writes the
other lines back as it read them (encoding 10,000 entries again took 0.1 s of a one-edit build).
"""

from __future__ import annotations

import gc
import hashlib
import itertools
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from . import __version__
from .errors import SiteBuilderError
from .jsonfmt import compact_json, digest
from .assets import BUILTIN_TEMPLATES
from .layout import cache_path
from .modelcache import module_group
from .records import Brief, Facts, Summary
from .sources import refuse_outside_link
from .write import write_atomic

FORMAT = 6                    # 6: the records of records.py
RACY_NS = 2_000_000_000       # a file this close to the build's start may change again unseen
PACKAGE_DIR = Path(__file__).resolve().parent

Signature = list          # [[path in the site, size, mtime_ns], …]
_Record = TypeVar("_Record", Summary, Brief)     # what an entry keeps encoded


def _json(value: Any) -> bytes:
    """Compact JSON, UTF-8: a line of the cache (never a line break)."""
    return compact_json(value).encode("utf-8")


Listing = list   # [[folder below the scanned one, its mtime_ns, "file/names/in/listing/order"], …]


def scan(folder: Path | str, root: Path, started_ns: int, skip: tuple[Path, ...] = (),
         known: Listing | None = None) -> tuple[str, bool, Listing | None]:
    """(digest of every file under ``folder``: name, size, mtime, folder by folder; whether one is
    racy; the listing to pass as ``known`` next time, None when a symlink is among them).
    Entries are taken in the order the file system lists them, which is stable while a folder
    is unchanged (a folder whose listing changed has a changed file anyway).

    ``known``, the listing the last scan returned: a folder whose modification time is the one
    recorded has the same entries (adding, removing or renaming one changes its folder's time),
    so only its files are stat-ed, not the folder read again: a third less of the system calls
    that a build with no change spends most of its time on. Any folder whose time differs, or a
    file gone, and the folder is scanned in full. A folder changed within two seconds of the
    build makes the scan racy, as a file does (a second change in the same clock tick could
    keep its time).

    A symlink that leads outside the content folder ``root`` is refused here, as the loader
    would refuse it (a page must not publish /etc/passwd); a linked folder is not entered."""
    folder = str(folder)
    if known is not None:
        found = _rescan(folder, str(root), started_ns, known)
        if found is not None:
            return found
    root_text = str(root)
    skipped = {str(p) for p in skip}
    if os.path.islink(folder):
        refuse_outside_link(folder, root)
    items: list[object] = []
    listing: Listing | None = []
    newest = 0
    pending = [folder]
    while pending:
        path = pending.pop()
        items.append(path[len(root_text):])
        folder_mtime = os.stat(path).st_mtime_ns   # before reading it: a change after that shows next time
        newest = max(newest, folder_mtime)
        names = []
        with os.scandir(path) as entries:
            for entry in entries:
                name = entry.name
                if name[0] == "." or name == "__pycache__":
                    continue          # editors' swap files, .git, .DS_Store, compiled code: never read
                if entry.is_symlink():
                    refuse_outside_link(entry.path, root)
                    items += (name, -1)                  # the link itself; its target is not followed
                    listing = None
                elif entry.is_dir():
                    if entry.path not in skipped:
                        pending.append(entry.path)
                else:
                    stat = entry.stat()
                    mtime = stat.st_mtime_ns
                    items += (name, stat.st_size, mtime)
                    names.append(name)
                    if mtime > newest:
                        newest = mtime
        if listing is not None:
            listing.append([path[len(folder):], folder_mtime, "/".join(names)])
    return _digest_items(items), newest > started_ns - RACY_NS, listing


def _rescan(folder: str, root: str, started_ns: int, known: Listing) -> tuple[str, bool, Listing] | None:
    """``scan`` through a known listing: the same digest, or None when a folder's time changed
    or a file is gone (then the folder is scanned in full)."""
    items: list[object] = []
    newest = 0
    prefix = folder[len(root):]
    try:
        for below, folder_mtime, names in known:
            path = folder + below
            if os.stat(path).st_mtime_ns != folder_mtime:
                return None
            newest = max(newest, folder_mtime)
            items.append(prefix + below)
            if names:
                for name in names.split("/"):
                    stat = os.stat(f"{path}/{name}")
                    mtime = stat.st_mtime_ns
                    items += (name, stat.st_size, mtime)
                    if mtime > newest:
                        newest = mtime
    except (OSError, ValueError, TypeError):     # a file or folder gone; a listing of another shape
        return None
    return _digest_items(items), newest > started_ns - RACY_NS, known


def _digest_items(items: list[object]) -> str:
    return hashlib.blake2b(repr(items).encode("utf-8"), digest_size=16).hexdigest()


def output_signature(out_dir: Path, paths: list[str]) -> Signature:
    """[[path, size, mtime_ns]] of the output files ``paths`` ([path, -1, 0] for a missing one)."""
    signature = []
    base = str(out_dir) + os.sep
    for path in paths:
        try:
            stat = os.stat(base + path)
            signature.append([path, stat.st_size, stat.st_mtime_ns])
        except OSError:
            signature.append([path, -1, 0])
    return signature


def folders_signature(out_dir: Path, folders: list[str]) -> str:
    """A digest of the modification times of ``folders`` in the output (sorted: the folders that
    hold a department's files, summary.output_folders). A file written, replaced, renamed or
    deleted there changes its folder's time; a file edited in place does not (``--clean``
    rewrites every file; issue 10's manifest catches such edits)."""
    base = str(out_dir) + os.sep
    items = []
    for folder in folders:
        try:
            items.append((folder, os.stat(base + folder).st_mtime_ns))
        except OSError:
            items.append((folder, -1))
    return digest(items)


def outputs_intact(out_dir: Path, signature: Signature) -> bool:
    """Whether the output files are as ``signature`` recorded (not edited, replaced or deleted)."""
    base = str(out_dir) + os.sep
    for path, size, mtime in signature:
        try:
            stat = os.stat(base + path)
        except OSError:
            return False
        if stat.st_size != size or stat.st_mtime_ns != mtime:
            return False
    return True


class Environment(NamedTuple):
    """What every page depends on besides its own department's files, digested: ``model``, what
    loading and checking depend on (the model cache's key, modelcache.py), and ``whole``, that
    and what only rendering depends on (this cache's key)."""

    model: str
    whole: str
    workbooks: str      # what the XLSX depends on besides the model: the rendering code, the options


def environment(root: Path, out_dir: Path, options: dict[str, Any], started_ns: int) -> Environment:
    """What every page depends on besides its own department's files: the content folder's other
    files (site.yaml, profiles, subject lists; its templates), the built-in templates, the tool's
    code and version, and the options that change pages (``options``: those that change what
    loading and checking make, ``draft``; the others only change the pages). Split in two
    (modelcache.module_group): a change to templates, assets or the rendering code leaves the
    model environment as it was."""
    templates = root / "templates"
    skip = (root / "departments", templates, out_dir.resolve(), cache_path(out_dir).parent)
    model_options = {key: value for key, value in options.items() if key == "draft"}
    package = package_digests()
    model = digest([FORMAT, __version__, model_options, scan(root, root, started_ns, skip=skip)[0], package["model"]])
    code = digest([options, os.environ.get("SOURCE_DATE_EPOCH"), package["render"]])    # (dates where content has none)
    render = [code, scan(BUILTIN_TEMPLATES, BUILTIN_TEMPLATES, started_ns)[0]]
    if templates.is_dir():
        render.append(scan(templates, root, started_ns)[0])
    return Environment(model, digest([model, render]), code)


def package_digests() -> dict[str, str]:
    """The digest of the tool's own files (name, size, time), by group (modelcache.module_group):
    "model", what loading and checking run; "render", what only makes pages."""
    groups: dict[str, list[object]] = {"model": [], "render": []}
    for folder, names, files in os.walk(PACKAGE_DIR):
        names[:] = sorted(name for name in names if name[0] != "." and name != "__pycache__")
        below = os.path.relpath(folder, PACKAGE_DIR).replace(os.sep, "/")
        for name in sorted(files):
            if name[0] == ".":
                continue
            path = name if below == "." else f"{below}/{name}"
            stat = os.stat(os.path.join(folder, name))
            groups[module_group(path)].append((path, stat.st_size, stat.st_mtime_ns))
    return {group: digest(items) for group, items in groups.items()}


class Entry:
    """One department as the last build left it. Its brief, summary and listing (most of its
    line in the cache) are kept encoded and decoded where used (the summary each time, the
    others once): a build with no change uses none of them (at 10,000 disclosures decoding
    every line took 0.2 s of such a build), a build after one edit only the briefs, unless the
    portal's pages show what changed."""

    def __init__(self, signature: str, racy: bool, summary: Summary | bytes, outputs: str,
                 errors: list[str] | None, brief: Brief | bytes, folders: list[str] | None = None,
                 listing: Listing | bytes | None = None):
        """``summary``, ``brief`` and ``listing`` as a build made them, or as bytes: their JSON as
        read from the cache (decoded where used)."""
        self.signature = signature   # digest of its content folder
        self.racy = racy             # rebuild next time whatever the signature says
        self.outputs = outputs       # folders_signature of its files in the output
        self.folders = folders or []            # the output folders that hold them (pages.output_folders)
        self.errors = errors or []              # checker errors, kept when built with --allow-errors
        # the summary, kept encoded (smaller than as objects: a full build's parent holds every
        # department's; measured: docs/performance.md#cache-encoded); decoded each time it is used,
        # at most a few times a build
        self._body = summary if isinstance(summary, bytes) else _json(summary.to_json())
        self._brief = brief          # bytes until decoded (a build with no change decodes none)
        # scan's listing of its content folder, kept encoded: only the next build's scan of that
        # folder reads it (as lists, a full build's parent held more per department; measured:
        # docs/performance.md#cache-encoded)
        self._listing: Listing | bytes | None = listing if isinstance(listing, bytes) else _json(listing)

    @property
    def listing(self) -> Listing | None:
        """The listing ``scan`` returned for its content folder (decoded in the worker that scans it)."""
        if isinstance(self._listing, bytes):
            try:
                decoded: Listing | None = json.loads(self._listing)
            except ValueError:
                decoded = None                # (scan then reads every folder)
            self._listing = decoded
        return self._listing

    @property
    def summary(self) -> Summary:
        """What the portal pages show of it (summary.summarize), decoded anew: not kept."""
        return self._decode(self._body, Summary)

    @property
    def brief(self) -> Brief:
        """What the portal's facts are derived from (summary.brief: name, code, the digests of
        what the portal's pages show of it, counts, each disclosure's tables)."""
        if isinstance(self._brief, bytes):
            self._brief = self._decode(self._brief, Brief)
        return self._brief

    @staticmethod
    def _decode(data: bytes, record: type[_Record]) -> _Record:
        """``record`` from its JSON form (records.py); a line of another shape is StaleCache."""
        try:
            return record.from_json(json.loads(data))
        except (ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
            raise StaleCache() from exc

    def line(self, slug: str) -> bytes:
        """Its line in the cache: [slug, what a build with no change needs] TAB the listing of its
        content folder TAB its brief TAB its summary (compact JSON has no raw tab)."""
        head = {"signature": self.signature, "racy": self.racy, "outputs": self.outputs,
                "folders": self.folders, "errors": self.errors}
        listing = self._listing if isinstance(self._listing, bytes) else _json(self._listing)
        brief = self._brief if isinstance(self._brief, bytes) else _json(self._brief.to_json())
        return b"\t".join((_json([slug, head]), listing, brief, self._body))

    @classmethod
    def from_line(cls, line: bytes) -> tuple[str, Entry]:
        parts = line.split(b"\t")
        if len(parts) != 4:
            raise ValueError("entry")
        head, listing, brief, body = parts
        slug, data = json.loads(head)
        entry = cls(data["signature"], bool(data["racy"]), body, data["outputs"], data["errors"], brief,
                    data["folders"], listing)
        if not (isinstance(slug, str) and isinstance(entry.signature, str) and isinstance(entry.outputs, str)
                and isinstance(entry.folders, list) and isinstance(entry.errors, list)):
            raise ValueError("entry")
        return slug, entry


class StaleCache(SiteBuilderError):
    """A cache line that passed the checksum but cannot be decoded: written by another build of
    the tool. Never a wrong page: the build stops and says to rebuild everything."""

    def __init__(self, location=None, message: str = "构建缓存无法读取", hint: str | None = "加 --clean 重新生成全部页面"):
        super().__init__(location, message, hint)


@dataclass
class BuildCache:
    environment: str = ""
    departments: dict[str, Entry] = field(default_factory=dict)
    portal_outputs: Signature = field(default_factory=list)   # home, search page, catalog, assets…
    search: bool = False          # the search index in the output matches its pages
    facts: Facts | None = None    # what the last build derived from every department (plan.portal_facts)
    note: str = ""                # why an existing cache was not used (shown to the user)
    monitor: dict | None = None   # the file-system monitor's watch and clock when the build began (fsmonitor.py)
    model: str = ""               # the model environment (Environment.model), to tell why the cache was not used
    raw: dict[str, tuple[Entry, bytes]] = field(default_factory=dict, repr=False)   # loaded entries, their lines

    @classmethod
    def load(cls, path: Path, env: Environment, root: Path, out_dir: Path) -> BuildCache:
        """The cache at ``path`` if it is sound and was made for this content, output and
        environment; otherwise an empty one whose ``note`` says why."""
        environment = env.whole
        try:
            data = path.read_bytes()
        except OSError:
            return cls(environment, model=env.model)
        try:
            header, _, payload = data.partition(b"\n")
            head = json.loads(header)
            if head.get("format") != FORMAT or hashlib.sha256(payload).hexdigest() != head.get("checksum"):
                raise ValueError("checksum")
            if head.get("content") != str(root) or head.get("output") != str(out_dir.resolve()):
                return cls(environment, model=env.model, note="缓存属于另一个内容或输出文件夹，已忽略")
            if head.get("environment") != environment:
                return cls(environment, model=env.model, note="模板或生成页面的程序已更新，全部页面重新生成（内容未变的部门不再读取）"
                           if head.get("model") == env.model else "模板、方案、门户配置或工具已更新，全部重新生成")
            lines = payload.split(b"\n")
            portal = json.loads(lines[0])
            departments: dict[str, Entry] = {}
            raw: dict[str, tuple[Entry, bytes]] = {}
            gc.disable()         # JSON makes no cycles; collecting while 10,000 entries are made
            try:                 # costs as much as parsing them
                for line in lines[1:]:
                    slug, entry = Entry.from_line(line)
                    departments[slug] = entry
                    raw[slug] = (entry, line)
            finally:
                gc.enable()
            facts = Facts.from_json(portal["facts"])
            return cls(environment, departments, portal["portal_outputs"], bool(portal["search"]), facts,
                       model=env.model, raw=raw, monitor=portal.get("monitor"))
        except (ValueError, KeyError, TypeError, AttributeError, IndexError):
            return cls(environment, model=env.model, note="构建缓存已损坏，已忽略，全部重新生成")

    def relist(self, slug: str, listing: Listing) -> None:
        """Keep a new listing for an unchanged department (a scan that read its folders again and
        found no file changed); its line is then written anew, not as it was read."""
        entry = self.departments[slug]
        entry._listing = _json(listing)
        self.raw.pop(slug, None)

    def save(self, path: Path, root: Path, out_dir: Path) -> None:
        lines = [_json({"portal_outputs": self.portal_outputs, "search": self.search,
                        "facts": self.facts.to_json() if self.facts is not None else None,
                        **({"monitor": self.monitor} if self.monitor else {})})]
        for slug, entry in sorted(self.departments.items()):
            kept = self.raw.get(slug)       # an entry loaded and not replaced: its line as read
            lines.append(kept[1] if kept is not None and kept[0] is entry else entry.line(slug))
        # the payload is the lines joined by newlines, hashed and written a line at a time: joined,
        # then put after the head, it was held three times (≈ 4 KB a disclosure of the peak)
        checksum = hashlib.sha256()
        for number, line in enumerate(lines):
            checksum.update(b"\n" + line if number else line)
        head = {"format": FORMAT, "tool": __version__, "content": str(root), "output": str(out_dir.resolve()),
                "environment": self.environment, "model": self.model, "checksum": checksum.hexdigest()}
        write_atomic(path, itertools.chain([json.dumps(head).encode("utf-8")], (b"\n" + line for line in lines)))
