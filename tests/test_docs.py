"""The docs describe what the code declares: every site.yaml key, every form field, and the
names each page template receives (as datasette's test_docs does for its settings)."""

from __future__ import annotations

import functools
import re
from pathlib import Path

import jinja2
import pytest

from site_builder.config import CHECKS, PROFILES, PROSE_HTML, SITE, Setting
from site_builder.content import load_portal
from site_builder.headlines import YEAR_SORTS
from site_builder.model import FORM_SCHEMA_KEYS
from site_builder.render import Renderer

REPO = Path(__file__).resolve().parent.parent
DOCS = REPO / "docs"
SECTIONS = {"": SITE, "profiles": PROFILES, "checks": CHECKS, "prose_html": PROSE_HTML}   # parent key → its keys
TYPE_WORDS = {str: "text", dict: "mapping", list: "list"}


def every_setting() -> list[tuple[str, Setting]]:
    return [(f"{parent}.{key}" if parent else key, setting)
            for parent, settings in SECTIONS.items() for key, setting in settings.items()]


@functools.cache
def all_docs() -> str:
    return "\n".join(path.read_text(encoding="utf-8") for path in [REPO / "README.md", *sorted(DOCS.glob("*.md"))])


@pytest.mark.parametrize("path", [path for path, _ in every_setting()])
def test_every_setting_is_documented(path):
    key = path.rsplit(".", 1)[-1]
    forms = [f"`{key}`", f"{key}:", f"`{path}`"]
    assert any(form in all_docs() for form in forms), f"site.yaml {path} is in no doc (README.md, docs/*.md)"


def table_rows(text: str) -> list[list[str]]:
    """The cells of a Markdown table's body rows."""
    rows = [[cell.strip() for cell in line.strip().strip("|").split("|")] for line in text.splitlines()
            if line.startswith("|")]
    return rows[2:]     # (not the header and its --- line)


def test_configuration_md_lists_exactly_the_declared_settings():
    """docs/configuration.md: a table per mapping (site.yaml itself, then ``## `profiles:` `` …),
    each row a key, its type, its default ("required" for a required key) and its Chinese name."""
    text = (DOCS / "configuration.md").read_text(encoding="utf-8")
    sections = re.split(r"^## ", text, flags=re.M)
    headings = {"The keys of site.yaml": "", **{f"`{parent}:`": parent for parent in SECTIONS if parent}}
    documented: dict[str, dict[str, list[str]]] = {}
    for section in sections[1:]:
        heading = section.splitlines()[0]
        if heading in headings:
            documented[headings[heading]] = {row[0].strip("`"): row for row in table_rows(section)}
    assert set(documented) == set(SECTIONS)
    for parent, settings in SECTIONS.items():
        assert set(documented[parent]) == set(settings), parent or "site.yaml"
        for key, setting in settings.items():
            _, kind, default, label, what = documented[parent][key]
            assert (kind, label) == (TYPE_WORDS[setting.type], setting.label), key
            assert (default == "required") == setting.required, key
            assert what, key


def schema_keys(text: str) -> set[str]:
    """The keys written in the YAML examples of docs/form-schema.md (comments left out), and the
    fields its prose names (`unavailable: true`)."""
    keys = set()
    for block in re.findall(r"```yaml\n(.*?)```", text, re.S):
        for line in block.splitlines():
            keys.update(re.findall(r"(?:^|[{,-])\s*([a-z_0-9]+):(?:\s|$)", line.split("#")[0]))
    return keys | set(re.findall(r"`([a-z_]+)(?::[^`]*)?`", re.sub(r"```.*?```", "", text, flags=re.S)))


def test_the_form_fields_a_file_may_leave_out_are_the_form_schema():
    """model.FORM_SCHEMA_KEYS (a field left out reads None, any other name is an error) is
    exactly what docs/form-schema.md describes."""
    assert FORM_SCHEMA_KEYS == schema_keys((DOCS / "form-schema.md").read_text(encoding="utf-8"))


# -- the template context ------------------------------------------------------------------------

def documented_names(cell: str) -> set[str]:
    """The names a cell of docs/templates.md lists: its backquoted names outside parentheses
    (``headline(doc)`` → headline; what a parenthesis says of a name is not a name)."""
    names, depth, at = set(), 0, 0
    while at < len(cell):
        char = cell[at]
        if char == "`":
            end = cell.index("`", at + 1)
            name = re.fullmatch(r"([A-Za-z_]\w*)(\(.*\))?", cell[at + 1:end])
            if depth == 0 and name:
                names.add(name.group(1))
            at = end
        elif char in "(（":
            depth += 1
        elif char in ")）":
            depth -= 1
        at += 1
    return names


def templates_md_tables() -> tuple[set[str], dict[str, set[str]]]:
    """docs/templates.md: the names of "Every page" and, by template, the extra variables of
    "Page templates"."""
    text = (DOCS / "templates.md").read_text(encoding="utf-8")
    every = text.split("## Every page", 1)[1].split("\n## ", 1)[0]
    pages = text.split("## Page templates", 1)[1].split("\n## ", 1)[0]
    names = set().union(*(documented_names(row[0]) for row in table_rows(every.split("\n\n", 2)[1])))
    extra = {row[0].strip("`"): documented_names(row[2]) for row in table_rows(pages.split("\n\n", 2)[1])}
    return names, extra


@pytest.fixture(scope="module")
def page_contexts() -> tuple[set[str], dict[str, set[str]]]:
    """Every page template rendered for the example portal, each recording the names it was
    given instead of rendering: the builtin globals the renderer adds, and the names of each."""
    portal = load_portal(REPO / "content")
    renderer = Renderer(portal, "https://example.gov.cn/yjsgk/")
    given: dict[str, set[str]] = {}

    class Recorder:
        def __init__(self, name: str):
            self.name = name

        def render(self, context: dict) -> str:
            given.setdefault(self.name, set()).update(context)
            return ""

    renderer.env.get_template = Recorder
    renderer.home()
    renderer.not_found()
    renderer.feed()
    renderer.search()
    renderer.glossary_page()
    for year in portal.years:
        renderer.year(year)
        for sort in YEAR_SORTS:
            renderer.year(year, sort)
    for dept in portal.departments:
        renderer.department(dept)
        for year in dept.years:
            renderer.department_year(dept, year)
        for doc in dept.documents:
            renderer.document(doc)
    added = set(renderer.env.globals) - set(jinja2.Environment().globals)
    return added, given


def test_every_page_template_is_rendered_and_documented(page_contexts):
    _, given = page_contexts
    pages = {path.name for path in (REPO / "templates").iterdir()
             if path.suffix in (".html", ".xml") and not path.name.startswith("_") and path.name != "base.html"}
    assert set(given) == pages
    assert set(templates_md_tables()[1]) == pages


def test_every_page_gets_what_docs_templates_md_lists(page_contexts):
    """Both ways: a name a page is given but the docs do not list fails, and so does a name the
    docs list that the page is not given."""
    added, given = page_contexts
    common = set.intersection(*given.values())       # what _render gives every page
    every, extra = templates_md_tables()
    assert every == common | added, "docs/templates.md, Every page"
    for template, names in given.items():
        assert extra[template] == names - common, f"docs/templates.md, Page templates: {template}"
