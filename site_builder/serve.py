"""``site-builder serve``: a live preview that rebuilds what a save changed and reloads the page.

- **Watching**: watchfiles (inotify through Rust's notify) reports a save within milliseconds
  (:class:`EventWatcher`: a batch of changes once 5 ms pass without another); every save
  reloads, however soon after the last.
- **Reloading** (:class:`Reloader`): each preview page opens a websocket to ``/livereload``
  (tornado's), and a save that has been built sends it ``reload``. The client, a few lines
  served as ``/livereload.js``, is put into every HTML response on its way out
  (:class:`ScriptInjector`); the files in the output folder stay exactly what ``build`` writes.
  (The python-livereload package did this before: its 3 s throttle, its 800 ms polling, its
  ``/forcereload`` and its every-origin websocket were all switched off or replaced, and what
  was left of it needed its private attributes set.)
- **Incremental rebuild** (:class:`Preview`): the first build, and any change that every page
  depends on (site.yaml, profiles, templates), go through the build's own machinery
  (:func:`build.build`: worker processes; the build cache skips departments whose files and
  pages are unchanged). A save under one disclosure's folder reloads that disclosure alone,
  checks it, and rewrites its page, its data.json, its department and year pages and the
  catalog (the home and search pages too when a disclosure comes or goes); a department.yaml
  reloads the department. Unchanged files are not rewritten. The preview keeps each disclosure
  only as its identity and headline figures (:func:`slim`): the pages that list it need no
  more, and a save reloads the saved disclosure from its files anyway.
- **Errors**: a save that breaks the content (bad cell, YAML, a checker error) leaves the last
  good pages in place; the open page reloads and an overlay shows the same message as the
  terminal (from ``/__site-builder/status.json``); the next good save removes it. A draft (a
  disclosure with 【待填写】 left) is shown, not refused: its page lists its checker errors newest
  first, those the save brought marked and those it mended counted (draftnotice.py); the saved
  page's reload shows the same at the bottom of the window, where the clerk is typing.
- **Search**: Pagefind runs in the background after the pages, debounced, so a reload never
  waits for it; above ``--search-max-pages`` it is off and the search page says so.
- **Only its own origin** (:class:`PreviewApplication`): the preview holds unpublished figures,
  and any web page the clerk opens can send requests to 127.0.0.1. A request whose ``Host`` is
  not one of the preview's own addresses (DNS rebinding: a foreign name resolved to 127.0.0.1)
  gets 400, and one that carries another site's ``Origin`` (a cross-site fetch or websocket)
  gets 403, whatever handler it was meant for.
"""

from __future__ import annotations

import fcntl
import hashlib
import html
import ipaddress
import json
import os
import re
import shutil
import signal
import socket
import tempfile
import threading
import time
import webbrowser
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import click
import watchfiles
from tornado import httpserver, ioloop, netutil, web, websocket

from .build import CheckFailed, build, configured_release, refuse_errors
from .layout import cache_path
from .pages import department_pages, document_pages, figure_files, portal_pages
from .catalog import catalog_entry
from .checks import Finding, run_checks
from .checks.placeholders import placeholders
from .content import check_tree, load_department, load_document, load_site_config
from .draftnotice import DraftErrors, draft_errors, draft_findings, listed_keys, listing
from .errors import SiteBuilderError
from .model import KINDS, Department, Document, Portal
from .profiles import load_profiles
from .assets import BUILTIN_TEMPLATES
from .render import Renderer
from .search import index_site
from .workers import drafts, error_lines
from .write import replace_file

STATUS_PATH = "/__site-builder/status.json"
SEARCH_DELAY = 2.0  # seconds of quiet before the search index is refreshed
# benchmarks/serve.py sets this to have each save's moments printed (``trace {json}``), to
# split a save's time between watching, rebuilding and the reload message
TRACE = bool(os.environ.get("SITE_BUILDER_SERVE_TRACE"))


def trace(**moments: float) -> None:
    """One line of wall-clock times (``time.time()``, comparable across processes) when TRACE is on."""
    if TRACE:
        click.echo("trace " + json.dumps(moments))


@dataclass
class Status:
    """What the browser overlay shows: the last error (None when the last save built), and search."""

    error: str | None = None
    version: int = 0
    search: str = "pending"          # pending / ready / off / failed
    search_note: str = ""
    changed: list[str] = field(default_factory=list)

    def as_json(self) -> str:
        return json.dumps({"error": self.error, "version": self.version, "search": self.search,
                           "search_note": self.search_note, "changed": self.changed}, ensure_ascii=False)


class Preview:
    """The portal kept in memory and the output folder kept in step with the content, save by save."""

    def __init__(self, content: Path, out: Path, search: bool = True, search_max_pages: int = 2000,
                 log: Callable[[str], None] = click.echo):
        self.content = content.resolve()
        self.out = out
        self.search_enabled = search
        self.search_max_pages = search_max_pages
        self.log = log
        self.status = Status()
        self.portal: Portal | None = None
        self.profiles: dict = {}
        self.renderer: Renderer | None = None
        self.lock = threading.Lock()
        self._search_timer: threading.Timer | None = None
        self._catalog_timer: threading.Timer | None = None
        self._draft_reports: list[str] = []     # what this save changed in drafts' errors, said after it

    # -- building -------------------------------------------------------------------------
    def full_build(self) -> None:
        """Every page, by the build's own machinery (:func:`build.build`: worker processes, the
        build cache beside the preview folder); what the preview keeps of the portal is its
        departments with each disclosure's identity and headline figures."""
        self.profiles = load_profiles(self.content / "profiles")   # a profile change rebuilds everything
        result = build(self.content, self.out, base_url="", search=False, keep_portal=True, keep_index=True,
                       draft=True)
        if result.portal is None:
            raise AssertionError("build(keep_portal=True) returns the portal")
        self.portal = result.portal
        self.renderer = Renderer(result.portal, "", draft=True)
        self.previous = configured_release(result.portal.config)   # 更正记录 as they will be published

    def apply(self, changed: Iterable[Path]) -> list[str]:
        """Rebuild for a set of changed paths; return the site paths rewritten. Raises on bad content."""
        changed = [Path(p).resolve() for p in changed]
        portal, renderer = self.portal, self.renderer
        if portal is None or renderer is None:
            self.full_build()
            return ["*"]
        scope = self._scope(changed, portal)
        if scope is None:   # templates too: the disclosures were slimmed, their pages are made from the files
            self.full_build()
            return ["*"]
        kind, dept, folder = scope
        if kind == "document":
            year, doc_kind = int(folder.parent.name), folder.name
            old = dept.document(year, doc_kind)
            new = None
            findings = None
            if folder.is_dir():
                check_tree(self.content, folder)   # as load_portal does for the whole folder
                config = portal.config
                new = load_document(folder, dept, year, config, self.profiles)
                findings = self._check(portal, new)
            self._replace_document(dept, old, new)
            pages = department_pages(dept, renderer)
            if (old is None) != (new is None):     # the portal's lists change only when a disclosure comes or goes
                pages += portal_pages(portal, renderer)
            elif old is not None and new is not None and catalog_entry(old) != catalog_entry(new):
                self._schedule_catalog()           # lists every disclosure: written after the reload
            if new is not None:
                pages += self._document_pages(new, renderer, findings)
                slim(new)
            elif old is not None:
                shutil.rmtree(self.out / old.url, ignore_errors=True)
        else:  # a department's own file
            check_tree(self.content, folder)
            config = load_site_config(self.content)
            new_dept = load_department(folder, config, self.profiles)
            refuse_errors(portal, self.content, new_dept.documents, draft=True)
            portal.departments = sorted([d for d in portal.departments if d.slug != new_dept.slug] + [new_dept],
                                        key=lambda d: d.slug)
            pages = portal_pages(portal, renderer) + department_pages(new_dept, renderer)
            for doc in new_dept.documents:
                pages += self._document_pages(doc, renderer)
                slim(doc)
        return self._write(pages)

    def _check(self, portal: Portal, doc: Document) -> list[Finding]:
        """The checker's findings on the saved disclosure; CheckFailed (the overlay) when it is
        finished and has an error (refuse_errors, which would throw the findings away: checking
        is a quarter of a save's time, and a draft's notice lists the same findings)."""
        findings = run_checks(portal, documents=[doc])
        errors = error_lines(findings, drafts([doc], draft=True))
        if errors:
            raise CheckFailed.of(self.content, errors, preview=True)
        return findings

    def _document_pages(self, doc: Document, renderer: Renderer,
                        findings: list[Finding] | None = None) -> list[tuple[str, bytes]]:
        """The disclosure's files; a draft's page lists its errors against what the page listed
        before this save (draftnotice.py: the new ones first, marked), and the terminal says
        what the save changed, as a save that adds a mistake to a draft is no error.
        ``findings``: the checker's on ``doc`` alone, when the caller has them."""
        if not placeholders(doc):
            return document_pages(doc, renderer, self.out, self.previous)
        page = self.out / doc.url / "index.html"
        errors = draft_findings(renderer.portal, doc) if findings is None else draft_errors(findings)
        listed = listing(errors, listed_keys(page.read_bytes()) if page.is_file() else None)
        renderer.draft_lists[doc.url] = listed
        try:
            pages = document_pages(doc, renderer, self.out, self.previous)
        finally:
            del renderer.draft_lists[doc.url]
        if listed.new or listed.fixed:
            self._draft_reports.append(draft_report(doc, listed))
        return pages

    def _scope(self, changed: list[Path], portal: Portal) -> tuple[str, Department, Path] | None:
        """("document", dept, the disclosure's folder) or ("department", dept, its folder) when
        one of them holds every change; None when the change needs a full rebuild (site.yaml,
        profiles, templates…)."""
        departments = self.content / "departments"
        targets: set[tuple[str, ...]] = set()
        for path in changed:
            try:
                parts = path.relative_to(departments).parts
            except ValueError:
                return None
            if len(parts) >= 4 and parts[1].isdigit() and len(parts[1]) == 4 and parts[2] in KINDS:
                targets.add(("document", parts[0], parts[1], parts[2]))
            elif len(parts) == 2 and parts[1] == "department.yaml":
                targets.add(("department", parts[0]))
            else:
                return None
        if len(targets) != 1:
            return None
        target = targets.pop()
        dept = next((d for d in portal.departments if d.slug == target[1]), None)
        if dept is None:
            return None
        if target[0] == "department":
            return "department", dept, dept.path
        return "document", dept, departments.joinpath(*target[1:])

    @staticmethod
    def _replace_document(dept: Department, old: Document | None, new: Document | None) -> None:
        documents = [d for d in dept.documents if d is not old]
        if new is not None:
            documents.append(new)
        documents.sort(key=lambda d: (-d.year, list(KINDS).index(d.kind)))
        dept.documents[:] = documents

    def _write(self, pages: list[tuple[str, bytes]]) -> list[str]:
        written = []
        for path, data in pages:
            if replace_file(self.out / path, data):
                written.append(path)
        return written

    # -- one save ---------------------------------------------------------------------------
    def rebuild(self, changed: Iterable[Path]) -> None:
        """Rebuild after a save; record the error for the overlay instead of raising."""
        started = time.perf_counter()
        names = sorted({_relative(Path(p), self.content) for p in changed})
        with self.lock:
            self._draft_reports.clear()
            try:
                written = self.apply(changed)
            except SiteBuilderError as exc:
                self.status.error = exc.format_message()
                self.log(click.style(f"✗ {exc.format_message()}", fg="red"))
            except Exception as exc:  # noqa: BLE001 - a preview server must never die on a save
                self.status.error = f"生成时出现内部错误：{exc!r}"
                self.log(click.style(f"✗ 内部错误：{exc!r}", fg="red"))
            else:
                self.status.error = None
                self.status.changed = written
                what = "全部重新生成" if written == ["*"] else f"更新 {len(written)} 个文件"
                self.log(f"✓ {'、'.join(names) or '内容'} → {what}，用时 {(time.perf_counter() - started) * 1000:.0f} 毫秒")
                for report in self._draft_reports:
                    self.log(click.style(report, fg="yellow"))
                self.schedule_search()
            self.status.version += 1

    def _schedule_catalog(self, delay: float = 0.5) -> None:
        """catalog.json and the year pages show every disclosure's figures (10,000 at province
        scale): rewrite them in the background, debounced, so the page the clerk is looking at
        reloads first."""
        if self._catalog_timer:
            self._catalog_timer.cancel()

        def write() -> None:
            with self.lock:
                if self.portal is not None and self.renderer is not None:
                    for path, data in figure_files(self.portal, self.renderer):
                        replace_file(self.out / path, data)

        self._catalog_timer = threading.Timer(delay, write)
        self._catalog_timer.daemon = True
        self._catalog_timer.start()

    # -- search, in the background ------------------------------------------------------------
    def schedule_search(self, delay: float = SEARCH_DELAY) -> None:
        if not self.search_enabled:
            self.status.search, self.status.search_note = "off", "预览时未启用搜索（--no-search）"
            return
        if self.portal and len(self.portal.documents) > self.search_max_pages:
            self.status.search = "off"
            self.status.search_note = (f"本门户有 {len(self.portal.documents)} 份公开文件，超过预览搜索上限 "
                                       f"{self.search_max_pages}（--search-max-pages），预览时不生成搜索索引")
            return
        if self._search_timer:
            self._search_timer.cancel()
        self.status.search = "pending"
        self._search_timer = threading.Timer(delay, self._index)
        self._search_timer.daemon = True
        self._search_timer.start()

    def _index(self) -> None:
        portal = self.portal
        if portal is None:
            return
        try:
            index_site(self.out, [(d.slug, len(d.documents)) for d in portal.departments], compact=False)
            self.status.search, self.status.search_note = "ready", ""
        except SiteBuilderError as exc:
            self.status.search, self.status.search_note = "failed", exc.format_message()

    def stop(self) -> None:
        for timer in (self._search_timer, self._catalog_timer):
            if timer:
                timer.cancel()


def slim(doc: Document) -> None:
    """Keep what the pages that list a disclosure need (its identity and headline figures) and let
    its tables, forms and prose go: the preview of a large portal must not hold every table."""
    doc.headline_figures   # noqa: B018 - computed now from its tables, kept on the document
    doc.tables, doc.attachments, doc.extra_markdown = [], [], {}
    doc.overview = doc.glossary = ""
    doc.inputs, doc.reasons = {}, {}
    doc.forget_derived()


def draft_report(doc: Document, listed: DraftErrors) -> str:
    """The terminal's account of what a save changed in a draft's errors (its page lists them)."""
    parts = []
    if listed.new:
        shown = "；".join(f"{item.finding.location}: {item.finding.message}" for item in listed.new[:3])
        more = f" 等 {len(listed.new)} 个" if len(listed.new) > 3 else ""
        parts.append(f"本次保存新出现：{shown}{more}")
    if listed.fixed:
        parts.append(f"已改正 {listed.fixed} 个")
    found = f"检查发现 {len(listed)} 个错误（页面顶部列出，最新的在前）" if listed else "检查没有发现其他错误"
    return f"  草稿 {doc.url}：{found}；" + "；".join(parts)


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return str(path)


def watched_paths(content: Path) -> list[Path]:
    """Content (with its profiles and templates), and the built-in templates and profiles."""
    return [content, BUILTIN_TEMPLATES, Path(__file__).parent / "profiles"]


class EventWatcher:
    """watchfiles, in a thread of its own: each batch of saves is rebuilt, then ``changed`` runs on
    the IOLoop (the open pages are told to reload)."""

    def __init__(self, preview: Preview, paths: list[Path], loop: ioloop.IOLoop, changed: Callable[[], None]):
        self.preview = preview
        self.paths = paths
        self.loop = loop
        self.changed = changed
        self.stop_event = threading.Event()
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        def run() -> None:
            # step: the quiet that ends a batch; a save is reported one to two steps after it, and
            # each step wakes the thread (docs/performance.md, "Live preview": 5 ms against 10)
            for changes in watchfiles.watch(*self.paths, debounce=30, step=5, stop_event=self.stop_event,
                                            watch_filter=_content_filter, raise_interrupt=False):
                noticed, cpu = time.time(), time.thread_time()
                self.preview.rebuild([Path(path) for _, path in changes])
                trace(noticed=noticed, built=time.time(), cpu=time.thread_time() - cpu)
                self.loop.add_callback(self.changed)

        self.thread = threading.Thread(target=run, name="site-builder-watch", daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.stop_event.set()
        if self.thread:
            self.thread.join(timeout=5)


def _content_filter(change: watchfiles.Change, path: str) -> bool:
    """Ignore editors' temporary files and hidden folders."""
    name = Path(path).name
    return not (name.startswith((".", "~", "#")) or name.endswith(("~", ".swp", ".tmp")) or "/." in path)


OVERLAY_SCRIPT = """<script>(function(){
var url="%(status)s";
function show(s,swapped){var o=document.getElementById("site-builder-overlay"),c=document.getElementById("site-builder-draft-changes");
 if(swapped&&c)c.remove();
 if(!s.error){if(o)o.remove();}else{if(!o){o=document.createElement("div");o.id="site-builder-overlay";
  o.setAttribute("role","alert");o.style.cssText="position:fixed;inset:auto 0 0 0;max-height:60vh;overflow:auto;"
  +"background:#fff4f4;color:#7a0000;border-top:4px solid #b00020;padding:1rem 1.25rem;z-index:99999;"
  +"font:15px/1.6 system-ui,sans-serif;white-space:pre-wrap;box-shadow:0 -4px 16px rgba(0,0,0,.2)";
  document.body.appendChild(o);}
  o.textContent="内容有错误，页面仍显示上次成功生成的结果。改正后保存即可：\\n\\n"+s.error;}
 if(s.search!=="ready"&&s.search_note&&document.getElementById("search-status")){
  var n=document.getElementById("site-builder-search-note");if(!n){n=document.createElement("p");
  n.id="site-builder-search-note";n.className="notice";document.getElementById("search-status").before(n);}
  n.textContent="预览提示："+s.search_note;}
 if(!s.error)draft(s,swapped);}
function draft(s,swapped){var d=document.getElementById("draft-notice"),nav=performance.getEntriesByType("navigation")[0];
 var path=decodeURIComponent(location.pathname);if(path.slice(-1)==="/")path+="index.html";
 if(!d||!(swapped||nav&&nav.type==="reload")||!(s.changed||[]).some(function(c){return path.slice(-c.length-1)==="/"+c}))return;
 var added=d.querySelectorAll("li.draft-new"),fixed=+d.getAttribute("data-draft-fixed")||0;if(!added.length&&!fixed)return;
 var b=document.createElement("div");b.id="site-builder-draft-changes";b.setAttribute("role","status");
 b.style.cssText="position:fixed;inset:auto 0 0 0;max-height:40vh;overflow:auto;background:#fff6e0;color:#3d2800;"
 +"border-top:4px solid #8a5a00;padding:.75rem 1.25rem;z-index:99998;font:15px/1.6 system-ui,sans-serif;box-shadow:0 -4px 16px rgba(0,0,0,.2)";
 var h=document.createElement("strong");h.textContent="本次保存："+(added.length?"新出现 "+added.length+" 个错误":"")
 +(added.length&&fixed?"，":"")+(fixed?"已改正 "+fixed+" 个错误":"");b.appendChild(h);
 if(added.length){var l=document.createElement("ul");l.style.margin=".25rem 0";
  for(var i=0;i<added.length&&i<3;i++){var e=document.createElement("li");e.textContent=added[i].textContent.replace(/^本次保存新出现\\s*/,"");l.appendChild(e);}
  b.appendChild(l);}
 var a=document.createElement("a");a.href="#draft-notice";a.textContent="查看全部错误（页面顶部）";a.style.marginRight="1rem";
 var x=document.createElement("button");x.type="button";x.textContent="关闭";x.onclick=function(){b.remove();};
 b.appendChild(a);b.appendChild(x);document.body.appendChild(b);}
function status(swapped){fetch(url,{cache:"no-store"}).then(function(r){return r.json()})
 .then(function(s){show(s,swapped)}).catch(function(){});}
window.siteBuilderStatus=status;status(false);
})();</script>"""


class StatusHandler(web.RequestHandler):
    def initialize(self, preview: Preview) -> None:
        self.preview = preview

    def get(self) -> None:
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.write(self.preview.status.as_json())


class PreviewFiles(web.StaticFileHandler):
    """The output folder under the base path; never cached, so a reload shows the new page."""

    def set_extra_headers(self, path: str) -> None:
        self.set_header("Cache-Control", "no-store")

    @classmethod
    def get_content(cls, abspath: str, start: int | None = None, end: int | None = None):
        """A page in one piece (tornado's own reads 64 KB at a time), so that ScriptInjector sees
        all of it: the digest of its frame needs what follows ``</main>``."""
        if abspath.endswith(".html") and start is None and end is None:
            with open(abspath, "rb") as page:
                return page.read()
        return super().get_content(abspath, start, end)


class _EveryMethod(tuple):
    def __contains__(self, method: object) -> bool:
        return True


class Refusal(web.RequestHandler):
    """The answer to a request the preview does not serve: a status and one plain sentence, for
    every method and path (a websocket handshake included), before any handler runs."""

    SUPPORTED_METHODS = _EveryMethod()   # PROPFIND or BREW from a foreign host: the same refusal, not 405

    def initialize(self, status: int, message: str) -> None:
        self.status, self.message = status, message

    def prepare(self) -> None:
        self.set_status(self.status)
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Cache-Control", "no-store")
        self.finish(self.message + "\n")


# The browser's side of the reload: connect, refresh the page on "reload", and when the preview
# went away try again, after 1 s, then 2, 4… up to 30 s. window.LiveReload is set once connected
# (the name python-livereload's client had, which the tests and benchmarks/serve.py wait for).
# A page whose frame (all of it but <main>: see page_frame) is unchanged is refreshed in place:
# the new page is fetched and its <main> patched into the shown one node by node, so the
# browser lays out only what changed and the clerk stays where they were scrolled to; anything
# else (no frame, another frame, a failed fetch) reloads the page. The in-place steps are
# marked as performance entries (site-builder:message, :response, :swapped) for the tests and
# benchmarks/serve.py.
RELOAD_CLIENT = """(function () {
  var delay = 1000, busy = false, again = false;
  function connect() {
    var socket = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/livereload");
    socket.onopen = function () { delay = 1000; window.LiveReload = socket; };
    socket.onmessage = function (event) { if (event.data === "reload") refresh(); };
    socket.onclose = function () { setTimeout(connect, delay); delay = Math.min(delay * 2, 30000); };
  }
  function refresh() {
    var frame = document.querySelector('meta[name="site-builder-frame"]'), main = document.querySelector("main");
    if (!frame || !main || !main.replaceChildren || !window.fetch) { location.reload(); return; }
    if (busy) { again = true; return; }
    busy = true;
    performance.mark("site-builder:message");
    fetch(location.href, {cache: "no-store"}).then(function (response) {
      if (!response.ok) throw new Error(response.status);
      return response.text();
    }).then(function (text) {
      performance.mark("site-builder:response");
      var page = new DOMParser().parseFromString(text, "text/html");
      var to = page.querySelector('meta[name="site-builder-frame"]'), next = page.querySelector("main");
      if (!to || to.content !== frame.content || !next) { location.reload(); return; }
      patch(main, next);
      performance.mark("site-builder:swapped");
      if (window.siteBuilderStatus) window.siteBuilderStatus(true);
      busy = false;
      if (again) { again = false; refresh(); }
    }).catch(function () { location.reload(); });
  }
  function patch(shown, next) {
    var names = {}, i, a = shown.childNodes, b = next.childNodes;
    for (i = 0; i < next.attributes.length; i++) {
      names[next.attributes[i].name] = true;
      if (shown.getAttribute(next.attributes[i].name) !== next.attributes[i].value)
        shown.setAttribute(next.attributes[i].name, next.attributes[i].value);
    }
    for (i = shown.attributes.length - 1; i >= 0; i--)
      if (!names[shown.attributes[i].name]) shown.removeAttribute(shown.attributes[i].name);
    if (a.length !== b.length) {
      shown.replaceChildren.apply(shown, Array.prototype.map.call(b, function (n) { return document.importNode(n, true); }));
      return;
    }
    for (i = 0; i < a.length; i++) {
      if (a[i].isEqualNode(b[i])) continue;
      if (a[i].nodeType === 1 && a[i].nodeName === b[i].nodeName) patch(a[i], b[i]);
      else if (a[i].nodeType === b[i].nodeType && a[i].nodeType !== 1) a[i].nodeValue = b[i].nodeValue;
      else shown.replaceChild(document.importNode(b[i], true), a[i]);
    }
  }
  connect();
})();
"""


class Reloader:
    """The open preview pages (their websockets), told to reload when a save has been built."""

    def __init__(self) -> None:
        self.sockets: set[ReloadSocket] = set()

    def reload(self) -> None:
        """Tell every open page to reload (on the IOLoop: a tornado websocket is not thread-safe)."""
        trace(sent=time.time())
        for page in list(self.sockets):
            try:
                page.write_message("reload")
            except websocket.WebSocketClosedError:
                self.sockets.discard(page)


class ReloadSocket(websocket.WebSocketHandler):
    """A preview page's websocket, held open until the page goes: only for the preview's own
    pages (tornado's ``check_origin``, with the same-origin rule of :func:`same_origin`), so a page
    from another site can neither listen for saves nor hold a socket open."""

    def initialize(self, reloader: Reloader) -> None:
        self.reloader = reloader

    def check_origin(self, origin: str) -> bool:
        return same_origin(origin, self.request.headers.get("Host", ""))

    def open(self, *args: str, **kwargs: str) -> None:
        self.reloader.sockets.add(self)

    def on_message(self, message: str | bytes) -> None:
        pass    # the page says nothing

    def on_close(self) -> None:
        self.reloader.sockets.discard(self)


class ReloadClient(web.RequestHandler):
    """``/livereload.js``: RELOAD_CLIENT, which every preview page loads."""

    def get(self) -> None:
        self.set_header("Content-Type", "application/javascript; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.write(RELOAD_CLIENT)


class ScriptInjector(web.OutputTransform):
    """Puts ``script`` before the ``</head>`` of every HTML page served (a subclass sets it), and
    the digest of the page's frame (:func:`page_frame`) when it can be refreshed in place."""

    script = b""

    def transform_first_chunk(self, status_code: int, headers, chunk: bytes, finishing: bool):
        if "html" in headers.get("Content-Type", "") and b"</head>" in chunk:
            frame = page_frame(chunk)
            added = self.script if frame is None else f'<meta name="{FRAME_META}" content="{frame}">'.encode() + self.script
            chunk = chunk.replace(b"</head>", added + b"</head>", 1)
            if "Content-Length" in headers:
                headers["Content-Length"] = str(int(headers["Content-Length"]) + len(added))
        return status_code, headers, chunk


FRAME_META = "site-builder-frame"
_MAIN = re.compile(rb"<main\b[^>]*>")
_SCRIPT = re.compile(rb"<script\b[^>]*>")
# display.js, on every page, changes only the header and listens on the document: a <main>
# swapped in under it stays as the page would load
_SWAPPABLE_SCRIPT = re.compile(rb'<script src="[^"<>]*assets/display\.[0-9a-f]+\.js">')


def page_frame(page: bytes) -> str | None:
    """The digest of a page's frame, all of it but what its ``<main>`` holds: the client refreshes
    a page in place when the new page's frame is the shown one's, as then only ``<main>`` changed.
    None (reload the page whole) for a page without one ``<main>`` (or that the whole page was not
    read into), or with another script than display.js: the search page's script writes into
    ``<main>``, and a script in fetched HTML never runs."""
    opening, closing = _MAIN.search(page), page.rfind(b"</main>")
    if opening is None or closing < opening.end() or page.count(b"<main") != 1:
        return None
    if not all(_SWAPPABLE_SCRIPT.fullmatch(tag) for tag in _SCRIPT.findall(page)):
        return None
    return hashlib.blake2b(page[:opening.end()] + b"\0" + page[closing:], digest_size=8).hexdigest()


class PreviewApplication(web.Application):
    """The preview's routes behind one gate (:meth:`refusal`), checked before any handler is found.

    ``listening`` tells it the port and the preview address once the socket is bound (``--port
    0`` picks the port then); until then it answers nothing."""

    addresses: Addresses | None = None
    url = ""

    def listening(self, host: str, port: int, url: str) -> None:
        self.addresses, self.url = Addresses.of(host, port), url

    def find_handler(self, request, **kwargs):
        refusal = self.refusal(request.headers.get("Host", ""), request.headers.get("Origin"))
        if refusal:
            return self.get_handler_delegate(request, Refusal, {"status": refusal[0], "message": refusal[1]})
        return super().find_handler(request, **kwargs)

    def refusal(self, host: str, origin: str | None) -> tuple[int, str] | None:
        """(status, message) for a request the preview refuses, None for one it serves."""
        if self.addresses is None or not self.addresses.allow(host):
            shown = host[:100] or "（空）"
            return 400, (f"请求的主机名 {shown} 不是本预览服务器的地址，已拒绝。"
                         f"请用启动时终端显示的预览地址打开：{self.url}")
        if origin is not None and not same_origin(origin, host):
            return 403, (f"拒绝来自其他网站（{origin[:100]}）的请求：预览服务器只回应它自己的页面。"
                         f"请直接打开预览地址：{self.url}")
        return None


def make_app(preview: Preview, base_path: str, reloader: Reloader) -> PreviewApplication:
    live_script = '<script src="/livereload.js" async></script>' + OVERLAY_SCRIPT % {"status": html.escape(STATUS_PATH)}

    class Injector(ScriptInjector):
        script = live_script.encode("utf-8")

    # (no /forcereload, which python-livereload mounted: a GET that reloads every open preview,
    # which any page can send blind, with an <img>)
    handlers: list = [
        (r"/livereload", ReloadSocket, {"reloader": reloader}),
        (r"/livereload.js", ReloadClient),
        (STATUS_PATH, StatusHandler, {"preview": preview}),
        (rf"{base_path}(.*)", PreviewFiles, {"path": str(preview.out), "default_filename": "index.html"}),
    ]
    if base_path != "/":
        handlers.append((r"/", web.RedirectHandler, {"url": base_path}))
    return PreviewApplication(handlers=handlers, transforms=[Injector])


def normalize_base_path(base_path: str) -> str:
    return "/" + base_path.strip("/") + "/" if base_path.strip("/") else "/"


def serve(content: Path, port: int = 8000, host: str = "127.0.0.1", base_path: str = "/", open_browser: bool = False,
          search: bool = True, search_max_pages: int = 2000, ready: Callable[[str], None] | None = None) -> None:
    """Build, serve and watch until Ctrl-C (or until the IOLoop is stopped)."""
    base_path = normalize_base_path(base_path)
    if not _is_loopback(host):
        click.echo(click.style(f"警告：预览服务器监听 {host}，同一网络中的其他计算机也能访问未发布的内容。", fg="yellow"), err=True)
    out, claim = preview_folder()
    gone = remove_dead_previews(out.parent, keep=out)
    if gone:
        click.echo(click.style(f"注意：已删除 {len(gone)} 个被强行结束的预览留下的临时文件夹：" + "、".join(gone), fg="yellow"),
                   err=True)
    preview = Preview(content, out, search=search, search_max_pages=search_max_pages)
    loop = ioloop.IOLoop.current()
    reloader = Reloader()
    watcher = EventWatcher(preview, watched_paths(content.resolve()), loop, reloader.reload)
    try:
        started = time.perf_counter()
        preview.rebuild([])   # the first build: errors go to the overlay, the server still starts
        if preview.status.error is None and preview.portal is not None:     # (the first build went through)
            click.echo(f"已生成预览（{len(preview.portal.documents)} 份公开文件），用时 {time.perf_counter() - started:.2f} 秒")
        app = make_app(preview, base_path, reloader)
        sockets = netutil.bind_sockets(port, address=host)     # (--port 0: the port is known once bound)
        httpserver.HTTPServer(app).add_sockets(sockets)
        actual_port = sockets[0].getsockname()[1]
        url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{actual_port}{base_path}"
        app.listening(host, actual_port, url)
        watcher.start()
        click.echo(f"预览地址：{url}  （保存文件后页面自动刷新；按 Ctrl-C 停止）")
        click.echo(f"预览文件在临时文件夹 {out}，停止时删除。")
        signal.signal(signal.SIGTERM, lambda *_: loop.add_callback_from_signal(loop.stop))
        # Ctrl-C stops the preview even when started from a script that ignores SIGINT (shells
        # start background jobs that way, and children inherit it)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        if ready:
            ready(url)
        if open_browser:
            threading.Thread(target=webbrowser.open, args=(url,), daemon=True).start()
        loop.start()
    except KeyboardInterrupt:
        pass
    finally:
        watcher.stop()
        preview.stop()
        shutil.rmtree(out, ignore_errors=True)
        shutil.rmtree(cache_path(out).parent, ignore_errors=True)
        os.close(claim)
        click.echo("预览已停止。")


# -- the preview's folder, and those of previews that were killed ---------------------------------

PREVIEW_PREFIX = "site-builder-serve-"
PREVIEW_LOCK = "serve.lock"       # in the preview's cache folder beside it (the folder itself is served)


def preview_folder(base: Path | None = None) -> tuple[Path, int]:
    """A new temporary folder for the preview, and the descriptor of its claim: an ``flock`` held
    for the preview's life on ``serve.lock`` in the cache folder beside it. The lock file is made
    locked under a temporary name and renamed into place, so no other preview ever finds it
    unlocked while this one lives; the kernel lets go of it when this process dies."""
    out = Path(tempfile.mkdtemp(prefix=PREVIEW_PREFIX, dir=base))
    folder = cache_path(out).parent
    folder.mkdir(parents=True, exist_ok=True)
    temporary = folder / f".{PREVIEW_LOCK}.{os.getpid()}"
    descriptor = os.open(temporary, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    os.rename(temporary, folder / PREVIEW_LOCK)
    return out, descriptor


def remove_dead_previews(base: Path, keep: Path | None = None) -> list[str]:
    """Delete the folders (and cache folders) of this user's previews that were killed (SIGKILL,
    a closed terminal, a reboot's leftovers): a preview's ``serve.lock`` that can be locked has
    no living holder. A folder with no lock file (an older version's, or one just being made)
    is left alone. Returns the names removed."""
    removed = []
    for folder in sorted(base.glob(PREVIEW_PREFIX + "*")):
        try:
            if folder == keep or folder.is_symlink() or not folder.is_dir() or folder.stat().st_uid != os.getuid():
                continue
            descriptor = os.open(cache_path(folder).parent / PREVIEW_LOCK, os.O_RDONLY | os.O_CLOEXEC)
        except OSError:
            continue
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            continue                                  # a preview that is running
        finally:
            os.close(descriptor)
        shutil.rmtree(folder, ignore_errors=True)
        shutil.rmtree(cache_path(folder).parent, ignore_errors=True)
        removed.append(folder.name)
    return removed


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")


@dataclass(frozen=True)
class Addresses:
    """The ``Host`` values that name this preview: one of its names, with its port (no port means
    80). The loopback names always, and the ``--host`` value; when the preview listens beyond this
    machine (``--host 0.0.0.0`` or a LAN address, which ``serve`` warns about) also any IP address
    and the machine's own names, as colleagues on the network reach it.

    DNS rebinding needs a *name* that the attacker's DNS answers with this machine's address; a
    Host that is an IP address is the origin of the page itself, so only this server's own pages
    can read what it answers to them."""

    port: int
    names: frozenset[str]
    any_ip: bool = False

    @classmethod
    def of(cls, bound: str, port: int) -> Addresses:
        """Looked up once, when the server starts (``getfqdn`` may ask a slow DNS server)."""
        names = {*LOOPBACK_NAMES, _normal_host(bound)}
        if _is_loopback(bound):
            return cls(port, frozenset(names))
        machine = socket.gethostname().lower()
        names |= {machine, machine + ".local", socket.getfqdn().lower()}
        return cls(port, frozenset(names), any_ip=True)

    def allow(self, header: str) -> bool:
        parsed = split_host(header)
        if parsed is None or parsed[1] != self.port:
            return False
        return parsed[0] in self.names or (self.any_ip and _is_ip(parsed[0]))


def same_origin(origin: str, host: str) -> bool:
    """Whether an ``Origin`` header is the origin of the requested Host: ``http://`` and the same
    name and port (``Origin: null``, another scheme or another name is another site)."""
    try:
        parts = urlsplit(origin)
    except ValueError:
        return False
    if parts.scheme.lower() != "http" or parts.path or parts.query or parts.fragment:
        return False
    own, theirs = split_host(host), split_host(parts.netloc)
    return own is not None and own == theirs


def split_host(header: str) -> tuple[str, int] | None:
    """``("127.0.0.1", 8000)`` from ``127.0.0.1:8000``, ``("::1", 80)`` from ``[::1]``: the name
    lowercased (an IP address in its canonical form) and the port; None when it is malformed
    (a DNS name has at most 253 characters: a longer one is not looked at)."""
    if len(header) > 260:
        return None
    header = header.lower()
    if header.startswith("["):
        end = header.find("]")
        name, rest = header[1:end], header[end + 1:]
        if end < 0 or not _is_ip(name) or ":" not in name or (rest and not rest.startswith(":")):
            return None
        port_text = rest[1:] if rest else None
    else:
        name, colon, port_text = header.partition(":")
        port_text = port_text if colon else None
        if not name or ":" in (port_text or ""):
            return None
    if port_text is None:
        port = 80
    elif port_text.isascii() and port_text.isdigit() and len(port_text) <= 5:
        port = int(port_text)
    else:
        return None
    if not _is_ip(name) and not all(c.isascii() and (c.isalnum() or c in "-.") for c in name):
        return None
    return _normal_host(name), port


def _normal_host(name: str) -> str:
    name = name.strip("[]").lower()
    try:
        return str(ipaddress.ip_address(name))
    except ValueError:
        return name


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True
