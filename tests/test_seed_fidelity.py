"""The example page against the published document itself (shared/seeds, beside the repo).

Every amount printed in the seed's 第二部分 tables appears in the page's tables as often as in
the seed, and every number of the computed part of 情况说明 matches the seed's (formatting such
as 2,262.43 / 2262.43 and 9.1% / 9.10% aside), except the known unit slip it corrects.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from conftest import EXAMPLE, FENYANG

SEEDS = Path(__file__).resolve().parents[2] / "shared/seeds"


def read_seed(name: str) -> str:
    path = SEEDS / name
    if not path.exists():
        if os.environ.get("CI"):
            pytest.fail(f"seed not found at {path}")
        pytest.skip("shared/seeds is not beside this checkout")
    return re.sub(r"</?b>", "", path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def seed() -> str:
    return read_seed("fenyang-2024-final-accounts.txt")


def between(text: str, start: str, end: str) -> str:
    return text[text.index(start):text.index(end, text.index(start))]


def amounts(text: str) -> Counter:
    return Counter(re.findall(r"(?<![\d.])\d+\.\d{2}(?![\d.])", text))


def test_every_table_amount_of_the_seed_is_on_the_page(seed, fenyang_page):
    tables = between(seed, "## 收入支出决算总表", "## 第三部分 情况说明")
    published = amounts(tables)
    shown = Counter(td.text_content() for td in fenyang_page.cssselect("#part-2 td.num") if td.text_content())
    shown = Counter({k: v for k, v in shown.items() if re.fullmatch(r"\d+\.\d{2}", k)})
    assert shown == published
    assert sum(published.values()) > 150
    dashes = tables.count("——")
    assert sum(1 for td in fenyang_page.cssselect("#part-2 td.num") if td.text_content() == "——") == dashes


def numbers(text: str) -> Counter:
    return Counter(Decimal(n.replace(",", "")) for n in re.findall(r"\d[\d,]*(?:\.\d+)?", text))


def test_computed_explanation_numbers_match_the_seed(seed, fenyang_page):
    published = between(seed, "### 一、收入支出决算总体情况说明", "具体公开的每个项目绩效自评结果如下表述")
    page_text = fenyang_page.get_element_by_id("part-3").text_content()
    shown = between(page_text, "一、收入支出决算总体情况说明", "具体公开的每个项目绩效自评结果如下表述")
    # strip the section numbering the seed and the page share (一、 （一） 1、) before comparing
    assert numbers(shown) == numbers(published)
    assert "涉及资金69.62元" in published and "涉及资金69.62万元" in shown


SKIP = {"kind", "source_notes", "unavailable", "unavailable_reason", "labels", "amount_unit"}


def strings(value, key=None):
    """Every text value of a form file, with the key it is under (skipping our own notes)."""
    if key in SKIP:
        return
    if isinstance(value, dict):
        for k, v in value.items():
            yield from strings(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from strings(v, key)
    elif isinstance(value, str) and value.strip():
        yield key, value


def test_form_values_are_transcribed_not_invented(seed):
    """Every value of every form file stands verbatim in the seed's text of that form."""
    folder = EXAMPLE / "departments" / FENYANG / "attachments"
    flat_seed = re.sub(r"\s+", "", seed)
    checked = 0
    for path in sorted(folder.glob("*.yaml")):
        for key, value in strings(yaml.safe_load(path.read_text(encoding="utf-8"))):
            for line in value.strip().splitlines():
                assert re.sub(r"\s+", "", line) in flat_seed, f"{path.name}: {key}: {line[:40]}"
                checked += 1
    assert checked > 500


def page_amounts(page, selector: str) -> Counter:
    texts = (td.text_content() for td in page.cssselect(selector) if td.text_content())
    return Counter(t.replace(",", "") for t in texts if re.fullmatch(r"[\d,]+\.\d{2}", t))


def test_every_budget_table_amount_is_on_the_page(example_out):
    import lxml.html
    seed = read_seed("lvliang-2023-budget.txt")
    tables = between(seed, "第二部分 2023年部门预算报表\n", "第三部分 2023年度部门预算情况说明")
    published = Counter(a.replace(",", "") for a in re.findall(r"(?<![\d.,])\d[\d,]*\.\d{2}(?![\d.])", tables))
    page = lxml.html.parse(str(example_out / "lvliang-ybj/2023/budget/index.html")).getroot()
    assert page_amounts(page, "#part-2 td.num") == published
    assert sum(published.values()) > 250


def test_scorecard_and_project_list_match_the_seed(example_out):
    import lxml.html
    seed = read_seed("gaoyi-2021-performance-self-evaluation.txt")
    page = lxml.html.parse(str(example_out / "gaoyi-ybj/2021/performance/index.html")).getroot()
    scores = [(r.cssselect('td[data-key="weight"]')[0].text_content(), r.cssselect('td[data-key="score"]')[0].text_content())
              for r in page.cssselect('table[data-table="02"] tbody tr:not(.total)')]
    for line in seed.splitlines():
        cells = [c.strip() for c in line.split("\t") if c.strip()]
        if len(cells) >= 4 and re.fullmatch(r"[\d.]+", cells[-1]) and re.fullmatch(r"[\d.]+", cells[-2]) \
                and cells[0] != "合计" and not cells[0].isdigit():
            assert (cells[-2], cells[-1]) in scores, line[:40]
    listing = between(seed, "分项绩效项目清单", "\n20\t")
    projects = [line.split("\t") for line in listing.splitlines() if re.match(r"^\d+\t", line)]
    shown = [[td.text_content() for td in r] for r in page.cssselect('table[data-table="03"] tbody tr')]
    assert [(p[0], p[1], p[2], p[3], p[5]) for p in projects] == [(s[0], s[1], s[2], s[3], s[5]) for s in shown]


def test_budget_explanation_numbers_match_the_seed(example_out):
    import lxml.html
    seed = read_seed("lvliang-2023-budget.txt")
    published = between(seed, "一、部门预算收支数据变动情况及原因\n\n", "附表\n")
    page = lxml.html.parse(str(example_out / "lvliang-ybj/2023/budget/index.html")).getroot()
    text = page.get_element_by_id("part-3").text_content()
    shown = between(text, "一、部门预算收支数据变动情况及原因", "附表")
    assert numbers(shown) == numbers(published)


def test_budget_form_values_are_transcribed_not_invented():
    seed = re.sub(r"\s+", "", read_seed("lvliang-2023-budget.txt"))
    folder = EXAMPLE / "departments/lvliang-ybj/2023/budget/attachments"
    checked = 0
    for path in sorted(folder.glob("*.yaml")):
        for key, value in strings(yaml.safe_load(path.read_text(encoding="utf-8"))):
            assert re.sub(r"\s+", "", value) in seed, f"{path.name}: {key}: {value[:40]}"
            checked += 1
    assert checked > 1000


def test_report_text_is_the_published_text():
    """Every paragraph of report.md (markup removed) stands in the seed, and nothing is left out."""
    seed = read_seed("gaoyi-2021-performance-self-evaluation.txt")
    flat_seed = re.sub(r"\s+", "", seed)
    report = (EXAMPLE / "departments/gaoyi-ybj/2021/performance/report.md").read_text(encoding="utf-8")
    report = report.replace("{{ score(T('02').total('score')) }}", "97").replace("{{ grade(T('02').total('score')) }}", "优秀")
    body = ""
    for line in report.splitlines():
        line = re.sub(r"^#+\s*|\*\*|^\|\s*-+.*$", "", line).replace("|", "").replace("\\.", ".")
        body += re.sub(r"\s+", "", line)
    start = flat_seed.index("贯彻落实市委市政府")
    end = flat_seed.index("部门整体支出绩效自评表", start)
    assert body == flat_seed[start:end]
