"""Small inline SVG bar charts for the HTML reports: no script, no network, no
external files; every label is escaped."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

WIDTH, HEIGHT, PAD = 560, 180, 28


def bar_chart(title: str, labels: Sequence[str], values: Sequence[float | None],
              unit: str = "", target: float | None = None) -> str:
    """A bar per label (None: no data, drawn as a gap), with an optional target line."""
    known = [v for v in values if v is not None]
    top = max([*known, target or 0.0, 1e-9])
    step = (WIDTH - 2 * PAD) / max(len(labels), 1)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
             f'role="img" aria-label="{escape(title)}" class="chart">',
             f'<title>{escape(title)}</title>']
    for index, (label, value) in enumerate(zip(labels, values, strict=True)):
        x = PAD + index * step
        if value is not None:
            height = (HEIGHT - 2 * PAD) * value / top
            y = HEIGHT - PAD - height
            parts.append(f'<rect x="{x + step * 0.15:.1f}" y="{y:.1f}" width="{step * 0.7:.1f}" '
                         f'height="{height:.1f}" class="bar"><title>{escape(label)}: '
                         f'{value:.4g}{escape(unit)}</title></rect>')
        parts.append(f'<text x="{x + step / 2:.1f}" y="{HEIGHT - 8}" text-anchor="middle" '
                     f'class="label">{escape(label)}</text>')
    if target is not None:
        y = HEIGHT - PAD - (HEIGHT - 2 * PAD) * target / top
        parts.append(f'<line x1="{PAD}" x2="{WIDTH - PAD}" y1="{y:.1f}" y2="{y:.1f}" '
                     f'class="target"><title>target {target:.4g}{escape(unit)}</title></line>')
    parts.append("</svg>")
    return "".join(parts)
