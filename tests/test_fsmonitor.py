"""The optional file-system monitor (fsmonitor.py): with watchman, a build asks what changed
since the last build's clock instead of scanning every file; without it, or on any doubt, it
scans as before. Every build here is compared with a clean build: byte-identical output.

Two kinds of watchman: the real daemon (Debian's ``watchman``, installed by .ci/run), started
by each test with its own socket and state files and stopped by it; and a fake command on PATH
that answers what the test says, for what the real one will not do on demand (lie, hang,
answer for another folder, restart between two builds).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from site_builder import fsmonitor
from site_builder.build import build
from site_builder.cache import BuildCache, Environment
from site_builder.layout import cache_path
from test_incremental import F, aged_example, assert_same_as_clean, edit

PAGE = "fenyang-ybj/2024/final-accounts/index.html"
WATCHMAN = shutil.which("watchman")


@pytest.fixture
def portal(tmp_path) -> Path:
    return aged_example(tmp_path)


def page(out: Path) -> str:
    return (out / PAGE).read_text(encoding="utf-8")


def recorded(out: Path) -> dict | None:
    """The monitor's state in the build cache (watch, relative path, clock)."""
    lines = cache_path(out).read_bytes().split(b"\n")
    return json.loads(lines[1]).get("monitor")


def forbid_stat_inside_departments(portal: Path, monkeypatch) -> None:
    """Fail the test if a build looks at any file or folder inside a department (jobs=1: in this process)."""
    inside = str(portal / "departments") + os.sep
    stat, scandir = os.stat, os.scandir

    def guarded_stat(path, *args, **kwargs):
        if str(path).startswith(inside):
            pytest.fail(f"stat {path}")
        return stat(path, *args, **kwargs)

    def guarded_scandir(path="."):
        if str(path).startswith(inside):
            pytest.fail(f"read {path}")
        return scandir(path)

    monkeypatch.setattr(os, "stat", guarded_stat)
    monkeypatch.setattr(os, "scandir", guarded_scandir)


# -- the real daemon -----------------------------------------------------------------------------

def _missing_watchman() -> None:
    if WATCHMAN is None:
        if os.environ.get("CI"):
            pytest.fail("the monitor tests need watchman; .ci/run must install it")
        pytest.skip("needs watchman (apt-get install watchman)")


class Daemon:
    """A watchman daemon of the test's own: its socket, state and log in a short folder (a socket
    path has at most 107 bytes), found by the build through WATCHMAN_SOCK."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.sock = folder / "sock"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [WATCHMAN, "--foreground", "--no-save-state", f"--sockname={self.sock}",
             f"--statefile={self.folder / 'state'}", f"--logfile={self.folder / 'log'}",
             f"--pidfile={self.folder / 'pid'}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                self.call(["watch-list"])          # ("version" the command line answers itself)
                return
            except (AssertionError, ValueError, subprocess.TimeoutExpired):
                time.sleep(0.05)
        pytest.fail("watchman did not start")

    def call(self, command: list) -> dict:
        done = subprocess.run([WATCHMAN, f"--sockname={self.sock}", "--no-spawn", "-j", "--no-pretty"],
                              input=json.dumps(command).encode(), capture_output=True, timeout=20)
        assert done.returncode == 0, done.stderr
        answer = json.loads(done.stdout)
        assert "error" not in answer, answer
        return answer

    def stop(self) -> None:
        if self.process is None:
            return
        try:
            self.call(["shutdown-server"])
            self.process.wait(timeout=20)
        except (AssertionError, subprocess.TimeoutExpired, ValueError):
            self.process.kill()
            self.process.wait()
        self.process = None


@pytest.fixture
def daemon(monkeypatch) -> Iterator[Daemon]:
    _missing_watchman()
    folder = Path(tempfile.mkdtemp(prefix="wm-", dir="/tmp"))
    running = Daemon(folder)
    monkeypatch.setenv("WATCHMAN_SOCK", str(running.sock))
    monkeypatch.setenv("TMPDIR", str(folder))     # (the command line makes $TMPDIR/<user>-state even so)
    running.start()
    try:
        yield running
    finally:
        running.stop()
        shutil.rmtree(folder, ignore_errors=True)


def test_an_edit_rebuilds_only_its_department_and_the_others_are_not_looked_at(portal, tmp_path, daemon,
                                                                              monkeypatch):
    out = tmp_path / "out"
    first = build(portal, out, search=False, monitor="watchman")     # starts the watch; scans everything
    assert first.rendered == 3 and not first.monitor
    assert daemon.call(["watch-list"])["roots"] == [str(portal)]
    clock = recorded(out)["clock"]
    assert recorded(out) == {"watch": str(portal), "relative": "", "clock": clock}
    with monkeypatch.context() as guard:
        forbid_stat_inside_departments(portal, guard)
        again = build(portal, out, search=False, jobs=1, monitor="auto")
    assert again.monitor and (again.rendered, again.written, again.removed) == (0, 0, 0)
    edit(portal / F / "tables/03.csv", "612.10", "612.11")
    edited = build(portal, out, search=False, allow_errors=True, monitor="auto")
    assert edited.monitor and edited.rendered == 1 and "612.11" in page(out)
    assert recorded(out)["clock"] != clock                         # a new clock, from before this build's scan
    assert_same_as_clean(portal, out, tmp_path, allow_errors=True)


def test_every_kind_of_change_with_watchman_gives_a_clean_builds_output(portal, tmp_path, daemon):
    """The changes test_incremental makes, one after the other, each built with the monitor."""
    daemon.call(["watch-project", str(portal)])
    out = tmp_path / "out"
    build(portal, out, search=False, monitor="auto")
    steps = [   # (a change, whether the monitor is used: a change outside departments/ rebuilds everything)
        (lambda: edit(portal / "departments/gaoyi-ybj/2021/performance/report.md", "医疗保障", "医疗保障（修订）"), True),
        (lambda: shutil.copytree(portal / "departments/gaoyi-ybj/2021", portal / "departments/gaoyi-ybj/2022"), True),
        (lambda: shutil.rmtree(portal / "departments/lvliang-ybj/2023/budget"), True),
        (lambda: os.rename(portal / "departments/gaoyi-ybj", portal / "departments/gaoyi-county-ybj"), True),
        (lambda: (out / "fenyang-ybj/index.html").unlink(), True),      # the output's folders are still checked
        (lambda: (portal / "templates").mkdir(), False),               # seen by the environment's scan
        (lambda: (portal / "templates/document.html").write_text(
            '{% extends "default/document.html" %}{% block main %}<p class="local">本地</p>{{ super() }}{% endblock %}\n',
            encoding="utf-8"), False),
        (lambda: edit(portal / F / "overview.md", "医疗保障", "医疗保障（概况）", when=time.time() - 300), True),
    ]
    for step, monitored in steps:
        step()
        result = build(portal, out, search=False, allow_errors=True, monitor="auto")
        assert result.monitor == monitored, result.note
        assert_same_as_clean(portal, out, tmp_path, allow_errors=True)
    assert 'class="local"' in page(out) and "医疗保障（概况）" in page(out)
    assert (out / "gaoyi-county-ybj/2022/performance/index.html").is_file()


def test_a_watch_above_the_content_folder_is_used(portal, tmp_path, daemon):
    daemon.call(["watch", str(portal.parent)])                     # the operator watches the whole checkout
    out = tmp_path / "out"
    build(portal, out, search=False, monitor="auto")
    assert recorded(out)["watch"] == str(portal.parent) and recorded(out)["relative"] == "content"
    edit(portal / "departments/gaoyi-ybj/2021/performance/report.md", "医疗保障", "医疗保障（修订）")
    again = build(portal, out, search=False, monitor="auto")
    assert again.monitor and again.rendered == 1
    assert_same_as_clean(portal, out, tmp_path)


def test_a_watchman_restarted_between_builds_is_not_trusted(portal, tmp_path, daemon):
    """A file edited while no daemon watched: the new daemon's clock is of another instance, and
    the old clock means nothing to it (is_fresh_instance): a full scan."""
    daemon.call(["watch-project", str(portal)])
    out = tmp_path / "out"
    build(portal, out, search=False, monitor="auto")
    daemon.stop()
    edit(portal / F / "tables/03.csv", "612.10", "612.11")
    daemon.start()
    daemon.call(["watch-project", str(portal)])                    # the operator's service watches again
    again = build(portal, out, search=False, allow_errors=True, monitor="auto")
    assert not again.monitor and again.rendered == 1 and "612.11" in page(out)
    assert_same_as_clean(portal, out, tmp_path, allow_errors=True)
    daemon.stop()                                                   # and this time nobody watches again:
    edit(portal / F / "tables/03.csv", "612.11", "612.12", when=time.time() - 600)
    daemon.start()
    last = build(portal, out, search=False, allow_errors=True, monitor="auto")
    assert not last.monitor and not last.note and "612.12" in page(out)   # auto: scanned, nothing to say
    assert daemon.call(["watch-list"])["roots"] == []              # and auto started no watch


def test_auto_starts_no_daemon_and_says_nothing_when_none_runs(portal, tmp_path, monkeypatch):
    _missing_watchman()
    folder = Path(tempfile.mkdtemp(prefix="wm-", dir="/tmp"))
    try:
        monkeypatch.setenv("WATCHMAN_SOCK", str(folder / "sock"))
        monkeypatch.setenv("TMPDIR", str(folder))
        result = build(portal, tmp_path / "out", search=False, monitor="auto")
        assert not result.monitor and not result.note and recorded(tmp_path / "out") is None
        assert not list(folder.glob("*/sock")) and not list(folder.glob("*/pid"))   # no daemon was started
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_monitor_watchman_starts_the_daemon_and_the_watch(portal, tmp_path, monkeypatch):
    """As git's hook does: the daemon (in $TMPDIR/<user>-state, watchman's default) and the watch."""
    _missing_watchman()
    folder = Path(tempfile.mkdtemp(prefix="wm-", dir="/tmp"))
    monkeypatch.setenv("TMPDIR", str(folder))
    monkeypatch.delenv("WATCHMAN_SOCK", raising=False)
    out = tmp_path / "out"
    try:
        build(portal, out, search=False, monitor="watchman")
        state = next(folder.glob("*-state"))
        spawned = Daemon(state)
        assert spawned.call(["watch-list"])["roots"] == [str(portal)]
        assert build(portal, out, search=False, monitor="watchman").monitor
    finally:
        stop_spawned(folder)
        shutil.rmtree(folder, ignore_errors=True)


def stop_spawned(folder: Path) -> None:
    """Stop a daemon that the watchman command started (not this process's child) and wait for it to go."""
    for state in folder.glob("*-state"):
        pid = int((state / "pid").read_text())
        subprocess.run([WATCHMAN, f"--sockname={state / 'sock'}", "--no-spawn", "shutdown-server"],
                       capture_output=True, timeout=20)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and _alive(pid):
            time.sleep(0.05)
        if _alive(pid):
            os.kill(pid, 9)


def _alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in status


# -- a fake watchman: answers as told --------------------------------------------------------------

FAKE = """#!{python}
import json, os, sys, time
here = os.path.dirname(os.path.abspath(__file__))
command = json.load(sys.stdin)
with open(os.path.join(here, "calls"), "a") as log:
    log.write(json.dumps([sys.argv[1:], command]) + "\\n")
with open(os.path.join(here, "answers.json")) as f:
    answer = json.load(f).get(command[0], {{"error": "unknown command"}})
time.sleep(answer.pop("_sleep", 0))
print(json.dumps(answer))
"""


class Fake:
    def __init__(self, folder: Path, root: Path):
        self.folder = folder
        folder.mkdir()
        script = folder / "watchman"
        script.write_text(FAKE.format(python=sys.executable), encoding="utf-8")
        script.chmod(0o755)
        self.answers = {"watch-list": {"roots": [str(root)]}, "get-config": {"config": {}},
                        "clock": {"clock": "c:1:2:1:1"},
                        "query": {"is_fresh_instance": False, "files": [], "clock": "c:1:2:1:2"}}
        self.save()

    def save(self) -> None:
        (self.folder / "answers.json").write_text(json.dumps(self.answers), encoding="utf-8")

    def answer(self, command: str, answer: dict) -> None:
        self.answers[command] = answer
        self.save()

    def calls(self) -> list[str]:
        path = self.folder / "calls"
        return [json.loads(line)[1][0] for line in path.read_text().splitlines()] if path.exists() else []


@pytest.fixture
def fake(portal, tmp_path, monkeypatch) -> Fake:
    made = Fake(tmp_path / "bin", portal)
    monkeypatch.setenv("PATH", f"{made.folder}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.delenv("WATCHMAN_SOCK", raising=False)
    return made


def test_a_monitor_that_lies_with_a_valid_clock_is_trusted_and_clean_mends_it(portal, tmp_path, fake):
    """As git trusts its monitor: a missed event with a valid clock leaves the page as it was;
    ``--clean`` (or ``--monitor none``) sees the edit."""
    out = tmp_path / "out"
    build(portal, out, search=False, monitor="auto")
    assert fake.calls() == ["watch-list", "get-config", "clock"]
    edit(portal / F / "tables/03.csv", "612.10", "612.11")          # and the monitor says nothing changed
    lied = build(portal, out, search=False, allow_errors=True, monitor="auto")
    assert lied.monitor and lied.rendered == 0 and "612.11" not in page(out)
    assert build(portal, out, search=False, allow_errors=True, monitor="none").rendered == 1
    assert "612.11" in page(out)
    edit(portal / F / "tables/03.csv", "612.11", "612.12", when=time.time() - 600)
    assert build(portal, out, search=False, allow_errors=True, monitor="auto", clean=True).rendered == 3
    assert_same_as_clean(portal, out, tmp_path, allow_errors=True)


def test_a_department_saved_within_two_seconds_of_the_build_is_scanned_whatever_the_monitor_says(
        portal, tmp_path, fake):
    out = tmp_path / "out"
    csv = portal / F / "tables/03.csv"
    os.utime(csv)                                                   # saved just now: the entry is racy
    build(portal, out, search=False, monitor="auto")
    edit(csv, "612.10", "612.11")                                   # unseen by the (lying) monitor
    again = build(portal, out, search=False, allow_errors=True, monitor="auto")
    assert again.monitor and again.rendered == 1 and "612.11" in page(out)
    assert_same_as_clean(portal, out, tmp_path, allow_errors=True)


@pytest.mark.parametrize("answer", [
    {"is_fresh_instance": True, "files": [], "clock": "c:9:9:1:1"},                  # another instance
    {"is_fresh_instance": False, "files": [], "clock": "c:1:2:1:2", "warning": "recrawled"},   # lost events
    {"is_fresh_instance": False, "files": "?", "clock": "c:1:2:1:2"},                # another shape
    {"error": "unable to resolve root: directory is not watched"},                  # the watch is gone
])
def test_an_answer_the_build_cannot_trust_means_a_full_scan(portal, tmp_path, fake, answer):
    out = tmp_path / "out"
    build(portal, out, search=False, monitor="auto")
    fake.answer("query", answer)
    edit(portal / F / "tables/03.csv", "612.10", "612.11")
    again = build(portal, out, search=False, allow_errors=True, monitor="auto")
    assert not again.monitor and again.rendered == 1 and "612.11" in page(out)
    assert recorded(out)["clock"] == "c:1:2:1:1"                    # a new first clock, taken before the scan
    assert_same_as_clean(portal, out, tmp_path, allow_errors=True)


def test_a_slow_monitor_is_not_waited_for(portal, tmp_path, fake, monkeypatch):
    out = tmp_path / "out"
    build(portal, out, search=False, monitor="auto")
    monkeypatch.setattr(fsmonitor, "TIMEOUT", 0.5)
    fake.answer("query", {"_sleep": 10})
    edit(portal / F / "tables/03.csv", "612.10", "612.11")
    started = time.monotonic()
    again = build(portal, out, search=False, allow_errors=True, monitor="auto")
    assert time.monotonic() - started < 8
    assert not again.monitor and again.rendered == 1 and "没有回答" in again.note
    assert recorded(out) is None                                    # next time: a first clock again
    assert_same_as_clean(portal, out, tmp_path, allow_errors=True)


def test_a_watch_of_another_folder_is_not_used(portal, tmp_path, fake):
    out = tmp_path / "out"
    fake.answer("watch-list", {"roots": [str(portal) + "2", str(portal / "departments")]})
    assert not build(portal, out, search=False, monitor="auto").monitor
    assert recorded(out) is None and "clock" not in fake.calls()
    # a cache recording a watch of another folder (the cache moved with the output, say)
    fake.answer("watch-list", {"roots": [str(portal)]})
    build(portal, out, search=False, monitor="auto")
    head, *lines = cache_path(out).read_bytes().split(b"\n")
    recorded_head = json.loads(head)
    cache = BuildCache.load(cache_path(out), Environment(recorded_head["model"], recorded_head["environment"], ""),
                            portal, out)
    assert cache.monitor == {"watch": str(portal), "relative": "", "clock": "c:1:2:1:1"}
    assert fsmonitor.recorded_clock(portal, {**cache.monitor, "watch": str(portal) + "2"}) is None
    assert fsmonitor.recorded_clock(portal, {**cache.monitor, "relative": "departments"}) is None
    assert fsmonitor.covering(["/srv/content2", "/srv", "/"], Path("/srv/content")) == ("/srv", "content")


def test_a_watchmanconfig_hiding_the_departments_is_refused(portal, tmp_path, fake):
    fake.answer("get-config", {"config": {"ignore_dirs": ["departments/fenyang-ybj"]}})
    result = build(portal, tmp_path / "out", search=False, monitor="auto")
    assert not result.monitor and "ignore_dirs" in result.note and recorded(tmp_path / "out") is None


def test_without_watchman_the_build_scans_and_watchman_mode_says_so(portal, tmp_path, monkeypatch):
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    out = tmp_path / "out"
    assert build(portal, out, search=False, monitor="auto").note == ""
    result = build(portal, out, search=False, monitor="watchman")
    assert not result.monitor and "未找到 watchman" in result.note


def test_with_a_previous_release_every_department_is_scanned(portal, tmp_path, fake):
    """Correction records compare with a published release outside the content folder: unwatched."""
    site = tmp_path / "site"
    build(portal, site, search=False)
    out = tmp_path / "out"
    build(portal, out, search=False, previous_release=site, monitor="auto")
    edit(portal / F / "tables/03.csv", "612.10", "612.11")          # and the (lying) monitor says nothing
    again = build(portal, out, search=False, allow_errors=True, previous_release=site, monitor="auto")
    assert again.rendered == 1 and "612.11" in page(out)


def test_the_command_says_when_watchman_found_the_changes(portal, tmp_path, fake):
    from click.testing import CliRunner

    from site_builder.cli import main

    args = ["build", str(portal), "--out", str(tmp_path / "out"), "--no-search"]
    first = CliRunner().invoke(main, args)                          # --monitor auto by default
    assert first.exit_code == 0 and "watchman" not in first.output
    again = CliRunner().invoke(main, args)
    assert again.exit_code == 0 and "秒，watchman）" in again.output, again.output
    edit(portal / "departments/gaoyi-ybj/2021/performance/report.md", "医疗保障", "医疗保障（修订）")
    fake.answer("query", {"is_fresh_instance": False, "files": ["gaoyi-ybj/2021/performance/report.md"],
                          "clock": "c:1:2:1:3"})
    changed = CliRunner().invoke(main, args)
    assert "本次重新生成 1 个部门" in changed.output and "（watchman） →" in changed.output, changed.output
    none = CliRunner().invoke(main, [*args, "--monitor", "none"])
    assert none.exit_code == 0 and "watchman" not in none.output


def test_departments_the_monitor_saw_unchanged_go_to_no_worker(portal, tmp_path, fake, monkeypatch):
    """What the monitor settles is settled in the build's own process: with nothing changed no
    worker starts, and after an edit only the edited department is sent to one."""
    from site_builder import workers

    out = tmp_path / "out"
    build(portal, out, search=False, monitor="auto")
    sent: list[list[str]] = []
    run = workers._run

    def recording(job, slugs, jobs, progress):
        sent.append(list(slugs))
        return run(job, slugs, jobs, progress)

    monkeypatch.setattr(workers, "_run", recording)
    quiet = build(portal, out, search=False, jobs=2, monitor="auto")
    assert quiet.monitor and quiet.rendered == 0 and sent == []
    edit(portal / "departments/gaoyi-ybj/2021/performance/report.md", "医疗保障", "医疗保障（修订）")
    fake.answer("query", {"is_fresh_instance": False, "files": ["gaoyi-ybj/2021/performance/report.md"],
                          "clock": "c:1:2:1:3"})
    edited = build(portal, out, search=False, jobs=2, monitor="auto")
    assert edited.monitor and edited.rendered == 1 and sent == [["gaoyi-ybj"]]
    fake.answer("query", {"is_fresh_instance": False, "files": [], "clock": "c:1:2:1:4"})
    (out / "fenyang-ybj/2024/final-accounts/index.html").unlink()       # an output the monitor does not watch
    mended = build(portal, out, search=False, jobs=2, monitor="auto")
    assert mended.rendered == 1 and sent[-1] == ["fenyang-ybj"]
    assert_same_as_clean(portal, out, tmp_path)
