"""What a search should find, computed from the built pages and the index on disk.

Shared by tests/test_search.py and benchmarks/search.py: the text Pagefind indexes on a page
(the ``data-pagefind-body`` element minus ``data-pagefind-ignore`` parts), whether a page
contains a query, and Pagefind's result ids mapped back to pages.
"""

from __future__ import annotations

import gzip
import json
import re
import unicodedata
from pathlib import Path

import lxml.html


def indexed_text(page: Path) -> str | None:
    """The text Pagefind indexes on a page, or None when the page is not indexed."""
    root = lxml.html.parse(str(page)).getroot()
    body = root.cssselect("[data-pagefind-body]")
    if not body:
        return None
    for ignored in body[0].cssselect("[data-pagefind-ignore]"):
        ignored.drop_tree()
    return unicodedata.normalize("NFKC", " ".join(body[0].itertext()))


def contains(text: str, query: str) -> bool:
    """Does the page text contain the query (amounts compared without thousands commas, as words)?"""
    plain = re.sub(r"(?<=\d),(?=\d{3})", "", query)
    if re.fullmatch(r"[\d.]+", plain):
        return re.search(rf"(?<![\d.]){re.escape(plain)}(?![\d])", re.sub(r"(?<=\d),(?=\d{3})", "", text)) is not None
    return query in text


def indexed_texts(out: Path) -> dict[str, str]:
    """URL path (relative to the site root) → the text Pagefind indexes, for every indexed page."""
    texts = {}
    for page in out.rglob("index.html"):
        text = indexed_text(page)
        if text is not None:
            texts[page.parent.relative_to(out).as_posix() + "/"] = text
    return texts


def truth(texts: dict[str, str], query: str) -> set[str]:
    """URL paths of the pages in ``texts`` (``indexed_texts`` of a site: parsed once for all the
    queries asked of it) that contain ``query``."""
    return {url for url, text in texts.items() if contains(text, query)}


def fragment_urls(bundle: Path) -> dict[str, str]:
    """Pagefind result id (the fragment's hash) → page path, read from the fragments on disk."""
    urls = {}
    for fragment in bundle.rglob("fragment/*.pf_fragment"):
        data = gzip.decompress(fragment.read_bytes()).decode("utf-8")
        record = json.loads(data[data.index("{"):])
        urls[fragment.stem] = record["url"].lstrip("/")
    return urls
