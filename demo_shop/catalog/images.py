"""Deterministic SVG placeholder images: colour from the category, shape from the product."""

from __future__ import annotations

import hashlib
import textwrap
from xml.sax.saxutils import escape

from .models import Product

WIDTH, HEIGHT = 400, 300


def _digest(text: str) -> int:
    return int(hashlib.sha256(text.encode()).hexdigest()[:8], 16)


def category_hue(slug: str) -> int:
    return _digest(slug) % 360


def _shape(kind: int, fill: str) -> str:
    cx, cy = WIDTH // 2, 120
    if kind == 0:
        return f'<circle cx="{cx}" cy="{cy}" r="62" fill="{fill}"/>'
    if kind == 1:
        box = f'x="{cx - 60}" y="{cy - 60}" width="120" height="120" rx="18"'
        return f'<rect {box} fill="{fill}"/>'
    if kind == 2:
        points = f"{cx},{cy - 70} {cx + 70},{cy + 55} {cx - 70},{cy + 55}"
        return f'<polygon points="{points}" fill="{fill}"/>'
    points = " ".join(
        f"{cx + dx},{cy + dy}"
        for dx, dy in ((0, -68), (59, -34), (59, 34), (0, 68), (-59, 34), (-59, -34))
    )
    return f'<polygon points="{points}" fill="{fill}"/>'


def product_svg(product: Product) -> str:
    """An SVG image of ``product``: same input, same bytes."""
    category = product.category
    top = category.ancestors()[0]
    # Sibling categories share a family of hues: the top-level category sets it.
    hue = (category_hue(top.slug) + category_hue(category.slug) % 40) % 360
    background = f"hsl({hue}, 55%, 92%)"
    accent = f"hsl({hue}, 50%, 55%)"
    ink = f"hsl({hue}, 45%, 22%)"
    shape = _shape(_digest(product.slug) % 4, accent)
    lines = textwrap.wrap(product.name, width=26)[:2] or [""]
    text = "".join(
        f'<text x="{WIDTH // 2}" y="{232 + i * 26}" text-anchor="middle" '
        f'font-family="system-ui, sans-serif" font-size="20" font-weight="600" '
        f'fill="{ink}">{escape(line)}</text>'
        for i, line in enumerate(lines)
    )
    initial = escape(product.name[:1].upper())
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-label="{escape(product.name)}">'
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="{background}"/>'
        f"{shape}"
        f'<text x="{WIDTH // 2}" y="138" text-anchor="middle" font-family="system-ui, sans-serif" '
        f'font-size="48" font-weight="700" fill="#fff">{initial}</text>'
        f"{text}</svg>"
    )
