"""`site-builder serve` in a real browser: a save reloads the page with the new value; a broken
save shows an overlay over the last good page; Ctrl-C stops everything and removes temp files.

The server runs as a subprocess (as a clerk runs it) on a free port under /portal/; every wait
polls for the expected state instead of sleeping.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import tempfile
import sys
import threading
import time
from pathlib import Path

import pytest

FENYANG = "departments/fenyang-ybj/2024/final-accounts"
ROW = "2101506,医疗保障经办事务,{0},,{0}"
# the 小计 cell of 2101506 医疗保障经办事务 in 公开05表, read in the page
CELL = ("[...document.querySelectorAll('table[data-table=\"05\"] tbody tr')]"
        ".find(tr => tr.cells[0].textContent.trim() === '2101506')"
        ".querySelector('[data-key=\"total\"]').textContent.trim()")


class Server:
    def __init__(self, content: Path, *args: str, startup_timeout: float = 60, started=None,
                 env: dict[str, str] | None = None, cwd: Path | None = None):
        self.process = subprocess.Popen(       # (cwd: benchmarks/serve.py runs another checkout's code)
            [sys.executable, "-m", "site_builder.cli", "serve", str(content), "--port", "0", *args],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, encoding="utf-8", cwd=cwd,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})})
        if started:              # (benchmarks/serve.py: starts sampling the server's memory)
            started(self.process)
        self.lines: list[str] = []
        deadline = time.monotonic() + startup_timeout
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                break
            self.lines.append(line)
            if "预览文件在临时文件夹" in line:
                self.url = re.search(r"预览地址：(\S+)", "".join(self.lines)).group(1)
                self.folder = Path(re.search(r"临时文件夹 (\S+)，", line).group(1))
                threading.Thread(target=self._read, daemon=True).start()
                return
        self.process.kill()
        raise AssertionError("serve did not start:\n" + "".join(self.lines))

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line)

    def wait_for_line(self, text: str, timeout: float = 10) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = next((line for line in self.lines if text in line), None)
            if found:
                return found
            time.sleep(0.05)
        raise AssertionError(f"{text!r} not printed:\n" + "".join(self.lines))

    def stop(self, timeout: float = 15) -> int:
        self.process.send_signal(signal.SIGINT)      # Ctrl-C
        try:
            return self.process.wait(timeout=timeout)
        finally:
            if self.process.poll() is None:
                self.process.kill()


@pytest.fixture
def server(content_copy):
    server = Server(content_copy, "--base-path", "/portal/", "--no-search")
    yield server
    if server.process.poll() is None:
        server.stop()


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


# A save refreshes the open page in place (the client marks each time: site-builder:swapped) or
# reloads it (the window's variables go): either way, refreshed since before_save.
SWAPS = "performance.getEntriesByName('site-builder:swapped').length"
REFRESHED = f"(!window.__beforeSave || {SWAPS} >= window.__beforeSave)"


def before_save(page) -> None:
    page.evaluate(f"window.__beforeSave = {SWAPS} + 1")


def wait_for_reload(page, check: str, timeout: float = 10000) -> None:
    """The page refreshed by itself (in place, or reloaded) since before_save and ``check`` holds."""
    page.wait_for_function(f"{REFRESHED} && ({check})", timeout=timeout)
    before_save(page)


def test_save_reloads_overlay_on_error_and_ctrl_c_cleans_up(browser, content_copy, server):
    csv = content_copy / FENYANG / "tables/05.csv"
    page = browser.new_page()
    page.goto(f"{server.url}fenyang-ybj/2024/final-accounts/index.html")
    assert "/portal/" in page.url
    assert page.evaluate(CELL) == "69.62"
    page.wait_for_function("window.LiveReload !== undefined")   # the client is connected
    before_save(page)

    edit(csv, ROW.format("69.62"), ROW.format("69.63"))
    wait_for_reload(page, f"{CELL} === '69.63'")

    # a second save one second after the first reloads too (livereload's own 3 s throttle is off)
    time.sleep(1)
    edit(csv, ROW.format("69.63"), ROW.format("69.61"))     # (within the rounding of its parents' sums)
    wait_for_reload(page, f"{CELL} === '69.61'")

    # a broken cell: overlay with file, line and message; the last good page stays underneath
    edit(csv, ROW.format("69.61"), ROW.format("六九"))
    wait_for_reload(page, "document.getElementById('site-builder-overlay') !== null")
    overlay = page.locator("#site-builder-overlay").inner_text()
    assert "tables/05.csv:20:3" in overlay and "不是金额" in overlay
    assert page.evaluate(CELL) == "69.61"
    assert "不是金额" in server.wait_for_line("tables/05.csv:20:3")     # the same message in the terminal

    edit(csv, ROW.format("六九"), ROW.format("69.63"))
    wait_for_reload(page, f"!document.getElementById('site-builder-overlay') && {CELL} === '69.63'")

    # a checker error (a row that no longer adds up) is an overlay too
    edit(csv, ROW.format("69.63"), "2101506,医疗保障经办事务,69.63,,96.63")
    wait_for_reload(page, "document.getElementById('site-builder-overlay') !== null")
    assert "sum.row-parts" in page.locator("#site-builder-overlay").inner_text()
    edit(csv, "2101506,医疗保障经办事务,69.63,,96.63", ROW.format("69.62"))
    wait_for_reload(page, "!document.getElementById('site-builder-overlay')")

    # prose: the department's overview
    overview = content_copy / FENYANG / "overview.md"
    overview.write_text(overview.read_text(encoding="utf-8") + "\n\n预览测试新增的一句话。\n", encoding="utf-8")
    wait_for_reload(page, "document.body.innerText.includes('预览测试新增的一句话')")

    # a template: the portal overrides the document page
    (content_copy / "templates").mkdir(exist_ok=True)
    (content_copy / "templates/document.html").write_text(
        '{% extends "default/document.html" %}{% block title %}模板已修改 {{ super() }}{% endblock %}', encoding="utf-8")
    wait_for_reload(page, "document.title.startsWith('模板已修改')")
    (content_copy / "templates/document.html").write_text("{% extends %}", encoding="utf-8")
    wait_for_reload(page, "document.getElementById('site-builder-overlay') !== null")
    assert "document.html" in page.locator("#site-builder-overlay").inner_text()
    (content_copy / "templates/document.html").unlink()
    wait_for_reload(page, "!document.getElementById('site-builder-overlay') && !document.title.startsWith('模板已修改')")

    # search is off in this preview (--no-search): the search page says so
    page.goto(f"{server.url}search/index.html?q=三公")
    page.wait_for_selector("#site-builder-search-note")
    assert "预览时未启用搜索" in page.locator("#site-builder-search-note").inner_text()
    page.close()

    assert server.folder.is_dir()
    assert server.stop() == 0
    assert not server.folder.exists()                          # temporary files removed


MAIN = "document.querySelector('main').outerHTML"


def test_a_save_inside_main_is_swapped_in_place_and_one_outside_reloads(browser, content_copy, server):
    """A save that changes only the page's <main> is patched into the open page: no reload, the
    clerk stays where they were scrolled to, and the page is what a fresh load shows. One that
    changes the rest (the disclosure's title: the page's metadata) reloads it."""
    url = f"{server.url}fenyang-ybj/2024/final-accounts/index.html"
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(url)
    page.wait_for_function("window.LiveReload !== undefined")
    page.locator("table[data-table='05']").scroll_into_view_if_needed()
    scrolled = page.evaluate("window.scrollY")
    assert scrolled > 1000
    page.evaluate("window.__kept = 'this page'")             # gone if the page is reloaded
    before_save(page)

    edit(content_copy / FENYANG / "tables/05.csv", ROW.format("69.62"), ROW.format("69.63"))
    wait_for_reload(page, f"{CELL} === '69.63'")
    assert page.evaluate("window.__kept") == "this page" and page.evaluate(SWAPS) == 1
    assert page.evaluate("window.scrollY") == scrolled
    fresh = browser.new_page()
    fresh.goto(url)
    assert page.evaluate(MAIN) == fresh.evaluate(MAIN)     # node for node what the new page holds
    fresh.close()

    edit(content_copy / FENYANG / "document.yaml", "title: 汾阳市医疗保障局2024年度部门决算公开",
         "title: 汾阳市医疗保障局2024年度部门决算公开（更正）")
    wait_for_reload(page, "document.body.innerText.includes('（更正）')")
    assert page.evaluate("window.__kept") is None            # reloaded whole
    page.close()


def test_a_page_is_swapped_in_place_only_when_its_frame_is_the_same(example_out):
    """page_frame: the digest of all but <main>; none for a page whose script writes into <main>."""
    from site_builder.serve import page_frame

    page = (example_out / "fenyang-ybj/2024/final-accounts/index.html").read_bytes()
    frame = page_frame(page)
    assert frame and page_frame(page.replace(b"69.62", b"69.63")) == frame
    assert page_frame(page.replace(b"<title>", b"<title>X")) not in (None, frame)
    assert page_frame(page.replace(b"</main>", b"")) is None
    assert page_frame(page.replace(b"</head>", b"<script>document.body.remove()</script></head>")) is None
    assert page_frame((example_out / "search/index.html").read_bytes()) is None     # search.js fills <main>


def test_binding_elsewhere_warns_and_bad_content_does_not_kill_the_server(content_copy, browser):
    (content_copy / FENYANG / "document.yaml").write_text("title: [", encoding="utf-8")
    server = Server(content_copy, "--host", "0.0.0.0", "--no-search")
    try:
        assert any("警告" in line and "0.0.0.0" in line for line in server.lines)
        assert any("document.yaml" in line and "YAML" in line for line in server.lines)
        page = browser.new_page()
        page.goto(server.url.replace("0.0.0.0", "127.0.0.1"))
        assert server.process.poll() is None                   # still serving
        page.close()
    finally:
        assert server.stop() == 0


def test_preview_rebuilds_only_what_a_save_touches(content_copy, tmp_path):
    """The incremental rules of Preview.apply, without a browser: what each kind of save rewrites."""
    import shutil

    from site_builder.errors import SiteBuilderError
    from site_builder.serve import Preview

    out = tmp_path / "out"
    preview = Preview(content_copy, out, search=False, log=lambda text: None)
    preview.rebuild([])
    assert preview.status.error is None and (out / "fenyang-ybj/2024/final-accounts/index.html").exists()
    home = (out / "index.html").stat().st_mtime_ns

    csv = content_copy / FENYANG / "tables/05.csv"
    edit(csv, ROW.format("69.62"), ROW.format("69.63"))
    assert sorted(preview.apply([csv])) == ["fenyang-ybj/2024/final-accounts/data.json",
                                            "fenyang-ybj/2024/final-accounts/index.html",
                                            "fenyang-ybj/2024/final-accounts/tables.xlsx",
                                            "fenyang-ybj/2024/final-accounts/tables/05.csv",
                                            "fenyang-ybj/2024/final-accounts/tables/05.json"]
    assert (out / "index.html").stat().st_mtime_ns == home            # the home page was not rewritten

    dept_yaml = content_copy / "departments/gaoyi-ybj/department.yaml"
    edit(dept_yaml, "name: 高邑县医疗保障局", "name: 高邑县医疗局")   # the titles now name another department
    with pytest.raises(SiteBuilderError, match="meta.name"):
        preview.apply([dept_yaml])
    edit(dept_yaml, "name: 高邑县医疗局", "name: 高邑县医疗保障局")
    edit(dept_yaml, "region: 河北省石家庄市高邑县", "region: 河北省石家庄市高邑县（测试）")
    written = preview.apply([dept_yaml])
    assert "gaoyi-ybj/index.html" in written and "index.html" in written
    assert "河北省石家庄市高邑县（测试）" in (out / "index.html").read_text(encoding="utf-8")

    gone = content_copy / "departments/lvliang-ybj/2023/budget"
    shutil.rmtree(gone)
    preview.apply([gone / "document.yaml"])
    assert not (out / "lvliang-ybj/2023/budget").exists()
    assert "lvliang-ybj/2023/budget/" not in (out / "index.html").read_text(encoding="utf-8")

    site = content_copy / "site.yaml"
    edit(site, "name: 预决算公开示例门户", "name: 预览测试门户")
    assert preview.apply([site]) == ["*"]                                  # the portal file: a full rebuild
    assert "预览测试门户" in (out / "gaoyi-ybj/2021/performance/index.html").read_text(encoding="utf-8")


def test_preview_takes_a_late_event_of_a_removed_disclosure_as_nothing_to_do(content_copy, tmp_path):
    """watchfiles may report the files of a folder deleted in more than one batch: a save under a
    disclosure folder that is gone, and that the preview no longer holds, changes nothing (it
    was an internal error: the catalog entries of two missing disclosures were compared)."""
    import shutil

    from site_builder.serve import Preview

    out = tmp_path / "out"
    preview = Preview(content_copy, out, search=False, log=lambda text: None)
    preview.rebuild([])
    gone = content_copy / "departments/lvliang-ybj/2023/budget"
    shutil.rmtree(gone)
    preview.rebuild([gone / "document.yaml"])
    assert preview.status.error is None and not (out / "lvliang-ybj/2023/budget").exists()
    preview.rebuild([gone / "tables/01.csv"])                 # the rest of the folder, a batch later
    assert preview.status.error is None and preview.status.changed == []


def test_preview_catalog_follows_a_changed_title(content_copy, tmp_path):
    import json

    from site_builder.serve import Preview

    out = tmp_path / "out"
    preview = Preview(content_copy, out, search=False, log=lambda text: None)
    preview.rebuild([])
    doc = content_copy / FENYANG / "document.yaml"
    edit(doc, "title: 汾阳市医疗保障局2024年度部门决算公开", "title: 汾阳市医疗保障局2024年度部门决算公开（更正）")
    preview.rebuild([doc])
    assert preview.status.error is None
    preview._catalog_timer and preview._catalog_timer.join()
    catalog = json.loads((out / "catalog.json").read_text(encoding="utf-8"))
    titles = {d["url"]: d["title"] for d in catalog["documents"]}
    assert titles["fenyang-ybj/2024/final-accounts/"] == "汾阳市医疗保障局2024年度部门决算公开（更正）"


def test_the_folders_of_killed_previews_are_removed_not_those_of_running_ones(tmp_path):
    from site_builder.layout import cache_path
    from site_builder.serve import PREVIEW_PREFIX, preview_folder, remove_dead_previews

    dead, claim = preview_folder(tmp_path)
    os.close(claim)                                          # its process died: the kernel let go
    alive, held = preview_folder(tmp_path)
    older = Path(tempfile.mkdtemp(prefix=PREVIEW_PREFIX, dir=tmp_path))     # no lock file: not ours to judge
    try:
        assert remove_dead_previews(tmp_path) == [dead.name]
        assert not dead.exists() and not cache_path(dead).parent.exists()
        assert alive.is_dir() and cache_path(alive).parent.is_dir() and older.is_dir()
    finally:
        os.close(held)


def test_a_preview_killed_with_sigkill_is_cleaned_up_by_the_next_one(content_copy, tmp_path):
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    first = Server(content_copy, "--no-search", env={"TMPDIR": str(temporary)})
    first.process.kill()                                     # kill -9: no clean-up of its own
    first.process.wait(timeout=15)
    assert first.folder.is_dir() and first.folder.parent == temporary
    second = Server(content_copy, "--no-search", env={"TMPDIR": str(temporary)})
    try:
        assert any("已删除 1 个被强行结束的预览留下的临时文件夹" in line for line in second.lines), second.lines
        assert not first.folder.exists() and second.folder.is_dir()
    finally:
        second.stop()
    assert [p.name for p in temporary.iterdir()] == []       # and the second, stopped, removed its own
