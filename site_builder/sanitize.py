"""What a department's prose may be on the page: the HTML of its Markdown, sanitised.

Markdown keeps raw HTML, and a clerk's report.md, a reason in document.yaml or a glossary.md
copied from a web page may carry ``<script>``, ``<img onerror>``, ``<meta http-equiv=refresh>``
or a ``javascript:`` link. Every HTML made from content Markdown passes an allow-list
sanitiser, nh3 (the Python binding of Ammonia, the Rust sanitiser built on the html5ever
parser browsers' parsing rules come from) — not a regex of our own: a parser sees
``jav&#x09;ascript:`` and ``<svg/onload>`` as a browser does.

Allowed (``DEFAULT``): what prose needs — paragraphs, line breaks, rules, headings, lists,
quotes, code, emphasis, sub/superscript, tables, and links to http(s), mailto or relative
addresses. Everything else is dropped: its tags removed and its text kept, except ``script``
and ``style``, removed with their content; attributes not listed (every ``on…`` handler,
``style`` but ``text-align`` on table cells, ``id``, ``class``) removed; a URL of any other
scheme (``javascript:``, ``data:``, ``vbscript:``) removed. No image: a picture from another
host would be a request to another host, which the portal never makes.

A portal that truly needs more widens the list in site.yaml (``prose_html:``, docs/templates.md),
at its own risk; a tag or attribute that runs code (``script``, ``on…``, ``srcdoc``…) is refused
even there.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

TAGS = frozenset({"p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "blockquote",
                  "pre", "code", "em", "strong", "b", "i", "sup", "sub", "del", "a",
                  "table", "thead", "tbody", "tr", "th", "td"})
ATTRIBUTES = {"a": frozenset({"href", "title"}), "ol": frozenset({"start"}),
              "th": frozenset({"style", "align", "colspan", "rowspan"}),
              "td": frozenset({"style", "align", "colspan", "rowspan"})}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
STYLE_PROPERTIES = frozenset({"text-align"})   # Markdown's table alignment (| :---: |)
# Never allowed, not even by a portal's own list: they run code, load another document or
# another host's files, or change where the page's links and forms go.
FORBIDDEN_TAGS = frozenset({"script", "style", "iframe", "frame", "frameset", "object", "embed", "applet",
                            "meta", "base", "link", "form", "input", "button", "textarea", "select",
                            "svg", "math", "template", "noscript", "portal"})
FORBIDDEN_ATTRIBUTES = frozenset({"srcdoc", "formaction", "action", "xlink:href", "http-equiv", "ping"})


@dataclass(frozen=True)
class ProsePolicy:
    """The allow-list of one portal (hashable: the Markdown memo is keyed by it)."""

    tags: frozenset[str] = TAGS
    attributes: tuple[tuple[str, frozenset[str]], ...] = tuple(sorted(ATTRIBUTES.items()))
    url_schemes: frozenset[str] = URL_SCHEMES

    def clean(self, html: str) -> str:
        return _cleaner(self).clean(html)


@functools.lru_cache(maxsize=8)
def _cleaner(policy: ProsePolicy):
    import nh3   # (imported where a page is made: a build with no change makes none)

    return nh3.Cleaner(tags=set(policy.tags), attributes={tag: set(names) for tag, names in policy.attributes},
                       url_schemes=set(policy.url_schemes), link_rel=None, strip_comments=True,
                       clean_content_tags={"script", "style"}, filter_style_properties=set(STYLE_PROPERTIES))


DEFAULT = ProsePolicy()


def forbidden(name: str) -> bool:
    """A tag or attribute no portal may allow."""
    name = name.lower()
    return name in FORBIDDEN_TAGS or name in FORBIDDEN_ATTRIBUTES or name.startswith("on")


def widened(tags: list[str], attributes: dict[str, list[str]], url_schemes: list[str]) -> ProsePolicy:
    """The default list with a portal's additions (site.yaml ``prose_html:``; already checked
    against :func:`forbidden` by the loader)."""
    merged = {tag: set(names) for tag, names in ATTRIBUTES.items()}
    for tag, names in attributes.items():
        merged.setdefault(tag, set()).update(names)
    return ProsePolicy(tags=TAGS | set(tags) | set(attributes) - {"*"},
                       attributes=tuple(sorted((tag, frozenset(names)) for tag, names in merged.items())),
                       url_schemes=URL_SCHEMES | set(url_schemes))
