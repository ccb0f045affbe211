"""Table-set profiles: which tables a disclosure has, how each is laid out, how the page is parted.

Profiles are YAML (``site_builder/profiles/*.yaml`` built in, ``<content>/profiles/*.yaml``
added or overriding by name). Nothing about a particular table set lives in code: a new
region's layout is a new YAML file. ``final-accounts-10.yaml`` documents every key.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from .errors import Location, ProfileError
from .numbers import label_key, parse_decimal
from .sources import MAX_TABLE_COLUMNS, MAX_TABLE_ROWS, YamlMapping, check_type, load_mapping, optional, reject_unknown, require

BUILTIN_DIR = Path(__file__).parent / "profiles"
LAYOUTS = {"subject", "grid", "blocks"}
# What each layout's page table (and workbook sheet, drawn from the same view: tableview.py)
# shows of a row: a column it cannot show is refused when the profile is read, never dropped
# from the page while data.json and the downloads keep it (issue 26: a block table's second
# amount column went missing that way). ``subject`` and ``grid`` show every column; a block
# table prints one header line per block column (code, name, then each other column), so a
# column under a header group would lose its group's heading. The build checks the rest of the
# promise on every table it makes (coverage.py).
LAYOUT_SHOWS = {
    "blocks": lambda col: not col.path,
}
_SHOWN = {"blocks": ("分块表（blocks）", "不分组的列：每块印一行表头（科目编码、科目名称和其余各列）")}
COLUMN_TYPES = {"code", "name", "label", "line", "amount", "text", "rate", "growth"}
# Code length → level (1 类, 2 款, 3 项) per classification.
CLASSIFICATIONS = {"功能分类": {3: 1, 5: 2, 7: 3}, "经济分类": {3: 1, 5: 2}}
LEVEL_NAMES = {1: "类", 2: "款", 3: "项"}
PART_BLOCKS = {"overview", "tables", "explanation", "glossary", "attachments", "markdown"}
HEADLINE_FORMATS = {"money", "score", "grade"}
# Roles let pages compare documents of different kinds (预算 vs 决算) without knowing labels.
HEADLINE_ROLES = {"total_income", "total_expenditure", "three_public", "score", "grade"}
CHART_KEYS = {"id", "title", "table", "categories", "series", "stacked", "total", "rate", "format"}
CHART_FORMATS = {"money", "score"}
CHART_RATES = {"share", "growth"}
# A profile's name, a table's id, a column's key and a chart's id become parts of ids, URLs and
# file names (id="table-01", tables/01.csv, schemas/<profile>/…, data-key, id="chart-…"): ASCII
# letters, digits, "-" and "_" only, so none of them can carry markup or a path
IDENTIFIER = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
MAX_SERIES = 3  # the palette: three colours that stay apart in colour-blind vision and in greyscale
DEFAULT_GRADES = [(Decimal(90), "优"), (Decimal(80), "良"), (Decimal(60), "中"), (Decimal(0), "差")]
DEFAULT_PARTS: list[dict[str, Any]] = [
    {"title": "第一部分 概况", "blocks": [{"type": "overview"}]},
    {"title": "第二部分 {year}年公开表格", "blocks": [{"type": "tables"}]},
    {"title": "第三部分 情况说明", "blocks": [{"type": "explanation"}]},
    {"title": "第四部分 名词解释", "blocks": [{"type": "glossary"}]},
    {"title": "第五部分 附件", "blocks": [{"type": "attachments"}]},
]


def fill_year(text: str, year: int) -> str:
    """Put the document's year into a label: “{year}年预算数” → “2023年预算数”."""
    return text.replace("{year}", str(year)).replace("{prev_year}", str(year - 1))


@dataclass(frozen=True)
class Column:
    """A leaf column: where data lives. ``path`` holds the labels of its header groups."""

    key: str
    label: str
    type: str
    path: tuple[str, ...]
    seq: str | None = None
    of: tuple[str, str] | None = None  # rate: (part, whole) → part/whole; growth: (this, last) → this/last − 1
    unit: str | None = None            # an amount column counted in another unit than its table's (a score: 分)
    printed: bool = False              # rate/growth: typed as the document prints it, checked against ``of``
    # Other spellings of the label that a CSV header or an imported sheet may print (科目编码 for
    # 科目代码): the column's own ``aliases`` and the profile's ``header_aliases`` for its label
    aliases: tuple[str, ...] = ()
    # What a sub-header row prints in this column under its label (类 款 项 under 科目代码): a row
    # of such texts is a repeated header row, not data (``subheader``, profile ``subheaders``)
    subheaders: tuple[str, ...] = ()

    @property
    def qualified_label(self) -> str:
        return "/".join((*self.path, self.label))

    @property
    def is_rate(self) -> bool:
        """A percentage column: computed from ``of``, or printed and checked against it."""
        return self.type in ("rate", "growth")

    @property
    def computed(self) -> bool:
        """Computed columns are filled by the build, never typed in the CSV; a rate column
        marked ``printed`` is typed as the document prints it (the checker recomputes it)."""
        return self.is_rate and not self.printed

    @property
    def spellings(self) -> tuple[str, ...]:
        """The label and its aliases: what a header may print for this column."""
        return (self.label, *self.aliases)

    @functools.cached_property
    def header_texts(self) -> frozenset[str]:
        """What a printed header row may hold in this column (as ``label_key`` folds them): its
        label, an alias, a group label above it (a header of several rows repeated) or a
        sub-header (类 款 项). A row holding nothing else is a repeated header row."""
        return frozenset(label_key(text) for text in (*self.spellings, *self.path, *self.subheaders))


@dataclass(frozen=True)
class HeaderCell:
    label: str
    colspan: int = 1
    rowspan: int = 1
    is_group: bool = False


@dataclass(frozen=True)
class Block:
    group: str
    count: int
    total_label: str


@dataclass(frozen=True)
class TotalRow:
    """A 合计 row the build adds by summing columns (never typed, so it cannot be wrong)."""

    label: str
    label_column: str
    sums: tuple[str, ...]


@dataclass
class TableSpec:
    """One standard table of a profile (see the comment at the top of a profile file)."""

    id: str
    number: str
    title: str
    layout: str
    unit: str
    unit_label: str
    entity_label: str
    columns: list[Column]
    tree: list
    seq_row: bool | str = False
    note: str = ""
    classification: str | None = None
    blocks: list[Block] = field(default_factory=list)
    merge: tuple[str, ...] = ()
    total: TotalRow | None = None
    required: tuple[str, ...] = ()            # columns that may not be blank (一级/二级/三级指标)
    not_above: tuple[tuple[str, str], ...] = ()  # (a, b): a row's a may not exceed its b (得分 ≤ 分值)
    row_sums: tuple[tuple[str, tuple[str, ...]], ...] = ()  # checker: (total, parts) per row
    leaves_only: bool = False  # a 科目 table listing 项 rows only (no 类/款 rows): no parent checks
    # checker: a row = the sum of other rows; rows named by printed label, by 行次 (int), or by a
    # range of 行次 (every printed 行次 in it: a print may skip some); the columns compared (all
    # amount columns when empty: one side only in a two-sided table)
    sum_rows: tuple[tuple[str | int, tuple[str | int | range, ...], tuple[str, ...]], ...] = ()
    # what a 科目代码 cell may print instead of a code (无, ——): the row is then no 科目
    placeholder_codes: tuple[str, ...] = ()
    caption_year: int | None = None   # the 年度 its caption prints, when not the document's (document.yaml ``tables``)

    def block_totalled_by(self, name: str) -> Block | None:
        """The block whose total line is labelled ``name`` (人员经费合计, spaces ignored), or None."""
        key = label_key(name)
        return next((b for b in self.blocks if label_key(b.total_label) == key), None)

    def is_placeholder_code(self, code: str) -> bool:
        """``code`` (as typed) is one of the profile's printed stand-ins for “no code”."""
        return bool(code) and not code.isdigit() and label_key(code) in self._placeholder_keys

    @functools.cached_property
    def _placeholder_keys(self) -> frozenset[str]:
        return frozenset(label_key(p) for p in self.placeholder_codes)

    def column(self, key: str) -> Column:
        for col in self.columns:
            if col.key == key:
                return col
        raise KeyError(key)

    @property
    def amount_columns(self) -> list[Column]:
        return [c for c in self.columns if c.type == "amount"]

    @property
    def input_columns(self) -> list[Column]:
        return [c for c in self.columns if not c.computed]

    @property
    def levels(self) -> dict[int, int]:
        return CLASSIFICATIONS.get(self.classification or "", {})

    @property
    def header_rows(self) -> list[list[HeaderCell]]:
        return header_rows(self.tree)

    def for_year(self, year: int) -> TableSpec:
        """This table with ``{year}`` in its title, labels and note replaced."""

        def tree(nodes: list) -> list:
            return [{**n, "group": fill_year(n["group"], year), "children": tree(n["children"])}
                    if "children" in n else {**n, "label": fill_year(n["label"], year)} for n in nodes]

        columns = [dataclasses.replace(c, label=fill_year(c.label, year), path=tuple(fill_year(p, year) for p in c.path),
                                       aliases=tuple(fill_year(a, year) for a in c.aliases),
                                       subheaders=tuple(fill_year(h, year) for h in c.subheaders))
                   for c in self.columns]
        return dataclasses.replace(self, title=fill_year(self.title, year), note=fill_year(self.note, year),
                                   columns=columns, tree=tree(self.tree))

    def seq_cells(self) -> list[HeaderCell]:
        """The 栏次 row: every column numbered (``seq_row: all``), or stub columns merged
        under “栏次” and the amount columns numbered (``seq_row: true``)."""
        if self.seq_row == "all":
            return [HeaderCell(c.seq or str(n)) for n, c in enumerate(self.columns, start=1)]
        cells: list[HeaderCell] = []
        number = 0
        stub = 0
        for col in self.columns:
            if col.type in ("amount", "rate", "growth"):
                if stub:
                    cells.append(HeaderCell("栏次", colspan=stub))
                    stub = 0
                number += 1
                cells.append(HeaderCell(col.seq or str(number)))
            else:
                stub += 1
        if stub:
            cells.append(HeaderCell("栏次", colspan=stub))
        return cells


@dataclass
class Part:
    """One part of the document page (第一部分 概况 …): a title and what it shows."""

    title: str
    blocks: list[dict]


@dataclass(frozen=True)
class ChartSeries:
    """One bar colour of a chart: a column of the row of each category, or an input of
    document.yaml (dotted path); ``{key}`` in either is the category's key (科目代码 for 类 rows)."""

    label: str
    column: str | None = None
    input: str | None = None


@dataclass(frozen=True)
class ChartCategory:
    """One bar (or group of bars) of a chart with listed categories: a row of a table (printed
    label, or 行次 as an int; without ``row`` the table's first row)."""

    label: str
    key: str
    table: str
    row: str | int | None = None
    column: str | None = None   # for series that name no column


@dataclass(frozen=True)
class ChartSpec:
    """A chart of the document page (``charts:`` in a profile); ``categories`` is ``"level1"``
    (the 类 rows of a 科目 table), ``("group", column)`` (rows grouped by a label column, values
    summed) or the listed categories."""

    id: str
    title: str
    table: str | None
    categories: str | tuple[str, str] | tuple[ChartCategory, ...]
    series: tuple[ChartSeries, ...]
    stacked: bool = False
    total: str | None = None                         # stacked: the column that labels each bar's end
    rate: tuple[str, int, int, str] | None = None   # (label, numerator, denominator: series index, share|growth)
    format: str = "money"

    @property
    def listed(self) -> tuple[ChartCategory, ...]:
        """The listed categories; () when the categories are rows of ``table`` (level1, group)."""
        return tuple(c for c in self.categories if isinstance(c, ChartCategory))


# The kinds of figure a sentence of prose may state, by the words of its label: 年初预算, 全年预算
# (调整后), 预算 (a budget document's own figure, or either budget), 决算 (a final account's)
FIGURE_KINDS = ("决算", "年初预算", "全年预算", "预算")


@dataclass(frozen=True)
class Quantity:
    """A standard quantity the department's prose states (人员经费, “三公”经费, 政府采购…): the
    words it is written with, and for each kind of figure where the document holds it — one or
    more references (``cross_checks``' {table, row | rows, column}, or {input: dotted path} of
    document.yaml), any of which the prose may agree with (the same figure in two tables)."""

    name: str
    aliases: tuple[str, ...]
    figures: dict[str, tuple[dict, ...]]
    where: Location


@dataclass(frozen=True)
class SubjectFigures:
    """A 科目 table whose rows the prose names (社会保障和就业支出(类) 82.46万元): for each kind
    of figure, the column that holds it or an input of document.yaml (``{code}`` is the row's code)."""

    table: str
    figures: dict[str, dict]
    where: Location


@dataclass
class Profile:
    name: str
    kind: str
    title: str
    tables: list[TableSpec]
    explanation_template: str | None
    empty_note: str
    path: Path
    headline: list[dict[str, str]] = field(default_factory=list)
    parts: list[Part] = field(default_factory=list)
    grades: list[tuple[Decimal, str]] = field(default_factory=lambda: list(DEFAULT_GRADES))
    cross_checks: list[dict] = field(default_factory=list)
    charts: list[ChartSpec] = field(default_factory=list)
    quantities: list[Quantity] = field(default_factory=list)
    subject_figures: list[SubjectFigures] = field(default_factory=list)

    def table(self, table_id: str) -> TableSpec:
        for spec in self.tables:
            if spec.id == table_id:
                return spec
        raise KeyError(table_id)

    def grade(self, score: Decimal) -> str:
        """The grade of a score by the profile's thresholds (highest ``min`` not above it)."""
        for minimum, label in self.grades:
            if score >= minimum:
                return label
        return self.grades[-1][1]


def header_rows(tree: list, depth: int | None = None) -> list[list[HeaderCell]]:
    """Lay out a column tree as header rows with rowspan/colspan, as printed."""

    def leaves(node: dict) -> int:
        return sum(leaves(c) for c in node["children"]) if "children" in node else 1

    def height(node: dict) -> int:
        return 1 + max(height(c) for c in node["children"]) if "children" in node else 1

    total = depth or max(height(n) for n in tree)
    rows: list[list[HeaderCell]] = [[] for _ in range(total)]

    def place(node: dict, level: int) -> None:
        if "children" in node:
            rows[level].append(HeaderCell(node["group"], colspan=leaves(node), is_group=True))
            for child in node["children"]:
                place(child, level + 1)
        else:
            rows[level].append(HeaderCell(node["label"], rowspan=total - level))

    for node in tree:
        place(node, 0)
    return rows


def identifier(item: YamlMapping, key: str, what: str) -> str:
    """``item[key]``, refused unless it matches IDENTIFIER (it becomes part of markup and paths)."""
    value = require(item, key)
    if not IDENTIFIER.fullmatch(value):
        raise ProfileError(item.where(key), f"{what}“{value}”不能用作网页中的标识和文件名",
                           "只用英文字母、数字、连字符（-）和下划线（_），以字母或数字开头，至多 64 个字符，"
                           "如 \"01\"、budget_total")
    return value


def text_list(mapping: YamlMapping, key: str) -> tuple[str, ...]:
    """``mapping[key]`` as a tuple of texts: one text, or a list of them (() when absent)."""
    value = optional(mapping, key, (str, list), [])
    items = [value] if isinstance(value, str) else value
    for entry in items:
        if not isinstance(entry, str) or not label_key(entry):
            raise ProfileError(mapping.where(key), f"“{key}”应为文字或文字的列表，实际有“{entry}”",
                               f"如 {key}: [科目编码]")
    return tuple(items)


@dataclass
class HeaderWords:
    """The profile's ``header_aliases`` (a published label → the other spellings departments'
    software prints for it) and ``subheaders`` (a label → the sub-header texts printed under it),
    for every table of the profile; each with the line it is set on."""

    aliases: dict[str, tuple[tuple[str, ...], Location]] = field(default_factory=dict)
    subheaders: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def parse(cls, data: YamlMapping) -> HeaderWords:
        words = cls()
        aliases = optional(data, "header_aliases", dict, {})
        for label in aliases:
            words.aliases[label_key(str(label))] = (text_list(aliases, label), aliases.where(label))
        subheaders = optional(data, "subheaders", dict, {})
        for label in subheaders:
            words.subheaders[label_key(str(label))] = text_list(subheaders, label)
        return words

    @staticmethod
    def refuse_unused(data: YamlMapping, tables: list[TableSpec]) -> None:
        """A label under ``header_aliases`` or ``subheaders`` that no column of the profile has
        (a typo: its spellings would silently apply to nothing)."""
        labels = {label_key(c.label) for spec in tables for c in spec.columns}
        for key in ("header_aliases", "subheaders"):
            mapping = optional(data, key, dict, {})
            for label in mapping:
                if label_key(str(label)) not in labels:
                    raise ProfileError(mapping.where(label), f"{key} 中的“{label}”不是本方案任何一张表的列名",
                                       "写表格中印的列名（columns 中的 label），如 科目代码")

    def apply(self, item: YamlMapping, columns: list[Column]) -> list[Column]:
        """``columns`` with the profile's aliases and sub-headers added by label; an alias that
        would stand for two different columns of the table is an error at its line."""
        found: dict[tuple[str, str], Location] = {}      # (column key, alias) → where it is set
        result = []
        for col in columns:
            shared, where = self.aliases.get(label_key(col.label), ((), None))
            for alias in col.aliases:
                found[(col.key, label_key(alias))] = _column_where(item, col.key, "aliases")
            for alias in shared:
                found.setdefault((col.key, label_key(alias)), where or item.where())
            added = tuple(a for a in shared if label_key(a) not in {label_key(b) for b in col.aliases})
            result.append(dataclasses.replace(col, aliases=col.aliases + added,
                                              subheaders=col.subheaders + self.subheaders.get(label_key(col.label), ())))
        _refuse_ambiguous(item, result, found)
        return result


def _refuse_ambiguous(item: YamlMapping, columns: list[Column], found: dict[tuple[str, str], Location]) -> None:
    """An alias that one column of the table has and another column prints (as its label or an
    alias): a header with that text could be either, so the profile is refused."""
    owners: dict[str, list[Column]] = {}
    for col in columns:
        for text in col.spellings:
            labels = owners.setdefault(label_key(text), [])
            if all(label_key(c.label) != label_key(col.label) for c in labels):   # (收入/项目, 支出/项目: one label)
                labels.append(col)
    for col in columns:
        for alias in col.aliases:
            others = [c for c in owners[label_key(alias)] if label_key(c.label) != label_key(col.label)]
            if others:
                number = item.get("number") or item.get("id")
                raise ProfileError(found[(col.key, label_key(alias))],
                                   f"{number}的表头别名“{alias}”有歧义：它既可指列“{col.label}”（key: {col.key}），"
                                   f"也可指列“{others[0].label}”（key: {others[0].key}）",
                                   "一个别名只能对应本表的一个列：删去这个别名，或只写在 aliases 中需要它的那一列上")


def _parse_columns(items: object, where: YamlMapping, path: tuple[str, ...] = ()) -> tuple[list, list[Column]]:
    if not isinstance(items, list) or not items:
        raise ProfileError(where.where("columns"), "“columns”应为非空列表")
    tree: list = []
    leaves: list[Column] = []
    for item in items:
        if not isinstance(item, YamlMapping):
            raise ProfileError(where.where("columns"), f"列定义应为映射，实际是“{item}”")
        if "group" in item:
            reject_unknown(item, {"group", "children"})
            label = require(item, "group")
            sub_tree, sub_leaves = _parse_columns(item.get("children"), item, (*path, label))
            tree.append({"group": label, "children": sub_tree})
            leaves.extend(sub_leaves)
        else:
            reject_unknown(item, {"key", "label", "type", "seq", "of", "unit", "printed", "aliases", "subheader"})
            col_type = require(item, "type")
            if col_type not in COLUMN_TYPES:
                raise ProfileError(item.where("type"), f"未知的列类型“{col_type}”",
                                   "可用：" + "、".join(sorted(COLUMN_TYPES)))
            of = None
            if col_type in ("rate", "growth"):
                pair = require(item, "of", list, what="比率列的两个金额列，如 [executed, budget]")
                if len(pair) != 2:
                    raise ProfileError(item.where("of"), "“of”应列出两个列：分子列和分母列")
                of = (str(pair[0]), str(pair[1]))
            printed = optional(item, "printed", bool, False)
            if printed and of is None:
                raise ProfileError(item.where("printed"), f"“printed”只用于比率列（type: rate 或 growth），本列的类型是 {col_type}",
                                   "金额列本来就照表中所印填写；去掉 printed")
            col = Column(identifier(item, "key", "列的 key"), require(item, "label"), col_type, path, optional(item, "seq"), of,
                         optional(item, "unit", str), printed, text_list(item, "aliases"), text_list(item, "subheader"))
            tree.append({"label": col.label})
            leaves.append(col)
    return tree, leaves


TABLE_KEYS = {"id", "number", "title", "layout", "unit", "unit_label", "entity_label", "columns",
              "seq_row", "note", "classification", "blocks", "merge", "total", "required", "not_above",
              "row_sums", "sum_rows", "leaves_only"}
PROFILE_KEYS = {"name", "kind", "title", "tables", "explanation_template", "empty_note", "unit",
                "unit_label", "entity_label", "rounding_note", "headline", "parts", "grades", "cross_checks",
                "charts", "header_aliases", "subheaders", "placeholder_codes", "quantities", "subject_figures"}
# What a 科目代码 cell prints where a row has no code (an empty 政府性基金 table: “无 | 无 | …”);
# full- and half-width forms fold (－ is -). A profile's ``placeholder_codes`` replaces the list.
PLACEHOLDER_CODES = ("无", "——", "－", "/")


def _check_keys(item: YamlMapping, key: str, keys: list[str], allowed: list[str], what: str) -> None:
    for name in keys:
        if name not in allowed:
            raise ProfileError(item.where(key), f"{what}“{name}”不是本表的列", "本表的列：" + "、".join(allowed))


def _row_range(entry: YamlMapping) -> tuple[str | int | range, ...]:
    """``parts`` of a sum_rows entry: labels, 行次 numbers and ranges such as "1-26" (kept as a
    range: it means the 行次 in it that the table prints, a print may skip some), or ``above``
    (every row printed above the total: two-sided tables whose lines vary between documents)."""
    value = require(entry, "parts", (list, str))
    if isinstance(value, str):
        if value != "above":
            raise ProfileError(entry.where("parts"), f"“parts”应为行的列表或 above，实际是“{value}”")
        return ("above",)
    parts: list[str | int | range] = []
    for part in value:
        match = re.fullmatch(r"(\d+)\s*-\s*(\d+)", part) if isinstance(part, str) else None
        if match and max(len(match[1]), len(match[2])) > len(str(MAX_TABLE_ROWS)) or \
                match and int(match[2]) > MAX_TABLE_ROWS:      # "1-99999999999" would list them all
            raise ProfileError(entry.where("parts"), f"行次范围“{part}”超出表格的行数（最多 {MAX_TABLE_ROWS:,} 行）")
        parts.append(range(int(match[1]), int(match[2]) + 1) if match else part)
    return tuple(parts)


def _column_where(item: YamlMapping, key: str, field: str = "key") -> Location:
    """The line of the column ``key`` in a table's ``columns`` (nested ones too), else of ``columns``;
    ``field``: the line of that setting of the column."""
    pending = list(item.get("columns") or [])
    while pending:
        entry = pending.pop(0)
        if isinstance(entry, YamlMapping):
            if entry.get("key") == key:
                return entry.where(field if field in entry else "key")
            pending.extend(entry.get("children") or [])
    return item.where("columns")


def _refuse_unshown(item: YamlMapping, layout: str, columns: list[Column]) -> None:
    """A column, a total row or a 栏次 row the layout's table would not show is an error here, at
    its line of the profile: the page and the workbook would lose those cells silently."""
    if layout not in LAYOUT_SHOWS:
        return
    name, shown = _SHOWN[layout]
    for col in columns:
        if not LAYOUT_SHOWS[layout](col):
            raise ProfileError(_column_where(item, col.key), f"{name}的网页表格和 XLSX 不能显示列“{col.label}”"
                               f"（key: {col.key}，类型 {col.type}），这一列的数字会丢失",
                               f"这种版式只显示{shown}；去掉这一列的表头分组，或改用 layout: grid")
    if layout == "blocks":
        for key, what_it_is in (("total", "合计行（total）"), ("seq_row", "栏次行（seq_row）")):
            if item.get(key):
                raise ProfileError(item.where(key), f"分块表（blocks）不显示{what_it_is}，它的数字会丢失",
                                   "分块表的合计写在各块的 total_label 行；去掉这一设置，或改用 layout: grid")


def _parse_table(item: YamlMapping, defaults: YamlMapping, words: HeaderWords | None = None) -> TableSpec:
    reject_unknown(item, TABLE_KEYS)
    layout = require(item, "layout")
    if layout not in LAYOUTS:
        raise ProfileError(item.where("layout"), f"未知的表格版式“{layout}”", "可用：" + "、".join(sorted(LAYOUTS)))
    tree, columns = _parse_columns(item.get("columns"), item)
    columns = (words or HeaderWords()).apply(item, columns)
    keys = [c.key for c in columns]
    duplicates = {k for k in keys if keys.count(k) > 1}
    if duplicates:
        raise ProfileError(item.where("columns"), f"列的 key 重复：{'、'.join(sorted(duplicates))}")
    amounts = [c.key for c in columns if c.type == "amount"]
    for col in columns:
        if col.of:
            _check_keys(item, "columns", list(col.of), amounts, f"比率列 {col.key} 引用的金额列")
    classification = optional(item, "classification")
    if classification is not None and classification not in CLASSIFICATIONS:
        raise ProfileError(item.where("classification"), f"未知的科目分类“{classification}”",
                           "可用：" + "、".join(CLASSIFICATIONS))
    if layout == "subject":
        if "code" not in keys or "name" not in keys:
            raise ProfileError(item.where("columns"), "科目表（subject）须有 key 为 code 和 name 的列")
        classification = classification or "功能分类"
    blocks = []
    if layout == "blocks":
        for key in ("code", "name", "amount", "group"):
            if key not in keys:
                raise ProfileError(item.where("columns"), f"分块表（blocks）须有 key 为 {key} 的列")
        for block in check_type(item, "blocks", list) if "blocks" in item else []:
            count = check_type(block, "count", int)
            per = 2 + sum(1 for c in columns if c.key not in ("code", "name", "group", "block_column"))
            if not 1 <= count <= MAX_TABLE_COLUMNS // per:     # each a code, a name and the other columns
                raise ProfileError(block.where("count"), f"“count”应为 1 到 {MAX_TABLE_COLUMNS // per} 之间的整数，实际是 {count}")
            blocks.append(Block(require(block, "group"), count, require(block, "total_label")))
        if not blocks:
            raise ProfileError(item.where(), "分块表（blocks）须有“blocks”设置")
    merge = tuple(optional(item, "merge", list, []))
    _check_keys(item, "merge", list(merge), keys, "merge 中的列")
    total = None
    if "total" in item:
        spec = check_type(item, "total", dict)
        reject_unknown(spec, {"label", "label_column", "sum"})
        sums = tuple(require(spec, "sum", list))
        _check_keys(spec, "sum", list(sums), amounts, "合计行要加总的列")
        label_column = optional(spec, "label_column", default=next(c.key for c in columns if c.type != "amount"))
        _check_keys(spec, "label_column", [label_column], keys, "合计行的标签列")
        total = TotalRow(optional(spec, "label", default="合计"), label_column, sums)
    required = tuple(optional(item, "required", list, []))
    _check_keys(item, "required", list(required), keys, "required 中的列")
    not_above = tuple((str(a), str(b)) for a, b in optional(item, "not_above", dict, {}).items())
    _check_keys(item, "not_above", [k for pair in not_above for k in pair], amounts, "not_above 中的列")
    row_sums = []
    for total_key, parts in optional(item, "row_sums", dict, {}).items():
        _check_keys(item, "row_sums", [str(total_key), *map(str, parts)], amounts, "row_sums 中的列")
        row_sums.append((str(total_key), tuple(map(str, parts))))
    sum_rows = []
    for entry in optional(item, "sum_rows", list, []):
        reject_unknown(entry, {"total", "parts", "columns"})
        compared = tuple(optional(entry, "columns", list, []))
        _check_keys(entry, "columns", list(compared), amounts, "sum_rows 中的列")
        sum_rows.append((require(entry, "total", (str, int)), _row_range(entry), compared))
    seq_row = item.get("seq_row", False)
    if seq_row not in (True, False, "all"):
        raise ProfileError(item.where("seq_row"), "“seq_row”应为 true、false 或 all")
    _refuse_unshown(item, layout, columns)
    return TableSpec(
        id=identifier(item, "id", "表格 id"),
        number=require(item, "number"),
        title=require(item, "title"),
        layout=layout,
        unit=optional(item, "unit", default=defaults.get("unit", "万元")),
        unit_label=optional(item, "unit_label", default=defaults.get("unit_label", "金额单位")),
        entity_label=optional(item, "entity_label", default=defaults.get("entity_label", "部门名称")),
        columns=columns,
        tree=tree,
        seq_row=seq_row,
        note=optional(item, "note", default=""),
        classification=classification,
        blocks=blocks,
        merge=merge,
        total=total,
        required=required,
        not_above=not_above,
        row_sums=tuple(row_sums),
        leaves_only=optional(item, "leaves_only", bool, False),
        sum_rows=tuple(sum_rows),
        placeholder_codes=text_list(defaults, "placeholder_codes") if "placeholder_codes" in defaults else PLACEHOLDER_CODES,
    )


def _parse_parts(data: YamlMapping, tables: list[TableSpec]) -> list[Part]:
    if "parts" not in data:
        # (in the shape a written ``parts`` takes: a profile without one used to stop the build
        # with a KeyError when the page was rendered)
        return [Part(p["title"], [{"tables": [], "file": None, **b} for b in p["blocks"]]) for p in DEFAULT_PARTS]
    parts = []
    for item in check_type(data, "parts", list):
        reject_unknown(item, {"title", "blocks"})
        blocks = []
        for block in require(item, "blocks", list):
            reject_unknown(block, {"type", "tables", "file"})
            kind = require(block, "type")
            if kind not in PART_BLOCKS:
                raise ProfileError(block.where("type"), f"未知的内容类型“{kind}”", "可用：" + "、".join(sorted(PART_BLOCKS)))
            ids = [str(t) for t in optional(block, "tables", list, [])]
            for table_id in ids:
                if table_id not in [t.id for t in tables]:
                    raise ProfileError(block.where("tables"), f"parts 引用的表“{table_id}”不在本方案中")
            if kind == "markdown":
                require(block, "file", what="文件名（不含 .md）")
            blocks.append({"type": kind, "tables": ids, "file": optional(block, "file")})
        parts.append(Part(require(item, "title"), blocks))
    return parts


def _parse_headline(data: YamlMapping, tables: list[TableSpec]) -> list[dict[str, str]]:
    headline = []
    for item in optional(data, "headline", list, []):
        if not isinstance(item, YamlMapping):
            raise ProfileError(data.where("headline"), "“headline”中的每一项应为映射（label、table、column）")
        reject_unknown(item, {"label", "table", "row", "column", "format", "unit", "role"})
        if item.get("role") not in (None, *HEADLINE_ROLES):
            raise ProfileError(item.where("role"), f"未知的 role“{item['role']}”", "可用：" + "、".join(sorted(HEADLINE_ROLES)))
        table_id, column = require(item, "table"), require(item, "column")
        spec = next((t for t in tables if t.id == table_id), None)
        if spec is None:
            raise ProfileError(item.where("table"), f"headline 引用的表“{table_id}”不在本方案中")
        if column not in [c.key for c in spec.columns if c.type in ("amount", "rate", "growth")]:
            raise ProfileError(item.where("column"), f"{spec.number}没有金额列“{column}”",
                               "可用：" + "、".join(c.key for c in spec.amount_columns))
        fmt = optional(item, "format", default="money")
        if fmt not in HEADLINE_FORMATS:
            raise ProfileError(item.where("format"), f"未知的格式“{fmt}”", "可用：" + "、".join(sorted(HEADLINE_FORMATS)))
        headline.append({k: str(v) for k, v in item.items()})
    return headline


def _parse_grades(data: YamlMapping) -> list[tuple[Decimal, str]]:
    if "grades" not in data:
        return list(DEFAULT_GRADES)
    grades = []
    for item in check_type(data, "grades", list):
        if not isinstance(item, YamlMapping):
            raise ProfileError(data.where("grades"), f"“grades”中的“{item}”应为 {{min: 分数, label: 等级}}")
        reject_unknown(item, {"min", "label"})
        try:
            minimum = parse_decimal(require(item, "min", (int, float)))
        except ValueError as exc:        # OutOfRange: 1e400, 16 integer digits
            raise ProfileError(item.where("min"), f"“min”：{exc}") from None
        grades.append((minimum, require(item, "label")))
    return sorted(grades, reverse=True)


def _known_columns(by_id: dict[str, TableSpec], section: str, where: YamlMapping, table_id: object, *columns: str,
                   amount_key: str | None = None) -> None:
    """The table and ``columns`` exist; the column named under ``amount_key`` holds amounts (a
    text column summed would stop ``check`` with a traceback)."""
    spec = by_id.get(str(table_id))
    if spec is None:
        raise ProfileError(where.where(), f"{section} 引用的表“{table_id}”不在本方案中")
    _check_keys(where, "column", list(columns), [c.key for c in spec.columns], f"{spec.number}的列")
    key = where.get(amount_key) if amount_key else None
    if key and spec.column(str(key)).type != "amount":
        raise ProfileError(where.where(amount_key), f"{section} 比较的列“{key}”不是{spec.number}的金额列",
                           "金额列：" + "、".join(c.key for c in spec.amount_columns))


def _parse_cross_checks(data: YamlMapping, tables: list[TableSpec]) -> list[dict]:
    """Identities across tables for the checker; every table and column they name must exist."""
    checks = []
    by_id = {t.id: t for t in tables}

    def known(where: YamlMapping, table_id: object, *columns: str, amount_key: str | None = None) -> None:
        _known_columns(by_id, "cross_checks", where, table_id, *columns, amount_key=amount_key)

    for item in optional(data, "cross_checks", list, []):
        reject_unknown(item, {"label", "a", "b", "by_category", "by_code", "severity"})
        require(item, "label")
        if "by_code" in item:
            spec = item["by_code"]
            reject_unknown(spec, {"a", "a_column", "b", "b_column"})
            known(spec, spec.get("a"), spec.get("a_column", ""), amount_key="a_column")
            known(spec, spec.get("b"), spec.get("b_column", ""), amount_key="b_column")
        elif "by_category" in item:
            spec = item["by_category"]
            reject_unknown(spec, {"summary", "label_column", "column", "subject", "subject_column"})
            known(spec, spec.get("summary"), spec.get("label_column", ""), spec.get("column", ""), amount_key="column")
            known(spec, spec.get("subject"), spec.get("subject_column", ""), amount_key="subject_column")
        else:
            for side in ("a", "b"):
                ref = require(item, side, dict)
                reject_unknown(ref, {"table", "row", "rows", "level", "column"})
                known(ref, ref.get("table"), require(ref, "column"), amount_key="column")
        if item.get("severity", "error") not in ("error", "warning", "note"):
            raise ProfileError(item.where("severity"), "severity 应为 error、warning 或 note")
        checks.append(dict(item))
    return checks


def _figure_reference(item: YamlMapping, kind: str, value: object, by_id: dict[str, TableSpec]) -> tuple[dict, ...]:
    """The references a quantity gives for one kind of figure: one, or a list of them."""
    entries = value if isinstance(value, list) else [value]
    refs = []
    for ref in entries:
        if not isinstance(ref, YamlMapping):
            raise ProfileError(item.where(kind), f"“{kind}”应为引用 {{table, row, column}} 或 {{input: …}}，或它们的列表")
        if "input" in ref:
            reject_unknown(ref, {"input"})
            require(ref, "input")
        else:
            reject_unknown(ref, {"table", "row", "rows", "column"})
            if "row" not in ref and "rows" not in ref:
                raise ProfileError(ref.where(), "引用须写明行：row（行名或行次）或 rows（几行之和）")
            _known_columns(by_id, "quantities", ref, require(ref, "table"), require(ref, "column"), amount_key="column")
        refs.append(dict(ref))
    return tuple(refs)


def _parse_quantities(data: YamlMapping, tables: list[TableSpec]) -> list[Quantity]:
    """The standard quantities the checker looks for in the prose (prose.quantity, prose.repeated):
    name → {aliases, and per kind of figure (决算, 年初预算, 全年预算, 预算) its references}."""
    by_id = {t.id: t for t in tables}
    quantities = []
    mapping = optional(data, "quantities", dict, {})
    for name, item in mapping.items():
        if not isinstance(item, YamlMapping):
            raise ProfileError(mapping.where(name), f"quantities 中的“{name}”应为映射（aliases 和各类数的引用）")
        reject_unknown(item, {"aliases", *FIGURE_KINDS})
        figures = {kind: _figure_reference(item, kind, item[kind], by_id) for kind in FIGURE_KINDS if kind in item}
        if not figures:
            raise ProfileError(item.where(), f"quantities 中的“{name}”没有写它在表中的位置",
                               "写 决算、年初预算、全年预算 或 预算: {table, row, column}")
        quantities.append(Quantity(str(name), text_list(item, "aliases") or (str(name),), figures, mapping.where(name)))
    return quantities


def _parse_subject_figures(data: YamlMapping, tables: list[TableSpec]) -> list[SubjectFigures]:
    """The 科目 tables the prose's 类/款/项 amounts are read against (prose.table-row): each kind of
    figure → a column of the table, or {input: dotted path with {code}} of document.yaml."""
    by_id = {t.id: t for t in tables}
    result = []
    for item in optional(data, "subject_figures", list, []):
        if not isinstance(item, YamlMapping):
            raise ProfileError(data.where("subject_figures"), "“subject_figures”中的每一项应为映射（table 和各类数的列）")
        reject_unknown(item, {"table", *FIGURE_KINDS})
        table_id = str(require(item, "table"))
        spec = by_id.get(table_id)
        if spec is None:
            raise ProfileError(item.where("table"), f"subject_figures 引用的表“{table_id}”不在本方案中")
        if spec.classification is None:
            raise ProfileError(item.where("table"), f"{spec.number}不是科目表（没有 classification）")
        figures: dict[str, dict] = {}
        for kind in FIGURE_KINDS:
            value = item.get(kind)
            if value is None:
                continue
            if isinstance(value, YamlMapping):
                reject_unknown(value, {"input"})
                figures[kind] = {"input": require(value, "input")}
            else:
                if str(value) not in [c.key for c in spec.amount_columns]:
                    raise ProfileError(item.where(kind), f"subject_figures 的列“{value}”不是{spec.number}的金额列",
                                       "金额列：" + "、".join(c.key for c in spec.amount_columns))
                figures[kind] = {"column": str(value)}
        if not figures:
            raise ProfileError(item.where(), "subject_figures 的每一项至少写一类数的列，如 决算: total")
        result.append(SubjectFigures(table_id, figures, item.where()))
    return result


def _chart_table(where: YamlMapping, key: str, table_id: object, by_id: dict[str, TableSpec]) -> TableSpec:
    spec = by_id.get(str(table_id))
    if spec is None:
        raise ProfileError(where.where(key), f"charts 引用的表“{table_id}”不在本方案中",
                           "本方案的表：" + "、".join(by_id))
    return spec


def _chart_column(where: YamlMapping, key: str, column: str, spec: TableSpec) -> None:
    amounts = [c.key for c in spec.amount_columns]
    if column not in amounts:
        raise ProfileError(where.where(key), f"{spec.number}没有金额列“{column}”", "可用：" + "、".join(amounts))


def _parse_chart(item: YamlMapping, by_id: dict[str, TableSpec]) -> ChartSpec:
    reject_unknown(item, CHART_KEYS)
    chart_id = identifier(item, "id", "图的 id")
    table = _chart_table(item, "table", item["table"], by_id) if "table" in item else None
    series = []
    for entry in require(item, "series", list, what="图中各组数字：label 加 column 或 input"):
        if not isinstance(entry, YamlMapping):
            raise ProfileError(item.where("series"), "“series”中的每一项应为映射（label，column 或 input）")
        reject_unknown(entry, {"label", "column", "input"})
        if "column" in entry and "input" in entry:
            raise ProfileError(entry.where("input"), "一组数字只能取自 column（表中的列）或 input（document.yaml 的 inputs）之一")
        series.append(ChartSeries(require(entry, "label"), optional(entry, "column"), optional(entry, "input")))
    if len(series) > MAX_SERIES:
        raise ProfileError(item.where("series"), f"一张图最多 {MAX_SERIES} 组数字（配色能区分的组数），实际 {len(series)} 组",
                           "把数字分到两张图中")
    raw = item.get("categories")
    categories: str | tuple[str, str] | tuple[ChartCategory, ...]
    if raw == "level1" or isinstance(raw, YamlMapping):
        if table is None:
            raise ProfileError(item.where("categories"), "按行取类别的图须有“table”")
        if raw == "level1":
            if table.layout != "subject":
                raise ProfileError(item.where("categories"), f"categories: level1（按“类”）只适用于科目表，{table.number}不是科目表")
            categories = "level1"
        else:
            reject_unknown(raw, {"group"})
            group = require(raw, "group")
            labels = [c.key for c in table.columns if c.type == "label"]
            if group not in labels:
                raise ProfileError(raw.where("group"), f"{table.number}没有标签列“{group}”", "可用：" + "、".join(labels))
            categories = ("group", group)
        for entry, s in zip(item["series"], series, strict=True):
            if s.input is None:
                if s.column is None:
                    raise ProfileError(entry.where(), "这组数字缺少“column”（表中的列）或“input”")
                _chart_column(entry, "column", s.column, table)
    elif isinstance(raw, list) and raw:
        listed = []
        for entry in raw:
            if not isinstance(entry, YamlMapping):
                raise ProfileError(item.where("categories"), "“categories”中的每一项应为映射（label、row、key …）")
            reject_unknown(entry, {"label", "key", "table", "row", "column"})
            spec = _chart_table(entry, "table", entry["table"], by_id) if "table" in entry else table
            if spec is None:
                raise ProfileError(entry.where(), "类别须有“table”（或在图上设置 table）")
            category = ChartCategory(require(entry, "label"), str(entry.get("key", "")), spec.id,
                                     optional(entry, "row", (str, int)), optional(entry, "column"))
            for s, s_entry in zip(series, item["series"], strict=True):
                if s.input is not None:
                    continue
                column = (s.column or category.column or "").replace("{key}", category.key)
                if not column:
                    raise ProfileError(s_entry.where(), f"“{category.label}”的这组数字没有列：在 series 或类别上设置“column”")
                _chart_column(entry if not s.column else s_entry, "column", column, spec)
            listed.append(category)
        categories = tuple(listed)
    else:
        raise ProfileError(item.where("categories") if "categories" in item else item.where(),
                           "“categories”应为 level1（科目表的“类”）、{group: 列} 或类别列表")
    rate = None
    if "rate" in item:
        spec = check_type(item, "rate", dict)
        reject_unknown(spec, {"label", "of", "type"})
        of = require(spec, "of", list, what="两组数字的序号（从 1 起）：[分子, 分母]")
        if len(of) != 2 or not all(isinstance(n, int) and 1 <= n <= len(series) for n in of):
            raise ProfileError(spec.where("of"), f"“of”应为两组数字的序号（1 到 {len(series)}），如 [2, 1]")
        kind = optional(spec, "type", default="share")
        if kind not in CHART_RATES:
            raise ProfileError(spec.where("type"), f"未知的比率类型“{kind}”", "可用：share（占比、完成率）、growth（增减率）")
        rate = (require(spec, "label"), of[0] - 1, of[1] - 1, kind)
    stacked = optional(item, "stacked", bool, False)
    total = optional(item, "total")
    if total is not None:
        if not stacked or table is None:
            raise ProfileError(item.where("total"), "“total”只用于有 table 的堆叠图（stacked: true）：标在每条末端的合计列")
        _chart_column(item, "total", total, table)
    fmt = optional(item, "format", default="money")
    if fmt not in CHART_FORMATS:
        raise ProfileError(item.where("format"), f"未知的格式“{fmt}”", "可用：" + "、".join(sorted(CHART_FORMATS)))
    return ChartSpec(chart_id, require(item, "title"), table.id if table else None, categories, tuple(series),
                     stacked, total, rate, fmt)


def _parse_charts(data: YamlMapping, tables: list[TableSpec]) -> list[ChartSpec]:
    """The document page's charts; every table, row source and column they name must exist."""
    by_id = {t.id: t for t in tables}
    charts: list[ChartSpec] = []
    for item in optional(data, "charts", list, []):
        if not isinstance(item, YamlMapping):
            raise ProfileError(data.where("charts"), "“charts”中的每一项应为图的定义（映射）")
        chart = _parse_chart(item, by_id)
        if chart.id in [c.id for c in charts]:
            raise ProfileError(item.where("id"), f"图的 id “{chart.id}”重复")
        charts.append(chart)
    return charts


def load_profile(path: Path) -> Profile:
    data = load_mapping(path)
    reject_unknown(data, PROFILE_KEYS)
    tables = []
    words = HeaderWords.parse(data)
    for item in require(data, "tables", list):
        if not isinstance(item, YamlMapping):
            raise ProfileError(data.where("tables"), "“tables”中的每一项应为表格定义（映射）")
        tables.append(_parse_table(item, data, words))
    words.refuse_unused(data, tables)
    ids = [t.id for t in tables]
    for spec in tables:
        if ids.count(spec.id) > 1:
            raise ProfileError(data.where("tables"), f"表格 id “{spec.id}”重复")
    return Profile(
        name=identifier(data, "name", "方案名称"),
        kind=require(data, "kind"),
        title=require(data, "title"),
        tables=tables,
        explanation_template=optional(data, "explanation_template"),
        empty_note=optional(data, "empty_note", default="说明：本表无数据"),
        path=path,
        headline=_parse_headline(data, tables),
        parts=_parse_parts(data, tables),
        grades=_parse_grades(data),
        cross_checks=_parse_cross_checks(data, tables),
        charts=_parse_charts(data, tables),
        quantities=_parse_quantities(data, tables),
        subject_figures=_parse_subject_figures(data, tables),
    )


def load_profiles(extra_dir: Path | None = None) -> dict[str, Profile]:
    """Built-in profiles, then the portal's own (a portal profile replaces one of the same name)."""
    profiles: dict[str, Profile] = {}
    for folder in (BUILTIN_DIR, extra_dir):
        if folder is None or not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.yaml")):
            profile = load_profile(path)
            if profile.name != path.stem:
                raise ProfileError(path, f"方案名称“{profile.name}”应与文件名“{path.stem}”一致")
            profiles[profile.name] = profile
    return profiles
