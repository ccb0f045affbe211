"""The plan stage of a build: once every department is done, which of the portal's own pages
must be rendered again and which files of the output are stale.

The portal's pages show every department (home, search page, sitemap, feed and data package:
the *lists*; ``catalog.json``; each year's comparison pages), so rendering them means decoding
every department's summary. They are rendered again only when what they show changed (the
digests of records.Shown, against those the last build kept in the cache) or a file of theirs in
the output is not as the last build left it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

from .cache import BuildCache, outputs_intact
from .jsonfmt import digest
from .content import check_unique
from .config import SiteConfig
from .layout import BUNDLE_DIR, MANIFEST, SIGNATURE
from .model import Department
from .pages import department_files, figure_paths, list_paths, year_paths
from .records import Facts, Shown
from .summary import table_keys
from .workers import BuiltDepartment
from .write import site_files


class Plan(NamedTuple):
    """What the portal pages stage does: the facts it goes by, and which pages it renders again."""

    facts: Facts
    lists: bool               # render the lists again (home, search page, sitemap, feed, data package)
    catalog: bool             # render catalog.json again
    years: tuple[int, ...]    # the years whose comparison pages are rendered again

    @property
    def renders(self) -> bool:
        """Whether any portal page is rendered (then every department's summary is decoded)."""
        return self.lists or self.catalog or bool(self.years)

    @property
    def page_paths(self) -> list[str]:
        """The portal's own pages, rendered again or not (build.portal_stage adds the assets)."""
        return list(self.facts.lists) + figure_paths(self.facts.years)


def make_plan(cache: BuildCache, results: list[BuiltDepartment], out: Path, departments_dir: Path,
              config: SiteConfig, base_url: str) -> Plan:
    """The plan for the portal's pages: what they show of every department (when none changed,
    as the last build found it), against what the last build's pages showed."""
    unchanged = cache.facts is not None and len(results) == len(cache.departments) \
        and all(r.entry is cache.departments.get(r.slug) for r in results)
    facts = cache.facts if unchanged and cache.facts is not None else \
        portal_facts(departments_dir, config, base_url, results)
    before = cache.facts.shown if cache.facts is not None else None
    # a page whose file in the output was edited, replaced or deleted is rendered again
    reuse = {path for path, _, _ in cache.portal_outputs} if cache.portal_outputs \
        and outputs_intact(out, cache.portal_outputs) else set()
    shown = facts.shown
    return Plan(facts,
                lists=not (before is not None and shown.lists == before.lists and set(facts.lists) <= reuse),
                catalog=not (before is not None and shown.catalog == before.catalog and "catalog.json" in reuse),
                years=tuple(year for year in facts.years
                            if before is None or shown.years[year] != before.years.get(year)
                            or not set(year_paths(year)) <= reuse))


def portal_facts(departments_dir: Path, config: SiteConfig, base_url: str, results: list[BuiltDepartment]) -> Facts:
    """What the build derives from every department's brief (summary.brief), and checks there
    (no two departments share a name or code): the digests of what the portal's pages show of
    them, the years, the data package's list files, and the counts. Kept in the cache: when no
    department changed, the next build takes them from there instead of decoding every brief."""
    briefs = [r.entry.brief for r in results]
    names, codes = [b.name for b in briefs], [b.code for b in briefs if b.code is not None]
    if len(set(names)) < len(names) or len(set(codes)) < len(codes):   # (a Path per department costs
        check_unique([Department(r.slug, b.name, departments_dir / r.slug, b.code)    # time, made only to say
                      for r, b in zip(results, briefs, strict=True)])    # which folder; docs/performance.md#plan-paths)
    years = sorted({document.year for b in briefs for document in b.documents}, reverse=True)
    shown = Shown(digest([b.shown.lists for b in briefs]), digest([b.shown.catalog for b in briefs]),
                  {year: digest([b.shown.years.get(year) for b in briefs]) for year in years})
    return Facts(shown, tuple(years), tuple(list_paths(base_url, table_keys(briefs) if "csv" in config.downloads else [])),
                 sum(len(b.documents) for b in briefs), sum(b.files for b in briefs), sum(b.pages for b in briefs))


def stale_files(out: Path, cache: BuildCache, results: list[BuiltDepartment], portal_paths: list[str]) -> list[str]:
    """Files in the output that this build does not make: those of departments that are gone,
    those a rendered department no longer makes (and strays in its folders), old portal files.
    Without a record of the last build: whatever in the output folder is not made now."""
    if not (cache.departments or cache.portal_outputs):
        return unrecorded_files(out, results, portal_paths)
    stale = {o[0] for o in cache.portal_outputs} - set(portal_paths)
    present = {r.slug for r in results}
    for slug, entry in cache.departments.items():
        if slug not in present:
            stale.update(department_files(entry.summary))
    for result in results:
        if result.rendered:
            old = cache.departments.get(result.slug)
            before = set(site_files(out, result.slug)) | (set(department_files(old.summary)) if old else set())
            stale |= before - set(department_files(result.entry.summary))
    return sorted(stale)


def unrecorded_files(out: Path, results: list[BuiltDepartment], portal_paths: list[str]) -> list[str]:
    """Without a record of the last build (``--clean``): what the output holds that this build
    does not make, but the manifest (updated last) and the search index. Walked a top folder at
    a time, each department's against its own files (all of them live under its slug): every
    path made and found, held at once, was ≈ 4 KB a disclosure of the parent's peak."""
    if not out.is_dir():
        return []
    made = {r.slug: r.entry.summary for r in results}
    expected = {*portal_paths, MANIFEST, SIGNATURE}
    stale: list[str] = []
    with os.scandir(out) as entries:
        for entry in entries:
            if entry.is_dir():
                if entry.name == BUNDLE_DIR or entry.is_symlink():   # (site_files: not walked)
                    continue
                summary = made.get(entry.name)
                own = set(department_files(summary)) if summary is not None else set()
                stale += [path for path in site_files(out, entry.name) if path not in own and path not in expected]
            elif entry.name not in expected:
                stale.append(entry.name)
    return sorted(stale)
