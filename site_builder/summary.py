"""What the portal's own pages (home, search page, catalog, sitemap) need of a department.

A build renders each department's pages on its own, in a worker process, and hands back only
this summary: the department's identity and, per disclosure, its identity and headline
figures. The portal pages are rendered from the summaries, so no process ever holds every
table of a large portal. Summaries are plain JSON data (they are kept in the build cache).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from .cache import digest
from .downloads import WORKBOOK
from .manifest import MANIFEST
from .model import DOWNLOAD_FORMATS, Department, Document, Portal, SiteConfig
from .profiles import Profile


def summarize(dept: Department, downloads: tuple[str, ...] = DOWNLOAD_FORMATS) -> dict[str, Any]:
    """``downloads``: the portal's download formats (site.yaml), which decide the files written."""
    return {
        "slug": dept.slug, "name": dept.name, "code": dept.code, "supervisor": dept.supervisor,
        "region": dept.region, "downloads": list(downloads),
        "documents": [{"year": doc.year, "kind": doc.kind, "profile": doc.profile.name, "title": doc.title,
                       "published": doc.published, "tables": [table.spec.id for table in doc.tables],
                       "headline": [[label, text, unit, role, str(value)]
                                    for label, text, unit, role, value in doc.headline_figures]}
                      for doc in dept.documents],
    }


def department_from_summary(summary: dict[str, Any], departments_dir: Path,
                            profiles: dict[str, Profile]) -> Department:
    """A department whose disclosures carry identity and headline figures, and no tables."""
    dept = Department(slug=summary["slug"], name=summary["name"], path=departments_dir / summary["slug"],
                      code=summary["code"], supervisor=summary["supervisor"], region=summary["region"])
    for item in summary["documents"]:
        doc = Document(department=dept, year=item["year"], kind=item["kind"], profile=profiles[item["profile"]],
                       title=item["title"], path=dept.path.joinpath(str(item["year"]), item["kind"]),
                       published=item.get("published"))      # (one join for two parts: 10,000 of them)
        # (a cached property: the summary's figures stand for those computed from the tables)
        doc.headline_figures = [(label, text, unit, role, Decimal(value))
                                for label, text, unit, role, value in item["headline"]]
        dept.documents.append(doc)
    return dept


def shown(summary: dict[str, Any]) -> list[Any]:
    """Digests of what the portal's pages show of a department: [the lists (home, search page,
    sitemap, feed: names, regions, which disclosures, their titles and dates), the catalog (also
    headline figures), {year: what that year's comparison pages show of it}]."""
    lists = [summary["slug"], summary["name"], summary["region"],
             [[d["year"], d["kind"], d["title"], d.get("published")] for d in summary["documents"]]]
    years = {str(year): digest([summary["slug"], summary["name"],
                                [[d["kind"], d["headline"]] for d in summary["documents"] if d["year"] == year]])
             for year in sorted({d["year"] for d in summary["documents"]})}
    return [digest(lists), digest(summary), years]


def brief(summary: dict[str, Any]) -> dict[str, Any]:
    """What the build derives the portal's facts from (build.portal_facts): the department's
    name and code, the digests of what the portal's pages show of it, its counts of files and
    pages, and each disclosure's [profile, year, table ids]. Kept in the cache beside the
    summary and decoded on its own (≈ 0.5 KB against ≈ 2 KB): at 10,000 disclosures, decoding
    every summary took 0.2 s of a build after one edit."""
    files, pages = counts(summary)
    return {"name": summary["name"], "code": summary["code"], "shown": shown(summary), "files": files,
            "pages": pages, "documents": [[d["profile"], d["year"], d["tables"]] for d in summary["documents"]]}


def table_keys(briefs: list[dict[str, Any]]) -> list[tuple[str, int, str]]:
    """(profile, year, table id) of every table the departments publish, each once (the data
    package's schemas), from their ``brief``. Tables are gathered a disclosure at a time: at
    10,000 disclosures a tuple per table took 0.14 s of a no-change build."""
    tables: dict[tuple[str, int], set[str]] = {}
    for item in briefs:
        for profile, year, ids in item["documents"]:
            tables.setdefault((profile, year), set()).update(ids)
    return [(profile, year, table) for (profile, year), ids in tables.items() for table in ids]


def portal_of(config: SiteConfig, root: Path, profiles: dict[str, Profile], summaries: list[dict[str, Any]]) -> Portal:
    """The portal as its own pages need it, from the departments' summaries."""
    return Portal(config, root, [department_from_summary(s, root / "departments", profiles) for s in summaries])


def outputs(summary: dict[str, Any]) -> list[str]:
    """The files ``build`` writes for a department (its pages, and each disclosure's page, data
    and downloads), from its summary alone: the cache need not list them."""
    slug = summary["slug"]
    formats = summary.get("downloads", DOWNLOAD_FORMATS)
    per_table = [fmt for fmt in ("csv", "json") if fmt in formats]
    paths = [f"{slug}/index.html", f"{slug}/{MANIFEST}"]
    paths += [f"{slug}/{year}/index.html" for year in sorted({d["year"] for d in summary["documents"]}, reverse=True)]
    for doc in summary["documents"]:
        url = f"{slug}/{doc['year']}/{doc['kind']}/"
        paths += [f"{url}index.html", f"{url}data.json"] + ([f"{url}{WORKBOOK}"] if "xlsx" in formats else [])
        paths += [f"{url}tables/{table}.{fmt}" for table in doc["tables"] for fmt in per_table]
        if doc.get("corrections"):
            paths.append(f"{url}corrections.json")
    return paths


def output_folders(summary: dict[str, Any]) -> list[str]:
    """The folders that hold the files ``outputs`` lists, sorted, without listing the files: the
    check of a build with no change runs this for every department (``build_department``
    compares it with ``outputs`` whenever it renders one)."""
    slug = summary["slug"]
    formats = summary.get("downloads", DOWNLOAD_FORMATS)
    per_table = "csv" in formats or "json" in formats
    folders = {slug}
    for doc in summary["documents"]:
        url = f"{slug}/{doc['year']}/{doc['kind']}"
        folders.add(f"{slug}/{doc['year']}")
        folders.add(url)
        if per_table and doc["tables"]:
            folders.add(f"{url}/tables")
    return sorted(folders)


def counts(summary: dict[str, Any]) -> tuple[int, int]:
    """(files, HTML pages) that ``outputs`` lists, without listing them."""
    documents = summary["documents"]
    pages = 1 + len({d["year"] for d in documents}) + len(documents)
    formats = summary.get("downloads", DOWNLOAD_FORMATS)
    per_document = 1 + ("xlsx" in formats)                                 # data.json, the workbook
    per_table = ("csv" in formats) + ("json" in formats)
    return pages + 1 + sum(per_document + per_table * len(d["tables"]) + bool(d.get("corrections"))
                           for d in documents), pages
