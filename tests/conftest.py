"""Shared fixtures: the example portal built once, and copies of it to break on purpose."""

from __future__ import annotations

import shutil
from pathlib import Path

import lxml.html
import pytest

from site_builder.build import build

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "content"
FENYANG = "fenyang-ybj/2024/final-accounts"


@pytest.fixture(scope="session")
def example_out(tmp_path_factory) -> Path:
    """The example portal built into a temporary folder (once per test session)."""
    out = tmp_path_factory.mktemp("site") / "output"
    build(EXAMPLE, out, base_url="")
    return out


@pytest.fixture(scope="session")
def fenyang_page(example_out):
    return lxml.html.parse(str(example_out / FENYANG / "index.html")).getroot()


@pytest.fixture
def content_copy(tmp_path) -> Path:
    """A writable copy of the example content, to modify in a test."""
    target = tmp_path / "content"
    shutil.copytree(EXAMPLE, target)
    return target


def cell(page, table_id: str, code_or_label: str, key: str) -> str:
    """The text of the amount cell in column ``key`` of the row named ``code_or_label``."""
    table = page.cssselect(f'table[data-table="{table_id}"]')[0]
    coded = table.cssselect(f'td[data-code="{code_or_label}"][data-key="{key}"]')
    if coded:
        return coded[0].text_content().strip()
    for row in table.cssselect("tbody tr"):
        texts = [c.text_content().strip() for c in row]
        if any(t == code_or_label or t.split("（")[0] == code_or_label for t in texts):
            hits = row.cssselect(f'td[data-key="{key}"]')
            if hits:
                return hits[0].text_content().strip()
    raise AssertionError(f"no row {code_or_label!r} with column {key!r} in table {table_id}")
