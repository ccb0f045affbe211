"""Attack corpus: a department's prose is data. Nothing in its Markdown runs on the build
machine (no template over Python objects), and nothing in its Markdown, its reasons or its
table names runs in a citizen's browser (escaped text, sanitised HTML).

Each attack is tried where a clerk can put it: report.md / deviation.md ({type: markdown}
parts), performance-report.md (included by the 情况说明 template), overview.md, glossary.md,
document.yaml reasons, a department name, a 科目 name. The browser half is at the end.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import lxml.html
import pytest
from click.testing import CliRunner

from conftest import EXAMPLE, serve
from limits import MEGABYTES, SECONDS, run_limited
from site_builder.cli import main

F = "departments/fenyang-ybj/2024/final-accounts"
L = "departments/lvliang-ybj/2023/budget"
G = "departments/gaoyi-ybj/2021/performance"
PAGE = {F: "fenyang-ybj/2024/final-accounts/index.html", L: "lvliang-ybj/2023/budget/index.html",
        G: "gaoyi-ybj/2021/performance/index.html"}


def append(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.write_text(path.read_text(encoding="utf-8") + "\n\n" + text + "\n", encoding="utf-8")


def replace(root: Path, rel: str, old: str, new: str) -> None:
    path = root / rel
    text = path.read_text(encoding="utf-8")
    assert old in text, (rel, old)
    path.write_text(text.replace(old, new), encoding="utf-8")


def build(content: Path, out: Path):
    return CliRunner().invoke(main, ["build", str(content), "--out", str(out), "--no-search", "-q"])


# -- 1. No code in content: {{ … }} is a figure, never a template -----------------------------

# Payloads that were code under the old sandboxed Jinja (reading and writing files, the
# signing key, hanging the build, exhausting memory) or that try its known escapes.
TEMPLATE_ATTACKS = {
    "read a file": '{{ doc.path.joinpath("/etc/hostname").read_text() }}',
    "write a file": '{{ doc.path.joinpath("{victim}").write_text("pwned") }}',
    "cycler globals": "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    "lipsum globals": "{{ lipsum.__globals__['os'].popen('id').read() }}",
    "class chain": "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "template reference": "{{ self._TemplateReference__context }}",
    "table object": "{{ T('02').spec }}",
    "table's class": "{{ T('02').__class__ }}",
    "table as a value": "{{ money(T('02')) }}",
    "attribute of a result": "{{ grade(97).upper() }}",
    "string multiplication": "{{ 'x' * 4000000000 }}",
    "a loop": "{% for i in range(10**10) %}x{% endfor %}",
    "a block": "{% set x = 1 %}",
    "arithmetic": "{{ 10**10**10 }}",
    "filter": "{{ year | attr('__class__') }}",
    "unknown function": "{{ range(10) }}",
    "unclosed": "{{ year ",
    "deep nesting": "{{ " + "money(" * 60 + "1" + ")" * 60 + " }}",
    "long argument": "{{ number('" + "a" * 5000 + "') }}",
}


@pytest.mark.parametrize("where", [f"{G}/deviation.md", f"{G}/report.md", f"{F}/performance-report.md",
                                   f"{L}/explanation-tail.md"])
@pytest.mark.parametrize("name", sorted(TEMPLATE_ATTACKS))
def test_template_attacks_are_errors_not_code(content_copy, tmp_path, where, name):
    victim = tmp_path / "victim.txt"
    payload = TEMPLATE_ATTACKS[name].replace("{victim}", str(victim))
    lines = (content_copy / where).read_text(encoding="utf-8").count("\n")
    append(content_copy, where, payload)
    result = build(content_copy, tmp_path / "out")
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    # the file and the line of the payload (two lines after the last one of the file)
    assert f"{where.rsplit('/', 1)[1]}:{lines + 3}" in result.output, result.output
    assert "提示：" in result.output
    assert not victim.exists()
    assert not (tmp_path / "out").exists()
    hostname = Path("/etc/hostname").read_text().strip() if Path("/etc/hostname").exists() else None
    if hostname:
        assert hostname not in result.output.replace("/etc/hostname", "")


@pytest.mark.parametrize("payload", ["{% for i in range(10**10) %}x{% endfor %}", "{{ 'x' * 4000000000 }}",
                                     "{{ money(1) }}" * 5000])
def test_hostile_prose_costs_bounded_time_and_memory(content_copy, tmp_path, payload):
    append(content_copy, f"{G}/deviation.md", payload)
    run = run_limited(["build", content_copy, "--out", tmp_path / "out", "--no-search"])
    assert run.returncode == 1, run.output
    assert run.seconds < SECONDS and run.peak_mb < MEGABYTES, (run.seconds, run.peak_mb)
    assert "deviation.md:" in run.output and "Traceback" not in run.output


def test_every_figure_function_on_a_page(content_copy, tmp_path):
    """The whole language, used as a report would, and its figures on the page."""
    append(content_copy, f"{G}/deviation.md",
           "得分 {{ score(T('02').total('score')) }} 分，等级{{ grade(T('02').total('score')) }}；"
           "{{ year }} 年；权重 {{ T('02').value('绩效目标科学性', 'weight') }}；"
           "金额 {{ money(number('prior_year.total_expenditure')) }}；"
           "占比 {{ pct(T('02').total('score'), 100) }}；{{ 'text' }}；{{ -1.5 }}。")
    (content_copy / G / "document.yaml").write_text(
        (content_copy / G / "document.yaml").read_text(encoding="utf-8")
        + "inputs:\n  prior_year:\n    total_expenditure: 12345.6\n", encoding="utf-8")
    result = build(content_copy, tmp_path / "out")
    assert result.exit_code == 0, result.output
    page = lxml.html.parse(str(tmp_path / "out" / PAGE[G])).getroot()
    text = " ".join(p.text_content() for p in page.cssselect(".prose p"))
    score = re.search(r"绩效评价得分 (\S+) 分", text).group(1)   # the example's own conclusion
    assert f"得分 {score} 分，等级优秀；2021 年；" in text
    assert "金额 12,345.60；" in text and f"占比 {score}.00%；text；-1.5。" in text
    assert "权重 7；" in text


def test_figure_errors_say_what_is_allowed(content_copy, tmp_path):
    append(content_copy, f"{G}/deviation.md", "{{ T('09').total('score') }}")
    result = build(content_copy, tmp_path / "out")
    assert result.exit_code == 1
    assert "没有表“09”；本文件的表：01、02、03" in result.output
    assert "T('表号').total('列')" in result.output


# -- 2. Text from tables and document.yaml is text in the 情况说明 ---------------------------

SCRIPT = "<script>alert(1)</script>"
LINK = "[点我](javascript:alert(1))"


def rename_department(root: Path) -> None:
    """吕梁市医疗保障局 gets a script in its name (and its disclosure's title, which must name it)."""
    replace(root, "departments/lvliang-ybj/department.yaml", "name: 吕梁市医疗保障局", f"name: 吕梁市医疗保障局{SCRIPT}")
    replace(root, f"{L}/document.yaml", "title: 吕梁市医疗保障局2023", f"title: 吕梁市医疗保障局{SCRIPT}2023")


def test_names_and_reasons_are_text_in_the_explanation(content_copy, tmp_path):
    # the department name (the budget's 情况说明 prints it), a 科目 name (the final accounts'
    # category paragraphs), reasons: HTML, a Markdown link, emphasis, a heading at a line start
    rename_department(content_copy)
    for path in (content_copy / F / "tables").glob("*.csv"):    # the 类 in every table that names it
        path.write_text(path.read_text(encoding="utf-8").replace("社会保障和就业支出", f"社会保障和就业支出{LINK}*强调*"),
                        encoding="utf-8")
    replace(content_copy, f"{F}/document.yaml", "usage: 单位职工住房公积金支出",
            "usage: \"# 标题\\n<img src=x onerror=alert(1)>\\n1. 不是列表\"")
    replace(content_copy, f"{F}/document.yaml", "other_vehicles: 机要通信、公务外出及医保基金监督检查等",
            "other_vehicles: \"<iframe srcdoc='<script>alert(1)</script>'></iframe>_a_\"")
    result = build(content_copy, tmp_path / "out")
    assert result.exit_code == 0, result.output
    budget = lxml.html.parse(str(tmp_path / "out" / PAGE[L])).getroot()
    final = lxml.html.parse(str(tmp_path / "out" / PAGE[F])).getroot()
    for page in (budget, final):
        prose = page.cssselect(".prose")
        assert prose
        for box in prose:
            assert not box.cssselect("script, img, iframe, h1, h2 a, ol li"), lxml.html.tostring(box)[:300]
            assert not [a for a in box.cssselect("a") if "javascript" in (a.get("href") or "")]
    budget_text = " ".join(p.text_content() for p in budget.cssselect(".prose"))
    assert f"吕梁市医疗保障局{SCRIPT}部门各单位政府采购预算总额" in budget_text
    final_text = " ".join(p.text_content() for p in final.cssselect(".prose"))
    assert f"社会保障和就业支出{LINK}*强调*（类）" in final_text
    assert "用于# 标题\n<img src=x onerror=alert(1)>\n1. 不是列表" in final_text
    assert "其他用车主要是<iframe srcdoc='<script>alert(1)</script>'></iframe>_a_" in final_text


def test_names_without_markup_leave_the_explanation_as_it_was(example_out):
    """The example's names and reasons hold nothing to escape where they land: its 情况说明
    Markdown (data.json's prose) has no backslash but the one its own performance-report.md
    has, and no mark (the escaping changed no byte of the example's pages)."""
    import json

    for folder, rel in PAGE.items():
        prose = json.loads((example_out / rel.replace("index.html", "data.json")).read_text(encoding="utf-8"))["prose"]
        text = "\n".join(prose.values())
        assert "\ue000" not in text and "\ue001" not in text
        own = sum(path.read_text(encoding="utf-8").count("\\") for path in (EXAMPLE / folder).glob("*.md"))
        assert text.count("\\") == own       # the Markdown's own (“1\. 优化完善信息系统。”), no more


# -- 3. Raw HTML in any Markdown is sanitised -------------------------------------------------

HTML_ATTACKS = [
    '<a href="http://example.gov.cn/" target="_blank">kept link</a>',
    SCRIPT,
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)></svg>",
    "<svg><script>alert(1)</script></svg>",
    LINK,
    '<a href="jav&#x09;ascript:alert(1)">tab</a>',
    '<a href="&#106;avascript:alert(1)">entity</a>',
    '<a href="JaVaScRiPt:alert(1)">case</a>',
    '<a href=" javascript:alert(1)">space</a>',
    "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    '<a href="vbscript:msgbox(1)">vb</a>',
    "<iframe srcdoc=\"<script>alert(1)</script>\"></iframe>",
    '<meta http-equiv="refresh" content="0;url=http://evil.example/">',
    '<base href="http://evil.example/">',
    '<link rel="stylesheet" href="http://evil.example/x.css">',
    "<style>body{display:none}</style>",
    '<form action="http://evil.example/"><input name="q"><button>go</button></form>',
    '<object data="http://evil.example/x.swf"></object><embed src="http://evil.example/x">',
    '<div style="background:url(http://evil.example/x.png)">styled</div>',
    "![pixel](http://evil.example/pixel.png)",
    '<p onclick="alert(1)" onmouseover="alert(1)">handlers</p>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<!-- <script>alert(1)</script> -->",
    # (last: what follows an unbalanced block may be swallowed by it)
    "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">",
]
HOSTILE = "\n\n".join(HTML_ATTACKS)
PROSE_FILES = [f"{F}/overview.md", f"{F}/glossary.md", f"{F}/performance-report.md", f"{G}/report.md",
               f"{G}/deviation.md", f"{L}/explanation-tail.md"]


def hostile_portal(root: Path) -> Path:
    """The example with every HTML attack in every kind of prose, a reason and the names."""
    for rel in PROSE_FILES:
        append(root, rel, HOSTILE)
    replace(root, f"{F}/document.yaml", "other_vehicles: 机要通信、公务外出及医保基金监督检查等",
            "other_vehicles: '" + " ".join(HTML_ATTACKS[:12]).replace("'", "''") + "'")
    rename_department(root)
    return root


def unsafe(tree) -> list[str]:
    """What in a parsed page could run script, load another host's file or move the reader: on
    the whole page, handlers, script URLs, inline scripts, meta refresh, base; in its prose, any
    element that embeds, loads or submits."""
    found = []
    prose = {el for box in tree.cssselect(".prose") for el in box.iter()}
    for el in tree.iter():
        if not isinstance(el.tag, str):
            continue
        tag = el.tag.lower()
        if tag in ("base", "iframe", "frame", "object", "embed") or (tag == "meta" and el.get("http-equiv")):
            found.append(lxml.html.tostring(el)[:80])
        if el in prose and tag in ("form", "input", "button", "link", "style", "img", "svg", "math", "script"):
            found.append(lxml.html.tostring(el)[:80])
        if tag == "script" and not (el.get("src") or el.get("type") in ("application/json", "application/ld+json")):
            found.append("inline script: " + (el.text or "")[:60])
        for attr, value in el.attrib.items():
            if attr.lower().startswith("on") or attr.lower() in ("srcdoc", "formaction"):
                found.append(f"{tag} {attr}")
            if attr.lower() in ("href", "src", "action", "data", "xlink:href", "style"):
                plain = re.sub(r"[\x00-\x20]", "", value).lower()
                if plain.startswith(("javascript:", "vbscript:", "data:")) or "evil.example" in plain:
                    found.append(f"{tag} {attr}={value[:40]}")
    return found


def test_raw_html_in_every_prose_is_sanitised(tmp_path):
    content = hostile_portal(Path(shutil.copytree(EXAMPLE, tmp_path / "content")))
    result = build(content, tmp_path / "out")
    assert result.exit_code == 0, result.output
    for rel in PAGE.values():
        page = lxml.html.parse(str(tmp_path / "out" / rel)).getroot()
        assert unsafe(page) == [], rel
        prose = " ".join(box.text_content() for box in page.cssselect(".prose"))
        assert "handlers" in prose and "styled" in prose and "kept link" in prose   # text kept, markup gone
    final = lxml.html.parse(str(tmp_path / "out" / PAGE[F])).getroot()
    kept = [a.get("href") for a in final.cssselect(".prose a") if a.text_content() == "kept link"]
    assert kept and set(kept) == {"http://example.gov.cn/"}   # an ordinary link keeps its address, not its target
    assert not final.cssselect(".prose a[target]")
    # the reason is text: its HTML shows as typed
    assert "其他用车主要是" + " ".join(HTML_ATTACKS[:3]) in " ".join(p.text_content() for p in final.cssselect(".prose"))


def test_the_example_prose_is_unchanged_by_the_sanitiser(example_out):
    """The sanitiser keeps what prose needs: the example's pages still have their links, lists
    and tables in prose (and tests/test_example_portal.py checks their words)."""
    page = lxml.html.parse(str(example_out / PAGE[F])).getroot()
    assert page.cssselect(".prose p") and page.cssselect(".prose a.term")


# -- 4. A portal that needs more may widen the list, never to code ----------------------------

def test_prose_html_widens_the_list(content_copy, tmp_path):
    replace(content_copy, "site.yaml", "region: 山西省吕梁市",
            "region: 山西省吕梁市\nprose_html:\n  tags: [span, abbr]\n  attributes: {span: [class], abbr: [title]}")
    append(content_copy, f"{G}/deviation.md", '<span class="note">注</span><abbr title="全称">缩写</abbr>'
                                               '<span onclick="alert(1)">x</span>')
    result = build(content_copy, tmp_path / "out")
    assert result.exit_code == 0, result.output
    page = lxml.html.parse(str(tmp_path / "out" / PAGE[G])).getroot()
    assert [s.get("class") for s in page.cssselect(".prose span") if s.text == "注"] == ["note"]
    assert page.cssselect(".prose abbr")[0].get("title") == "全称"
    assert unsafe(page) == []


@pytest.mark.parametrize("setting,bad", [("tags: [script]", "script"), ("tags: [iframe]", "iframe"),
                                         ("attributes: {a: [onclick]}", "onclick"),
                                         ("attributes: {img: [srcdoc]}", "srcdoc"),
                                         ("url_schemes: [javascript]", "javascript"),
                                         ("tags: [meta]", "meta")])
def test_prose_html_never_allows_code(content_copy, tmp_path, setting, bad):
    replace(content_copy, "site.yaml", "region: 山西省吕梁市", f"region: 山西省吕梁市\nprose_html:\n  {setting}")
    result = build(content_copy, tmp_path / "out")
    assert result.exit_code == 1, result.output
    assert "site.yaml:" in result.output and f"prose_html 不能允许“{bad}" in result.output


# -- 5. In a real browser: no dialog, no navigation, no request to another host ----------------

def test_hostile_pages_in_chromium(browser, tmp_path):
    content = hostile_portal(Path(shutil.copytree(EXAMPLE, tmp_path / "content")))
    out = tmp_path / "out"
    result = build(content, out)
    assert result.exit_code == 0, result.output
    with serve(out) as base:
        page = browser.new_page()
        events: list[str] = []
        page.on("dialog", lambda d: (events.append(f"dialog {d.message}"), d.dismiss()))
        page.on("request", lambda r: None if r.url.startswith(base.split("/portal/")[0]) else
                events.append(f"request {r.url}"))
        navigations: list[str] = []
        page.on("framenavigated", lambda f: navigations.append(f.url))
        for rel in PAGE.values():
            navigations.clear()
            page.goto(base + rel)
            page.wait_for_load_state("networkidle")
            page.wait_for_timeout(300)        # a meta refresh of 0 s or an onload would have fired
            assert navigations == [base + rel], navigations
            # every link of the prose, hovered and focused: no handler fires
            for link in page.locator(".prose a").all()[:20]:
                link.hover()
            assert page.evaluate("() => document.querySelectorAll('.prose script, .prose iframe').length") == 0
        page.goto(base + PAGE[L])
        heading = page.locator("h1").inner_text()
        assert SCRIPT in page.locator("main").inner_text() or SCRIPT in heading
        page.close()
    assert events == [], events
