"""A person's own account (profile, language, password, data export) and the admin's Users page."""

from __future__ import annotations

import contextlib
import json

from sqlalchemy import func, or_, select

from tests.auth.test_login import field_error
from tests.factories import PASSWORD, make_member, make_user
from tracker.academies.models import AcademyInvitation, MemberEvent, Membership, Role
from tracker.academies.services import invite_member
from tracker.auth import resets, services
from tracker.auth.models import LoginThrottle, PasswordReset, User, UserSession
from tracker.db import utcnow
from tracker.errors import DomainError
from tracker.mail.models import MailMessage

NEW_PASSWORD = "a much longer new passphrase"


# -- Profile and language -----------------------------------------------------------------------


def test_profile_edits_name_and_language(client, db_session, login):
    user = make_user(db_session, name="Old Name", locale="en")
    login(user)

    response = client.post("/account", data={"display_name": "  New Name ", "locale": "fr"})

    assert response.status_code == 303
    assert response.location == "/account"
    assert (user.display_name, user.locale) == ("New Name", "fr")
    page = client.get("/account").get_data(as_text=True)
    assert '<html lang="fr">' in page
    assert 'value="New Name"' in page


def test_profile_language_wins_over_the_browser(client, db_session, login):
    user = make_user(db_session, locale="fr")
    login(user)

    page = client.get("/account", headers={"Accept-Language": "en"}).get_data(as_text=True)

    assert '<html lang="fr">' in page


def test_browser_language_is_used_when_the_profile_has_none(client, db_session, login):
    user = make_user(db_session, locale=None)
    login(user)

    assert '<html lang="en">' in client.get(
        "/account", headers={"Accept-Language": "en-GB,en;q=0.9"}
    ).get_data(as_text=True)
    assert '<html lang="fr">' in client.get("/account", headers={"Accept-Language": "de"}).get_data(
        as_text=True
    )


def test_the_language_switch_becomes_the_preference(client, db_session, login):
    user = make_user(db_session, locale="en")
    login(user)

    response = client.post("/language", data={"locale": "fr", "next": "/account"})

    assert response.status_code == 303
    assert response.location == "/account"
    assert user.locale == "fr"


def test_an_empty_name_is_refused_and_the_language_kept(client, db_session, login):
    user = make_user(db_session, name="Kept Name", locale="en")
    login(user)

    response = client.post("/account", data={"display_name": "   ", "locale": "fr"})

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert field_error(page, "display_name")
    assert '<option selected value="fr">' in page
    assert user.display_name == "Kept Name"


def test_an_unknown_language_is_refused(client, db_session, login):
    user = make_user(db_session, locale="en")
    login(user)

    response = client.post("/account", data={"display_name": "Name", "locale": "klingon"})

    assert response.status_code == 422
    assert user.locale == "en"


# -- Password -----------------------------------------------------------------------------------


def test_change_password(client, db_session, login):
    user = make_user(db_session)
    login(user)

    response = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )

    assert response.status_code == 303
    assert services.authenticate(db_session, user.email, NEW_PASSWORD, now=utcnow()) == user
    try:
        services.authenticate(db_session, user.email, PASSWORD, now=utcnow())
    except DomainError:
        pass
    else:
        raise AssertionError("the old password still works")


def test_a_wrong_current_password_is_refused_on_its_field(client, db_session, login):
    user = make_user(db_session)
    login(user)
    before = user.password_hash

    response = client.post(
        "/account/password",
        data={"current_password": "not it at all", "new_password": NEW_PASSWORD,
              "confirm": NEW_PASSWORD},
        headers={"Accept-Language": "en"},
    )  # fmt: skip

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert field_error(page, "current_password") == "Your current password is not this one."
    assert user.password_hash == before
    assert client.get("/account").status_code == 200  # still logged in


def test_a_weak_new_password_is_refused_beside_the_new_password_field(client, db_session, login):
    user = make_user(db_session)
    login(user)

    response = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "new_password": "password1234",
              "confirm": "password1234"},
    )  # fmt: skip

    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "new_password")


def test_the_two_new_passwords_must_match(client, db_session, login):
    login(make_user(db_session))

    response = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "new_password": NEW_PASSWORD,
              "confirm": NEW_PASSWORD + "!"},
    )  # fmt: skip

    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "confirm")


# -- Personal data ------------------------------------------------------------------------------


def test_personal_data_export_holds_account_memberships_and_sessions(
    client, db_session, login, world
):
    login(world.designer)

    response = client.get("/account/export")

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.get_data(as_text=True))
    assert data["account"]["email"] == world.designer.email
    assert data["account"]["display_name"] == "Dan Designer"
    assert data["account"]["active"] is True
    assert data["memberships"] == [
        {
            "academy": world.academy.name,
            "slug": world.academy.slug,
            "role": "designer",
            "since": data["memberships"][0]["since"],
        }
    ]
    assert len(data["sessions"]) == 1
    assert data["sessions"][0]["revoked_at"] is None
    body = response.get_data(as_text=True)
    assert "argon2" not in body
    assert "password" not in body
    assert "token" not in body


def test_the_admin_exports_anyones_data(client, db_session, login, world):
    login(world.admin)

    response = client.get(f"/admin/users/{world.tester.id}/export")

    assert response.status_code == 200
    assert json.loads(response.get_data(as_text=True))["account"]["email"] == world.tester.email


# -- Administration of accounts -----------------------------------------------------------------


def test_users_page_lists_and_searches(client, db_session, login, world, queries):
    login(world.admin)

    page = client.get("/admin/users").get_data(as_text=True)
    assert "Tess Tester" in page and "Maya Manager" in page

    page = client.get("/admin/users", query_string={"q": "TESS"}).get_data(as_text=True)
    assert "Tess Tester" in page and "Maya Manager" not in page

    with queries() as few:
        client.get("/admin/users")
    for _ in range(10):
        make_user(db_session)
    with queries() as many:
        client.get("/admin/users")
    assert many.count == few.count


def test_admin_deactivates_and_reactivates_an_account(app, client, db_session, login, world):
    person = client.application.test_client()
    login(world.admin)
    assert (
        person.post("/login", data={"email": world.tester.email, "password": PASSWORD}).status_code
        == 303
    )

    response = client.post(f"/admin/users/{world.tester.id}/active", data={"active": "0"})

    assert response.status_code == 303
    assert world.tester.is_active_account is False
    assert person.get("/account").status_code == 303  # logged out everywhere
    assert (
        person.post("/login", data={"email": world.tester.email, "password": PASSWORD}).status_code
        == 422
    )

    client.post(f"/admin/users/{world.tester.id}/active", data={"active": "1"})

    assert world.tester.is_active_account is True
    assert (
        person.post("/login", data={"email": world.tester.email, "password": PASSWORD}).status_code
        == 303
    )


def test_the_admin_cannot_deactivate_or_erase_themself(client, db_session, login, world):
    login(world.admin)

    client.post(f"/admin/users/{world.admin.id}/active", data={"active": "0"})
    client.post(f"/admin/users/{world.admin.id}/erase")

    assert world.admin.is_active_account is True
    assert world.admin.erased_at is None
    assert client.get("/admin/users").status_code == 200


def test_erase_removes_the_personal_data_and_the_login(app, client, db_session, login, world):
    person = make_member(db_session, world.academy, Role.TESTER, name="Erin Erased")
    email = person.email
    # Invited to another academy (an e-mail is queued to the address, the academy's history
    # names it), and another pending invitation.
    invite_member(
        db_session,
        world.other_academy,
        email=email,
        role=Role.DESIGNER,
        actor=world.outsider,
        base_url="http://brique.test",
        now=utcnow(),
    )
    db_session.add(
        AcademyInvitation(
            academy_id=world.other_academy.id,
            email=email,
            role=Role.TESTER,
            token_hash="x" * 64,
            expires_at=person.created_at,
        )
    )
    services.start_session(db_session, person, lifetime_days=1, now=utcnow())
    assert resets.request_reset(db_session, email, source="x", valid_minutes=60, now=utcnow())
    with contextlib.suppress(DomainError):  # a failed login on record
        services.authenticate(db_session, email, "wrong password!", now=utcnow())
    login(world.admin)

    response = client.post(f"/admin/users/{person.id}/erase")

    assert response.status_code == 303
    db_session.expire_all()
    assert person.erased_at is not None
    assert person.display_name != "Erin Erased"
    assert person.password_hash is None
    assert person.is_active_account is False
    for model, column in (
        (User, User.email),
        (LoginThrottle, LoginThrottle.email),
        (MemberEvent, MemberEvent.email),
        (AcademyInvitation, AcademyInvitation.email),
        (MailMessage, MailMessage.to_address),
    ):
        left = db_session.scalar(
            select(func.count()).select_from(model).where(func.lower(column) == email)
        )
        assert left == 0, f"{model.__name__} still holds {email}"
    assert (
        db_session.scalar(
            select(func.count()).select_from(Membership).where(Membership.user_id == person.id)
        )
        == 0
    )
    for owned in (UserSession, PasswordReset):
        left = db_session.scalar(
            select(func.count()).select_from(owned).where(owned.user_id == person.id)
        )
        assert left == 0, f"{owned.__name__} still holds {email}'s rows"
    assert (
        db_session.scalar(
            select(func.count())
            .select_from(MailMessage)
            .where(
                or_(
                    MailMessage.body_text.contains("Erin Erased"),
                    MailMessage.subject.contains(email),
                )
            )
        )
        == 0
    )
    other = app.test_client()
    assert other.post("/login", data={"email": email, "password": PASSWORD}).status_code == 422
