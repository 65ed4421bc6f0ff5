"""The inline SVG scaling chart: one line per method, error bars, escaped labels."""

from __future__ import annotations

from reports.svg import line_chart
from reports.tables import Series
from tests.reports.conftest import HOSTILE_SCRIPT


def test_chart_has_a_line_and_bars_per_method_and_escapes_labels():
    series = [
        Series("scapre", [(1, 10.0, 5.0, 15.0), (8, 20.0, 18.0, 22.0)]),
        Series(HOSTILE_SCRIPT, [(1, 50.0, None, None), (8, 40.0, None, None)]),
    ]
    svg = str(line_chart(series, "forget_acc \u2193", f"y {HOSTILE_SCRIPT}"))
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert svg.count("<polyline") == 2
    assert svg.count("<circle") == 4
    assert svg.count('stroke="#000000"/>') == 2  # two error bars, only where intervals exist
    assert "<script" not in svg and "&lt;script&gt;" in svg
