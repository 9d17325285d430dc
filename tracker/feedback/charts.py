"""Server-side charts of the results page: geometry for SVG the templates draw
(templates/feedback/manager/_chart.html). No JavaScript: charts print, and read without scripts.

Each chart carries a title and a description for screen readers; the page also shows the same
numbers as a table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from flask_babel import format_decimal, ngettext
from flask_babel import gettext as _

from tracker.feedback import metrics
from tracker.feedback.models import QuestionKind
from tracker.formatting import percent

WIDTH = 320
BAR_HEIGHT = 150
LABEL_CHARS = 24


@dataclass(frozen=True)
class Bar:
    label: str  # under (vertical) or beside (horizontal) the bar; may be shortened
    full_label: str
    count: int
    percent: float
    x: float
    y: float
    width: float
    height: float
    css: str  # chart-bar-<tone>
    # Where the count is written.
    text_x: float
    text_y: float
    label_x: float
    label_y: float


@dataclass(frozen=True)
class BarChart:
    id: str
    title: str
    desc: str
    width: int
    height: int
    horizontal: bool
    bars: list[Bar]
    baseline_y: float


def pct(value: float) -> str:
    return percent(value)


def _tone(kind: QuestionKind, value: object) -> str:
    if kind == QuestionKind.NPS and isinstance(value, int):
        return "detractor" if value <= 6 else ("passive" if value <= 8 else "promoter")
    if kind == QuestionKind.RATING and isinstance(value, int):
        return "low" if value <= 2 else ("neutral" if value == 3 else "high")
    if kind == QuestionKind.YES_NO:
        return "high" if value == 1 else "low"
    return "plain"


def value_label(kind: QuestionKind, value: object) -> str:
    if kind == QuestionKind.YES_NO:
        return _("Yes") if value == 1 else _("No")
    return str(value)


def _shorten(text: str, limit: int = LABEL_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _describe(title: str, buckets: Sequence[metrics.Bucket], labels: Sequence[str]) -> str:
    parts = [
        _("%(value)s: %(count)s (%(percent)s)", value=label, count=b.count, percent=pct(b.percent))
        for label, b in zip(labels, buckets, strict=True)
    ]
    return _("Distribution of the answers to %(title)s.", title=title) + " " + "; ".join(parts)


def bar_chart(
    chart_id: str, title: str, kind: QuestionKind, buckets: Sequence[metrics.Bucket]
) -> BarChart:
    """Vertical bars for scales (1-5, 0-10, yes/no), horizontal bars for choices (long labels)."""
    labels = [value_label(kind, b.value) for b in buckets]
    desc = _describe(title, buckets, labels)
    top = max((b.count for b in buckets), default=0) or 1
    if kind in (QuestionKind.SINGLE_CHOICE, QuestionKind.MULTI_CHOICE):
        return _horizontal(chart_id, title, desc, kind, buckets, labels, top)
    margin_x, margin_top, margin_bottom = 6.0, 18.0, 22.0
    plot = BAR_HEIGHT - margin_top - margin_bottom
    slot = (WIDTH - 2 * margin_x) / max(len(buckets), 1)
    bars: list[Bar] = []
    for index, (bucket, label) in enumerate(zip(buckets, labels, strict=True)):
        height = plot * bucket.count / top
        x = margin_x + index * slot + slot * 0.15
        y = margin_top + plot - height
        bars.append(
            Bar(
                label=label,
                full_label=label,
                count=bucket.count,
                percent=bucket.percent,
                x=round(x, 1),
                y=round(y, 1),
                width=round(slot * 0.7, 1),
                height=round(height, 1),
                css=f"chart-bar-{_tone(kind, bucket.value)}",
                text_x=round(x + slot * 0.35, 1),
                text_y=round(y - 4, 1),
                label_x=round(x + slot * 0.35, 1),
                label_y=round(margin_top + plot + 15, 1),
            )
        )
    return BarChart(
        id=chart_id,
        title=title,
        desc=desc,
        width=WIDTH,
        height=BAR_HEIGHT,
        horizontal=False,
        bars=bars,
        baseline_y=margin_top + plot,
    )


def _horizontal(
    chart_id: str,
    title: str,
    desc: str,
    kind: QuestionKind,
    buckets: Sequence[metrics.Bucket],
    labels: Sequence[str],
    top: int,
) -> BarChart:
    row, label_width, count_width = 24.0, 130.0, 34.0
    plot = WIDTH - label_width - count_width
    bars: list[Bar] = []
    for index, (bucket, label) in enumerate(zip(buckets, labels, strict=True)):
        width = plot * bucket.count / top
        y = 4 + index * row
        bars.append(
            Bar(
                label=_shorten(label),
                full_label=label,
                count=bucket.count,
                percent=bucket.percent,
                x=label_width,
                y=round(y + 3, 1),
                width=round(width, 1),
                height=row - 6,
                css=f"chart-bar-{_tone(kind, bucket.value)}",
                text_x=round(label_width + width + 4, 1),
                text_y=round(y + row / 2 + 4, 1),
                label_x=label_width - 6,
                label_y=round(y + row / 2 + 4, 1),
            )
        )
    return BarChart(
        id=chart_id,
        title=title,
        desc=desc,
        width=WIDTH,
        height=int(8 + len(buckets) * row),
        horizontal=True,
        bars=bars,
        baseline_y=label_width,
    )


@dataclass(frozen=True)
class Segment:
    css: str
    label: str
    count: int
    percent: float
    x: float
    width: float


@dataclass(frozen=True)
class NpsChart:
    """A stacked bar (detractors, passives, promoters) over a -100..+100 scale with the score
    and its margin of error."""

    id: str
    title: str
    desc: str
    width: int
    height: int
    segments: list[Segment]
    score: float
    score_x: float
    low_x: float
    high_x: float
    scale_y: float
    ticks: list[tuple[float, str]]


def nps_chart(chart_id: str, title: str, result: metrics.Nps) -> NpsChart:
    left, right = 16.0, WIDTH - 16.0
    span = right - left
    parts = (
        ("detractor", _("Detractors (0-6)"), result.detractors),
        ("passive", _("Passives (7-8)"), result.passives),
        ("promoter", _("Promoters (9-10)"), result.promoters),
    )
    segments: list[Segment] = []
    x = left
    for css, label, count in parts:
        share = count / result.n if result.n else 0.0
        segments.append(
            Segment(
                f"chart-bar-{css}", label, count, share * 100, round(x, 1), round(span * share, 1)
            )
        )
        x += span * share

    def at(score: float) -> float:
        return round(left + (score + 100) / 200 * span, 1)

    desc = ngettext(
        "NPS %(score)s, margin of error ± %(margin)s (%(level)s confidence), from %(num)s "
        "answer: detractors %(detractors)s, passives %(passives)s, promoters %(promoters)s.",
        "NPS %(score)s, margin of error ± %(margin)s (%(level)s confidence), from %(num)s "
        "answers: detractors %(detractors)s, passives %(passives)s, promoters %(promoters)s.",
        result.n,
        level=percent(95, 0),
        score=format_decimal(round(result.score, 1), format="+#,##0.#;-#,##0.#"),
        margin=format_decimal(round(result.margin, 1), format="#,##0.#"),
        detractors=result.detractors,
        passives=result.passives,
        promoters=result.promoters,
    )
    return NpsChart(
        id=chart_id,
        title=title,
        desc=desc,
        width=WIDTH,
        height=96,
        segments=segments,
        score=result.score,
        score_x=at(result.score),
        low_x=at(result.low),
        high_x=at(result.high),
        scale_y=62.0,
        ticks=[(at(v), f"{v:+d}" if v else "0") for v in (-100, -50, 0, 50, 100)],
    )
