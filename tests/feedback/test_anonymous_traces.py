"""The re-identification attack of issue 17, played: three testers answer an anonymous round a
minute apart; nothing the manager can read (the invitations page, the results page, the
exports, the e-mails) lets them match the answers to the people better than chance."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re

from sqlalchemy import func, select, text

from tests.conftest import SECRET
from tests.feedback.factories import complete_values, invite, make_round, make_tester
from tracker.feedback.answers import save_response
from tracker.feedback.items import ItemInput, report_item
from tracker.feedback.models import QuestionKind, RoundInvitation
from tracker.mail.models import MailMessage

OPENED = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)
ANSWERED = dt.datetime(2026, 3, 3, 14, 7, tzinfo=dt.UTC)
TIME = re.compile(r"\b\d{1,2}:\d{2}\b|\b\d{1,2} ?h ?\d{2}\b")


def _play(db_session, world):
    """Three testers answer a minute apart, each with a text that names them (the test's
    ground truth), and each reports an item."""
    setup = make_round(db_session, world.academy, world.manager, anonymous=True, now=OPENED)
    # They answer C, A, B: the alphabetical order of their texts is not the order of answers.
    testers = [make_tester(db_session, world.academy, name=f"Tester {c}") for c in "CAB"]
    invitations = invite(db_session, setup.round, testers, now=OPENED)
    text_slot = next(
        s for s in setup.round.questions if s.kind == QuestionKind.TEXT and not s.per_brick
    )
    mails_before = db_session.scalar(select(func.count(MailMessage.id)))
    for minute, (tester, invitation) in enumerate(zip(testers, invitations, strict=True)):
        values = complete_values(setup)
        values[f"q{text_slot.id}"] = [f"answer of {tester.display_name}"]
        now = ANSWERED + dt.timedelta(minutes=minute)
        save_response(db_session, invitation, values, submit=True, secret_key=SECRET, now=now)
        report_item(
            db_session,
            invitation,
            ItemInput(None, "", "idea", "minor", f"item of {tester.display_name}"),
            secret_key=SECRET,
            now=now,
        )
    db_session.flush()
    assert db_session.scalar(select(func.count(MailMessage.id))) == mails_before  # no e-mail
    return setup.round, testers


def _csv(body: bytes) -> list[list[str]]:
    assert body.startswith(codecs.BOM_UTF8)
    return list(csv.reader(io.StringIO(body[3:].decode("utf-8")), delimiter=";"))


def test_the_invitations_page_shows_the_same_thing_for_the_three_testers(
    client, login, db_session, world
) -> None:
    round_, testers = _play(db_session, world)
    login(world.manager)

    html = client.get(f"/a/{world.academy.slug}/rounds/{round_.id}/invitations").text

    rows = re.findall(r"<tr>(.*?)</tr>", html, re.S)
    cells = []
    for tester in testers:
        [row] = [r for r in rows if tester.display_name in r]
        cells.append(re.sub(r"\s+", " ", row.replace(tester.display_name, "").replace(
            tester.email, "")))  # fmt: skip
    assert cells[0] == cells[1] == cells[2]  # completed the same day: nothing tells them apart
    completion = re.findall(r'badge-done">([^<]*)<', cells[0])
    assert completion and not TIME.search(completion[0])


def test_the_database_keeps_no_time_of_the_answers_and_the_day_of_completion(
    db_session, world
) -> None:
    round_, _testers = _play(db_session, world)

    stamps = db_session.execute(
        text(
            "SELECT created_at, updated_at, submitted_at FROM response WHERE round_id = :r"
            " UNION ALL SELECT created_at, updated_at, NULL FROM feedback_item WHERE round_id = :r"
        ),
        {"r": round_.id},
    ).all()
    # The round's day, whoever wrote them and whenever.
    assert len(stamps) == 6 and len({v for row in stamps for v in row if v is not None}) == 1
    completions = db_session.scalars(
        select(RoundInvitation.completed_at).where(RoundInvitation.round_id == round_.id)
    ).all()
    assert {c.replace(tzinfo=None) for c in completions} == {dt.datetime(2026, 3, 3)}


def test_the_exports_neither_time_nor_order_the_answers(client, login, db_session, world) -> None:
    round_, testers = _play(db_session, world)
    login(world.manager)
    by_time = [f"answer of {t.display_name}" for t in testers]  # the attacker's order

    orders = set()
    for _ in range(30):
        body = client.get(f"/a/{world.academy.slug}/rounds/{round_.id}/export/answers.csv").data
        rows = _csv(body)
        assert not any(TIME.search(cell) for row in rows for cell in row)
        orders.add(tuple(next(c for c in row if c.startswith("answer of")) for row in rows[1:]))
    # A new random order at each export: row k is not the k-th to answer.
    assert len(orders) > 1 and set(by_time) == set(next(iter(orders)))

    items = _csv(client.get(f"/a/{world.academy.slug}/rounds/{round_.id}/export/items.csv").data)
    assert not any(TIME.search(cell) for row in items for cell in row)
    assert "Reported at" not in items[0] and "Signalé le" not in items[0]


def test_the_free_text_comes_in_alphabetical_order(client, login, db_session, world) -> None:
    round_, _testers = _play(db_session, world)
    login(world.manager)

    html = client.get(f"/a/{world.academy.slug}/rounds/{round_.id}/results").text

    found = re.findall(r"answer of Tester [ABC]", html)
    assert found == ["answer of Tester A", "answer of Tester B", "answer of Tester C"]
    triage = client.get(f"/a/{world.academy.slug}/rounds/{round_.id}/triage").text
    assert "item of Tester A" in triage
    assert "14:0" not in triage and "14 h 0" not in triage and "2:0" not in triage
