"""The preview's list of a draft's checker errors: newest first, and what the last save changed.

A draft (a document with 【待填写】 left, shown by ``serve``) lists its checker errors at the top
of its page instead of being refused. A clerk who saves a new mistake must see it: the errors
this save brought are listed first and marked, and those it mended are counted. "Before the
save" is what the page showed: its draft notice carries the key of every error it lists
(``data-draft-errors``), in its order, so the record survives a restart or a full rebuild and
needs no state in the server. Errors that were there before keep the page's order, so the list
stays newest first save after save.

An error's key is its file, rule and message (hashed), not its line: a row inserted above
moves every error below it, and that is no new mistake. A message that names the sums
("各项之和为 96.62万元，表中为 69.62") changes with them, so an error whose figures this save
changed is marked as new: the save did change it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from .checks import Finding, run_checks
from .checks.placeholders import PLACEHOLDER_RULE
from .errors import Location
from .model import Document, Portal

ATTRIBUTE = "data-draft-errors"
_LISTED = re.compile(rb'\s' + ATTRIBUTE.encode() + rb'="([0-9a-f\- ]*)"')


@dataclass(frozen=True)
class Listed:
    """One error as the draft notice lists it."""

    finding: Finding
    key: str
    new: bool = False      # this save brought it (not on the page before)

    # as a Finding reads: a portal's own document.html written for a list of findings still works
    @property
    def location(self) -> Location:
        return self.finding.location

    @property
    def message(self) -> str:
        return self.finding.message

    @property
    def rule(self) -> str:
        return self.finding.rule


@dataclass(frozen=True)
class DraftErrors:
    """A draft's checker errors, newest first; ``fixed``: how many the page listed before this
    save that are gone now."""

    items: list[Listed] = field(default_factory=list)
    fixed: int = 0

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[Listed]:
        return iter(self.items)

    def __getitem__(self, index: slice) -> list[Listed]:
        return self.items[index]

    @property
    def new(self) -> list[Listed]:
        return [item for item in self.items if item.new]

    @property
    def keys(self) -> str:
        """The value of the notice's ``data-draft-errors``: the next save compares with it."""
        return " ".join(item.key for item in self.items)


def draft_findings(portal: Portal, doc: Document) -> list[Finding]:
    """The checker's errors in ``doc`` but the 【待填写】 themselves (the notice counts those)."""
    return draft_errors(run_checks(portal, documents=[doc]))


def draft_errors(findings: list[Finding]) -> list[Finding]:
    """Of one document's findings, those its draft notice lists (the preview, which has just
    checked the saved document, need not check it again)."""
    return [f for f in findings if f.severity == "error" and f.rule != PLACEHOLDER_RULE]


def keyed(findings: list[Finding]) -> list[tuple[Finding, str]]:
    """Each finding with its key; the second of two identical errors gets “-2” and so on."""
    seen: dict[str, int] = {}
    result = []
    for finding in findings:
        text = "\0".join((finding.location.path.as_posix(), finding.rule, finding.message))
        base = hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]
        seen[base] = seen.get(base, 0) + 1
        result.append((finding, base if seen[base] == 1 else f"{base}-{seen[base]}"))
    return result


def listing(findings: list[Finding], before: list[str] | None) -> DraftErrors:
    """The errors in the order the notice lists them. ``before``: the keys the page listed
    before this save, in its order (None: no page to compare with, as at the first build, and
    nothing is marked): errors not among them come first, marked new, then the others in the
    page's order."""
    pairs = keyed(findings)
    if before is None:
        return DraftErrors([Listed(f, key) for f, key in pairs])
    rank = {key: i for i, key in enumerate(before)}
    new = [Listed(f, key, new=True) for f, key in pairs if key not in rank]
    old = sorted((Listed(f, key) for f, key in pairs if key in rank), key=lambda item: rank[item.key])
    now = {key for _, key in pairs}
    return DraftErrors(new + old, fixed=sum(1 for key in before if key not in now))


def listed_keys(page: bytes) -> list[str] | None:
    """The keys a draft page's notice lists, in its order; None when the page has no draft
    notice that says (a finished document's page, or a portal template without the attribute)."""
    found = _LISTED.search(page)
    return found.group(1).decode("ascii").split() if found else None
