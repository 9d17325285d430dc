"""Every route, every principal: the expected answer, from one table.

A route missing from ROUTES fails `test_every_route_is_in_the_table`, so a new view cannot ship
without saying who may call it. Expected answers:
- "ok": the view ran (any status but 401/403 and not a redirect to the login page);
- "login": anonymous person sent to the login page (303 to /login?next=...);
- "forbidden": 403.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories import PRINCIPALS, World, make_brick, make_user
from tracker.academies.models import AcademyInvitation, Membership
from tracker.academies.services import invite_member
from tracker.db import utcnow
from tracker.mail.models import MailMessage
from tracker.mail.services import queue_mail

Path = Callable[[World, Session], str]

EVERYONE = set(PRINCIPALS)
MEMBERS = {"manager", "designer", "tester", "stakeholder"}


@dataclass
class Route:
    path: Path
    method: str = "GET"
    # Principals for whom the view runs; everyone else is refused (anonymous: login page).
    allowed: set[str] = field(default_factory=set)
    public: bool = False  # anonymous included, nobody refused
    data: dict[str, Any] = field(default_factory=dict)
    # An /api/v1 route: called with a bearer token of the principal (read and write, all of its
    # academies), never a session; anonymous is 401, and an academy the principal is not a
    # member of is 404 ("hidden"), as if it did not exist.
    api: bool = False


def academy(suffix: str = "") -> Path:
    return lambda w, s: f"/a/{w.academy.slug}/{suffix}"


def _membership_of(w: World, s: Session) -> int:
    return s.query(Membership).filter_by(academy_id=w.academy.id, user_id=w.tester.id).one().id


def _invitation(w: World, s: Session) -> int:
    from flask_babel import force_locale

    with force_locale("en"):
        invitation = invite_member(
            s, w.academy, email="new.person@example.com", role="tester", actor=w.manager,
            base_url="http://brique.test", now=utcnow(),
        )  # fmt: skip
    return invitation.id


def _invitation_link(w: World, s: Session, email: str = "") -> str:
    """A pending invitation of the main academy for the outsider (an account with a password);
    its path, as the e-mail gives it."""
    from flask_babel import force_locale

    email = email or w.outsider.email
    with force_locale("en"):
        invite_member(
            s, w.academy, email=email, role="designer", actor=w.manager,
            base_url="http://brique.test", now=utcnow(),
        )  # fmt: skip
    body = s.scalars(
        select(MailMessage.body_text)
        .where(MailMessage.to_address == email)
        .order_by(MailMessage.id.desc())
    ).first()
    match = re.search(r"http://brique\.test(/invitations/[A-Za-z0-9_-]+)", body or "")
    assert match, body
    return match.group(1)


def _message(w: World, s: Session) -> int:
    message = queue_mail(
        s,
        to="someone@example.com",
        template="mail/added_to_academy",
        context={
            "academy": w.academy,
            "role": "tester",
            "actor": w.manager,
            "link": "http://brique.test/",
        },
    )
    return message.id


def _user(w: World, s: Session) -> int:
    return make_user(s).id


def _path(w: World, s: Session) -> int:
    from tracker.backlog.paths_services import create_path

    return create_path(s, w.academy, name="Data & IA").id


def _need(w: World, s: Session) -> int:
    from tracker.backlog.needs_services import submit_need

    need = submit_need(
        s, w.academy, actor=w.stakeholder, title="RGPD", business_unit="DRH", now=utcnow()
    )
    return need.id


def _brick(w: World, s: Session) -> int:
    return make_brick(s, w, "Quiz", format="mooc").id


def _release(w: World, s: Session) -> int:
    from tracker.releases.services import create_release

    return create_release(s, w.academy, name="Incrément 1", actor=w.manager, now=utcnow()).id


def _evaluation(w: World, s: Session) -> int:
    from tracker.learning.evaluations import create_evaluation
    from tracker.learning.models import EvaluationKind
    from tracker.releases.models import Release

    release = s.get(Release, _release(w, s))
    assert release is not None
    return create_evaluation(s, w.academy, release, EvaluationKind.REACTION, now=utcnow())[0].id


def _evaluation_link(w: World, s: Session) -> str:
    from tracker.learning.evaluations import create_evaluation
    from tracker.learning.models import EvaluationKind
    from tracker.releases.models import Release

    release = s.get(Release, _release(w, s))
    assert release is not None
    return create_evaluation(s, w.academy, release, EvaluationKind.REACTION, now=utcnow())[1]


def _published_notes(w: World, s: Session) -> int:
    """An approved release with published notes (the stakeholder gets the e-mail)."""
    from flask_babel import force_locale

    from tracker.db import utcnow
    from tracker.releases.models import ReleaseState
    from tracker.releases.notes import publish_notes
    from tracker.releases.services import create_release

    release = create_release(s, w.academy, name="Incrément publié", actor=w.manager, now=utcnow())
    release.state = ReleaseState.APPROVED  # the go/no-go itself is tested in tests/releases
    with force_locale("en"):
        publish_notes(
            s, release, body="# Notes", actor=w.manager, now=utcnow(), base_url="http://brique.test"
        )
    return release.id


def _sprint(w: World, s: Session) -> int:
    from tracker.sprints.services import create_sprint

    return create_sprint(s, w.academy, name="Sprint 1").id


def _results_round(w: World, s: Session) -> int:
    """A round with one feedback item (the results side: results, triage, exports)."""
    from tests.factories import add_item, add_round

    round_ = add_round(s, w.academy)
    add_item(s, round_, title="Slide 4 unreadable")
    return round_.id


def _results_item_url(action: str) -> Path:
    def path(w: World, s: Session) -> str:
        from tests.factories import add_item, add_round

        round_ = add_round(s, w.academy)
        item = add_item(s, round_, title="Slide 4 unreadable")
        return f"/a/{w.academy.slug}/rounds/{round_.id}/items/{item.id}/{action}"

    return path


def _notification(w: World, s: Session) -> int:
    """A notification of the manager's (a brick the designer assigned to them)."""
    from tracker.workspace.models import Notification

    make_brick(s, w, "Assigned", actor=w.designer, owner_id=w.manager.id)
    return s.scalars(select(Notification.id).where(Notification.user_id == w.manager.id)).first()


def _saved_view(w: World, s: Session) -> int:
    """A saved view of the manager's."""
    from tracker.backlog.saved_views import save_view

    return save_view(s, w.academy, w.manager, "Mine", {"format": "video"}).id


def _attachment(w: World, s: Session) -> int:
    """A PNG on a brick of the academy (with its thumbnail)."""
    import io

    from PIL import Image

    from tracker.attachments.services import attach_to_brick

    out = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(out, format="PNG")
    brick = make_brick(s, w, "With a file")
    return attach_to_brick(
        s, brick, actor=w.manager, filename="a.png", data=out.getvalue(), max_bytes=10**6,
        now=utcnow(),
    ).id  # fmt: skip


def _brick_url(suffix: str = "") -> Path:
    """A brick of the academy (brick pages are addressed by its number)."""

    def path(w: World, s: Session) -> str:
        brick = make_brick(s, w, "Page")
        return f"/a/{w.academy.slug}/bricks/{brick.number}{suffix}"

    return path


def _tick_url(w: World, s: Session) -> str:
    brick = make_brick(s, w, "Tick")
    return f"/a/{w.academy.slug}/bricks/{brick.number}/checklist/{brick.checklist[0].id}"


def _checklist_item_url(action: str) -> Path:
    def path(w: World, s: Session) -> str:
        from tracker.backlog.checklists import templates_by_format
        from tracker.backlog.models import BrickFormat

        item = templates_by_format(s, w.academy)[BrickFormat.VIDEO][0]
        return f"/a/{w.academy.slug}/checklists/items/{item.id}/{action}"

    return path


def _backlog_brick_url(action: str) -> Path:
    """/a/<slug>/backlog/<number>/<action> for a new brick of the academy."""

    def path(w: World, s: Session) -> str:
        brick = make_brick(s, w, "Listed")
        return f"/a/{w.academy.slug}/backlog/{brick.number}/{action}"

    return path


def _board_move_url(w: World, s: Session) -> str:
    brick = make_brick(s, w, "Card")
    return f"/a/{w.academy.slug}/board/{brick.number}/move"


def _board_quick_url(w: World, s: Session) -> str:
    brick = make_brick(s, w, "Card")
    return f"/a/{w.academy.slug}/board/{brick.number}/quick"


def _board_quick_url_to(suffix: str) -> Path:
    return lambda w, s: _board_quick_url(w, s) + suffix


def _quick_tick_url(w: World, s: Session) -> str:
    brick = make_brick(s, w, "Tick")
    return f"/a/{w.academy.slug}/board/{brick.number}/quick/checklist/{brick.checklist[0].id}"


def _stage_url(action: str) -> Path:
    def path(w: World, s: Session) -> str:
        from tracker.board.stages import add_stage

        stage = add_stage(s, w.academy, name=f"Stage {action}")
        return f"/a/{w.academy.slug}/stages/{stage.id}/{action}"

    return path


def _webhook_url(suffix: str = "", *, delivery: bool = False) -> Path:
    """A webhook of the academy (with one delivery when asked) + suffix."""

    def path(w: World, s: Session) -> str:
        from tracker.webhooks.models import WebhookDelivery
        from tracker.webhooks.services import create_endpoint

        endpoint, _secret = create_endpoint(
            s, w.academy, url="https://hooks.example.com/brique", description="LMS",
            event_types=["brick.created"], actor=w.manager, allow_private=False,
            app_secret_key="k", now=utcnow(),
        )  # fmt: skip
        url = f"/a/{w.academy.slug}/settings/webhooks/{endpoint.id}"
        if delivery:
            make_brick(s, w, "Sent")
            found = s.query(WebhookDelivery).filter_by(endpoint_id=endpoint.id).one()
            url += f"/deliveries/{found.id}"
        return url + suffix

    return path


def _round_url(suffix: str = "", *, state: str = "draft", invite_tester: bool = False) -> Path:
    """A feedback round of the academy (draft, or open; the tester invited or not) + suffix."""

    def path(w: World, s: Session) -> str:
        from tests.factories import give_profile, invite, make_round

        setup = make_round(s, w.academy, w.manager, open_it=state == "open")
        if invite_tester:
            give_profile(s, w.academy, w.tester)
            invite(s, setup.round, [w.tester])
        return f"/a/{w.academy.slug}/rounds/{setup.round.id}/{suffix}"

    return path


def _invitation_url(action: str) -> Path:
    """The tester's invitation to an open round + action."""

    def path(w: World, s: Session) -> str:
        from tests.feedback.factories import give_profile, invite, make_round

        setup = make_round(s, w.academy, w.manager)
        give_profile(s, w.academy, w.tester)
        [invitation] = invite(s, setup.round, [w.tester])
        return f"/a/{w.academy.slug}/rounds/{setup.round.id}/invitations/{invitation.id}/{action}"

    return path


def _question_url(action: str) -> Path:
    def path(w: World, s: Session) -> str:
        from tests.factories import make_round

        setup = make_round(s, w.academy, w.manager, open_it=False)
        question = setup.round.questions[-1]
        return f"/a/{w.academy.slug}/rounds/{setup.round.id}/questions/{question.id}/{action}"

    return path


def _tester_item(w: World, s: Session) -> tuple[int, int, str]:
    """(round id, item id, personal link token) of an item the tester reported."""
    from tests.conftest import SECRET
    from tests.factories import give_profile, invite, make_round, token_of
    from tracker.db import utcnow
    from tracker.feedback.items import ItemInput, report_item

    setup = make_round(s, w.academy, w.manager)
    give_profile(s, w.academy, w.tester)
    [invitation] = invite(s, setup.round, [w.tester])
    item = report_item(
        s, invitation, ItemInput(None, "slide 4", "issue", "minor", "Typo"), secret_key=SECRET,
        now=utcnow(),
    )  # fmt: skip
    return setup.round.id, item.id, token_of(setup.round, w.tester)


def _profile(w: World, s: Session) -> int:
    from tests.factories import give_profile

    return give_profile(s, w.academy, w.tester).id


def _segment(w: World, s: Session) -> int:
    from tracker.feedback.panel import create_segment

    return create_segment(s, w.academy, name="Finance", filters={"business_unit": ["Finance"]}).id


def api(suffix: str | Path = "", method: str = "GET", **kwargs: Any) -> Route:
    """An API route of the main academy (suffix: after /api/v1/academies/<slug>)."""
    if callable(suffix):
        path = suffix
    else:
        path = lambda w, s: f"/api/v1/academies/{w.academy.slug}{suffix}"  # noqa: E731
    return Route(path, method, api=True, **kwargs)


def _api_item_url(suffix: str = "") -> Path:
    def path(w: World, s: Session) -> str:
        from tests.factories import add_item, add_round

        round_ = add_round(s, w.academy)
        item = add_item(s, round_, title="Slide 4 unreadable")
        return f"/api/v1/academies/{w.academy.slug}/rounds/{round_.id}/items/{item.id}{suffix}"

    return path


def _vendor_url(suffix: str, *, fresh: bool = False) -> Path:
    """The world's vendor (or a fresh one nothing names) + suffix."""

    def path(w: World, s: Session) -> str:
        from tracker.vendors.services import create_vendor

        vendor = create_vendor(s, w.academy, name="Fresh", now=utcnow()) if fresh else w.studio
        return f"/a/{w.academy.slug}/vendors/{vendor.id}{suffix}"

    return path


def _api(kind: Callable[[World, Session], int], suffix: str = "") -> Path:
    """/api/v1/academies/<slug>/<collection>/<a new object's id><suffix>."""
    collections = {
        "_path": "paths", "_sprint": "sprints", "_release": "releases", "_need": "needs",
        "_results_round": "rounds",
    }  # fmt: skip

    def path(w: World, s: Session) -> str:
        return (
            f"/api/v1/academies/{w.academy.slug}/{collections[kind.__name__]}/{kind(w, s)}{suffix}"
        )

    return path


def _contact_url(action: str) -> Path:
    def path(w: World, s: Session) -> str:
        from tracker.vendors.services import add_contact

        contact = add_contact(s, w.studio, name="Carla Contact", email="carla@studio.example")
        return f"/a/{w.academy.slug}/vendors/{w.studio.id}/contacts/{contact.id}/{action}"

    return path


def _api_brick(suffix: str = "") -> Path:
    def path(w: World, s: Session) -> str:
        brick = make_brick(s, w, "API brick")
        return f"/api/v1/academies/{w.academy.slug}/bricks/{brick.number}{suffix}"

    return path


def _token_of(w: World, s: Session) -> int:
    """A token of the manager's (the others revoking it: 404, the view ran and refused)."""
    from tracker.api.services import create_personal_token

    issued = create_personal_token(
        s, w.manager, name="t", can_write=False, academy=None, days=7, now=utcnow()
    )
    return issued.token.id


def _service_account(w: World, s: Session) -> int:
    from tracker.academies.models import Role
    from tracker.api.services import create_service_account

    account = create_service_account(
        s, w.academy, name="LMS", role="designer", actor=w.manager, actor_role=Role.MANAGER,
        now=utcnow(),
    )  # fmt: skip
    return account.id


def _service_token_url(w: World, s: Session) -> str:
    from tracker.api.services import get_service_account, issue_service_token

    account = get_service_account(s, w.academy, _service_account(w, s))
    issued = issue_service_token(s, account, name="t", can_write=False, days=7, now=utcnow())
    base = f"/a/{w.academy.slug}/settings/service-accounts/{account.id}"
    return f"{base}/tokens/{issued.token.id}/revoke"


def _studio_spec(w: World, s: Session, *, sent: bool):
    """A specification of the world's vendor from one of its bricks (sent, or a draft)."""
    from tracker.vendors import specs
    from tracker.vendors.models import SourceKind
    from tracker.vendors.services import add_contact

    brick = make_brick(s, w, "Spec brick")
    brick.vendor_id = w.studio.id
    s.flush()
    spec = specs.create_specification(
        s, w.academy, w.studio, kind=SourceKind.BRICK, source_id=brick.id, now=utcnow()
    )
    if sent:
        add_contact(s, w.studio, name="Carla", email="carla@studio.example")
        specs.send_specification(
            s, w.academy, spec, actor=w.manager, base_url="http://brique.test", now=utcnow()
        )
    return spec


def _spec_url(suffix: str, *, sent: bool = False) -> Path:
    return lambda w, s: (
        f"/a/{w.academy.slug}/specifications/{_studio_spec(w, s, sent=sent).id}{suffix}"
    )


def _portal_spec_url(suffix: str) -> Path:
    return lambda w, s: (
        f"/a/{w.academy.slug}/vendor/specifications/{_studio_spec(w, s, sent=True).id}{suffix}"
    )


def _studio_brick_url(suffix: str) -> Path:
    """A brick of the world's vendor, on the vendor's side of the app."""

    def path(w: World, s: Session) -> str:
        brick = make_brick(s, w, "Studio brick")
        brick.vendor_id = w.studio.id
        s.flush()
        return f"/a/{w.academy.slug}/vendor/bricks/{brick.number}{suffix}"

    return path


def _quote_url(suffix: str) -> Path:
    def path(w: World, s: Session) -> str:
        from decimal import Decimal

        from tracker.vendors.quotes import submit_quote

        spec = _studio_spec(w, s, sent=True)
        quote = submit_quote(
            s, spec, amount=Decimal("1000"), currency="EUR", days=5, valid_until=None, note="",
            actor=w.vendor, now=utcnow(),
        )  # fmt: skip
        return f"/a/{w.academy.slug}/quotes/{quote.id}{suffix}"

    return path


def _planned_url(w: World, s: Session) -> str:
    brick = make_brick(s, w, "Planned")
    return f"/a/{w.academy.slug}/budget/bricks/{brick.id}/planned"


SITE_ADMIN = {"admin"}
ACADEMY_ADMINS = {"admin", "manager"}
BUILDERS = {"manager", "designer"}
REQUESTERS = {"manager", "stakeholder"}

ROUTES: dict[str, Route] = {
    # Site
    "core.index": Route(lambda w, s: "/", public=True),
    "core.health": Route(lambda w, s: "/healthz", public=True),
    "ops.ready": Route(lambda w, s: "/readyz", public=True),
    "ops.metrics_page": Route(lambda w, s: "/metrics", public=True),
    "core.choose_language": Route(
        lambda w, s: "/language", "POST", public=True, data={"locale": "fr"}
    ),
    # Accounts
    "auth.login": Route(lambda w, s: "/login", public=True),
    # Single sign-on (404 here: not configured; tests/auth/test_sso.py runs it for real).
    "auth.sso_login": Route(lambda w, s: "/login/sso", public=True),
    "auth.sso_callback": Route(lambda w, s: "/login/sso/callback?code=x&state=y", public=True),
    "auth.logout": Route(lambda w, s: "/logout", "POST", allowed=EVERYONE - {"anonymous"}),
    "auth.profile": Route(lambda w, s: "/account", allowed=EVERYONE - {"anonymous"}),
    "auth.change_password": Route(
        lambda w, s: "/account/password", allowed=EVERYONE - {"anonymous"}
    ),
    "auth.export_data": Route(lambda w, s: "/account/export", allowed=EVERYONE - {"anonymous"}),
    # Opening a real invitation's page: anyone holding the link (it changes nothing).
    "auth.accept_invitation": Route(lambda w, s: _invitation_link(w, s), public=True),
    # Declining someone else's invitation: refused (back to its page), see the test below.
    "auth.decline_invitation": Route(
        lambda w, s: f"{_invitation_link(w, s)}/decline", "POST", public=True
    ),
    "auth.invitation_done": Route(lambda w, s: "/invitations/done", public=True),
    "auth.forgot_password": Route(lambda w, s: "/password/forgot", public=True),
    "auth.reset_password": Route(lambda w, s: "/password/reset/not-a-token", public=True),
    "auth.admin_users": Route(lambda w, s: "/admin/users", allowed=SITE_ADMIN),
    "auth.admin_set_active": Route(
        lambda w, s: f"/admin/users/{_user(w, s)}/active", "POST", allowed=SITE_ADMIN
    ),
    "auth.admin_export_user": Route(
        lambda w, s: f"/admin/users/{_user(w, s)}/export", allowed=SITE_ADMIN
    ),
    "auth.admin_erase_user": Route(
        lambda w, s: f"/admin/users/{_user(w, s)}/erase", "POST", allowed=SITE_ADMIN
    ),
    # Academies
    "academies.index": Route(lambda w, s: "/academies/", allowed=EVERYONE - {"anonymous"}),
    "academies.create": Route(lambda w, s: "/academies/new", allowed=SITE_ADMIN),
    "academy.home": Route(academy(), allowed={"admin", "vendor"} | MEMBERS),
    "academy.settings": Route(academy("settings"), allowed=ACADEMY_ADMINS),
    # Webhooks carry the academy's content out: its managers only (not the site admin).
    "webhooks.index": Route(academy("settings/webhooks"), allowed={"manager"}),
    "webhooks.create": Route(academy("settings/webhooks/new"), allowed={"manager"}),
    "webhooks.show": Route(_webhook_url(), allowed={"manager"}),
    "webhooks.enable": Route(_webhook_url("/enable"), "POST", allowed={"manager"}),
    "webhooks.disable": Route(_webhook_url("/disable"), "POST", allowed={"manager"}),
    "webhooks.rotate_secret": Route(_webhook_url("/rotate-secret"), "POST", allowed={"manager"}),
    "webhooks.delete": Route(_webhook_url("/delete"), "POST", allowed={"manager"}),
    "webhooks.send_again": Route(
        _webhook_url("/send-again", delivery=True), "POST", allowed={"manager"}
    ),
    # The "@" autocomplete's names: those who see bricks (a vendor's member: narrowed).
    "workspace.mention_candidates": Route(
        academy("mentions.json"), allowed={"manager", "designer", "vendor"}
    ),
    "workspace.my_work": Route(academy("my-work"), allowed={"admin", "vendor"} | MEMBERS),
    "workspace.notifications_list": Route(
        academy("notifications"), allowed={"admin", "vendor"} | MEMBERS
    ),
    "workspace.read_all": Route(
        academy("notifications/read"), "POST", allowed={"admin", "vendor"} | MEMBERS
    ),
    "workspace.read_one": Route(
        lambda w, s: f"/a/{w.academy.slug}/notifications/{_notification(w, s)}/read",
        "POST",
        # Any member may ask; someone else's notification is a 404 (tests/workspace).
        allowed={"admin", "vendor"} | MEMBERS,
    ),
    "workspace.digest_settings": Route(
        academy("notifications/settings"),
        "POST",
        allowed={"admin", "vendor"} | MEMBERS,
        data={"frequency": "never"},
    ),
    "search.index": Route(
        academy("search?q=s%C3%A9curit%C3%A9"), allowed={"admin", "vendor"} | MEMBERS
    ),
    "academy.members": Route(academy("members"), allowed=ACADEMY_ADMINS),
    "academy.invite": Route(academy("members/invite"), "POST", allowed=ACADEMY_ADMINS),
    "academy.change_role": Route(
        lambda w, s: f"/a/{w.academy.slug}/members/{_membership_of(w, s)}/role",
        "POST",
        allowed=ACADEMY_ADMINS,
    ),
    "academy.remove_member": Route(
        lambda w, s: f"/a/{w.academy.slug}/members/{_membership_of(w, s)}/remove",
        "POST",
        allowed=ACADEMY_ADMINS,
    ),
    "academy.revoke_invitation": Route(
        lambda w, s: f"/a/{w.academy.slug}/invitations/{_invitation(w, s)}/revoke",
        "POST",
        allowed=ACADEMY_ADMINS,
    ),
    # Learning paths: managers manage, designers read.
    "paths.index": Route(academy("paths/"), allowed=BUILDERS),
    "paths.create": Route(academy("paths/new"), allowed={"manager"}),
    "paths.show": Route(lambda w, s: f"/a/{w.academy.slug}/paths/{_path(w, s)}/", allowed=BUILDERS),
    "paths.edit": Route(
        lambda w, s: f"/a/{w.academy.slug}/paths/{_path(w, s)}/edit", allowed={"manager"}
    ),
    "paths.move": Route(
        lambda w, s: f"/a/{w.academy.slug}/paths/{_path(w, s)}/move",
        "POST",
        allowed={"manager"},
        data={"direction": "up"},
    ),
    "paths.delete": Route(
        lambda w, s: f"/a/{w.academy.slug}/paths/{_path(w, s)}/delete", "POST", allowed={"manager"}
    ),
    # Training needs: builders read all, managers triage, requesters follow their own.
    "needs.index": Route(academy("needs/"), allowed=BUILDERS),
    "needs.mine": Route(academy("needs/mine"), allowed=REQUESTERS),
    "needs.submit": Route(academy("needs/new"), allowed=REQUESTERS),
    "needs.coverage": Route(academy("needs/coverage"), allowed=BUILDERS | {"stakeholder"}),
    # The need was submitted by the stakeholder: they may read it (another one may not).
    "needs.show": Route(
        lambda w, s: f"/a/{w.academy.slug}/needs/{_need(w, s)}/",
        allowed=BUILDERS | {"stakeholder"},
    ),
    "needs.edit": Route(
        lambda w, s: f"/a/{w.academy.slug}/needs/{_need(w, s)}/edit", allowed={"manager"}
    ),
    "needs.change_status": Route(
        lambda w, s: f"/a/{w.academy.slug}/needs/{_need(w, s)}/status",
        "POST",
        allowed={"manager"},
        data={"status": "accepted"},
    ),
    "needs.link_brick": Route(
        lambda w, s: f"/a/{w.academy.slug}/needs/{_need(w, s)}/bricks",
        "POST",
        allowed={"manager"},
    ),
    "needs.unlink_brick": Route(
        lambda w, s: f"/a/{w.academy.slug}/needs/{_need(w, s)}/bricks/{_brick(w, s)}/unlink",
        "POST",
        allowed={"manager"},
    ),
    # Releases (planning buckets) and minimal sprints: managers manage, designers read.
    "releases.index": Route(academy("releases/"), allowed=BUILDERS),
    "releases.create": Route(academy("releases/new"), allowed={"manager"}),
    "releases.show": Route(
        lambda w, s: f"/a/{w.academy.slug}/releases/{_release(w, s)}/", allowed=BUILDERS
    ),
    "releases.edit": Route(
        lambda w, s: f"/a/{w.academy.slug}/releases/{_release(w, s)}/edit", allowed={"manager"}
    ),
    # Go/no-go and notes: managers decide and publish; notes are read by every member holding
    # notes:read, testers only for releases they tested (this one they did not: see
    # tests/releases/test_views.py); the roadmap and the sponsor's home are aggregates.
    "releases.decide": Route(
        lambda w, s: f"/a/{w.academy.slug}/releases/{_release(w, s)}/decide", allowed={"manager"}
    ),
    "releases.mark_released": Route(
        lambda w, s: f"/a/{w.academy.slug}/releases/{_release(w, s)}/release", allowed={"manager"}
    ),
    "releases.edit_notes": Route(
        lambda w, s: f"/a/{w.academy.slug}/releases/{_release(w, s)}/notes/edit",
        allowed={"manager"},
    ),
    "releases.notes_page": Route(
        lambda w, s: f"/a/{w.academy.slug}/releases/{_published_notes(w, s)}/notes",
        allowed=BUILDERS | {"stakeholder"},
    ),
    "releases.notes_index": Route(academy("notes/"), allowed=MEMBERS),
    "releases.issue_feed_link": Route(academy("notes/feed-link"), "POST", allowed=MEMBERS),
    "releases.revoke_feed_link": Route(academy("notes/feed-link/revoke"), "POST", allowed=MEMBERS),
    "releases.roadmap": Route(academy("roadmap"), allowed=BUILDERS | {"stakeholder"}),
    "releases.overview_page": Route(academy("overview"), allowed={"manager", "stakeholder"}),
    "feeds.atom": Route(lambda w, s: "/feeds/not-a-real-token.atom", public=True),
    # Learning data: the LRS settings and pulls are the manager's; builders link a brick to its
    # LMS course and xAPI activities.
    "learning.settings": Route(academy("learning/"), allowed={"manager"}),
    "learning.pull": Route(academy("learning/pull"), "POST", allowed={"manager"}),
    "learning.named_mode": Route(academy("learning/named"), "POST", allowed={"manager"}),
    "learning.thresholds": Route(academy("learning/thresholds"), "POST", allowed={"manager"}),
    # Designers create bricks (BRICK_CREATE): they may propose an improvement brick too.
    "learning.propose_improvement": Route(
        lambda w, s: f"/a/{w.academy.slug}/bricks/{make_brick(s, w, 'Weak').number}/improvement",
        "POST",
        allowed=BUILDERS,
    ),
    "learning.columns": Route(academy("learning/columns"), allowed={"manager"}),
    "learning.import_upload": Route(academy("learning/import"), allowed={"manager"}),
    "learning.import_confirm": Route(
        academy("learning/import/confirm"), "POST", allowed={"manager"}
    ),
    "learning.import_template": Route(academy("learning/import/template.csv"), allowed={"manager"}),
    "learning.create_evaluation": Route(
        lambda w, s: f"/a/{w.academy.slug}/releases/{_release(w, s)}/evaluations",
        "POST",
        allowed={"manager"},
        data={"kind": "reaction"},
    ),
    "learning.evaluation": Route(
        lambda w, s: f"/a/{w.academy.slug}/evaluations/{_evaluation(w, s)}", allowed=BUILDERS
    ),
    "learning.send_evaluation": Route(
        lambda w, s: f"/a/{w.academy.slug}/evaluations/{_evaluation(w, s)}/send",
        "POST",
        allowed={"manager"},
    ),
    "learning.new_link": Route(
        lambda w, s: f"/a/{w.academy.slug}/evaluations/{_evaluation(w, s)}/link",
        "POST",
        allowed={"manager"},
    ),
    "learning.evaluation_closing": Route(
        lambda w, s: f"/a/{w.academy.slug}/evaluations/{_evaluation(w, s)}/closing",
        "POST",
        allowed={"manager"},
        data={"close": "1"},
    ),
    "learning.evaluation_settings": Route(
        academy("learning/evaluations"), "POST", allowed={"manager"}, data={"auto": "y"}
    ),
    "evaluate.answer": Route(lambda w, s: f"/e/{_evaluation_link(w, s)}", public=True),
    "learning.brick_link": Route(
        lambda w, s: f"/a/{w.academy.slug}/bricks/{make_brick(s, w, 'LMS').number}/learning",
        allowed=BUILDERS,
    ),
    "sprints.index": Route(academy("sprints/"), allowed=BUILDERS),
    "sprints.create": Route(academy("sprints/new"), allowed={"manager"}),
    "sprints.edit": Route(
        lambda w, s: f"/a/{w.academy.slug}/sprints/{_sprint(w, s)}/edit", allowed={"manager"}
    ),
    # Sprint pages: builders view; managers plan, start and close. Reports: aggregates, so
    # stakeholders read them too.
    "sprints.show": Route(
        lambda w, s: f"/a/{w.academy.slug}/sprints/{_sprint(w, s)}/", allowed=BUILDERS
    ),
    "sprints.plan": Route(
        lambda w, s: f"/a/{w.academy.slug}/sprints/{_sprint(w, s)}/plan", allowed={"manager"}
    ),
    "sprints.commit": Route(
        lambda w, s: f"/a/{w.academy.slug}/sprints/{_sprint(w, s)}/commit",
        "POST",
        allowed={"manager"},
        data={"brick": "1"},
    ),
    "sprints.remove": Route(
        lambda w, s: f"/a/{w.academy.slug}/sprints/{_sprint(w, s)}/remove",
        "POST",
        allowed={"manager"},
        data={"brick": "1"},
    ),
    "sprints.start": Route(
        lambda w, s: f"/a/{w.academy.slug}/sprints/{_sprint(w, s)}/start", allowed={"manager"}
    ),
    "sprints.close": Route(
        lambda w, s: f"/a/{w.academy.slug}/sprints/{_sprint(w, s)}/close", allowed={"manager"}
    ),
    "sprints.reports": Route(academy("reports"), allowed=BUILDERS | {"stakeholder"}),
    # The board: builders see it and move cards; managers manage its stages.
    "board.show": Route(academy("board"), allowed=BUILDERS),
    "board.move": Route(_board_move_url, allowed=BUILDERS),
    "board.move_json": Route(academy("board/move"), "POST", allowed=BUILDERS),
    "board.quick_view": Route(_board_quick_url, allowed=BUILDERS),
    "board.quick_edit": Route(_board_quick_url, "POST", allowed=BUILDERS, data={"title": "T"}),
    "board.quick_tick": Route(
        _quick_tick_url, "POST", allowed={"manager", "designer"}, data={"done": "1"}
    ),
    "board.quick_comment": Route(
        _board_quick_url_to("/comments"),
        "POST",
        allowed={"manager", "designer"},
        data={"body": "Hi"},
    ),
    "stages.index": Route(academy("stages"), allowed={"manager"}),
    "stages.create": Route(
        academy("stages/new"),
        "POST",
        allowed={"manager"},
        data={"name": "QA", "category": "review", "wip_policy": "warn"},
    ),
    "stages.edit": Route(_stage_url("edit"), allowed={"manager"}),
    "stages.move": Route(_stage_url("move"), "POST", allowed={"manager"}, data={"direction": "up"}),
    "stages.remove": Route(_stage_url("remove"), allowed={"manager"}),
    # Bricks: builders create, view, edit, comment and tick (a designer may already turn a
    # feedback item into a brick); managers delete, import and edit checklists.
    "backlog.new_brick": Route(academy("bricks/new"), allowed={"manager", "designer"}),
    "backlog.brick": Route(_brick_url(), allowed={"manager", "designer"}),
    "attachments.upload": Route(
        _brick_url("/attachments"), "POST", allowed={"manager", "designer"}
    ),
    "attachments.download": Route(
        lambda w, s: f"/a/{w.academy.slug}/attachments/{_attachment(w, s)}/download",
        allowed={"manager", "designer"},
    ),
    "attachments.thumbnail": Route(
        lambda w, s: f"/a/{w.academy.slug}/attachments/{_attachment(w, s)}/thumbnail",
        allowed={"manager", "designer"},
    ),
    "attachments.delete": Route(
        lambda w, s: f"/a/{w.academy.slug}/attachments/{_attachment(w, s)}/delete",
        "POST",
        allowed={"manager", "designer"},
    ),
    "backlog.edit_brick": Route(_brick_url("/edit"), allowed={"manager", "designer"}),
    "backlog.delete_brick": Route(_brick_url("/delete"), allowed={"manager"}),
    "backlog.comment": Route(
        _brick_url("/comments"), "POST", allowed={"manager", "designer"}, data={"body": "Hi"}
    ),
    "backlog.tick": Route(_tick_url, "POST", allowed={"manager", "designer"}, data={"done": "1"}),
    "backlog.checklists": Route(academy("checklists"), allowed={"manager"}),
    "backlog.checklist_format": Route(academy("checklists/video"), allowed={"manager"}),
    "backlog.add_checklist_item": Route(
        academy("checklists/video/items"), "POST", allowed={"manager"}, data={"label": "New"}
    ),
    "backlog.rename_checklist_item": Route(
        _checklist_item_url("rename"), "POST", allowed={"manager"}
    ),
    "backlog.remove_checklist_item": Route(
        _checklist_item_url("remove"), "POST", allowed={"manager"}
    ),
    "backlog.move_checklist_item": Route(
        _checklist_item_url("move"), "POST", allowed={"manager"}, data={"direction": "down"}
    ),
    # The backlog list: builders see and assign in bulk; managers reorder and import.
    # A vendor's member sees the list narrowed to their vendor's bricks (tests/vendors).
    "backlog.index": Route(academy("backlog"), allowed={"manager", "designer", "vendor"}),
    "backlog.move": Route(
        _backlog_brick_url("move"), "POST", allowed={"manager"}, data={"action": "up"}
    ),
    "backlog.reorder_json": Route(academy("backlog/reorder"), "POST", allowed={"manager"}),
    "backlog.move_from_list": Route(
        academy("backlog/move"), "POST", allowed={"manager"}, data={"move": ""}
    ),
    # The columns a person shows are their own choice, as is reading the list.
    "backlog.choose_columns": Route(
        academy("backlog/columns"),
        "POST",
        allowed={"manager", "designer", "vendor"},
        data={"shown": "stage"},
    ),
    # Quick add creates like the brick form; saved views are each person's own (another
    # person's view is a 404: tests/backlog/test_quick_add_and_views.py).
    "backlog.quick_add": Route(
        academy("backlog/quick-add"),
        "POST",
        allowed={"manager", "designer"},
        data={"title": "Quick", "format": "video"},
    ),
    "backlog.save_view": Route(
        academy("backlog/views?format=video"),
        "POST",
        allowed={"manager", "designer", "vendor"},
        data={"name": "Videos"},
    ),
    "backlog.delete_view": Route(
        lambda w, s: f"/a/{w.academy.slug}/backlog/views/{_saved_view(w, s)}/delete",
        "POST",
        allowed={"manager", "designer", "vendor"},
    ),
    "backlog.assign": Route(
        academy("backlog/assign"), "POST", allowed={"manager", "designer"}, data={"owner": "none"}
    ),
    "backlog.export": Route(academy("backlog/export.csv"), allowed={"manager", "designer"}),
    "backlog.import_upload": Route(academy("backlog/import"), allowed={"manager"}),
    "backlog.import_confirm": Route(academy("backlog/import/confirm"), "POST", allowed={"manager"}),
    "backlog.import_template": Route(academy("backlog/import/template.csv"), allowed={"manager"}),
    # Feedback results side: managers and designers only (never testers or stakeholders).
    "feedback.round_results": Route(
        lambda w, s: f"/a/{w.academy.slug}/rounds/{_results_round(w, s)}/results", allowed=BUILDERS
    ),
    "feedback.round_export": Route(
        lambda w, s: f"/a/{w.academy.slug}/rounds/{_results_round(w, s)}/export/answers.csv",
        allowed=BUILDERS,
    ),
    "feedback.triage_board": Route(
        lambda w, s: f"/a/{w.academy.slug}/rounds/{_results_round(w, s)}/triage", allowed=BUILDERS
    ),
    "feedback.triage_move": Route(_results_item_url("move"), "POST", allowed=BUILDERS),
    "feedback.triage_to_brick": Route(_results_item_url("brick"), "POST", allowed=BUILDERS),
    # Feedback rounds: builders see rounds, managers build, open, close and invite; testers
    # answer only the rounds they are invited to (see test_testers_see_only_their_rounds);
    # stakeholders never see a round. The personal link is its own credential (public).
    "feedback.rounds": Route(academy("rounds/"), allowed=BUILDERS),
    "feedback.create_round": Route(academy("rounds/new"), allowed={"manager"}),
    "feedback.round": Route(_round_url(), allowed=BUILDERS),
    "feedback.edit_round": Route(_round_url("edit"), allowed={"manager"}),
    "feedback.open_round": Route(_round_url("open"), "POST", allowed={"manager"}),
    "feedback.close_round": Route(_round_url("close", state="open"), "POST", allowed={"manager"}),
    "feedback.preview": Route(_round_url("preview"), allowed=BUILDERS),
    "feedback.add_question": Route(_round_url("questions/new"), allowed={"manager"}),
    "feedback.edit_question": Route(_question_url("edit"), allowed={"manager"}),
    "feedback.delete_question": Route(_question_url("delete"), "POST", allowed={"manager"}),
    "feedback.move_question": Route(
        _question_url("move"), "POST", allowed={"manager"}, data={"direction": "up"}
    ),
    "feedback.invite": Route(_round_url("invite", state="open"), allowed={"manager"}),
    "feedback.remind": Route(_round_url("remind", state="open"), "POST", allowed={"manager"}),
    "feedback.invitations": Route(_round_url("invitations", state="open"), allowed=BUILDERS),
    "feedback.renew_invitation": Route(_invitation_url("renew"), "POST", allowed={"manager"}),
    "feedback.my_rounds": Route(academy("my-rounds"), allowed={"tester"}),
    "feedback.answer": Route(
        _round_url("answer", state="open", invite_tester=True), allowed={"tester"}
    ),
    "feedback.new_item": Route(
        _round_url("items/new", state="open", invite_tester=True), allowed={"tester"}
    ),
    "feedback.edit_item": Route(
        lambda w, s: "/a/{}/rounds/{}/items/{}/edit".format(w.academy.slug, *_tester_item(w, s)),
        allowed={"tester"},
    ),
    "answer.form": Route(lambda w, s: f"/r/{_tester_item(w, s)[2]}", public=True),
    "answer.new_item": Route(lambda w, s: f"/r/{_tester_item(w, s)[2]}/items/new", public=True),
    "answer.edit_item": Route(
        lambda w, s: "/r/{2}/items/{1}/edit".format(*_tester_item(w, s)), public=True
    ),
    # The tester panel: managers only.
    "feedback.panel_index": Route(academy("panel/"), allowed={"manager"}),
    "feedback.edit_tester": Route(
        lambda w, s: f"/a/{w.academy.slug}/panel/{_profile(w, s)}/edit", allowed={"manager"}
    ),
    "feedback.import_testers": Route(academy("panel/import"), allowed={"manager"}),
    "feedback.confirm_import": Route(academy("panel/import/confirm"), "POST", allowed={"manager"}),
    "feedback.import_template": Route(academy("panel/import/template.csv"), allowed={"manager"}),
    "feedback.segments": Route(academy("panel/segments/"), allowed={"manager"}),
    "feedback.create_segment": Route(academy("panel/segments/new"), allowed={"manager"}),
    "feedback.edit_segment": Route(
        lambda w, s: f"/a/{w.academy.slug}/panel/segments/{_segment(w, s)}/edit",
        allowed={"manager"},
    ),
    "feedback.delete_segment": Route(
        lambda w, s: f"/a/{w.academy.slug}/panel/segments/{_segment(w, s)}/delete",
        "POST",
        allowed={"manager"},
    ),
    # Vendors
    "vendors.index": Route(academy("vendors/"), allowed=BUILDERS),
    "vendors.create": Route(academy("vendors/new"), allowed={"manager"}),
    "vendors.show": Route(_vendor_url("/"), allowed=BUILDERS),
    "vendors.edit": Route(_vendor_url("/edit"), allowed={"manager"}),
    "vendors.archive": Route(_vendor_url("/archive"), "POST", allowed={"manager"}),
    "vendors.delete": Route(_vendor_url("/delete", fresh=True), "POST", allowed={"manager"}),
    "vendors.add_contact": Route(
        _vendor_url("/contacts"), "POST", allowed={"manager"}, data={"name": "A", "email": "a@x.io"}
    ),
    "vendors.remove_contact": Route(_contact_url("remove"), "POST", allowed={"manager"}),
    "vendors.invite_contact": Route(_contact_url("invite"), "POST", allowed={"manager"}),
    "vendors.assign": Route(_vendor_url("/bricks"), "POST", allowed={"manager"}),
    "vendors.unassign": Route(_vendor_url("/bricks/remove"), "POST", allowed={"manager"}),
    "vendors.portal": Route(academy("vendor"), allowed={"vendor"}),
    "vendors.scorecard": Route(academy("vendors/scorecard"), allowed=BUILDERS),
    "vendors.settings": Route(academy("vendors/settings"), allowed={"manager"}),
    "vendors.specifications": Route(academy("specifications/"), allowed=BUILDERS),
    "vendors.new_specification": Route(_vendor_url("/specifications/new"), allowed={"manager"}),
    "vendors.specification": Route(_spec_url("/"), allowed=BUILDERS),
    "vendors.edit_specification": Route(_spec_url("/edit"), allowed={"manager"}),
    "vendors.send_specification": Route(_spec_url("/send"), "POST", allowed={"manager"}),
    "vendors.specification_version": Route(_spec_url("/versions/1", sent=True), allowed=BUILDERS),
    "vendors.specification_docx_file": Route(_spec_url(".docx"), allowed=BUILDERS),
    "vendors.specification_print": Route(_spec_url("/print"), allowed=BUILDERS),
    # The vendor's side: only a specification sent to their vendor (another: 404, tests/vendors).
    "vendors.portal_specification": Route(_portal_spec_url(""), allowed={"vendor"}),
    "vendors.portal_docx": Route(_portal_spec_url(".docx"), allowed={"vendor"}),
    "vendors.acknowledge": Route(_portal_spec_url("/acknowledge"), "POST", allowed={"vendor"}),
    "vendors.answer": Route(
        _portal_spec_url("/answer"), "POST", allowed={"vendor"}, data={"answer": "OK"}
    ),
    "vendors.new_quote": Route(_portal_spec_url("/quote"), allowed={"vendor"}),
    "vendors.portal_brick_quote": Route(_studio_brick_url("/quote"), allowed={"vendor"}),
    "vendors.quote_list": Route(academy("quotes/"), allowed={"manager"}),
    "vendors.quote": Route(_quote_url("/"), allowed={"manager"}),
    "vendors.decide_quote": Route(
        _quote_url("/decide"), "POST", allowed={"manager"}, data={"decision": "accept"}
    ),
    "vendors.budget": Route(academy("budget"), allowed={"manager"}),
    "vendors.budget_export": Route(academy("budget/export.csv"), allowed={"manager"}),
    "vendors.set_planned": Route(_planned_url, "POST", allowed={"manager"}, data={"planned": "1"}),
    # Mail
    "mail.outbox": Route(lambda w, s: "/admin/outbox/", allowed=SITE_ADMIN),
    "mail.message": Route(lambda w, s: f"/admin/outbox/{_message(w, s)}", allowed=SITE_ADMIN),
    "mail.requeue_message": Route(
        lambda w, s: f"/admin/outbox/{_message(w, s)}/requeue", "POST", allowed=SITE_ADMIN
    ),
    # API credentials: one's own tokens; service accounts by the academy's managers only (not
    # the site admin: a service account reads the academy's content).
    "api_tokens.tokens": Route(lambda w, s: "/account/tokens/", allowed=EVERYONE - {"anonymous"}),
    "api_tokens.revoke_token": Route(
        lambda w, s: f"/account/tokens/{_token_of(w, s)}/revoke",
        "POST",
        allowed=EVERYONE - {"anonymous"},
    ),
    "service_accounts.service_accounts": Route(
        academy("settings/service-accounts"), allowed={"manager"}
    ),
    "service_accounts.issue_service_token": Route(
        lambda w, s: (
            f"/a/{w.academy.slug}/settings/service-accounts/{_service_account(w, s)}/tokens"
        ),
        "POST",
        allowed={"manager"},
        data={"name": "LMS", "access": "read", "days": "30"},
    ),
    "service_accounts.revoke_service_token": Route(_service_token_url, "POST", allowed={"manager"}),
    "service_accounts.delete_service_account": Route(
        lambda w, s: (
            f"/a/{w.academy.slug}/settings/service-accounts/{_service_account(w, s)}/delete"
        ),
        "POST",
        allowed={"manager"},
    ),
    # The JSON API (tracker/api): token principals, same permissions as the pages.
    "api_meta.openapi": Route(lambda w, s: "/api/v1/openapi.json", public=True, api=True),
    "api_meta.docs": Route(lambda w, s: "/api/v1/docs", public=True, api=True),
    "api_academies.list_academies": Route(
        lambda w, s: "/api/v1/academies", allowed=EVERYONE - {"anonymous"}, api=True
    ),
    "api_academies.get_academy": api("", allowed=MEMBERS),
    "api_academies.list_members": api("/members", allowed={"manager"}),
    "api_academies.list_stages": api("/stages", allowed=BUILDERS),
    "api_academies.list_paths": api("/paths", allowed=BUILDERS),
    "api_academies.get_path": api(_api(_path), allowed=BUILDERS),
    "api_academies.create_path": api(
        "/paths", "POST", allowed={"manager"}, data={"name": "API path"}
    ),
    "api_bricks.list_bricks": api("/bricks", allowed=BUILDERS),
    "api_bricks.get_brick": api(_api_brick(), allowed=BUILDERS),
    "api_bricks.create_brick": api(
        "/bricks", "POST", allowed=BUILDERS, data={"title": "From the API", "format": "mooc"}
    ),
    "api_bricks.update_brick": api(
        _api_brick(), "PATCH", allowed=BUILDERS, data={"title": "Renamed"}
    ),
    "api_bricks.delete_brick": api(_api_brick(), "DELETE", allowed={"manager"}),
    "api_bricks.move_brick": api(
        _api_brick("/move"), "POST", allowed=BUILDERS, data={"stage_id": 1}
    ),
    "api_bricks.reorder_brick": api(
        _api_brick("/reorder"), "POST", allowed={"manager"}, data={"position": 1}
    ),
    "api_planning.list_sprints": api("/sprints", allowed=BUILDERS),
    "api_planning.get_sprint": api(_api(_sprint), allowed=BUILDERS),
    "api_planning.plan_sprint": api(
        _api(_sprint, "/plan"), "POST", allowed={"manager"}, data={"add": []}
    ),
    "api_planning.start_sprint": api(_api(_sprint, "/start"), "POST", allowed={"manager"}),
    "api_planning.close_sprint": api(_api(_sprint, "/close"), "POST", allowed={"manager"}),
    "api_planning.list_releases": api("/releases", allowed=BUILDERS),
    "api_planning.get_release": api(_api(_release), allowed=BUILDERS),
    "api_planning.decide_release": api(
        _api(_release, "/decision"), "POST", allowed={"manager"}, data={"outcome": "go"}
    ),
    "api_planning.mark_released": api(_api(_release, "/released"), "POST", allowed={"manager"}),
    "api_planning.list_notes": api("/notes", allowed=MEMBERS),
    "api_feedback.list_rounds": api("/rounds", allowed=BUILDERS),
    "api_feedback.get_round": api(_api(_results_round), allowed=BUILDERS),
    "api_feedback.round_results": api(_api(_results_round, "/results"), allowed=BUILDERS),
    "api_feedback.list_items": api(_api(_results_round, "/items"), allowed=BUILDERS),
    "api_feedback.get_item": api(_api_item_url(), allowed=BUILDERS),
    "api_feedback.triage_item": api(
        _api_item_url("/triage"), "POST", allowed=BUILDERS, data={"status": "accepted"}
    ),
    # Needs: builders read every need, requesters their own (this one is the stakeholder's).
    "api_needs.list_needs": api("/needs", allowed=BUILDERS | {"stakeholder"}),
    "api_needs.get_need": api(_api(_need), allowed=BUILDERS | {"stakeholder"}),
    "api_needs.submit_need": api(
        "/needs", "POST", allowed=REQUESTERS, data={"title": "Excel", "business_unit": "DRH"}
    ),
    "api_needs.triage_need": api(
        _api(_need, "/triage"), "POST", allowed={"manager"}, data={"status": "accepted"}
    ),
}


def expected(route: Route, principal: str) -> str:
    if route.public or principal in route.allowed:
        return "ok"
    if route.api and principal in ("admin", "outsider"):
        return "hidden"  # not a member: the academy does not exist for their token
    return "login" if principal == "anonymous" else "forbidden"


def answer(response: Any) -> str:
    if response.status_code == 403:
        return "forbidden"
    # The login redirect of a protected view always carries ?next= (a view's own redirect to
    # the login page, such as logout's, does not).
    if response.status_code in (302, 303) and response.location.startswith("/login?next="):
        return "login"
    if response.status_code == 401:
        return "login"
    if response.status_code == 404 and response.mimetype == "application/problem+json":
        return "hidden"
    return "ok"


def test_every_route_is_in_the_table(app) -> None:
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()} - {"static"}
    missing = sorted(endpoints - set(ROUTES))
    stale = sorted(set(ROUTES) - endpoints)
    assert not missing, f"routes missing from the permission table: {missing}"
    assert not stale, f"table rows for routes that no longer exist: {stale}"


def test_every_route_declares_its_access(app) -> None:
    from tracker.web import access_of

    undeclared = sorted(
        endpoint
        for endpoint, view in app.view_functions.items()
        if endpoint != "static" and access_of(view) is None
    )
    assert not undeclared


@pytest.mark.parametrize("principal", PRINCIPALS)
@pytest.mark.parametrize("endpoint", sorted(ROUTES))
def test_route_answers_each_principal(endpoint, principal, client, db_session, world, login):
    route = ROUTES[endpoint]
    url = route.path(world, db_session)
    db_session.flush()
    user = world.principal(principal)
    if route.api:
        response = _call_api(client, db_session, route, url, user)
    else:
        if user is not None:
            login(user)
        if route.method == "GET":
            response = client.get(url)
        else:
            response = client.post(url, data=dict(route.data))

    assert response.status_code != 500
    assert answer(response) == expected(route, principal), (
        f"{route.method} {url} as {principal}: {response.status_code} {response.location or ''}"
    )


def _call_api(client: Any, session: Session, route: Route, url: str, user: Any) -> Any:
    from tests.api.helpers import bearer, personal_token

    headers = bearer(personal_token(session, user)) if user is not None else {}
    if route.method == "GET":
        return client.get(url, headers=headers)
    return client.open(url, method=route.method, json=dict(route.data), headers=headers)


# The acceptance step: only the account an invitation is addressed to accepts or declines it,
# logged in (the link alone is not enough for an account with a password). Issue 18.1, 18.6.
@pytest.mark.parametrize("principal", PRINCIPALS)
@pytest.mark.parametrize("step", ["accept", "decline"])
def test_only_the_invited_account_answers_its_invitation(
    step, principal, client, db_session, world, login
):
    path = _invitation_link(world, db_session)
    db_session.commit()
    user = world.principal(principal)
    if user is not None:
        login(user)

    response = client.post(path if step == "accept" else f"{path}/decline", data={})

    assert response.status_code != 500
    db_session.expire_all()
    invitation = db_session.scalars(
        select(AcademyInvitation).where(AcademyInvitation.email == world.outsider.email)
    ).one()
    joined = db_session.scalar(
        select(Membership.id).where(
            Membership.academy_id == world.academy.id, Membership.user_id == world.outsider.id
        )
    )
    answered = invitation.accepted_at or invitation.declined_at
    if principal == "outsider":
        assert response.status_code == 303 and answered is not None
        assert (joined is not None) == (step == "accept")
    else:
        assert answered is None and joined is None
        if step == "accept":
            assert response.status_code == 403


# Testers reach a round only through their own invitation: the same routes, on a round of
# their academy they were NOT invited to, refuse everybody (no one else answers rounds).
TESTER_SCOPED: dict[str, Route] = {
    "answer, not invited": Route(_round_url("answer", state="open")),
    "report an item, not invited": Route(_round_url("items/new", state="open")),
    "answer a draft round": Route(_round_url("answer", invite_tester=False)),
}


@pytest.mark.parametrize("principal", PRINCIPALS)
@pytest.mark.parametrize("case", sorted(TESTER_SCOPED))
def test_testers_see_only_their_rounds(case, principal, client, db_session, world, login):
    route = TESTER_SCOPED[case]
    url = route.path(world, db_session)
    db_session.flush()
    user = world.principal(principal)
    if user is not None:
        login(user)

    response = client.get(url)

    assert response.status_code != 500
    assert answer(response) == expected(route, principal), f"{url} as {principal}"


# Token principals beyond personal tokens: a service account of the academy acting with each
# role answers every API route as a member with that role; a read-only token of that role is
# refused every write (403) and answers reads as the role does.
API_ROUTES = sorted(endpoint for endpoint, route in ROUTES.items() if route.api)
SERVICE_ROLES = ("manager", "designer", "tester", "stakeholder")
# A requester reads only the needs they submitted: the table's need is the human stakeholder's.
SERVICE_EXCEPTIONS = {("api_needs.get_need", "stakeholder"): "forbidden"}


@pytest.mark.parametrize("access", ["read-write", "read-only"])
@pytest.mark.parametrize("role", SERVICE_ROLES)
@pytest.mark.parametrize("endpoint", API_ROUTES)
def test_api_route_answers_service_accounts(endpoint, role, access, client, db_session, world):
    from tests.api.helpers import bearer, service_token

    route = ROUTES[endpoint]
    url = route.path(world, db_session)
    secret = service_token(
        db_session, world.academy, world.manager, role, write=access == "read-write"
    )
    db_session.flush()
    headers = bearer(secret)
    if route.method == "GET":
        response = client.get(url, headers=headers)
    else:
        response = client.open(url, method=route.method, json=dict(route.data), headers=headers)

    assert response.status_code != 500
    wanted = SERVICE_EXCEPTIONS.get((endpoint, role)) or expected(route, role)
    if access == "read-only" and route.method != "GET" and not route.public:
        wanted = "forbidden"
    assert answer(response) == wanted, f"{route.method} {url} as {role} ({access})"


# A vendor's member works only on the bricks of their vendor: the brick routes that refuse them
# a brick of the academy (table above) let them in on a brick assigned to their vendor; every
# other principal's answer does not change.
def _own_brick_url(suffix: str = "") -> Path:
    def path(w: World, s: Session) -> str:
        brick = make_brick(s, w, "Ours")
        brick.vendor_id = w.studio.id
        s.flush()
        return f"/a/{w.academy.slug}/bricks/{brick.number}{suffix}"

    return path


def _own_tick_url(w: World, s: Session) -> str:
    brick = make_brick(s, w, "Ours")
    brick.vendor_id = w.studio.id
    s.flush()
    return f"/a/{w.academy.slug}/bricks/{brick.number}/checklist/{brick.checklist[0].id}"


VENDOR_SCOPED: dict[str, Route] = {
    "brick page": Route(_own_brick_url(), allowed=BUILDERS | {"vendor"}),
    "edit": Route(_own_brick_url("/edit"), allowed=BUILDERS | {"vendor"}),
    "comment": Route(
        _own_brick_url("/comments"), "POST", allowed=BUILDERS | {"vendor"}, data={"body": "Hi"}
    ),
    "tick": Route(_own_tick_url, "POST", allowed=BUILDERS | {"vendor"}, data={"done": "1"}),
    "delete": Route(_own_brick_url("/delete"), allowed={"manager"}),
}


@pytest.mark.parametrize("principal", PRINCIPALS)
@pytest.mark.parametrize("case", sorted(VENDOR_SCOPED))
def test_vendors_work_on_their_bricks_only(case, principal, client, db_session, world, login):
    route = VENDOR_SCOPED[case]
    url = route.path(world, db_session)
    db_session.flush()
    user = world.principal(principal)
    if user is not None:
        login(user)

    response = client.get(url) if route.method == "GET" else client.post(url, data=route.data)

    assert response.status_code != 500
    assert answer(response) == expected(route, principal), f"{url} as {principal}"
