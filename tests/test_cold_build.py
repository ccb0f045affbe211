"""What keeps a cold full build's CPU down (issue 29; docs/performance.md#cold-build-profile):
work a document needs once is done once, and the collector does not walk a department's
model while it is built. The output itself is held byte for byte by the other tests."""

from __future__ import annotations

import gc
from pathlib import Path

from site_builder.checks import run_checks
from site_builder.checks import prose as prose_module
from site_builder.content import load_portal
from site_builder.model import Portal
from site_builder.workers import collector_paused

EXAMPLE = Path(__file__).resolve().parent.parent / "content"


def test_each_piece_of_prose_is_normalised_once_for_every_rule(monkeypatch):
    """The prose rules read a document's prose as sentences, as paragraphs (three passes) and
    as every sentence: NFKC over each piece once, not once per paragraph and per rule."""
    portal = load_portal(EXAMPLE)
    doc = next(d for d in portal.documents if d.extra_markdown)
    pieces = [text for _where, text in prose_module._prose(doc)]
    folded: list[str] = []
    normalize = prose_module._normalize

    def counting(text: str) -> str:
        folded.append(text)
        return normalize(text)

    monkeypatch.setattr(prose_module, "_normalize", counting)
    run_checks(Portal(portal.config, portal.root, [doc.department]), documents=[doc])
    assert len(pieces) > 3
    assert sorted(folded) == sorted(pieces)        # each piece once, and nothing else


def test_a_department_is_built_with_the_collector_paused():
    seen: list[bool] = []
    task = collector_paused(lambda slug: seen.append(gc.isenabled()) or slug)
    assert gc.isenabled()
    assert task("fenyang-ybj") == "fenyang-ybj"
    assert seen == [False] and gc.isenabled()      # off while it ran, on again after


def test_the_collector_comes_back_when_a_department_fails():
    def failing(slug: str):
        raise RuntimeError(slug)

    try:
        collector_paused(failing)("x")
    except RuntimeError:
        pass
    assert gc.isenabled()
