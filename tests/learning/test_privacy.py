"""Learners are pseudonymous: after an LRS pull and an LMS import whose learners are named by
e-mail and carry names, no table of the database holds a learner's name or e-mail."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import func, select

from tests.factories import SECRET as APP_SECRET
from tests.factories import csv_bytes, make_brick, make_release, xlsx_bytes
from tests.factories.backlog import add_bricks
from tests.learning.conftest import EXTENSION, KEY
from tests.learning.lrs import Lrs, statement
from tests.learning.test_lms_import import token_in, upload, url
from tracker.db import Base, utcnow
from tracker.imports import ParkedUpload
from tracker.learning import evaluations, lms_import, services
from tracker.learning.models import (
    Evaluation,
    EvaluationKind,
    LearnerFact,
    LearnerIdentity,
    LrsAuth,
)
from tracker.mail.models import MailMessage, MailStatus

NAMES = ["Jeanne Dupont", "Karim Benali"]
EMAILS = ["jeanne.dupont@corp.example", "karim.benali@corp.example"]
NEEDLES = [*NAMES, *EMAILS, "jeanne", "karim", "dupont", "benali"]


def _text(value: Any) -> str:
    """Any stored value as text: bytes decoded (UTF-8, then Latin-1), JSON dumped."""
    if value is None:
        return ""
    if isinstance(value, bytes | bytearray | memoryview):
        raw = bytes(value)
        return raw.decode("utf-8", "replace") + raw.decode("latin-1")
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def names_in_the_database(db_session) -> list[tuple[str, str, str]]:
    """(table, column, needle) for every learner name or e-mail found in any column of any
    table, whatever its type (String, Text, LargeBinary, JSON...)."""
    db_session.expire_all()
    found = []
    for table in Base.metadata.sorted_tables:
        columns = list(table.columns)
        for row in db_session.execute(select(*columns)):
            for column, value in zip(columns, row, strict=True):
                lowered = _text(value).lower()
                found.extend(
                    (table.name, column.name, needle)
                    for needle in NEEDLES
                    if needle.lower() in lowered
                )
    return found


def test_no_learner_name_or_email_in_any_table(db_session, world, lrs: Lrs):
    brick = make_brick(db_session, world, "Phishing")
    iri = "https://lms.test/privacy/phishing"
    services.set_brick_identifiers(db_session, brick, course_id="PRIV-1", iris=[iri])
    services.update_lrs(
        db_session, world.academy, endpoint=lrs.endpoint, auth=LrsAuth.BASIC,
        username=lrs.username, secret=lrs.password, business_unit_extension=EXTENSION,
        now=utcnow(), allow_private=True, app_secret_key=APP_SECRET,
    )  # fmt: skip
    at = (utcnow() + dt.timedelta(seconds=5)).isoformat().replace("+00:00", "Z")
    sent = []
    for name, email in zip(NAMES, EMAILS, strict=True):
        by_mail = statement("x", "completed", iri, at=at, score=0.9)
        by_mail["actor"] = {"objectType": "Agent", "name": name, "mbox": f"mailto:{email}"}
        sent.append(by_mail)
    lrs.post(sent)
    report = services.pull_statements(
        db_session,
        world.academy,
        key=KEY,
        now=utcnow(),
        allow_private=True,
        app_secret_key=APP_SECRET,
    )
    assert report.stored == 2
    rows = [["learner_id", "course_id", "status"]] + [
        [email, "PRIV-1", "passed"] for email in EMAILS
    ]
    plan = lms_import.plan_import(db_session, world.academy, "r.csv", csv_bytes(rows))
    lms_import.import_rows(db_session, world.academy, plan, key=KEY, now=utcnow())
    db_session.flush()

    assert names_in_the_database(db_session) == []


def _named_report(course: str) -> list[list[str]]:
    """An LMS export as LMSs write them: the learner named by e-mail, with name and e-mail."""
    return [["User ID", "Full name", "Email", "Course code", "Status", "Score"]] + [
        [email, name, email, course, "Completed", "80"]
        for name, email in zip(NAMES, EMAILS, strict=True)
    ]


def parked_count(db_session) -> int:
    return db_session.scalar(select(func.count()).select_from(ParkedUpload))


def test_lms_upload_through_http_stores_no_name_or_email_even_while_parked(
    client, db_session, world, login, learner_key
):
    brick = make_brick(db_session, world, "Phishing")
    services.set_brick_identifiers(db_session, brick, course_id="PRIV-2", iris=[])
    login(world.manager)

    # A failed dry run (an unknown course): nothing is parked, nothing stored.
    failed = upload(client, world, csv_bytes(_named_report("NO-SUCH-COURSE")))
    assert failed.status_code == 422
    assert 'name="token"' not in failed.get_data(as_text=True)
    assert parked_count(db_session) == 0
    assert names_in_the_database(db_session) == []

    # A good dry run (CSV, then XLSX): what waits for the confirmation is pseudonymous.
    for data, filename in ((csv_bytes(_named_report("PRIV-2")), "r.csv"),
                           (xlsx_bytes(_named_report("PRIV-2")), "r.xlsx")):  # fmt: skip
        dry_run = upload(client, world, data, filename)
        assert dry_run.status_code == 200, dry_run.get_data(as_text=True)[:2000]
        assert parked_count(db_session) >= 1
        assert names_in_the_database(db_session) == []

    # Confirmed: the facts are stored under the pseudonyms, the parked plan is gone.
    confirmed = client.post(url(world, "/confirm"), data={"token": token_in(dry_run)})
    assert confirmed.status_code == 303
    keys = set(db_session.scalars(select(LearnerFact.learner_key)))
    assert keys == {services.learner_key(KEY, email) for email in EMAILS}
    assert names_in_the_database(db_session) == []
    assert db_session.scalars(select(LearnerIdentity)).all() == []


def test_named_mode_parks_and_keeps_the_names_it_is_allowed_to(
    client, db_session, world, login, learner_key
):
    brick = make_brick(db_session, world, "Named HTTP")
    services.set_brick_identifiers(db_session, brick, course_id="NAMED-2", iris=[])
    services.set_named_mode(db_session, world.academy, named=True, retention_days=30,
                            now=utcnow())  # fmt: skip
    login(world.manager)
    dry_run = upload(client, world, csv_bytes(_named_report("NAMED-2")))
    assert dry_run.status_code == 200
    # Even in named mode the identifier itself is parked as its pseudonym.
    parked = db_session.scalars(select(ParkedUpload.data)).one()
    assert EMAILS[0] in parked.decode() and services.learner_key(KEY, EMAILS[0]) in parked.decode()
    client.post(url(world, "/confirm"), data={"token": token_in(dry_run)})
    kept = {(i.name, i.email) for i in db_session.scalars(select(LearnerIdentity))}
    assert kept == set(zip(NAMES, EMAILS, strict=True))


def test_named_mode_keeps_names_for_the_retention_then_erases_them(
    app, client, db_session, world, login, lrs: Lrs
):
    brick = make_brick(db_session, world, "Named")
    iri = "https://lms.test/privacy/named"
    services.set_brick_identifiers(db_session, brick, course_id="NAMED-1", iris=[iri])
    services.update_lrs(
        db_session, world.academy, endpoint=lrs.endpoint, auth=LrsAuth.BASIC,
        username=lrs.username, secret=lrs.password, business_unit_extension="", now=utcnow(),
        allow_private=True, app_secret_key=APP_SECRET,
    )  # fmt: skip
    login(world.manager)
    response = client.post(f"/a/{world.academy.slug}/learning/named",
                           data={"named": "y", "retention_days": "30"})  # fmt: skip
    assert response.status_code == 303
    at = (utcnow() + dt.timedelta(seconds=5)).isoformat().replace("+00:00", "Z")
    named = statement("x", "completed", iri, at=at)
    named["actor"] = {"objectType": "Agent", "name": NAMES[0], "mbox": f"mailto:{EMAILS[0]}"}
    lrs.post([named])
    services.pull_statements(
        db_session,
        world.academy,
        key=KEY,
        now=utcnow(),
        allow_private=True,
        app_secret_key=APP_SECRET,
    )
    rows = [["learner_id", "course_id", "status", "learner_name", "learner_email"],
            ["k-1", "NAMED-1", "passed", NAMES[1], EMAILS[1]]]  # fmt: skip
    plan = lms_import.plan_import(db_session, world.academy, "r.csv", csv_bytes(rows))
    lms_import.import_rows(db_session, world.academy, plan, key=KEY, now=utcnow())
    kept = {(i.name, i.email) for i in db_session.scalars(select(LearnerIdentity))}
    assert kept == {(NAMES[0], EMAILS[0]), (NAMES[1], EMAILS[1])}

    # Within the retention nothing is erased; past it the command erases them, facts stay.
    assert services.erase_expired_identities(db_session, now=utcnow()) == 0
    later = utcnow() + dt.timedelta(days=31)
    assert services.erase_expired_identities(db_session, now=later) == 2
    assert db_session.scalars(select(LearnerIdentity)).all() == []
    assert len(db_session.scalars(select(LearnerFact)).all()) == 3  # 1 statement, 2 from the row

    # Turning the named mode off erases at once; the command runs.
    services.record_identities(db_session, world.academy, {"k": ("A Name", "")}, now=utcnow())
    client.post(f"/a/{world.academy.slug}/learning/named", data={"retention_days": "30"})
    assert db_session.scalars(select(LearnerIdentity)).all() == []
    result = app.test_cli_runner().invoke(args=["erase-learner-details"])
    assert result.exit_code == 0 and "erased" in result.output


def _sent_evaluation_mail(db_session, world, course: str, learners: int):
    """Named mode: `learners` completers imported, the J+0 evaluation e-mailed to them, the
    messages then sent (as the mail sender marks them)."""
    release = make_release(db_session, world.academy)
    brick = add_bricks(db_session, world.academy, release, 1)[0]
    services.set_brick_identifiers(db_session, brick, course_id=course, iris=[])
    rows = [["learner_id", "course_id", "status", "learner_name", "learner_email"]]
    rows += [[f"{course}-{n}", course, "passed", f"Learner {n}", f"{course}-{n}@corp.example"]
             for n in range(learners)]  # fmt: skip
    plan = lms_import.plan_import(db_session, world.academy, "r.csv", csv_bytes(rows))
    lms_import.import_rows(db_session, world.academy, plan, key=KEY, now=utcnow())
    evaluation, _token = evaluations.create_evaluation(
        db_session, world.academy, release, EvaluationKind.REACTION, now=utcnow()
    )
    assert evaluations.send_to_completers(
        db_session, world.academy, evaluation, base_url="http://x", now=utcnow()
    ) == learners  # fmt: skip
    for message in db_session.scalars(select(MailMessage).where(MailMessage.status == "queued")):
        message.status, message.sent_at = MailStatus.SENT, utcnow()
    db_session.flush()


def evaluation_addresses(db_session) -> list[str]:
    db_session.expire_all()
    return sorted(
        db_session.scalars(
            select(MailMessage.to_address).where(MailMessage.category == "evaluation")
        )
    )


def test_erasing_learner_details_erases_them_from_the_evaluation_mail(
    app, client, db_session, world, login, learner_key
):
    services.set_named_mode(db_session, world.academy, named=True, retention_days=30,
                            now=utcnow())  # fmt: skip
    _sent_evaluation_mail(db_session, world, "EVM-1", 3)
    # Another kind of mail to the same address is not the learning data's to erase.
    db_session.add(MailMessage(to_address="EVM-1-0@corp.example", subject="s", body_text="b",
                               category="round_invitation", academy_id=world.academy.id,
                               status=MailStatus.SENT))  # fmt: skip
    assert evaluation_addresses(db_session) == [f"EVM-1-{n}@corp.example" for n in range(3)]

    # Within the retention the addresses stay; past it, with the identities, they go.
    assert services.erase_expired_identities(db_session, now=utcnow()) == 0
    assert len([a for a in evaluation_addresses(db_session) if a]) == 3
    later = utcnow() + dt.timedelta(days=31)
    assert services.erase_expired_identities(db_session, now=later) == 3
    assert evaluation_addresses(db_session) == ["", "", ""]
    other = db_session.scalars(
        select(MailMessage).where(MailMessage.category == "round_invitation")
    ).one()
    assert other.to_address == "EVM-1-0@corp.example"

    # Turning the named mode off (the page): sent evaluation mail loses its addresses at once,
    # the evaluation mail still queued is withdrawn.
    _sent_evaluation_mail(db_session, world, "EVM-2", 2)
    evaluation = db_session.scalars(select(Evaluation).order_by(Evaluation.id.desc())).first()
    evaluations.send_to_completers(db_session, world.academy, evaluation, base_url="http://x",
                                   now=utcnow(), reminder=True)  # fmt: skip
    db_session.commit()
    assert len([a for a in evaluation_addresses(db_session) if a]) == 4  # 2 sent, 2 queued
    login(world.manager)
    response = client.post(f"/a/{world.academy.slug}/learning/named", data={"retention_days": "30"})
    assert response.status_code == 303
    assert evaluation_addresses(db_session) == [""] * 5
    # The command also erases what named-mode-off academies still hold (sent meanwhile).
    db_session.add(MailMessage(to_address="late@corp.example", subject="s", body_text="b",
                               category="evaluation", academy_id=world.academy.id,
                               status=MailStatus.SENT))  # fmt: skip
    db_session.commit()
    result = app.test_cli_runner().invoke(args=["erase-learner-details"])
    assert result.exit_code == 0, result.output
    assert evaluation_addresses(db_session) == [""] * 6
