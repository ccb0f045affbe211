"""Load a content folder into the model.

Layout (see README and docs/ for the full guide)::

    site.yaml                                  portal settings
    profiles/*.yaml                            optional table-set profiles of this portal
    templates/                                 optional template overrides
    departments/<slug>/department.yaml         a department
    departments/<slug>/<year>/<kind>/          a disclosure: document.yaml, overview.md,
                                               glossary.md, tables/<id>.csv, attachments/*.yaml
"""

from __future__ import annotations

import dataclasses
import os
import re
from pathlib import Path
from typing import Any

from .checks import RULES
from .config import SiteConfig, load_site_config   # (site.yaml is read in config.py)
from .errors import ContentError, Location, ProfileError
from .formview import REPORT_DEPTH, REPORT_KIND, REPORT_LABELS, SCORES_KIND, SCORING_COLUMNS, SCORING_LABELS, \
    SCORING_LEADING, SCORING_NEEDED
from .numbers import MONEY_UNITS, NUMBER_HINT, OutOfRange, parse_decimal
from .model import KIND_ORDER, KINDS, Department, Document, Portal, Record
from .profiles import Profile, TableSpec, load_profiles
from .sources import (YamlMapping, check_texts, check_type, load_mapping, optional, read_markdown, refuse_outside_link,
                      reject_unknown, require)
from .tables import read_table

# Attachment forms by kind (docs/form-schema.md) → the fields each must have.
FORM_FIELDS = {
    "project-self-evaluation": ("project", "total_score", "grade"),      # 项目支出绩效自评表
    "project-performance-target": ("project", "department", "unit"),    # 项目支出绩效目标申报表
    SCORES_KIND: ("project", "total_weight", "total_score"),             # 绩效评价指标体系评分表
    REPORT_KIND: ("project", "unit", "period"),                          # 绩效评价报告
}
# → the lists each must have (its printed lines, indicators or sections; the newer kinds' not empty).
FORM_LISTS = {
    "project-self-evaluation": ("funding", "indicators"),
    "project-performance-target": ("funding", "indicators"),
    SCORES_KIND: ("indicators",),
    REPORT_KIND: ("sections",),
}
# The keys the newer kinds may have: any other is refused at its line (a misspelt key would
# leave a printed cell off the page without a word).
FORM_KEYS = {
    SCORES_KIND: {"kind", "title", "period", "project", "department", "unit", "labels", "columns", "indicators",
                  "total_weight", "total_score", "grade", "remarks", "source_notes", "unavailable",
                  "unavailable_reason"},
    REPORT_KIND: {"kind", "title", "period", "project", "department", "unit", "labels", "sections", "total_score",
                  "grade", "source_notes", "unavailable", "unavailable_reason"},
}
SECTION_KEYS = {"heading", "text", "sections"}     # a report's section
# Their keys that are printed text (a heading, a cell, a line of the header)
FORM_TEXTS = ("title", "period", "project", "department", "unit", "total_weight", "total_score", "grade", "remarks",
              "unavailable_reason")
# The fields of a form's lines that hold a printed number (docs/form-schema.md): kept as printed,
# read as numbers by the checker.
FORM_NUMBERS = {"funding": ("target", "budgeted", "full_year", "executed", "balance", "rate", "score",
                            "period_total", "annual"),
                "indicators": ("weight", "score")}
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]*\Z")     # (\Z: "$" would let a name end in a line break)
# Folders whose name starts with these are not read: .git, .svn, editors' and sync tools' folders
HIDDEN = (".", "_")
DEPARTMENT_KEYS = {"name", "code", "supervisor", "region"}
DOCUMENT_KEYS = {"title", "profile", "published", "source", "inputs", "reasons", "table_notes", "corrections",
                 "known_issues", "tables"}
# What document.yaml's ``tables`` may set for one table whose printed caption differs from the
# profile: its unit (单位：元 in a 万元 set) and the 年度 the caption prints
TABLE_OVERRIDE_KEYS = {"unit", "year"}


def load_portal(root: Path) -> Portal:
    """Read and validate everything under ``root``; raise on the first unusable input."""
    root = root.resolve()
    config = load_site_config(root)
    profiles = load_profiles(root / "profiles")
    departments_dir = root / "departments"
    if not departments_dir.is_dir():
        raise ContentError(departments_dir, "找不到 departments 文件夹", "每个部门一个子文件夹，放在 departments/ 下")
    check_tree(root)
    departments = [load_department(departments_dir / slug, config, profiles) for slug in department_slugs(departments_dir)]
    check_unique(departments)
    return Portal(config, root, departments)


def department_slugs(departments_dir: Path) -> list[str]:
    """The department folders under ``departments/``, sorted. A folder whose name starts with "."
    or "_" is not a department (.git, .svn, an editor's or a sync tool's folder) and is skipped,
    unless it holds one: a department renamed ``.fenyang`` or ``_fenyang`` would vanish from the
    portal without a word, so that is an error (a department left out on purpose is moved out
    of ``departments/``)."""
    slugs = []
    with os.scandir(departments_dir) as entries:      # (a stat per department with Path.is_dir)
        for entry in entries:
            if not entry.is_dir():
                continue
            if entry.name.startswith(HIDDEN):
                refuse_hidden(Path(entry.path), holds_department(Path(entry.path)), "部门")
                continue
            slugs.append(entry.name)
    return sorted(slugs)


def holds_department(folder: Path) -> bool:
    return (folder / "department.yaml").is_file() or holds_document(folder, depth=2)


def holds_document(folder: Path, depth: int) -> bool:
    """Whether ``folder`` holds a disclosure ``depth`` levels down (2: a department's
    <year>/<kind>/document.yaml; 1: a year's <kind>/document.yaml; 0: its own)."""
    return any(folder.glob("/".join(["*"] * depth + ["document.yaml"])))


def refuse_hidden(folder: Path, holds: bool, what: str) -> None:
    """Refuse a skipped (hidden) folder that holds content: it would not be published."""
    if holds:
        raise ContentError(folder, f"{what}文件夹“{folder.name}”以“{folder.name[0]}”开头，会被当作隐藏文件夹跳过，其中的内容不会发布",
                           "去掉名称开头的“.”或“_”（部门文件夹只用小写英文字母、数字和连字符，如 fenyang-ybj）；"
                           "确实不发布的内容，请移出内容文件夹")


def check_tree(root: Path, top: Path | None = None) -> None:
    """Refuse a symlink under ``top`` (default: all of ``root``) that leads outside the content
    folder ``root`` (a page must not publish /etc/passwd)."""
    root = root.resolve()
    for folder, dirs, files in os.walk(top or root):
        for name in dirs + files:
            if os.path.islink(os.path.join(folder, name)):
                refuse_outside_link(os.path.join(folder, name), root)


def check_unique(departments: list[Department]) -> None:
    """Two folders for one department would publish it twice under two addresses."""
    seen: dict[tuple[str, str], Department] = {}
    for dept in departments:
        for key, value in (("名称", dept.name), ("代码", dept.code)):
            if value is None:
                continue
            other = seen.setdefault((key, value), dept)
            if other is not dept:
                raise ContentError(Path(dept.path) / "department.yaml",
                                   f"部门{key}“{value}”与 departments/{other.slug}/ 重复",
                                   "一个部门只建一个文件夹；同一部门的各年度放在该文件夹下")


def load_department(folder: Path, config: SiteConfig, profiles: dict[str, Profile]) -> Department:
    if not SLUG_RE.match(folder.name):
        raise ContentError(folder, f"部门文件夹名“{folder.name}”不符合要求",
                           "只用小写英文字母、数字和连字符，如 fenyang-ybj（它会成为网址的一部分）")
    data = load_mapping(folder / "department.yaml") if (folder / "department.yaml").is_file() else None
    if data is None:
        raise ContentError(folder / "department.yaml", "缺少部门信息文件 department.yaml", "至少写明“name: 部门全称”")
    reject_unknown(data, DEPARTMENT_KEYS)
    check_texts(data)
    dept = Department(
        slug=folder.name,
        name=require(data, "name", what="部门全称"),
        path=folder,
        code=optional(data, "code"),
        supervisor=optional(data, "supervisor"),
        region=optional(data, "region", default=config.region),
    )
    for year_dir in sorted(p for p in folder.iterdir() if p.is_dir()):
        if year_dir.name.startswith("."):         # .git, .svn, an editor's folder (unread, as the cache does)
            refuse_hidden(year_dir, holds_document(year_dir, depth=1), "年度")
            continue
        if not re.fullmatch(r"\d{4}", year_dir.name) or not 1949 < int(year_dir.name) < 2100:
            raise ContentError(year_dir, f"“{year_dir.name}”不是年度文件夹", "年度文件夹用四位数字命名，如 2024")
        for kind_dir in sorted(p for p in year_dir.iterdir() if p.is_dir()):
            if kind_dir.name.startswith("."):
                refuse_hidden(kind_dir, holds_document(kind_dir, depth=0), "公开类型")
                continue
            if kind_dir.name not in KINDS:
                raise ContentError(kind_dir, f"未知的公开类型文件夹“{kind_dir.name}”", "可用：" + "、".join(KINDS))
            dept.documents.append(load_document(kind_dir, dept, int(year_dir.name), config, profiles))
    dept.documents.sort(key=lambda d: (-d.year, KIND_ORDER.index(d.kind)))
    return dept


def _numbers(value: Any, where: Location | None = None) -> Any:
    """Turn numbers typed in YAML into Decimal (via their text, never via float arithmetic). A
    number, or text that reads as one, beyond the bounds of numbers.bounded is an error at its line."""
    if isinstance(value, dict):
        return {k: _numbers(v, value.where(k) if isinstance(value, YamlMapping) else where) for k, v in value.items()}
    if isinstance(value, list):
        return [_numbers(v, where) for v in value]
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return value
    try:
        number = parse_decimal(value)
    except OutOfRange as exc:
        raise ContentError(where, str(exc), NUMBER_HINT) from None
    except ValueError:
        return value      # text
    return value if isinstance(value, str) else number


def _check_number(mapping: YamlMapping, key: str) -> None:
    """A printed number of a form (``"62"``, ``"100%"``), where it reads as one, within the bounds."""
    value = mapping.get(key)
    if value is None or isinstance(value, bool):
        return
    try:
        parse_decimal(value.strip().rstrip("%") if isinstance(value, str) else value)
    except OutOfRange as exc:
        raise ContentError(mapping.where(key), f"“{key}”：{exc}", NUMBER_HINT) from None
    except ValueError:
        pass      # printed text that is no number (“——”, “≥90%”) is shown as it is


def check_form_numbers(data: YamlMapping) -> None:
    """The 总分 (and a 评分表's 合计 分值) and the numbers of each funding line and indicator of a form."""
    _check_number(data, "total_score")
    _check_number(data, "total_weight")
    for field, keys in FORM_NUMBERS.items():
        items = data.get(field)
        for item in items if isinstance(items, list) else []:
            if isinstance(item, YamlMapping):
                for key in keys:
                    _check_number(item, key)


def load_document(folder: Path, dept: Department, year: int, config: SiteConfig,
                  profiles: dict[str, Profile]) -> Document:
    meta_path = folder / "document.yaml"
    if not meta_path.is_file():
        raise ContentError(meta_path, "缺少公开文件信息 document.yaml")
    meta = load_mapping(meta_path)
    reject_unknown(meta, DOCUMENT_KEYS)
    check_texts(meta, ("title", "published", "source"))      # (the feed shows them)
    kind = folder.name
    profile_name = optional(meta, "profile") or config.default_profiles.get(kind)
    if not profile_name:
        raise ContentError(meta.where(), "未指定表格方案", f"在此写“profile: 方案名”，或在 site.yaml 的 profiles 中为 {kind} 设默认方案")
    if profile_name not in profiles:
        where = meta.where("profile") if "profile" in meta else config.path or meta.where()
        raise ProfileError(where, f"未知的表格方案“{profile_name}”", "可用：" + "、".join(sorted(profiles)))
    profile = profiles[profile_name]
    if profile.kind != kind:
        raise ProfileError(meta.where("profile"), f"方案“{profile_name}”用于 {profile.kind}，不能用于 {kind}")
    title = optional(meta, "title") or f"{dept.name}{year}年度{KINDS[kind]}公开"
    doc = Document(
        department=dept, year=year, kind=kind, profile=profile, title=title, path=folder,
        published=optional(meta, "published"),
        source=optional(meta, "source"),
        inputs=_numbers(optional(meta, "inputs", dict, {}), meta.where("inputs")),
        reasons=optional(meta, "reasons", dict, {}),  # a YamlMapping: findings cite the line of each reason
        corrections=[_correction(item, meta) for item in optional(meta, "corrections", list, [])],
        known_issues=[_known_issue(item, meta) for item in optional(meta, "known_issues", list, [])],
        title_location=meta.where("title") if "title" in meta else meta.where(),
    )
    table_notes = optional(meta, "table_notes", dict, {})
    for table_id in table_notes:
        if not any(spec.id == str(table_id) for spec in profile.tables):
            raise ContentError(table_notes.where(table_id), f"table_notes 中的表“{table_id}”不在方案“{profile.name}”中")
    overrides = table_overrides(meta, profile)
    tables_dir = folder / "tables"
    for spec in profile.tables:
        csv_path = tables_dir / f"{spec.id}.csv"
        if not csv_path.is_file():
            raise ContentError(csv_path, f"缺少{spec.number}（{spec.title}）的数据文件",
                               "本表无数据时也要建此文件，只写表头一行")
        table = read_table(csv_path, overridden(spec.for_year(year), overrides))
        table.extra_note = str(table_notes.get(spec.id, "") or "")
        doc.tables.append(table)
    known = {f"{spec.id}.csv" for spec in profile.tables}
    if tables_dir.is_dir():
        for extra in sorted(tables_dir.glob("*.csv")):
            if extra.name not in known:
                raise ContentError(extra, f"表格文件“{extra.name}”不在方案“{profile.name}”中",
                                   "可用的文件名：" + "、".join(sorted(known)))
    for name in ("overview", "glossary"):
        path = folder / f"{name}.md"
        if path.is_file():
            setattr(doc, name, read_markdown(path))
    for path in sorted(folder.glob("*.md")):
        doc.extra_markdown[path.stem] = read_markdown(path)
    attachments_dir = folder / "attachments"
    if attachments_dir.is_dir():
        doc.attachments = [load_form(p) for p in sorted(attachments_dir.glob("*.yaml"))]
        anchors: dict[str, Path] = {}
        for position, form in enumerate(doc.attachments, start=1):
            form["position"] = position  # 附表1, 附表2 … (two projects may share a name)
            other = anchors.setdefault(form["slug"], form["location"].path)
            if other != form["location"].path:
                raise ContentError(form["location"], f"附件“{form['location'].path.name}”与“{other.name}”在页面上的锚点相同"
                                   f"（#form-{form['slug']}）", "附件文件名只差空格或符号：改名，使它们各不相同")
    return doc


def table_overrides(meta: YamlMapping, profile: Profile) -> dict[str, dict[str, Any]]:
    """document.yaml's ``tables``: per table id, the unit and the 年度 its printed caption says
    when they are not the profile's (“单位：元” in a 万元 set). The page, the workbook, data.json
    and the downloads then say that unit, and the checker converts it (checks/cross.py)."""
    found: dict[str, dict[str, Any]] = {}
    tables = optional(meta, "tables", dict, {})
    ids = [spec.id for spec in profile.tables]
    for table_id, settings in tables.items():
        if str(table_id) not in ids:
            raise ContentError(tables.where(table_id), f"tables 中的表“{table_id}”不在方案“{profile.name}”中",
                               "可用的表：" + "、".join(ids) + "（表的 id 加英文引号，如 \"06\"）")
        if not isinstance(settings, YamlMapping):
            raise ContentError(tables.where(table_id), f"tables 中“{table_id}”的设置应为映射，如 {{unit: 元}}")
        reject_unknown(settings, TABLE_OVERRIDE_KEYS)
        entry: dict[str, Any] = {}
        if "unit" in settings:
            unit = require(settings, "unit")
            if unit not in MONEY_UNITS:
                raise ContentError(settings.where("unit"), f"未知的金额单位“{unit}”", "可用：" + "、".join(MONEY_UNITS))
            entry["unit"] = unit
        if "year" in settings:
            caption_year = require(settings, "year", int)
            if not 1949 < caption_year < 2100:
                raise ContentError(settings.where("year"), f"“year”应为表格标题上印的年度（四位数字），实际是 {caption_year}")
            entry["caption_year"] = caption_year
        found[str(table_id)] = entry
    return found


def overridden(spec: TableSpec, overrides: dict[str, dict[str, Any]]) -> TableSpec:
    """``spec`` with this document's settings for it (``table_overrides``), if any."""
    settings = overrides.get(spec.id)
    return dataclasses.replace(spec, **settings) if settings else spec


def _correction(item: Any, meta: YamlMapping) -> Record:
    """One place where the page (computed) differs from the published text."""
    if not isinstance(item, YamlMapping):
        raise ContentError(meta.where("corrections"), "corrections 中的每一项应包含 section、published、shown、reason")
    reject_unknown(item, {"section", "published", "shown", "reason"})
    return Record({key: require(item, key) for key in ("section", "published", "shown", "reason")})


LEVELS = {"level1": "一级指标", "level2": "二级指标", "level3": "三级指标"}


def check_levels(item: YamlMapping) -> None:
    """An indicator names all three levels (blank if printed blank): a level left out would shift
    the printed tree."""
    for key, label in LEVELS.items():
        if key not in item:
            raise ContentError(item.where(), f"绩效指标缺少“{key}”（{label}）",
                               f"印刷表格中该格为空时写 {key}: \"\"")


def check_indicator(item: YamlMapping) -> None:
    """A 自评表 indicator names all three levels (blank if printed blank) and 得分 ≤ 分值."""
    check_levels(item)
    try:
        score, weight = parse_decimal(item.get("score")), parse_decimal(item.get("weight"))
    except ValueError:
        return  # a printed score that is no number (blank) is shown as it is
    if score > weight:
        raise ContentError(item.where("score"), f"“{item.get('level3', '')}”的得分 {item['score']} 超过了分值 {item['weight']}",
                           "得分不能大于分值")


def _known_issue(item: Any, meta: YamlMapping) -> dict[str, str]:
    """A checker finding that stands in the published source (rule, file, reason)."""
    if not isinstance(item, YamlMapping):
        raise ContentError(meta.where("known_issues"), "known_issues 中的每一项应包含 rule、file、reason")
    reject_unknown(item, {"rule", "file", "reason"})
    if item.get("rule") not in RULES:
        raise ContentError(item.where("rule"), f"未知的检查规则“{item.get('rule')}”", "规则列表见 docs/checks.md")
    return {key: require(item, key) for key in ("rule", "file", "reason")}


# What an HTML id or a URL fragment cannot hold: whitespace (an id is one word, and aria-labelledby
# a list of them), control characters, and the ASCII characters a URL must percent-encode
_NOT_IN_ANCHOR = re.compile(r'[\s\x00-\x1f\x7f"#%<>\[\\\]^`{|}]+')


def form_anchor(path: Path) -> str:
    """An attachment's anchor on its page (``#form-<anchor>``): its file name without .yaml, what
    cannot be in an id or a URL fragment replaced by "-" (``01 办公设备.yaml`` → ``01-办公设备``).
    A name that can is kept as it is, so links made to a form stay valid."""
    anchor = _NOT_IN_ANCHOR.sub("-", path.stem).strip("-")
    if not anchor:
        raise ContentError(path, f"附件文件名“{path.name}”中没有文字或数字，不能用作页面上的锚点",
                           "用项目名称或编号命名附件文件，如 01-办公设备购置.yaml")
    return anchor


def load_form(path: Path) -> dict[str, Any]:
    """An attachment: a 自评表, 申报表, 评分表 or 评价报告 (format: docs/form-schema.md)."""
    data = load_mapping(path)
    require(data, "title")
    kind = require(data, "kind")
    if kind not in FORM_FIELDS:
        raise ContentError(data.where("kind"), f"未知的附件表类型“{kind}”", "可用：" + "、".join(FORM_FIELDS))
    if kind in FORM_KEYS:
        reject_unknown(data, FORM_KEYS[kind])
        check_texts(data)
        check_texts_only(data, FORM_TEXTS)
    check_form_numbers(data)
    if kind in FORM_KEYS:      # (an unavailable form still prints its header with these words)
        check_labels(data, SCORING_LABELS if kind == SCORES_KIND else REPORT_LABELS)
    if not data.get("unavailable"):
        for key in FORM_FIELDS[kind]:
            require(data, key)
        for key in FORM_LISTS[kind]:
            require(data, key, list)
        for item in data.get("indicators") or []:
            if not isinstance(item, YamlMapping):
                raise ContentError(data.where("indicators"), "每个绩效指标应为映射（level1、level2、level3…）")
            if kind == "project-self-evaluation":
                check_indicator(item)
        if kind == SCORES_KIND:
            check_scores(data)
        elif kind == REPORT_KIND:
            check_labels(data, REPORT_LABELS)
            check_sections(data, depth=1)
    form = Record.of(data)
    form["slug"] = form_anchor(path)
    form["location"] = Location(path)
    form["lines"] = dict(data.key_lines)
    # where each indicator and each of its cells is written, for the checker's findings
    indicators = data.get("indicators")
    form["indicator_lines"] = [(item.line, dict(item.key_lines)) if isinstance(item, YamlMapping) else (data.line, {})
                               for item in (indicators if isinstance(indicators, list) else [])]
    return form


def check_texts_only(mapping: YamlMapping, keys: Any) -> None:
    """The printed cells ``keys`` of a newer form kind hold text. A number typed without quotes is
    refused: YAML reads ``10.50`` as 10.5 and ``yes`` as true, and the page would not show what
    was printed; a whole number (``4``) is its text, and is made text here (the templates and the
    Markdown filter get text only)."""
    for key in keys:
        value = mapping.get(key)
        if value is None or isinstance(value, str):
            continue
        if isinstance(value, int) and not isinstance(value, bool):
            mapping[key] = str(value)
            continue
        if isinstance(value, (bool, float)):
            raise ContentError(mapping.where(key), f"“{key}”写成了 YAML 的{'是/否' if isinstance(value, bool) else '数字'}"
                               f"（{value}），页面上不一定是印刷的样子", f"按印刷原样加引号，如 {key}: \"10.50\"")
        raise ContentError(mapping.where(key), f"“{key}”应为文字（表格中的一格），实际是列表或映射",
                           "每一格写一段文字；一格中有多行时用 | 开头的多行文字")


def check_labels(data: YamlMapping, known: dict[str, str]) -> None:
    """``labels``: printed words that differ from the standard ones, each for a word the form has."""
    labels = optional(data, "labels", dict, {})
    for key in labels:
        if key not in known:
            raise ContentError(labels.where(key), f"labels 中的“{key}”不是本附件表的栏目",
                               "可用：" + "、".join(f"{k}（{v}）" for k, v in known.items()))
    check_texts_only(labels, list(labels))


def check_scores(data: YamlMapping) -> None:
    """A 绩效评价指标体系评分表: its printed columns, and each indicator's cells in them."""
    check_labels(data, SCORING_LABELS)
    columns = optional(data, "columns", list, list(SCORING_COLUMNS))
    where = data.where("columns")
    for key in columns:
        if not isinstance(key, str) or key not in SCORING_COLUMNS:
            raise ContentError(where, f"columns 中的“{key}”不是评分表的列",
                               "可用：" + "、".join(f"{k}（{v}）" for k, v in SCORING_COLUMNS.items()))
        if columns.count(key) > 1:
            raise ContentError(where, f"columns 中的“{key}”出现了两次", "每一列只写一次，按印刷的顺序")
    if tuple(columns[:len(SCORING_LEADING)]) != SCORING_LEADING:
        raise ContentError(where, "评分表的前三列应为 level1、level2、level3（一级、二级、三级指标）",
                           "指标层级在前，其余列按印刷的顺序写在后面")
    for key in SCORING_NEEDED:
        if key not in columns:
            raise ContentError(where, f"评分表须有“{key}”列（{SCORING_COLUMNS[key]}）", "检查会加总分值和得分")
    if not data["indicators"]:
        raise ContentError(data.where("indicators"), "indicators 是空的", "每个三级指标写一项，按印刷的顺序")
    for item in data["indicators"]:
        reject_unknown(item, set(SCORING_COLUMNS))
        check_levels(item)
        check_texts(item)
        check_texts_only(item, list(item))
        for key, value in item.items():
            if key not in columns and value not in (None, ""):
                raise ContentError(item.where(key), f"“{key}”（{SCORING_COLUMNS[key]}）有内容，但 columns 中没有这一列，"
                                   "页面上会缺少这一格", f"在 columns 中加上 {key}，或删去这一格")


def check_sections(owner: YamlMapping, depth: int) -> None:
    """A report's ``sections`` (of the report, or of a section): each a heading, its Markdown
    text and its own sections, at most REPORT_DEPTH levels (一、 › （一） › 1.: h4 to h6)."""
    sections = owner["sections"]
    if not sections:
        raise ContentError(owner.where("sections"), "sections 是空的", "每个章节写 heading（标题）和 text（正文）")
    for section in sections:
        if not isinstance(section, YamlMapping):
            raise ContentError(owner.where("sections"), "每个章节应为映射（heading、text、sections）")
        reject_unknown(section, SECTION_KEYS)
        require(section, "heading", what="章节标题")
        check_texts(section)
        check_texts_only(section, ("heading", "text"))
        if "sections" in section:
            if depth >= REPORT_DEPTH:
                raise ContentError(section.where("sections"), f"章节最多 {REPORT_DEPTH} 层（一、 ›（一）› 1.）",
                                   "更深一层的标题写进上一层的 text 中（Markdown）")
            check_type(section, "sections", list)
            check_sections(section, depth + 1)
