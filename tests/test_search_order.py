"""The search index is the same bytes wherever and however the site is built (issue 25).

Pagefind numbers the pages in the order the file system lists them, which differs between
folders, disks (ext4, tmpfs) and builds with another -j; ``search_bundle.canonical_page_order``
numbers them in the order of their URLs again. Proved two ways: real builds into folders on
two file systems with different -j give the same output, byte for byte; and, since the order a
file system happens to give cannot be chosen, the same bundle put in random other orders (as
another walk of the files would) comes out in the same bytes after canonical_page_order, and
means what Pagefind's meant (every word's pages and positions, every filter's pages, by URL).
"""

from __future__ import annotations

import gzip
import json
import os
import random
import shutil
import tempfile
from pathlib import Path

import pytest

from conftest import EXAMPLE
from synthetic import generate  # tests/synthetic.py: made-up data
from site_builder import faults
from site_builder.build import build
from site_builder.search import index_site
from site_builder.search_bundle import (SIGNATURE, canonical_page_order, cbor_decode, cbor_encode, read_metadata,
                                        write_metadata)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _decoded(path: Path):
    data = gzip.decompress(path.read_bytes())
    assert data.startswith(SIGNATURE)
    return cbor_decode(data[len(SIGNATURE):])


def _by_url(pages: list, urls: list[str]) -> dict[str, tuple]:
    """A word's (or variant's) pages, delta-encoded page numbers, as URL -> (positions, meta positions)."""
    found, number = {}, 0
    for delta, positions, meta_positions in pages:
        number += delta
        found[urls[number]] = (positions, meta_positions)
    return found


def meaning(bundle: Path) -> dict:
    """What a bundle says, with every page named by its URL instead of its number: each page's
    word count, each word's pages with their positions (and its variants'), the index chunks'
    word ranges, each filter value's pages, the metadata fields."""
    entry = json.loads((bundle / "pagefind-entry.json").read_text(encoding="utf-8"))
    said = {}
    for language, index in entry["languages"].items():
        meta = read_metadata((bundle / f"pagefind.{index['hash']}.pf_meta").read_bytes())
        urls = [json.loads(gzip.decompress((bundle / "fragment" / f"{page[0]}.pf_fragment").read_bytes())
                           [len(SIGNATURE):])["url"] for page in meta[1]]
        words = {}
        for first, last, name in meta[2]:
            for word, pages, variants in _decoded(bundle / "index" / f"{name}.pf_index")[0]:
                words[word] = (first, last, _by_url(pages, urls),
                               {form: _by_url(variant_pages, urls) for form, variant_pages in variants})
        filters = {}
        for name, file in meta[3]:
            kind, values = _decoded(bundle / "filter" / f"{file}.pf_filter")
            assert kind == name
            filters[name] = [(value, sorted(urls[page] for page in pages)) for value, pages in values]
        said[language] = {"pages": {url: page[1] for url, page in zip(urls, meta[1], strict=True)},
                          "words": words, "filters": filters, "fields": meta[5], "page_count": index["page_count"]}
    return said


def shuffled(seed: int):
    """An order of the pages as another walk of the files might give."""
    rng = random.Random(seed)
    return lambda urls: rng.sample(range(len(urls)), len(urls))


def assert_any_order_gives_the_same_bytes(raw: Path, work: Path, seeds=(1, 2, 3)) -> Path:
    """``raw`` (a bundle as Pagefind wrote it) put in other orders, each then put in the canonical
    one: all the same bytes, all meaning what Pagefind's meant. Returns the canonical copy."""
    expected = meaning(raw)
    canonical = work / "canonical"
    shutil.copytree(raw, canonical)
    assert canonical_page_order(canonical) is True
    assert meaning(canonical) == expected
    urls = list(meaning(canonical).values())[0]["pages"]
    assert list(urls) == sorted(urls)                                  # pages in the order of their URLs
    for seed in seeds:
        other = work / f"order-{seed}"
        shutil.copytree(raw, other)
        assert canonical_page_order(other, shuffled(seed)) is True     # as another file system would list them
        assert meaning(other) == expected
        assert snapshot(other) != snapshot(canonical)                  # (the test would prove nothing)
        assert canonical_page_order(other) is True
        assert snapshot(other) == snapshot(canonical), seed
    return canonical


def raw_index(site: Path, bundle: Path) -> Path:
    index_site(site, bundle=bundle, compact=False)     # as Pagefind writes it
    return bundle


def test_the_example_in_any_order_gives_the_same_bytes(example_out, tmp_path):
    raw = raw_index(example_out, tmp_path / "raw")
    canonical = assert_any_order_gives_the_same_bytes(raw, tmp_path)
    # every chunk and filter rewritten and named after its new content (no file of Pagefind's order left)
    assert not set(snapshot(raw)) & {name for name in snapshot(canonical) if name.startswith(("index/", "filter/"))}


def test_many_index_chunks_in_any_order_give_the_same_bytes(tmp_path):
    """60 synthetic documents: dozens of index chunks, words on many pages, numbers past 24 (two
    bytes in CBOR), filters with many pages."""
    generate(tmp_path / "content", documents=60, seed=3)
    build(tmp_path / "content", tmp_path / "out", search=False)
    raw = raw_index(tmp_path / "out", tmp_path / "raw")
    assert len(list(raw.glob("index/*.pf_index"))) > 20
    assert_any_order_gives_the_same_bytes(raw, tmp_path, seeds=(4, 5))


def tiny_site(root: Path, pages: int = 12) -> Path:
    """Pages with words written with and without diacritics (café, cafe: Pagefind indexes “cafe”
    with the variants “café”, “cafè” on the pages that have them) and a filter."""
    words = ["café", "cafe", "cafè", "résumé", "resume", "resumé", "naïve", "façade", "über", "uber", "公务用车"]
    for number in range(pages):
        folder = root / f"p{number:02d}"
        folder.mkdir(parents=True)
        text = " ".join(words[(number * 3 + k) % len(words)] for k in range(6))
        (folder / "index.html").write_text(
            f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{number}</title>'
            f'<meta data-pagefind-filter="kind[content]" content="k{number % 3}"></head><body>'
            f'<main data-pagefind-body><h1>{words[number % len(words)]} {number}</h1><p>{text}</p></main>'
            "</body></html>", encoding="utf-8")
    return root


def variants_by_form(bundle: Path) -> None:
    """Each word's variants are listed by their form, as Pagefind 1.6.0 lists them (not as it
    meets them: then their order would depend on the walk)."""
    entry = json.loads((bundle / "pagefind-entry.json").read_text(encoding="utf-8"))
    meta = read_metadata((bundle / f"pagefind.{entry['languages']['en']['hash']}.pf_meta").read_bytes())
    listed = 0
    for _, _, name in meta[2]:
        for word, _, variants in _decoded(bundle / "index" / f"{name}.pf_index")[0]:
            forms = [form for form, _ in variants]
            assert forms == sorted(forms), word
            listed += len(variants) > 1
    assert listed >= 2          # (the test would prove nothing)


def test_words_with_variants_in_any_order_give_the_same_bytes(tmp_path):
    raw = raw_index(tiny_site(tmp_path / "site"), tmp_path / "raw")
    variants = {word: forms for word, (_, _, _, forms) in list(meaning(raw).values())[0]["words"].items() if forms}
    assert len(variants["cafe"]) == 2 and len(variants["resum"]) == 2, variants     # the test would prove nothing
    variants_by_form(raw)
    variants_by_form(assert_any_order_gives_the_same_bytes(raw, tmp_path, seeds=(6, 7, 8, 9)))


@pytest.mark.skipif(not Path("/dev/shm").is_dir() or not os.access("/dev/shm", os.W_OK), reason="no tmpfs")
def test_two_walks_of_pages_with_variants_give_the_same_bytes(tmp_path):
    """The same pages written in one order and in the reverse one on tmpfs, which lists a folder's
    entries in the order they were made: Pagefind walks them in other orders (fails without the
    renumbering) and meets the variants of a word in another order."""
    bundles = []
    with tempfile.TemporaryDirectory(dir="/dev/shm") as shm:
        for name, order in (("forward", sorted), ("reverse", lambda names: sorted(names, reverse=True))):
            made = tiny_site(tmp_path / "pages")
            site = Path(shm) / name
            site.mkdir()
            for folder in order(p.name for p in made.iterdir()):
                shutil.copytree(made / folder, site / folder)
            shutil.rmtree(made)
            index_site(site, bundle=tmp_path / f"bundle-{name}")
            bundles.append(tmp_path / f"bundle-{name}")
    variants_by_form(bundles[0])
    assert snapshot(bundles[0]) == snapshot(bundles[1])


def _name_fragments(bundle: Path, names: dict[int, str]) -> None:
    """Give pages (by their number) other fragment names, on disk and in the metadata."""
    entry = json.loads((bundle / "pagefind-entry.json").read_text(encoding="utf-8"))
    meta_path = bundle / f"pagefind.{entry['languages']['zh-cn']['hash']}.pf_meta"
    meta = read_metadata(meta_path.read_bytes())
    for number, name in names.items():
        (bundle / "fragment" / f"{meta[1][number][0]}.pf_fragment").rename(bundle / "fragment" / f"{name}.pf_fragment")
        meta[1][number][0] = name
    meta_path.write_bytes(write_metadata(meta))


def test_fragment_names_pagefind_gave_after_a_collision_do_not_reach_the_output(example_out, tmp_path):
    """Two pages whose content hashes share their first 7 hex digits: Pagefind gives the one it
    meets first those 7, the other an 8th, so which page has which name depends on the walk."""
    raw = raw_index(example_out, tmp_path / "raw")
    walks = []
    for first, second in ((0, 1), (1, 0)):
        walk = tmp_path / f"walk-{first}"
        shutil.copytree(raw, walk)
        _name_fragments(walk, {first: "zh-cn_1234567", second: f"zh-cn_1234567{first}"})
        assert canonical_page_order(walk) is True
        walks.append(snapshot(walk))
    assert walks[0] == walks[1]


def _spoil(bundle: Path, how: str) -> None:
    entry = json.loads((bundle / "pagefind-entry.json").read_text(encoding="utf-8"))
    meta_path = bundle / f"pagefind.{entry['languages']['zh-cn']['hash']}.pf_meta"
    meta = read_metadata(meta_path.read_bytes())
    chunk = next(bundle.glob("index/*.pf_index"))
    if how == "sort key":             # data-pagefind-sort: its page lists would keep the ties' order
        meta[4] = [["year", list(range(len(meta[1])))]]
        meta_path.write_bytes(write_metadata(meta))
    elif how == "chunk not listed":
        shutil.copy(chunk, chunk.with_name("zh-cn_0000000.pf_index"))
    elif how == "chunk missing":
        chunk.unlink()
    elif how == "fragment missing":
        next(bundle.glob("fragment/*.pf_fragment")).unlink()
    elif how == "page number past the last page":
        words = _decoded(chunk)
        words[0][0][1][0][0] = len(meta[1])
        chunk.write_bytes(gzip.compress(SIGNATURE + cbor_encode(words)))
    elif how == "longer CBOR head":   # the same values, but not the bytes they would re-encode to
        data = gzip.decompress(chunk.read_bytes())
        assert data[len(SIGNATURE)] == 0x81
        chunk.write_bytes(gzip.compress(SIGNATURE + b"\x98\x01" + data[len(SIGNATURE) + 1:]))
    elif how == "another version":
        path = bundle / "pagefind-entry.json"
        path.write_text(path.read_text(encoding="utf-8").replace('"1.6.0"', '"1.7.0"'), encoding="utf-8")


@pytest.mark.parametrize("how", ["sort key", "chunk not listed", "chunk missing", "fragment missing",
                                 "page number past the last page", "longer CBOR head", "another version"])
def test_a_bundle_not_as_pagefind_writes_it_keeps_its_order(example_out, tmp_path, how):
    """Left as Pagefind wrote it (search works; only its order is the file system's)."""
    bundle = raw_index(example_out, tmp_path / "raw")
    _spoil(bundle, how)
    before = snapshot(bundle)
    assert canonical_page_order(bundle) is False
    assert snapshot(bundle) == before


def test_a_refused_write_leaves_the_bundle_as_it_was(example_out, tmp_path):
    """The disk full at the third new file: the error is raised and the bundle is as Pagefind
    wrote it, without temporary files."""
    bundle = raw_index(example_out, tmp_path / "raw")
    before = snapshot(bundle)
    faults.arm("search.order:3=ENOSPC")
    try:
        with pytest.raises(OSError) as refused:
            canonical_page_order(bundle)
    finally:
        faults.arm(None)
    assert refused.value.errno == 28
    assert snapshot(bundle) == before


@pytest.mark.parametrize("shard_size", [2500, 2])
def test_builds_in_other_folders_disks_and_jobs_give_the_same_bytes(tmp_path, shard_size):
    """The example built into a folder on this disk with one worker, and into one on tmpfs
    (/dev/shm, where the machine has it: it lists a folder in the order its entries were made)
    with two: the same search index and the same site, byte for byte; in one bundle, and in
    two shards (Pagefind run over two departments, then over the third)."""
    shm = Path("/dev/shm")
    other_disk = Path(tempfile.mkdtemp(dir=shm)) if shm.is_dir() and os.access(shm, os.W_OK) else tmp_path / "other"
    try:
        build(EXAMPLE, tmp_path / "a" / "output", jobs=1, search_shard_size=shard_size)
        build(EXAMPLE, other_disk / "output", jobs=2, search_shard_size=shard_size)
        first, second = tmp_path / "a" / "output", other_disk / "output"
        assert snapshot(first / "pagefind") == snapshot(second / "pagefind")
        assert snapshot(first) == snapshot(second)
    finally:
        if other_disk != tmp_path / "other":
            shutil.rmtree(other_disk, ignore_errors=True)
