"""Render pages with Jinja2: the portal's templates first, then the built-in ones.

Templates see the model through a small, documented context (``page_context``); a portal
template can extend a built-in one with the ``default/`` prefix
(``{% extends "default/document.html" %}``).
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import re
import threading
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import jinja2
import markdown as md
import nh3
from markdown.extensions.sane_lists import SaneListExtension
from markdown.extensions.tables import TableExtension
from markupsafe import Markup

from .assets import BUILTIN_TEMPLATES, asset_names
from .charts import TrendChart, document_charts, trend_chart
from .downloads import file_size
from .errors import SiteBuilderError, Location, TemplateError
from .checks.placeholders import placeholders
from .draftnotice import DraftErrors, draft_findings, listing
from .explain import BytecodeCache, make_explanation_environment, render_explanation, render_markdown_file
from .headlines import YEAR_COLUMNS, YEAR_SORTS, department_years, headline, year_rows, year_summary
from .glossary import OWN_PREFIX, PAGE as GLOSSARY_PAGE, Glossary, load_glossary, own_definitions
from .model import KIND_ORDER, KINDS, Department, Document, Portal
from .numbers import money
from .profiles import fill_year
from .sanitize import DEFAULT as DEFAULT_POLICY, ProsePolicy
from .layout import source_date
from .formview import attachment_labels, scoring_columns
from .tableview import document_view, form_labels, indicator_rows, target_rows


FEED_ENTRIES = 100


def template_loader(portal_templates: Path | None) -> jinja2.BaseLoader:
    """The portal's templates first, then the built-in ones (also as ``default/…``)."""
    builtin = jinja2.FileSystemLoader(str(BUILTIN_TEMPLATES))
    loaders: list[jinja2.BaseLoader] = []
    if portal_templates and portal_templates.is_dir():
        loaders.append(jinja2.FileSystemLoader(str(portal_templates)))
    loaders.append(builtin)
    loaders.append(jinja2.PrefixLoader({"default": builtin}))
    return jinja2.ChoiceLoader(loaders)


class SourceRecorder(jinja2.BaseLoader):
    """A loader that notes the digest of each template's source as it is loaded (None: looked
    for and not found). The 情况说明's templates are loaded through one: a disclosure's prose is
    kept with the sources its templates had (``sources``, all this process loaded: a superset
    of what made it), and used again only while each still has that source (``current``)."""

    def __init__(self, loader: jinja2.BaseLoader):
        self.loader = loader
        self.sources: dict[str, str | None] = {}
        self._current: dict[str, str | None] = {}

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str | None, Any]:
        try:
            source, filename, uptodate = self.loader.get_source(environment, template)
        except jinja2.TemplateNotFound:
            self.sources[template] = None
            raise
        self.sources[template] = _source_digest(source)
        return source, filename, uptodate

    def list_templates(self) -> list[str]:
        return self.loader.list_templates()

    def current(self, environment: jinja2.Environment, sources: dict[str, str | None]) -> bool:
        """Whether every template of ``sources`` has the source it had (or is still missing);
        each template read once per build."""
        for name, digest in sources.items():
            if name not in self._current:
                try:
                    self._current[name] = _source_digest(self.loader.get_source(environment, name)[0])
                except jinja2.TemplateNotFound:
                    self._current[name] = None
            if self._current[name] != digest:
                return False
        return True


def _source_digest(source: str) -> str:
    return hashlib.blake2b(source.encode("utf-8"), digest_size=16).hexdigest()


def make_environment(loader: jinja2.BaseLoader, bytecode_dir: Path | None = None,
                     policy: ProsePolicy = DEFAULT_POLICY) -> jinja2.Environment:
    """The template environment (``loader``: :func:`template_loader`'s); ``bytecode_dir`` keeps
    compiled templates between builds (Jinja checks each template's source before using its
    compiled form); ``policy``: what the ``markdown`` filter lets through of prose (sanitize.py)."""
    env = jinja2.Environment(
        loader=loader,
        autoescape=jinja2.select_autoescape(["html", "xml"], default_for_string=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        bytecode_cache=BytecodeCache(str(bytecode_dir)) if bytecode_dir else None,
    )
    env.filters["markdown"] = functools.partial(render_markdown, policy=policy)
    env.filters["money"] = money
    env.filters["filesize"] = file_size
    env.globals.update(form_labels=form_labels, indicator_rows=indicator_rows, target_rows=target_rows,
                       attachment_labels=attachment_labels, scoring_columns=scoring_columns)
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
        return super()._InlineProcessor__handleInline(data, patternIndex)  # type: ignore[misc]  # private: no stub


def _converter() -> md.Markdown:
    # extensions as objects: named by text, Markdown looks them up among the installed
    # packages' entry points first, once per process (measured: docs/performance.md#markdown-extensions)
    converter = md.Markdown(extensions=[SaneListExtension(), TableExtension()], output_format="html")
    patterns = converter.inlinePatterns      # every one of its names among ours (a name is registered once)
    if sum(name in patterns for name in _INLINE_PATTERNS) == len(patterns):
        converter.treeprocessors.register(_InlineProcessor(converter), "inline", 20)
    return converter


def _markdown(text: str) -> str:
    """Markdown's HTML for ``text`` (one converter per thread)."""
    converter = getattr(_MARKDOWN, "converter", None)
    if converter is None:
        converter = _MARKDOWN.converter = _converter()
    return converter.reset().convert(text)


@functools.lru_cache(maxsize=512)   # (an entry's size: docs/performance.md#markdown-cache)
def _markdown_html(text: str, policy: ProsePolicy) -> str:
    """Markdown's HTML for ``text``, sanitised; remembered, as every disclosure of a portal
    repeats some prose word for word (the 名词解释, standard paragraphs; measured:
    docs/performance.md#markdown-cache)."""
    return policy.clean(_markdown(text))


def render_markdown(text: str, policy: ProsePolicy = DEFAULT_POLICY) -> Markup:
    """Markdown to HTML, through the portal's allow-list (sanitize.py): content Markdown is
    written by many hands and imported from files nobody here wrote, so raw HTML in it is
    treated as untrusted — a script, an event handler, a javascript: link never reach the page."""
    return Markup(_markdown_html(text or "", policy))


def department_trend(dept: Department, years: list[int], rows: list[dict[str, Any]]) -> TrendChart | None:
    """The department's 预算支出总计 and 决算支出合计 as lines over its years (two years or more)."""
    series = [(row["label"], [(year, c["value"], c["text"], c["unit"]) for year, c in zip(years, row["cells"], strict=True) if c])
              for row in rows if row["key"] in ("budget", "final")]
    return trend_chart("trend", f"{dept.name}历年预算与决算支出", series)


def part_title(doc: Document, part) -> str:
    return fill_year(part.title, doc.year).replace("{dept}", doc.department.name)


class KeptProse(NamedTuple):
    """A disclosure's prose as an earlier build made it from the same model, code and 情况说明
    templates (modelcache.py keeps it): its Markdown, for data.json, and its HTML as the page
    shows it, the glossary's links and the headings' ids in place. Markdown and the 情况说明's
    templates were a fifth of rendering a disclosure again after a page template changed, and
    neither sees a page template (docs/performance.md#kept-prose)."""

    explanation: str                  # the 情况说明 as Markdown
    parts: dict[str, str]             # each markdown part's text ({{ … }} filled), by file name
    html: str                         # the 情况说明 as HTML
    blocks: list[list[str | None]]    # by part, by block: an overview's, glossary's or markdown block's HTML

    @classmethod
    def of_json(cls, value: Any) -> KeptProse | None:
        """From its JSON form (the tuple as a list), or None for anything of another shape."""
        if not (isinstance(value, list) and len(value) == 4):
            return None
        explanation, parts, html, blocks = value
        texts = (isinstance(explanation, str) and isinstance(html, str) and isinstance(parts, dict)
                 and all(isinstance(k, str) and isinstance(v, str) for k, v in parts.items()))
        shaped = isinstance(blocks, list) and all(
            isinstance(part, list) and all(b is None or isinstance(b, str) for b in part) for part in blocks)
        return cls(explanation, parts, html, blocks) if texts and shaped else None


_PROSE_BLOCKS = ("overview", "glossary", "markdown")     # the blocks whose HTML is prose (kept)


class DocumentProse:
    """A disclosure's prose as Markdown (its 情况说明, its markdown parts with their {{ … }}
    filled), each text made once: its page and its data.json both need them; and, once its page
    is made, as HTML (``html``: the 情况说明's and each prose block's). A render result, made
    for one document's files and let go with them (``Renderer.prose_of``); ``kept``: as an
    earlier build made it (then nothing of it is made again)."""

    def __init__(self, renderer: Renderer, doc: Document, kept: KeptProse | None = None):
        self._renderer, self._doc = renderer, doc
        self._explanation: str | None = kept.explanation if kept else None
        self._parts: dict[str, str] = dict(kept.parts) if kept else {}
        self.html: tuple[str, list[list[str | None]]] | None = (kept.html, kept.blocks) if kept else None
        self.reused = kept is not None

    def explanation(self) -> str:
        if self._explanation is None:
            self._explanation = self._renderer.explanation_markdown(self._doc)
        return self._explanation

    def part(self, name: str) -> str:
        if name not in self._parts:
            self._parts[name] = render_markdown_file(self._doc, name)
        return self._parts[name]

    def kept(self) -> KeptProse | None:
        """What a later build may use of it (None until its page is made)."""
        if self.html is None or self._explanation is None:
            return None
        return KeptProse(self._explanation, self._parts, *self.html)


def page_parts(doc: Document, prose: DocumentProse, policy: ProsePolicy = DEFAULT_POLICY,
               markdown: bool = True) -> list[dict[str, Any]]:
    """The profile's parts with {year}/{dept} filled in and each block's tables resolved, and
    (``markdown``) each markdown block's ``html``."""
    parts = []
    for index, part in enumerate(doc.profile.parts, start=1):
        title = part_title(doc, part)
        blocks = []
        for block in part.blocks:
            item = dict(block)
            if block["type"] == "tables":
                ids = block["tables"] or [t.spec.id for t in doc.tables]
                item["views"] = [document_view(doc, doc.table(i)) for i in ids]
            if block["type"] == "markdown" and markdown:
                item["html"] = render_markdown(prose.part(block["file"]), policy)
            blocks.append(item)
        parts.append({"id": f"part-{index}", "title": title, "blocks": blocks})
    return parts


def link_terms(parts: list[dict[str, Any]], explanation: Markup, doc: Document, glossary: Glossary,
               root: str, policy: ProsePolicy = DEFAULT_POLICY) -> Markup:
    """Link the first occurrence of each glossary term in the page's prose, in page order: the
    overview (its block gets ``html``), the explanation (returned) and markdown blocks; never
    the document's own 名词解释, where the terms are defined (its block gets ``html`` too, each
    entry of a portal term with its id). A term the document's 名词解释 defines links there,
    with its words; any other to the portal's glossary page (glossary.py)."""
    own = own_terms(parts, doc, glossary, policy)
    seen: set[str] = set()
    for part in parts:
        for block in part["blocks"]:
            if block["type"] == "overview":
                block["html"] = Markup(glossary.link(render_markdown(doc.overview, policy), root, seen, own))
            elif block["type"] == "explanation":
                explanation = Markup(glossary.link(explanation, root, seen, own))
            elif block["type"] == "markdown":
                block["html"] = Markup(glossary.link(block["html"], root, seen, own))
    return explanation


_PROSE_HEADING = re.compile(r"<(h[2-6])>")


def anchor_headings(parts: list[dict[str, Any]], explanation: Markup) -> Markup:
    """Give each heading of the page's prose (the overview, the 情况说明, markdown parts) an id,
    ``<part id>-s<n>`` in page order within its part: the search index links a result to the
    heading whose section holds the query's words (Pagefind's sub-results need an id;
    docs/search.md), and a reader can link to it. Numbered within the part, so the ids of one
    part stay put when another's prose changes. Headings with an id (a 名词解释 entry) keep it.
    Returns the explanation (the other blocks get their ``html`` changed)."""
    for part in parts:
        ids = (f'{part["id"]}-s{n}' for n in itertools.count(1))

        def number(match: re.Match, ids=ids) -> str:
            return f'<{match.group(1)} id="{next(ids)}">'
        for block in part["blocks"]:
            if block["type"] in ("overview", "markdown"):
                block["html"] = Markup(_PROSE_HEADING.sub(number, block["html"]))
            elif block["type"] == "explanation":
                explanation = Markup(_PROSE_HEADING.sub(number, explanation))
    return explanation


def own_terms(parts: list[dict[str, Any]], doc: Document, glossary: Glossary,
              policy: ProsePolicy = DEFAULT_POLICY) -> dict[str, tuple[str, str]]:
    """The terms the page's 名词解释 part (the document's glossary.md) defines: term id → the
    address of its entry on the page (``#doc-term-<id>``) and its words. Gives each glossary
    block its ``html`` (the first with the entries' ids). None when the page shows no 名词解释."""
    own: dict[str, tuple[str, str]] = {}
    first = True
    for part in parts:
        for block in part["blocks"]:
            if block["type"] != "glossary":
                continue
            html = render_markdown(doc.glossary, policy)
            if first:             # (a profile showing it twice: ids once)
                first = False
                marked, entries = own_definitions(html, glossary)
                html = Markup(marked)
                own = {entry.term_id: (f"#{OWN_PREFIX}{entry.term_id}", entry.definition) for entry in entries}
            block["html"] = html
    return own


def kept_html(parts: list[dict[str, Any]], html: tuple[str, list[list[str | None]]]) -> Markup | None:
    """The 情况说明's HTML as kept (``DocumentProse.html``), each prose block of ``parts`` given
    its kept ``html``; None when the kept blocks do not match the parts one for one."""
    explanation, blocks = html
    shape = [[block["type"] in _PROSE_BLOCKS for block in part["blocks"]] for part in parts]
    if [[kept is not None for kept in part] for part in blocks] != shape:
        return None
    for part, kept_part in zip(parts, blocks, strict=True):
        for block, kept in zip(part["blocks"], kept_part, strict=True):
            if kept is not None:
                block["html"] = Markup(kept)
    return Markup(explanation)


class Renderer:
    """Renders every page of a portal; one instance per build."""

    # what kept prose depends on besides the model, the rendering code and the 情况说明 templates:
    # the libraries that make it (an upgrade may change its HTML)
    PROSE_LIBRARIES = (md.__version__, jinja2.__version__, getattr(nh3, "__version__", ""))

    def __init__(self, portal: Portal, base_url: str, bytecode_dir: Path | None = None, draft: bool = False):
        self.portal = portal
        self.draft = draft   # the preview: a document with 【待填写】 left is shown as a draft
        # the preview, for the draft it is saving: its errors as listed against its page before
        # the save (draftnotice.py), by document URL
        self.draft_lists: dict[str, DraftErrors] = {}
        self.base_url = base_url.rstrip("/") + "/" if base_url else ""
        self.policy = portal.config.prose_html or DEFAULT_POLICY
        loader = template_loader(portal.root / "templates")     # the pages' and the 情况说明's
        self.env = make_environment(loader, bytecode_dir, self.policy)
        explanations = bytecode_dir / "explanations" if bytecode_dir else None
        if explanations:
            explanations.mkdir(exist_ok=True)
        # (its templates' sources noted: a kept 情况说明 depends on them, not on the pages' templates)
        self.explanation_sources = SourceRecorder(loader)
        self.explanation_env = make_explanation_environment(self.explanation_sources, explanations)
        # a department's prose as an earlier build made it, by document URL, and the prose made
        # here while ``made_prose`` is not None (workers.render_department keeps them)
        self.kept_prose: dict[str, KeptProse] = {}
        self.made_prose: dict[str, DocumentProse] | None = None
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
        """The 情况说明 as Markdown (made each time: ``prose_of`` keeps it for one document's files)."""
        try:
            return render_explanation(doc, self.explanation_env)
        except SiteBuilderError as exc:
            if not self.unfinished(doc):
                raise
            # a draft: the 情况说明 needs figures still marked 【待填写】
            return f"【待填写】情况说明要等 document.yaml 中的数字填写完成后才能生成：{exc.problem}"

    def prose_of(self, doc: Document) -> DocumentProse:
        """The disclosure's prose, each text made once for its page and its data.json (or as
        ``kept_prose`` holds it)."""
        prose = DocumentProse(self, doc, self.kept_prose.get(doc.url))
        if self.made_prose is not None:
            self.made_prose[doc.url] = prose
        return prose

    def prose_sources_current(self, sources: dict[str, str | None]) -> bool:
        """Whether the 情况说明 templates of ``sources`` (name → digest of the source a kept
        prose was made with) are unchanged."""
        return self.explanation_sources.current(self.explanation_env, sources)

    def unfinished(self, doc: Document) -> list:
        """In the preview, the 【待填写】 places a document still has (none outside the preview)."""
        return placeholders(doc) if self.draft else []

    def draft_errors(self, doc: Document) -> DraftErrors:
        """In the preview, an unfinished document's other checker errors (a half-filled document
        is shown, with them listed, rather than refused): as the preview listed them for this
        save (``draft_lists``: newest first, marked), or in the checker's order."""
        if not self.unfinished(doc):
            return DraftErrors()
        listed = self.draft_lists.get(doc.url)      # (may be empty, and say what the save mended)
        return listed if listed is not None else listing(draft_findings(self.portal, doc), None)

    def prose_html(self, doc: Document, prose: DocumentProse, parts: list[dict[str, Any]]) -> Markup:
        """The 情况说明's HTML, and each prose block's ``html`` in ``parts``, glossary terms
        linked and headings given ids; noted in ``prose.html``, to be kept."""
        explanation = render_markdown(prose.explanation(), self.policy)
        explanation = link_terms(parts, explanation, doc, self.glossary, "../" * doc.url.count("/"), self.policy)
        explanation = anchor_headings(parts, explanation)
        prose.html = (str(explanation), [[str(block["html"]) if block["type"] in _PROSE_BLOCKS else None
                                          for block in part["blocks"]] for part in parts])
        return explanation

    def prose(self, doc: Document, prose: DocumentProse | None = None) -> dict[str, str]:
        """The page's prose as Markdown, by part title (for data.json, where the next build finds
        what a correction changed); ``prose``: as ``prose_of`` gives it (made here without)."""
        prose = prose or self.prose_of(doc)
        texts: dict[str, str] = {}
        for part in doc.profile.parts:
            title = part_title(doc, part)
            for block in part.blocks:
                kind = block["type"]
                text = doc.overview if kind == "overview" else doc.glossary if kind == "glossary" else \
                    prose.explanation() if kind == "explanation" else \
                    prose.part(block["file"]) if kind == "markdown" else ""
                if text:
                    texts[title] = (texts.get(title, "") + "\n\n" + text).strip()
        return texts

    def document(self, doc: Document, files: dict[str, int] | None = None,
                 records: list[dict[str, Any]] | None = None, prose: DocumentProse | None = None) -> str:
        """The disclosure's page; ``files``: its downloads (path in its folder → size in bytes);
        ``records``: its correction records (corrections.py), oldest first; ``prose``: as
        ``prose_of`` gives it (made here without)."""
        prose = prose or self.prose_of(doc)
        parts = page_parts(doc, prose, self.policy, markdown=prose.html is None)
        explanation = kept_html(parts, prose.html) if prose.html is not None else None
        if explanation is None:
            if prose.html is not None:         # (kept for parts of another shape: made again)
                parts, prose.reused = page_parts(doc, prose, self.policy), False
            explanation = self.prose_html(doc, prose, parts)
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

