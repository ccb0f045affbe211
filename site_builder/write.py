"""Write the site's files: staged beside the output, atomic writes, refused writes made clear.

``build`` stages every file whose bytes differ from the output's (:func:`stage`) in a folder
beside the output; :mod:`journal` moves them in (all or none, whenever the build dies). An
unchanged file is never rewritten (rsync copies only what changed).

A write the disk refuses (full, over quota, read-only, not ours) is a :class:`WriteError` that
names the file and says what to do and what became of the output: before the commit, nothing
changed; after it (only the build cache is written after it), the site is complete and the
next build, having no cache, renders every page again.
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from .errors import Location, SiteBuilderError
from .layout import BUNDLE_DIR

# A write refused by the disk or the file system, not by the content: what happened, what to do
DISK_ERRORS = {
    errno.ENOSPC: ("磁盘空间不足", "清理磁盘，或换到空间足够的磁盘后重新运行"),
    errno.EDQUOT: ("磁盘配额已用完", "删除不需要的文件或请管理员增加配额后重新运行"),
    errno.EROFS: ("磁盘是只读的", "换一个可写的文件夹，或请管理员把磁盘挂载为可写后重新运行"),
    errno.EACCES: ("没有写入权限", "检查该文件夹的所有者和权限，或换一个有写入权限的文件夹"),
    errno.EPERM: ("没有写入权限", "检查该文件夹的所有者和权限，或换一个有写入权限的文件夹"),
}
KEPT = "原来的网站没有改动"
FINISH = "网站已完整更新（页面、搜索索引和文件清单一致），只是构建缓存没有写完：下次生成会重新生成全部页面"


class WriteError(SiteBuilderError):
    """A file that could not be written: the disk is full, over quota or read-only, or the folder
    is not ours to write. Raised saying what to do; the command adds what became of its output
    (``explained``)."""

    outcome = ""

    def explained(self, outcome: str) -> WriteError:
        """This error with ``outcome`` (what became of the output) added to its hint, once."""
        if self.outcome:
            return self
        error = WriteError(self.location, self.problem, f"{self.hint}；{outcome}")
        error.outcome = outcome
        return error


def write_error(exc: OSError, path: Path | str | None = None) -> WriteError | None:
    """``exc`` as the clerk should read it, when the disk refused a write (None otherwise: a bug
    or a vanished file is not to be dressed up as a full disk). ``path``: the file being written
    (an error from write() itself names none)."""
    known = DISK_ERRORS.get(exc.errno) if exc.errno is not None else None
    if known is None:
        return None
    problem, remedy = known
    where = path if path is not None else exc.filename
    named = f" {Location(Path(os.fsdecode(where)))} " if where else "文件"
    if path is None and exc.errno in (errno.EACCES, errno.EPERM):    # (not known to be a write)
        return WriteError(None, f"没有访问权限：无法访问{named.rstrip()}", "检查该文件或文件夹的所有者和权限")
    return WriteError(None, f"{problem}：写入{named}时失败", remedy)


def refused(exc: BaseException, outcome: str) -> BaseException:
    """``exc`` as a WriteError explained with ``outcome``, when the disk refused a write; else
    ``exc`` itself."""
    error = exc if isinstance(exc, WriteError) else write_error(exc) if isinstance(exc, OSError) else None
    return exc if error is None else error.explained(outcome)


@contextlib.contextmanager
def writing(path: Path | str) -> Iterator[None]:
    """Turn a refused write of ``path`` into a WriteError that names it."""
    try:
        yield
    except OSError as exc:
        error = write_error(exc, path)
        if error is None:
            raise
        raise error from exc


def write_atomic(target: Path, data: bytes | Iterable[bytes], temp: Path | None = None) -> None:
    """Write ``target`` through a temporary file beside it and a rename: a full disk leaves the old
    file as it was and no partly written temporary one (in the output it would be published).
    ``data``: the bytes, or pieces of them written one after another (never joined)."""
    temp = temp or target.with_name(f".{target.name}.tmp-{os.getpid()}")
    with writing(target):
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(data, bytes | bytearray):
                temp.write_bytes(data)
            else:
                with temp.open("wb") as file:
                    file.writelines(data)
            os.replace(temp, target)
        except BaseException:
            with contextlib.suppress(OSError):     # (a read-only disk refuses the unlink too)
                temp.unlink()
            raise


def replace_file(target: Path, data: bytes) -> bool:
    """Write ``target`` atomically (temp file + rename) unless it already holds ``data``."""
    try:
        if target.stat().st_size == len(data) and target.read_bytes() == data:
            return False
    except OSError:
        pass
    write_atomic(target, data)
    return True


def stage(out: Path, staging: Path, path: str, data: bytes) -> bool:
    """Put ``data`` for ``out/path`` into the staging folder unless the output already holds it."""
    target = out / path
    try:
        if target.stat().st_size == len(data) and target.read_bytes() == data:
            return False
    except OSError:
        pass
    staged = staging / path
    with writing(target):          # (named as the file it becomes: the staging folder is beside it)
        staged.parent.mkdir(parents=True, exist_ok=True)
        staged.write_bytes(data)
    return True


def site_files(out: Path, under: str = "") -> list[str]:
    """The files of a built site (or of its folder ``under``), without its search index."""
    top = out / under if under else out
    if not top.is_dir():
        return []
    found: list[str] = []
    for folder, dirs, files in os.walk(top):
        if Path(folder) == out and BUNDLE_DIR in dirs:
            dirs.remove(BUNDLE_DIR)
        found.extend(Path(folder, name).relative_to(out).as_posix() for name in files)
    return found
