"""Publishing under faults: ``publish`` and ``rollback`` killed (SIGKILL) at each step, and two
run at once.

Each test runs the command in a subprocess with ``SITE_BUILDER_FAULT`` naming a point of
site_builder/publish.py (faults.py kills the process there, as ``kill -9`` would), then checks
what the issue promises: ``releases`` lists only complete releases, ``verify`` passes on the
target, ``current`` is the old or the new complete release, and the next command succeeds and
removes what the killed one left, saying so. Two commands are made to overlap by stopping the
first inside the lock (``=STOP``), not by sleeping.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys

import pytest
from click.testing import CliRunner

from conftest import EXAMPLE, REPO
from site_builder.cli import main
from site_builder.build import build
from site_builder.manifest import MANIFEST, keygen, verify
from site_builder.publish import leftovers, publish, read_record, releases, site_files


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Three signed builds of the example, each with a stylesheet of its own (a new hashed name,
    so each release keeps the one before's) and the second and third with a changed cell."""
    import shutil

    base = tmp_path_factory.mktemp("faults")
    private = base / "keys" / "site.key"
    public = keygen(private)
    content = base / "content"
    shutil.copytree(EXAMPLE, content)
    outs = []
    for n in range(3):
        if n:
            (content / "templates/assets").mkdir(parents=True, exist_ok=True)
            (content / "templates/assets/site.css").write_text(
                (REPO / "templates/assets/site.css").read_text(encoding="utf-8") + f"/* build {n} */\n", encoding="utf-8")
            csv = content / "departments/fenyang-ybj/2024/final-accounts/tables/05.csv"
            csv.write_text(csv.read_text(encoding="utf-8").replace(f"69.6{1 + n}", f"69.6{2 + n}"), encoding="utf-8")
        out = base / f"out{n + 1}"
        build(content, out, search=False, signing_key=private)
        outs.append(out)
    return {"outs": outs, "public": public}


def content_hash(out) -> str:
    return hashlib.sha256((out / MANIFEST).read_bytes()).hexdigest()


def command(*args, fault: str | None = None, **popen) -> subprocess.CompletedProcess | subprocess.Popen:
    """``site-builder ARGS`` in a subprocess of this checkout, ``fault`` armed."""
    env = {k: v for k, v in os.environ.items() if k != "SITE_BUILDER_FAULT"}
    env["PYTHONPATH"] = str(REPO)
    if fault:
        env["SITE_BUILDER_FAULT"] = fault
    argv = [sys.executable, "-m", "site_builder.cli", *map(str, args)]
    if popen:
        return subprocess.Popen(argv, env=env, **popen)
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120)


def assert_whole(target, public, allowed: set[str]) -> str:
    """Only complete releases are listed, each verifies, the target verifies, and ``current`` is
    one of them with the content of one of ``allowed`` (content hashes); returns that hash."""
    known = releases(target)
    assert known and all(read_record(r.path) for r in known)
    for release in known:
        report = verify(release.path, public)
        assert report.ok, (release.id, report)
    listing = command("releases", target)
    assert listing.returncode == 0
    assert [line[2:].split()[0] for line in listing.stdout.splitlines()] == [r.id for r in known]
    report = CliRunner().invoke(main, ["verify", str(target), "--public-key", str(public)])
    assert report.exit_code == 0 and "与发布时一致" in report.output, report.output
    current = [r for r in known if r.current]
    assert len(current) == 1 and current[0].content_hash in allowed
    return current[0].content_hash


def assert_clean(target) -> None:
    assert leftovers(target) == []
    assert not [p for p in target.rglob("*") if p.name.endswith((".partial", ".tmp")) or ".tmp-" in p.name]


# (point, the command's extra options, the content expected in current after the kill: "old"/"new",
#  whether the killed run leaves something the next one removes)
PUBLISH_POINTS = [
    ("publish.place:1", (), "old", True),
    ("publish.place:60", (), "old", True),
    ("publish.place:LAST", (), "old", True),
    ("publish.renamed", (), "old", True),         # a complete folder with no record: not a release
    ("publish.marked", (), "old", False),         # a complete release, listed, not switched to
    ("switch.link", (), "old", True),             # the temporary link
    ("prune.delisted", ("--keep", "1"), "new", True),    # the old release delisted, not yet deleted
]


@pytest.mark.parametrize("point,options,expected,leaves", PUBLISH_POINTS, ids=[p[0] for p in PUBLISH_POINTS])
def test_a_publish_killed_at_each_step_leaves_a_complete_release_served(built, tmp_path, point, options, expected,
                                                                        leaves):
    old, new = built["outs"][0], built["outs"][1]
    public = built["public"]
    target = tmp_path / "www"
    publish(old, target)
    if point.endswith("LAST"):
        point = point.replace("LAST", str(len(site_files(new))))
    killed = command("publish", new, target, *options, fault=point)
    assert killed.returncode == -signal.SIGKILL, (killed.stdout, killed.stderr)
    hashes = {"old": content_hash(old), "new": content_hash(new)}
    assert assert_whole(target, public, {hashes[expected]}) == hashes[expected]
    assert bool(leftovers(target)) == leaves
    again = command("publish", new, target, *options)
    assert again.returncode == 0, again.stderr
    assert ("被中断" in again.stderr) == leaves, again.stderr
    assert assert_whole(target, public, {hashes["new"]}) == hashes["new"]
    assert_clean(target)


ROLLBACK_POINTS = [
    ("rollback.switch", "new", False),            # the release rolled back to already holds the assets
    ("switch.link", "new", True),
    ("rollback.switched", "old", False),          # switched; the generation before not yet dropped
]


@pytest.mark.parametrize("point,expected,leaves", ROLLBACK_POINTS, ids=[p[0] for p in ROLLBACK_POINTS])
def test_a_rollback_killed_at_each_step_leaves_a_complete_release_served(built, tmp_path, point, expected, leaves):
    outs, public = built["outs"], built["public"]
    target = tmp_path / "www"
    for out in outs:                          # three releases: the one rolled back to kept the first's assets
        publish(out, target)
    hashes = {"old": content_hash(outs[1]), "new": content_hash(outs[2])}
    killed = command("rollback", target, fault=point)
    assert killed.returncode == -signal.SIGKILL, (killed.stdout, killed.stderr)
    assert assert_whole(target, public, {hashes[expected]}) == hashes[expected]
    assert bool(leftovers(target)) == leaves
    if expected == "new":
        again = command("rollback", target)
        assert again.returncode == 0, again.stderr
        assert ("被中断" in again.stderr) == leaves, again.stderr
    again = command("publish", outs[2], target)
    assert again.returncode == 0, again.stderr
    assert assert_whole(target, public, {hashes["new"]}) == hashes["new"]
    assert_clean(target)


@pytest.mark.parametrize("second", ["the same output", "another output", "a rollback"])
def test_two_commands_at_once_one_goes_live_complete_the_other_is_refused(built, tmp_path, second):
    """The first publish is stopped inside the lock, half copied; the second, started then, is
    refused at once naming it, and nothing it would have made appears; the first, let go,
    completes. (Before the lock, both used the same ``.<id>.partial`` and one put a release
    missing 571 of 1,381 files live.)"""
    outs, public = built["outs"], built["public"]
    target = tmp_path / "www"
    publish(outs[0], target)
    first = command("publish", outs[1], target, fault="publish.place:5=STOP",
                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        _, status = os.waitpid(first.pid, os.WUNTRACED)
        assert os.WIFSTOPPED(status)
        args = {"the same output": ("publish", outs[1], target), "another output": ("publish", outs[2], target),
                "a rollback": ("rollback", target)}[second]
        refused = command(*args)
        assert refused.returncode == 1 and "Traceback" not in refused.stderr, refused.stderr
        if second == "the same output":     # (the output's own lock, taken first: no build changes it meanwhile)
            assert "输出文件夹正被另一个 site-builder 命令使用" in refused.stderr, refused.stderr
            assert f"进程号 {first.pid}，" in refused.stderr and f"开始发布 {outs[1]}）" in refused.stderr, refused.stderr
        else:
            assert f"正由另一个 site-builder 进程使用（进程号 {first.pid}，" in refused.stderr, refused.stderr
            assert f"开始发布 {outs[1]}）" in refused.stderr
        # meanwhile: the half-made release is not listed, and what is served verifies
        assert [r.content_hash for r in releases(target)] == [content_hash(outs[0])]
        assert [p.name.endswith(".partial") for p in leftovers(target)] == [True]
        assert verify(target, public).ok
    finally:
        os.kill(first.pid, signal.SIGCONT)
    out, err = first.communicate(timeout=120)
    assert first.returncode == 0, err.decode()
    assert [r.content_hash for r in releases(target)] == [content_hash(outs[0]), content_hash(outs[1])]
    assert assert_whole(target, public, {content_hash(outs[1])}) == content_hash(outs[1])
    assert_clean(target)


@pytest.mark.parametrize("point", ["publish.place:60", "publish.renamed", "publish.marked", "switch.link"])
def test_a_full_disk_at_a_step_of_publish_leaves_the_served_release_and_nothing_else(built, tmp_path, point):
    """The same steps failing with ENOSPC instead: a clear message, exit 1, the release served
    before still served, and nothing of the new one left behind (no leftovers to clean)."""
    old, new = built["outs"][0], built["outs"][1]
    target = tmp_path / "www"
    publish(old, target)
    failed = command("publish", new, target, fault=f"{point}=ENOSPC")
    assert failed.returncode == 1 and "Traceback" not in failed.stderr, failed.stderr
    assert "磁盘空间不足" in failed.stderr and "当前发布的版本没有改动" in failed.stderr, failed.stderr
    assert assert_whole(target, built["public"], {content_hash(old)}) == content_hash(old)
    assert len(releases(target)) == 1
    assert_clean(target)
