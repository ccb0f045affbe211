"""Metadata rules: the department and year a disclosure names agree everywhere it names them.

The folder says which department and year a disclosure is; its title (the cover) and the
header block of each attached form (主管部门及代码, 预算单位, 自评年度) say it again. A copied
document that was not fully updated shows up here: last year's title, another department's
form.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..errors import Location
from ..model import Document
from . import CheckConfig, Finding, rule

_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*年")
_CODED = re.compile(r"^\s*(\d+)\s*[-－—]\s*(.+?)\s*$")   # “403-汾阳市医疗保障局”


def _form_location(form: dict, key: str) -> Location:
    return Location(form["location"].path, form.get("lines", {}).get(key, 1))


def _finding(rule_id: str, doc: Document, where: Location, expected: str, found: str,
             message: str, message_en: str, severity: str = "error") -> Finding:
    return Finding(rule=rule_id, family="metadata", severity=severity, location=where, document=doc.url,
                   expected=expected, found=found, message=message, message_en=message_en)


@rule("meta.year", "metadata", "The year in the title and in each form's title or 年度 is the disclosure's year.")
def year(doc: Document, config: CheckConfig) -> Iterator[Finding]:
    where = doc.title_location or Location(doc.path / "document.yaml")
    years = {int(y) for y in _YEAR.findall(doc.title)}
    if years and doc.year not in years:
        yield _finding("meta.year", doc, where, f"{doc.year}年", "、".join(f"{y}年" for y in sorted(years)),
                       f"标题“{doc.title}”写的年度与文件夹 {doc.year} 不同：可能沿用了其他年度的标题",
                       f"the title names {sorted(years)}, the folder is {doc.year}")
    for form in doc.attachments:
        for key in ("period", "title"):
            found = {int(y) for y in _YEAR.findall(str(form.get(key) or ""))}
            if found and doc.year not in found:
                yield _finding("meta.year", doc, _form_location(form, key), f"{doc.year}年",
                               "、".join(f"{y}年" for y in sorted(found)),
                               f"附表“{form.get('title', '')}”的{'年度' if key == 'period' else '标题'}写的是"
                               f"{'、'.join(str(y) for y in sorted(found))}年，本公开文件是 {doc.year} 年度",
                               f"form {form.get('title', '')} names year {sorted(found)}, the disclosure is {doc.year}")
                break


@rule("meta.name", "metadata", "The title names the department; a form's 主管部门 is the department (name and code).")
def name(doc: Document, config: CheckConfig) -> Iterator[Finding]:
    dept = doc.department
    if dept.name not in doc.title:
        yield _finding("meta.name", doc, doc.title_location or Location(doc.path / "document.yaml"), dept.name, doc.title,
                       f"标题“{doc.title}”中没有部门名称“{dept.name}”（department.yaml）：可能是其他部门的标题",
                       f"the title does not name the department {dept.name}")
    for form in doc.attachments:
        match = _CODED.match(str(form.get("department") or ""))
        if not match:
            continue
        code, named = match.groups()
        if named not in (dept.name, dept.supervisor):
            yield _finding("meta.name", doc, _form_location(form, "department"), dept.name, form["department"],
                           f"附表“{form.get('title', '')}”的主管部门为“{named}”，不是本部门“{dept.name}”",
                           f"the form's 主管部门 is {named}, not {dept.name}", severity="warning")
        elif dept.code and code != dept.code:
            yield _finding("meta.name", doc, _form_location(form, "department"), f"{dept.code}-{named}", form["department"],
                           f"附表“{form.get('title', '')}”的主管部门代码为 {code}，本部门代码为 {dept.code}（department.yaml）",
                           f"the form's 主管部门 code is {code}, the department's is {dept.code}", severity="warning")


@rule("meta.unit", "metadata", "A unit code (预算单位/主管部门) has one name across the document's forms.")
def unit(doc: Document, config: CheckConfig) -> Iterator[Finding]:
    names: dict[str, tuple[str, dict]] = {}
    for form in doc.attachments:
        for key in ("department", "unit"):
            match = _CODED.match(str(form.get(key) or ""))
            if not match:
                continue
            code, named = match.groups()
            first = names.setdefault(code, (named, form))
            if first[0] != named:
                yield _finding("meta.unit", doc, _form_location(form, key), f"{code}-{first[0]}", form[key],
                               f"单位代码 {code} 在附表“{first[1].get('title', '')}”中名为“{first[0]}”，"
                               f"在本表中名为“{named}”：同一代码应为同一单位名称",
                               f"unit code {code} is named {first[0]} elsewhere and {named} here", severity="warning")
