"""``build()``: load → render → write, in that order, and nothing written until all succeeded."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from collections.abc import Callable

from .catalog import catalog, document_data
from .checks import run_checks
from .errors import SiteBuilderError
from .content import load_portal
from .model import Department, Document, Portal
from .render import BUILTIN_TEMPLATES, Renderer
from .search import DEFAULT_SHARD_SIZE, IndexResult, index_site
from .write import SiteWriter, atomic_output, json_text

Progress = Callable[[int, int], None]


class CheckFailed(SiteBuilderError):
    """The checker found errors; nothing was written."""


@dataclass
class BuildResult:
    portal: Portal
    out_dir: Path
    pages: int
    files: int
    bytes: int
    search: IndexResult | None = None


def build(content_dir: Path, out_dir: Path, base_url: str | None = None,
          progress: Progress | None = None, allow_errors: bool = False, search: bool = True,
          search_shard_size: int = DEFAULT_SHARD_SIZE) -> BuildResult:
    """Build the portal in ``content_dir`` into ``out_dir`` (replaced only on success).

    Stages: load → check (errors stop the build unless ``allow_errors``) → render → write →
    search index (Pagefind over the written pages; ``search=False`` skips it).
    """
    portal = load_portal(content_dir)
    if not allow_errors:
        refuse_errors(portal, content_dir)
    renderer = Renderer(portal, portal.config.base_url if base_url is None else base_url)
    with atomic_output(out_dir) as writer:
        pages = write_pages(portal, renderer, writer, progress)
        write_assets(portal, writer)
        write_sitemap(portal, renderer.base_url, writer)
        groups = [(dept.slug, len(dept.documents)) for dept in portal.departments]
        index = index_site(writer.root, groups, search_shard_size) if search else None
    return BuildResult(portal, out_dir, pages, writer.files, writer.bytes, index)


def refuse_errors(portal: Portal, content_dir: Path, documents: list[Document] | None = None) -> None:
    """Raise CheckFailed when the checker finds an error (in ``documents``, or in the whole portal)."""
    errors = [f for f in run_checks(portal, documents=documents) if f.severity == "error"]
    if errors:
        details = "\n".join(f"  {f.location}: [{f.rule}] {f.message}" for f in errors[:20])
        raise CheckFailed(content_dir, f"检查发现 {len(errors)} 个错误，未生成网站（原网站保持不变）：\n{details}",
                          "改正后重新生成；仅预览时可加 --allow-errors")


Page = tuple[str, str]   # (path in the site, text)


def portal_pages(portal: Portal, renderer: Renderer) -> list[Page]:
    """The pages that show every department: the home grid, the search page, the catalog."""
    return [("index.html", renderer.home()), ("search/index.html", renderer.search()),
            ("catalog.json", json_text(catalog(portal)))]


def department_pages(dept: Department, renderer: Renderer) -> list[Page]:
    """A department's page and its year pages (they show its documents' headline figures)."""
    return [(f"{dept.slug}/index.html", renderer.department(dept)),
            *((f"{dept.slug}/{year}/index.html", renderer.department_year(dept, year)) for year in dept.years)]


def document_pages(doc: Document, renderer: Renderer) -> list[Page]:
    """A disclosure's page and its data.json."""
    return [(f"{doc.url}index.html", renderer.document(doc)), (f"{doc.url}data.json", json_text(document_data(doc)))]


def write_pages(portal: Portal, renderer: Renderer, writer: SiteWriter, progress: Progress | None) -> int:
    total = len(portal.documents)
    pages = done = 0
    for path, text in portal_pages(portal, renderer):
        writer.write_text(path, text)
        pages += path.endswith(".html")
    for dept in portal.departments:
        for path, text in department_pages(dept, renderer):
            writer.write_text(path, text)
            pages += 1
        for doc in dept.documents:
            for path, text in document_pages(doc, renderer):
                writer.write_text(path, text)
            pages += 1
            done += 1
            if progress:
                progress(done, total)
    return pages


def write_assets(portal: Portal, writer: SiteWriter) -> None:
    """Built-in assets, then the portal's own (``templates/assets``) over them."""
    files: dict[str, Path] = {}
    for folder in (BUILTIN_TEMPLATES / "assets", portal.root / "templates" / "assets"):
        if folder.is_dir():
            for item in sorted(folder.rglob("*")):
                if item.is_file():
                    files[item.relative_to(folder).as_posix()] = item
    for name, path in sorted(files.items()):
        writer.write_bytes(f"assets/{name}", path.read_bytes())


def write_sitemap(portal: Portal, base_url: str, writer: SiteWriter) -> None:
    """sitemap.xml with absolute URLs; only when a base URL is known."""
    if not base_url:
        return
    paths = [""]
    for dept in portal.departments:
        paths.append(f"{dept.slug}/")
        paths.extend(f"{dept.slug}/{year}/" for year in dept.years)
        paths.extend(doc.url for doc in dept.documents)
    urls = "".join(f"  <url><loc>{base_url}{p}</loc></url>\n" for p in paths)
    writer.write_text("sitemap.xml", '<?xml version="1.0" encoding="UTF-8"?>\n'
                      '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n' + urls + "</urlset>\n")
