"""No printed number is lost, on layouts nobody here wrote (issue 26).

Hypothesis makes profiles — 科目 tables with extra amount, rate and text columns under header
groups 1–3 levels deep, two-sided grid tables with 行次 and a summed 合计 row, block tables with
1–3 value columns per block, printed rates, 1–3 blocks of 1–3 print columns, the print's own column breaks and a
grand total line — and CSVs for them with blanks, 0.00, “——”, thousands separators and text a
spreadsheet would run. Each is built, and every output is read back the way a citizen's tools
read it (lxml for the page, openpyxl for the workbook, csv and json for the downloads): every
non-empty cell of the CSV must be there, as typed. The build checks the same promise itself
(site_builder/coverage.py); the tests below also break the drawing on purpose and watch the
build refuse. (Synthetic data: made-up names and numbers.)
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from decimal import Decimal
from pathlib import Path

import lxml.html
import openpyxl
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from site_builder.build import build

SITE = {"name": "生成的门户", "region": "某省某市", "description": "合成数据", "site_name": "生成的门户",
        "site_domain": "example.gov.cn", "site_id_code": "0000000000", "content_source": "合成数据",
        "base_url": "", "profiles": {"final-accounts": "generated"}}
DEPARTMENT = {"name": "示例局", "code": "999", "supervisor": "示例局", "region": "某省某市"}
AMOUNTS = ["", "", "0.00", "——", "1,234.56", "12.5", "-3.20", "69.62", "100", "2,262.43"]
RATES = ["", "27.05%", "0.00%", "——", "-3.2%", "100%"]
TEXTS = ["", "见说明", "=SUM(A1)", "<b>粗</b>", "@备注", "一、其他"]
LABELS = ["收入", "支出", "金额", "上年", "本年", "其中", "小计", "调整数"]
FUNCTION_CODES = ["201", "20101", "2010101", "2010102", "205", "20502", "2050201", "208", "20805", "2080501"]
ECONOMIC_CODES = ["301", "30101", "30102", "302", "30201", "30207", "303", "30307", "309", "30901"]
NAMES = ["一般公共服务支出", "行政运行", "教育支出", "=HYPERLINK(\"x\")", "合 计", "本年支出合计", "<script>x</script>"]


def _site(tmp_path: Path, profile: dict, csv_text: str) -> Path:
    content = tmp_path / "content"
    document = content / "departments" / "demo" / "2024" / "final-accounts"
    (document / "tables").mkdir(parents=True)
    (content / "profiles").mkdir()
    (content / "site.yaml").write_text(yaml.safe_dump(SITE, allow_unicode=True), encoding="utf-8")
    (content / "profiles" / "generated.yaml").write_text(yaml.safe_dump(profile, allow_unicode=True), encoding="utf-8")
    (document.parent.parent / "department.yaml").write_text(yaml.safe_dump(DEPARTMENT, allow_unicode=True), encoding="utf-8")
    (document / "document.yaml").write_text("title: 示例局2024年度部门决算公开\n", encoding="utf-8")
    (document / "tables" / "01.csv").write_text(csv_text, encoding="utf-8")
    return content


def _profile(table: dict) -> dict:
    return {"name": "generated", "kind": "final-accounts", "title": "生成的方案（合成）", "unit": "元",
            "parts": [{"title": "{year}年度部门决算公开表", "blocks": [{"type": "tables"}]}],
            "tables": [{"id": "01", "number": "公开01表", "title": "生成的表", **table}]}


def _nest(leaves: list[dict], draw, depth: int) -> list[dict]:
    """Put runs of ``leaves`` under header groups, up to ``depth`` levels."""
    if depth == 0 or len(leaves) < 2:
        return leaves
    cut = draw(st.integers(1, len(leaves)))
    group = {"group": draw(st.sampled_from(LABELS)) + str(depth), "children": _nest(leaves[:cut], draw, depth - 1)}
    return [group, *leaves[cut:]]


def _csv(header: list[str], rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header, *rows])
    return out.getvalue()


@st.composite
def subject_tables(draw):
    values = []
    for n in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["amount", "amount", "text", "line"]))
        values.append({"key": f"v{n}", "label": f"{LABELS[n]}{n}", "type": kind})
    amounts = [v["key"] for v in values if v["type"] == "amount"]
    if len(amounts) >= 2 and draw(st.booleans()):
        values.append({"key": "ratio", "label": "比率%", "type": "rate", "of": amounts[:2]})
    columns = [{"key": "code", "label": "科目编码", "type": "code"}, {"key": "name", "label": "科目名称", "type": "name"},
               *_nest(values, draw, draw(st.integers(0, 2)))]
    table = {"layout": "subject", "columns": columns}
    if draw(st.booleans()):
        table["seq_row"] = True
    typed = [v for v in values if v["type"] != "rate"]
    rows = []
    for _ in range(draw(st.integers(0, 8))):
        code = draw(st.sampled_from(["", *FUNCTION_CODES]))
        name = draw(st.sampled_from(NAMES)) if code == "" else draw(st.sampled_from(NAMES[:4]))
        cells = [draw(st.sampled_from(AMOUNTS if v["type"] == "amount" else
                                      TEXTS if v["type"] == "text" else ["", "1", "2.00", "12"])) for v in typed]
        rows.append([code, name, *cells])
    header = ["科目编码", "科目名称", *(_qualified(columns, v["key"]) for v in typed)]
    return _profile(table), _csv(header, rows), ["code", "name", *(v["type"] for v in typed)]


def _leaves(tree: list[dict]) -> list[dict]:
    return [leaf for node in tree for leaf in (_leaves(node["children"]) if "children" in node else [node])]


def _qualified(tree: list[dict], key: str, path: tuple[str, ...] = ()) -> str:
    for node in tree:
        if "children" in node:
            found = _qualified(node["children"], key, (*path, node["group"]))
            if found:
                return found
        elif node["key"] == key:
            return "/".join((*path, node["label"]))
    return ""


@st.composite
def grid_tables(draw):
    sides = []
    for side in range(draw(st.integers(1, 2))):
        stub = [{"key": f"l{side}", "label": "项目", "type": "label"}]
        if draw(st.booleans()):
            stub.append({"key": f"n{side}", "label": "行次", "type": "line"})
        amounts = [{"key": f"a{side}{n}", "label": LABELS[n], "type": "amount"} for n in range(draw(st.integers(1, 3)))]
        if len(amounts) >= 2 and draw(st.booleans()):      # a rate the document prints (checked, shown as typed)
            amounts.append({"key": f"r{side}", "label": "决算数为预算数的%", "type": draw(st.sampled_from(["rate", "growth"])),
                            "of": [amounts[1]["key"], amounts[0]["key"]], "printed": True})
        sides.append({"group": ["收入", "支出"][side], "children": [*stub, *_nest(amounts, draw, draw(st.integers(0, 1)))]})
    columns: list[dict] = sides if len(sides) > 1 or draw(st.booleans()) else sides[0]["children"]
    leaves = [leaf for side in sides for leaf in _leaves(side["children"])]
    table = {"layout": "grid", "columns": columns}
    amounts = [leaf["key"] for leaf in leaves if leaf["type"] == "amount"]
    if draw(st.booleans()) and not any(leaf.get("printed") for leaf in leaves):   # (a sum of printed rates is no rate)
        table["total"] = {"label": "合计", "label_column": "l0", "sum": amounts}
    if draw(st.booleans()):
        table["seq_row"] = draw(st.sampled_from([True, "all"]))
    rows = []
    for _ in range(draw(st.integers(1, 8))):
        row = []
        for leaf in leaves:
            kind = leaf["type"]
            row.append(draw(st.sampled_from(AMOUNTS if kind == "amount" else RATES if kind in ("rate", "growth") else
                                            ["", "1", "2", "3.00"] if kind == "line" else [*TEXTS, "一、收入", "合 计"])))
        if not any(row):
            row[0] = "一、收入"
        rows.append(row)
    header = [_qualified(columns, leaf["key"]) for leaf in leaves]
    return _profile(table), _csv(header, rows), [leaf["type"] for leaf in leaves]


@st.composite
def block_tables(draw):
    values = [{"key": "amount", "label": "金额", "type": "amount"}]
    values += [{"key": f"x{n}", "label": ["其中：基本支出", "备注", "上年数"][n],
                "type": ["amount", "text", "amount"][n]} for n in range(draw(st.integers(0, 2)))]
    staged = draw(st.booleans())
    columns = [{"key": "code", "label": "科目代码", "type": "code"}, {"key": "name", "label": "科目名称", "type": "name"},
               *values, {"key": "group", "label": "分组", "type": "text"}]
    if staged:
        columns.append({"key": "block_column", "label": "栏", "type": "text"})
    blocks, rows = [], []
    for b in range(draw(st.integers(1, 3))):
        group, count = ["人员经费", "公用经费", "其他经费"][b], draw(st.integers(1, 3))
        blocks.append({"group": group, "count": count, "total_label": f"{group}合计"})
        codes = draw(st.lists(st.sampled_from(ECONOMIC_CODES), max_size=7))
        breaks = sorted(draw(st.integers(1, count)) for _ in codes)
        for code, column in zip(codes, breaks, strict=True):
            rows.append([code, draw(st.sampled_from(NAMES[:4])), *_values(draw, values), group,
                         *([str(column)] if staged else [])])
        if draw(st.booleans()):
            rows.append(["", f"{group}合计", *_values(draw, values), group, *([""] if staged else [])])
    if draw(st.booleans()):
        rows.append(["", "合 计", *_values(draw, values), "", *([""] if staged else [])])
    table = {"layout": "blocks", "classification": "经济分类", "columns": columns, "blocks": blocks}
    return _profile(table), _csv([c["label"] for c in columns], rows), [c["type"] for c in columns]


def _values(draw, values: list[dict]) -> list[str]:
    return [draw(st.sampled_from(AMOUNTS if v["type"] == "amount" else TEXTS)) for v in values]


def _source_cells(csv_text: str) -> tuple[list[str], list[list[str]]]:
    records = list(csv.reader(io.StringIO(csv_text)))
    return records[0], [r for r in records[1:] if any(v.strip() for v in r)]


def _as_number(text: str) -> object:
    """How the workbook holds a cell: a plain number as a number, anything else as text."""
    try:
        return float(Decimal(text.replace(",", "")))
    except ArithmeticError:
        return text


def assert_every_cell_everywhere(out: Path, csv_text: str, types: list[str]) -> None:
    header, rows = _source_cells(csv_text)
    folder = out / "demo" / "2024" / "final-accounts"
    page = lxml.html.parse(str(folder / "index.html")).getroot()
    table = page.cssselect('table[data-table="01"]')[0]
    placement = [i for i, label in enumerate(header) if label in ("分组", "栏")]   # a block table's
    if placement:
        assert_blocks_placed(table, header, rows)
    drawn_rows = [[v for i, v in enumerate(r) if i not in placement] for r in rows]
    typed = Counter(v.strip() for r in drawn_rows for v in r if v.strip())
    in_workbook = Counter(_as_number(v.strip()) if kind == "amount" else v.strip()
                          for r in rows for i, (v, kind) in enumerate(zip(r, types, strict=True))
                          if v.strip() and i not in placement)
    drawn = Counter(c.text_content().strip().split("（类）")[0].split("（款）")[0].split("（项）")[0]
                    for c in table.cssselect("td, th"))
    missing = typed - drawn
    assert not missing, f"not on the page: {missing}"
    sheet = openpyxl.load_workbook(folder / "tables.xlsx").worksheets[0]
    held = Counter(v if isinstance(v, str) else float(v) for r in sheet.iter_rows(values_only=True) for v in r
                   if v not in (None, ""))
    missing = in_workbook - held
    assert not missing, f"not in the workbook: {missing}"
    downloaded = list(csv.reader(io.StringIO((folder / "tables" / "01.csv").read_text(encoding="utf-8-sig"))))
    written = Counter(v[1:] if v.startswith("'") else v for r in downloaded[1:] for v in r if v)
    missing = Counter(v.strip() for r in rows for v in r if v.strip()) - written
    assert not missing, f"not in the CSV download: {missing}"
    data = json.loads((folder / "data.json").read_text(encoding="utf-8"))["tables"][0]
    kept = Counter(str(v) for r in data["rows"] for v in (r.get("code"), r.get("name"), *r["cells"].values()) if v)
    missing = Counter(v.strip() for r in rows for v in r if v.strip()) - kept
    assert not missing, f"not in data.json: {missing}"
    download = json.loads((folder / "tables" / "01.json").read_text(encoding="utf-8"))["table"]
    assert download == data


def _grid_positions(rows) -> list[list[tuple[int, str]]]:
    """Each row's cells as (first column, text), placing colspans (block tables have no rowspans)."""
    placed = []
    for row in rows:
        column, cells = 0, []
        for cell in row:
            cells.append((column, cell.text_content().strip().split("（")[0]))
            column += int(cell.get("colspan", "1"))
        placed.append(cells)
    return placed


def assert_blocks_placed(table, header: list[str], rows: list[list[str]]) -> None:
    """Each 科目 row of a block table is drawn under its block's heading, in the print column the
    CSV gives (栏), with its code, name and every value; each line without a code on a total row."""
    group_at, column_at = header.index("分组"), header.index("栏") if "栏" in header else None
    values = [i for i, label in enumerate(header) if label not in ("科目代码", "科目名称", "分组", "栏")]
    per = 2 + len(values)
    headings = table.cssselect("thead tr")[0].cssselect("th")
    starts, start = {}, 0
    for th in headings:
        starts[th.text_content().strip()] = start
        start += int(th.get("colspan", "1"))
    body = table.cssselect("tbody tr")
    ordinary = _grid_positions([tr for tr in body if "total" not in (tr.get("class") or "")])
    totals = Counter(t for r in _grid_positions([tr for tr in body if "total" in (tr.get("class") or "")])
                     for _, t in r if t)
    drawn = Counter()
    for row in ordinary:
        for column, text in row:
            drawn[(column, text)] += 1
    for record in rows:
        if record[0].strip():
            base = starts[record[group_at]]
            if column_at is not None:
                base += (int(record[column_at]) - 1) * per
                expected = [(base, record[0]), (base + 1, record[1]), *((base + 2 + n, record[i].strip())
                                                                         for n, i in enumerate(values))]
            else:      # filled evenly: somewhere in the block's print columns, in the same offsets
                expected = None
                for k in range(10):
                    trial = [(base + k * per, record[0]), (base + k * per + 1, record[1]),
                             *((base + k * per + 2 + n, record[i].strip()) for n, i in enumerate(values))]
                    if all(drawn[c] for c in trial):
                        expected = trial
                        break
                assert expected, f"row {record} not drawn under {record[group_at]}"
            for cell in expected:
                assert drawn[cell] > 0, f"row {record}: {cell} not drawn"
                drawn[cell] -= 1
        else:
            for text in (record[1], *(record[i].strip() for i in values)):
                if text:
                    assert totals[text.split("（")[0]] > 0, f"total line {record} not drawn"
                    totals[text.split("（")[0]] -= 1


GENERATED = settings(max_examples=25, deadline=None, derandomize=True,
                     suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


@pytest.mark.parametrize("strategy", [subject_tables(), grid_tables(), block_tables()], ids=["subject", "grid", "blocks"])
def test_every_generated_layout_keeps_every_printed_cell(tmp_path_factory, strategy):
    @GENERATED
    @given(case=strategy)
    def run(case):
        profile, csv_text, types = case
        tmp = tmp_path_factory.mktemp("layout")
        build(_site(tmp, profile, csv_text), tmp / "out", search=False, jobs=1, allow_errors=True)
        assert_every_cell_everywhere(tmp / "out", csv_text, types)
    run()
