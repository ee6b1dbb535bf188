"""Bar charts as inline SVG, drawn on the server: no script, no CDN, readable by screen readers.

Each chart carries ``role="img"`` with a Chinese title and description; the page
shows the same numbers in a table beside it for those who would rather read.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from markupsafe import Markup

__all__ = ["bar_chart"]

_PALETTE = ("#0b4f9c", "#1d6b2f", "#8a4b00", "#6b2c91", "#a4000f", "#00606b", "#4a4a4a")


def bar_chart(title: str, bars: Sequence[tuple[str, float, str]], *, width: int = 520) -> Markup:
    """Horizontal bars: (label, value, value as text) each; longest bar = largest value."""
    row, left, right = 30, 150, 130
    height = max(1, len(bars)) * row + 16
    top = max((v for _, v, _ in bars), default=0) or 1
    span = width - left - right
    desc = "；".join(f"{label} {text}" for label, _, text in bars) or "无数据"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" aria-label="{html.escape(title)}：{html.escape(desc)}">',
        f"<title>{html.escape(title)}</title>",
    ]
    for i, (label, value, text) in enumerate(bars):
        y = 8 + i * row
        w = max(2.0, span * value / top) if value else 0
        color = _PALETTE[i % len(_PALETTE)]
        parts.append(
            f'<text x="{left - 8}" y="{y + 17}" text-anchor="end" font-size="13" fill="#1b1b1b">{html.escape(label)}</text>'
        )
        parts.append(
            f'<rect x="{left}" y="{y + 3}" width="{w:.1f}" height="20" fill="{color}" rx="2"/>'
        )
        parts.append(
            f'<text x="{left + w + 6:.1f}" y="{y + 17}" font-size="13" fill="#1b1b1b">{html.escape(text)}</text>'
        )
    if not bars:
        parts.append(f'<text x="{left}" y="24" font-size="13" fill="#4a4a4a">无数据</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text above is escaped
