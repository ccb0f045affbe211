"""data.json and catalog.json hold exactly what the pages show."""

from __future__ import annotations

import json

import lxml.html

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
    top = page.cssselect("dl.facts a")[0]
    assert top.get("href") == "data.json" and file_size((folder / "data.json").stat().st_size) in top.text_content()
