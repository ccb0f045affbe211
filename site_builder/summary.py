"""What the portal's own pages (home, search page, catalog, sitemap) need of a department.

A build renders each department's pages on its own, in a worker process, and hands back only
this summary: the department's identity and, per disclosure, its identity and headline
figures. The portal pages are rendered from the summaries, so no process ever holds every
table of a large portal. The records themselves, and their JSON form in the build cache, are
in :mod:`records`; the files a summary stands for, in :mod:`pages`.
"""

from __future__ import annotations

from pathlib import Path

from .config import SiteConfig
from .jsonfmt import digest
from .model import DOWNLOAD_FORMATS, Department, Document, Portal
from .pages import department_files
from .profiles import Profile
from .records import Brief, DocumentSummary, Shown, Summary, Tables


def summarize(dept: Department, downloads: tuple[str, ...] = DOWNLOAD_FORMATS) -> Summary:
    """The department's summary; ``downloads``: the portal's download formats (site.yaml), which
    decide the files written. A disclosure whose correction records the build wrote has its
    ``updated`` date (pages.document_pages sets it)."""
    return Summary(dept.slug, dept.name, dept.code, dept.supervisor, dept.region, tuple(downloads),
                   tuple(DocumentSummary(doc.year, doc.kind, doc.profile.name, doc.title, doc.published,
                                         tuple(table.spec.id for table in doc.tables), tuple(doc.headline_figures),
                                         doc.updated)
                         for doc in dept.documents))


def department_from_summary(summary: Summary, departments_dir: Path, profiles: dict[str, Profile]) -> Department:
    """A department whose disclosures carry identity and headline figures, and no tables."""
    dept = Department(slug=summary.slug, name=summary.name, path=departments_dir / summary.slug,
                      code=summary.code, supervisor=summary.supervisor, region=summary.region)
    for item in summary.documents:
        doc = Document(department=dept, year=item.year, kind=item.kind, profile=profiles[item.profile],
                       title=item.title, path=dept.path.joinpath(str(item.year), item.kind),
                       published=item.published, updated=item.updated)   # (one join for two parts: 10,000 of them)
        doc.headline_figures = list(item.headline)   # (a cached property: given, as there are no tables)
        dept.documents.append(doc)
    return dept


def shown(summary: Summary) -> Shown:
    """Digests of what the portal's pages show of a department: the lists (home, search page,
    sitemap, feed: names, regions, which disclosures, their titles and dates), the catalog (also
    headline figures), and what each year's comparison pages show of it."""
    data = summary.to_json()
    lists = [summary.slug, summary.name, summary.region,
             [[d["year"], d["kind"], d["title"], d["published"]] for d in data["documents"]]]
    years = {year: digest([summary.slug, summary.name,
                           [[d["kind"], d["headline"]] for d in data["documents"] if d["year"] == year]])
             for year in sorted({d.year for d in summary.documents})}
    return Shown(digest(lists), digest(data), years)


def brief(summary: Summary) -> Brief:
    """What the build derives the portal's facts from (plan.portal_facts): the department's
    name and code, the digests of what the portal's pages show of it, its counts of files and
    pages, and each disclosure's tables. Kept in the cache beside the summary and decoded on
    its own (≈ 0.5 KB against ≈ 2 KB): at 10,000 disclosures, decoding every summary took 0.2 s
    of a build after one edit."""
    files = department_files(summary)
    return Brief(summary.name, summary.code, shown(summary), len(files), sum(path.endswith(".html") for path in files),
                 tuple(Tables(d.profile, d.year, list(d.tables)) for d in summary.documents))


def table_keys(briefs: list[Brief]) -> list[tuple[str, int, str]]:
    """(profile, year, table id) of every table the departments publish, each once (the data
    package's schemas), from their ``brief``. Tables are gathered a disclosure at a time: at
    10,000 disclosures a tuple per table took 0.14 s of a no-change build."""
    tables: dict[tuple[str, int], set[str]] = {}
    for item in briefs:
        for document in item.documents:
            tables.setdefault((document.profile, document.year), set()).update(document.ids)
    return [(profile, year, table) for (profile, year), ids in tables.items() for table in ids]


def portal_of(config: SiteConfig, root: Path, profiles: dict[str, Profile], summaries: list[Summary]) -> Portal:
    """The portal as its own pages need it, from the departments' summaries."""
    return Portal(config, root, [department_from_summary(s, root / "departments", profiles) for s in summaries])
