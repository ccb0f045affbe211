"""Publish a built portal to the web server's folder as releases, switched atomically.

Layout of a target folder (what nginx serves is ``TARGET/current``)::

    TARGET/current -> releases/20261123T101500Z-3f9c2a1b7d4e     a symlink, replaced by rename
    TARGET/releases/<when>-<hash>/                              one complete portal per release
    TARGET/releases/<when>-<hash>.json                          its record: what makes it a release
    TARGET/.site-builder.lock                                   held by the publish or rollback running

A release is copied into a staging folder of its own first (``.<id>.<pid>-<random>.partial``);
files unchanged since the current release are hard links to it (no copy, no extra space). Text
files get a pre-compressed ``.gz`` beside them (nginx ``gzip_static``), and ``.br`` when the
brotli module is installed. Every file of the staging folder, linked ones included, is then
checked against the output's manifest; only then is it renamed into place, its record written
(a folder without one is no release: ``releases`` and ``rollback`` ignore it, ``verify``
refuses it), and ``current`` switched: a new symlink renamed over the old one, which is atomic,
so a reader gets every file from one release or the other, never a mix and never a 404 in
between. ``rollback`` renames the link back. Old releases beyond ``keep`` are delisted, then
deleted, never the one ``current`` points at.

Publish and rollback hold an exclusive ``flock`` on ``TARGET/.site-builder.lock``: a second one
is refused at once, naming the first. The kernel drops the lock when its holder dies, however
it dies; what a killed one left (a staging folder, an unlisted release folder, a temporary
link) the next one removes, and says so.
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import hashlib
import json
import os
import secrets
import shutil
import stat
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from . import faults
from .errors import SiteBuilderError
from .journal import Busy, exclusive
from .layout import CURRENT, LOCK, MANIFEST, RELEASES, SIGNATURE
from .manifest import (compare, content_named, decompressed_sha256, expected_files, file_sha256, parse_manifest,
                       read_record)
from .write import refused, write_atomic, writing

COMPRESSIBLE = {".html", ".css", ".js", ".json", ".xml", ".csv", ".txt", ".svg", ".mjs"}
MIN_COMPRESS = 512          # bytes: smaller files are not worth a second file

try:                        # optional: nginx's brotli_static needs the ngx_brotli module anyway
    import brotli
except ImportError:         # pragma: no cover - depends on the machine
    brotli = None


class PublishError(SiteBuilderError):
    """A publish, rollback or listing that cannot go ahead (the message says why)."""

    def __init__(self, message: str, hint: str | None = None, location: Path | None = None):
        super().__init__(location, message, hint)


@dataclass
class Release:
    id: str
    path: Path
    published: str = ""
    documents: int = 0
    content_hash: str = ""
    files: int = 0
    current: bool = False

    @classmethod
    def read(cls, folder: Path, current: Path | None, record: dict | None = None) -> Release:
        info = record if record is not None else (read_record(folder) or {})
        return cls(folder.name, folder, info.get("published", ""), info.get("documents", 0),
                   info.get("content_hash", ""), info.get("files", 0),
                   current is not None and folder.resolve() == current)


@dataclass
class PublishResult:
    release: Release | None
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    linked: int = 0
    copied: int = 0
    removed_documents: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)          # the outgoing release's content-named assets
    deleted_releases: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)         # leftovers of a killed run removed; assets not kept
    seconds: float = 0.0


def site_files(root: Path) -> dict[str, Path]:
    """Every file of a built portal by its path in the site (no compressed copies, no cache)."""
    files = {}
    for folder, dirs, names in os.walk(root):
        dirs.sort()
        for name in names:
            if name.endswith((".gz", ".br")):
                continue
            path = Path(folder, name)
            files[path.relative_to(root).as_posix()] = path
    return files


def refuse_links(root: Path) -> None:
    """A symbolic link in the output is refused, file or folder: publish would copy what it
    points at (``ln -s site.key output/leak.txt`` put the private key in the release), and the
    web server would follow it where the manifest never looked."""
    for folder, dirs, names in os.walk(root):
        for name in sorted(dirs + names):
            path = Path(folder, name)
            if path.is_symlink():
                raise PublishError(f"生成的网站中有符号链接：{path.relative_to(root).as_posix()} → {os.readlink(path)}",
                                   "网站中只能有普通文件和文件夹：删除这个链接，重新运行 site-builder build 后再发布",
                                   path)


def same_file(a: Path, b: Path, checksum: bool = False) -> bool:
    """Equal bytes. As rsync does by default, the same size and modification time count as the
    same file (publish copies keep the build's times, and the build never rewrites a file whose
    bytes did not change); a different time with the same size is settled by reading both.
    ``checksum``: always read."""
    try:
        sa, sb = a.stat(), b.stat()
    except OSError:
        return False
    if (sa.st_ino, sa.st_dev) == (sb.st_ino, sb.st_dev):
        return True
    if sa.st_size != sb.st_size:
        return False
    if sa.st_mtime_ns == sb.st_mtime_ns and not checksum:
        return True
    with open(a, "rb") as fa, open(b, "rb") as fb:
        while True:
            chunk = fa.read(1 << 20)
            if chunk != fb.read(1 << 20):
                return False
            if not chunk:
                return True


def current_release(target: Path) -> Path | None:
    link = target / CURRENT
    if not link.is_symlink() and not link.exists():
        return None
    if not link.is_symlink():
        raise PublishError(f"{link} 不是符号链接", "发布目录中的 current 应由 site-builder publish 创建；请移走它后再发布")
    return link.resolve()


def releases(target: Path) -> list[Release]:
    """The target's complete releases, oldest first: folders with their record (``<id>.json``,
    written only once the folder is complete and checked). A folder without one, which a killed
    publish or prune leaves, is not listed (the next publish or rollback removes it)."""
    folder = target / RELEASES
    if not folder.is_dir():
        return []
    current = current_release(target)
    found = []
    for path in folder.iterdir():
        if path.name.startswith(".") or path.is_symlink() or not path.is_dir():
            continue
        record = read_record(path)
        if record is not None:
            found.append((_order(path.name, record), Release.read(path, current, record)))
    return [release for _, release in sorted(found, key=lambda pair: pair[0])]


def _order(release_id: str, record: dict) -> tuple[str, int, str]:
    """Publication order: the time in the id (to the second), then the record's nanoseconds (two
    publishes in one second: a killed one run again), then the id."""
    exact = record.get("published_ns")
    return release_id.split("-", 1)[0], exact if isinstance(exact, int) else 0, release_id


# -- the lock, and what killed runs leave --------------------------------------------------------

@contextlib.contextmanager
def locked(target: Path, action: str, subject: str = "") -> Iterator[None]:
    """Hold the target's lock for the block (:func:`journal.exclusive` on ``TARGET/.site-builder.lock``,
    beside ``current``, never in a release, so never served). A second publish or rollback is
    refused at once, naming the process that holds it, rather than waiting: it would then publish
    on top of a release its user has not seen, and a clerk who started both should choose.
    ``action`` (发布, 回退) and its ``subject`` (the output published) name this one to another."""
    try:
        with exclusive(target / LOCK, f"{action} {subject}".rstrip()):
            yield
    except Busy as busy:
        raise PublishError(f"{target} 正由另一个 site-builder 进程使用（{busy.holder}），本次{action}没有进行",
                           f"等那个进程结束后再运行。它结束（即使被强行终止）时锁自动释放，不要删除 {LOCK}") from None


def leftovers(target: Path) -> list[Path]:
    """What a publish, rollback or prune that was killed left in ``target``: staging folders
    (``.<id>.<pid>-<random>.partial``), release folders without a record (renamed into place but
    never listed, or delisted by a prune that did not get to delete them), temporary records and
    links. Never the folder ``current`` points at."""
    found: list[Path] = []
    folder = target / RELEASES
    link = target / CURRENT
    current = link.resolve() if link.is_symlink() else None
    if folder.is_dir():
        for path in sorted(folder.iterdir()):
            if path.is_symlink():
                continue
            if path.is_dir():
                if (path.name.startswith(".") and path.name.endswith(".partial")) or \
                        (not path.name.startswith(".") and read_record(path) is None and path.resolve() != current):
                    found.append(path)
            elif path.name.startswith(".") and ".tmp" in path.name:
                found.append(path)
    found += sorted(p for p in target.glob(f".{CURRENT}.*.tmp") if p.is_symlink() or p.is_file())
    return found


def clean_leftovers(target: Path) -> str:
    """Remove :func:`leftovers` (under the lock); one line saying what went, or ""."""
    found = leftovers(target)
    for path in found:
        with writing(path):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink(missing_ok=True)
    if not found:
        return ""
    return (f"上一次发布、回退或删除旧版本被中断（进程被终止），已清理它留下的 {len(found)} 项："
            + "、".join(p.relative_to(target).as_posix() for p in found) + "；当前发布的版本不受影响")


# -- publish -------------------------------------------------------------------------------------

def _documents(site: Path) -> dict[str, str]:
    """url → title of every disclosure in a built portal's catalog.json ({} without one)."""
    try:
        catalog = json.loads((site / "catalog.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {d["url"]: f"{d['department']} {d['year']}年度 {d.get('title', d['kind'])}" for d in catalog.get("documents", [])}


def _compressed(path: Path) -> list[tuple[str, bytes]]:
    data = path.read_bytes()
    if len(data) < MIN_COMPRESS:
        return []
    out = [(".gz", gzip.compress(data, compresslevel=9, mtime=0))]    # mtime 0: the same bytes every time
    if brotli is not None:
        out.append((".br", brotli.compress(data, quality=6)))   # not 11: far slower, hardly smaller (docs/performance.md#brotli-quality)
    return out


def _place(source: Path, previous: Path | None, destination: Path, digest: str | None = None) -> None:
    """Hard-link ``previous`` (the same file in the current release) when there is one, else copy
    ``source`` keeping its modification time; then its compressed copies, linked or made.
    ``digest``: link ``previous``'s compressed copies only if they decompress to it (--checksum)."""
    with writing(destination):
        _place_file(source, previous, destination, digest)


def _place_file(source: Path, previous: Path | None, destination: Path, digest: str | None) -> None:
    destination.parent.mkdir(parents=True, exist_ok=True)
    if previous is not None:
        os.link(previous, destination)
    else:
        shutil.copy2(source, destination)
        os.chmod(destination, 0o644)
    if source.suffix not in COMPRESSIBLE:
        return
    suffixes = [".gz", ".br"] if brotli is not None else [".gz"]
    if previous is not None and all(Path(f"{previous}{s}").exists() for s in suffixes) \
            and (digest is None or all(decompressed_sha256(Path(f"{previous}{s}")) == digest for s in suffixes)):
        for suffix in suffixes:
            os.link(f"{previous}{suffix}", f"{destination}{suffix}")
        return
    for suffix, data in _compressed(source):
        Path(f"{destination}{suffix}").write_bytes(data)


@dataclass
class _Plan:
    """What a publish compares and copies: the output as its manifest pins it, and the outgoing release."""
    manifest: bytes                     # the output's manifest.json, as read before copying
    signature: bytes | None             # and its manifest.json.sig
    files: dict[str, Path]              # the output's files by their path in the site
    expected: dict[str, str]            # their SHA-256 by the output's manifests
    previous: Path | None               # the release being served, which this one replaces
    old_files: dict[str, Path]
    carried: dict[str, str]             # the outgoing release's content-named assets this one lacks: path → hash
    outgoing: dict                      # the outgoing release's own manifest ({} without one)


def _output_manifest(output: Path) -> tuple[bytes, bytes | None]:
    """The output's manifest (and signature): every build writes one, and a release is checked
    against it, so an output without one is refused."""
    try:
        manifest = (output / MANIFEST).read_bytes()
    except OSError:
        raise PublishError(f"{output} 中没有文件清单 {MANIFEST}：无法核对要发布的文件",
                           "重新运行 site-builder build（每次生成都会写出清单）后再发布", output / MANIFEST) from None
    try:
        signature = (output / SIGNATURE).read_bytes()
    except OSError:
        signature = None
    return manifest, signature


def _plan(output: Path, target: Path, checksum: bool, result: PublishResult) -> _Plan:
    manifest, signature = _output_manifest(output)
    files = site_files(output)
    expected = expected_files(output, parse_manifest(manifest))
    unlisted = sorted(set(files) - set(expected) - {MANIFEST, SIGNATURE})
    missing = sorted(set(expected) - set(files))
    if unlisted or missing:
        raise PublishError(f"{output} 与它的文件清单不符："
                           + "；".join([*(f"清单中没有 {p}" for p in unlisted[:10]), *(f"缺少 {p}" for p in missing[:10])])
                           + ("……" if len(unlisted) > 10 or len(missing) > 10 else ""),
                           "生成后网站被改动过，或生成没有完成：重新运行 site-builder build 后再发布")
    previous = current_release(target)
    old_files = site_files(previous) if previous else {}
    data = _read(previous / MANIFEST) if previous else None     # the outgoing release's manifest, read once
    outgoing = parse_manifest(data or b"")
    own = _own_files(previous, data) if previous else set()
    carried = {p: h for p, h in outgoing.get("files", {}).items()
               if isinstance(h, str) and content_named(p, h) and p not in files} if previous else {}
    result.added = sorted(set(files) - set(old_files))
    result.removed = sorted(p for p in set(old_files) - set(files)          # (nor the assets it kept itself)
                            if p not in carried and not (own and p not in own and content_named(p)))
    result.changed = sorted(p for p in set(files) & set(old_files) if not same_file(files[p], old_files[p], checksum))
    result.kept = sorted(carried)
    return _Plan(manifest, signature, files, expected, previous, old_files, carried, outgoing)


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def _own_files(release: Path, data: bytes | None) -> set[str]:
    """The files a release's own manifests list (and the manifest and signature themselves);
    ``data``: its manifest.json as read (None: it has none)."""
    return set(expected_files(release, parse_manifest(data))) | {MANIFEST, SIGNATURE} if data else set()


def publish(output: Path, target: Path, keep: int = 5, dry_run: bool = False, allow_removal: bool = False,
            checksum: bool = False, now: float | None = None) -> PublishResult:
    """Copy the built portal in ``output`` into a new release of ``target`` and switch to it.

    ``checksum``: compare every file's bytes, and take nothing from the current release that
    does not match the manifest (a file altered there is copied from the output instead, an
    altered kept asset left out); without it, such a file is refused, named."""
    started = time.perf_counter()
    output, target = output.resolve(), target.resolve()
    if not (output / "index.html").is_file():
        raise PublishError(f"{output} 不是生成好的网站（没有 index.html）", "先运行 site-builder build")
    if keep < 1:
        raise PublishError("--keep 至少为 1")
    refuse_links(output)
    if dry_run:
        result = PublishResult(None)
        _plan(output, target, checksum, result)
        result.removed_documents = _removed_documents(output, current_release(target))
        result.seconds = time.perf_counter() - started
        return result
    with locked(target, "发布", str(output)):
        result = PublishResult(None)
        cleaned = clean_leftovers(target)
        if cleaned:
            result.notes.append(cleaned)
        plan = _plan(output, target, checksum, result)
        result.removed_documents = _removed_documents(output, plan.previous)
        if result.removed_documents and not allow_removal:
            raise PublishError("本次发布将删除已公开的文件：" + "；".join(result.removed_documents),
                               "确认要撤下这些文件时，加 --allow-removal 再发布")
        folder = _make_release(output, target, plan, result, checksum, now)
        result.deleted_releases = prune(target, keep)
    result.release = Release.read(folder, folder)
    result.seconds = time.perf_counter() - started
    return result


def _removed_documents(output: Path, previous: Path | None) -> list[str]:
    if previous is None:
        return []
    published, documents = _documents(previous), _documents(output)
    return sorted(published[url] for url in published.keys() - documents.keys())


def _release_id(folder: Path, when: str, content_hash: str) -> str:
    """``<when>-<hash>``; ``-2``, ``-3``… when the same content was published in the same second
    (a publish killed after making its release, then run again at once)."""
    base = release_id = f"{when}-{content_hash[:12]}"
    number = 1
    while (folder / release_id).exists() or (folder / f"{release_id}.json").exists():
        number += 1
        release_id = f"{base}-{number}"
    return release_id


def _make_release(output: Path, target: Path, plan: _Plan, result: PublishResult, checksum: bool,
                  now: float | None) -> Path:
    """Stage, check, rename into place, record, switch: the steps of a publish, under the lock.
    A failure (a full disk) removes what it made; a kill leaves it to the next run's cleaning."""
    clock = now if now is not None else time.time()
    content_hash = hashlib.sha256(plan.manifest).hexdigest()    # the manifest pins every file
    folder = target / RELEASES
    with writing(folder):
        folder.mkdir(parents=True, exist_ok=True)
    release_id = _release_id(folder, time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(clock)), content_hash)
    release, record = folder / release_id, folder / f"{release_id}.json"
    staging = folder / f".{release_id}.{os.getpid()}-{secrets.token_hex(4)}.partial"
    made = False
    try:
        linked = _stage(plan, staging, set(result.changed), checksum, result)
        _check(staging, plan, linked, output)
        meta = {"id": release_id, "published": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(clock)),
                "published_ns": time.time_ns(), "documents": len(_documents(output)), "content_hash": content_hash,
                "files": len(plan.files), "source": str(output), "kept_from": _kept_from(plan.previous)}
        os.chmod(staging, 0o755)
        with writing(release):
            os.rename(staging, release)
        made = True
        faults.point("publish.renamed")
        write_atomic(record, (json.dumps(meta, ensure_ascii=False, indent=1) + "\n").encode("utf-8"))
        faults.point("publish.marked")
        switch(target, release)
    except BaseException as exc:
        shutil.rmtree(staging, ignore_errors=True)
        if made and current_release(target) != release:   # a full disk before the switch: delisted, then deleted
            record.unlink(missing_ok=True)
            shutil.rmtree(release, ignore_errors=True)
        error = refused(exc, "当前发布的版本没有改动（未完成的新版本已删除）")
        if error is exc:
            raise
        raise error from exc
    return release


def _stage(plan: _Plan, staging: Path, changed: set[str], checksum: bool, result: PublishResult) -> set[str]:
    """Place every file of the output in ``staging`` (linked from the current release when
    unchanged), then the outgoing release's content-named assets it lacks; the paths linked."""
    linked = set()
    for path, source in plan.files.items():
        old = plan.old_files.get(path)
        same = old is not None and path not in changed      # (with --checksum: the same bytes, read)
        _place(source, old if same else None, staging / path, plan.expected.get(path) if checksum else None)
        if same:
            linked.add(path)
            result.linked += 1
        else:
            result.copied += 1
        faults.point("publish.place")
    result.kept = carry_assets(plan.previous, plan.carried, staging, result.notes if checksum else None) \
        if plan.previous else []
    return linked | set(result.kept)


def carry_assets(outgoing: Path, carried: dict[str, str], folder: Path, notes: list[str] | None) -> list[str]:
    """Hard-link into ``folder`` the outgoing release's content-named assets (``assets/site.1a2b3c4d5e.css``)
    that ``carried`` lists (path → the hash the outgoing release's own manifest gives), with their
    compressed copies: a page served just before the switch asks for them just after it.
    ``notes``: check each first, and leave out (saying so there) one whose bytes no longer match;
    None: link them as they are (the release's check then refuses an altered one, named)."""
    kept = []
    for path, digest in sorted(carried.items()):
        source, destination = outgoing / path, folder / path
        if notes is not None and not _genuine(source, digest):
            notes.append(f"当前发布的版本中的 {path} 与它的清单不符（发布后被改动过），没有沿用到新版本")
            continue
        if not source.is_file() or source.is_symlink():
            continue                        # (gone: the release's pages never asked for it after all)
        with writing(destination):
            destination.parent.mkdir(parents=True, exist_ok=True)
            if destination.exists() or destination.is_symlink():
                destination.unlink()
            os.link(source, destination)
            for suffix in (".gz", ".br"):
                copy = Path(f"{source}{suffix}")
                if copy.is_file() and not copy.is_symlink() and (notes is None or decompressed_sha256(copy) == digest):
                    Path(f"{destination}{suffix}").unlink(missing_ok=True)
                    os.link(copy, f"{destination}{suffix}")
        kept.append(path)
    return kept


def _genuine(path: Path, digest: str) -> bool:
    """A regular file with these bytes (by hash)."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode) and file_sha256(path) == digest
    except OSError:
        return False


def _kept_from(outgoing: Path | None) -> list[dict]:
    """What the new release's record keeps of the outgoing release: its own manifest's exact bytes
    and signature, by which verify accepts the assets kept from it (one generation, no more)."""
    manifest = _read(outgoing / MANIFEST) if outgoing else None
    if outgoing is None or manifest is None:
        return []
    signature = _read(outgoing / SIGNATURE) or b""
    return [{"release": outgoing.name, "manifest": base64.b64encode(manifest).decode("ascii"),
             "signature": signature.decode("ascii", "replace").strip()}]


def _check(staging: Path, plan: _Plan, linked: set[str], output: Path) -> None:
    """Every file of the staging folder, the ones linked from the current release included,
    against the output's manifest (and the outgoing one's for the assets kept from it): no
    release is made of a file the build did not make. A file altered in the current release
    (after it was published) or in the output (after the build, or by a build running now) is
    refused, named."""
    report = compare(staging, plan.manifest, [plan.outgoing] if plan.previous else [])
    problems = sorted({*report.added, *report.changed, *report.removed})
    if _read(staging / MANIFEST) != plan.manifest or _read(staging / SIGNATURE) != plan.signature:
        problems.insert(0, MANIFEST)
    if not problems:
        return
    problems = [p for p in problems if p == p.removesuffix(".gz").removesuffix(".br")      # (its copies: with it)
                or p.removesuffix(".gz").removesuffix(".br") not in problems]
    live = [p for p in problems if p.removesuffix(".gz").removesuffix(".br") in linked]
    built = [p for p in problems if p not in live]
    if live:
        raise PublishError("当前发布的版本中有文件与清单不符（发布后被改动过），不能沿用到新版本：" + _listed(live),
                           "用 site-builder verify 检查当前版本；要改用生成的网站中的文件，加 --checksum 重新发布")
    raise PublishError(f"{output} 中有文件与它的文件清单不符：" + _listed(built),
                       "生成后网站被改动过，或发布时有 build 正在写它：等 build 结束（或重新运行 site-builder build）后再发布")


def _listed(paths: list[str]) -> str:
    return "、".join(paths[:20]) + (f"……共 {len(paths)} 个" if len(paths) > 20 else "")


def switch(target: Path, folder: Path) -> None:
    """Point ``TARGET/current`` at ``folder`` atomically: a new link renamed over the old one."""
    link = target / CURRENT
    temp = target / f".{CURRENT}.{os.getpid()}.tmp"
    if temp.is_symlink() or temp.exists():
        temp.unlink()
    with writing(link):
        os.symlink(os.path.relpath(folder, target), temp)
        try:
            faults.point("switch.link")
            os.replace(temp, link)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise


# -- rollback and prune --------------------------------------------------------------------------

def rollback(target: Path, release: str | None = None, notes: list[str] | None = None) -> Release:
    """Switch ``current`` back to ``release`` (default: the one published before the current one),
    under the lock. The release switched to keeps the outgoing release's content-named assets,
    as a publish does; ``notes`` gets what was cleaned or left out."""
    target = target.resolve()
    notes = notes if notes is not None else []
    if not target.is_dir():
        raise PublishError(f"{target} 不存在", "写出 site-builder publish 用过的发布目录")
    with locked(target, "回退"):
        cleaned = clean_leftovers(target)
        if cleaned:
            notes.append(cleaned)
        chosen = _chosen(target, releases(target), release)
        current = current_release(target)
        keeping = _keep_on_rollback(current, chosen.path, notes) if current is not None and current != chosen.path else None
        faults.point("rollback.switch")
        switch(target, chosen.path)
        faults.point("rollback.switched")
        if keeping is not None:
            _forget_older_assets(chosen.path, *keeping)
    chosen.current = True
    return chosen


def _chosen(target: Path, known: list[Release], release: str | None) -> Release:
    if not known:
        raise PublishError(f"{target} 中没有任何发布版本")
    if release is None:
        index = next((i for i, r in enumerate(known) if r.current), None)
        if index is None or index == 0:
            raise PublishError("当前版本之前没有更早的版本可以回退", "用 site-builder releases 查看全部版本")
        return known[index - 1]
    exact = [r for r in known if r.id == release]
    matching = exact or [r for r in known if release and r.id.startswith(release)]
    if len(matching) != 1:      # none, or a prefix (“2026”, “”) that several releases share
        raise PublishError(f"找不到发布版本“{release}”" if not matching else
                           f"“{release}”对应 {len(matching)} 个发布版本，不知道回退到哪一个",
                           "写出完整的版本号（或足以区分的开头部分）；现有版本："
                           + "、".join(r.id for r in (matching or known)))
    return matching[0]


def _write_record(folder: Path, record: dict) -> None:
    write_atomic(folder.with_name(folder.name + ".json"),
                 (json.dumps(record, ensure_ascii=False, indent=1) + "\n").encode("utf-8"))


def _keep_on_rollback(outgoing: Path, folder: Path, notes: list[str]) -> tuple[dict[str, str], list[dict]]:
    """Before switching back to ``folder``: link the outgoing release's content-named assets it
    lacks into it (pages served just before the switch ask for them). Its record first gains the
    outgoing manifest, so that at every moment each file it holds is accounted for; the assets
    and records of the generation before are dropped after the switch (:func:`_forget_older_assets`)."""
    entry = _kept_from(outgoing)
    listed = parse_manifest(base64.b64decode(entry[0]["manifest"])).get("files", {}) if entry else {}
    own = _own_files(folder, _read(folder / MANIFEST))
    wanted = {p: h for p, h in listed.items() if isinstance(h, str) and content_named(p, h) and p not in own}
    record = read_record(folder) or {"id": folder.name}
    earlier = record.get("kept_from")
    _write_record(folder, {**record, "kept_from": [*(earlier if isinstance(earlier, list) else []), *entry]})
    present = {p for p, h in wanted.items() if _genuine(folder / p, h)}
    carry_assets(outgoing, {p: h for p, h in wanted.items() if p not in present}, folder, notes)
    return wanted, entry


def _forget_older_assets(folder: Path, wanted: dict[str, str], entry: list[dict]) -> None:
    """After switching back to ``folder``: remove the assets it kept from the release before it,
    which no page being served asks for any more, and record only the outgoing release's manifest
    (one generation, not an ever-growing pile)."""
    own = _own_files(folder, _read(folder / MANIFEST))
    if own:
        for path in sorted((folder / "assets").rglob("*")) if (folder / "assets").is_dir() else []:
            name = path.relative_to(folder).as_posix()
            original = name.removesuffix(".gz").removesuffix(".br")
            if original not in own and original not in wanted and content_named(original) \
                    and stat.S_ISREG(os.lstat(path).st_mode):
                with writing(path):
                    path.unlink()
    record = read_record(folder) or {"id": folder.name}
    _write_record(folder, {**record, "kept_from": entry})


def prune(target: Path, keep: int) -> list[str]:
    """Delete the oldest releases beyond ``keep``; never the current one (under the lock). Each is
    delisted first (its record removed), then deleted: a prune killed in between leaves a folder
    that no listing shows and the next publish or rollback removes, never a listed, half-deleted
    release."""
    known = releases(target)
    deleted = []
    for release in known[:-keep] if len(known) > keep else []:
        if release.current:
            continue
        record = release.path.with_name(release.path.name + ".json")
        with writing(record):
            record.unlink()
        faults.point("prune.delisted")
        with writing(release.path):
            shutil.rmtree(release.path)
        deleted.append(release.id)
    return deleted
