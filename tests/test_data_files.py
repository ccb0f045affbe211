"""data.json and catalog.json hold exactly what the pages show."""

from __future__ import annotations

import json

import lxml.html
import pytest

from conftest import FENYANG


def html_amounts(page, table_id: str, layout: str) -> list[tuple[str, str]]:
    """(row identity, text) of every amount cell, in document order."""
    table = page.cssselect(f'table[data-table="{table_id}"]')[0]
    found = []
    for index, row in enumerate(table.cssselect("tbody tr")):
        for td in row.cssselect("td[data-key]"):
            identity = td.get("data-code") if layout == "blocks" else str(index)
            found.append((f"{identity}/{td.get('data-key')}", td.text_content()))
    return found


def test_every_data_json_amount_equals_its_html_cell(example_out):
    catalog = json.loads((example_out / "catalog.json").read_text(encoding="utf-8"))
    checked = 0
    for entry in catalog["documents"]:
        data = json.loads((example_out / entry["data"]).read_text(encoding="utf-8"))
        page = lxml.html.parse(str(example_out / entry["url"] / "index.html")).getroot()
        for table in data["tables"]:
            amount_keys = [c["key"] for c in table["columns"] if c["type"] in ("amount", "rate", "growth")]
            expected = []
            for index, row in enumerate(table["rows"]):
                if table["layout"] == "blocks":
                    if not row["code"]:
                        continue  # group totals: compared below
                    identity = row["code"]
                else:
                    identity = str(index)
                    if row.get("section"):
                        continue
                expected += [(f"{identity}/{key}", row["cells"][key]) for key in amount_keys]
            shown = html_amounts(page, table["id"], table["layout"])
            if table["layout"] == "blocks":
                # printed side by side in blocks: compare by code, then the group totals in order
                totals = [text for identity, text in shown if identity.startswith("None/")]
                shown = sorted(item for item in shown if not item[0].startswith("None/"))
                expected = sorted(expected)
                assert totals == [r["cells"]["amount"] for r in table["rows"] if not r["code"]]
            assert shown == expected, table["number"]
            checked += len(expected)
    assert checked > 400  # the fenyang document alone has more than 400 amount cells


def test_data_json_shape(example_out):
    data = json.loads((example_out / FENYANG / "data.json").read_text(encoding="utf-8"))
    assert [t["number"] for t in data["tables"]] == [f"公开{n:02d}表" for n in range(1, 11)]
    t03 = data["tables"][2]
    assert t03["unit"] == "万元"
    assert t03["rows"][0] == {"code": "", "name": "合计", "cells": {
        "total": "2262.43", "basic": "612.10", "project": "1650.32",
        "to_superior": "", "operating": "", "to_affiliates": ""}}
    row = next(r for r in t03["rows"] if r["code"] == "2101506")
    assert row["level"] == 3 and row["cells"]["project"] == "69.62"
    assert data["tables"][6]["empty"] is True


def test_data_json_holds_every_form_as_its_file_gives_it(example_out):
    """附件 in data.json (docs/data-json.md): each form's anchor and position, then its fields as
    its YAML file holds them, but the extraction notes; what the next build's 更正记录 compares."""
    import yaml

    from conftest import EXAMPLE

    for rel, count in [(FENYANG, 8), ("lvliang-ybj/2023/budget", 15), ("gaoyi-ybj/2021/performance", 0)]:
        forms = json.loads((example_out / rel / "data.json").read_text(encoding="utf-8"))["forms"]
        files = sorted((EXAMPLE / "departments" / rel / "attachments").glob("*.yaml"))
        assert len(forms) == len(files) == count
        page = lxml.html.parse(str(example_out / rel / "index.html")).getroot()
        for position, (form, path) in enumerate(zip(forms, files, strict=True), start=1):
            expected = yaml.safe_load(path.read_text(encoding="utf-8"))
            expected.pop("source_notes", None)
            assert form == {"anchor": path.stem, "position": position, **expected}
            assert list(form)[2:] == list(expected)                   # in the file's order
            assert page.cssselect(f"#form-{form['anchor']}")


def test_catalog_is_small_and_complete(example_out):
    catalog = json.loads((example_out / "catalog.json").read_text(encoding="utf-8"))
    entry = next(d for d in catalog["documents"] if d["slug"] == "fenyang-ybj")
    assert entry["year"] == 2024 and entry["kind"] == "final-accounts"
    assert entry["url"] == "fenyang-ybj/2024/final-accounts/"
    assert entry["data"] == "fenyang-ybj/2024/final-accounts/data.json"
    assert (example_out / entry["data"]).is_file()
    assert len(json.dumps(entry, ensure_ascii=False).encode()) < 1000  # a 10,000-document portal stays small


def test_every_table_downloads_as_csv_and_json_with_the_page_values(example_out):
    import csv
    import io
    import json
    import re

    import lxml.html

    from site_builder.downloads import file_size

    folder = example_out / "fenyang-ybj/2024/final-accounts"
    page = lxml.html.parse(str(folder / "index.html")).getroot()
    data = json.loads((folder / "data.json").read_text(encoding="utf-8"))
    assert len(data["tables"]) == 10
    for entry in data["tables"]:
        raw = (folder / f"tables/{entry['id']}.csv").read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf")                           # Excel reads the BOM as UTF-8
        rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
        header, body = rows[0], rows[1:]
        assert header == ["/".join([*c["path"], c["label"]]) + ("（万元）" if c["type"] == "amount" else "")
                          for c in entry["columns"]]
        assert len(body) == len(entry["rows"])
        # every amount column holds what the page's table shows in that column (公开06 prints its
        # four blocks side by side, so the order differs there: compared as collections)
        html = page.cssselect(f'table[data-table="{entry["id"]}"]')[0]
        for index, column in enumerate(entry["columns"]):
            if column["type"] != "amount":
                continue
            shown = [td.text_content() for td in html.cssselect(f'td[data-key="{column["key"]}"]')]
            assert sorted(row[index] for row in body if row[index]) == sorted(t for t in shown if t), \
                (entry["id"], column["key"])
        table_json = json.loads((folder / f"tables/{entry['id']}.json").read_text(encoding="utf-8"))
        assert table_json["table"] == entry and table_json["slug"] == "fenyang-ybj" and table_json["year"] == 2024
        # the links beside the table give each file's size
        links = {a.get("href"): a.text_content() for a in html.getparent().getparent().cssselect(".downloads a")}
        for fmt in ("csv", "json"):
            path = f"tables/{entry['id']}.{fmt}"
            size = (folder / path).stat().st_size
            assert re.search(rf"（{re.escape(file_size(size))}）$", links[path]), (path, links[path])
    assert "2262.43" in (folder / "tables/01.csv").read_text(encoding="utf-8-sig")
    top = {a.get("href"): a.text_content() for a in page.cssselect("dl.facts a")}
    assert file_size((folder / "data.json").stat().st_size) in top["data.json"]
    assert file_size((folder / "tables.xlsx").stat().st_size) in top["tables.xlsx"]


# -- the workbook (XLSX) -------------------------------------------------------------------------

def html_grid(table) -> tuple[dict[tuple[int, int], str], set[tuple[int, int, int, int]]]:
    """A page table as a browser lays it out: the text of each cell at (row, column) where it
    starts, and the (first row, first column, last row, last column) of every merged cell."""
    cells, merged, covered = {}, set(), set()
    for r, tr in enumerate(table.cssselect("thead tr, tbody tr")):
        c = 0
        for cell in tr:
            while (r, c) in covered:
                c += 1
            for hidden in cell.cssselect(".vh"):       # 类/款/项 for screen readers only
                hidden.drop_tree()
            rows, cols = int(cell.get("rowspan", 1)), int(cell.get("colspan", 1))
            cells[(r, c)] = cell.text_content()
            if rows > 1 or cols > 1:
                merged.add((r, c, r + rows - 1, c + cols - 1))
            covered |= {(r + i, c + j) for i in range(rows) for j in range(cols)}
            c += cols
    return cells, merged


def shown_as_published(cell) -> str:
    """An XLSX cell's value as Excel displays it with the cell's number format."""
    value = cell.value
    if value is None:
        return ""
    if isinstance(value, (int, float)):
        decimals = len(cell.number_format.split(".")[1]) if "." in cell.number_format else 0
        return f"{value:,.{decimals}f}" if "#,##" in cell.number_format else f"{value:.{decimals}f}"
    return str(value)


def test_every_table_is_a_sheet_of_the_workbook_laid_out_as_the_page_shows_it(example_out):
    import openpyxl

    checked = 0
    for doc in ["fenyang-ybj/2024/final-accounts", "lvliang-ybj/2023/budget", "gaoyi-ybj/2021/performance"]:
        folder = example_out / doc
        page = lxml.html.parse(str(folder / "index.html")).getroot()
        data = json.loads((folder / "data.json").read_text(encoding="utf-8"))
        book = openpyxl.load_workbook(folder / "tables.xlsx")
        assert book.sheetnames == [t["number"] for t in data["tables"]]
        for entry in data["tables"]:
            sheet = book[entry["number"]]
            html = page.cssselect(f'table[data-table="{entry["id"]}"]')[0]
            cells, merged = html_grid(html)
            width = max(c for _, c in cells) + 1
            assert sheet.cell(2, 1).value == entry["title"]                 # the title, merged across the table
            meta = [v for v in next(sheet.iter_rows(min_row=3, max_row=3, values_only=True)) if v]
            assert f"{data['year']}年度" in " ".join(meta) and f"单位：{entry['unit']}" in " ".join(meta)
            assert any(f"：{data['department']}" in v for v in meta) or entry["layout"] == "grid"
            # the header rows, 栏次 and body: each cell where the page starts it, merged as the page merges
            assert {(r + 4, c + 1, r2 + 4, c2 + 1) for r, c, r2, c2 in merged} == \
                {(m.min_row, m.min_col, m.max_row, m.max_col) for m in sheet.merged_cells.ranges if m.min_row > 3}
            for (r, c), text in cells.items():
                assert shown_as_published(sheet.cell(r + 4, c + 1)) == text, (doc, entry["number"], r, c)
            assert sheet.max_row == 3 + max(r for r, _ in cells) + 1 and sheet.max_column == width
            checked += len(cells)
    assert checked > 2000


def test_workbook_amounts_are_numbers_and_read_back_with_calamine(example_out):
    from decimal import Decimal

    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(example_out / FENYANG / "tables.xlsx"))
    rows = book.get_sheet_by_name("公开05表").to_python()
    total = next(r for r in rows if r[1] == "合计" or r[0] == "合计")
    assert [Decimal(str(v)).quantize(Decimal("0.01")) for v in total[2:5]] == \
        [Decimal("2262.43"), Decimal("612.10"), Decimal("1650.32")]
    assert all(isinstance(v, float) for v in total[2:5])               # Excel can sum them


def test_workbook_is_the_same_bytes_from_one_build_to_the_next(tmp_path):
    import time

    from conftest import EXAMPLE
    from site_builder.build import build

    build(EXAMPLE, tmp_path / "a", search=False)
    time.sleep(1.1)                                                   # a clock in the file would show
    build(EXAMPLE, tmp_path / "b", search=False)
    for path in sorted((tmp_path / "a").rglob("*.xlsx")):
        assert path.read_bytes() == (tmp_path / "b" / path.relative_to(tmp_path / "a")).read_bytes(), path


# -- the data package --------------------------------------------------------------------------

def test_the_portal_is_a_valid_data_package_of_every_table(example_out):
    from frictionless import validate

    package = json.loads((example_out / "datapackage.json").read_text(encoding="utf-8"))
    tables = sum(len(lxml.html.parse(str(p)).getroot().cssselect("table.disclosure"))
                 for p in example_out.glob("*/*/*/index.html"))
    assert len(package["resources"]) == tables == 26
    for resource in package["resources"]:
        assert (example_out / resource["path"]).is_file() and (example_out / resource["schema"]).is_file()
    t05 = next(r for r in package["resources"] if r["path"] == f"{FENYANG}/tables/05.csv")
    schema = json.loads((example_out / t05["schema"]).read_text(encoding="utf-8"))
    assert [(f["name"], f["type"]) for f in schema["fields"]] == [
        ("项目/科目代码", "string"), ("项目/科目名称", "string"), ("本年支出/小计（万元）", "number"),
        ("本年支出/基本支出（万元）", "number"), ("本年支出/项目支出（万元）", "number")]
    report = validate(example_out / "datapackage.json")
    assert report.valid, report.flatten(["rowNumber", "fieldNumber", "type", "note"])[:5]
    assert len(report.tasks) == 26


def test_the_data_package_is_the_json_of_its_own_content_with_awkward_names(content_copy, tmp_path):
    """datapackage.json is written a resource at a time, by format string (build.py's speed);
    it must be byte for byte what json.dumps makes of the same content, quotes and backslashes too."""
    from site_builder.build import build
    from site_builder.jsonfmt import json_text

    yaml_path = content_copy / "departments/fenyang-ybj/department.yaml"
    name = '汾阳市"医疗保障"局\\分局'
    yaml_path.write_text(yaml_path.read_text(encoding="utf-8").replace(
        "name: 汾阳市医疗保障局", "name: '" + name + "'"), encoding="utf-8")
    build(content_copy, tmp_path / "out", search=False, allow_errors=True)   # (the prose names it otherwise)
    data = (tmp_path / "out/datapackage.json").read_bytes()
    package = json.loads(data)
    assert data == json_text(package).encode("utf-8")
    titles = [r["title"] for r in package["resources"] if r["path"].startswith("fenyang-ybj/")]
    assert len(titles) == 10 and all(title.startswith(name + " 2024年度部门决算") for title in titles)


def test_the_data_package_check_catches_a_cell_that_is_no_amount(example_out, tmp_path):
    import shutil

    from frictionless import validate

    copy = tmp_path / "site"
    shutil.copytree(example_out, copy)
    csv_path = copy / FENYANG / "tables/05.csv"
    csv_path.write_text(csv_path.read_text(encoding="utf-8-sig").replace("2262.43", "2262.43万", 1), encoding="utf-8-sig")
    report = validate(copy / "datapackage.json")
    assert not report.valid
    errors = report.flatten(["rowNumber", "fieldName", "type"])
    assert errors == [[2, "本年支出/小计（万元）", "type-error"]]


def test_site_yaml_chooses_the_download_formats(content_copy, tmp_path):
    from site_builder.build import build
    from site_builder.errors import ContentError

    site_yaml = content_copy / "site.yaml"
    text = site_yaml.read_text(encoding="utf-8")
    site_yaml.write_text(text + "\ndownloads: [json]\n", encoding="utf-8")
    out = tmp_path / "out"
    result = build(content_copy, out, search=False)
    folder = out / FENYANG
    assert not (folder / "tables.xlsx").exists() and not list(folder.glob("tables/*.csv"))
    assert len(list(folder.glob("tables/*.json"))) == 10 and not (out / "datapackage.json").exists()
    assert result.files == sum(1 for p in out.rglob("*") if p.is_file()) - 1     # all but the top manifest
    page = lxml.html.parse(str(folder / "index.html")).getroot()
    assert [a.get("href") for a in page.cssselect("#table-05 .downloads a")] == ["tables/05.json"]
    assert "每张表的 JSON 在该表下方" in page.cssselect("dl.facts")[0].text_content()
    home = lxml.html.parse(str(out / "index.html")).getroot()
    assert "datapackage.json" not in lxml.html.tostring(home, encoding="unicode")
    site_yaml.write_text(text + "\ndownloads: []\n", encoding="utf-8")
    build(content_copy, out, search=False)
    assert not list(folder.glob("tables/*")) and not page.cssselect("#part-1 .downloads")
    assert not lxml.html.parse(str(folder / "index.html")).getroot().cssselect(".downloads")
    site_yaml.write_text(text + "\ndownloads: [pdf]\n", encoding="utf-8")
    with pytest.raises(ContentError, match="未知的下载格式“pdf”"):
        build(content_copy, out, search=False)
