"""Kept prose: a disclosure's 情况说明 and Markdown, as Markdown and as the page's HTML, kept beside
its department's model (modelcache.py, ``.output.cache/prose/<slug>``) and used as they are when
the department is rendered from its kept model. A page template's change keeps them; a change to
what they are made from makes them again: the 情况说明's templates (one it includes too), the
rendering code, the department's files, the glossary or site.yaml; so does a damaged file. After
each, the output is byte-identical to a clean build's, and the build after a page template
change uses the prose it kept again (none of it made: the Markdown converter, the 情况说明's
templates and the glossary's links are not run for it).

The builds run in one process (``jobs=1``) where a test counts what is made: the monkeypatch holds
in the test's own process.
"""

from __future__ import annotations

import collections
import hashlib
import json
import os
import zlib
from pathlib import Path

import pytest

from site_builder import render
from site_builder.assets import BUILTIN_TEMPLATES
from site_builder.build import build
from site_builder.modelcache import prose_path
from test_incremental import aged_example, age, assert_same_as_clean, edit
from test_model_cache import add_template, changed_digest, corrupt, flipped, foreign

F = "departments/fenyang-ybj/2024/final-accounts"
PAGE = "fenyang-ybj/2024/final-accounts/index.html"
OVERVIEW = "汾阳市医疗保障局成立于2019年3月"      # fenyang's overview.md
SLUGS = ("fenyang-ybj", "gaoyi-ybj", "lvliang-ybj")


@pytest.fixture
def portal(tmp_path) -> Path:
    return aged_example(tmp_path)


class Made:
    """What the builds in this process make of prose: the 情况说明s rendered and the pages whose
    prose HTML is made (by document URL), and every text the Markdown converter is given."""

    def __init__(self, monkeypatch):
        self.explanations: collections.Counter = collections.Counter()
        self.html: collections.Counter = collections.Counter()
        self.markdown: list[str] = []
        explanation, link_terms, convert = render.render_explanation, render.link_terms, render._markdown

        def counted_explanation(doc, env):
            self.explanations[doc.url] += 1
            return explanation(doc, env)

        def counted_links(parts, html, doc, *args, **kwargs):
            self.html[doc.url] += 1
            return link_terms(parts, html, doc, *args, **kwargs)

        def counted_markdown(text):
            self.markdown.append(text)
            return convert(text)
        monkeypatch.setattr(render, "render_explanation", counted_explanation)
        monkeypatch.setattr(render, "link_terms", counted_links)
        monkeypatch.setattr(render, "_markdown", counted_markdown)

    def clear(self) -> None:
        """Forget what was counted, and the converter's memory of what it converted."""
        self.explanations.clear()
        self.html.clear()
        self.markdown.clear()
        render._markdown_html.cache_clear()


@pytest.fixture
def made(monkeypatch) -> Made:
    return Made(monkeypatch)


def template_change(portal: Path, out: Path, made: Made, times: int = 1) -> None:
    """A page template changed: every page is rendered again, its prose as kept (none made).
    (``times``: a comment as long, so that its size changes: the test ages every file alike.)"""
    add_template(portal, "document.html", f'{{% extends "default/document.html" %}}{{# {"change" * times} #}}\n')
    made.clear()
    result = build(portal, out, search=False, jobs=1)
    assert (result.rendered, result.modelled) == (3, 3)
    assert (made.explanations, made.html) == ({}, {})
    assert not any(OVERVIEW in text for text in made.markdown)


def test_a_page_template_change_renders_the_prose_as_it_was_kept(portal, tmp_path, made):
    out = tmp_path / "out"
    made.clear()
    build(portal, out, search=False, jobs=1)
    first = list(made.markdown)
    assert sorted(os.listdir(prose_path(out, "x").parent)) == list(SLUGS)
    assert set(made.html) == {"fenyang-ybj/2024/final-accounts/", "gaoyi-ybj/2021/performance/",
                              "lvliang-ybj/2023/budget/"}
    template_change(portal, out, made)
    # what the converter was given after the change: only what the page templates convert (a
    # form's sections, through the `markdown` filter), none of the disclosures' prose
    assert any(OVERVIEW in text for text in first) and len(made.markdown) < len(first)
    add_template(portal, "base.html", '{% extends "default/base.html" %}{# local #}\n')
    template_change(portal, out, made, 2)
    assert_same_as_clean(portal, out, tmp_path)


def explanation_override(portal: Path, tail: str) -> None:
    """The portal's own final-accounts 情况说明 template: the built-in one, and a file it includes."""
    builtin = (BUILTIN_TEMPLATES / "explanations/final-accounts-10.md.j2").read_text(encoding="utf-8")
    add_template(portal, "explanations/final-accounts-10.md.j2",
                 builtin + '\n{% include "explanations/local-tail.md.j2" %}\n')
    add_template(portal, "explanations/local-tail.md.j2", f"{tail}\n")


def test_a_change_to_a_explanation_template_or_one_it_includes_makes_its_prose_again(portal, tmp_path, made):
    out = tmp_path / "out"
    build(portal, out, search=False, jobs=1)
    explanation_override(portal, "本地补充说明（一）。")          # the template named by the profile
    made.clear()
    build(portal, out, search=False, jobs=1)
    assert made.explanations["fenyang-ybj/2024/final-accounts/"] == 1
    assert "本地补充说明（一）" in (out / PAGE).read_text(encoding="utf-8")
    template_change(portal, out, made)
    add_template(portal, "explanations/local-tail.md.j2", "本地补充说明（二），另有补充。\n")   # only the file it includes
    made.clear()
    build(portal, out, search=False, jobs=1)
    assert made.explanations["fenyang-ybj/2024/final-accounts/"] == 1
    assert "本地补充说明（二），另有补充" in (out / PAGE).read_text(encoding="utf-8")
    assert_same_as_clean(portal, out, tmp_path)
    template_change(portal, out, made, 2)


@pytest.mark.parametrize("change", ["rendering code", "Markdown library"])
def test_a_change_to_the_code_that_makes_the_prose_makes_it_again(portal, tmp_path, made, monkeypatch, change):
    out = tmp_path / "out"
    build(portal, out, search=False, jobs=1)
    if change == "rendering code":
        changed_digest(monkeypatch, "render")
    else:          # (the pages are made again for another reason: a library is not in the build cache's key)
        monkeypatch.setattr(render.Renderer, "PROSE_LIBRARIES", ("markdown", "99.0"))
        add_template(portal, "document.html", '{% extends "default/document.html" %}\n')
    made.clear()
    result = build(portal, out, search=False, jobs=1)
    assert result.modelled == 3 and set(made.html) == set(made.explanations) and len(made.html) == 3
    template_change(portal, out, made)
    assert_same_as_clean(portal, out, tmp_path)


@pytest.mark.parametrize("change", ["overview.md", "glossary.yaml", "site.yaml"])
def test_a_change_to_the_content_makes_its_prose_again(portal, tmp_path, made, change):
    out = tmp_path / "out"
    build(portal, out, search=False, jobs=1)
    if change == "overview.md":
        edit(portal / F / "overview.md", OVERVIEW, OVERVIEW + "（本地）")
    elif change == "glossary.yaml":          # a term of fenyang's overview: linked there now
        (portal / "glossary.yaml").write_text("terms:\n  - term: 生育保险\n    definition: 本地释义。\n",
                                              encoding="utf-8")
        age(portal / "glossary.yaml")
        age(portal)
    else:
        edit(portal / "site.yaml", "name: ", "name: （测试）")
    made.clear()
    build(portal, out, search=False, jobs=1)
    assert made.html["fenyang-ybj/2024/final-accounts/"] == 1
    page = (out / PAGE).read_text(encoding="utf-8")
    if change == "overview.md":
        assert OVERVIEW + "（本地）" in page and set(made.html) == {"fenyang-ybj/2024/final-accounts/"}
    elif change == "glossary.yaml":
        assert "本地释义" in page
    assert_same_as_clean(portal, out, tmp_path)
    template_change(portal, out, made)


def wrong_shape(path: Path) -> None:
    """A file whole and of the right key, but one disclosure's prose not of its shape."""
    header, _, body = path.read_bytes().partition(b"\n")
    prose = json.loads(zlib.decompress(body))
    prose[next(iter(prose))][3] = [["<p>不是这一页的</p>"]]
    body = zlib.compress(json.dumps(prose, ensure_ascii=False).encode("utf-8"))
    fields = {**json.loads(header), "checksum": hashlib.blake2b(body).hexdigest()}
    path.write_bytes(json.dumps(fields).encode("utf-8") + b"\n" + body)


def other_source(path: Path) -> None:
    """A file whole and of the right key, but made with another 情况说明 template's source."""
    header, _, body = path.read_bytes().partition(b"\n")
    fields = json.loads(header)
    fields["sources"] = {name: "0" * 32 for name in fields["sources"]}
    path.write_bytes(json.dumps(fields).encode("utf-8") + b"\n" + body)


@pytest.mark.parametrize("damage", [corrupt, flipped, foreign, wrong_shape, other_source])
def test_a_damaged_or_foreign_prose_file_means_the_prose_is_made_again(portal, tmp_path, made, damage):
    out = tmp_path / "out"
    build(portal, out, search=False, jobs=1)
    damage(prose_path(out, "fenyang-ybj"))
    add_template(portal, "document.html", '{% extends "default/document.html" %}\n')
    made.clear()
    assert build(portal, out, search=False, jobs=1).modelled == 3
    assert set(made.html) == {"fenyang-ybj/2024/final-accounts/"}
    assert_same_as_clean(portal, out, tmp_path)
    template_change(portal, out, made, 2)        # and kept again, whole
