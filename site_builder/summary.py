"""What the portal's own pages (home, search page, catalog, sitemap) need of a department.

A build renders each department's pages on its own, in a worker process, and hands back only
this summary: the department's identity and, per disclosure, its identity and headline
figures. The portal pages are rendered from the summaries, so no process ever holds every
table of a large portal. The records themselves, and their JSON form in the build cache, are
in :mod:`records`.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

from .cache import digest
from .downloads import WORKBOOK
from .manifest import MANIFEST
from .model import DOWNLOAD_FORMATS, Department, Document, Portal, SiteConfig
from .profiles import Profile
from .records import Brief, DocumentSummary, Shown, Summary, Tables


def summarize(dept: Department, downloads: tuple[str, ...] = DOWNLOAD_FORMATS,
              corrected: Collection[str] = ()) -> Summary:
    """``downloads``: the portal's download formats (site.yaml), which decide the files written;
    ``corrected``: the URLs of its disclosures whose correction records the build wrote."""
    return Summary(dept.slug, dept.name, dept.code, dept.supervisor, dept.region, tuple(downloads),
                   tuple(DocumentSummary(doc.year, doc.kind, doc.profile.name, doc.title, doc.published,
                                         tuple(table.spec.id for table in doc.tables), tuple(doc.headline_figures),
                                         doc.url in corrected)
                         for doc in dept.documents))


def department_from_summary(summary: Summary, departments_dir: Path, profiles: dict[str, Profile]) -> Department:
    """A department whose disclosures carry identity and headline figures, and no tables."""
    dept = Department(slug=summary.slug, name=summary.name, path=departments_dir / summary.slug,
                      code=summary.code, supervisor=summary.supervisor, region=summary.region)
    for item in summary.documents:
        doc = Document(department=dept, year=item.year, kind=item.kind, profile=profiles[item.profile],
                       title=item.title, path=dept.path.joinpath(str(item.year), item.kind),
                       published=item.published)      # (one join for two parts: 10,000 of them)
        doc.headline_figures = list(item.headline)   # (a cached property: the summary's stand for the computed)
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
    """What the build derives the portal's facts from (build.portal_facts): the department's
    name and code, the digests of what the portal's pages show of it, its counts of files and
    pages, and each disclosure's tables. Kept in the cache beside the summary and decoded on
    its own (≈ 0.5 KB against ≈ 2 KB): at 10,000 disclosures, decoding every summary took 0.2 s
    of a build after one edit."""
    files, pages = counts(summary)
    return Brief(summary.name, summary.code, shown(summary), files, pages,
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


def outputs(summary: Summary) -> list[str]:
    """The files ``build`` writes for a department (its pages, and each disclosure's page, data
    and downloads), from its summary alone: the cache need not list them."""
    slug = summary.slug
    formats = summary.downloads
    per_table = [fmt for fmt in ("csv", "json") if fmt in formats]
    paths = [f"{slug}/index.html", f"{slug}/{MANIFEST}"]
    paths += [f"{slug}/{year}/index.html" for year in summary.years]
    for doc in summary.documents:
        url = f"{slug}/{doc.year}/{doc.kind}/"
        paths += [f"{url}index.html", f"{url}data.json"] + ([f"{url}{WORKBOOK}"] if "xlsx" in formats else [])
        paths += [f"{url}tables/{table}.{fmt}" for table in doc.tables for fmt in per_table]
        if doc.corrections:
            paths.append(f"{url}corrections.json")
    return paths


def output_folders(summary: Summary) -> list[str]:
    """The folders that hold the files ``outputs`` lists, sorted, without listing the files: the
    check of a build with no change runs this for every department (``build_department``
    compares it with ``outputs`` whenever it renders one)."""
    slug = summary.slug
    per_table = "csv" in summary.downloads or "json" in summary.downloads
    folders = {slug}
    for doc in summary.documents:
        url = f"{slug}/{doc.year}/{doc.kind}"
        folders.add(f"{slug}/{doc.year}")
        folders.add(url)
        if per_table and doc.tables:
            folders.add(f"{url}/tables")
    return sorted(folders)


def counts(summary: Summary) -> tuple[int, int]:
    """(files, HTML pages) that ``outputs`` lists, without listing them."""
    documents = summary.documents
    pages = 1 + len({d.year for d in documents}) + len(documents)
    formats = summary.downloads
    per_document = 1 + ("xlsx" in formats)                                 # data.json, the workbook
    per_table = ("csv" in formats) + ("json" in formats)
    return pages + 1 + sum(per_document + per_table * len(d.tables) + d.corrections for d in documents), pages
