"""An optional file-system monitor, as git's ``core.fsmonitor``: watchman tells the build which
departments changed since the last build, and the others are not scanned.

A build without a monitor finds an edit by a ``stat`` of every content file (cache.scan): at
10,000 disclosures ≈ 206,000 files and most of a no-change build. watchman, watching the
content folder, answers "what changed since this clock" in about a millisecond. The build
records the clock watchman gave *before* anything was scanned (in the build cache's portal
line), asks next time what changed since it, and hands the departments with no changed path to
the workers as known unchanged (workers.Job.unchanged): their signature and listing stand as
the cache has them. Their output folders are still checked (cache.folders_signature), and
everything outside ``departments/`` (site.yaml, profiles, templates, the tool) is still scanned
by cache.environment: a few dozen files, so the monitor need not be trusted with what every
page depends on.

**Safety first.** Any doubt is a full scan, as without a monitor: watchman missing, not
running, not watching the folder, too slow (``TIMEOUT``), an error or a warning in its answer
(a recrawl after a lost event), an answer of another shape, a clock of another instance or root
(``is_fresh_instance``: watchman restarted, the watch removed and added again, events aged out),
a recorded watch that is not the content folder or one above it, or a ``.watchmanconfig`` that
hides ``departments/`` (``ignore_dirs``). A department whose last scan was *racy* (a file saved
within two seconds of that build) is scanned whatever the monitor says. What is trusted, as
git trusts its monitor: a watchman that answers, with a valid clock, that nothing changed when
a file did (a file system that sends no events, such as a network mount). ``--monitor none``
or ``--clean`` then sees it.

**Talking to watchman**: its command line with JSON (``watchman -j``), one process per build
in the steady state (the query; ≈ 5 ms of wall and CPU time here). The ``pywatchman`` client
would be no cheaper: importing it took 60–280 ms, it compiles a C extension on install, and
without ``WATCHMAN_SOCK`` it runs ``watchman get-sockname`` anyway. ``WATCHMAN_SOCK``, which
pywatchman honours and the 4.9 command line does not, is passed on as ``--sockname``.

**Modes** (``build --monitor``): ``auto`` (the default) uses a watchman daemon that already
watches the content folder and never starts one; ``watchman`` starts the daemon and the watch
if need be (``watch-project``, as git's hook does) and says why when it cannot be used;
``none`` scans, as before.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

MODES = ("auto", "watchman", "none")
TIMEOUT = 3.0           # seconds a watchman command may take before the build scans instead
SYNC_MS = 2000          # watchman's own wait for the events that precede a query (its cookie)


@dataclass(frozen=True)
class Seen:
    """What the monitor saw since the last build."""

    changed: frozenset[str] | None = None   # departments with a changed path; None: not known, scan every one
    state: dict[str, str] | None = None     # the watch and clock to record for the next build
    renewed: bool = False                   # save the state even if nothing else changed: a first clock, or
                                            # one past changed paths (not reported again next time)
    note: str = ""                          # why the monitor asked for was not used

    @property
    def used(self) -> bool:
        return self.changed is not None


class Unusable(Exception):
    """watchman cannot be used for this build (the message says why, in Chinese)."""


class Refused(Unusable):
    """watchman answered with an error (a root it does not watch, a clock it cannot read)."""


class Unreachable(Unusable):
    """No daemon to talk to (``auto`` never starts one)."""


def observe(root: Path, recorded: Any, mode: str) -> Seen:
    """What changed under ``root``/departments since the clock ``recorded`` (the state a build
    kept), and the state to keep; a Seen with ``changed`` None whenever that is not certain."""
    if mode == "none":
        return Seen()
    binary = shutil.which("watchman")
    if binary is None:
        return Seen(note="未找到 watchman，已逐个检查文件" if mode == "watchman" else "")
    client = Client(binary, spawn=mode == "watchman")
    try:
        since = recorded_clock(root, recorded)
        if since is not None:
            try:
                return changes(client, root, *since)
            except Refused:
                pass                  # the watch is gone (watch-del, a new daemon): find or make it again
        watch = client.watch(root)
        return start(client, *watch) if watch is not None else Seen()
    except Unreachable as exc:
        return Seen(note=f"{exc}，已逐个检查文件" if mode == "watchman" else "")
    except Unusable as exc:
        return Seen(note=f"{exc}，已逐个检查文件")


def recorded_clock(root: Path, recorded: Any) -> tuple[str, str, str] | None:
    """(watch, relative path of ``root`` in it, clock) as the last build kept them, if they are
    whole and name this content folder."""
    if not isinstance(recorded, dict):
        return None
    watch, relative, clock = (recorded.get(key) for key in ("watch", "relative", "clock"))
    if not (isinstance(watch, str) and isinstance(relative, str) and isinstance(clock, str) and clock):
        return None
    if Path(watch, relative) != root:
        return None           # a watch of another folder: its answers are not about this one
    return watch, relative, clock


def changes(client: Client, root: Path, watch: str, relative: str, clock: str) -> Seen:
    """The departments with a path changed since ``clock``; a full scan (with a new clock) when
    watchman cannot say (a clock of another instance, a warning)."""
    answer = client.call(["query", watch, {
        "since": clock, "fields": ["name"], "relative_root": departments_path(relative),
        "sync_timeout": SYNC_MS, "empty_on_fresh_instance": True}])
    files, new_clock = answer.get("files"), answer.get("clock")
    if answer.get("is_fresh_instance") is not False or "warning" in answer or not isinstance(new_clock, str) \
            or not isinstance(files, list) or not all(isinstance(name, str) for name in files):
        return start(client, watch, relative)
    changed = frozenset(name.split("/", 1)[0] for name in files)
    return Seen(changed, {"watch": watch, "relative": relative, "clock": new_clock}, renewed=bool(changed))


def start(client: Client, watch: str, relative: str) -> Seen:
    """A first clock for this watch (the build then scans everything), unless its configuration
    hides departments/ from watchman."""
    config = client.call(["get-config", watch]).get("config")
    hidden = config.get("ignore_dirs", []) if isinstance(config, dict) else []
    target = PurePosixPath(departments_path(relative))
    if not isinstance(hidden, list) or any(not isinstance(d, str) or overlaps(PurePosixPath(d), target)
                                           for d in hidden):
        raise Unusable(f"watchman 的 .watchmanconfig 在 ignore_dirs 中忽略了 {target}")
    clock = client.call(["clock", watch, {"sync_timeout": SYNC_MS}]).get("clock")
    if not isinstance(clock, str) or not clock:
        raise Unusable("watchman 没有给出时钟")
    return Seen(None, {"watch": watch, "relative": relative, "clock": clock}, renewed=True)


def departments_path(relative: str) -> str:
    return f"{relative}/departments" if relative else "departments"


def overlaps(a: PurePosixPath, b: PurePosixPath) -> bool:
    """Whether one of the two relative paths holds the other (or they are the same)."""
    return a == b or a in b.parents or b in a.parents


def covering(roots: list[Any], root: Path) -> tuple[str, str] | None:
    """(watch, relative path) of the deepest watched root that is ``root`` or holds it; by path
    parts, never by text (/srv/content2 does not hold /srv/content)."""
    found = [Path(r) for r in roots if isinstance(r, str) and os.path.isabs(r)]
    found = [r for r in found if r == root or r in root.parents]
    if not found:
        return None
    watch = max(found, key=lambda r: len(r.parts))
    relative = root.relative_to(watch).as_posix()
    return str(watch), "" if relative == "." else relative


class Client:
    """The ``watchman`` command line, one JSON command per process."""

    def __init__(self, binary: str, spawn: bool):
        self.spawn = spawn          # may start the daemon (``--monitor watchman``)
        self.argv = [binary, "-j", "--no-pretty"] + ([] if spawn else ["--no-spawn"])
        sock = os.environ.get("WATCHMAN_SOCK")
        if sock:
            self.argv.append(f"--sockname={sock}")

    def call(self, command: list[Any]) -> dict[str, Any]:
        """watchman's answer to ``command``; Unusable when it takes longer than TIMEOUT or says
        something that is not a JSON object, Unreachable when there is no daemon, Refused when it
        answers with an error."""
        try:
            done = subprocess.run(self.argv, input=json.dumps(command).encode("utf-8"), capture_output=True,
                                  timeout=TIMEOUT)
        except subprocess.TimeoutExpired as exc:
            raise Unusable(f"watchman 在 {TIMEOUT:g} 秒内没有回答") from exc
        except OSError as exc:
            raise Unreachable(f"无法运行 watchman（{exc.strerror}）") from exc
        try:
            answer = json.loads(done.stdout)
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            if done.returncode:
                raise Unreachable("watchman 没有在运行")
            raise Unusable("watchman 的回答无法读取")
        if "error" in answer:
            if done.returncode and not self.spawn:
                raise Unreachable("watchman 没有在运行")      # --no-spawn and no daemon: "not available in this mode"
            raise Refused(f"watchman 报错：{answer['error']}")
        return answer

    def watch(self, root: Path) -> tuple[str, str] | None:
        """(watch, relative path) watching ``root``: started if need be (``spawn``), else only one
        that exists; None when there is none."""
        if self.spawn:
            answer = self.call(["watch-project", str(root)])
            watch, relative = answer.get("watch"), answer.get("relative_path", "")
            if not (isinstance(watch, str) and isinstance(relative, str)) or Path(watch, relative) != root:
                raise Unusable("watchman 监视的不是内容文件夹")
            return watch, relative
        roots = self.call(["watch-list"]).get("roots")
        return covering(roots, root) if isinstance(roots, list) else None
