"""The LMS presets take real reports: small files shaped like each LMS's own export (its
headers, its statuses, its dates and durations), imported through the pages after choosing the
preset; statuses compared without case or accents; the day/month order and the unit of a time
spent are part of the mapping, so 02/01/2026 and 1.5 are never read wrongly."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from tests.factories import csv_bytes, xlsx_bytes
from tests.learning.conftest import KEY
from tests.learning.test_lms_import import courses, token_in, upload, url
from tracker.learning import lms_import, services
from tracker.learning.models import FactVerb, LearnerFact


def use_preset(client, world, preset: str) -> None:
    response = client.post(f"/a/{world.academy.slug}/learning/columns", data={"preset": preset})
    assert response.status_code == 303


def imported(client, db_session, world, data: bytes, filename: str) -> dict[str, dict]:
    """Dry run and confirm; each learner's facts: {verb: (day, score, seconds)}."""
    dry_run = upload(client, world, data, filename)
    assert dry_run.status_code == 200, dry_run.get_data(as_text=True)[-3000:]
    assert client.post(url(world, "/confirm"), data={"token": token_in(dry_run)}).status_code == 303
    db_session.expire_all()
    found: dict[str, dict] = {}
    for fact in db_session.scalars(select(LearnerFact)):
        day = fact.occurred_at.date() if fact.occurred_at else None
        found.setdefault(fact.learner_key, {})[fact.verb] = (day, fact.score, fact.seconds)
    return found


def of(found: dict, learner: str) -> dict:
    return found[services.learner_key(KEY, learner)]


def test_moodle_course_completion_report_xlsx(client, db_session, world, login, learner_key):
    courses(db_session, world, "CYBER101")
    login(world.manager)
    use_preset(client, world, "moodle")
    report = [
        ["First name", "Last name", "ID number", "Email address", "Department",
         "Course short name", "Time enrolled", "Time completed", "Completion status", "Grade",
         "Time spent"],
        ["Ada", "L.", "E1001", "ada@corp.example", "Sales", "CYBER101",
         "Monday, 5 January 2026, 9:15 AM", "Monday, 2 February 2026, 10:00 AM",
         "Completed (achieved pass grade)", "85.00", "1 hour 30 mins"],
        ["Bob", "M.", "E1002", "bob@corp.example", "Sales", "CYBER101",
         "Tuesday, 6 January 2026, 8:00 AM", "Wednesday, 4 February 2026, 4:30 PM",
         "Completed (did not achieve pass grade)", "40.00", "45 mins"],
        ["Cy", "N.", "E1003", "cy@corp.example", "Finance", "CYBER101",
         dt.datetime(2026, 1, 7, 9, 0), "", "Not completed", "-", ""],
        ["Di", "O.", "E1004", "di@corp.example", "Finance", "CYBER101", 46030, "",
         "In progress", "", "20 mins"],
    ]  # fmt: skip
    found = imported(client, db_session, world, xlsx_bytes(report), "moodle.xlsx")
    assert of(found, "E1001")[FactVerb.PASSED] == (dt.date(2026, 2, 2), 0.85, 5400)
    assert of(found, "E1001")[FactVerb.ENROLLED][0] == dt.date(2026, 1, 5)
    assert of(found, "E1002")[FactVerb.FAILED] == (dt.date(2026, 2, 4), 0.40, 2700)
    assert set(of(found, "E1003")) == {FactVerb.ENROLLED}  # not completed
    assert of(found, "E1003")[FactVerb.ENROLLED][0] == dt.date(2026, 1, 7)  # an Excel date
    assert of(found, "E1004")[FactVerb.ENROLLED][0] == dt.date(2026, 1, 8)  # Excel's day 46030


def test_docebo_users_courses_report_csv(client, db_session, world, login, learner_key):
    courses(db_session, world, "ONB-01")
    login(world.manager)
    use_preset(client, world, "docebo")
    report = [
        ["Username", "First Name", "Last Name", "Branch", "Course code", "Course name",
         "Enrollment date", "Completion date", "Enrollment status", "Final score",
         "Session time"],
        ["j.doe", "J", "Doe", "Paris", "ONB-01", "Onboarding", "02/01/2026 09:30",
         "15/01/2026 11:00", "Completed", "92", "01:30:00"],
        ["a.roe", "A", "Roe", "Lyon", "ONB-01", "Onboarding", "03/01/2026 10:00", "",
         "Subscribed", "", ""],
        ["b.poe", "B", "Poe", "Lyon", "ONB-01", "Onboarding", "04/01/2026", "", "Waiting", "",
         ""],
        ["c.zoe", "C", "Zoe", "Lyon", "ONB-01", "Onboarding", "05/01/2026", "", "Suspended",
         "", "00:10:00"],
        ["d.moe", "D", "Moe", "Lyon", "ONB-01", "Onboarding", "06/01/2026", "", "In progress",
         "", "00:25:30"],
    ]  # fmt: skip
    found = imported(client, db_session, world, csv_bytes(report), "docebo.csv")
    assert of(found, "j.doe")[FactVerb.COMPLETED] == (dt.date(2026, 1, 15), 0.92, 5400)
    assert of(found, "j.doe")[FactVerb.ENROLLED][0] == dt.date(2026, 1, 2)  # day/month
    for learner in ("a.roe", "b.poe", "c.zoe", "d.moe"):
        assert set(of(found, learner)) == {FactVerb.ENROLLED}


def test_360learning_export_csv(client, db_session, world, login, learner_key):
    courses(db_session, world, "5f1a2b3c")
    login(world.manager)
    use_preset(client, world, "360learning")
    report = [
        ["User ID", "Email", "Group", "Course ID", "Enrollment date", "Completion date",
         "Status", "Score", "Time spent"],
        ["u-1", "u1@corp.example", "Support", "5f1a2b3c", "2026-01-05T08:00:00Z",
         "2026-01-09T17:45:00Z", "Passed", "78", "95"],
        ["u-2", "u2@corp.example", "Support", "5f1a2b3c", "2026-01-05T08:00:00Z", "",
         "Not started", "", "0"],
        ["u-3", "u3@corp.example", "Support", "5f1a2b3c", "2026-01-06T08:00:00Z",
         "2026-01-12T10:00:00Z", "Failed", "35", "40"],
    ]  # fmt: skip
    found = imported(client, db_session, world, csv_bytes(report), "360.csv")
    assert of(found, "u-1")[FactVerb.PASSED] == (dt.date(2026, 1, 9), 0.78, 95 * 60)
    assert set(of(found, "u-2")) == {FactVerb.ENROLLED}
    assert of(found, "u-3")[FactVerb.FAILED] == (dt.date(2026, 1, 12), 0.35, 40 * 60)


def test_cornerstone_transcript_us_dates_and_training_hours(
    client, db_session, world, login, learner_key
):
    courses(db_session, world, "TRN-7731")
    login(world.manager)
    use_preset(client, world, "cornerstone")
    report = [
        ["User ID", "User Full Name", "Division", "Training ID", "Training Title",
         "Registration date", "Completion date", "Transcript status", "Score",
         "Training hours"],
        ["100245", "Ann Lee", "North America", "TRN-7731", "Security", "02/01/2026",
         "02/13/2026", "Completed", "88", "1.5"],
        ["100246", "Tom Ray", "North America", "TRN-7731", "Security", "02/03/2026", "",
         "Pending Approval", "", ""],
        ["100247", "Eve Kim", "EMEA", "TRN-7731", "Security", "02/03/2026", "", "Cancelled",
         "", ""],
        ["100248", "Max Fox", "EMEA", "TRN-7731", "Security", "02/04/2026", "", "Withdrawn",
         "", ""],
        ["100249", "Lu Chan", "EMEA", "TRN-7731", "Security", "02/04/2026", "",
         "In Progress", "", "0.25"],
        ["100250", "Ian Orr", "EMEA", "TRN-7731", "Security", "02/05/2026", "", "Registered",
         "", ""],
    ]  # fmt: skip
    found = imported(client, db_session, world, csv_bytes(report), "transcript.csv")
    # 02/01/2026 is February 1 in a US report; 1.5 training hours are 5,400 seconds.
    assert of(found, "100245")[FactVerb.ENROLLED][0] == dt.date(2026, 2, 1)
    assert of(found, "100245")[FactVerb.COMPLETED] == (dt.date(2026, 2, 13), 0.88, 5400)
    for learner in ("100246", "100247", "100248", "100249", "100250"):
        assert set(of(found, learner)) == {FactVerb.ENROLLED}


def test_french_academy_own_headers_statuses_and_day_month(
    client, db_session, world, login, learner_key
):
    courses(db_session, world, "RGPD-1")
    login(world.manager)
    response = client.post(
        f"/a/{world.academy.slug}/learning/columns",
        data={"preset": "mine", "learner_id": "Matricule", "course_id": "Code formation",
              "enrolment_date": "Date d'inscription", "completion_date": "Date de fin",
              "status": "Statut", "score": "Note", "time_spent": "Durée",
              "date_order": "dmy", "time_unit": "minutes"},
    )  # fmt: skip
    assert response.status_code == 303
    statuses = ["Terminé", "En cours", "Non commencé", "Réussi", "Échoué", "TERMINE", "réussi"]
    report = [["Matricule", "Code formation", "Date d'inscription", "Date de fin", "Statut",
               "Note", "Durée"]]  # fmt: skip
    for n, status in enumerate(statuses):
        done = status.lower() not in ("en cours", "non commencé")
        report.append([f"F{n}", "RGPD-1", "02/01/2026", "20/01/2026" if done else "", status,
                       "70" if done else "", "90"])  # fmt: skip
    found = imported(client, db_session, world, csv_bytes(report), "export.csv")
    verbs = [set(of(found, f"F{n}")) - {FactVerb.ENROLLED} for n in range(len(statuses))]
    assert verbs == [{FactVerb.COMPLETED}, set(), set(), {FactVerb.PASSED}, {FactVerb.FAILED},
                     {FactVerb.COMPLETED}, {FactVerb.PASSED}]  # fmt: skip
    assert of(found, "F0")[FactVerb.ENROLLED][0] == dt.date(2026, 1, 2)  # 2 January
    assert of(found, "F0")[FactVerb.COMPLETED] == (dt.date(2026, 1, 20), 0.7, 5400)


def test_unknown_status_and_wrong_order_dates_are_named(db_session, world):
    courses(db_session, world, "C-1")
    services.get_settings(db_session, world.academy).column_mapping = {
        "status": "Transcript status", "date_order": "mdy", "time_unit": "hours",
    }  # fmt: skip
    rows = [["learner_id", "course_id", "Transcript status", "enrolment_date", "time_spent"],
            ["a", "C-1", "Half-baked", "02/01/2026", "1.5"],
            ["b", "C-1", "completed", "13/02/2026", "2"]]  # fmt: skip
    plan = lms_import.plan_import(db_session, world.academy, "r.csv", csv_bytes(rows))
    errors = {row.line: row.errors for row in plan.rows}
    assert [column for column, _m in errors[2]] == ["status"]
    assert " 2, " in errors[2][0][1] and "Transcript status" in errors[2][0][1]  # line, column
    assert "Half-baked" in errors[2][0][1]
    # 13/02/2026 is no date in a month/day/year report: refused, not read as February 13.
    assert [column for column, _m in errors[3]] == ["enrolment_date"]
    assert "03/31/2026" in errors[3][0][1]
    good = next(row for row in plan.rows if row.line == 2)
    assert good.values["enrolment_date"].date() == dt.date(2026, 2, 1)
    assert good.values["seconds"] == 5400


@pytest.mark.parametrize(
    ("text", "unit", "seconds"),
    [("1.5", "hours", 5400), ("90", "minutes", 5400), ("5400", "seconds", 5400),
     ("1:30:00", "hms", 5400), ("1 hour 30 mins", "minutes", 5400), ("01h 30m 00s", "hms", 5400),
     ("PT1H30M", "seconds", 5400), ("1h30", "hours", 5400), ("2,5", "hours", 9000)],
)  # fmt: skip
def test_time_spent_units(text, unit, seconds):
    assert lms_import.parse_seconds(text, unit) == seconds


def test_a_bare_number_is_refused_when_the_report_writes_hours_minutes_seconds():
    with pytest.raises(ValueError):
        lms_import.parse_seconds("90", "hms")
