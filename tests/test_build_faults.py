"""A build killed at any step leaves the complete old output or — once the next command has
completed its journal — the complete new one: pages, search index, manifest and cache together.

Each test builds the example, edits it (a page's prose changed, a department removed: files to
move and files to delete), then runs the build again in a subprocess that dies (SIGKILL, via
``SITE_BUILDER_FAULT``, site_builder/faults.py) at one step, and checks what the next command
sees. Nothing here waits for a moment: the faults are named points in the code.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import site_builder
from conftest import EXAMPLE
from site_builder.journal import output_lock

PACKAGE_PARENT = str(Path(site_builder.__file__).resolve().parent.parent)
EDITED = "departments/fenyang-ybj/2024/final-accounts/overview.md"
REMOVED = "departments/gaoyi-ybj"

# where the build dies → what the next command must see
BEFORE_COMMIT = ["build.index", "search.pagefind", "build.manifest", "commit.before-journal"]   # (search.pagefind: while it runs)
AFTER_COMMIT = ["commit.after-journal", "commit.move", "commit.move:6", "commit.index", "commit.removed"]


def cli(*args: object, fault: str | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PYTHONPATH": PACKAGE_PARENT, **(env or {})}
    environment.pop("SITE_BUILDER_FAULT", None)
    if fault:
        environment["SITE_BUILDER_FAULT"] = fault
    return subprocess.run([sys.executable, "-m", "site_builder.cli", *map(str, args)], capture_output=True,
                          text=True, env=environment, timeout=300)


def files_of(folder: Path) -> dict[str, bytes]:
    """Every file's bytes (the search index's too: it is the same from any folder)."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def strays(out: Path) -> list[str]:
    """What a build leaves beside the output only when it did not finish: staging folders, a
    journal, temporary files."""
    found = [p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.") and p.name != f".{out.name}.cache"]
    found += [p.name for p in (out.parent / f".{out.name}.cache").glob("commit.json*")]
    return found + [p.name for p in out.parent.rglob("*") if ".tmp" in p.name]


class Portal:
    """The example built (signed, with its search index), then edited; ``old`` the output before
    the edit, ``new`` a clean build of the edited content elsewhere (with ``search`` or without:
    then the index is dropped, as it would find what is gone)."""

    def __init__(self, root: Path, search: bool):
        self.content, self.out, self.key = root / "content", root / "site" / "output", root / "key"
        shutil.copytree(EXAMPLE, self.content)
        self.options = ["-j", "1", "--signing-key", self.key, *([] if search else ["--no-search"])]
        assert cli("keygen", self.key).returncode == 0
        first = cli("build", self.content, "--out", self.out, "-j", "1", "--signing-key", self.key)
        assert first.returncode == 0, first.stderr       # (with an index: a build without search drops it)
        self.old = files_of(self.out)
        with open(self.content / EDITED, "a", encoding="utf-8") as handle:
            handle.write("\n补充说明一段文字，用来检验提交。\n")
        shutil.rmtree(self.content / REMOVED)
        clean = cli("build", self.content, "--out", root / "clean" / "output", *self.options)
        assert clean.returncode == 0, clean.stderr
        self.new = files_of(root / "clean" / "output")
        self.search = search

    def build(self, fault: str | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        return cli("build", self.content, "--out", self.out, *self.options, fault=fault, env=env)

    def verify(self) -> subprocess.CompletedProcess:
        return cli("verify", self.out, "--public-key", f"{self.key}.pub")

    def is_new(self) -> bool:
        return files_of(self.out) == self.new


@pytest.fixture(scope="module")
def portals(tmp_path_factory):
    """One built and edited portal per search setting, copied for each test (a build takes seconds)."""
    made = {search: tmp_path_factory.mktemp(f"portal-{search}") for search in (False, True)}
    return {search: (root, Portal(root, search)) for search, root in made.items()}


@pytest.fixture
def portal(portals, tmp_path, request):
    root, template = portals[request.param]
    for name in ("content", "site"):
        shutil.copytree(root / name, tmp_path / name, symlinks=True)
    for name in ("key", "key.pub"):
        shutil.copy2(root / name, tmp_path / name)
    copy = object.__new__(Portal)
    copy.__dict__.update(template.__dict__, content=tmp_path / "content", out=tmp_path / "site" / "output",
                         key=tmp_path / "key")
    copy.options = ["-j", "1", "--signing-key", copy.key, *([] if copy.search else ["--no-search"])]
    return copy


def running_in(folder: Path) -> list[str]:
    """Processes whose command line names ``folder`` (a Pagefind left running by a dead build)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if str(folder) in command:
            found.append(command)
    return found


def gone(folder: Path, seconds: float = 10) -> bool:
    """No process names ``folder`` any more, within ``seconds`` (a signal is delivered, and the
    process ends, in its own time)."""
    deadline = time.monotonic() + seconds
    while running_in(folder):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def died(result: subprocess.CompletedProcess) -> None:
    assert result.returncode == -signal.SIGKILL, (result.returncode, result.stderr)


@pytest.mark.parametrize("portal", [False, True], ids=["no-search", "search"], indirect=True)
@pytest.mark.parametrize("point", BEFORE_COMMIT + AFTER_COMMIT)
def test_a_build_killed_at_each_step_leaves_old_or_new_and_verify_completes_it(portal, point):
    """Killed at ``point``: before the commit the output is the old one, byte for byte (a
    staging folder beside it, removed by the next command); after it, the next command —
    ``verify`` here — completes the journal and finds the new site, signed and whole, and says
    which it found; then a build gives a clean build's bytes and leaves nothing beside."""
    if point in ("build.index", "search.pagefind") and not portal.search:
        pytest.skip("no index without search")
    died(portal.build(fault=point))
    assert strays(portal.out)                                 # the dead build's traces, for the next command
    checked = portal.verify()
    assert checked.returncode == 0, checked.stdout + checked.stderr
    if point in BEFORE_COMMIT:
        assert files_of(portal.out) == portal.old
        assert "上次生成在提交前中断，输出文件夹保持原样" in checked.stderr
    else:
        assert portal.is_new(), point
        assert "在提交文件时中断，已补完" in checked.stderr and "完整结果" in checked.stderr
    assert not strays(portal.out), strays(portal.out)
    again = portal.build()
    assert again.returncode == 0, again.stderr
    assert portal.is_new() and not strays(portal.out)
    assert portal.verify().returncode == 0


@pytest.mark.parametrize("portal", [True], ids=["search"], indirect=True)
@pytest.mark.parametrize("point", ["commit.move:3", "build.manifest"])
def test_the_next_build_completes_or_cleans_up_and_says_which(portal, point):
    died(portal.build(fault=point))
    result = portal.build()
    assert result.returncode == 0, result.stderr
    said = "已补完" if point.startswith("commit") else "输出文件夹保持原样"
    assert said in result.stderr, result.stderr
    assert portal.is_new() and not strays(portal.out)
    assert portal.verify().returncode == 0


@pytest.mark.parametrize("portal", [False], ids=["no-search"], indirect=True)
def test_publish_after_a_build_killed_mid_commit_publishes_the_complete_new_site(portal, tmp_path):
    died(portal.build(fault="commit.move:10"))
    target = tmp_path / "www"
    published = cli("publish", portal.out, target, "--allow-removal")
    assert published.returncode == 0, published.stderr
    assert "已补完" in published.stderr
    assert files_of(target / "current").keys() >= portal.new.keys()
    for path, data in portal.new.items():
        assert (target / "current" / path).read_bytes() == data, path
    assert cli("verify", target, "--public-key", f"{portal.key}.pub").returncode == 0


@pytest.mark.parametrize("portal", [False], ids=["no-search"], indirect=True)
def test_sigterm_during_the_commit_waits_for_it(portal):
    """``kill`` (SIGTERM) while files are being moved: the commit finishes first, then the build
    ends (143), leaving the complete new site and no journal."""
    result = portal.build(fault="commit.move:2=TERM")
    assert result.returncode == -signal.SIGTERM or result.returncode == 128 + signal.SIGTERM, result.returncode
    assert portal.is_new() and not strays(portal.out)
    assert portal.verify().returncode == 0


def fake_pagefind(tmp_path: Path, body: str) -> dict[str, str]:
    """A Pagefind that answers ``--version`` as 1.6.0 and then does ``body`` (a shell script)."""
    script = tmp_path / "pagefind_extended"
    script.write_text(f'#!/bin/sh\nif [ "$1" = "--version" ]; then echo "pagefind_extended 1.6.0"; exit 0; fi\n{body}\n',
                      encoding="utf-8")
    script.chmod(0o755)
    return {"PAGEFIND_BINARY_PATH": str(script)}


@pytest.mark.parametrize("portal", [True], ids=["search"], indirect=True)
def test_pagefind_dies_with_the_build(portal, tmp_path):
    """A build killed while Pagefind runs takes Pagefind with it: an orphan would go on writing
    into the staging folder that the next command removes. (This Pagefind would run 60 s.)"""
    died(portal.build(fault="search.pagefind", env=fake_pagefind(tmp_path, f"exec {sys.executable} -c 'import time; time.sleep(60)' \"$@\"")))
    assert gone(portal.out.parent), running_in(portal.out.parent)
    assert portal.verify().returncode == 0 and files_of(portal.out) == portal.old and not strays(portal.out)


@pytest.mark.parametrize("portal", [True], ids=["search"], indirect=True)
@pytest.mark.parametrize("case", ["killed", "panic", "disk full"])
def test_pagefind_dying_or_failing_leaves_the_old_site(portal, tmp_path, case):
    """Pagefind runs before the commit: the build killed while it runs, Pagefind panicking, or
    Pagefind finding the disk full all leave the old output as it was (and a clear message)."""
    body = {"killed": "kill -9 $PPID; exit 1",
            "panic": "echo \"thread 'main' panicked at pagefind/src/output/mod.rs:12:5:\" >&2; "
                     "echo 'note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace' >&2; exit 101",
            "disk full": "echo 'Error: Os { code: 28, kind: StorageFull, message: \"No space left on device\" }' >&2; "
                         "exit 1"}[case]
    result = portal.build(env=fake_pagefind(tmp_path, body))
    if case == "killed":
        died(result)
    else:
        assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
        assert "搜索索引" in result.stderr or "磁盘空间不足" in result.stderr, result.stderr
    if case == "disk full":
        assert "磁盘空间不足" in result.stderr and "原来的网站没有改动" in result.stderr, result.stderr
    assert files_of(portal.out) == portal.old
    checked = portal.verify()
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert files_of(portal.out) == portal.old and not strays(portal.out)


@pytest.mark.parametrize("portal", [False], ids=["no-search"], indirect=True)
def test_a_second_command_on_the_same_output_is_refused_while_one_runs(portal):
    with output_lock(portal.out, "生成"):
        result = portal.build()
        published = cli("publish", portal.out, portal.out.parent / "www")
    assert result.returncode == 1 and published.returncode == 1
    for said in (result.stderr, published.stderr):
        assert "输出文件夹正被另一个 site-builder 命令使用" in said and f"进程号 {os.getpid()}，" in said, said
    assert files_of(portal.out) == portal.old and not (portal.out.parent / "www").exists()
    assert portal.build().returncode == 0 and portal.is_new()          # the lock goes with its holder


@pytest.mark.parametrize("portal", [False], ids=["no-search"], indirect=True)
def test_a_damaged_journal_is_a_clear_error_not_a_guess(portal):
    died(portal.build(fault="commit.move:5"))
    journal = portal.out.parent / f".{portal.out.name}.cache" / "commit.json"
    journal.write_text("{broken", encoding="utf-8")
    result = portal.build()
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "提交记录已损坏" in result.stderr and "commit.json" in result.stderr, result.stderr


@pytest.mark.parametrize("portal", [False], ids=["no-search"], indirect=True)
def test_a_move_refused_mid_commit_says_the_next_command_completes_it(portal):
    """A rename refused after the commit point (ENOSPC where a folder had to be made again, an
    I/O error): not "nothing changed" but what is true — the next command completes the commit."""
    result = portal.build(fault="commit.move:3=ENOSPC")
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert "原来的网站没有改动" not in result.stderr
    assert "磁盘空间不足" in result.stderr and "再运行一次" in result.stderr and "补完" in result.stderr, result.stderr
    assert strays(portal.out)
    again = portal.build()
    assert again.returncode == 0 and "已补完" in again.stderr, again.stderr
    assert portal.is_new() and not strays(portal.out)
    assert portal.verify().returncode == 0


@pytest.mark.parametrize("portal", [False], ids=["no-search"], indirect=True)
def test_a_journal_whose_staging_folder_is_gone_is_a_clear_error(portal):
    died(portal.build(fault="commit.move:2"))
    for staging in portal.out.parent.glob(f".{portal.out.name}.building-*"):
        shutil.rmtree(staging)
    result = portal.build()
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "临时文件夹不见了" in result.stderr, result.stderr
