"""Render pages with Jinja2 (stage 3): the portal's templates first, then the built-in ones.

Templates see the model through a small, documented context (``page_context``); a portal
template can extend a built-in one with the ``default/`` prefix
(``{% extends "default/document.html" %}``).
"""

from __future__ import annotations

import functools
import hashlib
import re
import threading
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jinja2
import markdown as md
from markdown.extensions.sane_lists import SaneListExtension
from markdown.extensions.tables import TableExtension
from markupsafe import Markup

from .charts import TrendChart, document_charts, trend_chart
from .downloads import file_size
from .errors import SiteBuilderError, Location, TemplateError
from .checks.placeholders import PLACEHOLDER_RULE, placeholders
from .explain import render_explanation, render_markdown_file
from .glossary import PAGE as GLOSSARY_PAGE, Glossary, load_glossary
from .model import KIND_ORDER, KINDS, Department, Document, Portal
from .numbers import money, percent, plain_number
from .profiles import fill_year
from .write import source_date
from .tableview import document_view, form_labels, indicator_rows, target_rows


def _builtin_templates() -> Path:
    """The templates the tool ships: in an installed wheel inside the package (pyproject.toml maps
    the checkout's templates/ to site_builder/templates), in a source checkout beside it."""
    packaged = Path(__file__).resolve().parent / "templates"
    return packaged if packaged.is_dir() else packaged.parent.parent / "templates"


BUILTIN_TEMPLATES = _builtin_templates()
FEED_ENTRIES = 100


def make_environment(portal_templates: Path | None, bytecode_dir: Path | None = None) -> jinja2.Environment:
    """The template environment; ``bytecode_dir`` keeps compiled templates between builds (Jinja
    checks each template's source before using its compiled form)."""
    builtin = jinja2.FileSystemLoader(str(BUILTIN_TEMPLATES))
    loaders: list[jinja2.BaseLoader] = []
    if portal_templates and portal_templates.is_dir():
        loaders.append(jinja2.FileSystemLoader(str(portal_templates)))
    loaders.append(builtin)
    loaders.append(jinja2.PrefixLoader({"default": builtin}))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=jinja2.select_autoescape(["html", "xml"], default_for_string=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        bytecode_cache=jinja2.FileSystemBytecodeCache(str(bytecode_dir)) if bytecode_dir else None,
    )
    env.filters["markdown"] = render_markdown
    env.filters["money"] = money
    env.filters["filesize"] = file_size
    env.globals.update(form_labels=form_labels, indicator_rows=indicator_rows, target_rows=target_rows)
    return env


_MARKDOWN = threading.local()   # one converter per thread: building one costs more than converting a page

# The inline patterns Markdown registers with our extensions, and what each needs to match: a
# backtick, a backslash, [ (links, images, references), < (autolinks, raw HTML), & (entities),
# * or _ (emphasis), or two spaces before a line break. A text with none of them comes out of
# the inline stage as it went in, so the stage is skipped for it (most of a disclosure's prose:
# Chinese text and figures). Another set of patterns (a Markdown upgrade) turns the shortcut off.
_INLINE_PATTERNS = {"backtick", "escape", "reference", "link", "image_link", "image_reference",
                    "short_reference", "short_image_ref", "autolink", "automail", "linebreak", "html",
                    "entity", "em_strong", "em_strong2", "not_strong"}
_INLINE_TRIGGER = re.compile(r"[`\\\[<&*_]|  \n")


class _InlineProcessor(md.treeprocessors.InlineProcessor):
    """Markdown's inline stage, but a text no inline pattern can match is returned at once."""

    def _InlineProcessor__handleInline(self, data: str, patternIndex: int = 0) -> str:   # noqa: N802, N803
        if _INLINE_TRIGGER.search(data) is None:
            return data
        return super()._InlineProcessor__handleInline(data, patternIndex)


def _converter() -> md.Markdown:
    # extensions as objects: named by text, Markdown looks them up among the installed
    # packages' entry points first (0.16 s here, once per process: half of a one-edit build's renders)
    converter = md.Markdown(extensions=[SaneListExtension(), TableExtension()], output_format="html")
    if {pattern.name for pattern in converter.inlinePatterns._priority} <= _INLINE_PATTERNS:
        converter.treeprocessors.register(_InlineProcessor(converter), "inline", 20)
    return converter


@functools.lru_cache(maxsize=512)   # (≈ 5 KB an entry)
def _markdown_html(text: str) -> str:
    """Markdown's HTML for ``text``; remembered, as every disclosure of a portal repeats some
    prose word for word (the 名词解释, standard paragraphs): 45 % of the conversions of a
    synthetic portal, a quarter of their time."""
    converter = getattr(_MARKDOWN, "converter", None)
    if converter is None:
        converter = _MARKDOWN.converter = _converter()
    return converter.reset().convert(text)


def render_markdown(text: str) -> Markup:
    """Markdown to HTML. Content is written by the portal's own staff, so raw HTML is kept."""
    return Markup(_markdown_html(text or ""))


def headline(doc: Document) -> list[tuple[str, str, str]]:
    """The document's headline figures: (label, text, unit), as the profile defines them."""
    return [(label, text, unit) for label, text, unit, _, _ in headline_values(doc)]


def headline_item(doc: Document, role: str) -> tuple[str, str, Decimal] | None:
    """(text, unit, value) of the headline figure with ``role`` (e.g. total_expenditure), if any."""
    return next(((text, unit, value) for _, text, unit, r, value in headline_values(doc) if r == role), None)


def figure(doc: Document, role: str) -> Decimal | None:
    """The value of the headline figure with ``role``, if any."""
    item = headline_item(doc, role)
    return item[2] if item else None


def year_summary(documents: list[Document]) -> list[tuple[str, str, str]]:
    """Figures that need two kinds of document of one year: 预算执行率 = 决算支出 / 预算支出."""
    by_kind = {d.kind: d for d in documents}
    if "budget" in by_kind and "final-accounts" in by_kind:
        budget = figure(by_kind["budget"], "total_expenditure")
        actual = figure(by_kind["final-accounts"], "total_expenditure")
        if budget and actual is not None:
            return [("预算总额", money(budget), by_kind["budget"].profile.tables[0].unit),
                    ("决算总额", money(actual), by_kind["final-accounts"].profile.tables[0].unit),
                    ("决算占预算", percent(actual, budget) or "", "")]
    return []


# The year page's columns: (key, heading, kind of disclosure, headline role); “rate” is computed.
YEAR_COLUMNS = [("budget", "预算支出总计", "budget", "total_expenditure"),
                ("final", "决算支出合计", "final-accounts", "total_expenditure"),
                ("rate", "决算占预算", None, None),
                ("three", "“三公”经费决算数", "final-accounts", "three_public"),
                ("score", "绩效自评得分", "performance", "score")]
YEAR_SORTS = ["budget", "final", "rate", "three", "score"]     # each has a pre-sorted view (no JavaScript)


def year_cells(documents: list[Document]) -> dict[str, dict[str, Any] | None]:
    """One department's figures of one year by YEAR_COLUMNS: {key: {text, unit, value, href}}
    (href: the disclosure's page from the site root), None where it has no such figure."""
    by_kind = {d.kind: d for d in documents}
    cells: dict[str, dict[str, Any] | None] = {}
    for key, _, kind, role in YEAR_COLUMNS:
        doc = by_kind.get(kind) if kind else None
        found = headline_item(doc, role) if doc else None
        cells[key] = {"text": found[0], "unit": found[1], "value": found[2], "href": f"{doc.url}index.html"} \
            if found else None
    budget, final = cells["budget"], cells["final"]
    rate = percent(final["value"], budget["value"]) if budget and final and budget["unit"] == final["unit"] else None
    cells["rate"] = {"text": rate, "unit": "", "value": Decimal(rate[:-1]), "href": None} if rate else None
    return cells


def department_years(dept: Department) -> tuple[list[int], list[dict[str, Any]]]:
    """The department page's side-by-side table: its years, oldest first (as the trend line
    reads, left to right), and one row per YEAR_COLUMNS figure it has in any year:
    {key, label, cells (one per year, as ``year_cells`` gives them)}."""
    years = sorted(dept.years)
    by_year = [year_cells(dept.documents_of(year)) for year in years]
    rows = [{"key": key, "label": label, "cells": [cells[key] for cells in by_year]}
            for key, label, _, _ in YEAR_COLUMNS]
    return years, [row for row in rows if any(row["cells"])]


def department_trend(dept: Department, years: list[int], rows: list[dict[str, Any]]) -> TrendChart | None:
    """The department's 预算支出总计 and 决算支出合计 as lines over its years (two years or more)."""
    series = [(row["label"], [(year, c["value"], c["text"], c["unit"]) for year, c in zip(years, row["cells"], strict=True) if c])
              for row in rows if row["key"] in ("budget", "final")]
    return trend_chart("trend", f"{dept.name}历年预算与决算支出", series)


def year_rows(portal: Portal, year: int, sort: str | None = None) -> list[dict[str, Any]]:
    """One row per department that published for ``year``: its figures by YEAR_COLUMNS (text,
    unit, link, value), in department order or, with ``sort``, largest first (blanks last)."""
    rows = [{"dept": dept, "cells": year_cells(documents)}
            for dept in portal.departments if (documents := dept.documents_of(year))]
    if sort:
        rows.sort(key=lambda r: (r["cells"][sort] is None, -(r["cells"][sort] or {"value": 0})["value"]))
    return rows


def headline_values(doc: Document) -> list[tuple[str, str, str, str | None, Decimal]]:
    """(label, text, unit, role, value) of each headline figure; computed once per document and
    kept on it, so pages that list documents need no tables (the preview drops them)."""
    cached = doc.__dict__.get("_headline")
    if cached is None:
        cached = doc.__dict__["_headline"] = _headline_values(doc)
    return cached


def _headline_values(doc: Document) -> list[tuple[str, str, str, str | None, Decimal]]:
    figures = []
    for item in doc.profile.headline:
        table = doc.table(item["table"])
        row = table.find(item["row"]) if "row" in item else (table.rows[0] if table.rows else None)
        cell = row[item["column"]] if row else None
        value = cell.amount if cell is not None else Decimal(0)
        fmt, role = item.get("format", "money"), item.get("role")
        if fmt == "grade":
            figures.append((item["label"], doc.profile.grade(value), "", role, value))
        elif fmt == "score":
            figures.append((item["label"], plain_number(value), item.get("unit", "分"), role, value))
        elif table.spec.column(item["column"]).computed:
            figures.append((item["label"], cell.text if cell is not None else "", "", role, value))
        else:
            figures.append((item["label"], money(value), item.get("unit", table.spec.unit), role, value))
    return figures


def part_title(doc: Document, part) -> str:
    return fill_year(part.title, doc.year).replace("{dept}", doc.department.name)


def markdown_part(doc: Document, name: str) -> str:
    """A markdown part's text with its {{ … }} filled, made once per document (the page and
    data.json's prose both need it)."""
    made = doc.__dict__.setdefault("_markdown_parts", {})
    if name not in made:
        made[name] = render_markdown_file(doc, name)
    return made[name]


def page_parts(doc: Document) -> list[dict[str, Any]]:
    """The profile's parts with {year}/{dept} filled in and each block's tables resolved."""
    parts = []
    for index, part in enumerate(doc.profile.parts, start=1):
        title = part_title(doc, part)
        blocks = []
        for block in part.blocks:
            item = dict(block)
            if block["type"] == "tables":
                ids = block["tables"] or [t.spec.id for t in doc.tables]
                item["views"] = [document_view(doc, doc.table(i)) for i in ids]
            if block["type"] == "markdown":
                item["html"] = render_markdown(markdown_part(doc, block["file"]))
            blocks.append(item)
        parts.append({"id": f"part-{index}", "title": title, "blocks": blocks})
    return parts


def link_terms(parts: list[dict[str, Any]], explanation: Markup, doc: Document, glossary: Glossary,
               root: str) -> Markup:
    """Link the first occurrence of each glossary term in the page's prose, in page order: the
    overview (its block gets ``html``), the explanation (returned) and markdown blocks; never
    the document's own 名词解释, where the terms are defined."""
    seen: set[str] = set()
    for part in parts:
        for block in part["blocks"]:
            if block["type"] == "overview":
                block["html"] = Markup(glossary.link(render_markdown(doc.overview), root, seen))
            elif block["type"] == "explanation":
                explanation = Markup(glossary.link(explanation, root, seen))
            elif block["type"] == "markdown":
                block["html"] = Markup(glossary.link(block["html"], root, seen))
    return explanation


HASHED_ASSETS = {".css", ".js", ".svg"}


def asset_sources(root: Path) -> dict[str, Path]:
    """Built-in assets, then the portal's own (``templates/assets`` of the content folder ``root``) over them."""
    files: dict[str, Path] = {}
    for folder in (BUILTIN_TEMPLATES / "assets", root / "templates" / "assets"):
        if folder.is_dir():
            for item in sorted(folder.rglob("*")):
                if item.is_file():
                    files[item.relative_to(folder).as_posix()] = item
    return dict(sorted(files.items()))


def hashed_name(name: str, data: bytes) -> str:
    """``site.css`` → ``site.1a2b3c4d.css``: a name that changes with the content, so pages can
    be cached for a short time and assets for ever, and a page of an earlier release still
    finds its own assets (``publish`` keeps them)."""
    stem, dot, suffix = name.rpartition(".")
    return f"{stem}.{hashlib.sha256(data).hexdigest()[:10]}.{suffix}" if dot else name


def asset_files(root: Path) -> list[tuple[str, bytes]]:
    """Every asset under ``assets/``: as named (for a portal's own templates), and stylesheets,
    scripts and images also under their content-hashed name, which the pages use."""
    files = []
    for name, path in asset_sources(root).items():
        data = path.read_bytes()
        files.append((f"assets/{name}", data))
        if Path(name).suffix in HASHED_ASSETS:
            files.append((f"assets/{hashed_name(name, data)}", data))
    return files


def asset_names(root: Path) -> dict[str, str]:
    """Asset name → the name pages link to (content-hashed for stylesheets, scripts, images)."""
    return {name: hashed_name(name, path.read_bytes()) if Path(name).suffix in HASHED_ASSETS else name
            for name, path in asset_sources(root).items()}


class Renderer:
    """Renders every page of a portal; one instance per build."""

    def __init__(self, portal: Portal, base_url: str, bytecode_dir: Path | None = None, draft: bool = False):
        self.portal = portal
        self.draft = draft   # the preview: a document with 【待填写】 left is shown as a draft
        self.base_url = base_url.rstrip("/") + "/" if base_url else ""
        self.env = make_environment(portal.root / "templates", bytecode_dir)
        assets = asset_names(portal.root)
        self.env.globals["asset"] = lambda name: assets.get(name, name)   # {{ root }}assets/{{ asset("site.css") }}
        self.glossary: Glossary = portal.config.glossary or load_glossary(portal.root)

    def _render(self, name: str, path: str, **context: Any) -> str:
        depth = path.count("/")
        root = "../" * depth
        try:
            template = self.env.get_template(name)
            return template.render({
                "site": self.portal.config,
                "portal": self.portal,
                "root": root,
                "page_path": path,
                "canonical": (self.base_url + path.removesuffix("index.html")) if self.base_url else None,
                "feed_url": (self.base_url + "feed.xml") if self.base_url else None,
                **context,            # a page may override the above (the 404 page has no canonical address)
            })
        except jinja2.TemplateSyntaxError as exc:
            where = Location(Path(exc.filename or name), exc.lineno)
            raise TemplateError(where, f"模板语法错误：{exc.message}") from exc
        except jinja2.TemplateError as exc:
            raise TemplateError(Path(name), f"渲染页面 {path} 时出错：{exc}") from exc

    def home(self) -> str:
        return self._render("index.html", "index.html", headline=headline)

    def not_found(self) -> str:
        """404.html: the web server shows it for any missing address, at any depth, so with a base
        URL its links start from the site's own path (``<base href>``)."""
        return self._render("404.html", "404.html", canonical=None,
                            base_path=urlsplit(self.base_url).path if self.base_url else "")

    def feed(self) -> str:
        """feed.xml (Atom): the newest disclosures by publication date; absolute addresses, so only
        with a base URL. A disclosure without a ``published`` date (YYYY-MM-DD) is not in it."""
        dated = sorted((d for d in self.portal.documents if re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(d.published or ""))),
                       key=lambda d: (str(d.published), d.url), reverse=True)[:FEED_ENTRIES]
        fallback = source_date()
        return self._render("feed.xml", "feed.xml", documents=dated, site_url=self.base_url,
                            updated=str(dated[0].published) if dated else
                            (fallback.strftime("%Y-%m-%d") if fallback else None))

    def search(self) -> str:
        kinds = {d.kind for d in self.portal.documents}
        # the glossary travels with the page: a query that names a term shows its definition
        terms = [{"id": t.id, "term": t.term, "aliases": list(t.aliases), "definition": t.definition}
                 for t in self.glossary.terms]
        return self._render("search.html", "search/index.html",
                            kind_labels=[KINDS[k] for k in KIND_ORDER if k in kinds],
                            regions=[region for region, _ in self.portal.regions], glossary_terms=terms)

    def year(self, year: int, sort: str | None = None) -> str:
        """years/<year>/index.html (by department) or years/<year>/by-<sort>/index.html."""
        path = f"years/{year}/index.html" if sort is None else f"years/{year}/by-{sort}/index.html"
        return self._render("year.html", path, year=year, sort=sort, columns=YEAR_COLUMNS, sorts=YEAR_SORTS,
                            rows=year_rows(self.portal, year, sort), home="../" * path.count("/"),
                            here="" if sort is None else "../")

    def glossary_page(self) -> str:
        """glossary/index.html: every term of the portal's 名词解释 with its definition."""
        return self._render("glossary.html", GLOSSARY_PAGE, glossary=self.glossary)

    def department(self, dept: Department) -> str:
        years, rows = department_years(dept)
        return self._render("department.html", f"{dept.slug}/index.html", dept=dept, headline=headline,
                            table_years=years, year_rows=rows, trend=department_trend(dept, years, rows))

    def department_year(self, dept: Department, year: int) -> str:
        documents = dept.documents_of(year)
        return self._render("department_year.html", f"{dept.slug}/{year}/index.html", dept=dept, year=year,
                            documents=documents, headline=headline, summary=year_summary(documents))

    def explanation_markdown(self, doc: Document) -> str:
        """The 情况说明 as Markdown, rendered once per document."""
        text = doc.__dict__.get("_explanation")
        if text is None:
            try:
                text = render_explanation(doc, self.env)
            except SiteBuilderError as exc:
                if not self.unfinished(doc):
                    raise
                # a draft: the 情况说明 needs figures still marked 【待填写】
                text = f"【待填写】情况说明要等 document.yaml 中的数字填写完成后才能生成：{exc.problem}"
            doc.__dict__["_explanation"] = text
        return text

    def unfinished(self, doc: Document) -> list:
        """In the preview, the 【待填写】 places a document still has (none outside the preview)."""
        return placeholders(doc) if self.draft else []

    def draft_errors(self, doc: Document) -> list:
        """In the preview, an unfinished document's other checker errors (a half-filled document
        is shown, with them listed, rather than refused)."""
        if not self.unfinished(doc):
            return []
        from .checks import run_checks

        return [f for f in run_checks(self.portal, documents=[doc])
                if f.severity == "error" and f.rule != PLACEHOLDER_RULE]

    def prose(self, doc: Document) -> dict[str, str]:
        """The page's prose as Markdown, by part title (for data.json, where the next build finds
        what a correction changed)."""
        texts: dict[str, str] = {}
        for part in doc.profile.parts:
            title = part_title(doc, part)
            for block in part.blocks:
                kind = block["type"]
                text = doc.overview if kind == "overview" else doc.glossary if kind == "glossary" else \
                    self.explanation_markdown(doc) if kind == "explanation" else \
                    markdown_part(doc, block["file"]) if kind == "markdown" else ""
                if text:
                    texts[title] = (texts.get(title, "") + "\n\n" + text).strip()
        return texts

    def document(self, doc: Document, files: dict[str, int] | None = None,
                 records: list[dict[str, Any]] | None = None) -> str:
        """The disclosure's page; ``files``: its downloads (path in its folder → size in bytes);
        ``records``: its correction records (corrections.py), oldest first."""
        explanation = render_markdown(self.explanation_markdown(doc))
        parts = page_parts(doc)
        explanation = link_terms(parts, explanation, doc, self.glossary, "../" * doc.url.count("/"))
        return self._render(
            "document.html", f"{doc.url}index.html",
            doc=doc, dept=doc.department,
            parts=parts,
            explanation=explanation,
            headline=headline(doc),
            charts=document_charts(doc),
            files=files or {},
            correction_records=records or [],
            unfinished=self.unfinished(doc),
            draft_errors=self.draft_errors(doc),
        )

