"""名词解释: the portal's glossary, and links from a page's prose to it.

The built-in terms (``data/glossary.yaml``) are the published 名词解释 of the example's seed
documents; a portal's ``glossary.yaml`` (in the content folder) adds terms or replaces built-in
ones. On a document page the first occurrence of each term in prose becomes a link that shows
a definition on hover and focus (a CSS tooltip). The definition a disclosure shows is its own:
a term its own 名词解释 (glossary.md) defines links to that entry on its page, with the
disclosure's words (:func:`own_definitions`); any other term links to its entry on
``glossary/index.html``, with the portal glossary's words, never another disclosure's.
"""

from __future__ import annotations

import bisect
import functools
import html
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

from .errors import ContentError, Location
from .model import label_key, strip_numbering
from .sources import YamlMapping, check_type, load_mapping, optional, reject_unknown, require

BUILTIN = Path(__file__).resolve().parent / "data" / "glossary.yaml"
PAGE = "glossary/index.html"
TERM_KEYS = {"id", "term", "aliases", "definition", "source"}
_ID_RE = re.compile(r"^[A-Za-z0-9\u4e00-\u9fff][-A-Za-z0-9\u4e00-\u9fff]*$")
_NOT_ID = re.compile(r"[^-A-Za-z0-9\u4e00-\u9fff]+")
# Prose is not linked inside these elements: headings, links, tables, code, form controls.
_SKIPPED = re.compile(r"<(h[1-6]|a|table|code|pre|script|style|button|label|select|textarea|abbr|dfn)\b[^>]*>.*?</\1\s*>"
                      r"|<!--.*?-->", re.S | re.I)


@dataclass(frozen=True)
class Term:
    id: str                          # anchor on the glossary page: #term-<id>
    term: str
    definition: str
    aliases: tuple[str, ...] = ()
    source: str = ""
    location: Location | None = field(default=None, compare=False)

    @property
    def spellings(self) -> tuple[str, ...]:
        return (self.term, *self.aliases)


@dataclass
class Glossary:
    """The terms in page order, and a matcher for prose."""

    terms: list[Term]
    _pattern: re.Pattern | None = field(default=None, init=False, repr=False)
    _by_text: dict[str, Term] = field(default_factory=dict, init=False, repr=False)

    @functools.cached_property
    def spellings_by_length(self) -> list[tuple[str, Term]]:
        """Every spelling of every term, folded (model.label_key), longest first."""
        return sorted(((label_key(text), term) for term in self.terms for text in term.spellings if label_key(text)),
                      key=lambda item: len(item[0]), reverse=True)

    def __post_init__(self) -> None:
        for term in self.terms:
            for text in term.spellings:
                # prose arrives as HTML text: a spelling with " or ' may come escaped
                for variant in {text, html.escape(text, quote=False), html.escape(text)}:
                    self._by_text.setdefault(variant, term)
        if self._by_text:
            # longest first, so 财政拨款收入 wins over 财政拨款
            alternatives = "|".join(re.escape(t) for t in sorted(self._by_text, key=len, reverse=True))
            self._pattern = re.compile(alternatives)    # (no look-behind: slower; docs/performance.md#glossary-pattern)

    def link(self, fragment: str, root: str, seen: set[str], own: Mapping[str, tuple[str, str]] | None = None) -> str:
        """``fragment`` (HTML) with the first occurrence of each term not in ``seen`` linked to
        its glossary entry (``root``: from the page to the site root), or, for a term in ``own``
        (term id → address and definition: the disclosure's own 名词解释), there with that
        definition; ``seen`` is updated, so one set across a page's blocks links each term once
        per page. Text inside headings, links, tables and code, and inside tags themselves, is
        left alone."""
        if self._pattern is None or len(seen) >= len(self.terms):
            return fragment
        text = str(fragment)          # (slicing Markup costs more than the search)
        found: list[tuple[int, int, Term]] = []
        skipped: tuple[list[int], list[int]] | None = None     # (starts, ends) of headings, links, tables…
        for match in self._pattern.finditer(text):   # leftmost, longest: a seen term still covers its text
            term = self._by_text[match.group()]
            start = match.start()
            if term.id in seen or (start and text[start - 1] == "非") \
                    or text.rfind("<", 0, start) > text.rfind(">", 0, start):      # 非财政拨款; inside a tag
                continue
            if skipped is None:
                spans = [m.span() for m in _SKIPPED.finditer(text)]
                skipped = ([a for a, _ in spans], [b for _, b in spans])
            inside = bisect.bisect_right(skipped[0], start) - 1
            if inside >= 0 and start < skipped[1][inside]:
                continue
            seen.add(term.id)
            found.append((start, match.end(), term))
            if len(seen) >= len(self.terms):
                break
        if not found:
            return fragment
        portal = f"{root}{PAGE}#term-"
        own = own or {}
        out, position = [], 0
        for start, end, term in found:
            href, definition = own.get(term.id) or (portal + term.id, term.definition)
            out += [text[position:start],
                    f'<a class="term" href="{html.escape(href)}" aria-describedby="tip-{term.id}">{text[start:end]}</a>'
                    f'<span class="term-tip" role="tooltip" id="tip-{term.id}" data-pagefind-ignore>'
                    f'{html.escape(definition, quote=False)}</span>']
            position = end
        out.append(text[position:])
        return "".join(out)


# -- a disclosure's own 名词解释 ---------------------------------------------------------------------

OWN_PREFIX = "doc-term-"     # the id of an entry of a disclosure's 名词解释 on its page: doc-term-<term id>
# A paragraph, list item or heading of the 名词解释 as Markdown renders it (no attributes)
_BLOCK = re.compile(r"<(p|li|h[2-6])>(.*?)</\1>", re.S)
_TAG = re.compile(r"<[^>]+>")
_HEAD = re.compile(r"^[^。，,；;：:]{1,20}[：:]")     # 单位资金：… (an entry, even without numbering)
# What follows a term where an entry defines it: 财政拨款收入：指…, 一般公共预算是指…, 国有资本经营
# 预算是对…, 使用非财政拨款结余（含专用结余）：… (as label_key folds them: ：→:, （→(, ，→,)
_AFTER_TERM = ":,是指"


def _defines(head: str, key: str) -> bool:
    """Whether an entry (``head``: its text folded) defines the term spelt ``key``: it begins
    with it, followed by nothing, ：, 是, 指 or a comma, or by a bracket and then one of those
    (使用非财政拨款结余（含专用结余）：, but not 财政拨款（补助）收入： for 财政拨款)."""
    if not head.startswith(key):
        return False
    rest = head[len(key):]
    if rest.startswith("("):
        close = rest.find(")")
        rest = rest[close + 1:] if close > 0 else "x"
    return not rest or rest[0] in _AFTER_TERM


@dataclass(frozen=True)
class OwnEntry:
    """A portal term as a disclosure's own 名词解释 defines it: its entry's id on the page is
    ``doc-term-<term_id>``, ``definition`` its words after the term (as the page shows them)."""

    term_id: str
    definition: str


def _term_end(block: str, length: int) -> int | None:
    """Where, in ``block``, the term its first ``length`` folded characters spell ends (None: it
    fills the block)."""
    folded = 0
    for index, char in enumerate(block):
        if folded >= length:
            return index
        folded += len(label_key(char))
    return None


def _definition(block: str, length: int) -> str:
    """What ``block`` says of the term its first ``length`` folded characters spell: from 是 or
    指 on, else what follows the colon or comma after it (a bracket after the term, 使用非财政拨款
    结余（含专用结余）：…, is still the term)."""
    end = _term_end(block, length)
    if end is None:
        return ""
    rest = block[end:].lstrip()
    if rest[:1] in ("是", "指"):
        return rest
    separator = re.search(r"[:：,，]", rest)
    if separator and (separator.start() == 0 or rest[0] in "(（"):
        return rest[separator.end():].strip()
    return rest


# The search index weighs the term an entry defines above prose (1): the search page counts a
# word weighed above 1 as where a page names its subject, as a heading's (docs/search.md,
# "Ranking"), so a query for a term finds the page that defines it first and opens at its
# 名词解释. Not a heading's 5 (h3): in Pagefind's score the terms' words (结转, 结余 of
# 年初结转和结余) then outweighed pages where another term of those words is the subject
# (结转结余率: 21/24 right on the example at 5, 23/24 at 2, 24/24 at 1.5).
TERM_WEIGHT = 1.5


def _mark_term(inner: str, text: str, block: str, length: int) -> str:
    """An entry's HTML (``inner``) with the term it defines in ``<dfn>`` (the defining instance,
    weighed by the search index like a heading): 五、<dfn …>使用非财政拨款结余</dfn>（含专用结余）：…
    Left as it is when the term is not plain text at the start of the entry (markup or an entity
    in it), or is the whole entry (a heading naming the term)."""
    end = _term_end(block, length)
    if end is None:
        return inner
    numbering = text[:len(text) - len(block)]
    start = len(inner) - len(inner.lstrip())
    term = block[:end]
    if not inner.startswith(numbering + term, start) or "<" in term or "&" in term:
        return inner
    at = start + len(numbering)
    return f'{inner[:at]}<dfn data-pagefind-weight="{TERM_WEIGHT}">{term}</dfn>{inner[at + len(term):]}'


def own_definitions(fragment: str, glossary: Glossary) -> tuple[str, list[OwnEntry]]:
    """The portal's terms a disclosure's 名词解释 defines, with its words, in its order, and its
    HTML (``fragment``, rendered from its glossary.md) with each such entry's paragraph given
    its id. An entry is a paragraph, list item or heading that begins (after its numbering, 一、
    or 1.) with a spelling of a term followed by ：, 是, 指, a comma or a bracket, or is the term
    alone; the plain paragraphs after it (not numbered, no “名词：” beginning) continue its
    definition (六、财政专户管理资金： then the text). A term two entries define: the first."""
    entries: dict[str, list[str]] = {}         # term id → its definition's parts
    current: list[str] | None = None

    def entry(match: re.Match) -> str:
        nonlocal current
        text = html.unescape(_TAG.sub("", match.group(2))).strip()
        block = strip_numbering(text)
        head = label_key(block[:80])
        found = next(((key, term) for key, term in glossary.spellings_by_length if _defines(head, key)), None)
        if found is None:
            if current is not None and match.group(1) == "p" and block == text and not _HEAD.match(block):
                current.append(block)            # (its definition goes on)
            else:
                current = None                   # (the entry of a term the portal does not have)
            return match.group()
        key, term = found
        if term.id in entries:                  # (defined again: not an entry, nor a continuation)
            current = None
            return match.group()
        current = entries[term.id] = [_definition(block, len(key))]
        tag = match.group(1)
        return f'<{tag} id="{OWN_PREFIX}{term.id}">{_mark_term(match.group(2), text, block, len(key))}</{tag}>'

    marked = _BLOCK.sub(entry, fragment)
    return marked, [OwnEntry(term_id, re.sub(r"\s+", " ", "".join(words)).strip()) for term_id, words in entries.items()]


def load_glossary(root: Path) -> Glossary:
    """The built-in terms with the portal's ``glossary.yaml`` (in ``root``) over them: a portal
    term whose term or alias is a built-in term's replaces it (keeping its anchor unless it
    sets ``id``); others are added at the end."""
    terms = list(_builtin())
    path = root / "glossary.yaml"
    if path.is_file():
        index = {text: i for i, term in enumerate(terms) for text in term.spellings}
        replaced: dict[int, Term] = {}
        for term, explicit_id in _read_terms(path, builtin=False):
            hit = next((index[t] for t in term.spellings if t in index), None)
            if hit is None:
                terms.append(term)
            elif hit in replaced:
                earlier = replaced[hit]
                assert earlier.location is not None     # _read_terms gives every term its line
                raise ContentError(term.location or path, f"名词“{term.term}”与第 {earlier.location.line} 行的"
                                   f"“{earlier.term}”替换的是同一个内置名词“{_builtin()[hit].term}”",
                                   "每个名词只写一次")
            else:
                replaced[hit] = term
                terms[hit] = term if explicit_id else replace(term, id=terms[hit].id)
    _refuse_duplicates(terms)
    return Glossary(terms)


@lru_cache(maxsize=1)
def _builtin() -> tuple[Term, ...]:
    return tuple(term for term, _ in _read_terms(BUILTIN, builtin=True))


def _read_terms(path: Path, builtin: bool) -> Iterator[tuple[Term, bool]]:
    """Each term of a glossary file, and whether it set its ``id`` itself."""
    data = load_mapping(path)
    reject_unknown(data, {"terms"})
    items = require(data, "terms", list, what="名词列表")
    where = data.where("terms")
    for number, item in enumerate(items, start=1):
        if not isinstance(item, YamlMapping):
            raise ContentError(where, f"“terms”的第 {number} 项应为“键: 值”形式的名词（term、definition 等），实际是“{item}”",
                               "每个名词以“- term: 名词”开头，下一行缩进写“definition: 解释”")
        reject_unknown(item, TERM_KEYS)
        text = require(item, "term", what="名词").strip()
        definition = require(item, "definition", what="名词的解释").strip()
        aliases = optional(item, "aliases", (str, list), [])
        aliases = [aliases] if isinstance(aliases, str) else aliases
        for alias in aliases:
            if not isinstance(alias, str) or not alias.strip():
                raise ContentError(item.where("aliases"), f"“aliases”中的“{alias}”不是文本", "写成 aliases: [别名一, 别名二]")
        explicit = item.get("id") is not None
        if builtin and not explicit:
            raise ContentError(item.where(), f"内置名词“{text}”缺少 id")
        term_id = str(check_type(item, "id", (str, int))) if explicit else _NOT_ID.sub("", text)
        if not _ID_RE.match(term_id):
            raise ContentError(item.where("id" if explicit else "term"), f"“{term_id}”不能用作名词的锚点 id",
                               "id 只用英文字母、数字、汉字和连字符，如 id: medical-assistance")
        yield Term(term_id, text, definition, tuple(a.strip() for a in aliases if a.strip() != text),
                   optional(item, "source", default="") or "", item.where()), explicit


def _refuse_duplicates(terms: list[Term]) -> None:
    """One spelling for two definitions, or two entries with one anchor, would link ambiguously."""
    ids: dict[str, Term] = {}
    spellings: dict[str, Term] = {}
    for term in terms:
        where = term.location or Location(BUILTIN)
        for text in term.spellings:
            other = spellings.setdefault(text, term)
            if other is term:
                continue
            if other.term == term.term:
                raise ContentError(where, f"名词“{term.term}”出现了两次", "每个名词只写一次；要替换内置名词的解释，写一次即可")
            raise ContentError(where, f"“{text}”同时是“{other.term}”和“{term.term}”的名词或别名",
                               "同一写法只能对应一个名词")
        other = ids.setdefault(term.id, term)
        if other is not term:
            raise ContentError(where, f"名词“{term.term}”的 id“{term.id}”与“{other.term}”的相同", "每个名词的 id 必须不同")
