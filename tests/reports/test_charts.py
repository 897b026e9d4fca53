"""SVG charts: valid XML, points where the values put them, labels escaped."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from channelhub.api.charts import bar_chart, line_chart

NS = {"svg": "http://www.w3.org/2000/svg"}


def test_line_chart_places_each_value_on_the_axis() -> None:
    svg = line_chart(["d1", "d2", "d3"], {"MUG": [0, 5, 10], "<LID>": [10, 10, 10]},
                     title="units & orders", width=720, height=280)  # fmt: skip
    root = ET.fromstring(svg)
    lines = root.findall("svg:polyline", NS)
    assert len(lines) == 2
    # plot: x 56 .. 600 (720 - 120), y 28 (top = 10) .. 240 (280 - 40, zero)
    points = [tuple(map(float, p.split(","))) for p in lines[0].get("points", "").split()]
    assert points == [(56.0, 240.0), (328.0, 134.0), (600.0, 28.0)]
    assert "&lt;LID&gt;" in svg and "units &amp; orders" in svg
    assert root.find("svg:title", NS) is not None


def test_bar_chart_and_bad_series() -> None:
    root = ET.fromstring(bar_chart({"US-EAST": 40, "DE-CENTRAL": 20}, title="shipped"))
    heights = [float(r.get("height", "0")) for r in root.findall("svg:rect", NS)]
    assert heights == [pytest.approx(212 * 40 / 50), pytest.approx(212 * 20 / 50)]  # top 50
    with pytest.raises(ValueError, match="2 values for 3 labels"):
        line_chart(["a", "b", "c"], {"x": [1, 2]}, title="t")
    assert ET.fromstring(line_chart([], {}, title="empty")) is not None
