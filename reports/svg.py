"""Scaling curves as plain inline SVG: no JavaScript, no chart library, nothing fetched.

Every string that goes into the SVG (method names, axis labels) is escaped here, because the
result is inserted into the page as markup.
"""

from __future__ import annotations

from markupsafe import Markup, escape

from reports.tables import Series

# colour-blind-safe palette (Okabe-Ito), repeated when there are more methods
PALETTE = ["#000000", "#E69F00", "#56B4E9", "#009E73", "#D55E00", "#0072B2", "#CC79A7", "#F0E442"]


def _ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    if hi <= lo:
        return [lo]
    step = (hi - lo) / (count - 1)
    return [lo + i * step for i in range(count)]


def line_chart(
    series: list[Series], title: str, y_label: str, width: int = 520, height: int = 300
) -> Markup:
    """Value vs number of erased concepts, one line per method, intervals as error bars."""
    left, right, top, bottom = 66, 150, 28, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    xs = sorted({p[0] for s in series for p in s.points})
    ys = [v for s in series for p in s.points for v in p[1:] if v is not None]
    y_lo, y_hi = (min(ys), max(ys)) if ys else (0.0, 1.0)
    if y_hi - y_lo < 1e-9:
        y_lo, y_hi = y_lo - 1, y_hi + 1
    pad = 0.05 * (y_hi - y_lo)
    y_lo, y_hi = y_lo - pad, y_hi + pad

    def px(size: int) -> float:
        # erase-set sizes are spaced by rank so 1, 2, 8, 100 stay readable
        if len(xs) == 1:
            return left + plot_w / 2
        return left + plot_w * xs.index(size) / (len(xs) - 1)

    def py(value: float) -> float:
        return top + plot_h * (1 - (value - y_lo) / (y_hi - y_lo))

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}">',
        f'<text x="{left}" y="16" class="chart-title">{escape(title)}</text>',
        f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="#fafafa" '
        'stroke="#999"/>',
    ]
    for tick in _ticks(y_lo, y_hi):
        y = py(tick)
        out.append(f'<line x1="{left - 4}" x2="{left}" y1="{y:.1f}" y2="{y:.1f}" stroke="#999"/>')
        out.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11">'
            f"{tick:.3g}</text>"
        )
    for size in xs:
        x = px(size)
        out.append(
            f'<text x="{x:.1f}" y="{top + plot_h + 16}" text-anchor="middle" '
            f'font-size="11">{size}</text>'
        )
    out.append(
        f'<text x="{left + plot_w / 2:.1f}" y="{height - 6}" text-anchor="middle" '
        'font-size="12">number of erased concepts</text>'
    )
    out.append(
        f'<text x="12" y="{top + plot_h / 2:.1f}" text-anchor="middle" font-size="12" '
        f'transform="rotate(-90 12 {top + plot_h / 2:.1f})">{escape(y_label)}</text>'
    )
    for i, s in enumerate(series):
        colour = PALETTE[i % len(PALETTE)]
        coords = [(px(p[0]), py(p[1])) for p in s.points]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
        out.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for (x, y), point in zip(coords, s.points, strict=True):
            lo, hi = point[2], point[3]
            if lo is not None and hi is not None:
                out.append(
                    f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{py(lo):.1f}" y2="{py(hi):.1f}" '
                    f'stroke="{colour}"/>'
                )
            out.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}">'
                f"<title>{escape(s.method)}: {point[1]:.3g} at {point[0]}</title></circle>"
            )
        ly = top + 14 + 16 * i
        lx = left + plot_w + 10
        out.append(
            f'<line x1="{lx}" x2="{lx + 16}" y1="{ly - 4}" y2="{ly - 4}" stroke="{colour}" '
            'stroke-width="2"/>'
        )
        out.append(f'<text x="{lx + 20}" y="{ly}" font-size="11">{escape(s.method)}</text>')
    out.append("</svg>")
    return Markup("\n".join(out))


def tradeoff_chart(
    points, x_label: str, y_label: str, width: int = 560, height: int = 380
) -> Markup:
    """Forgetting (x) against preservation (y), one point per method and erase set, both in
    percent with their 95% intervals as bars; the unedited model is a hollow square. Better is
    up and to the right."""
    left, right, top, bottom = 60, 190, 24, 44
    plot_w, plot_h = width - left - right, height - top - bottom

    def px(v: float) -> float:
        return left + plot_w * min(max(v, 0.0), 100.0) / 100.0

    def py(v: float) -> float:
        return top + plot_h * (1 - min(max(v, 0.0), 100.0) / 100.0)

    title = f"{x_label} vs {y_label}"
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart tradeoff" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}">',
        f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="#fafafa" '
        'stroke="#999"/>',
        f'<text x="{left + plot_w - 4}" y="{top + 14}" text-anchor="end" font-size="11" '
        'fill="#393">better &#8599;</text>',
    ]
    for tick in (0, 25, 50, 75, 100):
        out.append(
            f'<text x="{px(tick):.1f}" y="{top + plot_h + 15}" text-anchor="middle" '
            f'font-size="11">{tick}</text>'
        )
        out.append(
            f'<text x="{left - 6}" y="{py(tick) + 4:.1f}" text-anchor="end" font-size="11">'
            f"{tick}</text>"
        )
        out.append(
            f'<line x1="{px(tick):.1f}" x2="{px(tick):.1f}" y1="{top}" y2="{top + plot_h}" '
            'stroke="#e4e4e4"/>'
        )
        out.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{py(tick):.1f}" y2="{py(tick):.1f}" '
            'stroke="#e4e4e4"/>'
        )
    out.append(
        f'<text x="{left + plot_w / 2:.1f}" y="{height - 8}" text-anchor="middle" '
        f'font-size="12">{escape(x_label)}</text>'
    )
    out.append(
        f'<text x="14" y="{top + plot_h / 2:.1f}" text-anchor="middle" font-size="12" '
        f'transform="rotate(-90 14 {top + plot_h / 2:.1f})">{escape(y_label)}</text>'
    )
    methods = list(dict.fromkeys(p.method for p in points if not p.reference))
    colour = {m: PALETTE[(i + 1) % len(PALETTE)] for i, m in enumerate(methods)}
    for p in points:
        c = "#555" if p.reference else colour[p.method]
        x, y = px(p.x), py(p.y)
        if p.x_lo is not None and p.x_hi is not None:
            out.append(
                f'<line x1="{px(p.x_lo):.1f}" x2="{px(p.x_hi):.1f}" y1="{y:.1f}" y2="{y:.1f}" '
                f'stroke="{c}"/>'
            )
        if p.y_lo is not None and p.y_hi is not None:
            out.append(
                f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{py(p.y_lo):.1f}" y2="{py(p.y_hi):.1f}" '
                f'stroke="{c}"/>'
            )
        tip = f"<title>{escape(p.label)}: {p.x:.1f}, {p.y:.1f}</title>"
        if p.reference:
            out.append(
                f'<rect class="unedited" x="{x - 5:.1f}" y="{y - 5:.1f}" width="10" height="10" '
                f'fill="none" stroke="{c}" stroke-width="2">{tip}</rect>'
            )
        else:
            out.append(
                f'<circle class="point" cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{c}">{tip}</circle>'
            )
        out.append(
            f'<text x="{x + 7:.1f}" y="{y - 6:.1f}" font-size="10" fill="{c}">'
            f"{escape(p.short)}</text>"
        )
    lx = left + plot_w + 14
    out.append(
        f'<rect x="{lx}" y="{top + 4}" width="10" height="10" fill="none" stroke="#555" '
        'stroke-width="2"/>'
    )
    out.append(f'<text x="{lx + 16}" y="{top + 13}" font-size="11">unedited model</text>')
    for i, m in enumerate(methods):
        ly = top + 30 + 16 * i
        out.append(f'<circle cx="{lx + 5}" cy="{ly - 4}" r="4" fill="{colour[m]}"/>')
        out.append(f'<text x="{lx + 16}" y="{ly}" font-size="11">{escape(m)}</text>')
    out.append("</svg>")
    return Markup("\n".join(out))
