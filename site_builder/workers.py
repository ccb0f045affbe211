"""The departments stage of a build: each department loaded, checked, rendered and staged on its
own, in ``jobs`` worker processes, unless the build cache shows it unchanged.

A task hands back a :class:`DepartmentResult`: its cache entry (with the department's summary
and brief, records.py, encoded: they cross the process boundary and go into the cache as they
are) and the files it staged. The department itself, with its tables, is let go in the worker.
The later stages see each department as a :class:`BuiltDepartment`, with its entry from the
cache when it was unchanged.

Workers are forked where the platform allows (they inherit the job and the compiled
templates); a process with threads (the preview server) spawns them instead, and the job is
pickled to them (without its renderer: a Jinja environment does not pickle).
"""

from __future__ import annotations

import functools
import gc
import multiprocessing
import os
import signal
import threading
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from .cache import Entry, folders_signature, scan
from .config import SiteConfig
from .jsonfmt import digest
from .layout import cache_path
from .checks import CheckConfig, run_checks
from .checks.placeholders import placeholders
from .content import load_department
from .errors import SiteBuilderError
from .layout import MANIFEST, WORKBOOK
from .model import Department, Document, Portal
from .modelcache import (load_model, load_prose, load_workbooks, model_key, model_path, prose_path, save_model,
                         save_prose, save_workbooks, workbooks_path)
from .pages import Page, department_output, output_folders
from .profiles import Profile
from .summary import brief, summarize
from .write import stage

if TYPE_CHECKING:
    from .render import DocumentProse, KeptProse, Renderer

Progress = Callable[[int, int], None]


def error_lines(findings, drafts: Collection[str] = ()) -> list[str]:
    """The checker's errors as lines, but those of ``drafts`` (URLs of documents that the preview
    shows as unfinished drafts: their page lists them instead)."""
    return [f"  {f.location}: [{f.rule}] {f.message}" for f in findings
            if f.severity == "error" and f.document not in drafts]


def drafts(documents: Iterable[Document], draft: bool) -> set[str]:
    """In the preview (``draft``), the documents still holding 【待填写】: shown as drafts, with
    every checker error on the page, instead of stopping the preview."""
    return {doc.url for doc in documents if placeholders(doc)} if draft else set()


def templates_cache(out: Path) -> Path | None:
    """Where compiled templates are kept between builds (next to the build cache)."""
    folder = cache_path(out).parent / "templates"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None           # (a cache: templates are compiled again; a full disk is reported by the pages' writes)
    return folder


@dataclass
class Job:
    """What every department task needs; set before the workers start (they inherit it)."""

    root: Path
    out: Path
    staging: Path
    config: SiteConfig
    profiles: dict[str, Profile]
    base_url: str
    cache: dict[str, Entry]
    started_ns: int
    allow_errors: bool
    previous: Path | None = None          # the last published release (corrections are made against it)
    draft: bool = False                   # the preview: unfinished documents (【待填写】) are shown, marked
    unchanged: frozenset[str] = frozenset()   # departments the file-system monitor saw no change in (fsmonitor.py)
    model_environment: str = ""           # what loading and checking depend on (cache.Environment.model)
    workbook_environment: str = ""        # what the XLSX depends on besides the model (cache.Environment.workbooks)
    models: bool = True                   # render an unchanged department from its kept model (not with --clean)
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
    entry: Entry | None = None     # None: unchanged since the last build (the cache has its entry)
    rendered: bool = False
    written: list[str] = field(default_factory=list)
    error: SiteBuilderError | None = None
    listing: list | None = None    # unchanged, but its folders were read again: the listing to keep
    modelled: bool = False         # rendered from the model the model cache kept (not loaded, not checked)


class BuiltDepartment(NamedTuple):
    """A department as the stages after this one see it (build.departments makes it from its
    task's result): its entry is never missing, this build's or, unchanged, the cache's."""

    slug: str
    entry: Entry
    rendered: bool
    written: list[str]
    listing: list | None
    modelled: bool = False


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


def collector_paused(task: Callable[[str], DepartmentResult]) -> Callable[[str], DepartmentResult]:
    """``task`` with the cyclic collector off while it runs, and one young collection after it.
    A department's model is a graph of cycles (document and department, a table and its view)
    alive until its pages are staged; the collector walked it again and again while it grew,
    and the whole heap in a full collection every few departments: a tenth of a cold build's
    CPU. Off, the department's cycles are freed in one pass at its end (measured:
    docs/performance.md#cold-build-profile). That pass is the one the collector would make at
    the next allocation anyway, so a department found unchanged (a few hundred objects) costs
    none. What a task leaves behind is its result and the caches (Markdown, templates); the
    collector runs as usual between tasks."""
    @functools.wraps(task)
    def paused(slug: str) -> DepartmentResult:
        if not gc.isenabled():          # (paused already: nothing to give back)
            return task(slug)
        gc.disable()
        try:
            return task(slug)
        finally:
            gc.enable()
            if gc.get_count()[0] > gc.get_threshold()[0]:
                gc.collect(0)
    return paused


@collector_paused
def build_department(slug: str) -> DepartmentResult:
    """Load, check, render and stage one department, unless the cache shows it unchanged (those
    the file-system monitor saw unchanged never come here: run_departments settles them)."""
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
        key = model_key(job.model_environment, job.root, signature)
        model = load_model(model_path(job.out, slug), key, job.profiles) if job.models and not racy else None
        dept, errors = model or load_and_check(job, folder, None if racy else key)
        pages = render_department(job, dept, None if racy else key, model is not None) \
            if not errors or job.allow_errors else []
        summary = summarize(dept, job.config.downloads)
        entry = Entry(signature, racy, summary, "", errors, brief(summary), output_folders(summary), listing=listing)
        written = [path for path, data in pages if stage(job.out, job.staging, path, data)]
        return DepartmentResult(slug, entry, rendered=True, written=written, modelled=model is not None)
    except SiteBuilderError as exc:
        return DepartmentResult(slug, error=exc)


def unseen(job: Job, slug: str) -> bool:
    """The file-system monitor saw no path of the department change, and its output folders are
    as the last build left them: nothing to do, and nothing inside its content folder looked at."""
    if slug not in job.unchanged:
        return False
    old = job.cache.get(slug)
    return old is not None and not old.racy and folders_signature(job.out, old.folders) == old.outputs


def load_and_check(job: Job, folder: str, key: str | None) -> tuple[Department, list[str]]:
    """A department loaded from its files and checked: it, and its checker's errors (as lines).
    Kept in the model cache under ``key`` (None: its files changed too recently to be trusted)."""
    dept = load_department(Path(folder), job.config, job.profiles)
    errors = error_lines(run_checks(Portal(job.config, job.root, [dept]), job.tools()[1]),
                         drafts(dept.documents, job.draft))
    if key is not None:
        save_model(model_path(job.out, dept.slug), key, dept, errors)
    return dept, errors


def render_department(job: Job, dept: Department, key: str | None, modelled: bool) -> list[Page]:
    """Every file of a department. Its XLSX workbooks and its prose (render.KeptProse) are kept
    under its model's ``key`` (None: not kept) and the code that makes them, and used as they
    are when it is rendered from its kept model (``modelled``): a page template changes
    neither (the prose: unless the 情况说明's templates changed)."""
    renderer = job.tools()[0]
    key = None if key is None else digest([key, job.workbook_environment])
    path = workbooks_path(job.out, dept.slug)
    kept = load_workbooks(path, key) if key is not None and modelled else {}
    prose_key = None if key is None else digest([key, renderer.PROSE_LIBRARIES])
    sources, renderer.kept_prose = kept_prose(job, dept.slug, prose_key) if prose_key is not None and modelled \
        else ({}, {})
    made: dict[str, DocumentProse] = {}
    renderer.made_prose = made
    try:
        pages = department_output(dept, renderer, job.out, job.previous, kept)
    finally:
        renderer.kept_prose, renderer.made_prose = {}, None
    if key is not None:
        workbooks = {name: data for name, data in pages if name.endswith("/" + WORKBOOK)}
        if workbooks != kept:
            save_workbooks(path, key, workbooks)
    if prose_key is not None and not all(prose.reused for prose in made.values()):
        save_department_prose(job, dept.slug, prose_key, sources, made)
    return pages


def kept_prose(job: Job, slug: str, key: str) -> tuple[dict[str, str | None], dict[str, KeptProse]]:
    """A department's prose as kept under ``key``, by document URL, and the 情况说明 templates'
    sources it was made with: none when one of them has changed, or on any fault (then it is
    made again)."""
    from .render import KeptProse
    sources, prose = load_prose(prose_path(job.out, slug), key)
    if not prose or not job.tools()[0].prose_sources_current(sources):
        return {}, {}
    found = {url: KeptProse.of_json(value) for url, value in prose.items()}
    return sources, {url: value for url, value in found.items() if value is not None}


def save_department_prose(job: Job, slug: str, key: str, sources: dict[str, str | None],
                          made: dict[str, DocumentProse]) -> None:
    """Keep the prose made for a department's pages with the 情况说明 templates' sources: those
    of the prose it used as kept (``sources``: unchanged) and all this process has loaded (those
    the rest was made with among them). Not when a page was not made."""
    kept = {url: prose.kept() for url, prose in made.items()}
    if kept and all(value is not None for value in kept.values()):
        sources = {**sources, **job.tools()[0].explanation_sources.sources}
        save_prose(prose_path(job.out, slug), key, sources,
                   {url: list(value) for url, value in kept.items() if value is not None})


def previous_signature(previous: Path, slug: str) -> str | None:
    """What the published release holds of a department: its manifest pins every file."""
    try:
        return digest([(previous / slug / MANIFEST).read_bytes().decode("utf-8")])
    except (OSError, UnicodeDecodeError):
        return None


def run_departments(job: Job, slugs: list[str], jobs: int | None, progress: Progress | None) -> list[DepartmentResult]:
    """Every department's task, in ``jobs`` processes (forked where the platform allows)."""
    global _JOB
    _JOB = job
    try:
        # those the monitor saw no change in are settled here, without workers: at 10,000
        # documents, starting two and sending them every department cost ≈ 0.2 s of CPU of a
        # no-change build, against ≈ 0.03 s for the stat of their output folders in this process
        settled = {slug for slug in slugs if unseen(job, slug)} if job.unchanged else set()
        rest = [slug for slug in slugs if slug not in settled]
        return [DepartmentResult(slug) for slug in settled] + (_run(job, rest, jobs, progress) if rest else [])
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
