"""The prose's HTML is Markdown's own: the shortcuts render.py takes (texts no inline pattern can
match skip the inline stage; a text converted once is remembered) change no byte of it, and the
sanitiser (sanitize.py) changes no byte of the example's."""

from __future__ import annotations

import markdown as md
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown.extensions.sane_lists import SaneListExtension
from markdown.extensions.tables import TableExtension

from conftest import EXAMPLE
from synthetic import generate  # tests/synthetic.py: made-up data
from site_builder import render
from site_builder.build import build
from site_builder.sanitize import DEFAULT


MARKDOWN = md.Markdown(extensions=[SaneListExtension(), TableExtension()], output_format="html")
convert = render._markdown     # the converter with the shortcut, without the memory and the sanitiser


def markdowns(text: str) -> str:
    """What Markdown itself makes of ``text``, every inline pattern tried on every text."""
    return MARKDOWN.reset().convert(text)


def test_the_inline_shortcut_is_taken_with_this_markdown():
    # with another set of inline patterns (a Markdown upgrade) the shortcut turns itself off;
    # this says it is on with the version the project installs
    assert isinstance(render._converter().treeprocessors["inline"], render._InlineProcessor)


def test_every_text_of_the_example_and_a_synthetic_portal_comes_out_as_markdown_makes_it(tmp_path, monkeypatch):
    texts: list[str] = []
    monkeypatch.setattr(render, "_markdown_html", lambda text, policy: texts.append(text) or policy.clean(convert(text)))
    generate(tmp_path / "synthetic", documents=9, seed=5)
    for content in (EXAMPLE, tmp_path / "synthetic"):
        build(content, tmp_path / f"out-{content.name}", search=False, jobs=1)
    distinct = set(texts)
    plain = [t for t in distinct if render._INLINE_TRIGGER.search(t) is None]
    assert len(distinct) > 20 and 0 < len(plain) < len(distinct)    # both ways through the inline stage
    assert any("2262.43" in t or "2,262.43" in t for t in texts)      # the example's prose is among them
    for text in sorted(distinct):
        assert convert(text) == markdowns(text), text[:200]
        assert DEFAULT.clean(markdowns(text)) == markdowns(text), text[:200]   # nothing unsafe to drop


PIECES = list("`\\[]()!<>&*_#-+=|~.:;'\"0123456789abc \n\t") + [
    "  \n", "\n\n", "中文", "（一）", "，", "。", "“三公”经费", "http://example.org", "<http://a.b>", "a@b.cn",
    "<b>", "</b>", "&amp;", "&#20013;", "**", "__", "1. ", "- ", "* ", "> ", "### ", "    ", "![图](a.png)",
    "[链接](b.html)", "[a]: http://c", "| 项目 | 金额 |\n| --- | ---: |\n| 合计 | 2,262.43 |\n", "\\*", "`代码`"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=40).map("".join))
def test_any_text_comes_out_as_markdown_makes_it(text):
    assert convert(text) == markdowns(text)


def test_a_repeated_text_is_converted_once():
    render._markdown_html.cache_clear()
    text = "名词解释：基本支出指为保障机构正常运转、完成日常工作任务而发生的人员支出和公用支出。"
    first, second = render.render_markdown(text), render.render_markdown(text)
    assert first == second == f"<p>{text}</p>"
    assert render._markdown_html.cache_info().hits == 1
