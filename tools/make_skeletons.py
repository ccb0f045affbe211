"""Regenerate site_builder/skeletons/<profile>/<id>.csv: the printed rows of the tables whose rows
are the same in every department's disclosure (收支总表, 相关信息统计表, 经济科目 lists), taken
from the example documents in content/ with every amount blanked. ``site-builder add`` starts
those tables with these rows, so the clerk types amounts only.

    python tools/make_skeletons.py
"""

from __future__ import annotations

from pathlib import Path

from site_builder.content import load_portal
from site_builder.tables import content_csv
from site_builder.numbers import Cell

ROOT = Path(__file__).resolve().parent.parent
STANDARD_ROWS = {
    "final-accounts-10": ["01", "04", "10"],
    "budget-13": ["01", "04", "06", "10"],
    "performance-overall": ["01"],
}


def main() -> None:
    portal = load_portal(ROOT / "content")
    for doc in portal.documents:
        for table_id in STANDARD_ROWS.get(doc.profile.name, []):
            table = doc.table(table_id)
            spec = doc.profile.table(table_id)   # labels with {year}, as the profile writes them
            rows = [{key: ("" if isinstance(value, Cell) else value) for key, value in row.cells.items()}
                    for row in table.rows if not row.computed]
            folder = ROOT / "site_builder" / "skeletons" / doc.profile.name
            folder.mkdir(exist_ok=True)
            (folder / f"{table_id}.csv").write_text(content_csv(spec, rows), encoding="utf-8")
            print(f"{folder.relative_to(ROOT)}/{table_id}.csv: {len(rows)} rows")


if __name__ == "__main__":
    main()
