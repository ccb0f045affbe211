"""`site-builder serve` answers only its own origin: the attacks a web page in the clerk's browser
can make on the preview (it holds unpublished figures) are refused, whatever handler they aim at.

- **DNS rebinding**: the attacker's name resolves to 127.0.0.1, so the browser treats the preview
  as the attacker's own site; the request still carries ``Host: evil.example:PORT`` → 400.
- **Cross-site requests and websockets**: a page elsewhere fetches or opens ``/livereload`` with
  its own ``Origin`` → 403 (livereload's handler would accept any origin).

One server (the example portal under /portal/, a free port) serves every request here; requests
go through http.client so that Host and Origin are exactly what an attacker's browser sends.
"""

from __future__ import annotations

import base64
import http.client
import os
import shutil
import socket
import time
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from conftest import EXAMPLE
from test_serve import Server

from site_builder.serve import STATUS_PATH, Addresses, ReloadSocket, same_origin

PAGE = "/portal/fenyang-ybj/2024/final-accounts/index.html"
# every route the preview mounts: pages (and the redirect to them), the status JSON, livereload.js
PATHS = ["/portal/", PAGE, "/", STATUS_PATH, "/livereload.js"]
HOSTS_REFUSED = ["evil.example:{port}", "evil.example", "127.0.0.1.evil.example:{port}", "localhost:{other}",
                 "127.0.0.1", "[::1", "127.0.0.1:{port}:{port}", ""]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    content = tmp_path_factory.mktemp("origin") / "content"
    shutil.copytree(EXAMPLE, content)
    server = Server(content, "--base-path", "/portal/", "--no-search")
    server.port = urlsplit(server.url).port
    yield server
    assert server.stop() == 0


def request(server, path: str, host: str, origin: str | None = None, method: str = "GET",
            websocket: bool = False) -> tuple[int, str, str]:
    """(status, Content-Type, body) of one request with exactly this Host (and Origin)."""
    headers = {"Host": host.format(port=server.port, other=server.port + 1)}
    if origin is not None:
        headers["Origin"] = origin.format(port=server.port)
    if websocket:
        headers.update({"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13",
                        "Sec-WebSocket-Key": base64.b64encode(os.urandom(16)).decode()})
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        connection.request(method, path, headers=headers)
        response = connection.getresponse()
        body = "" if response.status == 101 else response.read().decode("utf-8", "replace")
        return response.status, response.getheader("Content-Type", ""), body
    finally:
        connection.close()


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("host", HOSTS_REFUSED)
def test_a_foreign_host_gets_400_and_nothing_else(served, path, host):
    status, kind, body = request(served, path, host)
    assert status == 400, (host, path, body)
    assert kind == "text/plain; charset=utf-8"
    assert "不是本预览服务器的地址" in body and f"http://127.0.0.1:{served.port}/portal/" in body
    assert "<html" not in body and "预决算" not in body and "error" not in body     # no page, no status


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "localhost:{port}", "[::1]:{port}", "LOCALHOST:{port}"])
def test_the_previews_own_addresses_are_served(served, path, host):
    status, _, body = request(served, path, host)
    assert status == (301 if path == "/" else 200), (host, path, body)


def test_a_foreign_host_is_refused_for_every_method(served):
    for method in ("HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PROPFIND"):
        assert request(served, "/portal/", "evil.example:{port}", method=method)[0] == 400, method


def test_websocket_only_from_the_previews_own_pages(served):
    def handshake(host: str = "127.0.0.1:{port}", origin: str | None = None) -> int:
        return request(served, "/livereload", host, origin, websocket=True)[0]

    # DNS rebinding: the page is the attacker's "own" origin, but the Host names the attacker
    assert handshake("evil.example:{port}", "http://evil.example:{port}") == 400
    # a page elsewhere opening ws://127.0.0.1:PORT/livereload
    assert handshake(origin="http://evil.example") == 403
    assert handshake(origin="null") == 403                                # a sandboxed frame, a file:// page
    assert handshake(origin="https://127.0.0.1:{port}") == 403             # another scheme is another origin
    assert handshake(origin="http://localhost:{port}") == 403              # another name, too
    assert handshake(origin="http://127.0.0.1:{port}") == 101              # the preview's own page
    assert handshake("localhost:{port}", "http://localhost:{port}") == 101
    assert handshake() == 101                                              # no Origin: not a browser


def test_a_foreign_origin_gets_403_for_the_status_and_files(served):
    for path in (STATUS_PATH, PAGE, "/livereload.js"):
        status, kind, body = request(served, path, "127.0.0.1:{port}", origin="http://evil.example")
        assert status == 403 and kind == "text/plain; charset=utf-8", (path, body)
        assert "拒绝来自其他网站" in body and "error" not in body
        assert request(served, path, "127.0.0.1:{port}", origin="http://127.0.0.1:{port}")[0] == 200


def test_no_force_reload_endpoint(served):
    """livereload's /forcereload reloads every open preview on a GET that any page sends blind
    (an <img> carries no Origin); nothing needs it, so it is not mounted."""
    status, _, body = request(served, "/forcereload", "127.0.0.1:{port}")
    assert status == 404 and body != "ok"


def test_refusals_are_quick(served):
    started = time.perf_counter()
    for _ in range(50):
        assert request(served, STATUS_PATH, "evil.example:{port}")[0] == 400
    assert time.perf_counter() - started < 5
    assert served.process.poll() is None                                   # still serving


def test_a_long_host_is_refused_without_reading_it():
    """Tornado takes headers up to 64 KB; a name longer than DNS allows is not parsed (checking a
    60 KB name character by character took 7 ms a request)."""
    addresses = Addresses.of("0.0.0.0", 8000)
    started = time.perf_counter()
    for _ in range(100):
        assert not addresses.allow("a" * 60000 + ":8000")
    assert time.perf_counter() - started < 0.1


MACHINE = socket.gethostname().lower()


@pytest.mark.parametrize("bound, host, allowed", [
    # bound to loopback (the default): the loopback names and the --host value, with the port
    ("127.0.0.1", "127.0.0.1:8000", True),
    ("127.0.0.1", "[0:0:0:0:0:0:0:1]:8000", True),
    ("127.0.0.1", "127.0.0.1:8001", False),
    ("127.0.0.1", "127.0.0.1", False),                      # no port is port 80
    ("127.0.0.1", "192.168.1.5:8000", False),
    ("127.0.0.1", f"{MACHINE}:8000", False),
    ("127.0.0.2", "127.0.0.2:8000", True),
    ("::1", "[::1]:8000", True),
    ("::1", "::1:8000", False),                              # an IPv6 address needs its brackets
    # bound to all interfaces or a LAN address: colleagues reach it by IP address or machine name
    ("0.0.0.0", "192.168.1.5:8000", True),
    ("0.0.0.0", "[fe80::1]:8000", True),
    ("0.0.0.0", f"{MACHINE}:8000", True),
    ("0.0.0.0", f"{MACHINE}.local:8000", True),
    ("::", "10.0.0.7:8000", True),
    ("192.168.1.5", "192.168.1.5:8000", True),
    ("192.168.1.5", "localhost:8000", True),
    ("0.0.0.0", "evil.example:8000", False),                 # a name: DNS rebinding
    ("0.0.0.0", "192.168.1.5:8001", False),
    ("0.0.0.0", "192.168.1.5.nip.io:8000", False),
    ("myhost.lan", "myhost.lan:8000", True),
    ("myhost.lan", "evil.example:8000", False),
    # malformed
    ("0.0.0.0", "", False),
    ("0.0.0.0", ":8000", False),
    ("0.0.0.0", "[192.168.1.5]:8000", False),
    ("0.0.0.0", "192.168.1.5:８０００", False),
    ("0.0.0.0", "192.168.1.5:+8000", False),
    ("0.0.0.0", "192.168.1.5: 8000", False),
    ("0.0.0.0", "a b:8000", False),
    ("0.0.0.0", "127.0.0.1:8000@evil.example", False),
    ("0.0.0.0", "[::1]x:8000", False),
])
def test_which_hosts_a_preview_answers(bound, host, allowed):
    assert Addresses.of(bound, 8000).allow(host) is allowed


@pytest.mark.parametrize("origin, allowed", [
    ("http://127.0.0.1:8000", True),
    ("HTTP://127.0.0.1:8000", True),
    ("http://127.0.0.1:8001", False),
    ("http://127.0.0.1", False),
    ("https://127.0.0.1:8000", False),
    ("http://evil.example", False),
    ("http://user@127.0.0.1:8000", False),
    ("http://127.0.0.1:8000/", False),
    ("null", False),
    ("", False),
    ("http://[::1", False),
])
def test_which_origins_are_the_previews_own(origin, allowed):
    assert same_origin(origin, "127.0.0.1:8000") is allowed
    # the websocket applies the same rule itself (livereload's handler accepts every origin)
    handler = SimpleNamespace(request=SimpleNamespace(headers={"Host": "127.0.0.1:8000"}))
    assert ReloadSocket.check_origin(handler, origin) is allowed


OPEN_SOCKET = """port => new Promise(done => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/livereload`);
    ws.onopen = () => done(true);
    ws.onerror = ws.onclose = () => done(false);
})"""


def test_dns_rebinding_in_a_real_browser(served, browser):
    """Chromium told that evil.example is 127.0.0.1 (as the attacker's DNS would answer): the
    preview under that name is a refusal, and the attacker's page can neither read the status
    nor open the reload socket; the preview's own page still connects."""
    from conftest import ARGS, CHROMIUM

    # a second Chromium from the session's Playwright, with the attacker's DNS answer
    rebound = browser.browser_type.launch(executable_path=CHROMIUM,
                                          args=[*ARGS, "--host-resolver-rules=MAP evil.example 127.0.0.1"])
    try:
        page = rebound.new_page()
        response = page.goto(f"http://evil.example:{served.port}/portal/")
        assert response.status == 400
        assert "不是本预览服务器的地址" in page.inner_text("body")
        # the attacker's page, the preview's origin by name: the status JSON, then the socket
        assert page.evaluate("fetch('/__site-builder/status.json').then(r => r.status)") == 400
        assert page.evaluate(OPEN_SOCKET, served.port) is False

        page.goto(f"http://127.0.0.1:{served.port}/portal/")
        page.wait_for_function("window.LiveReload !== undefined")
        assert page.evaluate(OPEN_SOCKET, served.port) is True
    finally:
        rebound.close()
