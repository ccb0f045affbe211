"""``build()``: the stages of a build, in order — load, departments, plan, portal pages, search
index, manifest, commit, cache.

- **Load** (:func:`load`): the portal's configuration and profiles, the options checked. Then,
  holding the output's lock, a build that died before is completed or cleaned up
  (:func:`journal.recover`), and the build cache (:mod:`cache`) read if it is sound and was made
  for this content and environment.
- **Departments** (:mod:`workers`): each department is one task: its files are loaded,
  checked, rendered and staged, and then let go; only its cache entry comes back, with a small
  summary (identity and headline figures, :mod:`records`). Tasks run in ``jobs`` worker
  processes (default: one per CPU). A department whose files, and whose pages in the output,
  are as the last build left them is not loaded at all; anything that every page depends on
  (templates, profiles, site.yaml, the tool) renders every page again, and a department whose
  files are unchanged is then rendered from its model as the last build loaded and checked it
  (:mod:`modelcache`), unless what changed is what loading and checking depend on.
- **Plan** (:mod:`plan`): which of the portal's own pages (home, search page, catalog, year
  pages, sitemap) show something that changed, and which files of the output are stale.
- **Portal pages** (:func:`portal_stage`): those pages rendered from the summaries, staged.
- **Search index, manifest** (:func:`search_stage`, :func:`manifest_stage`): Pagefind over the
  pages as they will be, and the manifest of every file, staged too.
- **Commit** (:func:`journal.commit`): everything staged moves into the output and the stale
  files go, all of it or — if the build dies — none of it, or all of it once the next command
  completes the journal. A file that comes out byte-identical is not written, so publishing
  with rsync copies only what changed, and a build with no change writes nothing.
- **Cache**: what the output now holds, for the next build.

Which files each page and department makes, and where they go: :mod:`pages`.
"""

from __future__ import annotations

import contextlib
import gc
import os
import shlex
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from . import faults
from .assets import asset_files
from .cache import BuildCache, Environment, environment, folders_signature, output_signature
from .checks import run_checks
from .config import BASE_URL_HINT, SiteConfig, base_url_problem, load_site_config
from .content import department_slugs
from .fsmonitor import observe
from .errors import ContentError, Location, SiteBuilderError
from .journal import INDEX_DROP, INDEX_SWAP, commit, journal_path, output_lock, recover, staging_prefix
from .layout import BUNDLE_DIR, MANIFEST, cache_path
from .manifest import check_signing_key, signed_by, site_folder, staged_manifest
from .modelcache import prune_models
from .model import Document, Portal
from .pages import catalog_file, list_files, year_files
from .plan import Plan, make_plan, stale_files
from .profiles import Profile, load_profiles
from .search import DEFAULT_SHARD_SIZE, IndexResult, index_site, require_pagefind
from .summary import portal_of
from .workers import BuiltDepartment, Job, Progress, drafts, error_lines, run_departments, templates_cache
from .write import FINISH, KEPT, WriteError, refused, site_files, stage, writing

if TYPE_CHECKING:
    from .render import Renderer


class CheckFailed(SiteBuilderError):
    """The checker found errors; nothing was written."""

    SHOWN = 20       # errors listed; a clerk fixes the first ones, then builds again

    @classmethod
    def of(cls, content_dir: Path, errors: list[str], out_dir: Path | None = None,
           preview: bool = False) -> CheckFailed:
        """The first SHOWN of ``errors`` (lines "  file:line: [rule] message"), how many more there
        are and the command that lists them all. With ``out_dir`` (a build), whether a site built
        before is there and stays as it was, or there is none: a clerk who sees "保持不变" looks
        for a site that may not exist. ``preview`` (serve): no hint about ``--allow-errors``,
        an option of ``build`` that ``serve`` does not have (its page says what to do)."""
        details = "\n".join(errors[:cls.SHOWN])
        if len(errors) > cls.SHOWN:
            details += (f"\n  另有 {len(errors) - cls.SHOWN} 个错误未列出，完整列表："
                        f"site-builder check {shlex.quote(str(Location(content_dir)))} --format json")
        if out_dir is None:
            outcome = ""
        elif (out_dir / "index.html").is_file():
            outcome = f"，未生成新网站（{Location(out_dir)} 中原有的网站保持不变）"
        else:
            outcome = "，未生成网站"
        return cls(content_dir, f"检查发现 {len(errors)} 个错误{outcome}：\n{details}",
                   None if preview else "改正后重新生成；仅预览时可加 --allow-errors")


def refuse_errors(portal: Portal, content_dir: Path, documents: list[Document] | None = None,
                  draft: bool = False) -> None:
    """Raise CheckFailed when the checker finds an error (in ``documents``, or in the whole portal);
    ``draft``: not for a document still holding 【待填写】 (the preview shows it as a draft)."""
    errors = error_lines(run_checks(portal, documents=documents),
                         drafts(portal.documents if documents is None else documents, draft))
    if errors:
        raise CheckFailed.of(content_dir, errors, preview=draft)


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
    portal: Portal | None = None   # with keep_portal: disclosures with headline figures only
    monitor: bool = False          # the file-system monitor said which departments changed (fsmonitor.py)
    modelled: int = 0              # of the departments rendered, those rendered from the model cache (not loaded)


def build(content_dir: Path, out_dir: Path, base_url: str | None = None,
          progress: Progress | None = None, allow_errors: bool = False, search: bool = True,
          search_shard_size: int = DEFAULT_SHARD_SIZE, jobs: int | None = None, clean: bool = False,
          keep_portal: bool = False, keep_index: bool = False, signing_key: Path | None = None,
          previous_release: Path | None = None, draft: bool = False, monitor: str = "none") -> BuildResult:
    """Build the portal in ``content_dir`` into ``out_dir``; see the module's description.

    Errors (bad input, checker errors unless ``allow_errors``, a template that fails) raise
    before anything in ``out_dir`` changes. ``clean`` ignores the build cache. ``keep_portal``:
    the result carries the portal (disclosures with headline figures only), even when its pages
    were unchanged; without it, none (let go once its pages are staged). ``keep_index``:
    without ``search``, an existing index stays (the preview refreshes it itself).
    ``signing_key``: an Ed25519 private key (``site-builder keygen``) that signs the manifest
    of every file (``manifest.json.sig``). ``previous_release``: the published portal (a
    publish target or a site folder) that correction records are made against.
    ``draft`` (the preview): a document with 【待填写】 left is rendered as a draft, its unfilled
    places marked, instead of stopping the build (``build`` itself never publishes one).
    ``monitor`` (fsmonitor.MODES): whether watchman, rather than a scan, finds the departments
    that changed."""
    started_ns = time.time_ns()
    inputs = load(content_dir, out_dir, base_url, search, signing_key, previous_release, draft, started_ns)
    out = inputs.out
    committed = False        # (a write refused after the commit: only the build cache is missing)
    try:
        with output_lock(out), collector_frozen():
            recovered = recover(out)         # a build killed before: its commit completed, or its staging removed
            cache = BuildCache(inputs.env.whole, model=inputs.env.model) if clean or not out.is_dir() \
                else BuildCache.load(cache_path(out), inputs.env, inputs.root, out)
            seen = observe(inputs.root, cache.monitor, monitor)
            slugs = department_slugs(inputs.root / "departments")
            with staging_folder(out) as staging:
                previous = published_release(inputs.previous_release)
                job = Job(inputs.root, out, staging, inputs.config, inputs.profiles, inputs.base_url,
                          cache.departments, started_ns, allow_errors, previous, draft,
                          unchanged_departments(cache, seen.changed, previous), inputs.env.model,
                          inputs.env.workbooks, models=not clean)
                results = departments(job, slugs, cache, jobs, progress)
                plan = make_plan(cache, results, out, inputs.root / "departments", inputs.config, inputs.base_url)
                portal, portal_paths, staged = portal_stage(inputs, plan, results, staging)
                if portal is not None and not keep_portal:
                    portal = None         # let go for the stages after (≈ 4 KB a disclosure); it and its
                    gc.collect()          # renderer hold each other (Jinja's globals): only a collection frees them
                written = [path for r in results for path in r.written] + staged
                removed = stale_files(out, cache, results, portal_paths)
                written_bytes = sum((staging / path).stat().st_size for path in written)
                changed = bool(written or removed)
                action, index = search_stage(out, staging, cache, results, search, keep_index, changed,
                                             search_shard_size, set(written), set(removed))
                removed += manifest_stage(out, staging, portal_paths, results, plan, written, changed, action,
                                          signing_key)
                if removed or action is not None or any(staging.iterdir()):
                    commit(out, staging, removed, action)
                committed = True
            new_cache = record(out, cache, results, plan, portal_paths, changed, action)
            new_cache.monitor = seen.state
            save_stage(out, inputs.root, cache, new_cache, results, changed or action is not None or seen.renewed)
            if keep_portal and portal is None:
                portal = portal_of(inputs.config, inputs.root, inputs.profiles, [r.entry.summary for r in results])
            files = plan.facts.files + len(portal_paths)
            pages = plan.facts.pages + sum(path.endswith(".html") for path in portal_paths)
            return BuildResult(plan.facts.documents, out_dir, pages, files, written_bytes, index, len(written),
                               len(removed), sum(r.rendered for r in results),
                               "；".join(filter(None, [recovered, cache.note, inputs.note, seen.note])), portal,
                               monitor=seen.used, modelled=sum(r.modelled for r in results))
    except (WriteError, OSError) as exc:      # a write the disk refused: say so, and what became of the output
        error = refused(exc, FINISH if committed else KEPT)
        if error is exc:
            raise
        raise error from exc


# -- load ----------------------------------------------------------------------------------------

class Inputs(NamedTuple):
    """What a build reads before any department: the portal's settings and the build cache."""

    root: Path                  # the content folder (resolved)
    out: Path                   # the output folder (resolved)
    config: SiteConfig
    profiles: dict[str, Profile]
    base_url: str               # the option's, else site.yaml's ("" for none)
    env: Environment            # cache.environment: what every page (and what its model) depends on
    previous_release: Path | None    # what correction records are made against, if any
    draft: bool                 # the preview: unfinished documents are rendered as drafts
    note: str | None = None     # to tell the user (site.yaml's previous_release not published yet)


def load(content_dir: Path, out_dir: Path, base_url: str | None, search: bool, signing_key: Path | None,
         previous_release: Path | None, draft: bool, started_ns: int) -> Inputs:
    """Read the portal's settings; refuse what would fail later (no departments folder, no
    Pagefind for ``search``, a bad signing key or base URL). Nothing is written, and the output
    is not opened: the build cache is read once the output's lock is held."""
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
    problem = base_url_problem(base) if base else None   # (site.yaml's is checked where it is read; the CLI checks its option)
    if problem:
        raise SiteBuilderError(None, f"网站地址 base_url 有误：{problem}", BASE_URL_HINT)
    env = environment(root, out, {"base_url": base, **({"draft": True} if draft else {})}, started_ns)
    note = None
    if previous_release is not None and not previous_release.exists():      # the documented first publication
        note = (f"--previous-release 指向的文件夹（{previous_release}）还不存在：这是第一次发布，本次不生成更正记录"
                "（发布后，下次生成就会有）")
        previous_release = None
    elif previous_release is None and config.previous_release is not None:   # site.yaml previous_release
        previous_release = configured_release(config)
        if previous_release is None:
            note = (f"site.yaml 的 previous_release（{config.previous_release}）还没有已发布的网站：本次不生成更正记录"
                    "（第一次发布后就会有）")
    return Inputs(root, out, config, profiles, base, env, previous_release, draft, note)


@contextlib.contextmanager
def collector_frozen() -> Iterator[None]:
    """While the build runs, the collector leaves alone what exists now (the cache's objects:
    millions at 10,000 departments, alive until the build ends). Frozen, it does not walk them
    again (at 10,000: 0.3 s of this process's CPU in a no-change build, 0.1 s with them frozen),
    nor touch them in the forked workers. Unfrozen after: the preview builds again and again
    in one process."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


@contextlib.contextmanager
def staging_folder(out: Path) -> Iterator[Path]:
    """A folder beside the output for the files this build writes (:func:`journal.commit` moves
    them in); removed when the build ends, however it ends — unless the journal names it: a
    commit begun and not finished, which the next command completes from it."""
    with writing(out.parent):
        out.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=staging_prefix(out), dir=out.parent))
    try:
        yield staging
    finally:
        if not journal_path(out).exists():
            shutil.rmtree(staging, ignore_errors=True)


def published_release(path: Path | None) -> Path | None:
    """The site a ``--previous-release`` names: a publish target's current release, or a site folder."""
    if path is None:
        return None
    site = site_folder(path)
    if not (site / "index.html").is_file():
        raise ContentError(path, "不是已发布的网站（找不到 index.html）",
                           "--previous-release 应是 site-builder publish 的目标文件夹，或一个已生成的网站文件夹")
    return site


def configured_release(config: SiteConfig) -> Path | None:
    """The published site that site.yaml's ``previous_release`` names, or None when it has none
    yet (before the first publication) or none is configured."""
    if config.previous_release is None:
        return None
    site = site_folder(config.previous_release)
    return site if (site / "index.html").is_file() else None


# -- departments ---------------------------------------------------------------------------------

def unchanged_departments(cache: BuildCache, changed: frozenset[str] | None, previous: Path | None) -> frozenset[str]:
    """The departments of the cache in which the file-system monitor saw no path change: none when
    it could not say, or when pages are compared with a published release (the release, outside
    the content folder, is not watched: every department's signature includes it)."""
    if changed is None or previous is not None:
        return frozenset()
    return frozenset(cache.departments).difference(changed)


def departments(job: Job, slugs: list[str], cache: BuildCache, jobs: int | None,
                progress: Progress | None) -> list[BuiltDepartment]:
    """Every department built (workers.py), by slug; an unchanged one with its entry from the
    cache. Raises the first department's error, or CheckFailed with every checker error
    (unless the job allows errors)."""
    results: list[BuiltDepartment] = []
    for result in sorted(run_departments(job, slugs, jobs, progress), key=lambda r: r.slug):
        if result.error is not None:
            raise result.error
        entry = result.entry
        if entry is None:                     # unchanged since the last build
            if result.listing is not None:
                cache.relist(result.slug, result.listing)
            entry = cache.departments[result.slug]
        results.append(BuiltDepartment(result.slug, entry, result.rendered, result.written, result.listing,
                                       result.modelled))
    errors = [line for r in results for line in r.entry.errors]
    if errors and not job.allow_errors:
        raise CheckFailed.of(job.root, errors, None if job.draft else job.out, preview=job.draft)
    return results


# -- portal pages ------------------------------------------------------------------------

def portal_stage(inputs: Inputs, plan: Plan, results: list[BuiltDepartment],
                 staging: Path) -> tuple[Portal | None, list[str], list[str]]:
    """Render the portal pages the plan names (from every department's summary), and stage
    those that changed, with the assets. Returns the portal (when it was made), the path of
    every portal file, and those staged. (Only paths leave, and each page is staged before the
    next is rendered: the home page, the sitemap, the data package, the catalog and the year
    pages all grow with the portal; held together until staged, they were ≈ 3.8 KB a disclosure
    of the parent's peak.)"""
    paths = plan.page_paths
    portal, staged = None, []
    if plan.renders:
        portal = portal_of(inputs.config, inputs.root, inputs.profiles, [r.entry.summary for r in results])
        from .render import Renderer      # (Jinja and Markdown: imported when a page is made)
        renderer = Renderer(portal, inputs.base_url, templates_cache(inputs.out), draft=inputs.draft)
        wanted = set(paths)
        staged = [path for path, data in portal_files(portal, renderer, plan)
                  if path in wanted and stage(inputs.out, staging, path, data)]
    assets = asset_files(inputs.root)
    staged += [path for path, data in assets if stage(inputs.out, staging, path, data)]
    return portal, paths + [path for path, _ in assets], staged


def portal_files(portal: Portal, renderer: Renderer, plan: Plan) -> Iterator[tuple[str, bytes]]:
    """The portal pages the plan renders again, each made when it is taken."""
    if plan.lists:
        yield from list_files(portal, renderer)
    if plan.catalog:
        yield catalog_file(portal)
    for year in plan.years:          # only the years whose rows changed
        yield from year_files(renderer, year)


# -- search index, manifest (staged: the commit moves them in with the pages) ----------------------

def search_stage(out: Path, staging: Path, cache: BuildCache, results: list[BuiltDepartment], search: bool,
                 keep_index: bool, changed: bool, shard_size: int, written: set[str],
                 removed: set[str]) -> tuple[str | None, IndexResult | None]:
    """What becomes of the search index, and the new one if it is made: made again (``INDEX_SWAP``,
    into the staging folder, over the new pages) when the pages changed or the output has no
    sound one; without ``search``, an index of changed pages dropped (it would find what is
    gone: ``INDEX_DROP``) unless ``keep_index``; else left as it is (None)."""
    if search and not (cache.search and not changed and (out / BUNDLE_DIR).is_dir()):
        groups = [(r.slug, len(r.entry.brief.documents)) for r in results]
        return INDEX_SWAP, index_new_pages(out, staging, groups, shard_size, written, removed)
    if not search and not keep_index and changed and (out / BUNDLE_DIR).exists():
        return INDEX_DROP, None
    return None, None


def index_new_pages(out: Path, staging: Path, groups: list[tuple[str, int]], shard_size: int,
                    written: set[str], removed: set[str]) -> IndexResult:
    """Pagefind over the site as the commit will leave it, into ``staging/pagefind``: it reads a
    folder beside the output holding a hard link to every page — the staged one where the build
    wrote it, else the output's (a link costs no copy and no space; a file system that refuses
    links gets copies)."""
    tree = Path(tempfile.mkdtemp(prefix=staging_prefix(out, "index"), dir=out.parent))
    try:
        pages = {path: staging / path for path in written if path.endswith(".html")}
        for path in site_files(out):
            if path.endswith(".html") and path not in removed:
                pages.setdefault(path, out / path)
        for path, source in pages.items():
            target = tree / path
            with writing(target):
                target.parent.mkdir(parents=True, exist_ok=True)
                try:
                    os.link(source, target)
                except OSError:
                    shutil.copyfile(source, target)
        faults.point("build.index")
        return index_site(tree, groups, shard_size, bundle=staging / BUNDLE_DIR)
    finally:
        shutil.rmtree(tree, ignore_errors=True)


def manifest_stage(out: Path, staging: Path, portal_paths: list[str], results: list[BuiltDepartment], plan: Plan,
                   written: list[str], changed: bool, action: str | None, signing_key: Path | None) -> list[str]:
    """The top manifest (and its signature) staged when the output or the index changes, or the
    output has none, or it is not signed by ``signing_key``; only what was written is hashed
    again. Returns the output's files to delete besides (an old signature, the manifest being
    new and unsigned)."""
    if not (changed or action is not None or not (out / MANIFEST).exists()
            or (signing_key is not None and not signed_by(out, signing_key))):
        return []
    index = "new" if action == INDEX_SWAP else "none" if action == INDEX_DROP else "kept"
    files, drop = staged_manifest(out, staging, portal_paths, [r.slug for r in results], plan.facts.documents,
                                  set(written), index, signing_key)
    for name, data in files:
        with writing(out / name):
            (staging / name).write_bytes(data)
    faults.point("build.manifest")
    return drop


# -- cache -----------------------------------------------------------------------------------------

def record(out: Path, cache: BuildCache, results: list[BuiltDepartment], plan: Plan, portal_paths: list[str],
           changed: bool, action: str | None) -> BuildCache:
    """The build cache as the output now is: every department's entry (an unchanged one keeps
    the Entry it was loaded as, never altered, so its line is written back as read)."""
    for result in results:
        if result.rendered:
            result.entry.outputs = folders_signature(out, result.entry.folders)
    search = action == INDEX_SWAP or (action is None and cache.search and not changed and (out / BUNDLE_DIR).is_dir())
    return BuildCache(cache.environment, {r.slug: r.entry for r in results}, output_signature(out, portal_paths),
                      search=search, facts=plan.facts, model=cache.model, raw=cache.raw)


def save_stage(out: Path, root: Path, old: BuildCache, cache: BuildCache, results: list[BuiltDepartment],
               changed: bool) -> None:
    """The build cache saved, unless it would be saved as it was read (``changed``: the output
    or the index changed; a commit deletes the old cache)."""
    if changed or old.note or any(r.rendered or r.listing for r in results) or not cache_path(out).exists():
        cache.save(cache_path(out), root, out)
    if len(old.departments) != len(results) or any(r.slug not in old.departments for r in results):
        prune_models(out, {r.slug for r in results})     # (a department removed or renamed: its model goes)
