"""Mutation tests: one changed number or word in the example content, one rule that must fire.

Every registered rule has at least one mutation here (the last test keeps it so). A mutation
edits one file of a copy of the example content; the rule must report an error or warning at
the edited line (or at the named file and line where the rule reports the other side). Rules on
what the example has none of (a 评分表, a 评价报告; printed rates) mutate a copy of
tests/fixtures/portal-forms or tests/fixtures/portal-rates.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from site_builder.checks import RULES, run_checks
from site_builder.content import load_portal

F = "departments/fenyang-ybj/2024/final-accounts"
L = "departments/lvliang-ybj/2023/budget"
ZERO_RATE = "\n\n医疗保障经办事务年初预算为0.00万元，支出决算为69.62万元，完成年初预算0.00%。\n"
GRADES = "\n\n一级项目绩效自评个数7个，涉及资金1579.09万元：7个项目自评等级为“优”，1个项目自评等级为“良”。\n"
CHANGE_RATE = "\n\n2024年机关运行经费支出4.14万元，比2023年减少9.49万元，下降69.36%。\n"   # 69.63%
ZERO_BASE = "\n\n2024年机关运行经费支出4.14万元，比2023年增加4.14万元，增长100.00%。\n"   # last year 0

# rule → (file, old text, new text, where the finding must be: None = the edited line, or (file name, line))
MUTATIONS = {
    "sum.row-parts": (f"{F}/tables/03.csv", "2101502,一般行政管理事务,33.38,,33.38", "2101502,一般行政管理事务,33.38,,38.33", None),
    "sum.children": (f"{F}/tables/06.csv", "30101,基本工资,176.64", "30101,基本工资,186.64", ("06.csv", 2)),
    "sum.total-row": (f"{F}/tables/02.csv", ",合计,2262.43,2262.43", ",合计,2362.43,2262.43", None),
    "sum.group-total": (f"{F}/tables/06.csv", ",人员经费合计,590.76", ",人员经费合计,509.76", None),
    "sum.rows": (f"{F}/tables/10.csv", "货物,2,4.96", "货物,2,5.96", ("10.csv", 3)),
    "cross.equal": (f"{F}/tables/09.csv", "4.60,,4.60,,4.60,,4.60,,4.60,,4.60,", "4.60,,4.60,,4.60,,4.70,,4.70,,4.70,", None),
    "cross.categories": (f"{F}/tables/01.csv", "八、社会保障和就业支出,39,82.46", "八、社会保障和就业支出,39,28.46", None),
    "cross.codes": (f"{L}/tables/02.csv", "2080502,事业单位离退休,11.97,11.97", "2080502,事业单位离退休,17.97,17.97", None),
    "code.name": (f"{F}/tables/05.csv", "2101506,医疗保障经办事务,", "2101506,医疗保障经办服务,", None),
    "code.standard-name": (f"{F}/tables/05.csv", "2101506,医疗保障经办事务,", "2101506,医疗保障经办服务,", None),
    "code.duplicate": (f"{F}/tables/05.csv", "2101506,医疗保障经办事务,69.62,,69.62\n",
                       "2101506,医疗保障经办事务,69.62,,69.62\n2101506,医疗保障经办事务,,,\n", 1),
    "code.parent": (f"{F}/tables/05.csv", "2101506,医疗保障经办事务,", "2109906,医疗保障经办事务,", None),
    "form.total": (f"{F}/attachments/05-archives.yaml", 'total_score: "95"', 'total_score: "96"', ("05-archives.yaml", 1)),
    "form.grade": (f"{F}/attachments/05-archives.yaml", 'grade: "优"', 'grade: "良"', ("05-archives.yaml", 1)),
    "form.rate": (f"{F}/attachments/05-archives.yaml", 'rate: "100"', 'rate: "90"', ("05-archives.yaml", 1)),
    "content.placeholder": (f"{F}/overview.md", "汾阳市医疗保障局成立于2019年3月", "【待填写：本部门职责】", None),
    "prose.unit": (f"{F}/performance-report.md", "单位全年预算数为2262.43万元", "单位全年预算数为2262.43元", None),
    "prose.parts": (f"{F}/performance-report.md", "中央补助500.05万元", "中央补助2500.05万元", None),
    "prose.share": (f"{F}/performance-report.md", "其他资金525.16万元（", "其他资金525.16万元，占27.23%（", None),
    "prose.rate": (f"{F}/performance-report.md", "项目全年预算数为108.84万元，执行数108.84万元",
                   "项目全年预算数为108.84万元，执行数108.84万元，执行率90.00%", None),
    "prose.zero-denominator": (f"{F}/performance-report.md", None, ZERO_RATE, ("performance-report.md", -1)),
    "prose.over-total": (f"{F}/performance-report.md", "当年安排救助资金1921.97万元", "当年安排救助资金19219700.00万元", None),
    "prose.listing": (f"{F}/performance-report.md", "执行数为57.74万元", "执行数为75.74万元", ("performance-report.md", 3)),
    "prose.grade-count": (f"{F}/performance-report.md", None, GRADES, ("performance-report.md", -1)),
    "prose.change-rate": (f"{F}/performance-report.md", None, CHANGE_RATE, ("performance-report.md", -1)),
    "prose.zero-base": (f"{F}/performance-report.md", None, ZERO_BASE, ("performance-report.md", -1)),
    "prose.table-row": (f"{F}/performance-report.md", None, "\n\n2024年度卫生健康支出决算2,163.04万元。\n",
                        ("performance-report.md", -1)),
    "prose.quantity": (f"{F}/performance-report.md", None, "\n\n2024年度基本支出621.10万元。\n", ("performance-report.md", -1)),
    "prose.repeated": (f"{F}/performance-report.md", None,
                       "\n\n2024年度“三公”经费比上年减少2.72万元。\n\n“三公”经费比上年度减少2.27万元。\n", 2),
    "meta.year": (f"{F}/document.yaml", "title: 汾阳市医疗保障局2024年度", "title: 汾阳市医疗保障局2023年度", None),
    "meta.name": (f"{F}/document.yaml", "title: 汾阳市医疗保障局", "title: 汾阳市人社局", None),
    "meta.unit": (f"{F}/attachments/05-archives.yaml", 'unit: "403001-汾阳市医疗保障局"', 'unit: "403001-汾阳市医保局"', None),
}

# The same, on tests/fixtures/portal-forms (made-up figures)
FORMS = Path(__file__).resolve().parent / "fixtures/portal-forms"
S = "departments/demo-jt/2023/performance/attachments/01-road-scores.yaml"
SR = "departments/demo-jt/2023/performance/attachments/02-road-report.yaml"
FORM_MUTATIONS = {
    "form.score-cap": (S, 'weight: "3"\n    note: ""\n    score: "2"', 'weight: "3"\n    note: ""\n    score: "4"', 2),
    "form.weights": (S, 'total_weight: "100"', 'total_weight: "110"', None),
    "form.score-total": (S, 'total_score: "90"', 'total_score: "92"', None),
    "form.report-grade": (SR, "grade: 优", "grade: 良", None),
    "form.report-score": (SR, 'total_score: "90"', 'total_score: "95"', None),
}


def mutate(root: Path, rel: str, old: str | None, new: str) -> int:
    """Apply one edit; return the 1-based line where the new text starts."""
    path = root / rel
    text = path.read_text(encoding="utf-8")
    if old is None:                       # append
        at = len(text)
        text += new
    else:
        assert text.count(old) >= 1, (rel, old)
        at = text.index(old)
        text = text.replace(old, new, 1)
    path.write_text(text, encoding="utf-8")
    return text.count("\n", 0, at) + 1 + (new[:len(new) - len(new.lstrip("\n"))].count("\n") if old is None else 0)


@pytest.mark.parametrize("rule_id", sorted(MUTATIONS))
def test_each_rule_fires_on_its_mutation(content_copy, rule_id):
    fires(content_copy, rule_id, MUTATIONS[rule_id])


@pytest.mark.parametrize("rule_id", sorted(FORM_MUTATIONS))
def test_each_form_rule_fires_on_its_fixture_mutation(tmp_path, rule_id):
    fires(Path(shutil.copytree(FORMS, tmp_path / "content")), rule_id, FORM_MUTATIONS[rule_id])


def fires(content_copy: Path, rule_id: str, mutation: tuple) -> None:
    rel, old, new, where = mutation
    before = {(f.rule, str(f.location)) for f in run_checks(load_portal(content_copy)) if f.severity != "note"}
    line = mutate(content_copy, rel, old, new)
    if isinstance(where, int):
        where, line = None, line + where     # the finding is on a line after the edited one
    if where is None:
        expected = (Path(rel).name, line)
    else:
        expected = (where[0], line if where[1] == -1 else where[1])
    findings = [f for f in run_checks(load_portal(content_copy))
                if f.rule == rule_id and f.severity in ("error", "warning") and (f.rule, str(f.location)) not in before]
    assert findings, f"{rule_id} did not fire"
    assert expected in {(f.location.path.name, f.location.line) for f in findings}, \
        [(f.location.path.name, f.location.line, f.message) for f in findings]


# Rules whose tables the example content does not have (its 三公 tables compute their rates):
# rule → (fixture portal, file, old text, new text, (file name, line) of the finding)
RATES = Path(__file__).resolve().parent / "fixtures/portal-rates"
R = "departments/demo-ju/2024/final-accounts"
FIXTURE_MUTATIONS = {
    "rate.printed": (RATES, f"{R}/tables/02.csv", '"3,500.00",78.0%', '"3,500.00",78.1%', ("02.csv", 7)),
    "rate.zero-denominator": (RATES, f"{R}/tables/02.csv", "因公出国（境）费,0.00,0.00,0.00,,",
                              "因公出国（境）费,0.00,0.00,0.00,0.00%,", ("02.csv", 3)),
}


@pytest.mark.parametrize("rule_id", sorted(FIXTURE_MUTATIONS))
def test_each_fixture_rule_fires_on_its_mutation(tmp_path, rule_id):
    root, rel, old, new, where = FIXTURE_MUTATIONS[rule_id]
    portal = tmp_path / "portal"
    shutil.copytree(root, portal)
    assert [f for f in run_checks(load_portal(portal)) if f.rule == rule_id] == []
    mutate(portal, rel, old, new)
    findings = [f for f in run_checks(load_portal(portal)) if f.rule == rule_id and f.severity in ("error", "warning")]
    assert where in {(f.location.path.name, f.location.line) for f in findings}, \
        [(f.location.path.name, f.location.line, f.message) for f in findings]


def test_every_rule_has_a_mutation():
    assert set(MUTATIONS) | set(FORM_MUTATIONS) | set(FIXTURE_MUTATIONS) == set(RULES)
    assert not set(MUTATIONS) & set(FIXTURE_MUTATIONS) and not set(MUTATIONS) & set(FORM_MUTATIONS)
