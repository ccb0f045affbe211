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


RANKING = Path(__file__).resolve().parent / "fixtures" / "search-ranking.yaml"
SYNTHETIC_DEPARTMENTS = ("synthetic-00001", "synthetic-00042", "synthetic-00100")


def ranking_cases(out: Path, portal: str) -> list[tuple[str, str]]:
    """(query, path of the document that must come first) from tests/fixtures/search-ranking.yaml,
    for the ``example`` portal or a ``synthetic`` one built into ``out``: there each query is asked
    of a few departments (their name and their documents' made-up project taken from the pages),
    skipping a project named on more than one page."""
    import yaml

    cases = yaml.safe_load(RANKING.read_text(encoding="utf-8"))[portal]
    if portal == "example":
        return [(case["query"], case["first"]) for case in cases]
    texts = indexed_texts(out)
    found = []
    for slug in SYNTHETIC_DEPARTMENTS:
        documents = {url.split("/")[2]: url for url in texts if url.startswith(slug + "/")}
        page = lxml.html.parse(str(out / documents["budget"] / "index.html")).getroot()
        department = page.cssselect('meta[data-pagefind-filter="department[content]"]')[0].get("content")
        for case in cases:
            url = documents[case["first"]]
            project = re.search(r"安排(\S+?项目\(合成\d+号\))资金", texts[url]).group(1)
            if "{project}" in case["query"] and len(truth(texts, project)) > 1:
                continue
            found.append((case["query"].format(department=department, project=project), url))
    return found


def section_cases() -> list[tuple[str, str, list[str]]]:
    """(query, document path, the headings any of which the first result must open at) for the
    example's queries in tests/fixtures/search-ranking.yaml that name a ``section``."""
    import yaml

    cases = yaml.safe_load(RANKING.read_text(encoding="utf-8"))["example"]
    return [(case["query"], case["first"], [case["section"]] if isinstance(case["section"], str) else case["section"])
            for case in cases if "section" in case]
