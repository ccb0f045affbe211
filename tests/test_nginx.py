"""The published portal behind a real nginx, configured as docs/publishing.md says.

Needs Debian's nginx (/usr/sbin/nginx; .ci/run installs nginx-light) and, for the page checks,
Chromium. nginx listens on 127.0.0.1 on a free port, serves TARGET/current under /portal/, and
is stopped by the fixture.
"""

from __future__ import annotations

import contextlib
import gzip
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import lxml.html
import pytest

from conftest import EXAMPLE, FENYANG, REPO
from site_builder.build import build
from site_builder.publish import publish, releases, rollback, site_files

NGINX = "/usr/sbin/nginx"
SAMPLE = re.compile(r"# --- begin nginx sample.*?\n(.*?)# --- end nginx sample ---", re.S)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def nginx_config(target: Path, port: int, work: Path) -> str:
    """docs/publishing.md's sample with this test's folder, address and sub-path."""
    sample = SAMPLE.search((REPO / "docs/publishing.md").read_text(encoding="utf-8")).group(1)
    sample = sample.replace("listen 80;", f"listen 127.0.0.1:{port};").replace("/srv/www/yjsgk", str(target))
    sample = sample.replace("/yjsgk", "/portal").replace("yjsgk_cache", "portal_cache")
    temp = "".join(f"{name}_temp_path {work}/{name};\n    " for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    user = "user root;\n" if os.geteuid() == 0 else ""     # workers must read the test's private tmp folder
    return f"""{user}worker_processes 1;
daemon off;
pid {work}/nginx.pid;
error_log {work}/error.log warn;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
    {temp}
{sample}
}}
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The example portal, built with its search index, and a second version with one changed cell
    and a changed stylesheet; both published to one target, the first being served."""
    if not Path(NGINX).exists():
        if os.environ.get("CI"):
            pytest.fail("nginx tests need Debian's nginx; .ci/run must install it")
        pytest.skip("needs nginx (apt-get install nginx-light)")
    base = tmp_path_factory.mktemp("nginx")
    content = base / "content"
    shutil.copytree(EXAMPLE, content)
    first, second, target = base / "first", base / "second", base / "www"
    build(content, first)
    csv = content / "departments/fenyang-ybj/2024/final-accounts/tables/05.csv"
    csv.write_text(csv.read_text(encoding="utf-8").replace("69.62", "69.63"), encoding="utf-8")
    (content / "templates/assets").mkdir(parents=True)
    (content / "templates/assets/site.css").write_text(
        (REPO / "templates/assets/site.css").read_text(encoding="utf-8") + "\n/* second release */\n", encoding="utf-8")
    publish(first, target, now=1_800_000_000)
    build(content, second, previous_release=target)         # a correction of the published release
    return {"first": first, "second": second, "target": target, "work": base}


@pytest.fixture(scope="module")
def server(site):
    work = site["work"] / "nginx-run"
    work.mkdir()
    port = free_port()
    (work / "nginx.conf").write_text(nginx_config(site["target"], port, work), encoding="utf-8")
    process = subprocess.Popen([NGINX, "-c", str(work / "nginx.conf"), "-p", str(work)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}/portal/"
    deadline = time.monotonic() + 10
    while True:
        try:
            urllib.request.urlopen(base, timeout=1).read()
            break
        except (urllib.error.URLError, ConnectionError):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("nginx did not start: " + process.stderr.read().decode(errors="replace")
                                   + (work / "error.log").read_text(errors="replace")) from None
            time.sleep(0.05)
    try:
        yield base
    finally:
        process.send_signal(signal.SIGQUIT)       # graceful stop
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def get(url: str, **headers) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def test_headers_compression_caching_and_the_404_page(server):
    status, headers, body = get(server + FENYANG + "/", **{"Accept-Encoding": "gzip"})
    assert status == 200 and headers["Content-Encoding"] == "gzip"       # publish's .gz, sent as is
    assert "2262.43" in gzip.decompress(body).decode("utf-8")
    assert "script-src 'self' 'wasm-unsafe-eval'" in headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff" and headers["Referrer-Policy"]
    assert headers["Cache-Control"] == "no-cache"
    css = re.search(r'assets/site\.[0-9a-f]{10}\.css', gzip.decompress(body).decode("utf-8")).group(0)
    status, headers, _ = get(server + css)
    assert status == 200 and "immutable" in headers["Cache-Control"]
    status, headers, body = get(server + "no/such/page.html")
    assert status == 404 and "页面不存在" in body.decode("utf-8")
    assert "Content-Security-Policy" in headers


def test_pages_load_under_the_sub_path_with_no_broken_link_failed_request_or_console_error(server, browser):
    """Home, a document and the search page as a reader's browser gets them from nginx: every
    request succeeds, nothing is blocked by the Content-Security-Policy, every link resolves."""
    page = browser.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"failed: {r.url} {r.failure}"))
    page.on("response", lambda r: problems.append(f"{r.status}: {r.url}") if r.status >= 400 else None)
    links: set[str] = set()
    for path in ["", FENYANG + "/", "search/index.html?q=公务用车"]:
        # (until the network is idle: the favicon is fetched after the load event, and leaving the
        # page while it is on its way aborts it, a failure of the test, not of the site)
        page.goto(server + path, wait_until="networkidle")
        if path.startswith("search"):
            page.wait_for_selector("#search-results a", timeout=15_000)
        links |= set(page.eval_on_selector_all("a[href]", "els => els.map(a => a.href)"))
    page.close()
    assert problems == []
    internal = sorted({link.split("#")[0] for link in links if link.startswith(server)})
    assert len(internal) > 20
    broken = [link for link in internal if get(link)[0] != 200]
    assert broken == []


def test_a_missing_page_is_the_styled_404_with_nothing_blocked(server, browser):
    """nginx sends 404.html for a missing address: its styles load and its one inline script runs
    under the Content-Security-Policy (allowed by its hash), with no console error. (The site is
    built for /yjsgk/ and served at /portal/: the script must run for the styles to load, since
    the page's <base> names the other path; test_output covers the right path at any depth.)"""
    page = browser.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    response = page.goto(server + "no-such-page.html", wait_until="networkidle")
    assert response.status == 404 and page.locator("h1").inner_text() == "页面不存在"
    assert page.evaluate("document.styleSheets.length && document.styleSheets[0].cssRules.length") > 0
    assert page.locator("main a").first.evaluate("a => a.href") == server + "index.html"
    # (the page's own 404 status is reported as a console error by Chromium: not a problem of the page)
    assert [p for p in problems if "404" not in p] == []
    page.close()


@contextlib.contextmanager
def request_loop(server: str, versions: dict[str, set[bytes]], least: int = 2000, most: int = 20_000):
    """Requests from a thread while the block runs (and after it, to ``least`` in all; never more
    than ``most``): each page must be whole, one of ``versions``, and the stylesheet it names
    there. Yields {"errors": [...], "seen": {path: bodies}, "count": n}."""
    state: dict = {"errors": [], "seen": {path: set() for path in versions}, "count": 0}
    stop = threading.Event()

    def reader() -> None:
        count = 0
        while not (stop.is_set() and count >= least) and count < most:
            for path, known in versions.items():
                status, _, body = get(server + path)
                count += 1
                if status != 200 or body not in known:
                    state["errors"].append(f"{path}: {status}, {len(body)} bytes, not a whole page of either release")
                    continue
                state["seen"][path].add(body)
                css = re.search(rb'assets/site\.[0-9a-f]{10}\.css', body).group(0).decode()
                status, _, style = get(server + css)
                count += 1
                if status != 200:
                    state["errors"].append(f"{css} named by {path}: {status}")
            state["count"] = count

    thread = threading.Thread(target=reader)
    thread.start()
    time.sleep(0.2)
    try:
        yield state
    finally:
        stop.set()                              # the reader stops once it has made ``least`` requests
        thread.join(timeout=120)


def page_versions(*outputs: Path) -> dict[str, set[bytes]]:
    versions = {path: {(out / path).read_bytes() for out in outputs} for path in ["index.html", f"{FENYANG}/index.html"]}
    assert all(len(v) == len(outputs) for v in versions.values())        # both pages differ between the releases
    return versions


def test_publish_and_rollback_never_serve_an_error_or_a_mixed_page(site, server):
    """2,000 requests while a new release is published and then rolled back: every page is whole,
    from one release or the other, and the stylesheet it names is there."""
    first, second, target = site["first"], site["second"], site["target"]
    with request_loop(server, page_versions(first, second)) as loop:
        publish(second, target, now=1_800_000_060)
        time.sleep(0.3)
        rollback(target)
        time.sleep(0.3)
    assert loop["count"] >= 2000
    assert loop["errors"] == []
    assert all(len(bodies) == 2 for bodies in loop["seen"].values())   # the readers saw both releases
    assert get(server + "index.html")[2] == (first / "index.html").read_bytes()   # rolled back


def test_a_published_correction_is_served_with_its_record(site, server):
    """The second release's changed cell reaches readers after a publish, with its correction record
    (old and new value); the first's after a rollback."""
    target = site["target"]
    publish(site["second"], target, now=1_800_000_120)
    page = lxml.html.fromstring(get(server + FENYANG + "/")[2])
    assert "69.63" in page.cssselect('table[data-table="05"]')[0].text_content()
    record = page.cssselect("section.correction-records tbody tr")
    assert ["公开05表 一般公共预算财政拨款支出决算表", "2101506 医疗保障经办事务", "本年支出/小计", "69.62", "69.63"] \
        in [[c.text_content() for c in row] for row in record]
    rollback(target, releases(target)[0].id)             # the first release, published before both tests
    page = lxml.html.fromstring(get(server + FENYANG + "/")[2])
    assert "69.62" in page.cssselect('table[data-table="05"]')[0].text_content()


def test_vary_permissions_the_bare_sub_path_and_no_symbolic_link_served(site, server):
    """The sample's hardening: a shared cache keeps gzip and plain apart (Vary); features no page
    uses are off; /portal redirects to /portal/; and a link planted in the served release (``ln
    -s /etc current/sys``, which verify reports) is refused by nginx, not followed."""
    status, headers, _ = get(server + "index.html", **{"Accept-Encoding": "gzip"})
    assert status == 200 and "Accept-Encoding" in headers.get("Vary", "")
    assert "camera=()" in headers["Permissions-Policy"] and "Strict-Transport-Security" not in headers
    request = urllib.request.Request(server.rstrip("/"))
    opener = urllib.request.build_opener(type("NoRedirect", (urllib.request.HTTPRedirectHandler,),
                                              {"redirect_request": lambda *args: None}))
    try:
        opener.open(request, timeout=5)
        raise AssertionError("no redirect")
    except urllib.error.HTTPError as exc:
        assert exc.code == 301 and exc.headers["Location"].endswith("/portal/")
    secret = site["work"] / "secret"
    secret.mkdir(exist_ok=True)
    (secret / "passwd").write_text("root:x:0:0")
    current = (site["target"] / "current").resolve()
    (current / "sys").symlink_to(secret)
    (current / "leak.txt").symlink_to(secret / "passwd")
    try:
        for path in ("sys/passwd", "leak.txt"):
            status, _, body = get(server + path)
            assert status in (403, 404) and b"root:x" not in body, (path, status)
        status, _, body = get(server + FENYANG + "/")
        assert status == 200                              # current itself, a link, is followed
    finally:
        (current / "sys").unlink()
        (current / "leak.txt").unlink()


def test_killed_publishes_and_rollbacks_never_serve_an_error_or_a_mixed_page(site, server):
    """Requests while ``publish`` is killed (SIGKILL, in a subprocess) at each of its steps, then
    completes, and ``rollback`` is killed and then completes: no error status, no page but a
    whole one of either release, no stylesheet missing; ``current`` is never touched by a killed
    run. (After the tests above, the first release is served.)"""
    from test_publish_faults import command

    first, second, target = site["first"], site["second"], site["target"]
    served = (target / "current").resolve()
    assert (served / "index.html").read_bytes() == (first / "index.html").read_bytes()
    with request_loop(server, page_versions(first, second)) as loop:
        middle = f"publish.place:{len(site_files(second)) // 2}"
        for point in ("publish.place:3", middle, "publish.renamed", "publish.marked", "switch.link"):
            killed = command("publish", second, target, "--keep", "10", fault=point)
            assert killed.returncode == -signal.SIGKILL, (point, killed.stderr)
            assert (target / "current").resolve() == served
        done = command("publish", second, target, "--keep", "10")
        assert done.returncode == 0 and "被中断" in done.stderr, done.stderr
        new = (target / "current").resolve()
        assert new != served
        for point in ("rollback.switch", "switch.link"):
            killed = command("rollback", target, served.name, fault=point)
            assert killed.returncode == -signal.SIGKILL, (point, killed.stderr)
            assert (target / "current").resolve() == new
        done = command("rollback", target, served.name)
        assert done.returncode == 0, done.stderr
    assert 2000 <= loop["count"] <= 20_000
    assert loop["errors"] == []
    assert all(len(bodies) == 2 for bodies in loop["seen"].values())   # the readers saw both releases
    assert get(server + "index.html")[2] == (first / "index.html").read_bytes()
