"""Charts are well-formed SVG with a title and description, and escape every label."""

import re
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from surveyapp.analysis import charts

NS = "{http://www.w3.org/2000/svg}"
EVIL = "<script>alert(1)</script> & a very long label that has to wrap onto several lines"


def render_all():
    axes = [charts.Axis(EVIL, 40, 50, 30, 70), charts.Axis("B", None), charts.Axis("C", 100, 20)]
    return {
        "radar": charts.radar(axes, "Radar", "desc"),
        "bars": charts.bars(axes, "Bars", "desc"),
        "lines": charts.lines(
            ["r1", "r2", "r3"], [charts.Series(EVIL, [10, None, 30])], "Lines", "desc"
        ),
        "heat": charts.heat_map([EVIL, "B"], ["x", EVIL], [[1, None], [50, 100]], "Heat", "d"),
        "boxes": charts.box_plots(
            [
                charts.Box(EVIL, 25, 50, 75),
                charts.Box("median only", None, 40, None),
                charts.Box("none", None, None, None),
            ],
            "Boxes",
            "desc",
        ),
    }


@pytest.mark.parametrize("name", ["radar", "bars", "lines", "heat", "boxes"])
def test_charts_are_valid_svg_with_text_alternatives(name):
    svg = render_all()[name]
    root = ET.fromstring(str(svg))  # noqa: S314 - our own output
    assert root.tag == f"{NS}svg" and root.get("role") == "img"
    assert root.find(f"{NS}title").text and root.find(f"{NS}desc").text
    assert "<script>" not in str(svg)
    text = " ".join("".join(t.itertext()) for t in root.iter(f"{NS}text"))
    assert "<script>alert(1)</script>" in text  # shown as text, escaped in the markup


def test_radar_marks_the_region_median_and_band():
    svg = str(charts.radar([charts.Axis(f"d{i}", 50, 40, 20, 60) for i in range(5)], "t", "d"))
    assert 'class="chart-region"' in svg
    assert 'class="chart-median"' in svg
    assert 'class="chart-band"' in svg


def test_distributions_never_draw_a_groups_minimum_or_maximum():
    """A box from q1 to q3 and the median; no whisker (each end is one region's own score)."""
    svg = charts.box_plots([charts.Box("a", 25, 50, 75), charts.Box("b", None, 40, None)], "t", "d")
    root = ET.fromstring(str(svg))  # noqa: S314 - our own output
    bands = [r for r in root.iter(f"{NS}rect") if r.get("class") == "chart-band"]
    medians = [line for line in root.iter(f"{NS}line") if line.get("class") == "chart-median"]
    assert len(bands) == 1 and len(medians) == 2
    lines = [line for line in root.iter(f"{NS}line") if line.get("class") is None]
    assert all(line.get("x1") == line.get("x2") for line in lines)  # grid lines only


@pytest.mark.parametrize(("value", "written"), [(40.25, "40.3"), (63.05 - 60.2, "2.9")])
def test_chart_scores_round_half_up_on_the_canonical_value(app, value, written):
    with app.test_request_context():
        svg = str(charts.bars([charts.Axis("a", value)], "Bars", "d"))
    values = [t.text for t in ET.fromstring(svg).iter(f"{NS}text")]  # noqa: S314
    assert written in values


def test_heat_map_writes_not_applicable_never_zero():
    svg = charts.heat_map(["r"], ["a", "b"], [["n/a", 50.0]], "Heat", "d")
    values = [t.text for t in ET.fromstring(str(svg)).iter(f"{NS}text")]  # noqa: S314
    assert "n/a" in values and "0.0" not in values


@pytest.mark.parametrize(("lang", "written"), [("en", ["42.9", "30.0"]), ("de", ["42,9", "30,0"])])
def test_scores_in_charts_are_written_as_the_tables_write_them(app, lang, written):
    """One decimal in the reader's language (issue 19, item 12), not "30" beside "42.9"."""
    from flask_babel import force_locale

    from surveyapp.numbers import format_score

    with app.test_request_context(), force_locale(lang):
        heat = str(charts.heat_map(["r"], ["a", "b"], [[42.9, 30.0]], "Heat", "d"))
        bars = str(charts.bars([charts.Axis("a", 42.9), charts.Axis("b", 30.0)], "Bars", "d"))
        expected = [format_score(value) for value in (42.9, 30.0)]
    assert expected == written
    for svg in (heat, bars):
        values = [t.text for t in ET.fromstring(svg).iter(f"{NS}text")]  # noqa: S314
        assert all(number in values for number in expected), values


def test_a_chart_kept_as_data_draws_the_same_svg_in_a_template_and_hashes_by_its_data(app):
    """Dashboards and report contexts hold charts.Chart: drawn where shown, keyed by data."""
    import json

    from jinja2 import Environment

    axes = [charts.Axis(EVIL, 40, 50, 30, 70), charts.Axis("B", None)]
    kept = charts.chart("bars", axes, "Bars", "desc", value_text="percent")
    with app.test_request_context():
        drawn = charts.bars(axes, "Bars", "desc", value_text="percent")
        template = Environment(autoescape=True).from_string("<div>{{ chart }}</div>")
        assert template.render(chart=kept) == f"<div>{drawn}</div>"
        assert str(kept) == str(drawn) and "%" in str(drawn)
    as_data = json.dumps({"chart": kept}, default=repr)
    assert "<svg" not in as_data and "percent" in as_data
    changed = charts.chart("bars", [charts.Axis(EVIL, 41, 50, 30, 70)], "Bars", "desc")
    assert json.dumps({"chart": changed}, default=repr) != as_data
    with pytest.raises(ValueError, match="no chart 'pie'"):
        charts.chart("pie", axes)


@pytest.mark.parametrize("title", [EVIL, "Plain", "Quotes \" and ' & <tags>"])
def test_a_chart_as_an_image_carries_the_same_svg_and_its_title_as_alternative_text(app, title):
    """Reports draw charts as <img> of their SVG: the same drawing, the title as alt text."""
    import base64

    axes = [charts.Axis("A", 40, 50, 30, 70), charts.Axis("B", None)]
    kept = charts.chart("bars", axes, title, "desc")
    with app.test_request_context():
        image = str(kept.image())
        drawn = str(kept.draw())
    assert image.startswith("<img ") and image.endswith(">")
    element = ET.fromstring(image[:-1] + "/>")  # noqa: S314 - our own markup, closed as XML
    assert element.tag == "img" and element.get("alt") == title
    source = element.get("src")
    assert source.startswith("data:image/svg+xml;base64,")
    assert base64.b64decode(source.split(",", 1)[1]).decode() == drawn


def legend_texts(svg) -> list[str]:
    root = ET.fromstring(str(svg))  # noqa: S314 - our own output
    legend = [g for g in root.iter() if g.get("class") == "chart-legend"]
    return [" ".join("".join(g.itertext()).split()) for g in legend]


def test_the_radar_has_a_legend_for_each_mark_it_draws_and_labelled_rings():
    """Issue 25, part 5: the region, the peers' median and their middle half are named in the
    drawing (page and PDF alike), and the rings carry their scores."""
    legend = charts.Legend("País Vasco", "Median of EU regions", "Middle half of EU regions")
    full = charts.radar([charts.Axis(f"d{i}", 50, 40, 20, 60) for i in range(6)], "t", "d", legend)
    assert legend_texts(full)[:3] == ["País Vasco", "Median of EU regions", legend.band]
    assert "0 to 100" in legend_texts(full)[-1]
    root = ET.fromstring(str(full))  # noqa: S314 - our own output
    scale = [t.text for t in root.iter(f"{NS}text") if t.get("class") == "chart-scale"]
    assert scale == ["0", "20", "40", "60", "80", "100"]
    swatches = [e.get("class") for g in root.iter() if g.get("class") == "chart-legend" for e in g]
    assert {"chart-region", "chart-median", "chart-band"} <= set(swatches)
    # Without peers enough there is no median and no band: the legend names neither.
    alone = charts.radar([charts.Axis(f"d{i}", 50) for i in range(6)], "t", "d", legend)
    assert legend_texts(alone)[0] == "País Vasco" and len(legend_texts(alone)) == 2
    # The legend sits below the drawing: inside the SVG, clear of the plot.
    assert float(root.get("height")) > 500


def test_the_radar_legend_has_words_of_its_own_without_the_dashboards(app):
    with app.test_request_context():
        svg = charts.radar([charts.Axis(f"d{i}", 50, 40, 20, 60) for i in range(3)], "t", "d")
    assert legend_texts(svg)[0] == "Region"


def wcag_contrast(a: str, b: str) -> float:
    from tests.test_stylesheet_contrast import contrast  # computed apart from the chart's own

    return contrast(a, b)


def test_every_colour_of_the_heat_map_scale_keeps_4_5_to_1_with_its_numbers():
    """The scale's colours are those of the 1001 scores a cell can write (0.0 to 100.0): each
    one with the ink the chart chooses for it keeps WCAG's 4.5:1 (issue 25, part 5)."""
    from decimal import Decimal

    colours = {charts.heat_colour(Decimal(tenths) / 10) for tenths in range(1001)}
    ratios = {colour: wcag_contrast(colour, charts.ink_on(colour)) for colour in colours}
    worst = min(ratios, key=ratios.get)
    assert ratios[worst] >= 4.5, (worst, ratios[worst])
    assert ratios[worst] >= 4.58  # the floor of black-or-white text (see charts.ink_on)
    # Still a scale: darker for higher scores, the lightest and darkest as before.
    shades = [charts.luminance(charts.heat_colour(score)) for score in range(101)]
    assert shades == sorted(shades, reverse=True)
    assert charts.heat_colour(0) == "#e4ecf5" and charts.heat_colour(100) == "#356fb1"


@given(st.floats(min_value=-5, max_value=105, allow_nan=False))
@settings(max_examples=300)
def test_any_score_gets_a_colour_of_the_scale_and_readable_ink(score):
    from decimal import Decimal

    from surveyapp.numbers import rounded_score

    colour = charts.heat_colour(score)
    assert wcag_contrast(colour, charts.ink_on(colour)) >= 4.5
    shown = min(max(rounded_score(score), Decimal(0)), Decimal(100))
    assert colour == charts.heat_colour(shown)  # the colour of the number the cell writes


def test_heat_map_cells_pair_each_number_with_readable_ink_in_one_number_format(app):
    """Every cell as drawn: its text's fill against its rectangle's fill, and its number written
    as format_number writes a score (one decimal, in the reader's language)."""
    from surveyapp.numbers import format_number, rounded_score

    scores = [0, 0.04, 12.5, 33.333, 40.25, 47.0, 50, 55.55, 61, 66.6, 74.95, 88, 99.96, 100]
    rows = [scores[i : i + 4] for i in range(0, len(scores), 4)]
    rows[-1] += ["n/a", None]
    with app.test_request_context():
        svg = str(
            charts.heat_map([f"r{i}" for i in range(len(rows))], list("abcd"), rows, "H", "d")
        )
        expected = [format_number(rounded_score(v), digits=1) for v in scores]
    root = ET.fromstring(svg)  # noqa: S314 - our own output
    cells = list(root.iter(f"{NS}rect"))
    texts = [t for t in root.iter(f"{NS}text") if t.get("fill")]
    assert len(cells) == len(texts) == len(scores) + 2
    for cell, text in zip(cells, texts, strict=True):
        assert wcag_contrast(cell.get("fill"), text.get("fill")) >= 4.5, (cell.get("fill"), text)
    assert [t.text for t in texts[: len(scores)]] == expected
    assert all(re.fullmatch(r"\d{1,3}\.\d", t.text) for t in texts[: len(scores)])


word = st.text(alphabet="abcdefghijklmnopqrstuvwxyzäöüß", min_size=1, max_size=40)


@settings(max_examples=200, deadline=None)
@given(
    labels=st.lists(st.lists(word, min_size=1, max_size=6).map(" ".join), min_size=1, max_size=4)
)
def test_heat_map_headings_never_cut_a_word_and_fit_their_column(labels):
    """German headings ("Hochschulen und Forschungseinrichtungen im Dienst von Unternehmen")
    were cut mid-word ("Fors" / "chungseinrichtungen"): every line holds whole words, and
    the longest word fits the column at the font size chosen."""
    heat = charts.heat_map(["r"], labels, [[50.0] * len(labels)], "Heat", "d")
    svg = ET.fromstring(str(heat))  # noqa: S314 - our own output
    ns = NS
    headings = [t for t in svg.iter(f"{ns}text") if t.find(f"{ns}tspan") is not None]
    assert len(headings) == len(labels)
    for text, label in zip(headings, labels, strict=True):
        lines = [span.text or "" for span in text.iter(f"{ns}tspan")]
        assert " ".join(lines).split() == label.split()
        size = float(text.get("font-size"))
        longest = max(len(w) for w in label.split())
        assert longest * size * charts.CHARACTER_WIDTH <= 96 or size == 6


def test_a_provisional_rounds_point_is_hollow_and_the_legend_says_so():
    drawn = str(
        charts.lines(
            ["2025", "2026"],
            [charts.Series("Your region", [50.0, 60.0])],
            "Trend",
            "d",
            provisional=(True, False),
            provisional_label="Hollow point: provisional",
        )
    )
    circles = re.findall(r'<circle cx="([\d.]+)" cy="([\d.]+)" r="3.5" fill="(#[0-9a-f]+)"', drawn)
    points = [(cy, fill) for cx, cy, fill in circles if float(cx) < 370]
    assert points == [("110", "#ffffff")]  # 50 on a 200 px plot from 10: hollow
    assert ("90", charts.REGION) in [(cy, fill) for _cx, cy, fill in circles]
    legend = re.sub(r"</tspan><tspan[^>]*>", " ", drawn)
    assert "Hollow point: provisional" in legend
    plain = str(charts.lines(["2025"], [charts.Series("Your region", [50.0])], "Trend", "d"))
    assert "#ffffff" not in plain


def test_box_plots_say_what_their_marks_are(app):
    """A printed report has nothing but the chart to say that the mark is the median and the
    box the quartiles, and why a row may show a mark alone."""
    from surveyapp.analysis.dashboard import _boxes

    chart = _boxes([{"label": "A", "q1": None, "median": 55.0, "q3": None}], "Aspects")
    with app.test_request_context():
        drawn = re.sub(r"</tspan><tspan[^>]*>", " ", str(chart.draw()))
    assert "Mark and number: the median. Box: first to third quartile" in drawn
    assert "a mark without a box is a median of fewer regions." in drawn


@settings(max_examples=150, deadline=None)
@given(label=st.lists(word, min_size=1, max_size=10).map(" ".join))
def test_row_labels_of_bars_and_boxes_stay_inside_the_chart(label):
    """A German aspect ("Hochschulen und Forschungseinrichtungen im Dienst von Unternehmen")
    ran past the chart's left edge in the box plots, its first letter cut: every line of a
    row label, right-aligned at the label column's edge, fits the column."""
    for drawn in (
        charts.box_plots([charts.Box(label, 40.0, 50.0, 60.0)], "Boxes", "d"),
        charts.bars([charts.Axis(label, 50.0, 50.0, 40.0, 60.0)], "Bars", "d"),
    ):
        svg = ET.fromstring(str(drawn))  # noqa: S314 - our own output
        text = next(t for t in svg.iter(f"{NS}text") if t.find(f"{NS}tspan") is not None)
        right, size = float(text.find(f"{NS}tspan").get("x")), float(text.get("font-size"))
        for span in text.iter(f"{NS}tspan"):
            line = span.text or ""
            if " " in line:  # a single word longer than the column keeps its line
                assert len(line) * size * charts.WIDEST_CHARACTER <= right, line


def test_a_legend_label_of_several_lines_runs_below_its_mark_not_over_the_line_above():
    label = "Hohler Punkt: vorläufig, nicht von den Fachleuten validiert"
    drawn = str(
        charts.lines(
            ["2025", "2026"],
            [charts.Series("Ihre Region", [50.0, 60.0])],
            "Trend",
            "d",
            provisional=(True, False),
            provisional_label=label,
        )
    )
    svg = ET.fromstring(drawn)  # noqa: S314 - our own output
    texts = {t.findtext(f"{NS}tspan") or t.text: t for t in svg.iter(f"{NS}text")}
    series_y = float(texts["Ihre Region"].get("y"))
    first = next(t for key, t in texts.items() if key and key.startswith("Hohler"))
    spans = list(first.iter(f"{NS}tspan"))
    assert len(spans) > 1
    assert float(spans[0].get("y")) - series_y >= 12  # a line's height below the line above


@settings(max_examples=150, deadline=None)
@given(
    labels=st.lists(st.lists(word, min_size=1, max_size=6).map(" ".join), min_size=1, max_size=4)
)
def test_heat_map_headings_hyphenate_long_words_and_lose_no_letter(labels):
    """German headings shrank to 4-5 pt for one long compound ("Forschungseinrichtungen"):
    a word longer than a line is cut at hyphenation points of the language, and the headings
    read the same once the cuts are joined."""
    for label in labels:
        cut = charts.hyphenated(label, 17, "de")
        assert cut.replace("- ", "") == label
        for part in cut.split():
            assert len(part) <= 17 or part in label.split()  # a word no point helps: as it was
    heat = str(charts.heat_map(["r"], labels, [[50.0] * len(labels)], "Heat", "d", lang="de"))
    assert "<svg" in heat


def test_a_german_heading_keeps_a_readable_size_and_breaks_where_words_meet():
    label = "Hochschulen und Forschungseinrichtungen im Dienst von Unternehmen"
    assert charts.hyphenated(label, 17, "de") == (
        "Hochschulen und Forschungs- einrichtungen im Dienst von Unternehmen"
    )
    assert charts.hyphenated("Technologieeinführung in KMU", 17, "de").startswith("Technologie- ")
    german = ET.fromstring(str(charts.heat_map(["r"], [label], [[50.0]], "H", "d", lang="de")))  # noqa: S314
    plain = ET.fromstring(str(charts.heat_map(["r"], [label], [[50.0]], "H", "d")))  # noqa: S314

    def heading_size(svg):
        return next(
            float(t.get("font-size"))
            for t in svg.iter(f"{NS}text")
            if t.find(f"{NS}tspan") is not None
        )

    assert heading_size(german) == 9 > heading_size(plain)
