"""Charts as SVG strings, for the dashboards and the PDF reports alike.

Every function takes plain numbers and labels (scores 0-100, None where there is none) and returns
Markup holding one ``<svg role="img">`` with a title and a description. The page or report puts
the same figures in a table beside it, for screen readers and for print.

Dashboards and report contexts hold a :class:`Chart` (which chart, with its plain arguments)
instead of the SVG: a chart is drawn only where it is shown (``{{ chart }}`` in a template draws
it, in the reader's language), and a stored report is found by its data alone.
Colours come from CSS classes (``chart-*``) with inline fallbacks, so reports can restyle them.
"""

from __future__ import annotations

import base64
import math
import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

import pyphen
from flask_babel import format_percent
from flask_babel import gettext as _
from markupsafe import Markup, escape

from surveyapp.numbers import format_score, rounded_score

REGION = "#1f5fa8"
MEDIAN = "#6b6b6b"
BAND = "#d9e3ef"
FONT = 'font-family="system-ui, sans-serif"'
#: The radar's rings, each labelled with its score.
SCALE_RINGS = (0, 20, 40, 60, 80, 100)


@dataclass(frozen=True)
class Axis:
    label: str
    value: float | None
    median: float | None = None
    q1: float | None = None
    q3: float | None = None


def _number(value: float) -> str:
    """A coordinate (or an axis tick), as SVG writes it."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _score(value: float) -> str:
    """A score written in a chart, as the tables beside it write it: one decimal, in the
    reader's language."""
    return format_score(value)


def _svg(width: int, height: int, title: str, description: str, body: list[str]) -> Markup:
    # Every label and number above went through escape() or _number(): safe to mark.
    return Markup(  # noqa: S704
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" class="chart" {FONT}>'
        f"<title>{escape(title)}</title><desc>{escape(description)}</desc>"
        + "".join(body)
        + "</svg>"
    )


def _text(x: float, y: float, label: str, anchor: str = "start", size: int = 11, width=24) -> str:
    """A label wrapped to lines of about ``width`` characters, vertically centred on y (a word
    is never cut: a German compound longer than a line keeps its line)."""
    lines = _lines(label, width)
    first = y - (len(lines) - 1) * size * 0.6
    spans = "".join(
        f'<tspan x="{_number(x)}" y="{_number(first + i * size * 1.2)}">{escape(line)}</tspan>'
        for i, line in enumerate(lines)
    )
    return (
        f'<text font-size="{size}" text-anchor="{anchor}" dominant-baseline="middle">{spans}</text>'
    )


def _lines(label: str, width: int) -> list[str]:
    return textwrap.wrap(label, width, break_long_words=False) or [""]


#: About how wide a character of the charts' sans-serif font is, as a share of its size.
CHARACTER_WIDTH = 0.58


#: A wider estimate, for text that must never run past its room (labels of the sans-serif
#: font run up to this share of the size for a line of mostly lower-case words).
WIDEST_CHARACTER = 0.64


def _characters_in(room: float, size: int) -> int:
    """How many characters of a label of ``size`` px surely fit in ``room`` pixels."""
    return max(8, int(room / (WIDEST_CHARACTER * size)))


def hyphenated(label: str, per_line: int, lang: str | None) -> str:
    """``label`` with each word longer than ``per_line`` characters cut at hyphenation points
    of ``lang`` into parts that fit ("Forschungs- einrichtungen"); unchanged where ``lang``
    has no hyphenation rules or no point helps."""
    try:
        rules = pyphen.Pyphen(lang=lang) if lang else None
    except KeyError:
        rules = None
    if rules is None:
        return label
    words = []
    for word in label.split():
        while len(word) > per_line:
            cuts = [pair for pair in rules.iterate(word) if len(pair[0]) + 1 <= per_line]
            if not cuts:
                break
            # The cut that leaves a rest that fits, into parts of the most even length (the
            # shorter first part on a tie): German compounds then break where their words
            # meet ("Technologie-einführung", not "Technologieein-führung").
            left, word = min(
                cuts,
                key=lambda pair: (
                    len(pair[1]) > per_line,
                    abs(len(pair[0]) + 1 - len(pair[1])),
                    len(pair[0]),
                ),
            )
            words.append(left + "-")
        words.append(word)
    return " ".join(words)


def _fitting_size(labels: Sequence[str], room: float, largest: int, smallest: int = 6) -> int:
    """The largest font size (px, ``smallest`` at least) at which the longest word of the
    labels fits in ``room`` pixels."""
    longest = max((len(word) for label in labels for word in label.split()), default=1)
    return max(smallest, min(largest, int(room / (CHARACTER_WIDTH * longest))))


def _row_height(labels: Sequence[str], width: int, minimum: int) -> int:
    """Tall enough for the longest wrapped label."""
    lines = max((len(_lines(label, width)) for label in labels), default=1)
    return max(minimum, 14 * lines + 10)


def _present(value: float | None) -> bool:
    return value is not None and not math.isnan(value)


@dataclass(frozen=True)
class Legend:
    """What the radar's three marks stand for, in the reader's words."""

    region: str
    median: str
    band: str
    scale: str = ""


def radar(
    axes: Sequence[Axis], title: str, description: str, legend: Legend | None = None
) -> Markup:
    """The region's profile over the axes, with the peer median and quartile band.

    A legend below the drawing names each mark that is drawn (the band and the median only
    where there are peers enough) and says what the rings' numbers are.

    :param legend: the marks' names; the default is generic ("Region", "Peer median", ...).
    """
    legend = legend or Legend(
        _("Region"),
        _("Peer median"),
        _("Middle half of the peers (first to third quartile)"),
    )
    scale_note = legend.scale or _("Rings: score from 0 to 100, every 20 points")
    width, plot_height, radius = 660, 500, 170
    centre_x, centre_y = width / 2, plot_height / 2
    count = max(len(axes), 3)

    def point(index: int, value: float) -> tuple[float, float]:
        angle = -math.pi / 2 + 2 * math.pi * index / count
        distance = radius * max(0.0, min(100.0, value)) / 100
        return centre_x + distance * math.cos(angle), centre_y + distance * math.sin(angle)

    def polygon(values: list[float | None]) -> str | None:
        if not values or not all(_present(v) for v in values):
            return None
        return " ".join(
            f"{_number(x)},{_number(y)}" for x, y in (point(i, v) for i, v in enumerate(values))
        )

    body = []
    for level in SCALE_RINGS[1:]:
        ring = polygon([level] * len(axes))
        body.append(f'<polygon points="{ring}" fill="none" stroke="#ddd" stroke-width="1"/>')
    for index, axis in enumerate(axes):
        x, y = point(index, 100)
        body.append(
            f'<line x1="{_number(centre_x)}" y1="{_number(centre_y)}" x2="{_number(x)}" '
            f'y2="{_number(y)}" stroke="#ddd"/>'
        )
        lx, ly = point(index, 112)
        if abs(lx - centre_x) < 10:
            anchor = "middle"
            # Clear of the scale's "100" on the upward axis.
            ly += -20 if ly < centre_y else 12
        else:
            anchor = "start" if lx > centre_x else "end"
        body.append(_text(lx, ly, axis.label, anchor))
    outer = polygon([a.q3 for a in axes])
    inner = polygon([a.q1 for a in axes])
    if outer and inner:
        body.append(
            f'<path class="chart-band" d="M{outer}Z M{inner}Z" fill="{BAND}" '
            'fill-rule="evenodd" stroke="none"/>'
        )
    median = polygon([a.median for a in axes])
    if median:
        body.append(
            f'<polygon class="chart-median" points="{median}" fill="none" stroke="{MEDIAN}" '
            'stroke-width="1.5" stroke-dasharray="5 3"/>'
        )
    own = polygon([a.value if _present(a.value) else 0.0 for a in axes])
    body.append(
        f'<polygon class="chart-region" points="{own}" fill="{REGION}" fill-opacity="0.18" '
        f'stroke="{REGION}" stroke-width="2"/>'
    )
    # The scale along the first (upward) axis, drawn last so that no area covers it: a reader
    # can tell 40 from 60 without a table (issue 20, defect 14).
    for level in SCALE_RINGS:
        _x, y = point(0, level)
        body.append(
            f'<text class="chart-scale" x="{_number(centre_x + 4)}" y="{_number(y)}" '
            f'font-size="10" fill="#444" dominant-baseline="middle">{level}</text>'
        )
    keys = [(_swatch("region"), legend.region)]
    if median:
        keys.append((_swatch("median"), legend.median))
    if outer and inner:
        keys.append((_swatch("band"), legend.band))
    y = plot_height - 16  # below the lowest axis label
    for swatch, label in keys:
        lines = len(_lines(label, LEGEND_WRAP))
        y += 6 * lines + 4
        body.append(
            f'<g class="chart-legend" transform="translate({LEGEND_X} {_number(y)})">{swatch}'
            + _text(30, 0, label, width=LEGEND_WRAP)
            + "</g>"
        )
        y += 6 * lines + 4
    body.append(
        f'<text class="chart-legend" x="{LEGEND_X}" y="{_number(y + 10)}" font-size="10" '
        f'fill="#444" dominant-baseline="middle">{escape(scale_note)}</text>'
    )
    return _svg(width, round(y + 22), title, description, body)


#: The radar's legend: left edge and the characters of an 11 px label per line.
LEGEND_X, LEGEND_WRAP = 40, 90


def _swatch(mark: str) -> str:
    """A radar mark as its legend shows it, 24 px wide, centred on y=0."""
    if mark == "region":
        return (
            f'<rect class="chart-region" x="0" y="-6" width="24" height="12" fill="{REGION}" '
            f'fill-opacity="0.18" stroke="{REGION}" stroke-width="2"/>'
        )
    if mark == "median":
        return (
            f'<line class="chart-median" x1="0" y1="0" x2="24" y2="0" stroke="{MEDIAN}" '
            'stroke-width="1.5" stroke-dasharray="5 3"/>'
        )
    return f'<rect class="chart-band" x="0" y="-6" width="24" height="12" fill="{BAND}"/>'


def _percent(share: float) -> str:
    return format_percent(share / 100)


#: How a bar's value is written: a score (one decimal) or a share in percent.
VALUE_TEXTS = {"score": _score, "percent": _percent}


def bars(
    axes: Sequence[Axis], title: str, description: str, width: int = 640, value_text="score"
) -> Markup:
    """One horizontal bar per axis, with the peer quartile band and a median tick.

    :param value_text: how a bar's value is written: "score" (one decimal) or "percent".
    """
    value_text = VALUE_TEXTS[value_text]
    label_width, top = 260, 10
    wrap = _characters_in(label_width - 12, 11)
    row = _row_height([axis.label for axis in axes], wrap, 40)
    plot = width - label_width - 50
    height = top + row * len(axes) + 24
    body = []
    for level in (0, 25, 50, 75, 100):
        x = label_width + plot * level / 100
        body.append(
            f'<line x1="{_number(x)}" y1="{top}" x2="{_number(x)}" '
            f'y2="{height - 20}" stroke="#e5e5e5"/>'
            f'<text x="{_number(x)}" y="{height - 6}" font-size="10" '
            f'text-anchor="middle">{level}</text>'
        )
    for index, axis in enumerate(axes):
        y = top + index * row
        body.append(_text(label_width - 8, y + row / 2, axis.label, "end", width=wrap))
        if _present(axis.q1) and _present(axis.q3):
            x1 = label_width + plot * axis.q1 / 100
            body.append(
                f'<rect class="chart-band" x="{_number(x1)}" y="{_number(y + row / 2 - 13)}" '
                f'width="{_number(plot * (axis.q3 - axis.q1) / 100)}" height="26" '
                f'fill="{BAND}"/>'
            )
        if _present(axis.value):
            body.append(
                f'<rect class="chart-region" x="{label_width}" y="{_number(y + row / 2 - 8)}" '
                f'width="{_number(plot * axis.value / 100)}" height="16" fill="{REGION}"/>'
                f'<text x="{_number(label_width + plot * axis.value / 100 + 4)}" y="{y + row / 2}" '
                f'font-size="10" dominant-baseline="middle">{escape(value_text(axis.value))}</text>'
            )
        if _present(axis.median):
            x = label_width + plot * axis.median / 100
            body.append(
                f'<line class="chart-median" x1="{_number(x)}" y1="{_number(y + row / 2 - 15)}" '
                f'x2="{_number(x)}" y2="{_number(y + row / 2 + 15)}" stroke="{MEDIAN}" '
                'stroke-width="2"/>'
            )
    return _svg(width, height, title, description, body)


@dataclass(frozen=True)
class Series:
    label: str
    values: Sequence[float | None]
    dashed: bool = False


def lines(
    x_labels: Sequence[str],
    series: Sequence[Series],
    title: str,
    description: str,
    width: int = 560,
    height: int = 240,
    y_title: str | None = None,
    provisional: Sequence[bool] = (),
    provisional_label: str = "",
) -> Markup:
    """Scores across rounds; one line per series, gaps where a value is missing.

    :param y_title: what the vertical axis measures, written along it.
    :param provisional: per round, whether its points are provisional (not validated): drawn
        hollow, and ``provisional_label`` says so in the legend.
    """
    left, right, top, bottom = 90, 190, 10, 30
    plot_w, plot_h = width - left - right, height - top - bottom
    step = plot_w / max(len(x_labels) - 1, 1)
    body = []
    if y_title:
        body.append(
            f'<text transform="rotate(-90)" x="{_number(-(top + plot_h / 2))}" y="16" '
            f'font-size="10" text-anchor="middle">{escape(y_title)}</text>'
        )
    for level in (0, 25, 50, 75, 100):
        y = top + plot_h * (1 - level / 100)
        body.append(
            f'<line x1="{left}" y1="{_number(y)}" x2="{left + plot_w}" y2="{_number(y)}" '
            f'stroke="#e5e5e5"/><text x="{left - 6}" y="{_number(y)}" font-size="10" '
            f'text-anchor="end" dominant-baseline="middle">{level}</text>'
        )
    for index, label in enumerate(x_labels):
        body.append(
            f'<text x="{_number(left + index * step)}" y="{height - 10}" font-size="10" '
            f'text-anchor="middle">{escape(label)}</text>'
        )
    palette = [REGION, MEDIAN, "#b5651d", "#2e8b57", "#8b3a62"]
    for number, line in enumerate(series):
        colour = palette[number % len(palette)]
        points = [
            (left + i * step, top + plot_h * (1 - v / 100))
            for i, v in enumerate(line.values)
            if _present(v)
        ]
        dash = ' stroke-dasharray="5 3"' if line.dashed else ""
        if len(points) > 1:
            path = " ".join(f"{_number(x)},{_number(y)}" for x, y in points)
            body.append(
                f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>'
            )
        for i, value in enumerate(line.values):
            if not _present(value):
                continue
            x, y = left + i * step, top + plot_h * (1 - value / 100)
            hollow = i < len(provisional) and provisional[i]
            fill = (
                f'fill="#ffffff" stroke="{colour}" stroke-width="1.5"'
                if hollow
                else f'fill="{colour}"'
            )
            body.append(f'<circle cx="{_number(x)}" cy="{_number(y)}" r="3.5" {fill}/>')
        legend_y = top + 14 + number * 16
        body.append(
            f'<line x1="{width - right + 10}" y1="{legend_y}" x2="{width - right + 28}" '
            f'y2="{legend_y}" stroke="{colour}" stroke-width="2"{dash}/>'
            f'<text x="{width - right + 32}" y="{legend_y}" font-size="10" '
            f'dominant-baseline="middle">{escape(line.label)}</text>'
        )
    if any(provisional) and provisional_label:
        legend_y = top + 14 + len(series) * 16
        wrap = _characters_in(right - 36, 10)
        # Its first line beside the mark, the others below it (centred on the mark, a label of
        # several lines ran over the legend's line above).
        below = (len(_lines(provisional_label, wrap)) - 1) * 10 * 0.6
        body.append(
            f'<circle cx="{width - right + 19}" cy="{legend_y}" r="3.5" fill="#ffffff" '
            f'stroke="{REGION}" stroke-width="1.5"/>'
            + _text(width - right + 32, legend_y + below, provisional_label, size=10, width=wrap)
        )
    return _svg(width, height, title, description, body)


def heat_map(
    row_labels: Sequence[str],
    column_labels: Sequence[str],
    values: Sequence[Sequence[float | str | None]],
    title: str,
    description: str,
    lang: str | None = None,
) -> Markup:
    """Rows (regions) by columns (aspects), cells shaded by score with the score written in.

    :param lang: the headings' language: a word longer than a heading's line is hyphenated
        by its rules ("Forschungs-" / "einrichtungen"), so that the headings keep a readable
        size; without it (or where it has no rules) the font shrinks until the word fits.
    """
    label_width, cell_w, cell_h, top = 190, 96, 20, 96
    width = label_width + cell_w * len(column_labels) + 4
    height = top + cell_h * len(row_labels) + 4
    body = []
    # Column headings at the largest size their words fit, long words hyphenated.
    largest = 9
    per_line = int((cell_w - 6) / (CHARACTER_WIDTH * largest))
    column_labels = [hyphenated(label, per_line, lang) for label in column_labels]
    size = _fitting_size(column_labels, cell_w - 6, largest=largest)
    per_line = int((cell_w - 6) / (CHARACTER_WIDTH * size))
    for index, label in enumerate(column_labels):
        x = label_width + index * cell_w + cell_w / 2
        body.append(_text(x, top - 44, label, "middle", size=size, width=per_line))
    for r, label in enumerate(row_labels):
        y = top + r * cell_h
        body.append(
            f'<text x="{label_width - 6}" y="{y + cell_h / 2}" font-size="10" text-anchor="end" '
            f'dominant-baseline="middle">{escape(label)}</text>'
        )
        for c, value in enumerate(values[r]):
            x = label_width + c * cell_w
            if isinstance(value, str):  # a word in place of a score, e.g. "n/a"
                fill, ink, text = "#ffffff", "#555555", escape(value)
            elif _present(value):
                fill = heat_colour(value)
                ink, text = ink_on(fill), _score(value)
            else:
                fill, ink, text = "#ffffff", "#555555", "\u2013"
            body.append(
                f'<rect x="{x}" y="{y}" width="{cell_w - 2}" height="{cell_h - 2}" '
                f'fill="{fill}" stroke="#ccc" stroke-width="0.5"/>'
                f'<text x="{_number(x + cell_w / 2)}" y="{y + cell_h / 2}" font-size="10" '
                f'fill="{ink}" text-anchor="middle" dominant-baseline="middle">{text}</text>'
            )
    return _svg(width, height, title, description, body)


#: The heat map's scale runs from white to REGION: a score of 0 has this share of REGION ...
HEAT_LIGHTEST = 0.12
#: ... and a score of 100 this one.
HEAT_DARKEST = 0.90


def heat_colour(score: float) -> str:
    """A heat-map cell's fill for ``score`` (0-100), opaque ("#rrggbb"): white blended with
    REGION, darker for higher scores.

    The score is rounded as the cell writes it first, so the scale has 1001 colours and two
    cells that show the same number have the same colour.
    """
    shown = min(max(float(rounded_score(score)), 0.0), 100.0)
    share = HEAT_LIGHTEST + (HEAT_DARKEST - HEAT_LIGHTEST) * shown / 100
    red, green, blue = (round(255 + (int(REGION[i : i + 2], 16) - 255) * share) for i in (1, 3, 5))
    return f"#{red:02x}{green:02x}{blue:02x}"


def luminance(colour: str) -> float:
    """The relative luminance of "#rrggbb" (WCAG 2.x)."""

    def linear(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    red, green, blue = (linear(int(colour[i : i + 2], 16)) for i in (1, 3, 5))
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def ink_on(fill: str) -> str:
    """Black or white text, whichever contrasts more with ``fill``.

    Between them the lower of the two contrasts is never under 4.58:1 (where black and white
    contrast equally, at a luminance of 0.179), so a number is readable on any colour of the
    scale (WCAG 1.4.3, 4.5:1); a dark grey in place of black would fall to 4.35:1 there.
    """
    lum = luminance(fill)
    return "#000000" if (lum + 0.05) / 0.05 >= 1.05 / (lum + 0.05) else "#ffffff"


@dataclass(frozen=True)
class Box:
    label: str
    q1: float | None
    median: float | None
    q3: float | None


def box_plots(
    boxes: Sequence[Box], title: str, description: str, width: int = 640, legend: str = ""
) -> Markup:
    """Distribution per row: a box from q1 to q3 and the median line in it.

    No whiskers: a group's minimum and maximum are one region's own scores (METHOD §7). A row
    with a median but no quartiles (5-9 regions) shows the median alone.

    :param legend: what the marks mean, written below the scale (printed reports have no other
        place for it).
    """
    label_width, top = 260, 10
    wrap = _characters_in(label_width - 12, 11)
    row = _row_height([box.label for box in boxes], wrap, 34)
    plot = width - label_width - 50
    legend_lines = _lines(legend, 100) if legend else []
    height = top + row * len(boxes) + 24

    def x(value: float) -> str:
        return _number(label_width + plot * value / 100)

    body = []
    for level in (0, 25, 50, 75, 100):
        body.append(
            f'<line x1="{x(level)}" y1="{top}" x2="{x(level)}" y2="{height - 20}" '
            f'stroke="#e5e5e5"/><text x="{x(level)}" y="{height - 6}" font-size="10" '
            f'text-anchor="middle">{level}</text>'
        )
    for index, box in enumerate(boxes):
        y = top + index * row
        middle = y + row / 2
        body.append(_text(label_width - 8, middle, box.label, "end", width=wrap))
        if not _present(box.median):
            continue
        if _present(box.q1) and _present(box.q3):
            body.append(
                f'<rect class="chart-band" x="{x(box.q1)}" y="{_number(middle - 11)}" '
                f'width="{_number(plot * (box.q3 - box.q1) / 100)}" height="22" '
                f'fill="{BAND}" stroke="{REGION}"/>'
            )
        body.append(
            f'<line class="chart-median" x1="{x(box.median)}" y1="{_number(middle - 11)}" '
            f'x2="{x(box.median)}" y2="{_number(middle + 11)}" stroke="{REGION}" '
            'stroke-width="2"/>'
            f'<text x="{_number(label_width + plot * box.median / 100 + 4)}" '
            f'y="{_number(middle - 14)}" font-size="9">{_score(box.median)}</text>'
        )
    if legend_lines:
        first = height + 8 + (len(legend_lines) - 1) * 6
        body.append(
            f'<g class="chart-legend" fill="#444">{_text(0, first, legend, size=10, width=100)}</g>'
        )
        height += 12 * len(legend_lines) + 8
    return _svg(width, height, title, description, body)


_TITLE = re.compile(r"<title>(.*?)</title>", re.S)


@dataclass(frozen=True)
class Chart:
    """A chart to draw where it is shown: its kind (one of DRAWN_BY) and its plain arguments.

    ``{{ chart }}`` in a template and ``str(chart)`` draw it; its repr is its data.
    """

    kind: str
    args: tuple
    options: tuple = ()

    def draw(self) -> Markup:
        return DRAWN_BY[self.kind](*self.args, **dict(self.options))

    def __html__(self) -> str:
        return self.draw()

    def image(self) -> Markup:
        """The same drawing as an ``<img>`` of its SVG, its title as the alternative text.

        For the PDF reports: WeasyPrint reads an SVG image with an XML parser, but inline SVG
        with its HTML parser, character by character. A working-group report's ten heat maps
        (600 elements each) cost 30% less CPU this way, drawn identically, their text still text.
        """
        svg = str(self.draw())
        title = _TITLE.search(svg)
        encoded = base64.b64encode(svg.encode()).decode("ascii")
        # The title was escaped when drawn, so it stays escaped inside the attribute.
        return Markup(  # noqa: S704
            f'<img class="chart" alt="{title.group(1) if title else ""}" '
            f'src="data:image/svg+xml;base64,{encoded}">'
        )

    def __str__(self) -> str:
        return str(self.draw())


def chart(kind: str, *args, **options) -> Chart:
    """The chart ``kind`` of ``args`` and ``options``, drawn later (see :class:`Chart`)."""
    if kind not in DRAWN_BY:
        raise ValueError(f"no chart {kind!r}; there are {', '.join(DRAWN_BY)}")
    return Chart(kind, args, tuple(sorted(options.items())))


DRAWN_BY = {
    "radar": radar,
    "bars": bars,
    "lines": lines,
    "heat_map": heat_map,
    "box_plots": box_plots,
}
