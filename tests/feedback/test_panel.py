"""The tester panel: the import (dry run, all or nothing, matching by e-mail), the list with
filters and paging, segments and their counts, how often each tester was asked lately."""

from __future__ import annotations

import codecs
import datetime as dt
import io
import re
from dataclasses import replace
from unittest.mock import patch

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from tests.factories import invite, make_round, make_tester, make_user
from tracker.academies.models import Membership, Role
from tracker.auth.models import User
from tracker.errors import Conflict, DomainError
from tracker.feedback import panel, panel_import
from tracker.feedback.models import TesterProfile as Profile
from tracker.feedback.panel_views import TesterImport
from tracker.spreadsheets import ImportFileError

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)

GOOD_CSV = (
    "name;email;business_unit;job_family;site;language\r\n"
    "Léa Martin;Lea.Martin@Example.com;Finance;Contrôle de gestion;Paris;fr\r\n"
    "Inès Dubois;ines.dubois@example.com;IT;Developer;Lyon;English\r\n"
    "Karim Benali;karim@example.com;RH;;Lille;\r\n"
)


def plan_of(db_session, world, text, filename="panel.csv", encoding="utf-8"):
    return panel_import.plan_tester_import(
        db_session, world.academy, filename, text.encode(encoding)
    )


def test_a_good_file_is_planned_then_imported_with_accounts_roles_and_profiles(db_session, world):
    # Arrange
    plan = plan_of(db_session, world, GOOD_CSV)
    assert plan.ok and [r.outcome for r in plan.rows] == ["new", "new", "new"]

    # Act
    report = panel_import.import_testers(db_session, world.academy, plan)

    # Assert
    assert (report.created, report.added, report.updated) == (3, 0, 0)
    lea = db_session.scalars(select(User).where(User.email == "lea.martin@example.com")).one()
    assert lea.password_hash is None and lea.locale == "fr"
    profile = db_session.scalars(select(Profile).where(Profile.user_id == lea.id)).one()
    assert (profile.business_unit, profile.job_family, profile.site, profile.language) == (
        "Finance",
        "Contrôle de gestion",
        "Paris",
        "fr",
    )
    role = db_session.scalar(select(Membership.role).where(Membership.user_id == lea.id))
    assert role == Role.TESTER
    karim = db_session.scalars(
        select(Profile).join(User).where(User.email == "karim@example.com")
    ).one()
    assert karim.language == world.academy.default_locale  # empty: the academy's language
    ines = db_session.scalars(select(User).where(User.email == "ines.dubois@example.com")).one()
    assert ines.locale == "en"


@pytest.mark.parametrize(
    "variant",
    [
        lambda text: text.replace(";", ","),  # comma separated
        lambda text: codecs.BOM_UTF8.decode() + text,  # Excel's BOM
        lambda text: text.replace(
            "name;email;business_unit;job_family;site;language",
            "Nom;Adresse e-mail;Direction;Famille de métiers;Lieu;Langue",
        ),
    ],
)
def test_separators_bom_and_french_headers_are_understood(db_session, world, variant):
    plan = plan_of(db_session, world, variant(GOOD_CSV))

    assert plan.ok, [row.errors for row in plan.rows]
    assert [r.values["email"] for r in plan.rows] == [
        "lea.martin@example.com",
        "ines.dubois@example.com",
        "karim@example.com",
    ]
    assert plan.rows[0].values["business_unit"] == "Finance"


def test_a_windows_file_is_read_too(db_session, world):
    plan = plan_of(db_session, world, GOOD_CSV, encoding="cp1252")

    assert plan.ok and plan.rows[0].values["name"] == "Léa Martin"


def test_the_dry_run_reports_each_bad_row_and_nothing_is_imported(db_session, world):
    text = (
        "name;email;language\n"
        "Léa Martin;lea@example.com;fr\n"
        ";nobody@example.com;fr\n"  # line 3: no name
        "Bad Mail;not-an-address;fr\n"  # line 4
        "Klingon;k@example.com;tlh\n"  # line 5: unknown language
        "Léa Again;LEA@example.com;fr\n"  # line 6: same e-mail as line 2
    )
    before = db_session.scalar(select(func.count(User.id)))

    plan = plan_of(db_session, world, text)

    assert not plan.ok and plan.error_count == 4
    errors = {row.line: [column for column, _message in row.errors] for row in plan.rows}
    assert errors == {2: [], 3: ["name"], 4: ["email"], 5: ["language"], 6: ["email"]}
    assert "2" in plan.rows[4].errors[0][1]  # names the line it repeats
    with pytest.raises(DomainError):
        panel_import.import_testers(db_session, world.academy, plan)
    assert db_session.scalar(select(func.count(User.id))) == before


@pytest.mark.parametrize(
    "text",
    ["", "\n\n", "nom;site\nA;B\n", "name;email\n", "\x00\x01"],
)
def test_unreadable_files_say_why(db_session, world, text):
    with pytest.raises(ImportFileError):
        plan_of(db_session, world, text)


def test_existing_people_are_matched_by_email_and_keep_their_role(db_session, world):
    # Arrange: a designer of the academy, an outsider with an account, an existing tester
    outsider = make_user(db_session, email="Out.Sider@example.com", name="Out Sider")
    tester = make_tester(db_session, world.academy, email="t@example.com", site="Nantes")
    text = (
        "email,name,site\n"
        f"{world.designer.email.upper()},Dan D.,Paris\n"
        "out.sider@example.com,Out Sider,Lyon\n"
        "T@example.com,Renamed Tester,Brest\n"
    )
    users_before = db_session.scalar(select(func.count(User.id)))

    # Act
    plan = plan_of(db_session, world, text)
    report = panel_import.import_testers(db_session, world.academy, plan)

    # Assert
    assert [r.outcome for r in plan.rows] == ["profile", "profile", "update"]
    assert plan.rows[0].role == Role.DESIGNER
    assert (report.created, report.added, report.updated) == (0, 2, 1)
    assert db_session.scalar(select(func.count(User.id))) == users_before
    roles = dict(
        db_session.execute(
            select(Membership.user_id, Membership.role).where(
                Membership.academy_id == world.academy.id
            )
        ).all()
    )
    assert roles[world.designer.id] == Role.DESIGNER
    assert roles[outsider.id] == Role.TESTER
    assert world.designer.display_name == "Dan Designer"  # has a password: their own name stays
    assert tester.display_name == "Renamed Tester"  # never logged in: the file's name
    sites = dict(db_session.execute(select(Profile.user_id, Profile.site)).all())
    assert (sites[world.designer.id], sites[outsider.id], sites[tester.id]) == (
        "Paris",
        "Lyon",
        "Brest",
    )


def test_the_panel_lists_filters_and_pages_in_a_bounded_number_of_queries(
    db_session, world, queries
):
    for n in range(30):
        make_tester(
            db_session,
            world.academy,
            name=f"Testeur {n:02}",
            business_unit="Finance" if n % 2 else "IT",
            site="Paris",
        )
    make_tester(db_session, world.academy, name="Zoé Inactive", active=False)
    setup = make_round(db_session, world.academy, world.manager, now=NOW)
    first = db_session.scalars(select(User).where(User.display_name == "Testeur 01")).one()
    invite(db_session, setup.round, [first], now=NOW)

    with queries() as counter:
        page = panel.list_testers(
            db_session,
            world.academy,
            panel.PanelFilters(business_unit="Finance"),
            page=2,
            per_page=10,
            now=NOW,
        )

    assert page.total == 15 and page.pages == 2 and len(page.rows) == 5
    assert counter.count == 3
    everyone = panel.list_testers(
        db_session, world.academy, panel.PanelFilters(), per_page=100, now=NOW
    )
    assert "Zoé Inactive" not in [r.user.display_name for r in everyone.rows]
    counts = {r.user.display_name: r.recent_rounds for r in everyone.rows}
    assert counts["Testeur 01"] == 1 and counts["Testeur 03"] == 0
    searched = panel.list_testers(
        db_session, world.academy, panel.PanelFilters(q="testeur 2"), now=NOW
    )
    assert searched.total == 10


def test_recent_invitations_count_only_the_last_90_days_in_one_query(db_session, world, queries):
    tester = make_tester(db_session, world.academy)
    old = make_round(db_session, world.academy, world.manager, now=NOW - dt.timedelta(days=120))
    recent = make_round(db_session, world.academy, world.manager, now=NOW - dt.timedelta(days=10))
    invite(db_session, old.round, [tester], now=NOW - dt.timedelta(days=120))
    invite(db_session, recent.round, [tester], now=NOW - dt.timedelta(days=10))

    with queries() as counter:
        counts = panel.recent_invitation_counts(db_session, world.academy, [tester.id], now=NOW)

    assert counts == {tester.id: 1}
    assert counter.count == 1


def test_segments_are_saved_filters_with_their_count(db_session, world, queries):
    for bu, site, language in [
        ("Finance", "Paris", "fr"),
        ("Finance", "Lyon", "fr"),
        ("IT", "Paris", "en"),
        ("IT", "Lyon", "fr"),
    ]:
        make_tester(db_session, world.academy, business_unit=bu, site=site, language=language)
    make_tester(db_session, world.academy, business_unit="Finance", site="Paris", active=False)

    panel.create_segment(
        db_session, world.academy, name="Finance", filters={"business_unit": ["Finance"]}
    )
    panel.create_segment(
        db_session,
        world.academy,
        name="Paris ou Lyon FR",
        filters={"site": ["Paris", "Lyon", " "], "language": ["fr"], "bogus": ["x"]},
    )
    with queries() as counter:
        listed = panel.list_segments(db_session, world.academy)

    assert [(s.name, n) for s, n in listed] == [("Finance", 2), ("Paris ou Lyon FR", 3)]
    assert listed[1][0].filters == {"site": ["Lyon", "Paris"], "language": ["fr"]}
    assert counter.count == 2
    with pytest.raises(DomainError) as taken:
        panel.create_segment(db_session, world.academy, name="finance", filters={})
    assert taken.value.field == "name"


def test_a_profile_is_edited(db_session, world):
    tester = make_tester(db_session, world.academy)
    profile = db_session.scalars(select(Profile).where(Profile.user_id == tester.id)).one()

    panel.update_profile(
        db_session,
        profile,
        business_unit=" Achats ",
        job_family="Acheteur",
        site="Nice",
        language="en",
        active=False,
    )

    assert (profile.business_unit, profile.language, profile.active) == ("Achats", "en", False)
    with pytest.raises(DomainError):
        panel.update_profile(
            db_session,
            profile,
            business_unit="",
            job_family="",
            site="",
            language="de",
            active=True,
        )


def test_rows_are_numbered_as_in_the_file_even_after_blank_lines(db_session, world):
    text = "\nname;email\n\nLéa;lea@example.com\n;\nBad;not-an-address\n"

    plan = plan_of(db_session, world, text)

    assert [(row.line, row.ok) for row in plan.rows] == [(4, True), (6, False)]


def test_someone_creating_the_same_person_meanwhile_is_a_conflict(db_session, world, monkeypatch):
    plan = plan_of(db_session, world, GOOD_CSV)
    make_user(db_session, email="karim@example.com")  # created after the dry run...
    monkeypatch.setattr(panel_import, "_users_by_email", lambda session, emails: {})  # ...unseen

    with force_locale("en"), pytest.raises(Conflict, match="The panel changed while importing"):
        panel_import.import_testers(db_session, world.academy, plan)


def test_a_conflict_at_confirmation_checks_the_file_again(client, db_session, world, login):
    login(world.manager)
    base = f"/a/{world.academy.slug}/panel/import"
    checked = client.post(
        base,
        data={"file": (io.BytesIO(GOOD_CSV.encode()), "panel.csv")},
        content_type="multipart/form-data",
    )
    token = re.search(r'name="token"[^>]*value="([^"]+)"', checked.get_data(as_text=True))
    make_user(db_session, email="karim@example.com")
    db_session.commit()  # as a request finds it (views roll back their own work on errors)

    def unlucky(session, academy, plan, *, actor=None, now=None):
        raise Conflict("The panel changed while importing: nothing was imported. Try again.")

    with patch.object(TesterImport, "rules", replace(TesterImport.rules, apply=unlucky)):
        confirmed = client.post(f"{base}/confirm", data={"token": token.group(1)})

    page = confirmed.get_data(as_text=True)
    assert confirmed.status_code == 409
    assert "The panel changed while importing" in page
    assert "Existing account: profile added" in page  # checked again: Karim exists now
    assert db_session.scalar(select(func.count(Profile.id))) == 0
