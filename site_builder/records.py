"""The records that cross processes and the build cache: a department's summary and brief, and
the portal's facts; each with its JSON form (``to_json``/``from_json``), here and nowhere else.

- :class:`Summary` — what the portal's own pages show of a department (summary.summarize):
  its identity and, per disclosure, identity and headline figures. A worker hands it back
  encoded; it is decoded only when a page that shows it is made.
- :class:`Brief` — what the build derives the portal's facts from (summary.brief): small, and
  decoded on its own, so a build after one edit need not decode every summary.
- :class:`Facts` — what the build derived from every brief (plan.portal_facts); a build with
  no change takes them from the cache instead of decoding every brief.

Records are named tuples, so immutable: made once, in the process that loaded the department,
and only read after. (Not frozen dataclasses: a build imports these every time, even one with
no change, and a frozen dataclass took 0.6 ms to define and 0.85 µs to make, a named tuple
0.08 ms and 0.28 µs.) Small records that repeat (a headline figure, a disclosure's tables) are
JSON arrays, the others objects. A ``from_json`` given a value of another shape raises ValueError, KeyError,
TypeError or IndexError; the cache turns that into "rebuild everything" (cache.StaleCache).
"""

# (no ``from __future__ import annotations``: a named tuple's field annotations given as text are
# each compiled into a typing.ForwardRef when the class is made, at every import; measured:
# docs/performance.md#start-cost)
from decimal import Decimal
from typing import Any, NamedTuple


class Figure(NamedTuple):
    """A headline figure of a disclosure, as its profile defines it (figures.headline_values)."""

    label: str
    text: str                 # as the pages print it (“2,262.43”, “优”, “97”)
    unit: str
    role: str | None          # what it is to the portal pages: total_expenditure, three_public, score…
    value: Decimal

    def to_json(self) -> list:
        return [self.label, self.text, self.unit, self.role, str(self.value)]

    @classmethod
    def from_json(cls, item: list) -> "Figure":
        label, text, unit, role, value = item
        return cls(label, text, unit, role, Decimal(value))


class DocumentSummary(NamedTuple):
    """One disclosure in its department's summary."""

    year: int
    kind: str
    profile: str              # its table-set profile's name
    title: str
    published: str | None
    tables: tuple[str, ...]   # its tables' ids
    headline: tuple[Figure, ...]
    updated: str | None = None  # the date of its latest correction record: the build wrote corrections.json

    @property
    def corrections(self) -> bool:
        return self.updated is not None

    def to_json(self) -> dict[str, Any]:
        data = {"year": self.year, "kind": self.kind, "profile": self.profile, "title": self.title,
                "published": self.published, "tables": list(self.tables),
                "headline": [figure.to_json() for figure in self.headline]}
        if self.updated:          # (most have none: not written)
            data["updated"] = self.updated
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "DocumentSummary":
        return cls(data["year"], data["kind"], data["profile"], data["title"], data["published"],
                   tuple(data["tables"]), tuple(Figure.from_json(item) for item in data["headline"]),
                   data.get("updated"))


class Summary(NamedTuple):
    """What the portal's pages (home, search page, catalog, year pages…) need of a department."""

    slug: str
    name: str
    code: str | None
    supervisor: str | None
    region: str | None
    downloads: tuple[str, ...]        # the portal's download formats: they decide the files written
    documents: tuple[DocumentSummary, ...]

    @property
    def years(self) -> list[int]:
        """Its disclosures' years, newest first (as Department.years)."""
        return sorted({d.year for d in self.documents}, reverse=True)

    def to_json(self) -> dict[str, Any]:
        return {"slug": self.slug, "name": self.name, "code": self.code, "supervisor": self.supervisor,
                "region": self.region, "downloads": list(self.downloads),
                "documents": [d.to_json() for d in self.documents]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Summary":
        return cls(data["slug"], data["name"], data["code"], data["supervisor"], data["region"],
                   tuple(data["downloads"]), tuple(DocumentSummary.from_json(d) for d in data["documents"]))


class Shown(NamedTuple):
    """Digests of what the portal's pages show: of one department (in its brief) or of all of
    them (in the facts). A page is rendered again only when its digest changed."""

    lists: str                # home, search page, sitemap, feed: names, regions, titles, dates
    catalog: str              # catalog.json: also the headline figures
    years: dict[int, str]     # each year's comparison pages

    def to_json(self) -> dict[str, Any]:
        return {"lists": self.lists, "catalog": self.catalog, "years": {str(y): d for y, d in self.years.items()}}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Shown":
        lists, catalog, years = data["lists"], data["catalog"], data["years"]
        if not (isinstance(lists, str) and isinstance(catalog, str)):
            raise TypeError("shown")
        return cls(lists, catalog, {int(y): d for y, d in years.items()})


class Tables(NamedTuple):
    """A disclosure in a brief: its profile, its year and its tables' ids (the data package's schemas)."""

    profile: str
    year: int
    ids: list[str]


class Brief(NamedTuple):
    """What the build derives the portal's facts from: a department's name and code (no two may
    share them), what the portal's pages show of it, its counts of files and HTML pages, and
    each disclosure's tables."""

    name: str
    code: str | None
    shown: Shown
    files: int
    pages: int
    documents: tuple[Tables, ...]

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "code": self.code, "shown": self.shown.to_json(), "files": self.files,
                "pages": self.pages, "documents": [list(d) for d in self.documents]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Brief":
        return cls(data["name"], data["code"], Shown.from_json(data["shown"]), data["files"], data["pages"],
                   tuple(Tables(profile, year, ids) for profile, year, ids in data["documents"]))


class Facts(NamedTuple):
    """What the build derives from every department's brief (plan.portal_facts)."""

    shown: Shown              # what the portal's pages show of all of them
    years: tuple[int, ...]    # every year published for, newest first
    lists: tuple[str, ...]    # the portal pages that list every department (pages.list_paths)
    documents: int            # disclosures in the portal
    files: int                # the departments' files
    pages: int                # of which HTML pages

    def to_json(self) -> dict[str, Any]:
        return {"shown": self.shown.to_json(), "years": list(self.years), "lists": list(self.lists),
                "documents": self.documents, "files": self.files, "pages": self.pages}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Facts":
        return cls(Shown.from_json(data["shown"]), tuple(data["years"]), tuple(data["lists"]), data["documents"],
                   data["files"], data["pages"])
