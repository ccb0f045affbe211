"""Random bytes into the loaders: they either load or raise the project's own error, nothing else."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from site_builder.errors import SiteBuilderError
from site_builder.profiles import load_profiles
from site_builder.sources import load_mapping
from site_builder.tables import read_table

SPECS = [spec.for_year(2024) for profile in load_profiles().values() for spec in profile.tables]
CSV_TEXT = st.lists(st.lists(st.sampled_from(["", "合计", "208", "2101506", "12.5", "1,234.56", "——", "６９．６２",
                                              "x", "\"", ",", "\n", "<b>", "科目代码", "科目名称", "本年支出合计"]),
                             max_size=10), max_size=8)
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _load(loader, data: bytes, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"input{suffix}"
        path.write_bytes(data)
        try:
            loader(path)
        except SiteBuilderError:
            pass


@SETTINGS
@given(data=st.binary(max_size=400), index=st.integers(min_value=0, max_value=len(SPECS) - 1))
def test_random_bytes_as_a_table(data, index):
    _load(lambda p: read_table(p, SPECS[index]), data, ".csv")


@SETTINGS
@given(rows=CSV_TEXT, index=st.integers(min_value=0, max_value=len(SPECS) - 1))
def test_random_csv_shaped_text_as_a_table(rows, index):
    text = "\n".join(",".join(row) for row in rows)
    _load(lambda p: read_table(p, SPECS[index]), text.encode("utf-8"), ".csv")


@SETTINGS
@given(data=st.one_of(st.binary(max_size=300), st.text(max_size=200).map(lambda t: t.encode("utf-8"))))
def test_random_bytes_as_yaml(data):
    _load(load_mapping, data, ".yaml")
