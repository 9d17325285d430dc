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

When an anonymous round closes, `forget_respondents` destroys what could still relink an answer
to a person: the round's secret, the draft keys, and the order in which responses were stored.
"""

from __future__ import annotations

import random
import secrets
from collections import defaultdict
from collections.abc import Sequence
from typing import TypeVar

from sqlalchemy import delete, insert, literal, select, update
from sqlalchemy.orm import Session

from tracker.db import forget_on_disk
from tracker.feedback.metrics import MIN_SEGMENT_SIZE
from tracker.feedback.models import Answer, FeedbackItem, FeedbackRound, Response

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


def forget_respondents(
    session: Session, round_: FeedbackRound, *, rng: random.Random | None = None
) -> None:
    """Once an anonymous round has closed: destroy the round's secret, give every response and
    item a random key, and store the responses again under new ids in a random order (their
    answers with them), so that neither a key nor an id follows who answered or when.

    Runs inside the close (rounds.close_round, on every path that closes a round), after the
    round's row is locked: no answer can be saved meanwhile. Two statements per response."""
    session.execute(
        update(FeedbackRound)
        .where(FeedbackRound.id == round_.id)
        .values(draft_secret=None)
        .execution_options(synchronize_session=False)
    )
    round_.draft_secret = None
    session.execute(
        update(FeedbackItem)
        .where(FeedbackItem.round_id == round_.id)
        .values(lookup_key="")
        .execution_options(synchronize_session=False)
    )
    session.flush()
    old = list(
        session.scalars(
            select(Response).where(Response.round_id == round_.id).order_by(Response.id)
        )
    )
    copied = (
        "state",
        "business_unit",
        "job_family",
        "site",
        "language",
        "created_at",
        "updated_at",
        "submitted_at",
    )
    for response in shuffled(old, rng):
        new_id = session.scalar(
            insert(Response)
            .values(
                round_id=round_.id,
                respondent_id=None,
                lookup_key=secrets.token_hex(32),
                **{name: getattr(response, name) for name in copied},
            )
            .returning(Response.id)
        )
        session.execute(
            insert(Answer).from_select(
                ["response_id", "question_id", "brick_id", "value_int", "value_text"],
                select(
                    literal(new_id),
                    Answer.question_id,
                    Answer.brick_id,
                    Answer.value_int,
                    Answer.value_text,
                )
                .where(Answer.response_id == response.id)
                .order_by(Answer.id),
            )
        )
    old_ids = [response.id for response in old]
    for start in range(0, len(old_ids), 500):
        chunk = old_ids[start : start + 500]
        session.execute(
            delete(Answer)
            .where(Answer.response_id.in_(chunk))
            .execution_options(synchronize_session=False)
        )
        session.execute(
            delete(Response)
            .where(Response.id.in_(chunk))
            .execution_options(synchronize_session=False)
        )
    for response in old:
        session.expunge(response)
    forget_on_disk(session)
