"""Incremental builds: after any change, the output is byte-identical to a clean build's.

Each test builds a copy of the example portal, changes it, builds again with the cache, and
compares every file with a build from scratch. Content files get modification times in the
past, as files edited earlier in the day have, so the cache's fast path (trust a department
whose files are as recorded) is what is tested, not its caution about files saved within the
last two seconds.
"""

from __future__ import annotations

import gc
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import EXAMPLE
from site_builder.build import build
from site_builder.errors import SiteBuilderError
from site_builder.cache import Entry, StaleCache, cache_path, scan
from site_builder.records import Shown

HOUR_AGO = time.time() - 3600


def tree_bytes(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def age(root: Path, when: float = HOUR_AGO) -> None:
    """Give every file under ``root`` a modification time in the past."""
    for path in [root, *root.rglob("*")]:
        os.utime(path, (when, when), follow_symlinks=False)


def aged_example(tmp_path: Path) -> Path:
    """A copy of the example portal in ``tmp_path``, its files saved an hour ago: not racy, so a
    build trusts what it records of them (test_fsmonitor and test_model_cache use it too)."""
    root = tmp_path / "content"
    shutil.copytree(EXAMPLE, root)
    age(root)
    return root


@pytest.fixture
def portal(tmp_path) -> Path:
    return aged_example(tmp_path)


def edit(path: Path, old: str, new: str, when: float = HOUR_AGO + 60) -> None:
    """Change a file; its new modification time is in the past too (not "just saved")."""
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    os.utime(path, (when, when))


def mtimes(root: Path) -> dict[str, int]:
    return {p.relative_to(root).as_posix(): p.stat().st_mtime_ns for p in root.rglob("*") if p.is_file()}


def assert_same_as_clean(content: Path, out: Path, tmp_path: Path, **options) -> None:
    clean = tmp_path / "clean"
    shutil.rmtree(clean, ignore_errors=True)
    build(content, clean, search=False, jobs=1, **options)
    got, want = tree_bytes(out), tree_bytes(clean)
    assert sorted(got) == sorted(want)
    assert [path for path in want if got[path] != want[path]] == []


F = "departments/fenyang-ybj/2024/final-accounts"


def forbid_reading_department_folders(portal: Path, monkeypatch) -> None:
    """Fail the test if a build lists any folder inside a department (the list of departments is fine)."""
    scandir, inside = os.scandir, str(portal / "departments") + os.sep

    def guarded(path="."):
        if str(path).startswith(inside):
            pytest.fail(f"read {path}")
        return scandir(path)
    monkeypatch.setattr(os, "scandir", guarded)


def test_a_build_with_no_change_loads_nothing_and_writes_nothing(portal, tmp_path, monkeypatch):
    out = tmp_path / "out"
    first = build(portal, out, search=False, jobs=2)
    assert first.rendered == 3 and first.written == first.files
    before = mtimes(out)
    # nor does it decode the departments' briefs or summaries in the cache: the counts, the years
    # and what the portal's pages show come from the facts the last build kept
    monkeypatch.setattr(Entry, "_decode", staticmethod(lambda *args: pytest.fail("a brief or summary was decoded")))
    # and reads no folder of a department: its files are stat-ed through the listing the cache kept
    forbid_reading_department_folders(portal, monkeypatch)
    again = build(portal, out, search=False, jobs=2)
    assert (again.rendered, again.written, again.removed) == (0, 0, 0)
    assert again.documents == 3 and again.files == first.files and again.pages == first.pages
    assert mtimes(out) == before


RENDERING_MODULES = ("jinja2", "markdown", "site_builder.render", "site_builder.workbook")


def modules_a_build_imports(content: Path, out: Path) -> set[str]:
    """The rendering modules that ``site-builder build`` imports, in a process of its own (one job:
    the departments are built in that process too)."""
    code = ("import sys\nfrom site_builder.cli import main\n"
            "try:\n    main(['build', '--no-search', '-q', '--jobs', '1', sys.argv[1], '--out', sys.argv[2]])\n"
            "except SystemExit as exc:\n    assert not exc.code, exc.code\n"
            f"print(' '.join(m for m in {RENDERING_MODULES!r} if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code, str(content), str(out)], capture_output=True, text=True,
                          check=True, timeout=120)
    return set(done.stdout.split())


def test_a_build_with_no_change_does_not_import_the_renderer(portal, tmp_path):
    # Jinja, Markdown and the workbook writer are imported where a page is made: a build that
    # makes none does without them (≈ 40 ms of a one-second build with no change at 10,000)
    out = tmp_path / "out"
    assert modules_a_build_imports(portal, out) == set(RENDERING_MODULES)     # the first build renders
    assert modules_a_build_imports(portal, out) == set()
    edit(portal / F / "tables/03.csv", "612.10", "612.11")
    assert modules_a_build_imports(portal, out) == set(RENDERING_MODULES)


def test_an_edited_cell_rebuilds_its_department_and_writes_only_what_changed(portal, tmp_path):
    out = tmp_path / "out"
    build(portal, out, search=False, allow_errors=True)
    before = mtimes(out)
    edit(portal / F / "tables/03.csv", "612.10", "612.11")
    result = build(portal, out, search=False, allow_errors=True)
    assert result.rendered == 1                       # fenyang only
    changed = {path for path, mtime in mtimes(out).items() if before.get(path) != mtime}
    # the page and the data of that disclosure; not the other disclosures, not the assets
    assert {"fenyang-ybj/2024/final-accounts/index.html", "fenyang-ybj/2024/final-accounts/data.json"} <= changed
    assert not any(path.startswith(("lvliang-ybj/", "gaoyi-ybj/", "assets/")) for path in changed)
    assert "612.11" in (out / "fenyang-ybj/2024/final-accounts/index.html").read_text(encoding="utf-8")
    assert_same_as_clean(portal, out, tmp_path, allow_errors=True)


def test_an_edit_the_portal_pages_do_not_show_decodes_briefs_and_no_summary(portal, tmp_path, monkeypatch):
    """The portal's facts (counts, years, what its pages show) come from each department's brief;
    the summaries in the cache are decoded only when a portal page that shows them is made."""
    out = tmp_path / "out"
    build(portal, out, search=False, allow_errors=True)
    decoded: list[str] = []

    def noting(what: str, encoded: str, getter):
        def get(entry: Entry):
            if isinstance(getattr(entry, encoded), bytes):    # (still as read from the cache)
                decoded.append(f"{what} {entry.folders[0]}")
            return getter(entry)
        return get
    monkeypatch.setattr(Entry, "summary", property(noting("summary", "_body", Entry.summary.fget)))
    monkeypatch.setattr(Entry, "brief", property(noting("brief", "_brief", Entry.brief.fget)))
    edit(portal / F / "overview.md", "成立于2019年3月", "成立于2019年3月16日")     # prose: no list or figure shows it
    result = build(portal, out, search=False, allow_errors=True, jobs=1)
    assert result.rendered == 1 and result.written
    # the others' briefs; the edited department's summaries only, old and new (the files it made
    # before and makes now)
    assert sorted(decoded) == ["brief gaoyi-ybj", "brief lvliang-ybj", "summary fenyang-ybj", "summary fenyang-ybj"]
    assert "成立于2019年3月16日" in (out / "fenyang-ybj/2024/final-accounts/index.html").read_text(encoding="utf-8")
    assert_same_as_clean(portal, out, tmp_path, allow_errors=True)


def test_an_edited_headline_figure_reaches_the_catalog_and_department_pages(portal, tmp_path):
    out = tmp_path / "out"
    build(portal, out, search=False, allow_errors=True)
    edit(portal / F / "tables/01.csv", "本年收入合计,27,2262.43", "本年收入合计,27,2262.44")
    build(portal, out, search=False, allow_errors=True)
    entry = json.loads((out / "catalog.json").read_text(encoding="utf-8"))["documents"][0]
    assert entry["slug"] == "fenyang-ybj" and entry["headline"][0] == {"label": "本年收入合计", "amount": "2,262.44", "unit": "万元"}
    assert "2,262.44" in (out / "fenyang-ybj/index.html").read_text(encoding="utf-8")
    assert_same_as_clean(portal, out, tmp_path, allow_errors=True)


def test_an_edited_prose_file(portal, tmp_path):
    out = tmp_path / "out"
    build(portal, out, search=False)
    edit(portal / "departments/gaoyi-ybj/2021/performance/report.md", "医疗保障", "医疗保障（修订）")
    assert build(portal, out, search=False).rendered == 1
    assert "医疗保障（修订）" in (out / "gaoyi-ybj/2021/performance/index.html").read_text(encoding="utf-8")
    assert_same_as_clean(portal, out, tmp_path)


def test_a_template_change_rebuilds_every_page_that_uses_it(portal, tmp_path):
    out = tmp_path / "out"
    build(portal, out, search=False)
    (portal / "templates").mkdir(exist_ok=True)
    (portal / "templates/document.html").write_text(
        '{% extends "default/document.html" %}{% block main %}<p class="local">本地模板</p>{{ super() }}{% endblock %}\n',
        encoding="utf-8")
    result = build(portal, out, search=False)
    assert result.rendered == 3
    assert 'class="local"' in (out / "lvliang-ybj/2023/budget/index.html").read_text(encoding="utf-8")
    assert_same_as_clean(portal, out, tmp_path)


def test_a_profile_change(portal, tmp_path):
    out = tmp_path / "out"
    build(portal, out, search=False)
    from site_builder.profiles import BUILTIN_DIR
    (portal / "profiles").mkdir(exist_ok=True)
    profile = (BUILTIN_DIR / "performance-overall.yaml").read_text(encoding="utf-8")
    (portal / "profiles/performance-overall.yaml").write_text(profile.replace("部门整体支出绩效", "部门整体支出绩效（本地）", 1),
                                                              encoding="utf-8")
    assert "（本地）" in (portal / "profiles/performance-overall.yaml").read_text(encoding="utf-8")
    assert build(portal, out, search=False).rendered == 3
    assert_same_as_clean(portal, out, tmp_path)


def test_a_deleted_document_goes_with_its_folder(portal, tmp_path):
    out = tmp_path / "out"
    build(portal, out, search=False)
    shutil.rmtree(portal / "departments/lvliang-ybj/2023/budget")
    result = build(portal, out, search=False)
    assert result.removed >= 2 and result.documents == 2
    assert not (out / "lvliang-ybj/2023").exists()
    assert_same_as_clean(portal, out, tmp_path)


def test_an_added_document(portal, tmp_path):
    out = tmp_path / "out"
    build(portal, out, search=False)
    shutil.copytree(portal / "departments/gaoyi-ybj/2021", portal / "departments/gaoyi-ybj/2022")  # (the checker
    result = build(portal, out, search=False, allow_errors=True)   # then finds 2021 written in a 2022 folder)
    assert result.documents == 4 and (out / "gaoyi-ybj/2022/performance/index.html").is_file()
    assert_same_as_clean(portal, out, tmp_path, allow_errors=True)


def test_a_renamed_department(portal, tmp_path):
    out = tmp_path / "out"
    build(portal, out, search=False)
    os.rename(portal / "departments/gaoyi-ybj", portal / "departments/gaoyi-county-ybj")
    build(portal, out, search=False)
    assert not (out / "gaoyi-ybj").exists() and (out / "gaoyi-county-ybj/2021/performance/index.html").is_file()
    assert_same_as_clean(portal, out, tmp_path)


def test_an_output_page_deleted_or_replaced_by_hand_is_written_again(portal, tmp_path):
    out = tmp_path / "out"
    build(portal, out, search=False)
    (out / "gaoyi-ybj/index.html").unlink()
    replaced = out / "fenyang-ybj/2024/final-accounts/tables/03.csv"
    replaced.with_name("new.csv").write_text("tampered", encoding="utf-8")
    os.replace(replaced.with_name("new.csv"), replaced)            # as editors and copy tools save
    (out / "lvliang-ybj/2023/budget/stray.html").write_text("?", encoding="utf-8")
    build(portal, out, search=False)
    assert_same_as_clean(portal, out, tmp_path)


def test_a_page_edited_in_place_in_the_output_is_restored_by_clean(portal, tmp_path):
    """Only a file's folder is checked on a no-change build (one stat instead of ten); an edit
    in place keeps the folder's time, so --clean (or issue 10's manifest check) is what finds it."""
    out = tmp_path / "out"
    build(portal, out, search=False)
    page = out / "fenyang-ybj/2024/final-accounts/index.html"
    with page.open("r+", encoding="utf-8") as f:
        f.write("tampered")
    build(portal, out, search=False, clean=True)
    assert_same_as_clean(portal, out, tmp_path)


def test_the_cache_writes_back_the_lines_of_unchanged_departments_as_read(portal, tmp_path):
    out = tmp_path / "out"
    build(portal, out, search=False, allow_errors=True)

    def lines() -> dict[str, bytes]:      # header, the portal's line, then a line per department
        return {Entry.from_line(line)[0]: line for line in cache_path(out).read_bytes().split(b"\n")[2:]}

    before = lines()
    edit(portal / F / "tables/01.csv", "本年收入合计,27,2262.43", "本年收入合计,27,2262.44")
    assert build(portal, out, search=False, allow_errors=True).rendered == 1
    after = lines()
    assert sorted(after) == sorted(before) == ["fenyang-ybj", "gaoyi-ybj", "lvliang-ybj"]
    assert [slug for slug in after if after[slug] != before[slug]] == ["fenyang-ybj"]
    assert "2262.44" in after["fenyang-ybj"].decode("utf-8") and "2262.44" not in before["fenyang-ybj"].decode("utf-8")
    for slug, line in after.items():      # a kept line is what encoding its entry again gives
        entry = Entry.from_line(line)[1]
        assert entry.summary.slug == slug
        assert line == entry.line(slug)
    assert build(portal, out, search=False, allow_errors=True).rendered == 0


def test_the_collector_is_left_as_found(portal, tmp_path):
    """build freezes the cache's objects for the collector while it runs (the preview server
    builds again and again in one process: nothing may stay frozen after)."""
    frozen = gc.get_freeze_count()
    out = tmp_path / "out"
    build(portal, out, search=False, allow_errors=True)
    build(portal, out, search=False, allow_errors=True)
    assert gc.get_freeze_count() == frozen
    edit(portal / F / "tables/01.csv", "本年收入合计,27,2262.43", "本年收入合计,27,本年")
    with pytest.raises(SiteBuilderError):
        build(portal, out, search=False)
    assert gc.get_freeze_count() == frozen


@pytest.mark.parametrize("damage", ["garbage", "truncated", "flipped", "other-folder"])
def test_a_damaged_cache_is_ignored_and_the_build_is_a_full_one(portal, tmp_path, damage):
    out = tmp_path / "out"
    build(portal, out, search=False)
    path = cache_path(out)
    data = path.read_bytes()
    if damage == "garbage":
        path.write_bytes(b"\x00not a cache")
    elif damage == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif damage == "flipped":     # valid JSON still, one figure changed: the checksum tells
        path.write_bytes(data.replace(b"2262.43", b"9262.43", 1))
        assert path.read_bytes() != data
    else:
        head, _, payload = data.partition(b"\n")
        header = json.loads(head)
        header["content"] = "/somewhere/else"
        path.write_bytes(json.dumps(header).encode() + b"\n" + payload)
    edit(portal / F / "tables/01.csv", "2262.43", "2262.44")
    result = build(portal, out, search=False, allow_errors=True)
    assert result.rendered == 3 and result.note
    assert_same_as_clean(portal, out, tmp_path, allow_errors=True)
    assert build(portal, out, search=False, allow_errors=True).rendered == 0     # and the cache is sound again


def test_a_summary_in_the_cache_that_cannot_be_decoded_stops_the_build_with_advice():
    """A line's brief and summary are decoded when first used, after the checksum passed: only a
    line written by another build of the tool can fail then, and that must stop the build, not
    make a page from half a summary."""
    head = b'["a",{"signature":"s","racy":false,"outputs":"o","folders":["a"],"errors":[]}]'
    brief = b'{"name":"A","code":null,"shown":{"lists":"l","catalog":"c","years":{}},"files":3,"pages":2,"documents":[]}'
    summary = b'{"slug":"a","name":"A","code":null,"supervisor":null,"region":null,"downloads":[],"documents":[]}'
    slug, entry = Entry.from_line(head + b"\t[]\t" + brief + b"\t" + summary)
    assert (slug, entry.folders, entry.summary.slug, entry.brief.shown) == ("a", ["a"], "a", Shown("l", "c", {}))
    for body in (b'{"slug":"a"}', b'[{"slug":"a"}]', b"[{", b"null"):
        with pytest.raises(StaleCache, match="--clean"):
            _ = Entry.from_line(head + b"\t[]\t" + brief + b"\t" + body)[1].summary
    for bad in (b'{"shown":["lists"],"documents":[]}', b'{"shown":["a","b",{}]}', b"[]", b"{",
                brief.replace(b'"lists":"l"', b'"lists":1'), brief.replace(b'"documents":[]', b'"documents":[[1]]')):
        with pytest.raises(StaleCache, match="--clean"):
            _ = Entry.from_line(head + b"\t[]\t" + bad + b"\t" + summary)[1].brief
    for line in (head, head + b"\t[]", head + b"\t[]\t" + brief, head + b"\t[]\t" + brief + b"\t{}\t{}"):
        with pytest.raises(ValueError):
            Entry.from_line(line)              # a segment missing or one too many: the load ignores the cache


def test_a_folder_whose_time_changed_with_no_file_changed_is_listed_again_once(portal, tmp_path, monkeypatch):
    """An editor's swap file, come and gone, changes its folder's time and nothing else: the
    department is not rendered again, and the next build keeps the new listing, so the build
    after that stats the folder's files without reading it."""
    out = tmp_path / "out"
    build(portal, out, search=False)
    tables = portal / F / "tables"
    (tables / ".03.csv.swp").write_text("swap", encoding="utf-8")
    (tables / ".03.csv.swp").unlink()
    os.utime(tables, (HOUR_AGO + 120, HOUR_AGO + 120))   # (a folder time of just now is not trusted)
    before = cache_path(out).read_bytes()
    result = build(portal, out, search=False)
    assert (result.rendered, result.written) == (0, 0)
    assert cache_path(out).read_bytes() != before                   # the new listing kept
    forbid_reading_department_folders(portal, monkeypatch)
    assert build(portal, out, search=False).rendered == 0
    monkeypatch.undo()
    assert_same_as_clean(portal, out, tmp_path)


def test_a_scan_through_the_known_listing_gives_the_same_digest_and_sees_every_change(portal):
    folder = portal / "departments/fenyang-ybj"
    full = scan(folder, portal, time.time_ns())
    assert full[2] is not None and not full[1]           # a listing; files an hour old: not racy
    assert [below for below, _, _ in full[2]][0] == "" and "/2024/final-accounts/tables" in [b for b, _, _ in full[2]]
    assert scan(folder, portal, time.time_ns(), known=full[2]) == full

    def after(change) -> tuple:
        change()
        return scan(folder, portal, time.time_ns(), known=full[2])

    tables = folder / "2024/final-accounts/tables"
    edit(tables / "03.csv", "612.10", "612.11")                         # in place: the file's time
    assert after(lambda: None)[0] != full[0]
    edit(tables / "03.csv", "612.11", "612.10", when=HOUR_AGO)
    assert after(lambda: None) == full                                   # as it was: size and time
    for change in (lambda: (tables / "extra.csv").write_text("a,b\n", encoding="utf-8"),     # added
                   lambda: (tables / "extra.csv").unlink(),                                     # removed
                   lambda: os.rename(tables / "01.csv", tables / "01-old.csv"),                 # renamed
                   lambda: (folder / "2025").mkdir()):                                         # a folder added
        changed = after(change)
        assert changed[0] == scan(folder, portal, time.time_ns())[0]     # what a full scan finds
        assert changed[1]                                                # and just changed: racy
    assert after(lambda: None)[0] != full[0]
    (folder / "link").symlink_to(folder / "department.yaml")
    assert scan(folder, portal, time.time_ns())[2] is None                # no listing past a symlink


def test_clean_ignores_the_cache(portal, tmp_path):
    out = tmp_path / "out"
    build(portal, out, search=False)
    assert build(portal, out, search=False, clean=True).rendered == 3


def test_a_file_saved_just_now_is_checked_again_next_time(portal, tmp_path):
    """Within two seconds of a build, a second save could keep the file's size and time."""
    out = tmp_path / "out"
    build(portal, out, search=False)
    csv = portal / F / "tables/03.csv"
    edit(csv, "612.10", "612.11", when=time.time())
    assert build(portal, out, search=False, allow_errors=True).rendered == 1
    stat = csv.stat()
    csv.write_text(csv.read_text(encoding="utf-8").replace("612.11", "612.12"), encoding="utf-8")
    os.utime(csv, ns=(stat.st_atime_ns, stat.st_mtime_ns))          # same size, same time
    build(portal, out, search=False, allow_errors=True)
    assert "612.12" in (out / "fenyang-ybj/2024/final-accounts/index.html").read_text(encoding="utf-8")


def test_parallel_and_serial_builds_are_identical(tmp_path):
    build(EXAMPLE, tmp_path / "one", search=False, jobs=1, base_url="https://example.gov.cn/")
    build(EXAMPLE, tmp_path / "two", search=False, jobs=2, base_url="https://example.gov.cn/")
    assert tree_bytes(tmp_path / "one") == tree_bytes(tmp_path / "two")


def test_the_search_index_follows_an_edit(portal, tmp_path):
    out = tmp_path / "out"
    build(portal, out)
    before = tree_bytes(out / "pagefind")
    assert build(portal, out).search is None                     # nothing changed: the index stays
    edit(portal / "departments/gaoyi-ybj/2021/performance/report.md", "医疗保障", "独一无二的修订词")
    result = build(portal, out)
    assert result.search is not None and result.search.pages == 3
    assert tree_bytes(out / "pagefind") != before
    assert not list(tmp_path.glob(".out.pagefind*"))               # the new index was swapped in


def test_workers_are_spawned_from_a_process_with_threads(tmp_path):
    """The preview server has threads: its builds spawn workers instead of forking (same output)."""
    import threading

    stop = threading.Event()
    helper = threading.Thread(target=stop.wait, daemon=True)
    helper.start()
    try:
        build(EXAMPLE, tmp_path / "spawned", search=False, jobs=2)
    finally:
        stop.set()
    build(EXAMPLE, tmp_path / "serial", search=False, jobs=1)
    assert tree_bytes(tmp_path / "spawned") == tree_bytes(tmp_path / "serial")


def test_the_command_says_what_it_did(portal, tmp_path):
    from click.testing import CliRunner

    from site_builder.cli import main

    out = tmp_path / "out"
    first = CliRunner().invoke(main, ["build", str(portal), "--out", str(out), "--no-search", "--jobs", "2"])
    assert first.exit_code == 0 and "已生成 3 份公开文件" in first.output
    again = CliRunner().invoke(main, ["build", str(portal), "--out", str(out), "--no-search"])
    assert again.exit_code == 0 and "内容没有变化，未写入任何文件" in again.output
    edit(portal / "departments/gaoyi-ybj/2021/performance/report.md", "医疗保障", "医疗保障（修订）")
    changed = CliRunner().invoke(main, ["build", str(portal), "--out", str(out), "--no-search"])
    assert "本次重新生成 1 个部门，写入 3 个文件" in changed.output, changed.output   # the page, data.json (its prose), the manifest
    cache_path(out).write_text("garbage", encoding="utf-8")
    damaged = CliRunner().invoke(main, ["build", str(portal), "--out", str(out), "--no-search"])
    assert damaged.exit_code == 0 and "构建缓存已损坏" in damaged.output
    assert "内容没有变化，未写入任何文件" in damaged.output     # every department rendered again, to the same bytes
    clean = CliRunner().invoke(main, ["build", str(portal), "--out", str(out), "--no-search", "--clean"])
    assert clean.exit_code == 0 and "内容没有变化" in clean.output


def test_errors_kept_by_an_allow_errors_build_still_stop_a_normal_one(portal, tmp_path):
    from site_builder.build import CheckFailed

    out = tmp_path / "out"
    edit(portal / F / "tables/03.csv", "612.10", "712.10")          # 基本支出 no longer adds up
    build(portal, out, search=False, allow_errors=True)
    before = tree_bytes(out)
    with pytest.raises(CheckFailed) as failed:
        build(portal, out, search=False)                                # the department is unchanged: cached
    assert "03.csv" in str(failed.value.format_message())
    assert tree_bytes(out) == before


def test_a_headline_change_renders_only_its_year_pages_again(portal, tmp_path, monkeypatch):
    from site_builder.render import Renderer

    out = tmp_path / "out"
    build(portal, out, search=False, allow_errors=True)
    rendered: list[int] = []
    original = Renderer.year
    monkeypatch.setattr(Renderer, "year", lambda self, year, sort=None: rendered.append(year) or original(self, year, sort))
    edit(portal / F / "tables/01.csv", "本年收入合计,27,2262.43", "本年收入合计,27,2262.44")   # a headline figure of 2024
    build(portal, out, search=False, allow_errors=True)
    assert set(rendered) == {2024} and len(rendered) == 6          # the 2024 page and its five sorted copies
    rendered.clear()
    build(portal, out, search=False, allow_errors=True)
    assert rendered == []
    assert_same_as_clean(portal, out, tmp_path, allow_errors=True)
