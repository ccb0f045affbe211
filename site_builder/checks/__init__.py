"""The disclosure checker: rules that read a loaded portal and yield findings, never raise.

Each rule is a small function registered with :func:`rule` under a stable ID; ``run_checks``
runs every enabled rule on every document. Findings carry a severity: ``error`` (a real
mistake), ``warning`` (worth a look) or ``note`` (rounding within tolerance, with the figures).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from importlib import resources

import yaml

from ..errors import Location
from ..model import Document, Portal

SEVERITIES = ("error", "warning", "note")


@dataclass(frozen=True)
class Finding:
    rule: str
    family: str
    severity: str
    location: Location
    message: str           # Chinese, for the finance clerk
    message_en: str        # English, for tools reading the JSON
    expected: str = ""
    found: str = ""
    document: str = ""     # the document's URL path (dept/year/kind/)

    def as_dict(self) -> dict[str, object]:
        return {
            "rule": self.rule, "family": self.family, "severity": self.severity,
            "document": self.document, "file": str(self.location.path),
            "line": self.location.line, "column": self.location.column,
            "expected": self.expected, "found": self.found,
            "message": self.message, "message_en": self.message_en,
        }


@dataclass
class Rule:
    id: str
    family: str
    summary: str
    function: Callable[[Document, CheckConfig], Iterator[Finding]]


@dataclass
class CheckConfig:
    """Per-portal settings: rounding per unit (the most one rounded value can be off), rules off,
    levels and 科目 names. Read from site.yaml's ``checks:`` once, with the rest of the portal
    file (config.py, which declares its keys)."""

    rounding: dict[str, Decimal] = field(default_factory=lambda: {"万元": Decimal("0.005"), "元": Decimal(0)})
    disabled: set[str] = field(default_factory=set)
    severity: dict[str, str] = field(default_factory=dict)  # rule → error/warning (rounding notes stay notes)
    portal_subjects: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)  # the portal's own (checks.subjects)

    @classmethod
    def from_portal(cls, portal: Portal) -> CheckConfig:
        """The ``checks:`` section of the portal's site.yaml."""
        return portal.config.checks

    @functools.cached_property
    def subjects(self) -> dict[str, dict[str, tuple[str, ...]]]:
        """Classification → code → standard names: the bundled list with the portal's own over it
        (made when a rule first asks: a build that checks nothing never reads the bundled file)."""
        subjects = standard_subject_names()
        for classification, names in self.portal_subjects.items():
            subjects.setdefault(classification, {}).update(names)
        return subjects

    def tolerance(self, unit: str, addends: int) -> Decimal:
        """How far a sum of ``addends`` rounded values may be from its rounded total."""
        return self.rounding.get(unit, Decimal(0)) * (addends + 1)


RULES: dict[str, Rule] = {}


def standard_subject_names() -> dict[str, dict[str, tuple[str, ...]]]:
    """The bundled 科目 names (site_builder/data/subjects.yaml), a fresh copy each call (the
    portal's own names are merged into it); the file is read once per process."""
    return {cls: dict(names) for cls, names in _bundled_subject_names().items()}


@functools.cache
def _bundled_subject_names() -> dict[str, dict[str, tuple[str, ...]]]:
    data = yaml.safe_load(resources.files("site_builder").joinpath("data/subjects.yaml").read_text(encoding="utf-8"))
    return {cls: {str(code): (name,) if isinstance(name, str) else tuple(name) for code, name in entries.items()}
            for cls, entries in data.items()}


def rule(rule_id: str, family: str, summary: str):
    """Register a rule function under a stable ID (see docs/checks.md)."""

    def register(function: Callable[[Document, CheckConfig], Iterator[Finding]]):
        RULES[rule_id] = Rule(rule_id, family, summary, function)
        return function

    return register


def acknowledge(doc: Document, finding: Finding) -> Finding:
    """A finding the document lists under ``known_issues`` (a mistake in the published source
    that the portal must reproduce faithfully) is kept, as a note that gives the reason."""
    for known in doc.known_issues:
        if known["rule"] == finding.rule and finding.location.path.name == known["file"].split("/")[-1]:
            return dataclasses.replace(finding, severity="note",
                                       message=f"{finding.message}（已知：{known['reason']}）",
                                       message_en=f"{finding.message_en} (known: {known['reason']})")
    return finding


def run_checks(portal: Portal, config: CheckConfig | None = None,
               documents: list[Document] | None = None) -> list[Finding]:
    """Every finding of every enabled rule on every document (or on ``documents``), in a stable order."""
    config = config or CheckConfig.from_portal(portal)
    findings: list[Finding] = []
    for doc in portal.documents if documents is None else documents:
        for rule_id, item in RULES.items():
            if rule_id not in config.disabled:
                for finding in item.function(doc, config):
                    if finding.severity != "note" and rule_id in config.severity:
                        finding = dataclasses.replace(finding, severity=config.severity[rule_id])
                    findings.append(acknowledge(doc, finding))
    order = {s: i for i, s in enumerate(SEVERITIES)}
    seen: set[tuple] = set()
    unique = []
    for f in findings:   # a department's file is read for each of its documents: report it once
        key = (f.rule, f.location, f.message)
        if key not in seen:
            seen.add(key)
            unique.append(f)
    findings = unique
    return sorted(findings, key=lambda f: (f.document, order[f.severity], str(f.location.path),
                                           f.location.line or 0, f.rule))


# The rule modules register themselves with @rule; importing them here fills RULES.
from . import codes, cross, forms, meta, placeholders, prose, prose_changes, prose_lists, prose_tables, rates, sums  # noqa: E402, F401
