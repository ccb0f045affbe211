"""Publish a built portal to the web server's folder as releases, switched atomically.

Layout of a target folder (what nginx serves is ``TARGET/current``)::

    TARGET/current -> releases/20261123T101500Z-3f9c2a1b7d4e     a symlink, replaced by rename
    TARGET/releases/<when>-<hash>/                              one complete portal per release
    TARGET/releases/<when>-<hash>.json                          what the release holds (not served)

A release is copied into its own folder first; files unchanged since the current release are
hard links to it (no copy, no extra space). Text files get a pre-compressed ``.gz`` beside them
(nginx ``gzip_static``), and ``.br`` when the brotli module is installed. Only when the release
is complete does ``current`` change: a new symlink is renamed over the old one, which is atomic,
so a reader gets every file from one release or the other, never a mix and never a 404 in
between. ``rollback`` renames the link back. Old releases beyond ``keep`` are deleted, never the
one ``current`` points at.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from .errors import SiteBuilderError
from .manifest import MANIFEST, content_named, file_sha256
from .write import refused, write_atomic, writing

RELEASES = "releases"
CURRENT = "current"
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
    def read(cls, folder: Path, current: Path | None) -> Release:
        info = {}
        meta = folder.with_name(folder.name + ".json")
        if meta.is_file():
            try:
                info = json.loads(meta.read_text(encoding="utf-8"))
            except ValueError:
                info = {}
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
    kept: list[str] = field(default_factory=list)          # earlier releases' content-named assets
    deleted_releases: list[str] = field(default_factory=list)
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


def content_digest(output: Path, files: dict[str, Path]) -> str:
    """The release's content hash: the SHA-256 of the build's manifest (which pins every file),
    or, for a site without one, of every file's path and hash."""
    if (output / MANIFEST).is_file():
        return hashlib.sha256((output / MANIFEST).read_bytes()).hexdigest()
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(f"{path}\0{file_sha256(files[path])}\n".encode())
    return digest.hexdigest()


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
    """The target's releases, oldest first."""
    folder = target / RELEASES
    if not folder.is_dir():
        return []
    current = current_release(target)
    return [Release.read(p, current) for p in sorted(folder.iterdir()) if p.is_dir() and not p.name.startswith(".")]


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


def _place(source: Path, previous: Path | None, destination: Path) -> None:
    """Hard-link ``previous`` (the same file in the current release) when there is one, else copy
    ``source`` keeping its modification time; then its compressed copies, linked or made."""
    with writing(destination):
        _place_file(source, previous, destination)


def _place_file(source: Path, previous: Path | None, destination: Path) -> None:
    destination.parent.mkdir(parents=True, exist_ok=True)
    if previous is not None:
        os.link(previous, destination)
    else:
        shutil.copy2(source, destination)
        os.chmod(destination, 0o644)
    if source.suffix not in COMPRESSIBLE:
        return
    suffixes = [".gz", ".br"] if brotli is not None else [".gz"]
    if previous is not None and all(Path(f"{previous}{s}").exists() for s in suffixes):
        for suffix in suffixes:
            os.link(f"{previous}{suffix}", f"{destination}{suffix}")
        return
    for suffix, data in _compressed(source):
        Path(f"{destination}{suffix}").write_bytes(data)


def publish(output: Path, target: Path, keep: int = 5, dry_run: bool = False, allow_removal: bool = False,
            checksum: bool = False, now: float | None = None) -> PublishResult:
    """Copy the built portal in ``output`` into a new release of ``target`` and switch to it."""
    started = time.perf_counter()
    output, target = output.resolve(), target.resolve()
    if not (output / "index.html").is_file():
        raise PublishError(f"{output} 不是生成好的网站（没有 index.html）", "先运行 site-builder build")
    if keep < 1:
        raise PublishError("--keep 至少为 1")
    refuse_links(output)
    files = site_files(output)
    previous = current_release(target)
    old_files = site_files(previous) if previous else {}
    result = PublishResult(None)
    result.added = sorted(set(files) - set(old_files))
    result.removed = sorted(p for p in set(old_files) - set(files) if not content_named(old_files[p], p))
    result.changed = sorted(p for p in set(files) & set(old_files) if not same_file(files[p], old_files[p], checksum))
    documents = _documents(output)
    if previous:
        published = _documents(previous)
        result.removed_documents = sorted(published[url] for url in published.keys() - documents.keys())
        if result.removed_documents and not allow_removal and not dry_run:
            raise PublishError("本次发布将删除已公开的文件：" + "；".join(result.removed_documents),
                               "确认要撤下这些文件时，加 --allow-removal 再发布")
    if dry_run:
        result.seconds = time.perf_counter() - started
        return result
    content_hash = content_digest(output, files)
    when = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now if now is not None else time.time()))
    release_id = f"{when}-{content_hash[:12]}"
    folder = target / RELEASES / release_id
    if folder.exists():
        raise PublishError(f"发布版本 {release_id} 已存在", "同一秒内重复发布了相同内容；稍后再试")
    staging = target / RELEASES / f".{release_id}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    changed = set(result.changed)
    made = False
    try:
        for path, source in files.items():
            old = old_files.get(path)
            same = old is not None and path not in changed
            _place(source, old if same else None, staging / path)
            if same:
                result.linked += 1
            else:
                result.copied += 1
        result.kept = carry_assets(old_files, files, staging)
        meta = {"id": release_id, "published": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(now or time.time())),
                "documents": len(documents), "content_hash": content_hash, "files": len(files),
                "source": str(output)}
        os.chmod(staging, 0o755)
        os.rename(staging, folder)
        made = True
        write_atomic(target / RELEASES / f"{release_id}.json",
                     (json.dumps(meta, ensure_ascii=False, indent=1) + "\n").encode("utf-8"))
        switch(target, folder)
    except BaseException as exc:
        shutil.rmtree(staging, ignore_errors=True)
        if made:        # a full disk before the switch: the release that is not served goes too
            shutil.rmtree(folder, ignore_errors=True)
            (target / RELEASES / f"{release_id}.json").unlink(missing_ok=True)
        error = refused(exc, "当前发布的版本没有改动（未完成的新版本已删除）")
        if error is exc:
            raise
        raise error from exc
    result.deleted_releases = prune(target, keep)
    result.release = Release.read(folder, folder)
    result.seconds = time.perf_counter() - started
    return result


def carry_assets(old_files: dict[str, Path], files: dict[str, Path], staging: Path) -> list[str]:
    """Hard-link the current release's content-named assets (``assets/site.1a2b3c4d5e.css``)
    that the release being switched to lacks (a new one being published, or an earlier one
    rolled back to): a page served just before the switch asks for them just after it."""
    kept = []
    for path, source in old_files.items():
        if path not in files and content_named(source, path) and not (staging / path).exists():
            with writing(staging / path):
                (staging / path).parent.mkdir(parents=True, exist_ok=True)
                os.link(source, staging / path)
                for suffix in (".gz", ".br"):
                    if Path(f"{source}{suffix}").exists():
                        os.link(f"{source}{suffix}", f"{staging / path}{suffix}")
            kept.append(path)
    return kept


def switch(target: Path, folder: Path) -> None:
    """Point ``TARGET/current`` at ``folder`` atomically: a new link renamed over the old one."""
    link = target / CURRENT
    temp = target / f".{CURRENT}.{os.getpid()}.tmp"
    if temp.is_symlink() or temp.exists():
        temp.unlink()
    with writing(link):
        os.symlink(os.path.relpath(folder, target), temp)
        os.replace(temp, link)


def rollback(target: Path, release: str | None = None) -> Release:
    """Switch ``current`` back to ``release`` (default: the one published before the current one)."""
    target = target.resolve()
    known = releases(target)
    if not known:
        raise PublishError(f"{target} 中没有任何发布版本")
    chosen: Release | None
    if release is None:
        index = next((i for i, r in enumerate(known) if r.current), None)
        if index is None or index == 0:
            raise PublishError("当前版本之前没有更早的版本可以回退", "用 site-builder releases 查看全部版本")
        chosen = known[index - 1]
    else:
        exact = [r for r in known if r.id == release]
        matching = exact or [r for r in known if release and r.id.startswith(release)]
        if len(matching) != 1:      # none, or a prefix (“2026”, “”) that several releases share
            raise PublishError(f"找不到发布版本“{release}”" if not matching else
                               f"“{release}”对应 {len(matching)} 个发布版本，不知道回退到哪一个",
                               "写出完整的版本号（或足以区分的开头部分）；现有版本："
                               + "、".join(r.id for r in (matching or known)))
        chosen = matching[0]
    current = current_release(target)
    if current is not None and current != chosen.path:     # pages served just before the switch back
        carry_assets(site_files(current), site_files(chosen.path), chosen.path)
    switch(target, chosen.path)
    chosen.current = True
    return chosen


def prune(target: Path, keep: int) -> list[str]:
    """Delete the oldest releases beyond ``keep``; never the current one."""
    known = releases(target)
    deleted = []
    for release in known[:-keep] if len(known) > keep else []:
        if release.current:
            continue
        shutil.rmtree(release.path)
        release.path.with_name(release.path.name + ".json").unlink(missing_ok=True)
        deleted.append(release.id)
    return deleted
