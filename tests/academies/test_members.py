"""Members: invitations by e-mail, roles, the last manager, removal, switching academies."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from tests.auth.test_login import field_error
from tests.factories import PASSWORD, make_academy, make_member, make_user
from tracker.academies import services
from tracker.academies.models import AcademyInvitation, Membership, Role
from tracker.auth.models import User
from tracker.auth.permissions import Permission, allows
from tracker.db import db, utcnow
from tracker.errors import DomainError, NotFound
from tracker.mail.models import MailMessage, MailStatus
from tracker.tokens import hash_token

EN = {"Accept-Language": "en"}
NEW_PASSWORD = "violet tram under the bridge"


def invite(client, world, email: str, role: str = "designer"):  # type: ignore[no-untyped-def]
    return client.post(
        f"/a/{world.academy.slug}/members/invite", data={"email": email, "role": role}
    )


def last_mail_to(db_session, email: str) -> MailMessage:
    return db_session.scalars(
        select(MailMessage).where(MailMessage.to_address == email).order_by(MailMessage.id.desc())
    ).first()


def link_in(message: MailMessage) -> str:
    match = re.search(r"http://brique\.test(/invitations/[A-Za-z0-9_-]+)", message.body_text)
    assert match, message.body_text
    return match.group(1)


def membership(db_session, academy, user) -> Membership | None:  # type: ignore[no-untyped-def]
    return db_session.scalar(
        select(Membership).where(Membership.academy_id == academy.id, Membership.user_id == user.id)
    )


# -- Inviting a new person ----------------------------------------------------------------------


def test_inviting_a_new_person_queues_a_mail_with_a_single_use_link(
    client, db_session, login, world
):
    login(world.manager)

    response = invite(client, world, "  New.Person@Example.com ", "tester")

    assert response.status_code == 303
    assert response.location == f"/a/{world.academy.slug}/members"
    invitation = db_session.scalars(
        select(AcademyInvitation).where(AcademyInvitation.email == "new.person@example.com")
    ).one()
    assert invitation.role == Role.TESTER
    assert invitation.invited_by_id == world.manager.id
    message = last_mail_to(db_session, "new.person@example.com")
    assert message.status == MailStatus.QUEUED
    assert message.category == "academy_invitation"
    assert world.academy.name in message.subject
    path = link_in(message)
    token = path.rsplit("/", 1)[1]
    assert invitation.token_hash == hash_token(token)  # stored hashed, never in clear
    assert token not in invitation.token_hash
    assert invitation.expires_at - utcnow() > dt.timedelta(days=13)
    members_page = client.get(f"/a/{world.academy.slug}/members").get_data(as_text=True)
    assert "new.person@example.com" in members_page  # pending


def test_following_the_link_sets_name_and_password_joins_and_logs_in(
    app, client, db_session, login, world
):
    login(world.manager)
    invite(client, world, "new.person@example.com", "tester")
    path = link_in(last_mail_to(db_session, "new.person@example.com"))
    newcomer = app.test_client()

    page = newcomer.get(path, headers=EN)
    assert page.status_code == 200
    assert world.academy.name in page.get_data(as_text=True)
    response = newcomer.post(
        path,
        data={"display_name": "Nina Newcomer", "password": NEW_PASSWORD,
              "confirm": NEW_PASSWORD, "locale": "en"},
    )  # fmt: skip

    assert response.status_code == 303
    assert response.location == f"/a/{world.academy.slug}/"
    user = db_session.scalars(select(User).where(User.email == "new.person@example.com")).one()
    assert (user.display_name, user.locale) == ("Nina Newcomer", "en")
    assert membership(db_session, world.academy, user).role == Role.TESTER
    assert newcomer.get(f"/a/{world.academy.slug}/").status_code == 200  # logged in
    assert (
        app.test_client()
        .post("/login", data={"email": user.email, "password": NEW_PASSWORD})
        .status_code
        == 303
    )


def test_the_link_works_once(app, client, db_session, login, world):
    login(world.manager)
    invite(client, world, "new.person@example.com")
    path = link_in(last_mail_to(db_session, "new.person@example.com"))
    form = {"display_name": "Nina", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD, "locale": ""}
    assert app.test_client().post(path, data=form).status_code == 303

    again = app.test_client()
    response = again.get(path, headers=EN)
    assert response.status_code == 404
    assert "This invitation link is not valid any more" in response.get_data(as_text=True)
    assert again.post(path, data=form).status_code == 404


def test_an_expired_link_shows_the_invalid_page(app, client, db_session, login, world):
    login(world.manager)
    invite(client, world, "late@example.com")
    path = link_in(last_mail_to(db_session, "late@example.com"))
    invitation = db_session.scalars(
        select(AcademyInvitation).where(AcademyInvitation.email == "late@example.com")
    ).one()
    invitation.expires_at = utcnow() - dt.timedelta(minutes=1)
    db_session.flush()

    response = app.test_client().get(path, headers=EN)

    assert response.status_code == 404
    assert "This link does not work any more" in response.get_data(as_text=True)


def test_a_revoked_or_made_up_link_is_invalid(app, client, db_session, login, world):
    login(world.manager)
    invite(client, world, "cancelled@example.com")
    path = link_in(last_mail_to(db_session, "cancelled@example.com"))
    invitation = db_session.scalars(
        select(AcademyInvitation).where(AcademyInvitation.email == "cancelled@example.com")
    ).one()

    client.post(f"/a/{world.academy.slug}/invitations/{invitation.id}/revoke")

    assert invitation.revoked_at is not None
    assert app.test_client().get(path).status_code == 404
    assert app.test_client().get("/invitations/made-up-token").status_code == 404


def test_a_weak_password_is_refused_and_the_link_still_works(app, client, db_session, login, world):
    login(world.manager)
    invite(client, world, "weak@example.com")
    path = link_in(last_mail_to(db_session, "weak@example.com"))
    newcomer = app.test_client()

    response = newcomer.post(
        path,
        data={"display_name": "Will Weak", "password": "password1234",
              "confirm": "password1234", "locale": ""},
        headers=EN,
    )  # fmt: skip

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "too common" in field_error(page, "password")
    assert 'value="Will Weak"' in page
    assert newcomer.get(path).status_code == 200
    assert db_session.scalars(select(User).where(User.email == "weak@example.com")).first() is None


def test_the_link_expires_with_the_configured_days(db_session, world, app):
    with app.test_request_context():
        invitation = services.invite_member(
            db_session, world.academy, email="soon@example.com", role=Role.TESTER,
            actor=world.manager, base_url="http://brique.test", valid_days=2, now=utcnow(),
        )  # fmt: skip

    assert dt.timedelta(days=1) < invitation.expires_at - utcnow() <= dt.timedelta(days=2)


def test_accepting_twice_in_a_race_spends_the_link_once(db_session, world, app):
    with app.test_request_context():
        invitation = services.invite_member(
            db_session, world.academy, email="race@example.com", role=Role.TESTER,
            actor=world.manager, base_url="http://brique.test", now=utcnow(),
        )  # fmt: skip
        first = services.accept_invitation(
            db_session, invitation, display_name="First", password=NEW_PASSWORD, now=utcnow()
        )
        with pytest.raises(NotFound):
            services.accept_invitation(db_session, invitation, user=first, now=utcnow())


# -- Inviting someone who already has an account: they accept, or decline, logged in ----------


def test_inviting_an_existing_account_says_the_same_and_joins_nobody(
    app, client, db_session, login, world
):
    login(world.manager)

    existing = invite(client, world, world.outsider.email.upper(), "stakeholder")
    unknown = invite(client, world, "nobody.yet@example.com", "stakeholder")

    # The manager learns nothing about the account: the same answer, the same kind of e-mail.
    assert existing.status_code == unknown.status_code == 303
    said = [
        client.get(response.location, headers=EN).get_data(as_text=True)
        for response in (existing, unknown)
    ]
    assert "already had an account" not in said[0] and "Otto" not in said[0]
    assert "An invitation is on its way to " + world.outsider.email in said[0]
    assert membership(db_session, world.academy, world.outsider) is None
    message = last_mail_to(db_session, world.outsider.email)
    assert message.category == last_mail_to(db_session, "nobody.yet@example.com").category
    assert message.category == "academy_invitation"


def test_a_person_with_an_account_accepts_while_logged_in(app, client, db_session, login, world):
    login(world.manager)
    invite(client, world, world.outsider.email, "stakeholder")
    path = link_in(last_mail_to(db_session, world.outsider.email))
    person = app.test_client()

    page = person.get(path, headers=EN).get_data(as_text=True)
    assert "log in to accept or decline" in page
    assert person.post(path, data={}).status_code in {400, 403}
    assert membership(db_session, world.academy, world.outsider) is None

    assert person.post("/login", data={"email": world.outsider.email, "password": PASSWORD})
    page = person.get(path, headers=EN).get_data(as_text=True)
    assert "Accept the invitation" in page and "Decline" in page
    response = person.post(path, data={})

    assert response.status_code == 303
    assert membership(db_session, world.academy, world.outsider).role == Role.STAKEHOLDER
    assert world.outsider.display_name == "Otto Outsider"


def test_someone_else_logged_in_cannot_accept_for_the_person(app, client, db_session, login, world):
    login(world.manager)
    invite(client, world, world.outsider.email, "designer")
    path = link_in(last_mail_to(db_session, world.outsider.email))
    login(world.designer)

    response = client.post(path, data={}, headers=EN)

    assert response.status_code == 403
    assert "sent to another address" in response.get_data(as_text=True)
    assert membership(db_session, world.academy, world.outsider) is None


def test_declining_spends_the_link_joins_nobody_and_is_in_the_history(
    app, client, db_session, login, world
):
    login(world.manager)
    invite(client, world, "no.thanks@example.com", "tester")
    path = link_in(last_mail_to(db_session, "no.thanks@example.com"))
    person = app.test_client()

    response = person.post(path + "/decline", data={})

    assert response.status_code == 303
    assert db_session.scalar(select(User).where(User.email == "no.thanks@example.com")) is None
    assert person.get(path).status_code == 404
    page = client.get(f"/a/{world.academy.slug}/members", headers=EN).get_data(as_text=True)
    assert "declined the invitation" in page


def test_opening_the_link_changes_nothing(app, client, db_session, login, world):
    """A mail scanner fetching the link accepts nothing: only the page's button does."""
    login(world.manager)
    invite(client, world, world.outsider.email, "designer")
    invite(client, world, "fresh@example.com", "designer")
    for email in (world.outsider.email, "fresh@example.com"):
        path = link_in(last_mail_to(db_session, email))
        scanner = app.test_client()
        if email == world.outsider.email:
            scanner.post("/login", data={"email": email, "password": PASSWORD})
        for _ in range(2):
            assert scanner.get(path).status_code == 200
            assert scanner.head(path).status_code == 200
    db_session.expire_all()
    invitations = db_session.scalars(select(AcademyInvitation)).all()
    assert all(i.accepted_at is None and i.declined_at is None for i in invitations)
    assert membership(db_session, world.academy, world.outsider) is None
    assert db_session.scalar(select(User).where(User.email == "fresh@example.com")) is None


def test_reinviting_rotates_the_link(app, client, db_session, login, world):
    login(world.manager)
    invite(client, world, "twice@example.com", "tester")
    first = link_in(last_mail_to(db_session, "twice@example.com"))
    invite(client, world, "twice@example.com", "designer")
    second = link_in(last_mail_to(db_session, "twice@example.com"))

    assert first != second
    assert app.test_client().get(first).status_code == 404
    assert app.test_client().get(second).status_code == 200
    stored = db_session.scalars(select(AcademyInvitation.token_hash)).all()
    assert hash_token(second.rsplit("/", 1)[1]) in stored
    assert second.rsplit("/", 1)[1] not in " ".join(stored)


def test_an_invalid_email_is_refused_on_its_field(client, db_session, login, world):
    login(world.manager)

    response = client.post(
        f"/a/{world.academy.slug}/members/invite",
        data={"email": "not-an-address", "role": "tester"},
        headers=EN,
    )

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert field_error(page, "email")
    assert 'value="not-an-address"' in page


def test_an_unknown_role_is_refused(client, db_session, login, world):
    login(world.manager)

    response = invite(client, world, "someone@example.com", "owner")

    assert response.status_code == 422
    assert last_mail_to(db_session, "someone@example.com") is None


# -- Roles and removal --------------------------------------------------------------------------


def change_role(client, world, member: User, role: str):  # type: ignore[no-untyped-def]
    m = world.academy.memberships
    membership_id = next(x.id for x in m if x.user_id == member.id)
    return client.post(
        f"/a/{world.academy.slug}/members/{membership_id}/role",
        data={f"m{membership_id}-role": role},
    )


def test_manager_changes_a_role(client, db_session, login, world):
    login(world.manager)

    response = change_role(client, world, world.tester, "designer")

    assert response.status_code == 303
    assert membership(db_session, world.academy, world.tester).role == Role.DESIGNER


def test_the_last_manager_cannot_be_demoted(client, db_session, login, world):
    login(world.manager)

    response = change_role(client, world, world.manager, "tester")

    assert response.status_code == 303
    assert membership(db_session, world.academy, world.manager).role == Role.MANAGER
    page = client.get(response.location, headers=EN).get_data(as_text=True)
    assert "An academy keeps at least one manager." in page


def test_a_manager_can_step_down_once_there_is_another(client, db_session, login, world):
    login(world.manager)
    change_role(client, world, world.designer, "manager")

    change_role(client, world, world.manager, "designer")

    assert membership(db_session, world.academy, world.manager).role == Role.DESIGNER
    assert membership(db_session, world.academy, world.designer).role == Role.MANAGER


def test_the_last_manager_cannot_be_removed(client, db_session, login, world):
    login(world.manager)
    own = membership(db_session, world.academy, world.manager)

    client.post(f"/a/{world.academy.slug}/members/{own.id}/remove")

    assert membership(db_session, world.academy, world.manager) is not None


def test_inviting_a_member_or_oneself_is_refused(client, db_session, login, world):
    login(world.admin)

    member = invite(client, world, world.manager.email, "tester")
    himself = invite(client, world, world.admin.email, "manager")

    assert member.status_code == himself.status_code == 422
    assert membership(db_session, world.academy, world.manager).role == Role.MANAGER
    assert "already a member" in field_error(member.get_data(as_text=True), "email")
    assert "cannot invite yourself" in field_error(himself.get_data(as_text=True), "email")
    assert membership(db_session, world.academy, world.admin) is None


def test_the_services_keep_one_manager(db_session, world):
    own = membership(db_session, world.academy, world.manager)
    with pytest.raises(DomainError):
        services.change_role(db_session, own, Role.STAKEHOLDER)
    with pytest.raises(DomainError):
        services.remove_member(db_session, own)
    with pytest.raises(DomainError):
        services.add_member(db_session, world.academy, world.manager, Role.TESTER)
    assert own.role == Role.MANAGER


def test_manager_removes_a_member(app, client, db_session, login, world):
    tester_client = app.test_client()
    assert (
        tester_client.post(
            "/login", data={"email": world.tester.email, "password": PASSWORD}
        ).status_code
        == 303
    )
    login(world.manager)
    target = membership(db_session, world.academy, world.tester)

    response = client.post(f"/a/{world.academy.slug}/members/{target.id}/remove")

    assert response.status_code == 303
    assert membership(db_session, world.academy, world.tester) is None
    assert tester_client.get(f"/a/{world.academy.slug}/").status_code == 403


def test_a_member_of_another_academy_cannot_be_managed_from_here(client, db_session, login, world):
    login(world.manager)
    foreign = membership(db_session, world.other_academy, world.outsider)

    response = client.post(f"/a/{world.academy.slug}/members/{foreign.id}/remove")

    assert response.status_code == 404
    assert membership(db_session, world.other_academy, world.outsider) is not None


def test_members_page_queries_do_not_grow_with_members(client, db_session, login, world, queries):
    login(world.manager)
    url = f"/a/{world.academy.slug}/members"
    client.get(url)
    with queries() as few:
        assert client.get(url).status_code == 200
    for _ in range(10):
        make_member(db_session, world.academy, Role.TESTER)

    with queries() as many:
        page = client.get(url).get_data(as_text=True)

    assert page.count('class="button button-small button-danger"') == 15  # the world has 5 + 10
    assert many.count == few.count


# -- Several academies --------------------------------------------------------------------------


def test_a_person_in_two_academies_sees_both_and_returns_to_the_last_one(
    client, db_session, login, world
):
    second = make_academy(db_session, name="Zeta Academy", actor=world.admin)
    services.add_member(db_session, second, world.designer, Role.TESTER)
    login(world.designer)

    page = client.get(f"/a/{world.academy.slug}/", headers=EN).get_data(as_text=True)
    switcher = page.split('class="menu academy-switcher"', 1)[1].split("</details>", 1)[0]
    assert f'href="/a/{world.academy.slug}/"' in switcher
    assert f'href="/a/{second.slug}/"' in switcher
    assert client.get("/").location == f"/a/{world.academy.slug}/"

    client.get(f"/a/{second.slug}/")
    assert client.get("/").location == f"/a/{second.slug}/"

    client.get(f"/a/{world.academy.slug}/")
    assert client.get("/").location == f"/a/{world.academy.slug}/"


def test_home_goes_to_the_only_academy_or_the_list(client, db_session, login, world):
    login(world.tester)
    assert client.get("/").location == f"/a/{world.academy.slug}/"

    lonely = make_user(db_session)
    client.post("/logout")
    login(lonely)
    assert client.get("/").location == "/academies/"


def test_the_last_academy_is_not_kept_once_the_person_left_it(client, db_session, login, world):
    second = make_academy(db_session, name="Zeta Academy", actor=world.admin)
    services.add_member(db_session, second, world.designer, Role.DESIGNER)
    login(world.designer)
    client.get(f"/a/{second.slug}/")
    db_session.delete(membership(db_session, second, world.designer))
    db_session.flush()

    assert client.get("/").location == f"/a/{world.academy.slug}/"


def test_an_old_link_for_someone_who_has_an_account_since_asks_them_to_log_in(
    app, db_session, world
):
    with app.test_request_context():
        invitation = services.invite_member(
            db_session, world.academy, email="later@example.com", role=Role.TESTER,
            actor=world.manager, base_url="http://brique.test", now=utcnow(),
        )  # fmt: skip
    path = link_in(last_mail_to(db_session, "later@example.com"))
    person = make_user(db_session, email="later@example.com", name="Laure Later")
    db_session.commit()
    browser = app.test_client()

    assert browser.get(path).status_code == 200
    assert membership(db_session, world.academy, person) is None
    browser.post("/login", data={"email": person.email, "password": PASSWORD})
    assert browser.post(path, data={}).status_code == 303

    assert membership(db_session, world.academy, person).role == Role.TESTER
    db_session.refresh(invitation)
    assert invitation.accepted_at is not None
    assert person.display_name == "Laure Later"


def test_an_old_link_cannot_demote_the_last_manager(app, db_session, world):
    with app.test_request_context():
        services.invite_member(
            db_session, world.other_academy, email="boss@example.com", role=Role.TESTER,
            actor=world.admin, base_url="http://brique.test", now=utcnow(),
        )  # fmt: skip
    path = link_in(last_mail_to(db_session, "boss@example.com"))
    boss = make_user(db_session, email="boss@example.com")
    services.add_member(db_session, world.other_academy, boss, Role.MANAGER)
    services.remove_member(db_session, membership(db_session, world.other_academy, world.outsider))
    db_session.commit()  # as a real request would find it (the view rolls back its own work)
    browser = app.test_client()
    browser.post("/login", data={"email": boss.email, "password": PASSWORD})

    response = browser.post(path, data={}, headers=EN)

    assert response.status_code == 422
    assert "An academy keeps at least one manager." in response.get_data(as_text=True)
    assert membership(db_session, world.other_academy, boss).role == Role.MANAGER


# -- The site admin runs the academy's people in the open (issue 18.2) ----------------------------


def test_what_the_site_admin_does_to_members_is_in_the_history_marked(
    app, client, db_session, login, world
):
    login(world.admin)
    invite(client, world, "helper@example.com", "manager")
    client.post(
        f"/a/{world.academy.slug}/members/{membership(db_session, world.academy, world.tester).id}"
        "/role",
        data={f"m{membership(db_session, world.academy, world.tester).id}-role": "designer"},
    )
    login(world.manager)

    page = client.get(f"/a/{world.academy.slug}/members", headers=EN).get_data(as_text=True)

    history = page.split("History", 1)[1]
    assert "helper@example.com" in history and "invited" in history
    assert world.tester.email in history and "role changed" in history
    assert history.count("site administrator") == 2
    assert "by Ada Admin" in history
    # ... and the managers are told by e-mail, each time (not when a manager acts).
    notices = db_session.scalars(
        select(MailMessage).where(MailMessage.category == "site_admin_notice")
    ).all()
    assert [m.to_address for m in notices] == [world.manager.email] * 2
    assert "helper@example.com" in notices[0].body_text and "Ada Admin" in notices[0].body_text
    invite(client, world, "by.the.manager@example.com", "designer")
    assert (
        db_session.scalar(
            select(func.count(MailMessage.id)).where(MailMessage.category == "site_admin_notice")
        )
        == 2
    )


def test_a_site_admin_joining_an_academy_is_marked_and_then_reads_as_a_member(
    app, client, db_session, login, world
):
    assert not allows(world.admin, Permission.BRICK_VIEW, world.academy, role=None)
    login(world.manager)
    invite(client, world, world.admin.email, "designer")
    path = link_in(last_mail_to(db_session, world.admin.email))
    admin = app.test_client()
    admin.post("/login", data={"email": world.admin.email, "password": PASSWORD})
    assert admin.get(f"/a/{world.academy.slug}/backlog").status_code == 403
    assert admin.post(path, data={}).status_code == 303

    events = services.member_history(db_session, world.academy)
    joined = next(e for e in events if e.kind.value == "joined")
    assert (joined.email, joined.by_site_admin) == (world.admin.email, True)
    assert admin.get(f"/a/{world.academy.slug}/backlog").status_code == 200


def test_a_vendors_contact_has_no_role_form_on_the_members_page(client, login, world):
    membership = (
        db.session.query(Membership)
        .filter_by(academy_id=world.academy.id, user_id=world.vendor.id)
        .one()
    )
    designer = (
        db.session.query(Membership)
        .filter_by(academy_id=world.academy.id, user_id=world.designer.id)
        .one()
    )
    login(world.manager)

    html = client.get(f"/a/{world.academy.slug}/members").get_data(as_text=True)

    # Changing their role there would make them an ordinary member of the whole academy.
    assert f"/members/{membership.id}/role" not in html
    assert f"/members/{designer.id}/role" in html
