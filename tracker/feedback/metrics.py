"""The beta-test metrics of DESIGN.md section 3, as pure functions over counts (no database).

Every function takes the counts SQL already aggregated ({value: number of answers}) and
returns None when there is nothing to compute from (no answers, nobody invited), so that a
page or the gate can say "no data" rather than show a misleading 0.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

# A figure computed from fewer answers than this is shown as indicative.
INDICATIVE_BELOW = 30
# In an anonymous round, a segment with fewer people than this is not shown.
MIN_SEGMENT_SIZE = 5
# z for a two-sided 95 % confidence interval.
Z_95 = 1.96

RATING_VALUES = (1, 2, 3, 4, 5)
NPS_VALUES = tuple(range(11))
YES_NO_VALUES = (1, 0)


def response_rate(completed: int, invited: int) -> float | None:
    """Completed responses / invited * 100; None when nobody was invited."""
    if invited <= 0:
        return None
    return completed / invited * 100


def total(counts: Mapping[Any, int]) -> int:
    return sum(counts.values())


def mean(counts: Mapping[int, int]) -> float | None:
    """The mean of the values, each counted as many times as it was answered."""
    n = total(counts)
    if n == 0:
        return None
    return sum(value * count for value, count in counts.items()) / n


def csat(counts: Mapping[int, int]) -> float | None:
    """Share of 4 and 5 among all 1-5 ratings, * 100."""
    n = total(counts)
    if n == 0:
        return None
    satisfied = sum(count for value, count in counts.items() if value >= 4)
    return satisfied / n * 100


def share_of_yes(counts: Mapping[int, int]) -> float | None:
    """Yes/no questions store 1 for yes: the share of yes * 100."""
    n = total(counts)
    if n == 0:
        return None
    return counts.get(1, 0) / n * 100


@dataclass(frozen=True)
class Nps:
    score: float  # -100..+100
    margin: float  # ± points, 95 % confidence
    promoters: int
    passives: int
    detractors: int
    n: int

    @property
    def low(self) -> float:
        return max(-100.0, self.score - self.margin)

    @property
    def high(self) -> float:
        return min(100.0, self.score + self.margin)

    @property
    def indicative(self) -> bool:
        return is_indicative(self.n)


def nps_margin(promoter_share: float, detractor_share: float, n: int) -> float:
    """1.96 * sqrt((p + d - (p - d)²) / n) * 100: the 95 % margin of error of an NPS."""
    p, d = promoter_share, detractor_share
    variance = p + d - (p - d) ** 2
    # Rounding can push an exact 0 a hair below zero.
    return Z_95 * math.sqrt(max(variance, 0.0) / n) * 100


def nps(counts: Mapping[int, int]) -> Nps | None:
    """% promoters (9-10) - % detractors (0-6), with its margin of error."""
    n = total(counts)
    if n == 0:
        return None
    promoters = sum(count for value, count in counts.items() if value >= 9)
    detractors = sum(count for value, count in counts.items() if value <= 6)
    p, d = promoters / n, detractors / n
    return Nps(
        score=(p - d) * 100,
        margin=nps_margin(p, d, n),
        promoters=promoters,
        passives=n - promoters - detractors,
        detractors=detractors,
        n=n,
    )


@dataclass(frozen=True)
class Bucket:
    value: int | str
    count: int
    percent: float  # of the answers (or of the respondents, for multiple choice)


def distribution(
    counts: Mapping[Any, int],
    values: Iterable[Any],
    *,
    base: int | None = None,
) -> list[Bucket]:
    """One bucket per possible value, in that order, zeros included, then any value answered
    that is not (or no longer) among them. `base` is what percentages are of: the number of
    answers by default; the number of respondents for multiple choice (shares then add up to
    more than 100)."""
    looked_up: dict[int | str, int] = dict(counts)
    n = total(looked_up) if base is None else base
    buckets: list[Bucket] = []
    seen: set[int | str] = set()
    for value in values:
        count = looked_up.get(value, 0)
        buckets.append(Bucket(value, count, count / n * 100 if n else 0.0))
        seen.add(value)
    for value in sorted(set(looked_up) - seen, key=str):
        count = looked_up[value]
        buckets.append(Bucket(value, count, count / n * 100 if n else 0.0))
    return buckets


def is_indicative(n: int) -> bool:
    """Fewer than 30 answers: the figure is shown, but marked indicative."""
    return n < INDICATIVE_BELOW


def is_segment_hidden(size: int, *, anonymous: bool) -> bool:
    """Anonymous results for a segment of fewer than 5 people are not shown."""
    return anonymous and size < MIN_SEGMENT_SIZE
