"""Table-set profiles: which tables a disclosure has and how each one is laid out.

Profiles are YAML (``site_builder/profiles/*.yaml`` built in, ``<content>/profiles/*.yaml``
added or overriding by name). Nothing about a particular table set lives in code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .errors import ProfileError
from .sources import Mapping, check_type, load_mapping, optional, reject_unknown, require

BUILTIN_DIR = Path(__file__).parent / "profiles"
LAYOUTS = {"subject", "grid", "blocks"}
COLUMN_TYPES = {"code", "name", "label", "line", "amount", "text"}
# Code length → level (1 类, 2 款, 3 项) per classification.
CLASSIFICATIONS = {"功能分类": {3: 1, 5: 2, 7: 3}, "经济分类": {3: 1, 5: 2}}
LEVEL_NAMES = {1: "类", 2: "款", 3: "项"}


@dataclass(frozen=True)
class Column:
    """A leaf column: where data lives. ``path`` holds the labels of its header groups."""

    key: str
    label: str
    type: str
    path: tuple[str, ...]
    seq: str | None = None

    @property
    def qualified_label(self) -> str:
        return "/".join((*self.path, self.label))


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
    header_rows: list[list[HeaderCell]]
    seq_row: bool = False
    note: str = ""
    classification: str | None = None
    blocks: list[Block] = field(default_factory=list)

    def column(self, key: str) -> Column:
        for col in self.columns:
            if col.key == key:
                return col
        raise KeyError(key)

    @property
    def amount_columns(self) -> list[Column]:
        return [c for c in self.columns if c.type == "amount"]

    @property
    def levels(self) -> dict[int, int]:
        return CLASSIFICATIONS.get(self.classification or "", {})

    def seq_cells(self) -> list[HeaderCell]:
        """The 栏次 row: stub columns merged under “栏次”, amount columns numbered."""
        cells: list[HeaderCell] = []
        number = 0
        stub = 0
        for col in self.columns:
            if col.type == "amount":
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
class Profile:
    name: str
    kind: str
    title: str
    tables: list[TableSpec]
    explanation_template: str | None
    empty_note: str
    path: Path
    headline: list[dict[str, str]] = field(default_factory=list)

    def table(self, table_id: str) -> TableSpec:
        for spec in self.tables:
            if spec.id == table_id:
                return spec
        raise KeyError(table_id)


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


def _parse_columns(items: object, where: Mapping, path: tuple[str, ...] = ()) -> tuple[list, list[Column]]:
    if not isinstance(items, list) or not items:
        raise ProfileError(where.where("columns"), "“columns”应为非空列表")
    tree: list = []
    leaves: list[Column] = []
    for item in items:
        if not isinstance(item, Mapping):
            raise ProfileError(where.where("columns"), f"列定义应为映射，实际是“{item}”")
        if "group" in item:
            reject_unknown(item, {"group", "children"})
            label = require(item, "group")
            sub_tree, sub_leaves = _parse_columns(item.get("children"), item, (*path, label))
            tree.append({"group": label, "children": sub_tree})
            leaves.extend(sub_leaves)
        else:
            reject_unknown(item, {"key", "label", "type", "seq"})
            col_type = require(item, "type")
            if col_type not in COLUMN_TYPES:
                raise ProfileError(item.where("type"), f"未知的列类型“{col_type}”",
                                   "可用：" + "、".join(sorted(COLUMN_TYPES)))
            col = Column(require(item, "key"), require(item, "label"), col_type, path, optional(item, "seq"))
            tree.append({"label": col.label})
            leaves.append(col)
    return tree, leaves


TABLE_KEYS = {"id", "number", "title", "layout", "unit", "unit_label", "entity_label", "columns",
              "seq_row", "note", "classification", "blocks"}
PROFILE_KEYS = {"name", "kind", "title", "tables", "explanation_template", "empty_note", "unit",
                "unit_label", "entity_label", "rounding_note", "headline"}


def _parse_table(item: Mapping, defaults: Mapping) -> TableSpec:
    reject_unknown(item, TABLE_KEYS)
    layout = require(item, "layout")
    if layout not in LAYOUTS:
        raise ProfileError(item.where("layout"), f"未知的表格版式“{layout}”", "可用：" + "、".join(sorted(LAYOUTS)))
    tree, columns = _parse_columns(item.get("columns"), item)
    keys = [c.key for c in columns]
    duplicates = {k for k in keys if keys.count(k) > 1}
    if duplicates:
        raise ProfileError(item.where("columns"), f"列的 key 重复：{'、'.join(sorted(duplicates))}")
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
            blocks.append(Block(require(block, "group"), check_type(block, "count", int),
                                require(block, "total_label")))
        if not blocks:
            raise ProfileError(item.where(), "分块表（blocks）须有“blocks”设置")
    return TableSpec(
        id=require(item, "id"),
        number=require(item, "number"),
        title=require(item, "title"),
        layout=layout,
        unit=optional(item, "unit", default=defaults.get("unit", "万元")),
        unit_label=optional(item, "unit_label", default=defaults.get("unit_label", "金额单位")),
        entity_label=optional(item, "entity_label", default=defaults.get("entity_label", "部门名称")),
        columns=columns,
        header_rows=header_rows(tree),
        seq_row=optional(item, "seq_row", bool, False),
        note=optional(item, "note", default=""),
        classification=classification,
        blocks=blocks,
    )


def load_profile(path: Path) -> Profile:
    data = load_mapping(path)
    reject_unknown(data, PROFILE_KEYS)
    tables_data = require(data, "tables", list)
    tables = []
    for item in tables_data:
        if not isinstance(item, Mapping):
            raise ProfileError(data.where("tables"), "“tables”中的每一项应为表格定义（映射）")
        tables.append(_parse_table(item, data))
    ids = [t.id for t in tables]
    for spec in tables:
        if ids.count(spec.id) > 1:
            raise ProfileError(data.where("tables"), f"表格 id “{spec.id}”重复")
    headline = []
    for item in optional(data, "headline", list, []):
        if not isinstance(item, Mapping):
            raise ProfileError(data.where("headline"), "“headline”中的每一项应为映射（label、table、column）")
        reject_unknown(item, {"label", "table", "row", "column"})
        table_id, column = require(item, "table"), require(item, "column")
        spec = next((t for t in tables if t.id == table_id), None)
        if spec is None:
            raise ProfileError(item.where("table"), f"headline 引用的表“{table_id}”不在本方案中")
        if column not in [c.key for c in spec.amount_columns]:
            raise ProfileError(item.where("column"), f"{spec.number}没有金额列“{column}”",
                               "可用：" + "、".join(c.key for c in spec.amount_columns))
        headline.append({k: str(v) for k, v in item.items()})
    return Profile(
        headline=headline,
        name=require(data, "name"),
        kind=require(data, "kind"),
        title=require(data, "title"),
        tables=tables,
        explanation_template=optional(data, "explanation_template"),
        empty_note=optional(data, "empty_note", default="说明：本表无数据"),
        path=path,
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
