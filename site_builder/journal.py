"""The commit of a build: the output changes completely or not at all, whenever the build dies.

A build writes everything it changes — pages, downloads, the search index, the top manifest and
its signature — into a staging folder beside the output (``.output.building-…``), laid out as the
output is. Nothing in the output has changed yet. :func:`commit` then:

1. makes the folders the new files go to (a full disk stops it here; they are removed again);
2. flushes the staged files to the disk, and writes the journal ``.output.cache/commit.json``
   (through a temporary file, fsync and a rename): the staging folder's name, the files to
   delete, what becomes of the search index. **The journal written is the commit point.**
3. deletes the build cache (it describes the old output), moves every staged file into place (a
   rename: it needs no space, and a file the build did not change is never touched, so rsync
   copies only what changed), swaps the new index in for the old one, deletes the stale files;
4. deletes the journal, then the staging folder.

Step 3 can be done again from any point (a moved file is no longer staged; a deleted one is
gone), so a build that dies after step 2 — SIGKILL, the OOM killer, a power cut — is completed
by the next command that opens the output (``build``, ``publish``, ``verify``: each calls
:func:`recover` first) and the output is the new one; a build that dies before it leaves the old
one, and only a staging folder that the next command removes. Either way that command says which.
SIGTERM and Ctrl-C are held back during step 3. Each command holds the output's lock
(:func:`output_lock`) while it reads or changes the output, so two never run over one output.

The build cache is written after the commit, from the output as it then is; a build stopped
between the commit and that write leaves none, and the next build renders everything again
(byte-identical, so nothing in the output is rewritten).
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import shutil
import signal
import time
from collections.abc import Iterator
from pathlib import Path

from . import faults
from .errors import SiteBuilderError
from .layout import BUNDLE_DIR, cache_path
from .write import write_error, writing

try:
    import fcntl
except ImportError:             # pragma: no cover - Windows: no lock
    fcntl = None  # type: ignore[assignment]

FORMAT = "site-builder-commit/1"
JOURNAL = "commit.json"          # in the cache folder beside the output
LOCK = "lock"                    # likewise
OLD_INDEX = ".old-index"         # inside the staging folder: the replaced index, deleted with it
INDEX_SWAP, INDEX_DROP = "swap", "drop"
LEFTOVERS = ("building", "index", "pagefind")     # .<output>.<kind>-… folders a build makes beside the output
UNFINISHED = "提交没有做完，输出文件夹里新旧文件并存：腾出空间后再运行一次 site-builder build（或 publish、verify），会先补完这次提交"


class CommitError(SiteBuilderError):
    """An interrupted commit that cannot be completed, or an output another command holds."""


def journal_path(out: Path) -> Path:
    return cache_path(out).parent / JOURNAL


def staging_prefix(out: Path, kind: str = "building") -> str:
    return f".{out.name}.{kind}-"


# -- locks ---------------------------------------------------------------------------------------

_held: set[int] = set()          # lock descriptors: a forked worker closes its copies


def _close_in_child() -> None:
    for descriptor in _held:
        with contextlib.suppress(OSError):
            os.close(descriptor)
    _held.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_close_in_child)


class Busy(Exception):
    """Another process holds the lock; ``holder`` says which, as it wrote it (in Chinese)."""

    def __init__(self, holder: str):
        super().__init__(holder)
        self.holder = holder


@contextlib.contextmanager
def exclusive(path: Path, action: str) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``path`` for the block, or raise :class:`Busy` at once,
    naming the process that holds it (each holder writes its pid, start and ``action`` into the
    file). The kernel lets go when the holder dies, SIGKILL included, so a killed command never
    blocks the next; the file stays (removing it would let two commands lock two files). The
    build's forked workers close their copy. On a read-only disk the lock is still taken, and
    the command says what it cannot write when it tries."""
    if fcntl is None:           # pragma: no cover - Windows: no lock
        yield
        return
    with writing(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            writable = True
        except OSError:
            descriptor = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
            writable = False
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise Busy(_holder(descriptor)) from None
        if writable:
            holder = {"pid": os.getpid(), "started": time.strftime("%Y-%m-%d %H:%M:%S %z"), "action": action}
            with writing(path):
                os.ftruncate(descriptor, 0)
                os.pwrite(descriptor, (json.dumps(holder, ensure_ascii=False) + "\n").encode(), 0)
        _held.add(descriptor)
        yield
    finally:
        _held.discard(descriptor)
        os.close(descriptor)            # (the lock goes with the descriptor)


def _holder(descriptor: int) -> str:
    """Who holds the lock, as its holder wrote it into the lock file."""
    try:
        holder = json.loads(os.pread(descriptor, 4096, 0).decode("utf-8"))
        return f"进程号 {int(holder['pid'])}，{holder['started']} 开始{holder['action']}"
    except (OSError, ValueError, KeyError, TypeError):
        return "进程号未知：它刚刚开始，还没有写下自己的进程号"


@contextlib.contextmanager
def output_lock(out: Path, action: str = "生成") -> Iterator[None]:
    """Hold the output's lock (``.output.cache/lock``) or refuse at once, naming the command that
    holds it: a build, or a publish copying the output."""
    try:
        with exclusive(cache_path(out).parent / LOCK, f"{action} {out}"):
            yield
    except Busy as busy:
        raise CommitError(out, f"输出文件夹正被另一个 site-builder 命令使用（{busy.holder}）",
                          "等它结束后再运行；它结束（即使被强行终止）时锁自动释放") from None


# -- the commit ----------------------------------------------------------------------------------

def commit(out: Path, staging: Path, removed: list[str], index: str | None) -> None:
    """Move everything in ``staging`` into ``out``, delete ``removed`` and swap (``INDEX_SWAP``:
    the staged one) or drop (``INDEX_DROP``) the search index — all of it, or, if this process
    dies first, as the next command's :func:`recover` completes it. A folder the files need
    that cannot be made (a full disk) stops the commit before it begins."""
    journal = {"format": FORMAT, "staging": staging.name, "fresh": not out.exists(), "removed": removed,
               "index": index, "started": time.strftime("%Y-%m-%d %H:%M:%S")}
    made: list[Path] = []
    try:
        _make_folders(out, staging, made)
        faults.point("commit.before-journal")
        _flush(staging)
        _write_durably(journal_path(out), json.dumps(journal, ensure_ascii=False).encode("utf-8"))
    except BaseException:
        for folder in reversed(made):         # (not yet committed: the output as it was)
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise
    try:
        with _signals_held():
            faults.point("commit.after-journal")
            _apply(out, staging, journal)
            journal_path(out).unlink()
    except OSError as exc:       # (the journal stays, and the staging folder: the next command completes it)
        error = write_error(exc)
        if error is None:
            raise
        raise error.explained(UNFINISHED) from exc
    shutil.rmtree(staging, ignore_errors=True)


def _make_folders(out: Path, staging: Path, made: list[Path]) -> None:
    """Make the output's folders that staged files go to (none for a new output: the staging
    folder becomes it), adding each to ``made``, outermost first, so a failure can remove them."""
    if not out.exists():
        return
    for folder, dirs, _files in os.walk(staging):
        if folder == str(staging) and BUNDLE_DIR in dirs:
            dirs.remove(BUNDLE_DIR)
        for name in sorted(dirs):
            target = out / Path(folder, name).relative_to(staging)
            if not target.is_dir():
                with writing(target):
                    target.mkdir()
                made.append(target)


def _apply(out: Path, staging: Path, journal: dict) -> None:
    """Step 3, from wherever an earlier run of it stopped."""
    cache_path(out).unlink(missing_ok=True)
    if journal.get("fresh"):
        if staging.exists():
            os.chmod(staging, 0o755)
            os.rename(staging, out)
        return
    moved = 0
    for folder, dirs, files in os.walk(staging):
        if folder == str(staging):
            dirs[:] = [d for d in dirs if d not in (BUNDLE_DIR, OLD_INDEX)]
        for name in files:
            source = Path(folder, name)
            target = out / source.relative_to(staging)
            target.parent.mkdir(parents=True, exist_ok=True)     # (made before the journal; again after a crash)
            os.replace(source, target)
            moved += 1
            faults.point("commit.move")
    index = journal.get("index")
    if index in (INDEX_SWAP, INDEX_DROP):
        new, live, old = staging / BUNDLE_DIR, out / BUNDLE_DIR, staging / OLD_INDEX
        if index == INDEX_DROP or new.is_dir():
            if live.exists():
                shutil.rmtree(old, ignore_errors=True)
                os.rename(live, old)
            faults.point("commit.index")
            if index == INDEX_SWAP:
                os.rename(new, live)
    for path in journal.get("removed", []):
        target = out / path
        target.unlink(missing_ok=True)
        for parent in target.parents:           # folders left empty go too
            if parent == out or not parent.is_dir() or any(parent.iterdir()):
                break
            parent.rmdir()
    faults.point("commit.removed")


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """SIGTERM and SIGINT wait until the commit is done (a Ctrl-C mid-commit would otherwise end
    it where the next command has to complete it)."""
    signals = {signal.SIGTERM, signal.SIGINT}
    try:
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, signals)
    except (AttributeError, ValueError, OSError):   # pragma: no cover - no sigmask here
        yield
        return
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _write_durably(target: Path, data: bytes) -> None:
    """Write ``target`` through a temporary file, fsync'd, renamed over it, and its folder
    fsync'd: once this returns, the journal survives a power cut; before, there is none."""
    temp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    with writing(target):
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(temp, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, target)
        except BaseException:
            with contextlib.suppress(OSError):
                temp.unlink()
            raise
        folder = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)


def _flush(folder: Path) -> None:
    """The staged files on the disk before the journal says they are (a power cut after the
    commit point must find them): ``syncfs`` of the file system they are on, else ``sync``."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        syncfs = libc.syncfs
    except (OSError, AttributeError):
        os.sync()
        return
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        if syncfs(descriptor) != 0:
            os.sync()
    finally:
        os.close(descriptor)


# -- the next command ----------------------------------------------------------------------------

def _read_journal(out: Path) -> dict:
    path = journal_path(out)
    try:
        journal = json.loads(path.read_bytes())
    except ValueError as exc:
        raise CommitError(path, "上次生成的提交记录已损坏，无法判断输出文件夹是否完整",
                          f"删除输出文件夹 {out} 和这个文件后重新生成") from exc
    if not isinstance(journal, dict) or journal.get("format") != FORMAT:
        raise CommitError(path, "不认识的提交记录（另一个版本的 site-builder 写的？）",
                          f"删除输出文件夹 {out} 和这个文件后重新生成")
    return journal


def pending(out: Path) -> bool:
    """Whether a build died here: a journal to complete, or staging folders to remove."""
    out = out.resolve()
    return journal_path(out).exists() or any(
        next(out.parent.glob(staging_prefix(out, kind) + "*"), None) is not None for kind in LEFTOVERS)


def recover(out: Path) -> str | None:
    """Complete a commit that a dead build left in the journal, or remove the staging folders of
    a build that died before its commit; what was found, for the user (None: nothing). Call it
    holding :func:`output_lock`."""
    out = out.resolve()
    notes = []
    journal_file = journal_path(out)
    if journal_file.exists():
        journal = _read_journal(out)
        staging = out.parent / str(journal.get("staging", ""))
        if not staging.name.startswith(staging_prefix(out)) or staging.parent != out.parent:
            raise CommitError(journal_file, "提交记录指向的临时文件夹不对", f"删除 {out} 和这个文件后重新生成")
        if not staging.is_dir() and not (journal.get("fresh") and out.exists()):
            raise CommitError(journal_file, f"上次生成在提交文件时中断，而它的临时文件夹不见了（{staging.name}），无法补完",
                              f"删除输出文件夹 {out} 和这个文件后重新生成")
        try:
            with _signals_held():
                _apply(out, staging, journal)
                journal_file.unlink()
        except OSError as exc:
            error = write_error(exc)
            if error is None:
                raise
            raise error.explained(UNFINISHED) from exc
        shutil.rmtree(staging, ignore_errors=True)
        notes.append(f"上次生成（{journal.get('started', '时间不明')}）在提交文件时中断，已补完："
                     f"输出文件夹现在是那次生成的完整结果（页面、搜索索引和文件清单一致）")
    left = sorted(p for kind in LEFTOVERS for p in out.parent.glob(staging_prefix(out, kind) + "*"))
    for path in left:
        shutil.rmtree(path, ignore_errors=True) if path.is_dir() and not path.is_symlink() else path.unlink()
    if left:
        notes.append("上次生成在提交前中断，输出文件夹保持原样；已删除它留下的临时文件夹："
                     + "、".join(p.name for p in left))
    return "；".join(notes) or None
