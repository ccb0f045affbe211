"""The printed shape of the attachment kinds that are no 自评表 or 申报表 (docs/form-schema.md).

A 绩效评价指标体系评分表 (``project-evaluation-scores``) prints the same kind of columns in
every document but not always all of them, nor with the same words: 标准值 in one, 指标值 in
another. The form says which it prints (``columns``, in printed order) and how it names them
(``labels``); the loader (content.py) refuses a cell in a column the form does not print, so
what a file holds is what the page shows. A 绩效评价报告 (``project-evaluation-report``) is
headings and Markdown, drawn by its template alone.
"""

from __future__ import annotations

from typing import Any

SCORES_KIND = "project-evaluation-scores"      # 绩效评价指标体系评分表
REPORT_KIND = "project-evaluation-report"      # 绩效评价报告

# The scoring table's columns: key → the standard printed header, in the usual printed order.
SCORING_COLUMNS = {
    "level1": "一级指标", "level2": "二级指标", "level3": "三级指标", "value": "标准值",
    "criteria": "评分标准", "weight": "分值", "note": "指标说明", "score": "得分", "actual": "实际完成情况",
}
# Columns every scoring table prints: the indicator tree first (its 一级/二级 cells span rows, so
# they lead), and the two numbers the checker adds up.
SCORING_LEADING = ("level1", "level2", "level3")
SCORING_NEEDED = ("weight", "score")
# Its other printed words (``labels`` may replace any of them too).
SCORING_LABELS = {
    **SCORING_COLUMNS,
    "project": "项目名称", "department": "主管部门", "unit": "实施单位",
    "indicators": "评分表", "total": "合计", "grade": "等级", "remarks": "备注",
}
# The report's labels: its header block.
REPORT_LABELS = {"project": "项目名称", "department": "主管部门", "unit": "实施单位", "period": "评价期间",
                 "total_score": "评价得分", "grade": "评价等级"}
REPORT_DEPTH = 3     # nested numbered headings: 一、 › （一） › 1.


def attachment_labels(form: dict[str, Any]) -> dict[str, str]:
    """A scoring table's or a report's printed words: the standard ones of its kind, with those
    this form prints differently (``labels``)."""
    standard = SCORING_LABELS if form.get("kind") == SCORES_KIND else REPORT_LABELS
    return {**standard, **(form.get("labels") or {})}


def scoring_columns(form: dict[str, Any]) -> list[tuple[str, str]]:
    """The columns a scoring table prints, in order: ``(key, header)``."""
    labels = attachment_labels(form)
    return [(key, labels[key]) for key in form.get("columns") or SCORING_COLUMNS]
