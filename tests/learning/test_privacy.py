"""Learners are pseudonymous: after an LRS pull and an LMS import whose learners are named by
e-mail and carry names, no table of the database holds a learner's name or e-mail."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import String, Text, select

from tests.factories import SECRET as APP_SECRET
from tests.factories import csv_bytes, make_brick
from tests.learning.conftest import EXTENSION, KEY
from tests.learning.lrs import Lrs, statement
from tracker.db import Base, utcnow
from tracker.learning import lms_import, services
from tracker.learning.models import LearnerFact, LearnerIdentity, LrsAuth

NAMES = ["Jeanne Dupont", "Karim Benali"]
EMAILS = ["jeanne.dupont@corp.example", "karim.benali@corp.example"]


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

    found = []
    for table in Base.metadata.sorted_tables:
        texts = [c for c in table.columns if isinstance(c.type, String | Text)]
        if not texts:
            continue
        for row in db_session.execute(select(*texts)):
            for value in row:
                if not isinstance(value, str):
                    continue
                lowered = value.lower()
                for needle in [*NAMES, *EMAILS, "jeanne", "karim"]:
                    if needle.lower() in lowered:
                        found.append((table.name, needle))
    assert found == []


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
