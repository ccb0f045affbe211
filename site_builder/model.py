"""The content model: a portal of departments, each with disclosures (one per year and kind).

Objects keep their source location so that errors and checks can cite file and line. What is
computed from a table or a disclosure once and used many times (a table's label index and its
view, a disclosure's headline figures, its 【待填写】 places, its prose's sentences) is a cached
property of the model, computed by the module that knows how (imported when first used: they
build on the model); ``Document.forget_derived`` drops them.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import Location
from .numbers import BLANK, Cell, label_key, normalize_text
from .profiles import LEVEL_NAMES, Profile, TableSpec

if TYPE_CHECKING:
    from .config import SiteConfig     # (config.py reads site.yaml, and imports this module)
    from .checks.prose import Sentence
    from .records import Figure
    from .tableview import TableView

KINDS = {
    "final-accounts": "部门决算",
    "budget": "部门预算",
    "performance": "部门整体支出绩效自评",
}
KIND_ORDER = list(KINDS)
TOTAL_LABEL = "合计"
DOWNLOAD_FORMATS = ("csv", "json", "xlsx")   # what a table can be downloaded as (site.yaml ``downloads``)


_LINE_NUMBER = re.compile(r"\d{1,15}(?:\.\d{1,6})?")


def line_number(text: str) -> Decimal | None:
    """A printed 行次 as a number (“1.00” → 1, “27” → 27), or None when it is no number (甲, 一)."""
    text = normalize_text(text)
    return Decimal(text) if _LINE_NUMBER.fullmatch(text) else None


def _line_key(text: str) -> Decimal | str:
    """How a 行次 is looked up: by its value when it is a number, else as printed."""
    number = line_number(text)
    return text if number is None else number


def same_label(a: str, b: str) -> bool:
    """Compare printed labels ignoring spaces and full-/half-width forms (（境） = (境))."""
    return label_key(a) == label_key(b)


_NUMBERING = re.compile(r"^\s*(\d+[.、．]|[（(][一二三四五六七八九十\d]+[）)]|[一二三四五六七八九十]+、)\s*")


def strip_numbering(label: str) -> str:
    """“3. 机要通信用车” → “机要通信用车”, “(一) 行政单位” → “行政单位”."""
    return _NUMBERING.sub("", label).strip()


# Every key docs/form-schema.md describes, at any level of a form (the form itself, its funding
# lines, goals, indicators and their sides, analysis items, improvement, signoff, a report's sections). A form file
# may leave any of them out ("an empty printed cell is "" or the key left out"), and the form
# templates test them (``{% if form.goals %}``, ``item.note or ""``): absent, they read None.
# tests/test_docs.py checks that this is exactly the schema's list.
FORM_SCHEMA_KEYS = frozenset({
    "kind", "title", "period", "project", "department", "unit", "amount_unit", "labels",   # both forms
    "funding", "goals", "indicators", "source_notes", "unavailable", "unavailable_reason",
    "total_score", "grade", "analysis", "improvement", "remarks",                         # 自评表
    "attribute", "duration", "overview", "basis", "necessity", "safeguards", "plan", "signoff",   # 申报表
    "source", "target", "budgeted", "full_year", "executed", "balance", "rate", "score", "reason",   # funding
    "period_total", "annual",
    "actual", "level1", "level2", "level3", "value", "initial", "adjusted", "note", "weight",   # goals, indicators
    "label", "text",                                                      # analysis items, improvement
    "responsible", "handler", "phone", "date",                            # signoff
    "columns", "criteria", "total_weight",                                # 评分表
    "sections", "heading",                                                # 评价报告
})


class Record(dict):
    """A form's fields (docs/form-schema.md), read as ``record.key`` by the form templates.

    A key the schema declares (``FORM_SCHEMA_KEYS``) that the file leaves out reads None; any
    other missing name raises AttributeError, so that Jinja's StrictUndefined stops the build
    on a typo in a template (``form.projcet``) instead of printing nothing."""

    def __getattr__(self, name: str) -> Any:
        if not name.startswith("__"):        # (never __html__ & co.: a form's key is no protocol)
            if name in self:
                return self[name]
            if name in FORM_SCHEMA_KEYS:
                return None
        raise AttributeError(f"{type(self).__name__} has no key {name!r} (keys: docs/form-schema.md)")

    @classmethod
    def of(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return cls({k: cls.of(v) for k, v in value.items()})
        if isinstance(value, list):
            return [cls.of(v) for v in value]
        return value


@dataclass
class Row:
    """One printed row. ``cells`` maps column keys to text (labels) or :class:`Cell` (amounts)."""

    cells: dict[str, Any]
    location: Location
    code: str = ""
    name: str = ""
    level: int = 0  # 1 类, 2 款, 3 项 for 科目 rows; 0 for 合计 and non-科目 rows
    group: str = ""
    computed: bool = False  # added by the build (a 合计 row summed from the rows above)
    # a printed header row repeated inside the table (项目 | 统计数 after a page break, 类 款 项):
    # kept as printed, no data; its amount cells are text with no value (tables.repeats_header)
    repeats_header: bool = False

    def __getitem__(self, key: str) -> Any:
        return self.cells.get(key, BLANK)

    @property
    def prints_code(self) -> bool:
        """Its 科目代码 cell prints something: a 科目's code, or a placeholder such as 无."""
        return bool(self.code or self.cells.get("code"))

    def amount(self, key: str) -> Decimal:
        cell = self[key]
        return cell.amount if isinstance(cell, Cell) else Decimal(0)

    @property
    def is_total(self) -> bool:
        return self.level == 0 and bool(self.name) and same_label(self.name, TOTAL_LABEL)

    @property
    def level_name(self) -> str:
        return LEVEL_NAMES.get(self.level, "")

    @property
    def is_section(self) -> bool:
        """A heading row inside a grid table: one label and nothing else (一、政府采购情况).
        Only a label in the table's first column heads a section: 六、科学技术支出 alone on the
        支出 side of a 收支总表 is an ordinary row with blank amounts (``Table.is_section``)."""
        filled = [v for v in self.cells.values() if (v.text if isinstance(v, Cell) else v)]
        return len(filled) == 1 and isinstance(filled[0], str) and not self.code and not self.repeats_header


@dataclass
class Table:
    spec: TableSpec
    rows: list[Row]
    path: Path
    extra_note: str = ""
    columns_at: dict[str, int] = field(default_factory=dict)  # column key → its 1-based column in the CSV

    def after_blocks(self, row: Row) -> bool:
        """A block table's line printed after its blocks' totals (合 计): no code printed, no
        block's total line, no repeated header."""
        return not row.prints_code and not row.repeats_header and self.spec.block_totalled_by(row.name) is None

    def is_section(self, row: Row) -> bool:
        """A heading row: one label, in the first column, and nothing else (一、政府采购情况)."""
        return row.is_section and bool(row.cells.get(self.spec.columns[0].key))

    @property
    def data_rows(self) -> list[Row]:
        """Its rows but the repeated header rows: what checks, sums and look-ups read."""
        return [r for r in self.rows if not r.repeats_header]

    @property
    def first_row(self) -> Row | None:
        """The first row of data (a table's only row, for a figure that names no row)."""
        return next((r for r in self.rows if not r.repeats_header), None)

    def cell_location(self, row: Row, key: str) -> Location:
        """Where a cell was typed: the row's line and the column the CSV gave that key."""
        return Location(row.location.path, row.location.line, self.columns_at.get(key))

    @property
    def is_empty(self) -> bool:
        """True when no amount cell holds a number other than zero (本表无数据)."""
        return all(
            not (isinstance(cell, Cell) and cell.value)
            for row in self.rows for cell in row.cells.values()
        )

    # Look-ups used by the 情况说明 templates -------------------------------------------------
    @property
    def total_row(self) -> Row | None:
        return next((r for r in self.rows if r.is_total), None)

    def total(self, key: str) -> Decimal:
        row = self.total_row
        return row.amount(key) if row else Decimal(0)

    def rows_at_level(self, level: int) -> list[Row]:
        return [r for r in self.rows if r.level == level]

    def row(self, code: str) -> Row | None:
        return next((r for r in self.rows if r.code == code), None)

    def children(self, parent: Row) -> list[Row]:
        return [r for r in self.rows if r.level == parent.level + 1 and r.code.startswith(parent.code)]

    @functools.cached_property
    def label_index(self) -> dict[str, Row]:
        """Each label cell (or name), spaces ignored, → the first row that holds it; built on
        first use: the checker looks up hundreds of labels."""
        index: dict[str, Row] = {}
        for row in self.data_rows:      # (a repeated header row's 统计数 is no row of that name)
            for value in (row.name, *row.cells.values()):
                if isinstance(value, str) and value:
                    index.setdefault(label_key(value), row)
        return index

    @functools.cached_property
    def view(self) -> TableView:
        """The table as the page and the workbook (XLSX) draw it: made once, the same cells for both."""
        from .tableview import table_view
        return table_view(self)

    def find(self, label: str) -> Row | None:
        """The first row with a label cell (or name) equal to ``label``, spaces ignored."""
        return self.label_index.get(label_key(label))

    def value(self, label: str, key: str) -> Decimal:
        row = self.find(label)
        return row.amount(key) if row else Decimal(0)

    @functools.cached_property
    def line_index(self) -> dict[Decimal | str, Row]:
        """Each printed 行次 (either side of a two-sided table) → the first row that prints it:
        a number by its value (“1.00”, “1” and 1 are one 行次), other text as it is."""
        keys = [c.key for c in self.spec.columns if c.type == "line"]
        index: dict[Decimal | str, Row] = {}
        for row in self.rows:
            for key in keys:
                text = row.cells.get(key)
                if isinstance(text, str) and text:
                    index.setdefault(_line_key(text), row)
        return index

    @property
    def prints_lines(self) -> bool:
        """True when the table has a 行次 column (rows are then named by it, not by position)."""
        return any(c.type == "line" for c in self.spec.columns)

    def at_line(self, line: int | str) -> Row | None:
        """The row printed with 行次 ``line`` (either side of a two-sided table); a 行次 printed
        as a decimal (1.00) is the same 行次 as 1."""
        return self.line_index.get(_line_key(str(line)))

    def numbered(self, number: int) -> Row | None:
        """Row by 行次, or the n-th row (1-based) of a table that prints no 行次."""
        if self.prints_lines:
            return self.at_line(number)
        rows = self.data_rows
        return rows[number - 1] if 0 < number <= len(rows) else None

    def missing(self, name: str | int) -> str:
        """Why the row ``name`` (a printed label, or a 行次 as an int) is not found, for a
        finding: “表中没有行次为 51 的行”."""
        if isinstance(name, str):
            return f"表中没有“{name}”行"
        if self.prints_lines:
            return f"表中没有行次为 {name} 的行"
        return f"本表不印行次，按行序数第 {name} 行，而本表只有 {len(self.rows)} 行"

    def line_value(self, line: int | str, key: str) -> Decimal:
        row = self.at_line(line)
        return row.amount(key) if row else Decimal(0)

    def group_total(self, group: str, key: str = "amount") -> Decimal:
        """For block tables: the amount in column ``key`` on the group's published total row."""
        for block in self.spec.blocks:
            if block.group == group:
                row = self.find(block.total_label)
                return row.amount(key) if row else Decimal(0)
        raise KeyError(group)


@dataclass
class Document:
    """One disclosure: one department, one year, one kind."""

    department: Department
    year: int
    kind: str
    profile: Profile
    title: str
    path: Path
    tables: list[Table] = field(default_factory=list)
    overview: str = ""
    glossary: str = ""
    inputs: dict[str, Any] = field(default_factory=dict)
    reasons: dict[str, Any] = field(default_factory=dict)
    attachments: list[dict[str, Any]] = field(default_factory=list)
    published: str | None = None
    updated: str | None = None         # the date of its latest correction record (更正), set when its page is made
    source: str | None = None
    corrections: list[dict[str, str]] = field(default_factory=list)
    known_issues: list[dict[str, str]] = field(default_factory=list)  # checker findings in the source
    extra_markdown: dict[str, str] = field(default_factory=dict)
    title_location: Location | None = None  # where the title is set (document.yaml line), for findings

    @property
    def kind_label(self) -> str:
        return KINDS[self.kind]

    @property
    def url(self) -> str:
        """Path of the document page relative to the site root (no leading slash)."""
        return f"{self.department.slug}/{self.year}/{self.kind}/"

    def input_at(self, path: str) -> Any:
        """The document.yaml input at a dotted path (``prior_year.three_public.total``), as
        written; None where the path leads nowhere."""
        node: Any = self.inputs
        for part in path.split("."):
            if not isinstance(node, dict) or part not in node:
                return None
            node = node[part]
        return node

    def table(self, table_id: str) -> Table:
        for table in self.tables:
            if table.spec.id == table_id:
                return table
        raise KeyError(f"{self.profile.name} 中没有 id 为 {table_id} 的表")

    # Derived values: computed once, kept on the document until forget_derived ----------------
    @functools.cached_property
    def headline_figures(self) -> list[Figure]:
        """Its headline figures, as its profile defines them (figures.headline_figures). A
        document made from a summary (summary.department_from_summary) is given the summary's:
        it has no tables to compute them from."""
        from .headlines import headline_figures
        return headline_figures(self)

    @functools.cached_property
    def placeholders(self) -> list[tuple[Location, str]]:
        """Every 【待填写】 left in its files, with file and line (checks.placeholders)."""
        from .checks.placeholders import find_placeholders
        return find_placeholders(self)

    @functools.cached_property
    def prose_sentences(self) -> list[Sentence]:
        """Its prose as sentences, for the checker's prose rules (checks.prose)."""
        from .checks.prose import prose_sentences
        return prose_sentences(self)

    @functools.cached_property
    def prose_texts(self) -> list[tuple[Location, str]]:
        """Its prose, each piece with where it lives and normalised once (checks.prose)."""
        from .checks.prose import read_prose
        return read_prose(self)

    @functools.cached_property
    def prose_paragraphs(self) -> list[list[Sentence]]:
        """Its prose's sentences by paragraph, for the change-rate rules (checks.prose_changes)."""
        from .checks.prose import paragraphs
        return paragraphs(self)

    def forget_derived(self) -> None:
        """Drop what was computed from its tables and texts; its headline figures stay (the pages
        that list it show them). The preview calls this when it lets a document's tables and
        prose go (serve.slim). (Table views and label indexes go with the tables.)"""
        for name in _DERIVED:
            self.__dict__.pop(name, None)        # (where cached_property keeps a value)


_DERIVED = tuple(name for name, value in vars(Document).items()
                 if isinstance(value, functools.cached_property) and name != "headline_figures")


@dataclass
class Department:
    slug: str
    name: str
    path: Path
    code: str | None = None
    supervisor: str | None = None
    region: str | None = None
    documents: list[Document] = field(default_factory=list)

    @property
    def years(self) -> list[int]:
        return sorted({d.year for d in self.documents}, reverse=True)

    def documents_of(self, year: int) -> list[Document]:
        return [d for d in self.documents if d.year == year]

    def document(self, year: int, kind: str) -> Document | None:
        return next((d for d in self.documents if d.year == year and d.kind == kind), None)


@dataclass
class Portal:
    config: SiteConfig
    root: Path
    departments: list[Department]

    @property
    def documents(self) -> list[Document]:
        return [d for dept in self.departments for d in dept.documents]

    @property
    def years(self) -> list[int]:
        """Every year any department published for, newest first."""
        return sorted({d.year for d in self.documents}, reverse=True)

    @property
    def regions(self) -> list[tuple[str, list[Department]]]:
        """Departments grouped by region, regions in order of first appearance by slug."""
        groups: dict[str, list[Department]] = {}
        for dept in self.departments:
            groups.setdefault(dept.region or self.config.region, []).append(dept)
        return list(groups.items())
