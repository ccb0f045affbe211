"""The search stage's second half: Pagefind's bundle made reproducible, and smaller for a
reader's queries.

After each Pagefind run (``search.index_site`` with ``compact``), four rewrites of what
Pagefind 1.6.0 wrote. The fragments (one per page, fetched for its excerpt) keep only the
anchors pagefind.js makes sub-results of, the headings a result opens at (``drop_anchors``); the pages are numbered in the order of
their URLs, not in the order the file system listed their files, so that the same pages give
the same bytes wherever they are built (``canonical_page_order``); the fragments get short
sequential names, which compress where Pagefind's random ones do not (``shorten_fragment_names``);
the metadata every first query fetches is recompressed at gzip level 9 (``recompress_metadata``).
The size of each was measured on the first query of a 5,000-document portal (docs/search.md).
Each works on the format of the Pagefind version it knows (KNOWN_VERSION) and leaves a bundle
it does not recognise as Pagefind wrote it, so search works either way.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import zlib
from collections.abc import Callable
from itertools import accumulate
from operator import sub
from pathlib import Path
from typing import Any

from . import faults
from .errors import SiteBuilderError
from .jsonfmt import compact_json

KNOWN_VERSION = "1.6.0"   # the bundle format these rewrites know (search.PAGEFIND_VERSION is pinned to it)


class BundleError(SiteBuilderError):
    """A Pagefind file that is not what the pinned version writes."""


SIGNATURE = b"pagefind_dcd"   # what Pagefind puts first in a fragment (JSON) and the metadata (CBOR), inside the gzip


def drop_anchors(bundle: Path) -> None:
    """Keep, in every fragment (the per-page file a result's excerpt comes from), only the anchors
    pagefind.js makes sub-results of: headings (``h1``–``h6``) with an ``id`` and some text.

    Pagefind records every element with an ``id`` inside ``data-pagefind-body`` as an anchor, with
    its text. pagefind.js turns the headings among them into sub-results (``page#id``: the part of
    the page from that heading to the next), which the search page links a result to, so that it
    opens at the section where the query's words are; it ignores the others (the ``<section>``
    elements around the headings, table captions, the glossary's entries), which were most of the
    anchors' bytes. Only ``anchors`` changes: the content, word count, filters and metadata are
    kept as Pagefind wrote them. The file keeps its name (a hash of what Pagefind wrote), so a
    cached copy stays consistent. (Named when it dropped every anchor: docs/search.md.)"""
    from concurrent.futures import ThreadPoolExecutor   # (here: with logging, a cost of every command's start; docs/performance.md#start-cost)

    fragments = list(bundle.glob("fragment/*.pf_fragment"))
    # zlib lets go of the GIL while it compresses: one thread per CPU
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        for _ in pool.map(_drop_fragment_anchors, fragments, chunksize=16):
            pass


_HEADING = re.compile(r"h[1-6]", re.IGNORECASE)


def sub_result_anchor(anchor: dict) -> bool:
    """Is this one of the anchors pagefind.js 1.6.0 makes a sub-result of (``calculate_sub_results``:
    a heading with text, or an anchor with a title)? Only those are kept."""
    def has_text(key: str) -> bool:
        return bool(str(anchor.get(key) or "").strip())
    return has_text("title") or (bool(_HEADING.fullmatch(str(anchor.get("element", "")))) and has_text("text"))


def _drop_fragment_anchors(fragment: Path) -> None:
    data = gzip.decompress(fragment.read_bytes())
    if not data.startswith(SIGNATURE):
        raise BundleError(None, f"无法识别的搜索索引文件：{fragment.name}",
                          f"检查 Pagefind 的版本（应为 {KNOWN_VERSION}）")
    record = json.loads(data[len(SIGNATURE):])
    anchors = record.get("anchors") or []
    kept = [anchor for anchor in anchors if sub_result_anchor(anchor)]
    if len(kept) == len(anchors):
        return
    record["anchors"] = kept
    body = SIGNATURE + compact_json(record).encode("utf-8")
    # level 9: smaller than zlib's default 6 on these files, for some CPU a page (measured:
    # docs/performance.md#fragment-level)
    fragment.write_bytes(gzip.compress(body, compresslevel=9, mtime=0))


def recompress_metadata(bundle: Path) -> None:
    """Pagefind's metadata (``*.pf_meta``: every page's fragment name and word count, the list of
    index chunks), which every first query fetches, gzipped again at level 9: 4% smaller than
    Pagefind writes it (48.8 → 47.0 KB for 2,500 pages). Same bytes inside, same name (a
    metadata shorten_fragment_names rewrote is already at level 9)."""
    for meta in bundle.glob("*.pf_meta"):
        packed = meta.read_bytes()
        smaller = gzip.compress(gzip.decompress(packed), compresslevel=9, mtime=0)
        if len(smaller) < len(packed):
            meta.write_bytes(smaller)


# ---- short fragment names -------------------------------------------------------------------
#
# pagefind.js finds a bundle's files in two steps: it fetches ``pagefind-entry.json`` (always
# anew: ``?ts=<now>``), whose ``languages[lang].hash`` names the metadata file
# (``pagefind.<hash>.pf_meta``); the metadata (``b"pagefind_dcd"`` + CBOR, gzipped) lists every
# page as [fragment name, word count, fragment group], and a result's excerpt is fetched from
# ``fragment/<name>.pf_fragment`` (the name is also the result's ``id``). Nothing else names a
# fragment: the index chunks and filters refer to pages by their position in that list.
#
# Pagefind names a fragment ``zh-cn_`` + 7 hex digits of a hash of its content: such names are
# a large part of a shard's gzipped metadata, which every first query fetches, because random
# digits do not compress. Sequential names compress to almost nothing, so each page's fragment is
# renamed ``<prefix><counter>`` (measured: docs/performance.md#fragment-names):
# - ``counter``: the page's position in the metadata, in base 36 (2,500 pages: at most 3 digits);
# - ``prefix``: 3 base-36 characters (46,656 values) of a hash of the metadata Pagefind wrote,
#   which holds every page's content hash. Same pages, same names, same bytes (a rebuild with
#   nothing changed publishes the same files); any change to a page of the shard gives, but
#   for a 1-in-46,656 chance, other names, so a browser or proxy that cached an earlier
#   build's ``k3q7.pf_fragment`` is not served it for another page. Each character of prefix
#   costs bytes of every shard (gzip repeats it with every name; docs/performance.md#fragment-names).
#   Its length is fixed, so a name can only repeat another shard's if the prefixes are equal:
#   the shards of one build (merged by the search page, whose results are told apart by id)
#   get distinct prefixes (``taken``). No language part (Pagefind's ``zh-cn_``, which costs
#   bytes too): pagefind.js never reads it, and without ``_`` a short name cannot be one of
#   Pagefind's (another shard left as Pagefind wrote it keeps those).
# The metadata is then written under a new name (a hash of its new content) and
# pagefind-entry.json is pointed at it. When anything is not as Pagefind 1.6.0 writes it
# (signature, CBOR that does not re-encode to the same bytes, version, list shapes, fragment
# groups, files on disk), the bundle is left as Pagefind wrote it: search works either way.

ENTRY_FILE = "pagefind-entry.json"
PREFIX_LENGTH = 3
_BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"


class CborError(ValueError):
    """Not the subset of CBOR that Pagefind's metadata uses, or not in the form it writes it."""


def cbor_decode(data: bytes) -> object:
    """Decode one CBOR item that fills ``data`` (cbor2), of the subset Pagefind's metadata uses:
    unsigned and negative integers, byte and text strings, arrays and maps; anything else (tags,
    floats, true/false/null) raises CborError. So does an item not written as Pagefind writes it,
    each length and integer in its shortest form and no indefinite lengths, or bytes after it:
    the guard is that encoding what was decoded gives ``data`` back, so that a rewrite of the
    metadata changes what it means to change and nothing else."""
    import cbor2   # (here: a cost of every command's start, for the few that index; docs/performance.md#start-cost)

    try:
        value = cbor2.loads(data)
    except (cbor2.CBORDecodeError, RecursionError) as exc:
        raise CborError(str(exc)) from exc
    _refuse_outside_subset(value)
    if cbor_encode(value) != data:
        raise CborError("not the shortest form of its values, or bytes after the CBOR item")
    return value


def _refuse_outside_subset(value: object) -> None:
    pending: list[Any] = [value]
    while pending:
        item = pending.pop()
        kind = type(item)            # (not isinstance: True is an int too)
        if kind is list:
            pending.extend(item)
        elif kind is dict:
            pending.extend(item)     # a key that is an array or a map comes out a tuple or a frozendict
            pending.extend(item.values())
        elif kind is int:
            if not -(1 << 64) <= item < 1 << 64:
                raise CborError("an integer beyond 64 bits (a bignum tag)")
        elif kind is not str and kind is not bytes:
            raise CborError(f"a {kind.__name__} (tag, float or simple value)")


def cbor_encode(value: object) -> bytes:
    """Encode what cbor_decode returns (cbor2), each length and integer in its shortest form."""
    import cbor2

    try:
        return cbor2.dumps(value)
    except cbor2.CBOREncodeError as exc:
        raise CborError(str(exc)) from exc


def read_metadata(packed: bytes) -> list:
    """A ``.pf_meta`` file's content: gzip of the signature and a CBOR array. CborError when it is
    not that, or when it would not re-encode to the very same bytes (``cbor_decode``'s guard: so
    that renaming changes the names and nothing else)."""
    data = gzip.decompress(packed)
    if not data.startswith(SIGNATURE):
        raise CborError("no pagefind_dcd signature")
    meta = cbor_decode(data[len(SIGNATURE):])
    if not isinstance(meta, list):
        raise CborError("the metadata is not an array")
    return meta


def write_metadata(meta: list) -> bytes:
    return gzip.compress(SIGNATURE + cbor_encode(meta), compresslevel=9, mtime=0)


def _base36(number: int) -> str:
    digits = ""
    while True:
        number, digit = divmod(number, 36)
        digits = _BASE36[digit] + digits
        if not number:
            return digits


def _prefix(meta_bytes: bytes, taken: set[str]) -> str:
    """PREFIX_LENGTH base-36 characters of a hash of ``meta_bytes``, not one of ``taken``
    (another shard's, or another language's): the next hash in a chain until it is free."""
    digest = hashlib.sha256(meta_bytes).digest()
    while True:
        prefix = _base36(int.from_bytes(digest[:8], "big") % 36 ** PREFIX_LENGTH).rjust(PREFIX_LENGTH, "0")
        if prefix not in taken:
            return prefix
        digest = hashlib.sha256(digest).digest()


def shorten_fragment_names(bundle: Path, taken: set[str] | None = None) -> bool:
    """Rename the fragments of the Pagefind bundle in ``bundle`` to short sequential names and
    rewrite its metadata (and pagefind-entry.json) to match; see the comment above. ``taken``:
    the prefixes given to the build's other bundles (shards), extended with this one's. Returns
    False, leaving the bundle as it was, when it is not as Pagefind 1.6.0 writes it."""
    taken = set() if taken is None else taken
    try:
        plan = _plan_renames(bundle, taken)
    except (CborError, OSError, ValueError, KeyError, TypeError, EOFError, gzip.BadGzipFile):
        return False
    if plan is None:
        return False
    entry, metas, renames = plan
    try:
        _apply_renames(bundle, entry, metas, renames)
    except OSError:
        return False    # what was renamed has been put back
    taken.update(prefix for _, _, _, prefix in metas)
    return True


def _plan_renames(bundle: Path, taken: set[str]):
    entry = json.loads((bundle / ENTRY_FILE).read_text(encoding="utf-8"))
    if entry.get("version") != KNOWN_VERSION or not isinstance(entry.get("languages"), dict):
        return None
    fragments = {path.name.removesuffix(".pf_fragment") for path in (bundle / "fragment").glob("*.pf_fragment")}
    chosen = set(taken)
    metas = []      # (language, old meta hash, new metadata, prefix)
    renames: dict[str, str] = {}
    for language, index in entry["languages"].items():
        old_hash = index["hash"]
        if not re.fullmatch(r"[\w-]+", language) or not re.fullmatch(r"[\w-]+", old_hash):
            return None
        packed = (bundle / f"pagefind.{old_hash}.pf_meta").read_bytes()
        meta = read_metadata(packed)
        if len(meta) < 2 or meta[0] != KNOWN_VERSION or not isinstance(meta[1], list):
            return None
        prefix = _prefix(gzip.decompress(packed), chosen)
        chosen.add(prefix)
        for number, page in enumerate(meta[1]):
            # [fragment name, word count, fragment group]: a page in a group ("" here) is
            # fetched from its group's file, which this does not rename
            if not (isinstance(page, list) and len(page) == 3 and isinstance(page[0], str)
                    and isinstance(page[1], int) and page[2] == ""):
                return None
            if page[0] in renames or page[0] not in fragments:
                return None
            new = prefix + _base36(number)
            renames[page[0]] = new
            page[0] = new
        metas.append((language, old_hash, meta, prefix))
    # every fragment on disk is a page of the metadata, and no new name is an old one
    if set(renames) != fragments or set(renames.values()) & fragments or len(set(renames.values())) != len(renames):
        return None
    return entry, metas, renames


def _apply_renames(bundle: Path, entry: dict, metas: list, renames: dict[str, str]) -> None:
    """Rename the fragments, write the new metadata, then point the entry at it; an error on the
    way puts back what was done (the entry is replaced last, atomically)."""
    folder = bundle / "fragment"
    done: list[tuple[Path, Path]] = []
    written: list[Path] = []
    try:
        for old, new in renames.items():
            source, target = folder / f"{old}.pf_fragment", folder / f"{new}.pf_fragment"
            os.rename(source, target)
            done.append((source, target))
        for language, _, meta, _ in metas:
            packed = write_metadata(meta)
            new_hash = f"{language}_{hashlib.sha256(packed).hexdigest()[:13]}"
            path = bundle / f"pagefind.{new_hash}.pf_meta"
            path.write_bytes(packed)
            written.append(path)
            entry["languages"][language]["hash"] = new_hash
        temporary = bundle / (ENTRY_FILE + ".tmp")
        temporary.write_text(compact_json(entry), encoding="utf-8")
        os.replace(temporary, bundle / ENTRY_FILE)
    except BaseException:
        for source, target in reversed(done):
            os.rename(target, source)
        for made in written:
            made.unlink(missing_ok=True)
        (bundle / (ENTRY_FILE + ".tmp")).unlink(missing_ok=True)
        raise
    for _, old_hash, _, _ in metas:
        stale = bundle / f"pagefind.{old_hash}.pf_meta"
        if stale not in written:
            stale.unlink()


# ---- pages in a fixed order -----------------------------------------------------------------
#
# Pagefind numbers a bundle's pages in the order it finds their files, which is the order the
# file system lists a folder's entries in: Pagefind 1.6.0 walks the site (wax, walkdir) and does
# not sort. ext4 lists a folder in the order of a hash of the names, seeded per file system;
# tmpfs and btrfs in the order the entries were made, which a build with several worker
# processes does not fix. The page numbers are in every index chunk (each word's pages, as
# differences from the previous page), every filter file (each value's pages) and the page list
# of the metadata, and the chunks and filters are named after a hash of their bytes: the same
# pages built into another folder, on another disk or with another -j gave other files and
# names (issue 25: two builds on tmpfs, different pf_filter files). So do the fragments' names
# when two pages' content hashes share their first 7 hex digits (at 2,500 pages, about one
# shard in 90): the page Pagefind meets first keeps them, the other gets an 8th. Nothing else
# depends on the order: the fragments' content and the word positions are the pages' own;
# Pagefind sorts the words, the filters and their values; the chunks are cut by counts of word
# positions; a word's variants with diacritics are sorted by their form.
#
# ``canonical_page_order`` numbers the pages again, in the order of their URLs (read from their
# fragments: unique, and the same wherever the site is built), names each fragment after a hash
# of its content, rewrites every index chunk and filter file with the new numbers (each word's
# and value's pages in the new order) and names each after a hash of its new content (all in
# Pagefind's form, ``zh-cn_`` and 7 hex digits of SHA-256, more on a collision, which is
# resolved in the new order), and writes the metadata with the pages in the new order and the
# new names. Every chunk and filter is written again, not only those whose
# numbers changed, so that all are compressed alike (zlib level 9: a file Pagefind compressed
# and one zlib did differ in bytes for the same content). Same pages, same bytes, wherever and
# however they were built. A page with no other order to go by (a filter alone, a tie in
# relevance) comes in the order of its URL.

INDEX_LEVEL = 9           # gzip level of the rewritten chunks and filters: as small as Pagefind's (level 6: +1.6%)
NAME_DIGITS = 7           # hex digits of a chunk's or filter's name, as Pagefind's (more only on a collision)
_NAME = re.compile(r"[\w-]+")


def canonical_page_order(bundle: Path, order: Callable[[list[str]], list[int]] | None = None) -> bool:
    """Number the pages of the Pagefind bundle in ``bundle`` in the order of their URLs and
    rewrite its index chunks, filters, metadata and pagefind-entry.json to match; see the comment
    above. Returns False, leaving the bundle as it was, when it is not as Pagefind 1.6.0 writes it
    (then its order is the file system's). A write the disk refuses is raised, with what was
    written so far removed. ``order``: the pages' URLs (in Pagefind's order) to the positions
    in that order of the pages in the new one (the tests put the pages in any other order, as
    another walk of the files would)."""
    try:
        plan = _plan_order(bundle, order or _by_url)
    except (CborError, OSError, ValueError, KeyError, TypeError, IndexError, EOFError, zlib.error):
        return False
    if plan is None:
        return False
    _write_order(bundle, *plan)
    return True


def _by_url(urls: list[str]) -> list[int]:
    return sorted(range(len(urls)), key=urls.__getitem__)


def _plan_order(bundle: Path, order_of: Callable[[list[str]], list[int]]):
    """What canonical_page_order writes, all of it computed before anything is: (entry, new files
    and their bytes, the files they replace, the fragments' new names); None when the bundle is
    not as expected."""
    entry = json.loads((bundle / ENTRY_FILE).read_text(encoding="utf-8"))
    if entry.get("version") != KNOWN_VERSION or not isinstance(entry.get("languages"), dict):
        return None
    files: dict[Path, bytes] = {}
    replaced: set[Path] = set()
    names: dict[str, dict[str, str]] = {"fragment": {}, "index": {}, "filter": {}}   # per folder: name -> full digest
    renames: dict[str, str] = {}        # fragments: Pagefind's name -> the new one
    for language in sorted(entry["languages"]):       # (sorted: the names' collisions resolved alike)
        old_hash = entry["languages"][language]["hash"]
        if not _NAME.fullmatch(language) or not _NAME.fullmatch(old_hash):
            return None
        meta_path = bundle / f"pagefind.{old_hash}.pf_meta"
        meta = read_metadata(meta_path.read_bytes())
        if not _plain_metadata(meta):
            return None
        urls, digests = _read_fragments(bundle, meta[1])
        order = order_of(urls)
        if sorted(order) != list(range(len(meta[1]))):
            raise ValueError("not an order of the pages")
        number = [0] * len(order)
        for new, old in enumerate(order):
            number[old] = new
            page = meta[1][old]
            renames[page[0]] = _content_name(language, digests[old], names["fragment"])
            page[0] = renames[page[0]]
        for kind, listed, rewrite in (("index", meta[2], _renumber_chunk), ("filter", meta[3], _renumber_filter)):
            for item in listed:
                path = bundle / kind / f"{item[-1]}.pf_{kind}"
                payload = _payload(path.read_bytes())
                content = rewrite(payload, number)
                item[-1] = _content_name(language, hashlib.sha256(content).hexdigest(), names[kind])
                files[bundle / kind / f"{item[-1]}.pf_{kind}"] = gzip.compress(
                    SIGNATURE + content, compresslevel=INDEX_LEVEL, mtime=0)
                replaced.add(path)
        meta[1] = [meta[1][old] for old in order]
        packed = write_metadata(meta)
        new_hash = f"{language}_{hashlib.sha256(packed).hexdigest()[:13]}"
        files[bundle / f"pagefind.{new_hash}.pf_meta"] = packed
        replaced.add(meta_path)
        entry["languages"][language]["hash"] = new_hash
    on_disk = set(bundle.glob("index/*.pf_index")) | set(bundle.glob("filter/*.pf_filter"))
    fragments = {path.name.removesuffix(".pf_fragment") for path in bundle.glob("fragment/*.pf_fragment")}
    if not on_disk <= replaced or fragments != set(renames):     # a file no metadata lists: not Pagefind's
        return None
    return entry, files, replaced, renames


def _plain_metadata(meta: list) -> bool:
    """The metadata as Pagefind 1.6.0 writes it for this portal: [version, pages, index chunks,
    filters, sorts, meta fields], every page [fragment name, word count, ""] (no fragment group),
    no sort key (``data-pagefind-sort``: its page lists would keep ties in the file system's order)."""
    return (len(meta) == 6 and meta[0] == KNOWN_VERSION and meta[4] == []
            and all(isinstance(part, list) for part in meta[1:])
            and all(isinstance(page, list) and len(page) == 3 and isinstance(page[0], str) and _NAME.fullmatch(page[0])
                    and isinstance(page[1], int) and page[2] == "" for page in meta[1])
            and all(isinstance(chunk, list) and len(chunk) == 3 and isinstance(chunk[2], str)
                    and _NAME.fullmatch(chunk[2]) for chunk in meta[2])
            and all(isinstance(item, list) and len(item) == 2 and isinstance(item[1], str)
                    and _NAME.fullmatch(item[1]) for item in meta[3]))


def _read_fragments(bundle: Path, pages: list) -> tuple[list[str], list[str]]:
    """Each page's URL, from its fragment (ValueError when two pages have one), and the SHA-256
    of its fragment's content."""
    urls, digests = [], []
    for page in pages:
        data = gzip.decompress((bundle / "fragment" / f"{page[0]}.pf_fragment").read_bytes())
        if not data.startswith(SIGNATURE):
            raise CborError("a fragment without the pagefind_dcd signature")
        url = json.loads(data[len(SIGNATURE):])["url"]
        if not isinstance(url, str):
            raise ValueError("a fragment without a URL")
        urls.append(url)
        digests.append(hashlib.sha256(data).hexdigest())
    if len(set(urls)) != len(urls):
        raise ValueError("two pages with one URL")
    return urls, digests


def _payload(packed: bytes) -> bytes:
    data = gzip.decompress(packed)
    if not data.startswith(SIGNATURE):
        raise CborError("no pagefind_dcd signature")
    return data[len(SIGNATURE):]


def _content_name(language: str, digest: str, taken: dict[str, str]) -> str:
    """``<language>_`` and NAME_DIGITS hex digits of ``digest`` (a SHA-256 of the content), one
    digit more while another file of the folder has that name (as Pagefind does; the files are
    named in a fixed order, so a collision is resolved alike in every build)."""
    length = NAME_DIGITS
    while taken.get(f"{language}_{digest[:length]}", digest) != digest:
        length += 1
    name = f"{language}_{digest[:length]}"
    taken[name] = digest
    return name


def _uint_size(value: int) -> int:
    """Bytes of a CBOR unsigned integer in its shortest form."""
    return 1 if value < 24 else 2 if value < 0x100 else 3 if value < 0x10000 else 5 if value < 0x100000000 else 9


def _renumber_chunk(payload: bytes, number: list[int]) -> bytes:
    """An index chunk (CBOR: [[word, pages, variants], ...], a page [difference from the previous
    page's number, positions, positions in the metadata], a variant (the word with diacritics)
    [form, pages]) with the pages given their new ``number`` and each word's in the new order. CborError when it is not that,
    or when re-encoding would change more than the page numbers (its length is checked against
    the numbers' lengths: so that nothing else of Pagefind's bytes is lost unnoticed)."""
    import cbor2

    chunk = cbor2.loads(payload)
    if type(chunk) is not list or len(chunk) != 1 or type(chunk[0]) is not list:
        raise CborError("an index chunk is not [words]")
    growth = 0
    for word in chunk[0]:
        if type(word) is not list or len(word) != 3 or type(word[0]) is not str or type(word[2]) is not list:
            raise CborError("a word is not [word, pages, variants]")
        growth += _renumber_pages(word[1], number)
        for variant in word[2]:
            if type(variant) is not list or len(variant) != 2 or type(variant[0]) is not str:
                raise CborError("a variant is not [form, pages]")
            growth += _renumber_pages(variant[1], number)
        word[2].sort(key=_form)         # (as 1.6.0 lists them: then they do not depend on the order met)
    content = cbor_encode(chunk)
    if len(content) != len(payload) + growth:
        raise CborError("an index chunk that would not re-encode to its own bytes")
    return content


def _renumber_pages(pages: list, number: list[int]) -> int:
    """A word's pages (each [difference from the previous page's number, positions, meta
    positions]) given their new numbers and put in their order, in place; returns how many bytes
    longer the page numbers got. (Written for speed: about a million pages of words for 300
    disclosure pages.)"""
    if type(pages) is not list or any(type(page) is not list or len(page) != 3 for page in pages):
        raise CborError("a word's pages are not [page number difference, positions, meta positions]")
    if not pages:
        return 0
    if len(pages) == 1:                 # (most words of a small site: on one page)
        page = pages[0]
        if page[0] < 0:
            raise CborError("a negative page number")
        old, page[0] = page[0], number[page[0]]
        return _uint_size(page[0]) - _uint_size(old)
    deltas = [page[0] for page in pages]
    if deltas[0] < 0 or min(deltas[1:], default=1) < 1:
        raise CborError("a word's pages are not in increasing order")
    new = [number[old] for old in accumulate(deltas)]       # (IndexError past the last page)
    order = sorted(range(len(pages)), key=new.__getitem__)
    pages[:] = [pages[position] for position in order]
    new.sort()
    new_deltas = [new[0], *map(sub, new[1:], new)]
    for page, delta in zip(pages, new_deltas, strict=True):
        page[0] = delta
    if max(deltas) < 24 and new[-1] - new[0] < 24 and new[0] < 24:      # every number one byte, before and after
        return 0
    return sum(map(_uint_size, new_deltas)) - sum(map(_uint_size, deltas))


def _form(variant: list) -> str:
    return variant[0]


def _renumber_filter(payload: bytes, number: list[int]) -> bytes:
    """A filter file (CBOR: [filter, [[value, [page numbers, increasing]], ...]]) with the pages
    given their new ``number``, each value's in the new order; checked like _renumber_chunk."""
    import cbor2

    content = cbor2.loads(payload)
    if type(content) is not list or len(content) != 2 or type(content[0]) is not str or type(content[1]) is not list:
        raise CborError("a filter is not [filter, values]")
    growth = 0
    for value in content[1]:
        if type(value) is not list or len(value) != 2 or type(value[0]) is not str or type(value[1]) is not list:
            raise CborError("a filter value is not [value, pages]")
        pages = value[1]
        if any(type(page) is not int for page in pages) or pages != sorted(set(pages)):
            raise CborError("a filter value's pages are not increasing page numbers")
        value[1] = sorted(number[page] for page in pages)
        growth += sum(map(_uint_size, value[1])) - sum(map(_uint_size, pages))
    encoded = cbor_encode(content)
    if len(encoded) != len(payload) + growth:
        raise CborError("a filter that would not re-encode to its own bytes")
    return encoded


def _write_order(bundle: Path, entry: dict, files: dict[Path, bytes], replaced: set[Path],
                 renames: dict[str, str]) -> None:
    """Write the new files, each through a temporary one, and move the fragments to their new
    names through temporary ones (a new name can be another fragment's old one): a refused write
    leaves the bundle as it was, and is raised. Then drop the files the new ones replace and
    point the entry at the new metadata."""
    temporary = {path: path.with_name(path.name + ".tmp") for path in files}
    temporary[bundle / ENTRY_FILE] = bundle / (ENTRY_FILE + ".tmp")
    folder = bundle / "fragment"
    moved: list[tuple[Path, Path]] = []
    try:
        for path, data in files.items():
            faults.point("search.order")    # (a test makes the disk refuse a write here)
            temporary[path].write_bytes(data)
        temporary[bundle / ENTRY_FILE].write_text(compact_json(entry), encoding="utf-8")
        for old, new in renames.items():
            source, target = folder / f"{old}.pf_fragment", folder / f"{new}.pf_fragment.tmp"
            os.rename(source, target)
            moved.append((source, target))
    except BaseException:
        for source, target in reversed(moved):
            os.rename(target, source)
        for temp in temporary.values():
            temp.unlink(missing_ok=True)
        raise
    for _, target in moved:
        os.rename(target, target.with_suffix(""))
    for path in replaced - files.keys():
        path.unlink()
    for path in files:
        os.replace(temporary[path], path)
    os.replace(temporary[bundle / ENTRY_FILE], bundle / ENTRY_FILE)
