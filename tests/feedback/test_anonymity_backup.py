"""A stolen backup after an anonymous round closed (issue 18.8): the whole database, every
table, and the instance folder with the application's secret key. Whatever path closed the round
(by hand, `flask close-due-rounds`, the worker, which runs the same function), nothing in them
relinks an answer to a person: no key can be recomputed, no time finer than the day is kept of a
completion, and the responses' ids no longer follow the order in which people answered."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import random
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select, text

from tests.conftest import SECRET
from tests.feedback.factories import (
    BASE_URL,
    complete_values,
    give_profile,
    invite,
    make_round,
    make_tester,
)
from tracker.db import Base, utcnow
from tracker.feedback.anonymity import forget_respondents
from tracker.feedback.answers import my_response, my_rounds, save_response
from tracker.feedback.invitations import remind_pending
from tracker.feedback.items import ItemInput, my_items, report_item
from tracker.feedback.models import Answer, FeedbackRound, QuestionKind, Response, RoundState
from tracker.feedback.rounds import close_round

TESTERS = 8


def _hmac(key: bytes, message: str) -> str:
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


def _play(db_session, world, *, closes_in: dt.timedelta):
    """Eight testers of varied segments: six answer a few minutes apart, each with a text that
    names them (the ground truth), the others are reminded; two of those answer after the
    reminder, the last one keeps a draft. Everyone reports an item."""
    start = utcnow().replace(microsecond=0) - dt.timedelta(days=3)
    setup = make_round(
        db_session, world.academy, world.manager, anonymous=True, now=start, closes_in=closes_in
    )
    testers = [
        make_tester(db_session, world.academy, business_unit=f"BU{n % 3}", site=f"Site {n % 2}")
        for n in range(TESTERS)
    ]
    invitations = invite(db_session, setup.round, testers, now=start)
    text_question = next(
        q for q in setup.round.questions if q.kind == QuestionKind.TEXT and not q.per_brick
    )
    order: list[int] = []  # user ids in the order their response was first stored
    for n, (tester, invitation) in enumerate(zip(testers, invitations, strict=True)):
        if n == 6:
            remind_pending(
                db_session,
                setup.round,
                base_url=BASE_URL,
                now=start + dt.timedelta(hours=25),
            )
        when = start + dt.timedelta(minutes=7 * n + 3, hours=0 if n < 6 else 26)
        values = complete_values(setup)
        values[f"q{text_question.id}"] = [f"written by {tester.email}"]
        save_response(db_session, invitation, values, submit=n < 7, secret_key=SECRET, now=when)
        report_item(
            db_session,
            invitation,
            ItemInput(None, "", "idea", "minor", f"item by {tester.email}"),
            secret_key=SECRET,
            now=when,
        )
        order.append(tester.id)
    db_session.flush()
    return setup.round, testers, order


def _dump(db_session) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, as a backup holds them."""
    return {
        table.name: [dict(row._mapping) for row in db_session.execute(select(table))]
        for table in Base.metadata.sorted_tables
    }


def _strings(dump: dict[str, list[dict[str, Any]]], instance: Path) -> set[str]:
    found = {str(v) for rows in dump.values() for row in rows for v in row.values() if v}
    for path in instance.rglob("*"):
        if path.is_file() and path.stat().st_size < 1_000_000:
            found |= set(path.read_bytes().decode("utf-8", "replace").split())
    return {s for s in found if len(s) >= 8} | {SECRET}


def _close(app, client, login, db_session, world, round_, path: str) -> None:
    if path == "by hand":
        login(world.manager)
        response = client.post(f"/a/{world.academy.slug}/rounds/{round_.id}/close")
        assert response.status_code == 303
    else:
        result = CliRunner().invoke(app.cli, ["close-due-rounds"], obj=None)
        assert result.exit_code == 0, result.output
    db_session.expire_all()
    assert db_session.get(FeedbackRound, round_.id).state == RoundState.CLOSED


@pytest.mark.parametrize("path", ["by hand", "close-due-rounds"])
def test_a_stolen_backup_cannot_relink_an_anonymous_answer(
    app, client, login, db_session, world, path
) -> None:
    # Arrange: the round closes by hand while still open, or by the job once past its time.
    closes_in = dt.timedelta(days=7) if path == "by hand" else dt.timedelta(days=2)
    round_, testers, order = _play(db_session, world, closes_in=closes_in)
    before = _dump(db_session)
    old_response_ids = {r["id"] for r in before["response"] if r["round_id"] == round_.id}
    old_answer_ids = {a["id"] for a in before["answer"] if a["response_id"] in old_response_ids}
    secret = db_session.get(FeedbackRound, round_.id).draft_secret
    assert secret

    # Act
    _close(app, client, login, db_session, world, round_, path)
    dump = _dump(db_session)

    # Assert: the round's secret is gone, from every table.
    flat = {str(v) for rows in dump.values() for row in rows for v in row.values() if v}
    assert secret not in flat
    [round_row] = [r for r in dump["feedback_round"] if r["id"] == round_.id]
    assert round_row["draft_secret"] is None

    responses = [r for r in dump["response"] if r["round_id"] == round_.id]
    items = [i for i in dump["feedback_item"] if i["round_id"] == round_.id]
    assert len(responses) == TESTERS and len(items) == TESTERS
    assert {r["respondent_id"] for r in responses} == {None}
    assert {i["reporter_id"] for i in items} == {None}

    # No key can be recomputed: every candidate secret (any string stored anywhere, any line
    # of the instance folder, the application's key), every person, every known derivation.
    stored_keys = {r["lookup_key"] for r in responses} | {i["lookup_key"] for i in items}
    stored_keys.discard("")
    candidates = _strings(dump, Path(app.instance_path))
    people = [u["id"] for u in dump["user_account"]]
    rid = round_.id
    for candidate in candidates:
        keys = [
            candidate.encode(),
            bytes.fromhex(_hmac(SECRET.encode(), f"round-key:{rid}:{candidate}")),
        ]
        for key in keys:
            for person in people:
                assert _hmac(key, f"{rid}:{person}") not in stored_keys
                assert _hmac(key, f"item:{rid}:{person}") not in stored_keys

    # No time finer than the day of a completion; responses and items all carry the round's day.
    invitations = [i for i in dump["round_invitation"] if i["round_id"] == rid]
    completed = [i["completed_at"] for i in invitations if i["completed_at"] is not None]
    assert len(completed) == 7
    assert all((c.hour, c.minute, c.second, c.microsecond) == (0, 0, 0, 0) for c in completed)
    stamps = {v for row in responses + items for k, v in row.items() if k.endswith("_at") and v}
    assert len(stamps) == 1

    # Every response and answer was stored again: no id of theirs dates from when people
    # answered, and the ids no longer follow the order in which people answered.
    assert not {r["id"] for r in responses} & old_response_ids
    answers = [a for a in dump["answer"] if a["response_id"] in {r["id"] for r in responses}]
    assert answers and not {a["id"] for a in answers} & old_answer_ids
    writer = {}
    for answer in answers:
        for tester in testers:
            if answer["value_text"] == f"written by {tester.email}":
                writer[answer["response_id"]] = tester.id
    by_id = [writer[r_id] for r_id in sorted(writer)]
    assert sorted(by_id) == sorted(order)
    assert by_id != order  # 1 chance in 40,320 of holding by chance

    # The testers themselves can no longer find their answers, nor their items.
    db_session.expire_all()
    closed = db_session.get(FeedbackRound, rid)
    for tester in testers:
        assert my_response(db_session, closed, tester.id, secret_key=SECRET) is None
        assert my_items(db_session, closed, tester.id, secret_key=SECRET) == []
    # Their "My rounds" still says whether they submitted (from the invitation, to the day).
    statuses = []
    for tester in testers:
        _current, past = my_rounds(
            db_session, world.academy, tester.id, secret_key=SECRET, now=utcnow()
        )
        statuses += [m.status for m in past if m.round.id == rid]
    assert statuses == ["submitted"] * 7 + ["not_started"]


def test_the_responses_are_stored_again_in_the_order_drawn(db_session, world) -> None:
    round_, testers, order = _play(db_session, world, closes_in=dt.timedelta(days=7))
    db_session.execute(
        text("UPDATE feedback_round SET state = 'closed' WHERE id = :r"), {"r": round_.id}
    )
    db_session.refresh(round_)
    expected = list(order)
    random.Random(7).shuffle(expected)

    forget_respondents(db_session, round_, rng=random.Random(7))

    rows = db_session.execute(
        select(Response.id, Answer.value_text)
        .join(Answer, Answer.response_id == Response.id)
        .where(Response.round_id == round_.id, Answer.value_text.like("written by %"))
        .order_by(Response.id)
    ).all()
    emails = {t.email: t.id for t in testers}
    assert [emails[value.removeprefix("written by ")] for _id, value in rows] == expected
    assert expected != order


def test_the_tester_is_told_their_answers_are_forgotten(client, login, db_session, world) -> None:
    start = utcnow() - dt.timedelta(hours=2)
    setup = make_round(db_session, world.academy, world.manager, anonymous=True, now=start)
    give_profile(db_session, world.academy, world.tester)
    [invitation] = invite(db_session, setup.round, [world.tester], now=start)
    values = complete_values(setup)
    text_question = next(q for q in setup.questions if q.kind == QuestionKind.TEXT)
    values[f"q{text_question.id}"] = ["my very own words"]
    save_response(db_session, invitation, values, submit=True, secret_key=SECRET, now=start)
    login(world.tester)
    url = f"/a/{world.academy.slug}/rounds/{setup.round.id}/answer"
    assert "my very own words" in client.get(url).text

    close_round(db_session, setup.round, now=utcnow())
    page = client.get(url)

    assert page.status_code == 200
    assert "my very own words" not in page.text
    assert (
        "nothing links you to your answers" in page.text or "plus rien ne vous relie" in page.text
    )
