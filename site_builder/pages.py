"""What each file of the site is and where it goes: the one list, and the functions that make them.

A department's files are listed once, by :func:`department_files` from its summary (records.py)
alone: the build cache keeps no list of them, and the stale files of a changed or removed
department are found from it. The functions that make the files (:func:`department_output`,
:func:`department_pages`, :func:`document_pages`) go through the same lists
(:func:`department_page_paths`, :func:`document_files`), so what is written and what is
recorded cannot differ. The portal's own pages likewise: :func:`list_paths` and
:func:`year_paths` name them, from the departments' briefs when nothing is rendered, and
:func:`list_files` and :func:`year_files` make exactly those.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from .catalog import catalog, document_data
from .corrections import CORRECTIONS, history
from .datapackage import package_files, package_paths
from . import coverage
from .downloads import FOLDER, table_csv, table_json
from .headlines import YEAR_SORTS
from .jsonfmt import json_text
from .layout import MANIFEST
from .manifest import department_manifest
from .layout import WORKBOOK
from .model import Department, Document, Portal
from .records import Summary

if TYPE_CHECKING:
    from .render import Renderer

Page = tuple[str, bytes]   # (path in the site, its bytes)


# -- a department's files ----------------------------------------------------------------------

class File(NamedTuple):
    """One file of a disclosure: its path in the disclosure's folder and what it is."""

    name: str
    kind: str                  # page, data, workbook, csv, json, corrections
    table: int | None = None   # csv, json: which of its tables (by position)


def document_files(tables: Iterable[str], formats: Iterable[str], corrections: bool) -> list[File]:
    """A disclosure's files: its page, data.json, the workbook of all its tables (XLSX), each
    table as CSV and JSON (those of the portal's download ``formats``) and, when the build
    made any, its correction records. ``tables``: its tables' ids."""
    formats = tuple(formats)
    files = [File("index.html", "page"), File("data.json", "data")]
    if "xlsx" in formats:
        files.append(File(WORKBOOK, "workbook"))
    per_table = [fmt for fmt in ("csv", "json") if fmt in formats]
    files += [File(f"{FOLDER}/{table}.{fmt}", fmt, index) for index, table in enumerate(tables) for fmt in per_table]
    if corrections:
        files.append(File(CORRECTIONS, "corrections"))
    return files


def department_page_paths(slug: str, years: Iterable[int]) -> list[str]:
    """A department's page and its year pages (``years``: newest first)."""
    return [f"{slug}/index.html", *(f"{slug}/{year}/index.html" for year in years)]


def department_files(summary: Summary) -> list[str]:
    """Every file ``build`` writes for a department, in the order :func:`department_output`
    makes them: its pages, each disclosure's files, and its manifest."""
    slug = summary.slug
    paths = department_page_paths(slug, summary.years)
    for doc in summary.documents:
        url = f"{slug}/{doc.year}/{doc.kind}/"
        paths += [url + file.name for file in document_files(doc.tables, summary.downloads, doc.corrections)]
    paths.append(f"{slug}/{MANIFEST}")
    return paths


def output_folders(summary: Summary) -> list[str]:
    """The folders that hold a department's files, sorted (the build cache records their times:
    a file written, replaced or deleted there changes its folder's time)."""
    return sorted({path.rpartition("/")[0] for path in department_files(summary)})


def department_output(dept: Department, renderer: Renderer, out: Path | None = None,
                      previous: Path | None = None, workbooks: Mapping[str, bytes] | None = None) -> list[Page]:
    """Every file of a department (as :func:`department_files` lists them): its pages, each
    disclosure's files (:func:`document_pages`) and the manifest of them all. ``workbooks``: the
    XLSX of disclosures (by path in the site) as an earlier build made them from the same model
    and code (modelcache.py), used as they are."""
    documents = [page for doc in dept.documents
                 for page in document_pages(doc, renderer, out, previous, (workbooks or {}).get(doc.url + WORKBOOK))]
    pages = department_pages(dept, renderer) + documents   # (made after: they show each one's 更新日期)
    pages.append(department_manifest(dept.slug, pages))
    return pages


def department_pages(dept: Department, renderer: Renderer) -> list[Page]:
    """A department's page and its year pages (they show its documents' headline figures)."""
    texts = [renderer.department(dept), *(renderer.department_year(dept, year) for year in dept.years)]
    return [(path, text.encode("utf-8")) for path, text in
            zip(department_page_paths(dept.slug, dept.years), texts, strict=True)]


def document_pages(doc: Document, renderer: Renderer, out: Path | None = None,
                   previous: Path | None = None, workbook: bytes | None = None) -> list[Page]:
    """A disclosure's files (:func:`document_files`); the page is made last, as it links to the
    others with their sizes. With ``out`` (the output folder) its correction records, compared
    with the ``previous`` release (corrections.py). ``workbook``: its XLSX as an earlier build
    made it from the same model and code, used as it is (the XLSX shows no template's work)."""
    data = document_data(doc)
    prose = renderer.prose_of(doc)
    data["prose"] = renderer.prose(doc, prose)
    records = history(data, doc.url, previous, out) if out is not None else []
    doc.updated = records[-1]["date"] if records else None
    files = document_files((table.spec.id for table in doc.tables), renderer.portal.config.downloads, bool(records))
    made: dict[str, bytes] = {}
    csv_texts: dict[int, str] = {}
    for file in files[1:]:                      # (files[0] is the page)
        if file.kind == "data":
            made[file.name] = json_text(data).encode("utf-8")
        elif file.kind == "workbook":
            from .workbook import document_workbook   # (imported where a page is made, not in every build)
            made[file.name] = workbook if workbook is not None else document_workbook(doc)
        elif file.table is not None:             # csv, json: one of its tables
            if file.kind == "csv":
                text = csv_texts[file.table] = table_csv(doc.tables[file.table])
            else:
                text = table_json(data, data["tables"][file.table])
            made[file.name] = text.encode("utf-8")
        else:
            made[file.name] = json_text(records).encode("utf-8")
    coverage.check_document(doc, data, csv_texts)    # no printed number lost on the way
    sizes = {name: len(content) for name, content in made.items()}
    page = renderer.document(doc, sizes, records, prose).encode("utf-8")
    return [(f"{doc.url}{files[0].name}", page), *((doc.url + name, content) for name, content in made.items())]


# -- the portal's own pages ----------------------------------------------------------------------

def portal_pages(portal: Portal, renderer: Renderer) -> list[Page]:
    """Every page that shows every department (``list_files`` and ``figure_files``; ``build``
    renders each group only when what it shows has changed)."""
    return [*list_files(portal, renderer), *figure_files(portal, renderer)]


def year_paths(year: int) -> list[str]:
    """A year's comparison page and its copy sorted by each column."""
    return [f"years/{year}/index.html", *(f"years/{year}/by-{key}/index.html" for key in YEAR_SORTS)]


def year_files(renderer: Renderer, year: int) -> Iterator[Page]:
    """A year's pages, each rendered when it is taken (see ``list_files``)."""
    for path, sort in zip(year_paths(year), [None, *YEAR_SORTS], strict=True):
        yield path, renderer.year(year, sort).encode("utf-8")


def figure_paths(years: Iterable[int]) -> list[str]:
    """The portal pages that show every disclosure's figures: the catalog and the year pages."""
    return ["catalog.json", *(path for year in sorted(years, reverse=True) for path in year_paths(year))]


def catalog_file(portal: Portal) -> Page:
    return "catalog.json", json_text(catalog(portal)).encode("utf-8")


def figure_files(portal: Portal, renderer: Renderer) -> list[Page]:
    files = [catalog_file(portal)]
    for year in portal.years:
        files += year_files(renderer, year)
    return files


LIST_PAGES = ["index.html", "search/index.html", "404.html", "robots.txt", "glossary/index.html"]
WITH_BASE_URL = ["sitemap.xml", "feed.xml"]      # (absolute addresses: only with a base URL)


def list_paths(base_url: str, tables: list[tuple[str, int, str]]) -> list[str]:
    """The portal pages that list every department or disclosure (rendered by ``list_files``);
    ``tables``: (profile, year, table id) of every disclosure's tables (the data package)."""
    return LIST_PAGES + (WITH_BASE_URL if base_url else []) + package_paths(tables)


def list_files(portal: Portal, renderer: Renderer) -> Iterator[Page]:
    """Home, search page, 404 page, robots.txt, the glossary, with a base URL the sitemap and the
    Atom feed, and the data package (``datapackage.json`` and its table schemas): the files
    ``list_paths`` names, in its order. Each is rendered when it is taken: ``build`` stages one
    before the next is made, as every one of them grows with the portal (held at once, they
    were ≈ 3.8 KB a disclosure of the parent's peak)."""
    base = renderer.base_url
    makers = {"index.html": renderer.home, "search/index.html": renderer.search, "404.html": renderer.not_found,
              "robots.txt": lambda: "User-agent: *\nAllow: /\n" + (f"Sitemap: {base}sitemap.xml\n" if base else ""),
              "glossary/index.html": renderer.glossary_page, "sitemap.xml": lambda: sitemap_text(portal, base),
              "feed.xml": renderer.feed}
    # (the data package's files are named by datapackage.package_paths, for package_files too)
    for path in list_paths(base, []):
        yield path, makers[path]().encode("utf-8")
    yield from package_files(portal)


def sitemap_text(portal: Portal, base_url: str) -> str:
    """sitemap.xml with absolute URLs (only with a base URL)."""
    paths = ["", "glossary/"]
    for dept in portal.departments:
        paths.append(f"{dept.slug}/")
        paths.extend(f"{dept.slug}/{year}/" for year in dept.years)
        paths.extend(doc.url for doc in dept.documents)
    urls = "".join(f"  <url><loc>{html.escape(base_url + p, quote=False)}</loc></url>\n" for p in paths)   # (& in a path)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n' + urls + "</urlset>\n")

