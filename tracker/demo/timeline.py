"""The demo's timeline: when each action of the story happens, in the story's working days
(see clock.Calendar). The player plays them in time order."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Sequence
from functools import partial

from tracker.demo.player import Player
from tracker.demo.story import (
    DATA_CYBER,
    DEMO_BRICKS,
    DEMO_COMMENTS,
    DEMO_NEEDS,
    DEMO_RELEASES,
    DEMO_SPRINTS,
    DEMO_TESTER_EMAILS,
    DEMO_TESTERS,
    ENGLISH_COMMENT,
    HYBRID,
    PILOT,
    PILOT_COMMENTS,
    PILOT_INVITED,
    PILOT_ITEMS,
    PILOT_ROUND,
    PILOT_ROUND_TEXT,
    PILOT_SCORES,
    PILOT_SUBMITTED,
    QUIZ_FROM_FEEDBACK,
    SOCLE,
    SOCLE_COMMENTS,
    SOCLE_INVITED,
    SOCLE_ITEMS,
    SOCLE_ROUND,
    SOCLE_ROUND_TEXT,
    SOCLE_SCORES,
    SOCLE_SUBMITTED,
    SPRINT_1,
    SPRINT_1_ADDED,
    SPRINT_1_ADDED_REASON,
    SPRINT_2,
    SPRINT_3,
    THOMAS_ITEM,
    DemoItem,
)


def play(p: Player) -> None:
    """Plan the whole story, then play it."""
    plan_planning(p)
    plan_needs(p)
    plan_panel(p)
    plan_pilot(p)
    plan_sprints(p)
    plan_socle_beta(p)
    plan_comments(p)
    p.run()


# -- Paths, releases, bricks ----------------------------------------------------------------------


def plan_planning(p: Player) -> None:
    cal = p.cal
    p.plan(cal.at(-33, 9), p.create_paths)
    targets = {
        PILOT: cal.day(-3),
        SOCLE: cal.today + dt.timedelta(days=14),
        DATA_CYBER: cal.sprint2_start + dt.timedelta(weeks=10, days=4),
        HYBRID: cal.sprint2_start + dt.timedelta(weeks=20, days=4),
    }
    for n, release in enumerate(DEMO_RELEASES):
        p.plan(cal.at(-33, 9, 30 + n), partial(p.create_release, release, targets[release.name]))
    for n, brick in enumerate(DEMO_BRICKS):
        p.plan(cal.at(-28 + n // 6, 9, 30 + (n % 6) * 25), partial(p.create_brick, brick))
    for n, brick in enumerate((*DEMO_BRICKS, QUIZ_FROM_FEEDBACK)):
        for step, workday in enumerate(brick.moves, start=1):
            p.plan(cal.at(workday, 10, step * 7 + n * 2), partial(p.move, brick, step))


# -- Training needs -------------------------------------------------------------------------------


def plan_needs(p: Player) -> None:
    cal = p.cal
    for n, need in enumerate(DEMO_NEEDS):
        p.plan(cal.at(need.day, 14, n * 5), partial(p.submit_need, need))
        if need.bricks:  # traced to the bricks that answer it, once they exist
            p.plan(cal.at(max(need.day + 4, -22), 10, 55), partial(p.link_need, need))
        for status in need.statuses:
            if status == "accepted":
                moment = cal.at(need.day + 2, 10, 30 + n)
            elif status == "planned":
                moment = cal.at(max(need.day + 4, -22), 11, n)
            elif status == "delivered":
                moment = cal.at(-3, 10)  # the pilot is released
            else:
                moment = cal.at(need.day + 3, 15, n)
            p.plan(moment, partial(p.change_need, need, status))


# -- The panel and the rounds' answers ------------------------------------------------------------


def plan_panel(p: Player) -> None:
    p.plan(p.cal.at(-18, 11), p.import_panel)
    p.plan(p.cal.at(-18, 11, 20), p.create_segments)


def plan_answers(
    p: Player,
    key: str,
    respondents: Sequence[tuple[str, bool]],
    times: Sequence[dt.datetime],
    scores: Sequence[list[int]],
    comments: tuple[tuple[str, ...], tuple[str, ...]],
    *,
    seed: int,
) -> None:
    """Each respondent's answers at their moment: scores paired so that a person's three
    scores agree more or less, as people's do; a comment from about two in three."""
    rng = random.Random(seed)
    submitted = sum(1 for _email, submit in respondents if submit)
    columns = [sorted(values, reverse=True) for values in scores]
    for column in columns[1:]:
        for _n in range(len(column)):
            i = rng.randrange(len(column) - 1)
            column[i], column[i + 1] = column[i + 1], column[i]
    rows = list(zip(*columns, strict=True))
    assert len(rows) == submitted
    rng.shuffle(rows)
    rows_iter = iter(rows)
    for (email, submit), moment in zip(respondents, times, strict=True):
        if submit:
            row = next(rows_iter)
            happy = row[0] >= 4
            comment = ""
            if email == DEMO_TESTER_EMAILS[2]:
                comment = ENGLISH_COMMENT
            elif rng.random() < 0.65:
                comment = rng.choice(comments[0] if happy else comments[1])
            time_spent = rng.choices(range(4), weights=(5, 4, 2, 1))[0]
            answer: tuple[tuple[int, ...], int | None, str] = (row, time_spent, comment)
        else:  # a draft: the first two questions only
            answer = ((rng.randint(3, 5), rng.randint(6, 9)), None, "")
        p.plan(moment, partial(p.answer, key, email, *answer, submit=submit))


def plan_items(
    p: Player,
    key: str,
    items: dict[str, DemoItem],
    respondents: Sequence[tuple[str, bool]],
    times: Sequence[dt.datetime],
) -> None:
    for name, item in items.items():
        email = respondents[item.respondent][0]
        p.plan(
            times[item.respondent] + dt.timedelta(minutes=3),
            partial(p.report, key, name, email, item),
        )


# -- Increment 0: the pilot, tested, decided, released, its notes published ---------------------


def plan_pilot(p: Player) -> None:
    cal = p.cal
    others = [t.email for t in DEMO_TESTERS[3:]]
    invited = [*DEMO_TESTER_EMAILS, *others[: PILOT_INVITED - 3]]
    # Léa and Thomas answered; Inès did not; one colleague left a draft.
    answering = others[: PILOT_SUBMITTED - 2]
    answering[4:4] = [DEMO_TESTER_EMAILS[0]]
    answering[10:10] = [DEMO_TESTER_EMAILS[1]]
    respondents = [(email, True) for email in answering]
    respondents.insert(20, (others[PILOT_SUBMITTED - 2], False))
    closes_at = cal.at(-6, 18)
    times = cal.answer_times(cal.at(-15, 9, 30), cal.at(-7, 18), len(respondents))

    p.plan(
        cal.at(-16, 15),
        partial(p.create_round, PILOT_ROUND, PILOT, closes_at, anonymous=True,
                text=PILOT_ROUND_TEXT),
    )  # fmt: skip
    p.plan(cal.at(-15, 9), partial(p.open_and_invite, PILOT_ROUND, invited))
    plan_answers(p, PILOT_ROUND, respondents, times, PILOT_SCORES, PILOT_COMMENTS, seed=1)
    plan_items(p, PILOT_ROUND, PILOT_ITEMS, respondents, times)
    triage_steps: list[tuple[dt.datetime, Callable[[], object]]] = [
        (cal.at(-14, 11), partial(p.triage, "video", "accepted")),
        (cal.at(-13, 10), partial(p.triage, "subtitles", "accepted")),
        (cal.at(-12, 17), partial(p.triage, "video", "done")),  # re-encoded
        (cal.at(-10, 16), partial(p.triage, "subtitles", "done")),  # subtitled
        (cal.at(-10, 16, 5), partial(p.triage, "again", "duplicate", "subtitles")),
        (cal.at(-9, 11), p.quiz_from_idea),
        (cal.at(-8, 10), partial(p.triage, "praise", "done")),
        (cal.at(-2, 10), partial(p.triage, "question", "done")),  # answered by the DRH
        (cal.at(3, 16), partial(p.triage, "quiz", "done")),  # its brick is done
    ]
    for moment, action in triage_steps:
        p.plan(moment, action)
    # Closed by the closing job at its deadline; then the go, the release and its notes.
    p.plan(closes_at, partial(p.close_beta, PILOT_ROUND))
    p.plan(cal.at(-5, 10), p.decide_pilot)
    p.plan(cal.at(-4, 16), p.draft_pilot_notes)
    p.plan(cal.at(-3, 9), partial(p.release, PILOT))
    p.plan(cal.at(-3, 9, 15), p.publish_pilot_notes)


# -- Sprints --------------------------------------------------------------------------------------


def plan_sprints(p: Player) -> None:
    cal = p.cal
    first, second, third = DEMO_SPRINTS
    s1, s2 = cal.sprint1_start, cal.sprint2_start
    s3 = s2 + dt.timedelta(days=14)
    p.plan(cal.at(-2, 14), partial(p.create_sprint, first, s1))
    p.plan(cal.at(-1, 10), p.complete_quiz)
    p.plan(cal.at(-1, 10, 30), partial(p.commit, first.name, SPRINT_1))
    p.plan(cal.at(0, 9, 30), partial(p.start, first.name))
    p.plan(
        cal.at(5, 9, 45),
        partial(p.commit, first.name, (SPRINT_1_ADDED,), reason=SPRINT_1_ADDED_REASON),
    )
    p.plan(cal.at(7, 15), partial(p.create_sprint, second, s2))
    p.plan(cal.at(8, 11), partial(p.commit, second.name, SPRINT_2))
    p.plan(cal.at(10, 9), partial(p.close, first.name, second.name))
    p.plan(cal.at(10, 9, 30), partial(p.start, second.name))
    p.plan(cal.at(11, 11), partial(p.create_sprint, third, s3))
    p.plan(cal.at(11, 11, 15), partial(p.commit, third.name, SPRINT_3))


# -- Increment 1: in beta, its round open ---------------------------------------------------------


def plan_socle_beta(p: Player) -> None:
    cal = p.cal
    others = [t.email for t in DEMO_TESTERS[3:]]
    pool = others[12 : 12 + SOCLE_INVITED - 3]  # not all the same people as the pilot's
    invited = [*DEMO_TESTER_EMAILS, *pool]
    answering = pool[: SOCLE_SUBMITTED - 1]
    answering[5:5] = [DEMO_TESTER_EMAILS[2]]  # Inès answered; Léa has not started yet
    respondents = [(email, True) for email in answering]
    drafts = [DEMO_TESTER_EMAILS[1], pool[SOCLE_SUBMITTED - 1]]  # Thomas and a colleague
    respondents[3:3] = [(drafts[0], False)]
    respondents.append((drafts[1], False))
    opened = cal.at(10, 14)
    closes_at = cal.local(cal.today + dt.timedelta(days=10), 18)
    times = cal.answer_times(
        opened + dt.timedelta(minutes=20), p.now - dt.timedelta(hours=1), len(respondents)
    )

    p.plan(
        cal.at(9, 16),
        partial(p.create_round, SOCLE_ROUND, SOCLE, closes_at, anonymous=False,
                text=SOCLE_ROUND_TEXT),
    )  # fmt: skip
    p.plan(opened, partial(p.open_and_invite, SOCLE_ROUND, invited))
    plan_answers(p, SOCLE_ROUND, respondents, times, SOCLE_SCORES, SOCLE_COMMENTS, seed=2)
    plan_items(p, SOCLE_ROUND, SOCLE_ITEMS, respondents, times)
    thomas = respondents.index((drafts[0], False))
    p.plan(
        times[thomas] + dt.timedelta(minutes=4),
        partial(p.report, SOCLE_ROUND, "typo", drafts[0], THOMAS_ITEM),
    )
    for name, status, delay in (("link", "accepted", 40), ("memo", "accepted", 50),
                                ("typo", "done", 45)):  # fmt: skip
        index = thomas if name == "typo" else SOCLE_ITEMS[name].respondent
        p.plan(times[index] + dt.timedelta(minutes=delay), partial(p.triage, name, status))


# -- Comments on the bricks -----------------------------------------------------------------------


def plan_comments(p: Player) -> None:
    for workday, hour, title, author, body in DEMO_COMMENTS:
        p.plan(p.cal.at(workday, hour), partial(p.comment, title, author, body))
