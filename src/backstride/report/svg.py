"""A tiny inline-SVG plotting kit for the report: axes, scales, lines, steps, points, bars, text.

No JavaScript and nothing fetched: each chart is an ``<svg>`` element written into the HTML, so the
report opens offline and prints to PDF exactly as shown. Colours come from CSS classes in the template.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape

WIDTH = 720
HEIGHT = 260
MARGIN = (16, 56, 40, 60)  # top, right, bottom, left (px)


def nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """About ``n`` round tick values covering [lo, hi]."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [lo]
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    first = math.ceil(lo / step) * step
    return [first + i * step for i in range(int((hi - first) / step + 1e-9) + 1)]


@dataclass
class Scale:
    """Linear (or log) map from data to pixels."""

    lo: float
    hi: float
    p0: float
    p1: float
    log: bool = False

    def __call__(self, v: float) -> float:
        lo, hi, x = self.lo, self.hi, v
        if self.log:
            lo, hi, x = math.log(lo), math.log(hi), math.log(max(v, 1e-12))
        span = hi - lo if hi != lo else 1.0
        return self.p0 + (x - lo) / span * (self.p1 - self.p0)


@dataclass
class Chart:
    """One SVG chart: build with the drawing methods, then :meth:`render`."""

    x: Scale
    y: Scale
    title: str
    width: int = WIDTH
    height: int = HEIGHT
    parts: list[str] = field(default_factory=list)

    @classmethod
    def new(
        cls,
        x_range: tuple[float, float],
        y_range: tuple[float, float],
        title: str,
        *,
        x_log: bool = False,
        height: int = HEIGHT,
    ) -> Chart:
        top, right, bottom, left = MARGIN
        x = Scale(x_range[0], x_range[1], left, WIDTH - right, x_log)
        y = Scale(y_range[0], y_range[1], height - bottom, top)
        return cls(x, y, title, WIDTH, height)

    def axes(
        self,
        x_ticks: Sequence[tuple[float, str]],
        y_ticks: Sequence[tuple[float, str]],
        x_label: str = "",
        y_label: str = "",
    ) -> None:
        top, _right, bottom, left = MARGIN
        base = self.height - bottom
        self.parts.append(
            f'<line class="axis" x1="{left}" y1="{base}" x2="{self.width - MARGIN[1]}" y2="{base}"/>'
            f'<line class="axis" x1="{left}" y1="{top}" x2="{left}" y2="{base}"/>'
        )
        for value, label in x_ticks:
            px = self.x(value)
            self.parts.append(
                f'<line class="tick" x1="{px:.1f}" y1="{base}" x2="{px:.1f}" y2="{base + 4}"/>'
                f'<text class="tl" x="{px:.1f}" y="{base + 16}" text-anchor="middle">{escape(label)}</text>'
            )
        for value, label in y_ticks:
            py = self.y(value)
            self.parts.append(
                f'<line class="grid" x1="{left}" y1="{py:.1f}" x2="{self.width - MARGIN[1]}" y2="{py:.1f}"/>'
                f'<text class="tl" x="{left - 6}" y="{py + 4:.1f}" text-anchor="end">{escape(label)}</text>'
            )
        if x_label:
            self.text((left + self.width - MARGIN[1]) / 2, self.height - 6, x_label, anchor="middle")
        if y_label:
            self.parts.append(
                f'<text class="al" transform="translate(14,{(top + base) / 2:.0f}) rotate(-90)" '
                f'text-anchor="middle">{escape(y_label)}</text>'
            )

    def polyline(self, xs: Sequence[float], ys: Sequence[float], cls: str = "line") -> None:
        pts = " ".join(
            f"{self.x(a):.1f},{self.y(b):.1f}"
            for a, b in zip(xs, ys, strict=True)
            if math.isfinite(a) and math.isfinite(b)
        )
        if pts:
            self.parts.append(f'<polyline class="{cls}" points="{pts}"/>')

    def steps(self, xs: Sequence[float], ys: Sequence[float], cls: str = "line") -> None:
        """A right-continuous step function starting at (xs[0], 1) style (caller passes the start)."""
        px: list[float] = []
        py: list[float] = []
        for i, (a, b) in enumerate(zip(xs, ys, strict=True)):
            if i:
                px.append(a)
                py.append(py[-1])
            px.append(a)
            py.append(b)
        self.polyline(px, py, cls)

    def point(self, x: float, y: float, cls: str = "dot", r: float = 3.5, title: str = "") -> None:
        tip = f"<title>{escape(title)}</title>" if title else ""
        self.parts.append(
            f'<circle class="{cls}" cx="{self.x(x):.1f}" cy="{self.y(y):.1f}" r="{r}">{tip}</circle>'
        )

    def segment(self, x0: float, y0: float, x1: float, y1: float, cls: str = "line") -> None:
        self.parts.append(
            f'<line class="{cls}" x1="{self.x(x0):.1f}" y1="{self.y(y0):.1f}" '
            f'x2="{self.x(x1):.1f}" y2="{self.y(y1):.1f}"/>'
        )

    def vline(self, x: float, label: str = "", cls: str = "mark") -> None:
        px = self.x(x)
        self.parts.append(
            f'<line class="{cls}" x1="{px:.1f}" y1="{MARGIN[0]}" x2="{px:.1f}" y2="{self.y.p0:.1f}"/>'
        )
        if label:
            self.parts.append(
                f'<text class="ml" x="{px + 3:.1f}" y="{MARGIN[0] + 10}">{escape(label)}</text>'
            )

    def bar(self, x0: float, x1: float, y: float, cls: str = "bar") -> None:
        top = self.y(y)
        base = self.y(self.y.lo)
        self.parts.append(
            f'<rect class="{cls}" x="{self.x(x0):.1f}" y="{min(top, base):.1f}" '
            f'width="{max(self.x(x1) - self.x(x0), 0.5):.1f}" height="{abs(base - top):.1f}"/>'
        )

    def text(self, x_px: float, y_px: float, text: str, anchor: str = "start", cls: str = "al") -> None:
        self.parts.append(
            f'<text class="{cls}" x="{x_px:.1f}" y="{y_px:.1f}" text-anchor="{anchor}">{escape(text)}</text>'
        )

    def render(self) -> str:
        return (
            f'<svg class="chart" viewBox="0 0 {self.width} {self.height}" role="img" '
            f'aria-label="{escape(self.title)}">'
            f"<title>{escape(self.title)}</title>{''.join(self.parts)}</svg>"
        )
