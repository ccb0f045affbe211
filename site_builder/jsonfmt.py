"""JSON as site_builder writes it: UTF-8 text, Chinese unescaped, compact.

One encoding for everything the build writes or fingerprints: the site's JSON files
(``json_text``), the manifests (sorted keys), the build cache's lines and its digests, and the
Pagefind files that ``search_bundle`` rewrites. Always json's C encoder: indenting switches json to its
pure-Python encoder, five times slower on a large portal.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any


def compact_json(value: Any, sort_keys: bool = False) -> str:
    """``value`` as compact JSON (no spaces, no line break: a line of the cache stays one line)."""
    return json.dumps(value, ensure_ascii=False, sort_keys=sort_keys, separators=(",", ":"))


def json_text(data: Any) -> str:
    """A JSON file as the site publishes it (data.json, a table's JSON, the catalog): compact,
    with a final line break."""
    return compact_json(data) + "\n"


def digest(value: Any) -> str:
    """A short fingerprint of ``value``'s compact JSON (what the build cache compares)."""
    return hashlib.blake2b(compact_json(value).encode("utf-8"), digest_size=16).hexdigest()
