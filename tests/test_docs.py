"""The docs describe what the code declares: every site.yaml key and every form field (as
datasette's test_docs does for its settings)."""

from __future__ import annotations

import functools
import re
from pathlib import Path

import pytest

from site_builder.config import CHECKS, PROFILES, PROSE_HTML, SITE, Setting
from site_builder.model import FORM_SCHEMA_KEYS

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
