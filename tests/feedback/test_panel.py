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
from tracker.academies import services
from tracker.academies.models import AcademyInvitation, Membership, Role
from tracker.academies.services import accept_invitation, add_member
from tracker.auth.models import User
from tracker.errors import Conflict, DomainError
from tracker.feedback import panel, panel_import
from tracker.feedback.models import TesterProfile as Profile
from tracker.feedback.panel_views import TesterImport
from tracker.mail.models import MailMessage
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


def import_(db_session, world, plan, academy=None):
    with force_locale("en"):
        return panel_import.import_testers(
            db_session, academy or world.academy, plan, actor=world.manager, now=NOW,
            base_url="http://brique.test",
        )  # fmt: skip


def accept(db_session, academy, email):
    """The person accepts the panel's invitation (the button of the link's page)."""
    invitation = db_session.scalars(
        select(AcademyInvitation).where(
            AcademyInvitation.academy_id == academy.id,
            AcademyInvitation.email == email,
            AcademyInvitation.revoked_at.is_(None),
        )
    ).one()
    user = accept_invitation(db_session, invitation, password=None, now=NOW)
    panel.join_panel(db_session, invitation, user)
    return user


def test_a_good_file_invites_everyone_who_joins_only_by_accepting(db_session, world):
    # Arrange
    plan = plan_of(db_session, world, GOOD_CSV)
    assert plan.ok and [r.outcome for r in plan.rows] == ["invite", "invite", "invite"]
    users_before = db_session.scalar(select(func.count(User.id)))

    # Act
    report = import_(db_session, world, plan)

    # Assert: invitations only, no account, no membership, one e-mail each
    assert (report.invited, report.added, report.updated) == (3, 0, 0)
    assert db_session.scalar(select(func.count(User.id))) == users_before
    pending = services.pending_invitations(db_session, world.academy, now=NOW)
    assert {(i.email, i.display_name) for i in pending} == {
        ("lea.martin@example.com", "Léa Martin"),
        ("ines.dubois@example.com", "Inès Dubois"),
        ("karim@example.com", "Karim Benali"),
    }
    mails = db_session.scalars(
        select(MailMessage).where(MailMessage.category == "academy_invitation")
    ).all()
    assert len(mails) == 3 and all("beta-test panel" in m.body_text for m in mails)

    # Act: Léa accepts
    lea = accept(db_session, world.academy, "lea.martin@example.com")

    # Assert
    assert lea.password_hash is None and lea.display_name == "Léa Martin"
    profile = db_session.scalars(select(Profile).where(Profile.user_id == lea.id)).one()
    assert (profile.business_unit, profile.job_family, profile.site, profile.language) == (
        "Finance",
        "Contrôle de gestion",
        "Paris",
        "fr",
    )
    role = db_session.scalar(select(Membership.role).where(Membership.user_id == lea.id))
    assert role == Role.TESTER
    karim = accept(db_session, world.academy, "karim@example.com")
    karim_profile = db_session.scalars(select(Profile).where(Profile.user_id == karim.id)).one()
    assert karim_profile.language == world.academy.default_locale  # empty: the academy's


def test_another_academy_s_import_changes_nobody_and_tells_nothing(db_session, world):
    """Issue 18.1: B's manager imports A's tester (new name), the admin, a closed account and
    a stranger: the dry run says the same of all, nobody is renamed or joins B unasked."""
    a_tester = make_tester(db_session, world.academy, email="sophie@example.com", name="Sophie")
    closed = make_user(db_session, email="closed@example.com", name="Closed")
    closed.is_active_account = False
    text = (
        "name;email;site\n"
        "Someone Else;SOPHIE@example.com;Lyon\n"
        f"Admin Renamed;{world.admin.email};Lyon\n"
        "Closed Renamed;closed@example.com;Lyon\n"
        "Stranger;stranger@example.com;Lyon\n"
    )
    b = world.other_academy

    plan = panel_import.plan_tester_import(db_session, b, "panel.csv", text.encode())
    import_(db_session, world, plan, academy=b)

    assert plan.ok, [row.errors for row in plan.rows]
    assert {row.outcome for row in plan.rows} == {"invite"}
    assert all(row.role is None for row in plan.rows)
    assert (a_tester.display_name, world.admin.display_name, closed.display_name) == (
        "Sophie",
        "Ada Admin",
        "Closed",
    )
    members_of_b = db_session.scalars(
        select(Membership.user_id).where(Membership.academy_id == b.id)
    ).all()
    assert {a_tester.id, world.admin.id, closed.id}.isdisjoint(members_of_b)
    a_profile = db_session.scalars(select(Profile).where(Profile.user_id == a_tester.id)).one()
    assert a_profile.site != "Lyon" and a_profile.academy_id == world.academy.id


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
        import_(db_session, world, plan)
    assert db_session.scalar(select(func.count(User.id))) == before
    assert db_session.scalar(select(func.count(AcademyInvitation.id))) == 0


@pytest.mark.parametrize(
    "text",
    ["", "\n\n", "nom;site\nA;B\n", "name;email\n", "\x00\x01"],
)
def test_unreadable_files_say_why(db_session, world, text):
    with pytest.raises(ImportFileError):
        plan_of(db_session, world, text)


def test_members_are_matched_by_email_and_keep_their_role_and_name(db_session, world):
    # Arrange: a designer of the academy, an outsider with an account, an existing tester
    outsider = make_user(db_session, email="Out.Sider@example.com", name="Out Sider")
    tester = make_tester(db_session, world.academy, email="t@example.com", site="Nantes")
    tester.password_hash = None  # never logged in: still, the file does not rename them
    text = (
        "email,name,site\n"
        f"{world.designer.email.upper()},Dan D.,Paris\n"
        "out.sider@example.com,Out Sider,Lyon\n"
        "T@example.com,Renamed Tester,Brest\n"
    )
    users_before = db_session.scalar(select(func.count(User.id)))
    tester_name = tester.display_name

    # Act
    plan = plan_of(db_session, world, text)
    report = import_(db_session, world, plan)

    # Assert
    assert [r.outcome for r in plan.rows] == ["profile", "invite", "update"]
    assert plan.rows[0].role == Role.DESIGNER
    assert (report.invited, report.added, report.updated) == (1, 1, 1)
    assert db_session.scalar(select(func.count(User.id))) == users_before
    roles = dict(
        db_session.execute(
            select(Membership.user_id, Membership.role).where(
                Membership.academy_id == world.academy.id
            )
        ).all()
    )
    assert roles[world.designer.id] == Role.DESIGNER
    assert outsider.id not in roles  # invited: joins only by accepting
    assert world.designer.display_name == "Dan Designer"
    assert tester.display_name == tester_name
    sites = dict(db_session.execute(select(Profile.user_id, Profile.site)).all())
    assert (sites[world.designer.id], sites[tester.id]) == ("Paris", "Brest")

    # The outsider accepts, logged in: their own name stays, the profile is the file's
    invitation = db_session.scalars(
        select(AcademyInvitation).where(AcademyInvitation.email == "out.sider@example.com")
    ).one()
    accept_invitation(db_session, invitation, user=outsider, now=NOW)
    panel.join_panel(db_session, invitation, outsider)
    assert outsider.display_name == "Out Sider"
    assert db_session.scalar(select(Profile.site).where(Profile.user_id == outsider.id)) == "Lyon"


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


def test_someone_profiling_the_same_member_meanwhile_is_a_conflict(db_session, world, monkeypatch):
    plan = plan_of(db_session, world, f"name;email\nDan;{world.designer.email}\n")
    db_session.add(Profile(academy_id=world.academy.id, user_id=world.designer.id))
    db_session.flush()  # given after the dry run...
    monkeypatch.setattr(panel_import, "_profiles_of", lambda session, academy, ids: {})  # unseen

    with force_locale("en"), pytest.raises(Conflict, match="The panel changed while importing"):
        import_(db_session, world, plan)


def test_a_conflict_at_confirmation_checks_the_file_again(client, db_session, world, login):
    login(world.manager)
    base = f"/a/{world.academy.slug}/panel/import"
    checked = client.post(
        base,
        data={"file": (io.BytesIO(GOOD_CSV.encode()), "panel.csv")},
        content_type="multipart/form-data",
    )
    token = re.search(r'name="token"[^>]*value="([^"]+)"', checked.get_data(as_text=True))
    karim = make_user(db_session, email="karim@example.com")
    add_member(db_session, world.academy, karim, Role.DESIGNER)
    db_session.commit()  # as a request finds it (views roll back their own work on errors)

    def unlucky(session, academy, plan, *, actor=None, now=None):
        raise Conflict("The panel changed while importing: nothing was imported. Try again.")

    with patch.object(TesterImport, "rules", replace(TesterImport.rules, apply=unlucky)):
        confirmed = client.post(f"{base}/confirm", data={"token": token.group(1)})

    page = confirmed.get_data(as_text=True)
    assert confirmed.status_code == 409
    assert "The panel changed while importing" in page
    assert "Member: profile added" in page  # checked again: Karim is a member now
    assert db_session.scalar(select(func.count(Profile.id))) == 0


def test_a_panel_invitation_is_accepted_on_its_page_without_a_password(
    app, client, db_session, world, login
):
    login(world.manager)
    base = f"/a/{world.academy.slug}/panel/import"
    checked = client.post(
        base,
        data={"file": (io.BytesIO(GOOD_CSV.encode()), "panel.csv")},
        content_type="multipart/form-data",
        headers={"Accept-Language": "en"},
    )
    assert "Invited to join" in checked.get_data(as_text=True)
    token = re.search(r'name="token"[^>]*value="([^"]+)"', checked.get_data(as_text=True))
    assert client.post(f"{base}/confirm", data={"token": token.group(1)}).status_code == 303
    message = db_session.scalars(
        select(MailMessage).where(MailMessage.to_address == "ines.dubois@example.com")
    ).one()
    path = re.search(r"http://[^/\s]+(/invitations/[A-Za-z0-9_-]+)", message.body_text).group(1)
    person = app.test_client()

    page = person.get(path, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert 'value="Inès Dubois"' in page and 'name="password"' not in page
    response = person.post(path, data={"display_name": "Inès Dubois-Roy"})

    assert response.status_code == 303
    ines = db_session.scalars(select(User).where(User.email == "ines.dubois@example.com")).one()
    assert (ines.display_name, ines.password_hash) == ("Inès Dubois-Roy", None)
    profile = db_session.scalars(select(Profile).where(Profile.user_id == ines.id)).one()
    assert (profile.site, profile.language) == ("Lyon", "en")


def test_only_the_panel_s_invitations_are_listed_as_pending_on_the_panel(app, db_session, world):
    with app.test_request_context(), force_locale("en"):
        services.invite_member(
            db_session, world.academy, email="designer.to.be@example.com", role=Role.DESIGNER,
            actor=world.manager, base_url="http://brique.test", now=NOW,
        )  # fmt: skip
    import_(db_session, world, plan_of(db_session, world, GOOD_CSV))

    pending = panel.pending_panel_invitations(db_session, world.academy, now=NOW)

    assert [i.display_name for i in pending] == ["Inès Dubois", "Karim Benali", "Léa Martin"]


def test_a_row_for_someone_invited_with_another_role_waits_for_that_answer(app, db_session, world):
    with app.test_request_context(), force_locale("en"):
        services.invite_member(
            db_session, world.academy, email="future.designer@example.com", role=Role.DESIGNER,
            actor=world.manager, base_url="http://brique.test", now=NOW,
        )  # fmt: skip
        plan = plan_of(db_session, world, "name;email\nFutur;Future.Designer@example.com\n")

    assert not plan.ok
    assert "pending invitation as Designer" in plan.rows[0].errors[0][1]
    pending = services.pending_invitations(db_session, world.academy, now=NOW)
    assert [i.role for i in pending] == [Role.DESIGNER]
