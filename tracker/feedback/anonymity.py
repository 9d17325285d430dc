"""What response-level data of an anonymous round may say: segment attributes generalised until
every combination shown is shared by at least 5 respondents (the threshold of the results
page, metrics.MIN_SEGMENT_SIZE), and rows in an order that says nothing about who answered when.

Generalisation, not suppression of rows: every response stays in the export, and the attributes
that would single someone out are replaced by "hidden", one attribute after another along
`LADDER` (the site first, then the language, then the job family, the business unit last).
Rows whose combination is shared by fewer than 5 respondents move one step down the ladder,
where they are grouped again with the others that moved; those still alone at the bottom show
no attribute at all. When fewer than 5 rows end up showing nothing (the overall count minus
the shown groups would point at them), the smallest shown groups join them, as the results
page does with its hidden segments (results.hidden_segments).
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence
from typing import TypeVar

from tracker.feedback.metrics import MIN_SEGMENT_SIZE

# The segment attributes copied on each response, in the order of the exports' columns.
SEGMENT_ATTRIBUTES = ("business_unit", "job_family", "site", "language")

# The attributes shown at each step (indexes into SEGMENT_ATTRIBUTES), most precise first.
LADDER: tuple[tuple[int, ...], ...] = (
    (0, 1, 2, 3),
    (0, 1, 3),  # without the site
    (0, 1),  # without the language
    (0,),  # the business unit alone
    (),  # nothing
)

Combination = tuple[str, ...]
Shown = tuple[str | None, ...]  # None: hidden


def _shown(combination: Combination, step: int) -> Shown:
    kept = LADDER[step]
    return tuple(value if index in kept else None for index, value in enumerate(combination))


def generalise(
    combinations: Sequence[Combination], *, minimum: int = MIN_SEGMENT_SIZE
) -> list[Shown]:
    """Each row's attributes, some hidden (None), so that every combination shown is shown on
    at least `minimum` rows. With fewer than `minimum` rows in all, every attribute is hidden."""
    steps = [0] * len(combinations)
    last = len(LADDER) - 1
    for step in range(last):
        groups: dict[Shown, list[int]] = defaultdict(list)
        for row, combination in enumerate(combinations):
            if steps[row] == step:
                groups[_shown(combination, step)].append(row)
        for rows in groups.values():
            if len(rows) < minimum:
                for row in rows:
                    steps[row] = step + 1
    bottom = sum(1 for step in steps if step == last)
    if 0 < bottom < minimum:
        shown_groups: dict[Shown, list[int]] = defaultdict(list)
        for row, combination in enumerate(combinations):
            if steps[row] < last:
                shown_groups[_shown(combination, steps[row])].append(row)
        for _key, rows in sorted(
            shown_groups.items(), key=lambda kv: (len(kv[1]), [v or "" for v in kv[0]])
        ):
            for row in rows:
                steps[row] = last
            bottom += len(rows)
            if bottom >= minimum:
                break
    return [
        _shown(combination, step) for combination, step in zip(combinations, steps, strict=True)
    ]


T = TypeVar("T")


def shuffled(rows: Sequence[T], rng: random.Random | None = None) -> list[T]:
    """The rows in a random order, drawn anew for each export (never the order of answers)."""
    mixed = list(rows)
    (rng or random.SystemRandom()).shuffle(mixed)
    return mixed
