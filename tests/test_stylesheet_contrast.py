"""The stylesheet's own colours against WCAG 2.1 AA: the focus ring keeps 3:1 against every
background a page uses (1.4.11), and nothing dims text below 4.5:1 with opacity (1.4.3)."""

import re
from pathlib import Path

import surveyapp

CSS = (Path(surveyapp.__file__).parent / "static" / "app.css").read_text()


def variables() -> dict[str, str]:
    root = re.search(r":root \{(.*?)\}", CSS, re.S)[1]
    return dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{6})", root))


def luminance(colour: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_the_focus_ring_keeps_3_to_1_on_every_background():
    colours = variables()
    rule = re.search(r":focus-visible \{([^}]*)\}", CSS)[1]
    ring = re.search(r"outline:\s*\d+px solid var\(--([\w-]+)\)", rule)[1]
    for background in ("paper", "tint", "focus"):
        ratio = contrast(colours[ring], colours[background])
        assert ratio >= 3, (ring, background, round(ratio, 2))
    # On the dark header the ring is dark too: its yellow halo is what shows there.
    halo = re.search(r"box-shadow:\s*0 0 0 \d+px var\(--([\w-]+)\)", rule)[1]
    assert contrast(colours[halo], colours["brand"]) >= 3


def test_no_rule_dims_text_with_opacity():
    dimmed = [
        selector.strip()
        for selector, body in re.findall(r"([^{}]+)\{([^}]*)\}", CSS)
        if re.search(r"(^|;)\s*opacity:\s*0?\.\d", body)
    ]
    assert dimmed == []
