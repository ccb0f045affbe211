"""``build()``: load → check → render → write → search index, department by department.

- **Streaming and parallel.** Each department is one task: its files are loaded, checked,
  rendered and compared with the output, and then let go; only a small summary (identity and
  headline figures, :mod:`summary`) comes back. Tasks run in ``jobs`` worker processes
  (default: one per CPU). The portal's own pages (home, search page, catalog, sitemap) are
  rendered from the summaries.
- **Incremental** (:mod:`cache`). A department whose files, and whose pages in the output, are
  as the last build left them is not loaded at all; anything that every page depends on
  (templates, profiles, site.yaml, the tool) rebuilds everything. A page that comes out
  byte-identical is not written, so publishing with rsync copies only what changed, and a
  build with no change writes nothing.
- **Nothing half-done.** New and changed files are written to a staging folder beside the
  output; only when every department has loaded, passed the checker and rendered are they
  moved into place and the files of removed disclosures deleted. The search index is built
  into a folder beside the output and swapped in.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape as xml_escape

from .cache import (BuildCache, Entry, cache_path, digest, environment, folders_signature, output_signature,
                    outputs_intact, scan)
from .catalog import catalog, document_data
from .checks.placeholders import placeholders
from .checks import CheckConfig, run_checks
from .datapackage import package_files, package_paths, schema_keys
from .corrections import CORRECTIONS, history
from .content import (BASE_URL_HINT, base_url_problem, check_unique, department_slugs, load_department,
                      load_site_config)
from .downloads import WORKBOOK, download_files
from .errors import ContentError, SiteBuilderError
from .manifest import (MANIFEST, SIGNATURE, check_signing_key, department_manifest, read_manifest, signed_by,
                       site_folder, update_manifest)
from .model import Department, Document, Portal
from .profiles import Profile, load_profiles
from .records import Facts, Shown, Summary
from .assets import asset_files
from .figures import YEAR_SORTS
from .search import BUNDLE_DIR, DEFAULT_SHARD_SIZE, IndexResult, index_site, require_pagefind
from .summary import brief, output_folders, outputs, portal_of, summarize, table_keys
from .write import FINISH, KEPT, WriteError, commit, json_text, refused, site_files, stage, writing

if TYPE_CHECKING:
    from .render import Renderer

Progress = Callable[[int, int], None]
Page = tuple[str, bytes]   # (path in the site, its bytes)


class CheckFailed(SiteBuilderError):
    """The checker found errors; nothing was written."""

    @classmethod
    def of(cls, content_dir: Path, errors: list[str]) -> CheckFailed:
        """The first twenty of ``errors`` (lines "  file:line: [rule] message")."""
        details = "\n".join(errors[:20])
        return cls(content_dir, f"检查发现 {len(errors)} 个错误，未生成网站（原网站保持不变）：\n{details}",
                   "改正后重新生成；仅预览时可加 --allow-errors")


def error_lines(findings, drafts: Collection[str] = ()) -> list[str]:
    """The checker's errors as lines, but those of ``drafts`` (URLs of documents that the preview
    shows as unfinished drafts: their page lists them instead)."""
    return [f"  {f.location}: [{f.rule}] {f.message}" for f in findings
            if f.severity == "error" and f.document not in drafts]


def drafts(documents: Iterable[Document], draft: bool) -> set[str]:
    """In the preview (``draft``), the documents still holding 【待填写】: shown as drafts, with
    every checker error on the page, instead of stopping the preview."""
    return {doc.url for doc in documents if placeholders(doc)} if draft else set()


@dataclass
class BuildResult:
    documents: int                 # disclosures in the portal
    out_dir: Path
    pages: int                     # HTML pages in the site
    files: int                     # files in the site (without the search index)
    bytes: int                     # bytes written by this build
    search: IndexResult | None = None
    written: int = 0               # files written (new or changed)
    removed: int = 0               # files of removed disclosures deleted
    rendered: int = 0              # departments loaded and rendered (the others were unchanged)
    note: str = ""                 # why the build cache was not used, if it was not
    portal: Portal | None = None   # when the portal's pages were rendered: disclosures with headline figures only


def build(content_dir: Path, out_dir: Path, base_url: str | None = None,
          progress: Progress | None = None, allow_errors: bool = False, search: bool = True,
          search_shard_size: int = DEFAULT_SHARD_SIZE, jobs: int | None = None, clean: bool = False,
          keep_portal: bool = False, keep_index: bool = False, signing_key: Path | None = None,
          previous_release: Path | None = None, draft: bool = False) -> BuildResult:
    """Build the portal in ``content_dir`` into ``out_dir``; see the module's description.

    Errors (bad input, checker errors unless ``allow_errors``, a template that fails) raise
    before anything in ``out_dir`` changes. ``clean`` ignores the build cache. ``keep_portal``:
    the result carries the portal (disclosures with headline figures only) even when its pages
    were unchanged. ``keep_index``: without ``search``, an existing index stays (the preview
    refreshes it itself). ``signing_key``: an Ed25519 private key (``site-builder keygen``) that
    signs the manifest of every file (``manifest.json.sig``). ``previous_release``: the published
    portal (a publish target or a site folder) that correction records are made against.
    ``draft`` (the preview): a document with 【待填写】 left is rendered as a draft, its unfilled
    places marked, instead of stopping the build (``build`` itself never publishes one)."""
    started_ns = time.time_ns()
    root, out = content_dir.resolve(), out_dir.resolve()
    config = load_site_config(root)
    profiles = load_profiles(root / "profiles")
    departments_dir = root / "departments"
    if not departments_dir.is_dir():
        raise ContentError(departments_dir, "找不到 departments 文件夹", "每个部门一个子文件夹，放在 departments/ 下")
    if search:
        require_pagefind()
    if signing_key is not None:
        check_signing_key(signing_key, out_dir)
    base = (config.base_url if base_url is None else base_url) or ""
    if base and base_url_problem(base):     # (site.yaml's is checked where it is read; the CLI checks its option)
        raise SiteBuilderError(None, f"网站地址 base_url 有误：{base_url_problem(base)}", BASE_URL_HINT)
    env = environment(root, out, {"base_url": base, **({"draft": True} if draft else {})}, started_ns)
    note = None
    if previous_release is None and config.previous_release is not None:   # site.yaml previous_release
        previous_release = configured_release(config)
        if previous_release is None:
            note = (f"site.yaml 的 previous_release（{config.previous_release}）还没有已发布的网站：本次不生成更正记录"
                    "（第一次发布后就会有）")
    cache = BuildCache(env) if clean or not out.is_dir() else BuildCache.load(cache_path(out), env, root, out)
    # the cache's objects (millions at 10,000 departments) live until the build ends: frozen, the
    # collector does not walk them again (at 10,000: 0.3 s of this process's CPU in a no-change
    # build, 0.1 s with them frozen), nor touch them in the forked workers
    gc.freeze()
    committed = False
    try:
        slugs = department_slugs(departments_dir)
        with writing(out.parent):
            out.parent.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.building-", dir=out.parent))
        try:
            job = Job(root, out, staging, config, profiles, base, cache.departments, started_ns, allow_errors,
                      published_release(previous_release), draft)
            results = sorted(run_departments(job, slugs, jobs, progress), key=lambda r: r.slug)
            for result in results:
                if result.error is not None:
                    raise result.error
                if result.entry is None:              # unchanged since the last build
                    if result.listing is not None:
                        cache.relist(result.slug, result.listing)
                    result.entry = cache.departments[result.slug]
            errors = [line for r in results for line in r.entry.errors]
            if errors and not allow_errors:
                raise CheckFailed.of(root, errors)
            # what the portal's pages show of every department: when none changed, as the last build found it
            unchanged = cache.facts is not None and len(results) == len(cache.departments) \
                and all(r.entry is cache.departments.get(r.slug) for r in results)
            facts = cache.facts if unchanged else portal_facts(departments_dir, config, base, results)
            years, shown, lists = facts.years, facts.shown, facts.lists
            before = cache.facts.shown if cache.facts else None
            # the portal's pages show every department: rendered again only when what they show changed
            reuse = {path for path, _, _ in cache.portal_outputs} if cache.portal_outputs \
                and outputs_intact(out, cache.portal_outputs) else set()
            lists_same = before is not None and shown.lists == before.lists and set(lists) <= reuse
            catalog_same = before is not None and shown.catalog == before.catalog and "catalog.json" in reuse
            years_changed = [y for y in years if before is None or shown.years[y] != before.years.get(y)
                             or not set(year_paths(y)) <= reuse]
            portal = None
            portal_files: list[tuple[str, bytes | None]] = [(path, None) for path in [*lists, *figure_paths(years)]]
            if not (lists_same and catalog_same and not years_changed):
                portal = portal_of(config, root, profiles, [r.entry.summary for r in results])
                from .render import Renderer      # (Jinja and Markdown: imported when a page is made)
                renderer = Renderer(portal, base, templates_cache(out), draft=draft)
                made = dict(list_files(portal, renderer)) if not lists_same else {}
                if not catalog_same:
                    made.update([catalog_file(portal)])
                for year in years_changed:          # only the years whose rows changed
                    made.update(year_files(renderer, year))
                portal_files = [(path, made.get(path)) for path, _ in portal_files]
            portal_files += asset_files(root)
            written = [path for r in results for path in r.written]
            written += [path for path, data in portal_files if data is not None and stage(out, staging, path, data)]
            portal_paths = [path for path, _ in portal_files]
            portal_files = made = None     # staged: their bytes go (at 10,000, ≈ 50 MB of the parent's peak)
            removed = stale_files(out, cache, results, portal_paths)
            written_bytes = sum((staging / path).stat().st_size for path in written)
            # the top manifest goes as the output changes and is written when the build is
            # complete: a build stopped in between (a full disk) leaves none rather than a wrong one
            manifest = read_manifest(out).get("files", {}) if written or removed else None
            commit(staging, out, written, removed, stale=(MANIFEST, SIGNATURE) if manifest is not None else ())
            committed = True
        finally:
            shutil.rmtree(staging, ignore_errors=True)

        changed = bool(written or removed)
        for result in results:       # the cache records what is in the output now
            if result.rendered:
                result.entry.outputs = folders_signature(out, result.entry.folders)
        new_cache = BuildCache(env, {r.slug: r.entry for r in results},
                               output_signature(out, portal_paths),
                               search=cache.search and not changed and (out / BUNDLE_DIR).is_dir(), facts=facts,
                               raw=cache.raw)     # (an unchanged department keeps its loaded Entry, never altered)
        index = None
        if search and not new_cache.search:
            new_cache.save(cache_path(out), root, out)     # pages recorded; the index is redone next time if this fails
            index = index_into(out, [(r.slug, len(r.entry.brief.documents)) for r in results], search_shard_size)
            new_cache.search = True
        elif not search and not keep_index and changed and (out / BUNDLE_DIR).exists():
            shutil.rmtree(out / BUNDLE_DIR)                # an index of the old pages would find what is gone
        documents = facts.documents
        if changed or index is not None or not (out / MANIFEST).exists() \
                or (signing_key is not None and not signed_by(out, signing_key)):
            update_manifest(out, portal_paths, [r.slug for r in results], documents, set(written),
                            index is not None, signing_key, previous=manifest)
        if index is not None or changed or cache.note or any(r.rendered or r.listing for r in results) \
                or not cache_path(out).exists():
            new_cache.save(cache_path(out), root, out)
        if keep_portal and portal is None:
            portal = portal_of(config, root, profiles, [r.entry.summary for r in results])
        files = facts.files + len(portal_paths)
        pages = facts.pages + sum(path.endswith(".html") for path in portal_paths)
        return BuildResult(documents, out_dir, pages, files, written_bytes, index, len(written), len(removed),
                           sum(r.rendered for r in results), "；".join(filter(None, [cache.note, note])), portal)
    except (WriteError, OSError) as exc:      # a write the disk refused: say so, and what became of the output
        error = refused(exc, FINISH if committed else KEPT)
        if error is exc:
            raise
        raise error from exc
    finally:
        gc.unfreeze()      # (the preview server builds again and again in one process)


def portal_facts(departments_dir: Path, config, base: str, results: list[DepartmentResult]) -> Facts:
    """What the build derives from every department's brief (summary.brief), and checks there
    (no two departments share a name or code): the digests of what the portal's pages show of
    them, the years, the data package's list files, and the counts. Kept in the cache: when no
    department changed, the next build takes them from there instead of decoding every brief."""
    briefs = [r.entry.brief for r in results]
    check_unique([Department(r.slug, b.name, f"{departments_dir}/{r.slug}", b.code)   # (path: text,
                  for r, b in zip(results, briefs, strict=True)])                  # a Path each costs 30 µs)
    years = sorted({document.year for b in briefs for document in b.documents}, reverse=True)
    shown = Shown(digest([b.shown.lists for b in briefs]), digest([b.shown.catalog for b in briefs]),
                  {year: digest([b.shown.years.get(year) for b in briefs]) for year in years})
    return Facts(shown, tuple(years), tuple(list_paths(base, table_keys(briefs) if "csv" in config.downloads else [])),
                 sum(len(b.documents) for b in briefs), sum(b.files for b in briefs), sum(b.pages for b in briefs))


# -- one department ------------------------------------------------------------------------------

@dataclass
class Job:
    """What every department task needs; set before the workers start (they inherit it)."""

    root: Path
    out: Path
    staging: Path
    config: object
    profiles: dict[str, Profile]
    base_url: str
    cache: dict[str, Entry]
    started_ns: int
    allow_errors: bool
    previous: Path | None = None          # the last published release (corrections are made against it)
    draft: bool = False                   # the preview: unfinished documents (【待填写】) are shown, marked
    _tools: tuple[Renderer, CheckConfig] | None = field(default=None, repr=False)

    def tools(self) -> tuple[Renderer, CheckConfig]:
        """The renderer and checker settings, made once per process (templates compile once)."""
        if self._tools is None:
            from .render import Renderer
            empty = Portal(self.config, self.root, [])
            self._tools = (Renderer(empty, self.base_url, templates_cache(self.out), draft=self.draft),
                           CheckConfig.from_portal(empty))
        return self._tools

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_tools": None}   # a Jinja environment does not pickle


@dataclass
class DepartmentResult:
    slug: str
    entry: Entry | None = None
    rendered: bool = False
    written: list[str] = field(default_factory=list)
    error: SiteBuilderError | None = None
    listing: list | None = None    # unchanged, but its folders were read again: the listing to keep


_JOB: Job | None = None


def _init_worker(job: Job | None) -> None:
    global _JOB
    # A worker ends at once on SIGTERM, as Pool.terminate expects. A Python handler inherited
    # from the command (cli: the main process cleans up on SIGTERM) runs only when a blocking
    # call returns: a signal landing just before a worker blocks on the pool's queue, whose lock
    # terminate() holds, was never acted on, and the build hung (seen once in ~100 builds).
    try:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
    except ValueError:      # (not the main thread of a forked process: nothing was inherited)
        pass
    if job is not None:
        _JOB = job


def build_department(slug: str) -> DepartmentResult:
    """Load, check, render and stage one department, unless the cache shows it unchanged."""
    job = _JOB
    assert job is not None
    folder = f"{job.root}{os.sep}departments{os.sep}{slug}"   # (text: this runs for every department)
    try:
        old = job.cache.get(slug)
        signature, racy, listing = scan(folder, job.root, job.started_ns,
                                        known=old.listing if old is not None and not old.racy else None)
        if job.previous is not None:         # corrections are made against the published release
            signature = digest([signature, previous_signature(job.previous, slug)])
        if old is not None and not old.racy and old.signature == signature \
                and folders_signature(job.out, old.folders) == old.outputs:
            # the main process has the entry; a new listing when a folder's time had changed
            # with no file changed (an editor's swap file come and gone), so it is used next time
            # (unless that time is too recent to trust: then the next build reads it again)
            return DepartmentResult(slug, listing=None if old.listing is listing or racy else listing)
        dept = load_department(Path(folder), job.config, job.profiles)
        renderer, check_config = job.tools()
        errors = error_lines(run_checks(Portal(job.config, job.root, [dept]), check_config),
                             drafts(dept.documents, job.draft))

        def entry(summary: Summary) -> Entry:
            return Entry(signature, racy, summary, "", errors, brief(summary), output_folders(summary), listing=listing)
        if errors and not job.allow_errors:
            return DepartmentResult(slug, entry(summarize(dept, job.config.downloads)), rendered=True)
        pages = department_pages(dept, renderer)
        for doc in dept.documents:
            pages += document_pages(doc, renderer, job.out, job.previous)
        made = {path for path, _ in pages}
        summary = summarize(dept, job.config.downloads,      # (made once its pages are: with its correction records)
                            corrected={doc.url for doc in dept.documents if f"{doc.url}{CORRECTIONS}" in made})
        pages.append(department_manifest(slug, pages))
        if sorted(path for path, _ in pages) != sorted(outputs(summary)):     # summary.outputs must know them all
            raise AssertionError(f"{slug}: summary.outputs() does not match the pages written")
        if output_folders(summary) != sorted({path.rpartition("/")[0] for path, _ in pages}):
            raise AssertionError(f"{slug}: summary.output_folders() does not match the pages written")
        written = [path for path, data in pages if stage(job.out, job.staging, path, data)]
        return DepartmentResult(slug, entry(summary), rendered=True, written=written)
    except SiteBuilderError as exc:
        return DepartmentResult(slug, error=exc)


def run_departments(job: Job, slugs: list[str], jobs: int | None, progress: Progress | None) -> list[DepartmentResult]:
    """Every department's task, in ``jobs`` processes (forked where the platform allows)."""
    global _JOB
    _JOB = job
    try:
        return _run(job, slugs, jobs, progress)
    finally:
        _JOB = None      # the job holds the cache: not kept alive after the build (the preview builds again)


def _run(job: Job, slugs: list[str], jobs: int | None, progress: Progress | None) -> list[DepartmentResult]:
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(slugs)))
    results: list[DepartmentResult] = []
    if jobs == 1:
        for slug in slugs:
            results.append(build_department(slug))
            if progress:
                progress(len(results), len(slugs))
        return results
    # forked workers inherit the compiled templates; a process with threads (the preview server)
    # is not forked, as a lock held by another thread would stay held in the child
    fork = "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1
    if fork and not job.cache:      # a full build: compile the templates once, before forking
        job.tools()                 # (with a cache, most departments are unchanged and need none)
    context = multiprocessing.get_context("fork" if fork else "spawn")
    with context.Pool(jobs, initializer=_init_worker, initargs=(None if fork else job,)) as pool:
        for result in pool.imap_unordered(build_department, slugs, chunksize=max(1, min(64, len(slugs) // (jobs * 8)))):
            results.append(result)
            if progress:
                progress(len(results), len(slugs))
    return results


# -- writing -------------------------------------------------------------------------------------

def templates_cache(out: Path) -> Path | None:
    """Where compiled templates are kept between builds (next to the build cache)."""
    folder = cache_path(out).parent / "templates"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None           # (a cache: templates are compiled again; a full disk is reported by the pages' writes)
    return folder


def stale_files(out: Path, cache: BuildCache, results: list[DepartmentResult], portal_paths: list[str]) -> list[str]:
    """Files in the output that this build does not make: those of departments that are gone,
    those a rendered department no longer makes (and strays in its folders), old portal files.
    Without a record of the last build: whatever in the output folder is not made now."""
    if not (cache.departments or cache.portal_outputs):
        expected = {path for r in results for path in outputs(r.entry.summary)} | set(portal_paths)
        return sorted(set(site_files(out)) - expected - {MANIFEST, SIGNATURE})    # the manifest is updated last
    stale = {o[0] for o in cache.portal_outputs} - set(portal_paths)
    present = {r.slug for r in results}
    for slug, entry in cache.departments.items():
        if slug not in present:
            stale.update(outputs(entry.summary))
    for result in results:
        if result.rendered:
            old = cache.departments.get(result.slug)
            before = set(site_files(out, result.slug)) | (set(outputs(old.summary)) if old else set())
            stale |= before - set(outputs(result.entry.summary))
    return sorted(stale)


def published_release(path: Path | None) -> Path | None:
    """The site a ``--previous-release`` names: a publish target's current release, or a site folder."""
    if path is None:
        return None
    site = site_folder(path)
    if not (site / "index.html").is_file():
        raise ContentError(path, "不是已发布的网站（找不到 index.html）",
                           "--previous-release 应是 site-builder publish 的目标文件夹，或一个已生成的网站文件夹")
    return site


def configured_release(config) -> Path | None:
    """The published site that site.yaml's ``previous_release`` names, or None when it has none
    yet (before the first publication) or none is configured."""
    if config.previous_release is None:
        return None
    site = site_folder(config.previous_release)
    return site if (site / "index.html").is_file() else None


def previous_signature(previous: Path, slug: str) -> str | None:
    """What the published release holds of a department: its manifest pins every file."""
    try:
        return digest([(previous / slug / MANIFEST).read_bytes().decode("utf-8")])
    except (OSError, UnicodeDecodeError):
        return None


def index_into(out: Path, groups: list[tuple[str, int]], shard_size: int) -> IndexResult:
    """Pagefind over the site into a folder beside it, then swapped in for the old index."""
    fresh = out.parent / f".{out.name}.pagefind-{os.getpid()}"
    shutil.rmtree(fresh, ignore_errors=True)
    try:
        index = index_site(out, groups, shard_size, bundle=fresh)
        old = out.parent / f".{out.name}.pagefind-old-{os.getpid()}"
        if (out / BUNDLE_DIR).exists():
            os.rename(out / BUNDLE_DIR, old)
        os.rename(fresh, out / BUNDLE_DIR)
        shutil.rmtree(old, ignore_errors=True)
        return index
    finally:
        shutil.rmtree(fresh, ignore_errors=True)


# -- what each page is -----------------------------------------------------------------------------

def refuse_errors(portal: Portal, content_dir: Path, documents: list[Document] | None = None,
                  draft: bool = False) -> None:
    """Raise CheckFailed when the checker finds an error (in ``documents``, or in the whole portal);
    ``draft``: not for a document still holding 【待填写】 (the preview shows it as a draft)."""
    errors = error_lines(run_checks(portal, documents=documents),
                         drafts(portal.documents if documents is None else documents, draft))
    if errors:
        raise CheckFailed.of(content_dir, errors)


def portal_pages(portal: Portal, renderer: Renderer) -> list[Page]:
    """Every page that shows every department (``list_files`` and ``figure_files``; ``build``
    renders each group only when what it shows has changed)."""
    return list_files(portal, renderer) + figure_files(portal, renderer)


def department_pages(dept: Department, renderer: Renderer) -> list[Page]:
    """A department's page and its year pages (they show its documents' headline figures)."""
    return [(f"{dept.slug}/index.html", renderer.department(dept).encode("utf-8")),
            *((f"{dept.slug}/{year}/index.html", renderer.department_year(dept, year).encode("utf-8"))
              for year in dept.years)]


def document_pages(doc: Document, renderer: Renderer, out: Path | None = None,
                   previous: Path | None = None) -> list[Page]:
    """A disclosure's page, its data.json, the workbook of all its tables (XLSX), and each table
    as CSV and JSON (the page links to them with their sizes); with ``out`` (the output folder)
    its correction records, compared with the ``previous`` release (corrections.py)."""
    data = document_data(doc)
    prose = renderer.prose_of(doc)        # (its 情况说明 and markdown parts: made once, for both)
    data["prose"] = renderer.prose(doc, prose)
    formats = renderer.portal.config.downloads
    files = [("data.json", json_text(data).encode("utf-8"))]
    if "xlsx" in formats:
        from .workbook import document_workbook   # (imported where a page is made, not in every build)
        files.append((WORKBOOK, document_workbook(doc)))
    files += [(path, text.encode("utf-8")) for path, text in download_files(doc, data, formats)]
    records = history(data, doc.url, previous, out) if out is not None else []
    if records:
        files.append((CORRECTIONS, json_text(records).encode("utf-8")))
    sizes = {path: len(content) for path, content in files}
    return [(f"{doc.url}index.html", renderer.document(doc, sizes, records, prose).encode("utf-8")),
            *((doc.url + path, content) for path, content in files)]


def year_paths(year: int) -> list[str]:
    """A year's comparison page and its copy sorted by each column."""
    return [f"years/{year}/index.html", *(f"years/{year}/by-{key}/index.html" for key in YEAR_SORTS)]


def year_files(renderer: Renderer, year: int) -> list[tuple[str, bytes]]:
    pages = [renderer.year(year), *(renderer.year(year, key) for key in YEAR_SORTS)]
    return [(path, text.encode("utf-8")) for path, text in zip(year_paths(year), pages, strict=True)]


def figure_paths(years: list[int]) -> list[str]:
    """The portal pages that show every disclosure's figures: the catalog and the year pages."""
    return ["catalog.json", *(path for year in sorted(years, reverse=True) for path in year_paths(year))]


def catalog_file(portal: Portal) -> tuple[str, bytes]:
    return "catalog.json", json_text(catalog(portal)).encode("utf-8")


def figure_files(portal: Portal, renderer: Renderer) -> list[tuple[str, bytes]]:
    files = [catalog_file(portal)]
    for year in portal.years:
        files += year_files(renderer, year)
    return files


def list_paths(base_url: str, tables: list[tuple[str, int, str]]) -> list[str]:
    """The portal pages that list every department or disclosure (rendered by ``list_files``);
    ``tables``: (profile, year, table id) of every disclosure's tables (the data package)."""
    return ["index.html", "search/index.html", "404.html", "robots.txt", "glossary/index.html"] + \
        (["sitemap.xml", "feed.xml"] if base_url else []) + package_paths(tables)


def list_files(portal: Portal, renderer: Renderer) -> list[tuple[str, bytes]]:
    """Home, search page, 404 page, robots.txt, the glossary, with a base URL the sitemap and the
    Atom feed, and the data package (``datapackage.json`` and its table schemas)."""
    base = renderer.base_url
    robots = "User-agent: *\nAllow: /\n" + (f"Sitemap: {base}sitemap.xml\n" if base else "")
    files = [("index.html", renderer.home()), ("search/index.html", renderer.search()),
             ("404.html", renderer.not_found()), ("robots.txt", robots), ("glossary/index.html", renderer.glossary_page())]
    if base:
        files += [(path, data.decode("utf-8")) for path, data in sitemap_files(portal, base)]
        files.append(("feed.xml", renderer.feed()))
    files = [(path, text.encode("utf-8")) for path, text in files] + package_files(portal)
    assert [path for path, _ in files] == list_paths(base, schema_keys(portal) if "csv" in portal.config.downloads else [])
    return files


def sitemap_files(portal: Portal, base_url: str) -> list[tuple[str, bytes]]:
    """sitemap.xml with absolute URLs; only when a base URL is known."""
    if not base_url:
        return []
    paths = ["", "glossary/"]
    for dept in portal.departments:
        paths.append(f"{dept.slug}/")
        paths.extend(f"{dept.slug}/{year}/" for year in dept.years)
        paths.extend(doc.url for doc in dept.documents)
    urls = "".join(f"  <url><loc>{xml_escape(base_url + p)}</loc></url>\n" for p in paths)   # (& in a path)
    return [("sitemap.xml", ('<?xml version="1.0" encoding="UTF-8"?>\n'
                             '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n' + urls
                             + "</urlset>\n").encode("utf-8"))]
