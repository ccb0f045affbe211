"""The checker: rounding is a note, a real difference is an error at the right cell."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from conftest import EXAMPLE
from site_builder.checks import run_checks
from site_builder.cli import main
from site_builder.content import load_portal

FENYANG = "departments/fenyang-ybj/2024/final-accounts"


def test_example_content_has_no_errors_and_the_two_known_rounding_notes():
    findings = run_checks(load_portal(EXAMPLE))
    assert [f for f in findings if f.severity == "error"] == []
    notes = {(f.rule, f.location.path.name, f.location.line, f.expected, f.found) for f in findings}
    assert ("sum.row-parts", "03.csv", 2, "2262.42", "2262.43") in notes    # 612.10 + 1650.32
    assert ("sum.children", "06.csv", 2, "496.88", "496.89") in notes       # 301's eleven children


def test_mistakes_of_the_published_sources_are_found_and_kept_as_known_notes():
    """The checker finds real slips in the three seeds; the content lists them under known_issues."""
    known = {(f.rule, f.location.path.name, f.found) for f in run_checks(load_portal(EXAMPLE)) if "（已知：" in f.message}
    assert known == {
        ("form.total", "03-provincial-medical-assistance.yaml", "100"),
        ("prose.parts", "report.md", "3686.54万元"),          # gaoyi: 158.08 + 3528.46 ≠ 本年支出 3686.23
        ("meta.name", "01-central-service-capacity.yaml", "400-汾阳市医疗保障局"),
        ("meta.unit", "08-temporary-staff-wages.yaml", "403002-汾阳市医疗保障服务中心"),
        ("meta.name", "10-central-capacity-grant-2023-25.yaml", "902-社会保障科"),
        ("meta.name", "13-central-capacity-grant.yaml", "902-社会保障科"),
    }


def replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_mutated_row_total_is_an_error_at_its_cell(content_copy, tmp_path):
    replace(content_copy / FENYANG / "tables/03.csv", "2101502,一般行政管理事务,33.38,,33.38", "2101502,一般行政管理事务,33.38,,38.33")
    findings = [f for f in run_checks(load_portal(content_copy)) if f.severity == "error"]
    rules = {(f.rule, f.location.path.name, f.location.line, f.location.column) for f in findings}
    assert ("sum.row-parts", "03.csv", 19, 3) in rules      # 33.38 ≠ 0 + 38.33
    assert ("sum.children", "03.csv", 17, 5) in rules       # 21015 项目支出 no longer its children's sum
    result = CliRunner().invoke(main, ["build", str(content_copy), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1 and "检查发现" in result.output and not (tmp_path / "out").exists()
    preview = CliRunner().invoke(main, ["build", str(content_copy), "--out", str(tmp_path / "out"), "--allow-errors"])
    assert preview.exit_code == 0


def test_mutated_total_row_and_group_total(content_copy):
    replace(content_copy / FENYANG / "tables/02.csv", ",合计,2262.43,2262.43", ",合计,2362.43,2262.43")
    replace(content_copy / FENYANG / "tables/06.csv", ",人员经费合计,590.76", ",人员经费合计,509.76")
    found = {(f.rule, f.location.path.name) for f in run_checks(load_portal(content_copy)) if f.severity == "error"}
    assert ("sum.total-row", "02.csv") in found and ("sum.group-total", "06.csv") in found


def test_check_command_text_json_and_exit_codes(content_copy):
    runner = CliRunner()
    clean = runner.invoke(main, ["check", str(content_copy), "--format", "json"])
    assert clean.exit_code == 0
    report = json.loads(clean.stdout)
    assert report["summary"]["error"] == 0 and report["summary"]["note"] > 10
    first = report["findings"][0]
    assert set(first) >= {"rule", "family", "severity", "file", "line", "column", "expected", "found", "message", "message_en"}
    replace(content_copy / FENYANG / "tables/05.csv", "2101506,医疗保障经办事务,69.62,,69.62", "2101506,医疗保障经办事务,69.62,,96.62")
    bad = runner.invoke(main, ["check", str(content_copy)])
    assert bad.exit_code == 1 and "错误 [sum.row-parts]" in bad.output
    only = runner.invoke(main, ["check", str(content_copy), "--only", "lvliang-ybj"])
    assert only.exit_code == 0 and "fenyang" not in only.stdout


def test_check_lists_notes_on_request_only(content_copy):
    """The error-free example has 50 notes (rounding, known issues): the text says how many and
    how to see them; --notes lists them; JSON always has them."""
    runner = CliRunner()
    text = runner.invoke(main, ["check", str(content_copy)])
    assert text.exit_code == 0 and "提示 [" not in text.stdout
    assert text.stdout.splitlines() == ["另有 50 条提示（舍入差异等），用 --notes 查看"]
    assert "错误 0 个，警告 0 个，提示 50 个" in text.stderr
    listed = runner.invoke(main, ["check", str(content_copy), "--notes"])
    notes = [line for line in listed.stdout.splitlines() if ": 提示 [" in line]
    assert len(notes) == 50 and "用 --notes 查看" not in listed.stdout
    report = json.loads(runner.invoke(main, ["check", str(content_copy), "--format", "json"]).stdout)
    assert sum(f["severity"] == "note" for f in report["findings"]) == 50 == report["summary"]["note"]


def test_procurement_total_and_three_public_subtotal(content_copy):
    replace(content_copy / FENYANG / "tables/10.csv", "货物,2,4.96", "货物,2,5.96")
    replace(content_copy / "departments/lvliang-ybj/2023/budget/tables/10.csv",
            "②公务用车运行维护费,4.30,4.30,,", "②公务用车运行维护费,3.40,3.40,,")
    found = {(f.rule, f.location.path.parent.parent.name, f.location.path.name, f.location.line)
             for f in run_checks(load_portal(content_copy)) if f.severity == "error"}
    assert ("sum.rows", "final-accounts", "10.csv", 3) in found   # 合计 59.20 ≠ 5.96 + 54.24
    assert ("sum.rows", "budget", "10.csv", 4) in found           # 公务用车购置及运行费 4.30 ≠ ① + ②


def test_nine_table_fixture_gets_its_checks_without_code(tmp_path):
    import shutil
    portal = tmp_path / "p9"
    shutil.copytree(Path(__file__).resolve().parent / "fixtures/portal-9", portal)
    assert [f for f in run_checks(load_portal(portal)) if f.severity != "note"] == []
    replace(portal / "departments/demo-ju/2023/final-accounts/tables/07.csv",
            "公务用车运行维护费,\"50,000.00\",\"42,000.00\"", "公务用车运行维护费,\"50,000.00\",\"41,000.00\"")
    found = {f.rule for f in run_checks(load_portal(portal)) if f.severity == "error"}
    assert "sum.rows" in found


def test_cross_table_identities(content_copy):
    replace(content_copy / FENYANG / "tables/01.csv", "九、卫生健康支出,40,2136.04", "九、卫生健康支出,40,2163.04")
    replace(content_copy / FENYANG / "tables/06.csv", ",公用经费合计,21.34", ",公用经费合计,12.34")
    findings = run_checks(load_portal(content_copy))
    found = {(f.rule, f.location.path.name, f.location.line) for f in findings if f.severity == "error"}
    assert ("cross.categories", "01.csv", 10) in found        # 九、卫生健康支出 ≠ 公开03 210
    assert ("cross.equal", "05.csv", 2) in found              # 公开05 基本支出 ≠ 人员经费 + 公用经费


def test_vehicle_cost_against_30231_is_only_a_warning(content_copy):
    # move 1.00 from 30231 to 30239 so that every sum still holds: only the 三公 comparison moves
    replace(content_copy / FENYANG / "tables/06.csv", "30231,公务用车运行维护费,4.60", "30231,公务用车运行维护费,3.60")
    replace(content_copy / FENYANG / "tables/06.csv", "30239,其他交通费用,1.72", "30239,其他交通费用,2.72")
    findings = [f for f in run_checks(load_portal(content_copy)) if f.rule == "cross.equal"]
    assert [(f.severity, f.location.path.name, f.found, f.expected) for f in findings] == \
        [("warning", "09.csv", "4.60", "3.60")]
    runner = CliRunner()
    assert runner.invoke(main, ["check", str(content_copy)]).exit_code == 0
    assert runner.invoke(main, ["check", str(content_copy), "--strict"]).exit_code == 1


def test_budget_identities(content_copy):
    budget = content_copy / "departments/lvliang-ybj/2023/budget/tables"
    replace(budget / "12.csv", "线路租赁费,6.00,6.00", "线路租赁费,6.50,6.00")
    replace(budget / "02.csv", "2101505,医疗保障政策管理,185.00,185.00", "2101505,医疗保障政策管理,158.00,185.00")
    found = {(f.rule, f.location.path.name, f.location.line) for f in run_checks(load_portal(content_copy))
             if f.severity == "error"}
    assert ("cross.equal", "03.csv", 2) in found     # 支出总表 项目支出 16,209.80 ≠ 项目支出预算表 sum
    assert ("cross.codes", "02.csv", 20) in found    # 2101505 收入总表 158.00 ≠ 支出总表 185.00
    assert ("sum.row-parts", "02.csv", 20) in found  # and its own row no longer adds up


def test_code_rules(content_copy):
    tables = content_copy / FENYANG / "tables"
    replace(tables / "05.csv", "2101506,医疗保障经办事务", "2101506,医疗保障经办服务")
    replace(tables / "02.csv", "21013,医疗救助,1475.15,1475.15,,,,,\n", "")
    replace(tables / "03.csv", "2210201,住房公积金,43.93,43.93,,,,\n", "2210201,住房公积金,43.93,43.93,,,,\n2210201,住房公积金,43.93,43.93,,,,\n")
    findings = {(f.rule, f.location.path.name, f.found or f.expected) for f in run_checks(load_portal(content_copy))
                if f.family == "code-name"}
    assert ("code.name", "05.csv", "医疗保障经办服务") in findings
    assert ("code.parent", "02.csv", "21013") in findings
    assert ("code.duplicate", "03.csv", "2210201") in findings


def test_child_before_parent_is_a_warning(content_copy):
    tables = content_copy / FENYANG / "tables"
    replace(tables / "08.csv", ",合计,,,\n", ",合计,,,\n2230101,国有企业资本金注入,,,\n22301,国有企业资本金注入,,,\n223,国有资本经营预算支出,,,\n")
    findings = [(f.rule, f.severity, f.found) for f in run_checks(load_portal(content_copy)) if f.rule == "code.parent"]
    assert ("code.parent", "warning", "2230101") in findings and ("code.parent", "warning", "22301") in findings


def test_form_rules_and_known_issues(content_copy):
    findings = run_checks(load_portal(content_copy))
    known = [f for f in findings if f.rule == "form.total"]
    assert [(f.severity, f.location.path.name, f.expected) for f in known] == \
        [("note", "03-provincial-medical-assistance.yaml", "64")]
    assert "已知" in known[0].message
    forms = content_copy / FENYANG / "attachments"
    replace(forms / "05-archives.yaml", 'total_score: "95"', 'total_score: "96"')
    replace(forms / "06-service-outreach.yaml", 'grade: "优"', 'grade: "良"')
    replace(forms / "08-temporary-staff-wages.yaml", '    rate: "100.00"', '    rate: "90.00"')
    found = {(f.rule, f.location.path.name) for f in run_checks(load_portal(content_copy)) if f.severity == "error"}
    assert found == {("form.total", "05-archives.yaml"), ("form.grade", "06-service-outreach.yaml"),
                     ("form.rate", "08-temporary-staff-wages.yaml")}


def test_rules_are_configured_in_the_portal_file(content_copy):
    site = content_copy / "site.yaml"
    base = site.read_text(encoding="utf-8")
    site.write_text(base + "checks:\n  rounding: {万元: 0}\n", encoding="utf-8")
    strict = run_checks(load_portal(content_copy))
    assert {f.severity for f in strict if f.rule.startswith("sum.")} == {"error"}  # no rounding allowed
    site.write_text(base + "checks:\n  disabled: [sum.children, sum.row-parts, sum.total-row, sum.group-total]\n"
                    "  severity: {form.total: warning}\n", encoding="utf-8")
    configured = run_checks(load_portal(content_copy))
    assert not any(f.rule in ("sum.children", "sum.row-parts") for f in configured)
    site.write_text(base + "checks:\n  disabled: [sum.nonsense]\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["check", str(content_copy)])
    assert result.exit_code == 1 and "未知的检查规则“sum.nonsense”" in result.output


def test_unit_slip_in_prose_is_caught(content_copy):
    """DOMAIN §5: the fenyang seed wrote 涉及资金69.62元 where 公开02/03/05 hold 69.62万元."""
    report = content_copy / FENYANG / "performance-report.md"
    text = report.read_text(encoding="utf-8")
    report.write_text(text + "\n二级项目绩效自评个数2个，涉及资金69.62元。\n", encoding="utf-8")
    findings = [f for f in run_checks(load_portal(content_copy)) if f.rule == "prose.unit"]
    assert [(f.severity, f.location.path.name, f.location.line, f.found, f.expected) for f in findings] == \
        [("error", "performance-report.md", text.count("\n") + 2, "69.62元", "69.62万元")]


def test_findings_cite_the_csv_column_even_when_columns_are_reordered(content_copy):
    path = content_copy / FENYANG / "tables/05.csv"
    lines = [line.split(",") for line in path.read_text(encoding="utf-8").splitlines()]
    path.write_text("\n".join(",".join([r[0], r[1], r[4], r[3], r[2]]) for r in lines) + "\n", encoding="utf-8")
    replace(path, "2101506,医疗保障经办事务,69.62,,69.62", "2101506,医疗保障经办事务,69.62,,96.62")
    found = [f for f in run_checks(load_portal(content_copy)) if f.rule == "sum.row-parts" and f.severity == "error"]
    assert [(f.location.line, f.location.column, f.found) for f in found] == [(20, 5, "96.62")]  # 小计 is now column 5


MISTAKES = yaml.safe_load((Path(__file__).parent / "fixtures/domain-mistakes.yaml").read_text(encoding="utf-8"))
# The sentences below carry other documents' figures (DOMAIN §5's 7414478.98元 is not fenyang's):
# the rules reading prose against fenyang's tables rightly find them foreign, and are left out here
AGAINST_TABLES = {"prose.table-row", "prose.quantity", "prose.repeated"}


def _append_to_report(content: Path, sentence: str) -> int:
    """Add a sentence as the last line of fenyang's performance-report.md; return its line."""
    report = content / FENYANG / "performance-report.md"
    text = report.read_text(encoding="utf-8").rstrip("\n")
    report.write_text(text + "\n\n" + sentence + "\n", encoding="utf-8")
    return text.count("\n") + 3


@pytest.mark.parametrize("mistake", MISTAKES, ids=[m["name"] for m in MISTAKES])
def test_the_four_domain_mistakes_are_caught_by_their_rule(content_copy, mistake):
    line = _append_to_report(content_copy, mistake["text"])
    errors = [f for f in run_checks(load_portal(content_copy)) if f.severity == "error" and f.rule not in AGAINST_TABLES]
    assert [(f.rule, f.location.path.name, f.location.line, f.found) for f in errors] == \
        [(mistake["rule"], "performance-report.md", line, mistake["found"])]
    if "expected" in mistake:
        assert errors[0].expected == mistake["expected"]


@pytest.mark.parametrize("sentence", [
    "本年支出合计7414478.98元，其中基本支出3780214.14元，占50.98%；项目支出3634264.84元，占49.02%。",
    "公用经费279,474.77元，主要包括商品和服务支出72,718.77元。",
    "医疗保障经办事务（项）年初预算为60.00万元，支出决算为69.62万元，完成年初预算116.03%。",
    "医疗保障经办事务（项）年初预算为0.00万元，支出决算为69.62万元，年初未安排预算。",
    "资金1921.97万元，其中中央补助500.05万元，其他资金1421.92万元（其中上年结转1414.93万元，利息6.99万元）。",
    "收入100.00万元，其中财政拨款80.00万元，比上年增加200.00万元。",
    "支出合计1,000.00万元，占收入总计的100%。",
], ids=["right share", "parts below the whole", "right rate", "no rate", "nested parts", "a change", "100%"])
def test_correct_prose_is_not_flagged(content_copy, sentence):
    _append_to_report(content_copy, sentence)
    assert [f for f in run_checks(load_portal(content_copy)) if f.rule.startswith("prose.")
            and f.rule not in AGAINST_TABLES and f.location.path.name == "performance-report.md"] == []


def test_rate_and_parts_sum_mistakes(content_copy):
    line = _append_to_report(content_copy, "年初预算为60.00万元，支出决算为69.62万元，完成年初预算106.03%。"
                                           "资金1921.97万元，其中中央补助500.05万元，其他资金1521.92万元。")
    found = {(f.rule, f.location.line, f.expected, f.found) for f in run_checks(load_portal(content_copy))
             if f.rule.startswith("prose.") and f.location.path.name == "performance-report.md"}
    assert found == {("prose.rate", line, "116.03%", "106.03%"), ("prose.parts", line, "不大于 1921.97万元", "2021.97万元")}


def test_a_reason_in_document_yaml_is_located_by_its_key_line(content_copy):
    path = content_copy / FENYANG / "document.yaml"
    replace(path, "  three_public_change: 2024年", "  three_public_change: 公用经费72,718.77元，主要包括商品和服务支出279,474.77元。2024年")
    line = next(i for i, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if "three_public_change" in text)
    found = [f for f in run_checks(load_portal(content_copy)) if f.rule == "prose.parts" and "fenyang" in f.document]
    assert [(f.location.path.name, f.location.line) for f in found] == [("document.yaml", line)]


def test_metadata_rules(content_copy):
    replace(content_copy / FENYANG / "document.yaml", "title: 汾阳市医疗保障局2024年度", "title: 汾阳市人力资源和社会保障局2023年度")
    replace(content_copy / FENYANG / "attachments/05-archives.yaml", 'period: "(2024年度)"', 'period: "(2023年度)"')
    replace(content_copy / FENYANG / "attachments/05-archives.yaml", 'unit: "403001-汾阳市医疗保障局"', 'unit: "403001-汾阳市医保中心"')
    found = {(f.rule, f.severity, f.location.path.name, f.location.line, f.found)
             for f in run_checks(load_portal(content_copy)) if f.rule.startswith("meta.") and f.severity != "note"}
    assert found == {
        ("meta.year", "error", "document.yaml", 4, "2023年"),
        ("meta.name", "error", "document.yaml", 4, "汾阳市人力资源和社会保障局2023年度部门决算公开"),
        ("meta.year", "error", "05-archives.yaml", 3, "2023年"),
        ("meta.unit", "warning", "05-archives.yaml", 6, "403001-汾阳市医保中心"),
    }


def test_standard_subject_names_bundled_and_from_the_portal(content_copy):
    replace(content_copy / FENYANG / "tables/05.csv", "2101506,医疗保障经办事务,", "2101506,医疗保障经办服务,")
    found = {(f.rule, f.severity, f.location.path.name, f.location.line, f.expected)
             for f in run_checks(load_portal(content_copy)) if f.rule.startswith("code.")}
    assert ("code.standard-name", "warning", "05.csv", 20, "医疗保障经办事务") in found
    assert ("code.name", "error", "05.csv", 20, "医疗保障经办事务") in found
    replace(content_copy / FENYANG / "tables/05.csv", "2101506,医疗保障经办服务,", "2101506,医疗保障经办事务,")
    # the portal's own list overrides the bundled one
    (content_copy / "科目名称.yaml").write_text('功能分类:\n  "2101506": [医疗保障经办业务]\n', encoding="utf-8")
    site = content_copy / "site.yaml"
    site.write_text(site.read_text(encoding="utf-8") + "checks:\n  subjects: 科目名称.yaml\n", encoding="utf-8")
    warned = {(f.location.path.name, f.found) for f in run_checks(load_portal(content_copy)) if f.rule == "code.standard-name"}
    assert ("05.csv", "医疗保障经办事务") in warned and ("03.csv", "医疗保障经办事务") in warned


def test_two_sided_summary_tables_balance(content_copy, tmp_path):
    """收入总计 = 支出总计, 本年合计 = its lines, 总计 = 本年合计 + 结转 — in all three profiles."""
    replace(content_copy / FENYANG / "tables/01.csv", "总计,31,2262.43,总计,62,2262.43", "总计,31,2262.43,总计,62,2263.43")
    replace(content_copy / "departments/lvliang-ybj/2023/budget/tables/04.csv",
            '一、一般公共预算,"12,727.86",一、一般公共服务支出', '一、一般公共预算,"12,627.86",一、一般公共服务支出')
    found = {(f.rule, f.location.path.name, f.location.line, f.location.column)
             for f in run_checks(load_portal(content_copy)) if f.severity == "error"}
    assert ("sum.rows", "01.csv", 32, 6) in found          # fenyang 62 ≠ 58 + 59 + 60 + 61
    assert ("cross.equal", "01.csv", 32, 3) in found       # fenyang 收入总计 31 ≠ 支出总计 62
    assert ("sum.rows", "04.csv", 32, 2) in found          # lvliang 本年收入合计 ≠ its lines
    import shutil
    portal = tmp_path / "p9"
    shutil.copytree(Path(__file__).resolve().parent / "fixtures/portal-9", portal)
    replace(portal / "departments/demo-ju/2023/final-accounts/tables/01.csv", '三、事业收入,3,"50,000.00"', '三、事业收入,3,"60,000.00"')
    found = {(f.rule, f.location.line) for f in run_checks(load_portal(portal)) if f.severity == "error"}
    assert ("sum.rows", 5) in found                         # 本年收入合计 ≠ the lines above it
