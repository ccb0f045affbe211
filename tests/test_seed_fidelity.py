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

SEED = Path(__file__).resolve().parents[2] / "shared/seeds/fenyang-2024-final-accounts.txt"


@pytest.fixture(scope="module")
def seed() -> str:
    if not SEED.exists():
        if os.environ.get("CI"):
            pytest.fail(f"seed not found at {SEED}")
        pytest.skip("shared/seeds is not beside this checkout")
    return re.sub(r"</?b>", "", SEED.read_text(encoding="utf-8"))


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
