"""Charts: turn a disclosure's tables (and its department's years) into inline SVG, at build time.

Pure functions, no I/O. A profile's ``charts:`` says which numbers each chart shows
(:class:`profiles.ChartSpec`); :func:`document_charts` reads them from the model and
:class:`BarChart` draws horizontal bars, the most readable shape on a phone with Chinese
labels. :func:`trend_chart` draws a department's figures over its years.

Every chart is a ``<figure>``: a visible caption, an SVG with ``role="img"``, ``<title>`` and
``<desc>``, and its numbers as a table under it. No script, no external reference. The
palette (Okabe–Ito blue, orange, vermillion with white hatching) stays apart in colour-blind
vision and, by lightness and pattern, in greyscale print; every bar has a dark outline. The
markup is written here as strings, like ``tableview.RowView.html``: a Jinja loop per bar
would cost more than the rest of the chart.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal

from markupsafe import Markup

from .errors import ContentError
from .explain import Change
from .model import Document, Row, Table
from .checks.placeholders import is_placeholder
from .numbers import money, parse_decimal, percent, plain_number
from .profiles import ChartSpec, fill_year

# Geometry in viewBox units. The SVG is drawn 320 wide and scaled to its box (site.css: at most
# 20rem): a 360 px phone's box is ~335 px, so 18 units of text are 18.8 px, never below the
# 16 px of body text; a 320 px phone's 16.6 px; a desktop's 20 px. Drawn wider, its text would
# shrink with it on a phone (480 wide was 12.5 px). So a bar's label is on its own lines above
# the bar, the bars have the whole width, and a trend line labels few years' points.
WIDTH = 320
FONT = 18
LINE = 22
LABEL_WIDTH = WIDTH      # a label above its bars: seventeen CJK characters a line, two lines at most
GAP = 6
BAR = 20
BAR_GAP = 4
GROUP_GAP = 14
INK, MUTED = "#1a1a1a", "#4a4a4a"
COLOURS = ("#0072B2", "#E69F00", "#D55E00")   # Okabe–Ito; greyscale luma 87, 162, 119 (+ hatching)
UNIT = {"score": "分"}


def _escape(text: str) -> str:
    """Text or an attribute value (quotes too) as markup: every interpolation into the SVG and
    HTML written here goes through it, but numbers and the module's own constants."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") \
        .replace('"', "&#34;").replace("'", "&#39;")


def text_width(text: str, size: float = FONT) -> float:
    """Approximate rendered width: CJK and full-width forms one em, digits and Latin ~0.56 em."""
    width = 0.0
    for char in text:
        if char in ",.:;'|":
            width += 0.3
        elif ord(char) < 0x2E80:
            width += 0.56
        else:
            width += 1.0
    return width * size


def wrap_label(text: str, width: float = LABEL_WIDTH, lines: int = 2) -> list[str]:
    """Split a label into at most ``lines`` balanced lines that fit ``width``; shorten the last
    with “…” if it still does not fit (the data table under the chart has the full name)."""
    if text_width(text) <= width:
        return [text]
    count = min(lines, max(2, int(text_width(text) // width) + 1))
    size = -(-len(text) // count)
    parts: list[str] = []
    rest = text
    while rest and len(parts) < count - 1:
        cut = size
        while cut > 1 and text_width(rest[:cut]) > width:
            cut -= 1
        # break before an opening or after a closing bracket when one is near: （境）费, （40）
        near = [n for n in range(max(1, cut - 3), min(len(rest), cut + 3))
                if (rest[n] in "（(" or rest[n - 1] in "）)、，") and text_width(rest[:n]) <= width]
        if near:
            cut = min(near, key=lambda n: abs(n - size))
        while 1 < cut < len(rest) and rest[cut] in "）)】」，、。：；%":   # no line starts with closing punctuation
            cut -= 1
        parts.append(rest[:cut])
        rest = rest[cut:]
    if rest:
        if text_width(rest) > width:
            while rest and text_width(rest + "…") > width:
                rest = rest[:-1]
            rest += "…"
        parts.append(rest)
    return parts


def _text(x: float, y: float, text: str, anchor: str = "", cls: str = "", size: int = FONT) -> str:
    attrs = f' text-anchor="{anchor}"' if anchor else ""
    attrs += f' class="{cls}"' if cls else ""
    attrs += f' font-size="{size}"' if size != FONT else ""
    return f'<text x="{x:g}" y="{y:g}"{attrs}>{_escape(text)}</text>'


def _fill(prefix: str, index: int) -> str:
    return f"url(#{prefix}-hatch)" if index == 2 else COLOURS[index]


def _defs(prefix: str, series: int) -> str:
    if series < 3:
        return ""
    return (f'<defs><pattern id="{prefix}-hatch" width="7" height="7" patternUnits="userSpaceOnUse" '
            f'patternTransform="rotate(45)"><rect width="7" height="7" fill="{COLOURS[2]}"/>'
            f'<rect width="2.5" height="7" fill="#fff"/></pattern></defs>')


def _marker(prefix: str, index: int, x: float, y: float, extra: str = "") -> str:
    """A trend line's point: a circle for the first series, a square for the second (told apart
    without colour)."""
    shape = f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5.5"' if index == 0 else \
        f'<rect x="{x - 5.5:.1f}" y="{y - 5.5:.1f}" width="11" height="11"'
    return f'{shape} fill="{_fill(prefix, index)}" stroke="{INK}"{extra}/>'


def _legend(prefix: str, labels: list[str], y: float, lines: bool = False) -> tuple[str, float]:
    """Swatches (or line samples) and labels in rows across the top; returns (markup, height)."""
    if len(labels) < 2:
        return "", 0
    parts, x, row = [], 0.0, 0
    sample = 30 if lines else 16
    for index, label in enumerate(labels):
        width = sample + 6 + text_width(label) + 18
        if x and x + width > WIDTH:
            x, row = 0.0, row + 1
        top = y + row * LINE
        if lines:
            dash = ' stroke-dasharray="8 5"' if index else ""
            parts.append(f'<line x1="{x:g}" x2="{x + sample:g}" y1="{top + 11:g}" y2="{top + 11:g}" '
                         f'stroke="{COLOURS[index]}" stroke-width="3"{dash}/>' + _marker(prefix, index, x + sample / 2, top + 11))
        else:
            parts.append(f'<rect x="{x:g}" y="{top + 3:g}" width="16" height="16" fill="{_fill(prefix, index)}" '
                         f'stroke="{INK}"/>')
        parts.append(_text(x + sample + 6, top + 17, label))
        x += width
    return "".join(parts), (row + 1) * LINE + 8


def _svg(prefix: str, title: str, desc: str, height: float, body: str, series: int) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height:g}" width="{WIDTH}" '
            f'height="{height:g}" role="img" aria-labelledby="{prefix}-t {prefix}-d" focusable="false" '
            f'font-size="{FONT}" fill="{INK}">'
            f'<title id="{prefix}-t">{_escape(title)}</title><desc id="{prefix}-d">{_escape(desc)}</desc>'
            f'{_defs(prefix, series)}{body}</svg>')


def _data_table(prefix: str, title: str, head: list[str], rows: list[tuple[str, list[tuple[str, str, str]]]]) -> str:
    """The chart's numbers under it: ``rows`` of (label, [(text, series key, raw value)])."""
    ths = "".join(f'<th scope="col">{_escape(h)}</th>' for h in head)
    body = []
    for label, cells in rows:
        tds = "".join(f'<td class="num"{f" data-series={chr(34)}{_escape(key)}{chr(34)}" if key else ""}'
                      f'{f" data-value={chr(34)}{_escape(raw)}{chr(34)}" if raw else ""}>{_escape(text)}</td>'
                      for text, key, raw in cells)
        body.append(f'<tr><th scope="row">{_escape(label)}</th>{tds}</tr>')
    return (f'<details class="chart-data"><summary>图表数据<span class="vh">：{_escape(title)}</span></summary>'
            f'<div class="table-scroll" role="region" aria-label="{_escape(title)}：图表数据" tabindex="0">'
            f'<table class="plain"><thead><tr>{ths}</tr></thead><tbody>{"".join(body)}</tbody></table></div></details>')


def _figure(prefix: str, chart_id: str, title: str, unit: str, svg: str, table: str, note: str = "") -> Markup:
    unit_text = f'<span class="chart-unit">单位：{_escape(unit)}</span>' if unit else ""
    note_text = f'<p class="note">{_escape(note)}</p>' if note else ""
    return Markup(f'<figure class="chart" id="{prefix}" data-chart="{_escape(chart_id)}">'
                  f'<figcaption>{_escape(title)}{unit_text}</figcaption>{svg}{note_text}{table}</figure>')


# -- bar charts from a profile's ``charts:`` ------------------------------------------------------

@dataclass
class ChartRow:
    """One category: its label, one value per series (None: not given), and what the bar shows."""

    label: str
    values: list[Decimal | None]
    rate: str | None = None
    total: Decimal | None = None        # stacked: the table's own total column


@dataclass
class BarChart:
    id: str
    title: str
    unit: str
    series: list[str]
    rows: list[ChartRow]
    stacked: bool = False
    rate_label: str = ""
    format: str = "money"
    prefix: str = field(init=False)

    def __post_init__(self) -> None:
        self.prefix = _escape(f"chart-{self.id}")   # markup: the ids of the figure and its parts

    def number(self, value: Decimal | None) -> str:
        if value is None:
            return "—"
        return plain_number(value) if self.format == "score" else money(value)

    def end_value(self, row: ChartRow) -> Decimal:
        """The figure printed at the end of a stacked bar: the table's total, or the sum."""
        return row.total if row.total is not None else sum((v or Decimal(0) for v in row.values), Decimal(0))

    @property
    def description(self) -> str:
        unit = f"，单位：{self.unit}" if self.unit else ""
        what = "、".join(self.series)
        shape = "堆叠横条" if self.stacked else "横条"
        top = max(self.rows, key=lambda r: self.end_value(r) if self.stacked else max(v or 0 for v in r.values))
        return (f"{shape}图，{len(self.rows)}项，每项显示{what}{unit}。数值最大的是{top.label}。"
                f"各项数字见图下“图表数据”表。")

    @property
    def svg(self) -> str:
        return _bars_svg(self)

    @property
    def html(self) -> Markup:
        head = ["项目", *(f"{s}" for s in self.series)]
        if self.stacked:
            head.append("合计")
        if self.rate_label:
            head.append(self.rate_label)
        rows = []
        for row in self.rows:
            cells = [(self.number(v), str(n), "" if v is None else f"{v}") for n, v in enumerate(row.values)]
            if self.stacked:
                cells.append((self.number(self.end_value(row)), "total", f"{self.end_value(row)}"))
            if self.rate_label:
                cells.append((row.rate or "—", "", ""))
            rows.append((row.label, cells))
        return _figure(self.prefix, self.id, self.title, self.unit, self.svg,
                       _data_table(self.prefix, self.title, head, rows))


def _bars_svg(chart: BarChart) -> str:
    prefix, series = chart.prefix, len(chart.series)
    legend, y = _legend(prefix, chart.series, 0)
    values = [chart.end_value(r) if chart.stacked else v or Decimal(0) for r in chart.rows
              for v in ([None] if chart.stacked else r.values)]
    top = max([*values, Decimal(0)]) or Decimal(1)
    texts = [chart.number(chart.end_value(r)) for r in chart.rows] if chart.stacked else \
        [chart.number(v) for r in chart.rows for v in r.values]
    value_width = max(text_width(t) for t in texts) + GAP
    x0 = 1.0
    span = WIDTH - x0 - value_width - 2
    scale = span / float(top)
    out = [legend]
    for row in chart.rows:
        lines = wrap_label(row.label)
        out.append("<g>")
        out.extend(_text(0, y + FONT - 1 + n * LINE, line) for n, line in enumerate(lines))
        bar_y = first = y + len(lines) * LINE + 2
        if chart.stacked:
            x: float = x0
            for n, value in enumerate(row.values):
                width = max(float(value or 0), 0) * scale
                if width:
                    out.append(f'<rect x="{x:.1f}" y="{bar_y:g}" width="{width:.1f}" height="{BAR}" '
                               f'fill="{_fill(prefix, n)}" stroke="{INK}" data-series="{n}" data-value="{value}"/>')
                x += width
            out.append(_text(x + 4, bar_y + FONT - 2, chart.number(chart.end_value(row)), cls="value"))
            bar_y += BAR + BAR_GAP
        elif not any(row.values):
            out.append(_text(x0 + 4, bar_y + FONT - 2, "均为" + chart.number(Decimal(0)), cls="value"))
            bar_y += BAR + BAR_GAP
        else:
            for n, value in enumerate(row.values):
                width = max(float(value or 0), 0) * scale
                if width:
                    out.append(f'<rect x="{x0:g}" y="{bar_y:g}" width="{width:.1f}" height="{BAR}" '
                               f'fill="{_fill(prefix, n)}" stroke="{INK}" data-series="{n}" data-value="{value}"/>')
                out.append(_text(x0 + width + 4, bar_y + FONT - 2, chart.number(value), cls="value"))
                bar_y += BAR + BAR_GAP
        # the axis beside this category's bars (the label above them leaves it no room to run on)
        out.append(f'<line x1="{x0 - 0.5:g}" x2="{x0 - 0.5:g}" y1="{first - 2:g}" y2="{bar_y - BAR_GAP + 2:g}" stroke="{MUTED}"/>')
        if chart.rate_label and row.rate:
            bar_y += 2
            out.append(_text(x0, bar_y + FONT - 2, f"{chart.rate_label} {row.rate}", cls="rate"))
            bar_y += LINE
        out.append("</g>")
        y = bar_y - BAR_GAP + GROUP_GAP
    return _svg(prefix, chart.title, chart.description, y - GROUP_GAP + 6, "".join(out), series)


def _input(doc: Document, path: str) -> Decimal | None:
    """An input of document.yaml by dotted path; None when it is not given."""
    node = doc.input_at(path)
    if node is None or node == "" or is_placeholder(node):
        return None   # not given, or still 【待填写】 (a draft in the preview; build refuses it)
    try:
        return parse_decimal(node)
    except ValueError as exc:
        raise ContentError(doc.path / "document.yaml", f"inputs.{path}：{exc}") from None


def _find_row(table: Table, row: str | int | None) -> Row | None:
    if row is None:
        return table.first_row
    return table.at_line(row) if isinstance(row, int) else table.find(row)


def _rows_table(doc: Document, spec: ChartSpec) -> Table:
    """The table whose rows are the chart's categories (level1, group): such a chart names it
    (profiles._parse_chart refuses one that does not)."""
    if spec.table is None:
        raise KeyError(f"图“{spec.id}”没有 table")
    return doc.table(spec.table)


def _cell(row: Row | None, column: str) -> Decimal | None:
    return row.amount(column) if row is not None else None


def _rate(kind: str, part: Decimal | None, whole: Decimal | None) -> str | None:
    if part is None or whole is None:
        return None
    if kind == "growth":
        change = Change(part, whole)
        return "与上年相同" if change.same else (f"{change.rate_word}{change.rate}" if change.rate else None)
    return percent(part, whole)


def chart_rows(doc: Document, spec: ChartSpec) -> list[ChartRow]:
    """The categories of a chart with their values, as the profile names them."""
    rows: list[ChartRow] = []

    def values(key: str, row: Row | None, column: str | None = None) -> list[Decimal | None]:
        found = []
        for s in spec.series:
            if s.input is not None:
                found.append(_input(doc, s.input.replace("{key}", key)))
            else:
                found.append(_cell(row, (s.column or column or "").replace("{key}", key)))
        return found

    if spec.categories == "level1":
        for row in _rows_table(doc, spec).rows_at_level(1):
            rows.append(ChartRow(row.name, values(row.code, row), total=row.amount(spec.total) if spec.total else None))
    elif isinstance(spec.categories, tuple) and spec.categories and spec.categories[0] == "group":
        groups: dict[str, ChartRow] = {}
        for row in _rows_table(doc, spec).data_rows:
            label = row.cells.get(spec.categories[1])
            if row.computed or row.is_total or not isinstance(label, str) or not label:
                continue
            found = values(label, row)
            item = groups.setdefault(label, ChartRow(label, [Decimal(0) if v is not None else None for v in found]))
            item.values = [None if a is None or b is None else a + b for a, b in zip(item.values, found, strict=True)]
        rows = list(groups.values())
    else:
        for category in spec.listed:
            found_row = _find_row(doc.table(category.table), category.row)
            rows.append(ChartRow(fill_year(category.label, doc.year), values(category.key, found_row, category.column)))
        return rows   # listed categories are kept even when zero: the profile asked for them
    return [r for r in rows if any(r.values)]


def document_chart(doc: Document, spec: ChartSpec) -> BarChart | None:
    """One chart of a disclosure, or None when it has nothing to show (本表无数据, all zero)."""
    rows = chart_rows(doc, spec)
    keep = [n for n in range(len(spec.series)) if any(r.values[n] is not None for r in rows)]
    if not rows or not any(v for r in rows for v in r.values):
        return None
    if spec.rate:
        label, part, whole, kind = spec.rate
        for row in rows:
            row.rate = _rate(kind, row.values[part], row.values[whole])
        if not all(n in keep for n in (part, whole)) or not any(r.rate for r in rows):
            spec = replace(spec, rate=None)
    for row in rows:
        row.values = [row.values[n] for n in keep]
    table = doc.table(spec.table or spec.listed[0].table)
    unit = UNIT.get(spec.format, table.spec.unit)
    return BarChart(spec.id, fill_year(spec.title, doc.year), unit,
                    [fill_year(spec.series[n].label, doc.year) for n in keep], rows, spec.stacked,
                    fill_year(spec.rate[0], doc.year) if spec.rate else "", spec.format)


def document_charts(doc: Document) -> list[BarChart]:
    """The profile's charts of a disclosure that have something to show, in profile order."""
    return [chart for spec in doc.profile.charts if (chart := document_chart(doc, spec)) is not None]


# -- a department's figures over its years ---------------------------------------------------------

@dataclass
class TrendChart:
    """Lines of figures over years: ``series`` is [(label, {year: (value, text)})], one unit."""

    id: str
    title: str
    unit: str
    years: list[int]
    series: list[tuple[str, dict[int, tuple[Decimal, str]]]]

    @property
    def prefix(self) -> str:
        return _escape(f"chart-{self.id}")   # markup: the ids of the figure and its parts

    @property
    def description(self) -> str:
        names = "、".join(label for label, _ in self.series)
        return (f"折线图：{self.years[0]}年至{self.years[-1]}年各年度的{names}，单位：{self.unit}。"
                f"各年数字见图下“图表数据”表。")

    @property
    def svg(self) -> str:
        return _trend_svg(self)

    @property
    def html(self) -> Markup:
        head = ["年度", *(label for label, _ in self.series)]
        rows = [(f"{year}年", [(points[year][1], str(n), f"{points[year][0]}") if year in points else ("—", "", "")
                              for n, (_, points) in enumerate(self.series)]) for year in self.years]
        return _figure(self.prefix, self.id, self.title, self.unit, self.svg,
                       _data_table(self.prefix, self.title, head, rows))


def _nice_top(value: Decimal) -> tuple[float, float]:
    """An axis top above ``value`` and its tick step (1, 2 or 5 × 10ⁿ, four or five ticks)."""
    high = float(value) or 1.0
    step = 10 ** (len(str(int(high / 4))) - 1) if high >= 4 else 1.0
    for factor in (1, 2, 2.5, 5, 10):
        if high / (step * factor) <= 5:
            step *= factor
            break
    top = step * -(-high // step)
    return top, step


def _trend_svg(chart: TrendChart) -> str:
    prefix = chart.prefix
    legend, top_y = _legend(prefix, [label for label, _ in chart.series], 0, lines=True)
    values = [v for _, points in chart.series for v, _ in points.values()]
    top, step = _nice_top(max(values))
    ticks = [step * n for n in range(int(round(top / step)) + 1)]
    tick_texts = [f"{t:,.0f}" if step >= 1 else f"{t:,.2f}" for t in ticks]
    left = max(text_width(t) for t in tick_texts) + 10
    right = WIDTH - 44      # room for the last year's label and value
    plot_top, plot_bottom = top_y + 14, top_y + 14 + 200
    out = [legend]

    def ty(value: float) -> float:
        return plot_bottom - (value / top) * (plot_bottom - plot_top)

    xs = {year: left + 40 + (right - left - 40) * (n / max(1, len(chart.years) - 1)) if len(chart.years) > 1
          else (left + right) / 2 for n, year in enumerate(chart.years)}
    spacing = (right - left - 40) / max(1, len(chart.years) - 1)
    # a year's label where it has room (every second or third one when they crowd), and the
    # points' values only when they cannot run into their neighbours' (the data table has all)
    every = -(-(text_width("2000年") + 6) // spacing)
    for tick, text in zip(ticks, tick_texts, strict=True):
        y = ty(tick)
        out.append(f'<line x1="{left:g}" x2="{WIDTH:g}" y1="{y:.1f}" y2="{y:.1f}" stroke="#d0d0d0"/>')
        out.append(_text(left - 6, y + 6, text, anchor="end", cls="tick"))
    out.append(f'<line x1="{left:g}" x2="{WIDTH:g}" y1="{plot_bottom:g}" y2="{plot_bottom:g}" stroke="{MUTED}"/>')
    for n, (year, x) in enumerate(xs.items()):
        if n % every == 0:
            out.append(_text(x, plot_bottom + FONT + 4, f"{year}年", anchor="middle"))
    labelled = spacing >= max(text_width(text) for _, points in chart.series for _, text in points.values()) + 6
    for n, (_, points) in enumerate(chart.series):
        colour = COLOURS[n]
        coords = [(xs[year], ty(float(points[year][0])), year) for year in chart.years if year in points]
        dash = ' stroke-dasharray="8 5"' if n else ""
        if len(coords) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in coords)
            out.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="3"{dash}/>')
        for x, y, year in coords:
            value, text = points[year]
            out.append(_marker(prefix, n, x, y, f' data-series="{n}" data-year="{year}" data-value="{value}"'))
            if labelled:
                others = [float(p[year][0]) for _, p in chart.series if year in p]
                above = float(value) >= max(others)
                out.append(_text(x, y - 12 if above else y + FONT + 8, text, anchor="middle", cls="value"))
    height = plot_bottom + FONT + 12
    return _svg(prefix, chart.title, chart.description, height, "".join(out), len(chart.series))


def trend_chart(chart_id: str, title: str, series: list[tuple[str, list[tuple[int, Decimal, str, str]]]]) -> TrendChart | None:
    """A trend line of figures by year, or None with fewer than two years to join. ``series`` is
    [(label, [(year, value, text, unit)])]; only figures in the first series' unit are drawn (a
    line never joins 元 and 万元), and a series needs two years to be a line."""
    unit = next((p[3] for _, points in series for p in points), "")
    kept = []
    for label, points in series:
        same = {year: (value, text) for year, value, text, u in points if u == unit}
        if len(same) == len(points) and len(same) >= 2:
            kept.append((label, same))
    years = sorted({year for _, points in kept for year in points})
    if not kept or len(years) < 2:
        return None
    return TrendChart(chart_id, title, unit, years, kept[:len(COLOURS) - 1])
