"""The scaling sweep behind the capacity claim as one small SVG: forgetting against the number of
erased concepts, one line per method, the threshold dashed. Plain text, deterministic bytes."""

from __future__ import annotations

from html import escape
from typing import Any

from audits.claims.capacity import method_capacity

WIDTH, HEIGHT, PAD = 560, 320, 48
COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf")


def sweep_svg(results: dict[str, Any]) -> str | None:
    """The SVG text, or None when the run has no capacity parameters or no sweep rows."""
    spec = ((results.get("suite") or {}).get("claims") or {}).get("capacity")
    if not spec:
        return None
    methods = sorted(m for m in results.get("methods", {}) if m != "none")
    ladders = [c for c in (method_capacity(results, spec, m) for m in methods) if c]
    ladders = [c for c in ladders if any(s["forget"]["value"] is not None for s in c["steps"])]
    if not ladders:
        return None
    sizes = sorted({s for c in ladders for s in c["sizes"]})
    values = [s["forget"]["value"] for c in ladders for s in c["steps"] if s["forget"]["value"]]
    top = max([spec["forget_max"], *values, 1e-9]) * 1.05

    def x(size: int) -> float:
        i = sizes.index(size)  # evenly spaced sweep sizes (the ladder is not linear)
        return PAD + i * (WIDTH - 2 * PAD) / max(len(sizes) - 1, 1)

    def y(value: float) -> float:
        return HEIGHT - PAD - value / top * (HEIGHT - 2 * PAD)

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}"'
        ' font-family="sans-serif" font-size="11">',
        f"<title>{escape(spec['forget_metric'])} against erased concepts</title>",
        f'<line x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD}"'
        ' stroke="black"/>',
        f'<line x1="{PAD}" y1="{PAD}" x2="{PAD}" y2="{HEIGHT - PAD}" stroke="black"/>',
        f'<line x1="{PAD}" y1="{y(spec["forget_max"]):.1f}" x2="{WIDTH - PAD}"'
        f' y2="{y(spec["forget_max"]):.1f}" stroke="grey" stroke-dasharray="4 3"/>',
        f'<text x="{WIDTH - PAD}" y="{y(spec["forget_max"]) - 4:.1f}" text-anchor="end"'
        f' fill="grey">forget_max {spec["forget_max"]:g}</text>',
        f'<text x="{WIDTH / 2}" y="{HEIGHT - 10}" text-anchor="middle">concepts erased'
        f" ({escape(spec['erase_sets'])})</text>",
        f'<text x="12" y="{PAD - 16}">{escape(spec["forget_metric"])} (lower is better)</text>',
    ]
    for size in sizes:
        out.append(
            f'<text x="{x(size):.1f}" y="{HEIGHT - PAD + 14}" text-anchor="middle">{size}</text>'
        )
    for i, ladder in enumerate(ladders):
        colour = COLOURS[i % len(COLOURS)]
        points = [
            (x(s["size"]), y(s["forget"]["value"]))
            for s in ladder["steps"]
            if s["forget"]["value"] is not None
        ]
        path = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
        out.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for step, (px, py) in zip(
            [s for s in ladder["steps"] if s["forget"]["value"] is not None], points, strict=True
        ):
            fill = colour if step["passes"] else "white"
            out.append(
                f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3.5" fill="{fill}" stroke="{colour}"/>'
            )
        cap = ladder["capacity"]
        label = f"{ladder['method']} (capacity {'?' if cap is None else cap})"
        out.append(f'<text x="{PAD + 8}" y="{PAD + 14 * i}" fill="{colour}">{escape(label)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"
