"""Geometry of the sprint and report charts, drawn as SVG by templates/sprints/_charts.html.

Plain numbers in, coordinates out: no JavaScript, so the charts print and read without
scripts. Colours and dashes come from CSS classes (the CSP forbids style attributes); every
chart has a title and a description, and its page shows the same numbers as a table.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from flask_babel import format_decimal, ngettext
from flask_babel import gettext as _

from tracker.formatting import axis_day
from tracker.sprints import charts
from tracker.sprints.flow import CumulativeFlow, Distribution

WIDTH = 640
HEIGHT = 260
LEFT, RIGHT, TOP, BOTTOM = 44.0, 28.0, 14.0, 36.0
BAR_MAX = 36.0  # widest bar: a chart of one sprint keeps slim bars
MAX_X_LABELS = 10


@dataclass(frozen=True)
class Tick:
    y: float
    label: str


@dataclass(frozen=True)
class XLabel:
    x: float
    text: str


@dataclass(frozen=True)
class Line:
    css: str
    label: str
    paths: list[str]  # polyline "x,y x,y ..." runs (a gap where a value is unknown)
    points: list[tuple[float, float]]  # the dots
    tips: list[str] = field(default_factory=list)  # each dot's tooltip (its <title>)

    @property
    def dots(self) -> list[tuple[float, float, str]]:
        return [(x, y, tip) for (x, y), tip in zip(self.points, self.tips, strict=True)]


@dataclass(frozen=True)
class Marker:
    x: float
    y: float
    css: str
    title: str


@dataclass(frozen=True)
class Rule:
    """A horizontal reference line (a baseline, a mean)."""

    y: float
    css: str
    label: str
    x1: float
    x2: float


@dataclass(frozen=True)
class Band:
    css: str
    label: str
    polygon: str


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    css: str
    title: str


@dataclass
class Chart:
    """What every chart template draws: frame, axes, ticks, labels, and its marks."""

    id: str
    title: str
    desc: str
    width: int = WIDTH
    height: int = HEIGHT
    x0: float = LEFT
    x1: float = WIDTH - RIGHT
    y0: float = TOP
    y1: float = HEIGHT - BOTTOM
    y_ticks: list[Tick] = field(default_factory=list)
    x_labels: list[XLabel] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    markers: list[Marker] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)
    bands: list[Band] = field(default_factory=list)
    rects: list[Rect] = field(default_factory=list)
    # (swatch, css, label): swatch "line" for lines and rules, "box" for bars and bands.
    legend: list[tuple[str, str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class Series:
    label: str
    css: str
    values: Sequence[float | None]


def nice_top(value: float) -> tuple[float, float]:
    """A round top for the y axis at or above `value`, and a round step (1, 2 or 5 times 10^n)."""
    if value <= 0:
        return 1.0, 1.0
    rough = value / 4
    magnitude = 10 ** math.floor(math.log10(rough))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= rough)
    if step < 1:
        step = 1.0
    return math.ceil(value / step) * step, float(step)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _frame(chart: Chart, top_value: float) -> tuple[float, float]:
    top, step = nice_top(top_value)
    ticks = []
    value = 0.0
    while value <= top + 1e-9:
        ticks.append(Tick(round(_y(chart, value, top), 1), _number(value)))
        value += step
    chart.y_ticks = ticks
    return top, step


def _y(chart: Chart, value: float, top: float) -> float:
    return chart.y1 - (chart.y1 - chart.y0) * (value / top)


def _x_labels(chart: Chart, xs: Sequence[float], labels: Sequence[str]) -> None:
    every = max(1, math.ceil(len(labels) / MAX_X_LABELS))
    chart.x_labels = [
        XLabel(round(x, 1), text)
        for index, (x, text) in enumerate(zip(xs, labels, strict=True))
        if index % every == 0 or index == len(labels) - 1
    ]


def _xs(chart: Chart, count: int) -> list[float]:
    if count <= 1:
        return [(chart.x0 + chart.x1) / 2] * count
    span = (chart.x1 - chart.x0) / (count - 1)
    return [chart.x0 + index * span for index in range(count)]


def line_chart(
    chart_id: str,
    title: str,
    desc: str,
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    markers: Sequence[tuple[int, float, str, str]] = (),
    rules: Sequence[tuple[float, str, str]] = (),
) -> Chart:
    """Lines over evenly spaced x positions (one per label).

    `markers`: (x index, value, css, title); `rules`: (value, css, label) horizontal lines.
    """
    chart = Chart(chart_id, title, desc)
    values = [v for s in series for v in s.values if v is not None]
    values += [m[1] for m in markers] + [r[0] for r in rules]
    top, _step = _frame(chart, max(values, default=0))
    xs = _xs(chart, len(labels))
    _x_labels(chart, xs, labels)
    for item in series:
        runs: list[list[tuple[float, float]]] = [[]]
        points, tips = [], []
        for x, value, label in zip(xs, item.values, labels, strict=True):
            if value is None:
                if runs[-1]:
                    runs.append([])
                continue
            point = (round(x, 1), round(_y(chart, value, top), 1))
            runs[-1].append(point)
            points.append(point)
            tips.append(f"{item.label} · {label}: {_number(round(value, 1))}")
        paths = [" ".join(f"{x},{y}" for x, y in run) for run in runs if len(run) > 1]
        chart.lines.append(Line(item.css, item.label, paths, points, tips))
        chart.legend.append(("line", item.css, item.label))
    for index, value, css, marker_title in markers:
        chart.markers.append(
            Marker(round(xs[index], 1), round(_y(chart, value, top), 1), css, marker_title)
        )
    for value, css, label in rules:
        chart.rules.append(Rule(round(_y(chart, value, top), 1), css, label, chart.x0, chart.x1))
        chart.legend.append(("line", css, label))
    return chart


def area_chart(
    chart_id: str, title: str, desc: str, labels: Sequence[str], series: Sequence[Series]
) -> Chart:
    """Stacked areas, the first series at the bottom (cumulative flow: done first)."""
    chart = Chart(chart_id, title, desc)
    count = len(labels)
    totals = [sum((s.values[i] or 0) for s in series) for i in range(count)]
    top, _step = _frame(chart, max(totals, default=0))
    xs = _xs(chart, count)
    _x_labels(chart, xs, labels)
    below = [0.0] * count
    for item in series:
        above = [below[i] + (item.values[i] or 0) for i in range(count)]
        if count == 1:  # one day: a thin column rather than nothing
            left, right = xs[0] - 4, xs[0] + 4
            edge = [(left, above[0]), (right, above[0])]
            base = [(right, below[0]), (left, below[0])]
        else:
            edge = list(zip(xs, above, strict=True))
            base = list(zip(reversed(xs), reversed(below), strict=True))
        polygon = " ".join(
            f"{round(x, 1)},{round(_y(chart, value, top), 1)}" for x, value in edge + base
        )
        chart.bands.append(Band(item.css, item.label, polygon))
        below = above
    chart.legend = [("box", item.css, item.label) for item in reversed(series)]
    return chart


def bar_chart(
    chart_id: str,
    title: str,
    desc: str,
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    rules: Sequence[tuple[float, str, str]] = (),
) -> Chart:
    """Grouped bars: one group per label, one bar per series in each group."""
    chart = Chart(chart_id, title, desc)
    values = [v for s in series for v in s.values if v is not None] + [r[0] for r in rules]
    top, _step = _frame(chart, max(values, default=0))
    slot = (chart.x1 - chart.x0) / max(len(labels), 1)
    width = min(slot * 0.8 / max(len(series), 1), BAR_MAX)
    inner = width * len(series)
    centres = []
    for index, label in enumerate(labels):
        left = chart.x0 + index * slot + (slot - inner) / 2
        centres.append(chart.x0 + index * slot + slot / 2)
        for number, item in enumerate(series):
            value = item.values[index] or 0
            y = _y(chart, value, top)
            chart.rects.append(
                Rect(
                    round(left + number * width, 1),
                    round(y, 1),
                    round(max(width - 1, 1), 1),
                    round(chart.y1 - y, 1),
                    item.css,
                    f"{label}: {item.label} {_number(value)}",
                )
            )
    _x_labels(chart, centres, labels)
    chart.legend = [("box", item.css, item.label) for item in series]
    for value, css, label in rules:
        chart.rules.append(Rule(round(_y(chart, value, top), 1), css, label, chart.x0, chart.x1))
        chart.legend.append(("line", css, label))
    return chart


# -- The charts of the sprint page and the reports page ------------------------------------------


def day_label(day: dt.date) -> str:
    return axis_day(day)


def _points(value: float) -> str:
    return format_decimal(round(value, 1), format="#,##0.#")


def _scope_title(event: charts.ScopeEvent, key_prefix: str) -> str:
    key = f"{key_prefix}-{event.number}"
    points = event.points or 0
    if event.added:
        text = ngettext(
            "%(key)s added (+%(num)s point)", "%(key)s added (+%(num)s points)", points, key=key
        )
    else:
        text = ngettext(
            "%(key)s removed (-%(num)s point)", "%(key)s removed (-%(num)s points)", points, key=key
        )
    return f"{text}: {event.reason}" if event.reason else text


def _daily(
    series: charts.SprintSeries, value: Callable[[charts.Tally], float]
) -> list[float | None]:
    """`value` at the start, then at the end of each day (None for the days to come)."""
    return [value(series.start), *[value(d.tally) if d.tally else None for d in series.days]]


def _sprint_chart(
    series: charts.SprintSeries,
    key_prefix: str,
    heading: tuple[str, str, str],
    lines: list[Series],
    marked: list[float | None],
) -> Chart:
    """A sprint's chart: a point a day after the start, its scope changes marked on the
    `marked` line, its baseline drawn across. `heading`: the chart's id, title and summary."""
    markers = [
        (
            event.day_index,
            marked[event.day_index] or 0,
            "sc-marker-added" if event.added else "sc-marker-removed",
            _scope_title(event, key_prefix),
        )
        for event in series.scope_events
    ]
    kind, title, desc = heading
    labels = [_("Start"), *[day_label(d.date) for d in series.days]]
    baseline = (series.baseline_points, "sc-rule-baseline", _("Baseline"))
    return line_chart(kind, title, desc, labels, lines, markers=markers, rules=[baseline])


def burndown_chart(series: charts.SprintSeries, key_prefix: str) -> Chart:
    remaining = _daily(series, lambda tally: tally.remaining_points)
    ideal = [series.baseline_points, *[d.ideal for d in series.days]]
    desc = _(
        "Remaining points at the end of each day, from %(start)s at the start to %(now)s.",
        start=series.start.remaining_points,
        now=series.final.remaining_points,
    )
    lines = [
        Series(_("Ideal"), "sc-line-ideal", ideal),
        Series(_("Remaining"), "sc-line-remaining", remaining),
    ]
    return _sprint_chart(
        series, key_prefix, ("burndown", _("Burndown"), desc), lines, marked=remaining
    )


def burnup_chart(series: charts.SprintSeries, key_prefix: str) -> Chart:
    done = _daily(series, lambda tally: tally.done_points)
    scope = _daily(series, lambda tally: tally.scope_points)
    ideal = [0.0, *[series.baseline_points - d.ideal for d in series.days]]
    desc = _(
        "Done points against the sprint's scope at the end of each day: %(done)s of %(scope)s.",
        done=series.final.done_points,
        scope=series.final.scope_points,
    )
    lines = [
        Series(_("Ideal"), "sc-line-ideal", ideal),
        Series(_("Scope"), "sc-line-scope", scope),
        Series(_("Done"), "sc-line-done", done),
    ]
    return _sprint_chart(series, key_prefix, ("burnup", _("Burnup"), desc), lines, marked=scope)


def _short(text: str, limit: int = 14) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def velocity_chart(velocity: charts.Velocity) -> Chart:
    labels = [_short(s.name) for s in velocity.sprints]
    mean = velocity.mean
    desc = ngettext(
        "Committed against completed points of the last closed sprint.",
        "Committed against completed points of the last %(num)s closed sprints.",
        len(velocity.sprints),
    )
    if mean is not None:
        desc += " " + _(
            "Velocity in points (mean of the last three): %(mean)s.", mean=_points(mean)
        )
    return bar_chart(
        "velocity",
        _("Velocity"),
        desc,
        labels,
        [
            Series(_("Committed"), "sc-bar-committed", [s.committed for s in velocity.sprints]),
            Series(_("Completed"), "sc-bar-completed", [s.completed for s in velocity.sprints]),
        ],
        rules=[(mean, "sc-rule-mean", _("Mean of the last three"))] if mean is not None else [],
    )


UNKNOWN_STAGE = "unknown"


def flow_chart(flow: CumulativeFlow, stage_label: Callable[[int | None], str]) -> Chart:
    """Bands bottom-up from the last stage (done) to the first (backlog); removed stages on top."""
    labels = [day_label(d.date) for d in flow.days]
    series = []
    for position, stage in reversed(list(enumerate(flow.stages))):
        series.append(
            Series(
                stage_label(stage.id),
                f"sc-band-{stage.category.value} sc-band-{position % 6}",
                [d.counts.get(stage.id, 0) for d in flow.days],
            )
        )
    if flow.has_unknown:
        series.append(
            Series(
                stage_label(None),
                "sc-band-unknown",
                [d.counts.get(None, 0) for d in flow.days],
            )
        )
    desc = _("Bricks in each stage at the end of each day, from %(first)s to %(last)s.",
             first=labels[0] if labels else "", last=labels[-1] if labels else "")  # fmt: skip
    return area_chart("flow", _("Cumulative flow"), desc, labels, series)


def bin_axis_label(low: float, high: float | None) -> str:
    """Short, for the axis: 3-5, 55+ (in days)."""
    return f"{_number(low)}+" if high is None else f"{_number(low)}-{_number(high)}"


def bin_label(low: float, high: float | None) -> str:
    if high is None:
        return ngettext("%(num)s day or more", "%(num)s days or more", int(low))
    return ngettext(
        "%(low)s to %(num)s day",
        "%(low)s to %(num)s days",
        int(high),
        low=_number(low),
    )


def time_chart(chart_id: str, title: str, dist: Distribution) -> Chart:
    labels = [bin_axis_label(b.low, b.high) for b in dist.bins]
    if dist.count:
        desc = ngettext(
            "%(num)s brick. In days: median %(median)s, 85th percentile %(p85)s.",
            "%(num)s bricks. In days: median %(median)s, 85th percentile %(p85)s.",
            dist.count,
            median=_points(dist.median or 0),
            p85=_points(dist.p85 or 0),
        )
    else:
        desc = _("No brick finished in this period.")
    return bar_chart(
        chart_id,
        title,
        desc,
        labels,
        [Series(_("Bricks"), "sc-bar-time", [b.count for b in dist.bins])],
    )
