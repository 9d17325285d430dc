"""Security review regressions: object-level authorization across academies, ids in bodies,
escaping of hostile names, tokens.

The id-taking routes reuse the paths of tests/test_permissions.py (which point at objects of
`world.academy`), put the other academy's slug in front of them and call them as that other
academy's manager: every one must answer 404 (or 403) and change nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories import World, make_brick
from tests.test_permissions import ROUTES
from tracker.db import Base, utcnow

# Tables that change on any authenticated request (the session's last use, an API token's last
# use and rate window), not data.
_VOLATILE = {"user_session", "login_failure", "api_token"}


def _snapshot(session: Session) -> dict[str, list[tuple[Any, ...]]]:
    session.flush()
    state = {}
    for table in Base.metadata.sorted_tables:
        if table.name in _VOLATILE:
            continue
        rows = session.execute(select(table)).all()
        state[table.name] = sorted(tuple(map(repr, row)) for row in rows)
    return state


def _with_ids() -> list[str]:
    """Endpoints of academy pages whose URL holds an id (or a brick number)."""
    from tracker import create_app

    return sorted(
        rule.endpoint
        for rule in create_app().url_map.iter_rules()
        if "<int:" in rule.rule and rule.rule.startswith("/a/")
    )


ID_ROUTES = _with_ids()


def test_the_id_routes_are_found() -> None:
    assert len(ID_ROUTES) > 50
    assert {"backlog.tick", "feedback.edit_question", "feedback.triage_move"} <= set(ID_ROUTES)


@pytest.mark.parametrize("endpoint", ID_ROUTES)
def test_other_academy_manager_cannot_reach_ids_of_this_academy(
    endpoint, client, db_session, world: World, login
) -> None:
    route = ROUTES[endpoint]
    url = route.path(world, db_session)
    assert url.startswith(f"/a/{world.academy.slug}/")
    url = f"/a/{world.other_academy.slug}/" + url.removeprefix(f"/a/{world.academy.slug}/")
    login(world.outsider)  # a manager of the other academy: every permission there
    before = _snapshot(db_session)

    if route.method == "GET":
        response = client.get(url)
    else:
        response = client.post(url, data=dict(route.data))

    assert response.status_code in (403, 404), f"{route.method} {url}: {response.status_code}"
    db_session.expire_all()
    assert _snapshot(db_session) == before


def test_the_snapshot_sees_a_change(db_session, world: World) -> None:
    before = _snapshot(db_session)

    make_brick(db_session, world, "New")

    assert _snapshot(db_session) != before


# -- Ids in forms and JSON bodies ---------------------------------------------------------------


def _foreign_objects(s: Session, w: World) -> dict[str, int]:
    """A stage, sprint, release, path and brick of `w.academy` (the victim)."""
    from tracker.academies.services import list_stages
    from tracker.backlog.paths_services import create_path
    from tracker.releases.services import create_release
    from tracker.sprints.services import create_sprint

    brick = make_brick(s, w, "Secret")
    return {
        "stage_id": list_stages(s, w.academy)[-1].id,
        "sprint_id": create_sprint(s, w.academy, name="Victim sprint").id,
        "release_id": create_release(
            s, w.academy, name="Victim release", actor=w.manager, now=utcnow()
        ).id,
        "learning_path_id": create_path(s, w.academy, name="Victim path").id,
        "brick_id": brick.id,
        "brick_number": brick.number,
    }


def _own_brick(s: Session, w: World) -> Any:
    return make_brick(s, w.other_academy, "Mine", actor=w.outsider)


def test_board_move_json_refuses_a_stage_of_another_academy(
    client, db_session, world: World, login
) -> None:
    foreign = _foreign_objects(db_session, world)
    mine = _own_brick(db_session, world)
    login(world.outsider)
    before = _snapshot(db_session)

    response = client.post(
        f"/a/{world.other_academy.slug}/board/move",
        json={"brick": mine.number, "version": mine.version, "stage": foreign["stage_id"]},
    )

    assert response.status_code == 404
    assert _snapshot(db_session) == before


@pytest.mark.parametrize("field", ["stage_id", "sprint_id", "release_id", "learning_path_id"])
def test_brick_form_refuses_references_of_another_academy(
    field, client, db_session, world: World, login
) -> None:
    foreign = _foreign_objects(db_session, world)
    mine = _own_brick(db_session, world)
    login(world.outsider)
    page = client.get(f"/a/{world.other_academy.slug}/bricks/{mine.number}/edit")
    assert page.status_code == 200
    before = _snapshot(db_session)

    data = {
        "title": "Mine",
        "format": "video",
        "language": "en",
        "version": str(mine.version),
        "stage_id": str(mine.stage_id),
    }
    url = f"/a/{world.other_academy.slug}/bricks/{mine.number}/edit"

    response = client.post(url, data={**data, field: str(foreign[field])})

    assert response.status_code == 422
    assert _snapshot(db_session) == before
    assert client.post(url, data=data).status_code == 303  # the same form, own values: saved


def test_bulk_assign_refuses_a_sprint_of_another_academy(
    client, db_session, world: World, login
) -> None:
    foreign = _foreign_objects(db_session, world)
    mine = _own_brick(db_session, world)
    login(world.outsider)
    before = _snapshot(db_session)

    from tracker.sprints.services import create_sprint

    url = f"/a/{world.other_academy.slug}/backlog/assign"

    response = client.post(
        url, data={"bricks": [str(mine.number)], "sprint": str(foreign["sprint_id"])}
    )

    assert response.status_code == 422
    assert _snapshot(db_session) == before
    own = create_sprint(db_session, world.other_academy, name="Own sprint")
    assert (
        client.post(url, data={"bricks": [str(mine.number)], "sprint": str(own.id)}).status_code
        == 303
    )


def test_need_cannot_be_linked_to_a_brick_of_another_academy(
    client, db_session, world: World, login
) -> None:
    from tracker.backlog.needs_services import submit_need

    foreign = _foreign_objects(db_session, world)
    need = submit_need(
        db_session,
        world.other_academy,
        actor=world.outsider,
        title="Mine",
        business_unit="HR",
        now=utcnow(),
    )
    login(world.outsider)
    before = _snapshot(db_session)

    response = client.post(
        f"/a/{world.other_academy.slug}/needs/{need.id}/bricks",
        data={"brick_id": str(foreign["brick_id"])},
    )

    assert response.status_code in (400, 404)
    assert _snapshot(db_session) == before


def test_round_cannot_use_a_release_of_another_academy(
    client, db_session, world: World, login
) -> None:
    foreign = _foreign_objects(db_session, world)
    login(world.outsider)
    before = _snapshot(db_session)

    from tracker.releases.services import create_release

    url = f"/a/{world.other_academy.slug}/rounds/new"
    data = {"title": "Mine", "gate_min_responses": "5", "closes_at": "2031-06-30T12:00"}

    response = client.post(url, data={**data, "release_id": str(foreign["release_id"])})

    assert response.status_code == 422
    assert _snapshot(db_session) == before
    own = create_release(
        db_session, world.other_academy, name="Own", actor=world.outsider, now=utcnow()
    )
    assert client.post(url, data={**data, "release_id": str(own.id)}).status_code == 303


def test_invite_ignores_testers_and_segments_of_another_academy(
    client, db_session, world: World, login
) -> None:
    from tests.factories import give_profile, make_round
    from tracker.feedback.panel import create_segment

    give_profile(db_session, world.academy, world.tester)
    segment = create_segment(db_session, world.academy, name="Victims", filters={})
    setup = make_round(db_session, world.other_academy, world.outsider)
    url = f"/a/{world.other_academy.slug}/rounds/{setup.round.id}/invite"
    login(world.outsider)
    before = _snapshot(db_session)

    picked = client.post(url, data={"mode": "picked", "user_id": str(world.tester.id)})
    by_segment = client.post(url, data={"mode": "segment", "segment_id": str(segment.id)})
    by_quota = client.post(url, data={"mode": "quota", f"quota-{segment.id}": "3"})

    assert picked.status_code != 500 and by_segment.status_code != 500
    assert by_quota.status_code != 500
    assert _snapshot(db_session)["round_invitation"] == before["round_invitation"]
    assert _snapshot(db_session)["mail_message"] == before["mail_message"]


def test_triage_duplicate_must_be_an_item_of_the_same_round(
    client, db_session, world: World, login
) -> None:
    from tests.factories import add_item, add_round

    victim = add_item(db_session, add_round(db_session, world.academy), title="Victim")
    round_ = add_round(db_session, world.other_academy)
    item = add_item(db_session, round_, title="Mine")
    login(world.outsider)
    before = _snapshot(db_session)

    response = client.post(
        f"/a/{world.other_academy.slug}/rounds/{round_.id}/items/{item.id}/move",
        data={f"item{item.id}-status": "duplicate", f"item{item.id}-duplicate_of": str(victim.id)},
    )

    assert response.status_code == 422
    assert _snapshot(db_session) == before


# -- Personal round links ---------------------------------------------------------------------


def test_personal_link_stops_when_the_tester_leaves_the_academy(
    client, db_session, world: World
) -> None:
    from tests.factories import give_profile, invite, make_round, token_of
    from tracker.academies.models import Membership
    from tracker.academies.services import remove_member

    setup = make_round(db_session, world.academy, world.manager)
    give_profile(db_session, world.academy, world.tester)
    invite(db_session, setup.round, [world.tester])
    token = token_of(setup.round, world.tester)
    assert client.get(f"/r/{token}").status_code == 200
    membership = db_session.scalars(
        select(Membership).filter_by(academy_id=world.academy.id, user_id=world.tester.id)
    ).one()
    remove_member(db_session, membership)
    db_session.flush()
    before = _snapshot(db_session)

    page = client.get(f"/r/{token}")
    new_item = client.post(
        f"/r/{token}/items/new",
        data={"location": "x", "kind": "issue", "severity": "minor", "title": "Still here"},
    )

    assert page.status_code == 404
    assert new_item.status_code == 404
    assert _snapshot(db_session) == before


# -- Hostile names on every page that shows them ----------------------------------------------

SCRIPT = "<script>alert(1)</script>"
ATTRIBUTE = '"><img src=x onerror=alert(1)>'
FORMULA = '=HYPERLINK("http://evil.example","x")'


def _assert_escaped(body: str, where: str) -> None:
    assert "<script>alert" not in body, where
    assert "<img src=x" not in body, where
    assert "onerror=alert" not in body.replace("onerror=alert(1)&gt;", ""), where


def _hostile_world(s: Session, w: World) -> dict[str, Any]:
    """Everything that has a name, named to break out of HTML, SVG, XML or a spreadsheet."""
    from tests.factories import add_item, add_question, add_round, respond
    from tracker.backlog.needs_services import link_brick, submit_need
    from tracker.backlog.paths_services import create_path
    from tracker.board.stages import add_stage
    from tracker.db import utcnow
    from tracker.feedback.models import QuestionKind
    from tracker.releases.models import ReleaseState
    from tracker.releases.notes import publish_notes
    from tracker.releases.services import create_release
    from tracker.sprints.services import create_sprint, start_sprint

    today = dt.date.today()
    add_stage(s, w.academy, name=SCRIPT)
    path = create_path(s, w.academy, name=ATTRIBUTE, description=SCRIPT)
    release = create_release(
        s, w.academy, name=SCRIPT, goal=ATTRIBUTE, target_date=today, actor=w.manager, now=utcnow()
    )
    sprint = create_sprint(
        s,
        w.academy,
        name=ATTRIBUTE,
        goal=SCRIPT,
        start_date=today - dt.timedelta(days=3),
        end_date=today + dt.timedelta(days=10),
    )
    bricks = [
        make_brick(
            s,
            w.academy,
            title,
            actor=w.manager,
            description=SCRIPT,
            release_id=release.id,
            sprint_id=sprint.id,
            learning_path_id=path.id,
        )
        for title in (SCRIPT, ATTRIBUTE, FORMULA)
    ]
    start_sprint(s, sprint, actor=w.manager, now=utcnow())
    need = submit_need(
        s, w.academy, actor=w.stakeholder, title=SCRIPT, business_unit=ATTRIBUTE, now=utcnow()
    )
    link_brick(s, need, bricks[0], actor=w.manager, now=utcnow())
    round_ = add_round(s, w.academy, release, title=ATTRIBUTE)
    rating = add_question(s, round_, QuestionKind.RATING, prompt=SCRIPT)
    text = add_question(s, round_, QuestionKind.TEXT, prompt=ATTRIBUTE)
    choice = add_question(
        s, round_, QuestionKind.SINGLE_CHOICE, prompt=FORMULA, choices=[SCRIPT, ATTRIBUTE]
    )
    respond(
        s,
        round_,
        {rating: 4, text: FORMULA + SCRIPT, choice: SCRIPT},
        respondent=w.tester,
        business_unit=ATTRIBUTE,
    )
    add_item(s, round_, title=SCRIPT, description=FORMULA, location=ATTRIBUTE)
    release.state = ReleaseState.APPROVED
    publish_notes(
        s,
        release,
        body=f"# {SCRIPT}\n\n{ATTRIBUTE}\n\n<img src=x onerror=alert(1)>",
        actor=w.manager,
        now=utcnow(),
        base_url="http://brique.test",
    )
    s.flush()
    return {"path": path, "release": release, "sprint": sprint, "need": need, "round": round_}


def test_hostile_names_are_escaped_on_every_page(client, db_session, world: World, login) -> None:
    made = _hostile_world(db_session, world)
    a = f"/a/{world.academy.slug}"
    pages = [
        f"{a}/",
        f"{a}/backlog",
        f"{a}/backlog?q=%3Cscript%3E",
        f"{a}/board",
        f"{a}/board?lanes=1",
        f"{a}/bricks/1",
        f"{a}/bricks/1/edit",
        f"{a}/bricks/2",
        f"{a}/stages",
        f"{a}/paths/",
        f"{a}/paths/{made['path'].id}/",
        f"{a}/releases/",
        f"{a}/releases/{made['release'].id}/",
        f"{a}/releases/{made['release'].id}/notes",
        f"{a}/releases/{made['release'].id}/decide",
        f"{a}/notes/",
        f"{a}/roadmap",
        f"{a}/overview",
        f"{a}/sprints/",
        f"{a}/sprints/{made['sprint'].id}/",
        f"{a}/sprints/{made['sprint'].id}/plan",
        f"{a}/reports",
        f"{a}/needs/",
        f"{a}/needs/{made['need'].id}/",
        f"{a}/needs/coverage",
        f"{a}/rounds/",
        f"{a}/rounds/{made['round'].id}/",
        f"{a}/rounds/{made['round'].id}/preview",
        f"{a}/rounds/{made['round'].id}/results",
        f"{a}/rounds/{made['round'].id}/triage",
        f"{a}/rounds/{made['round'].id}/invitations",
    ]
    login(world.manager)

    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.get_data(as_text=True)
        _assert_escaped(body, url)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in client.get(f"{a}/roadmap").get_data(
        as_text=True
    )  # the names are there, escaped (in the SVG timeline too)


def test_atom_feed_escapes_names_and_notes(client, db_session, world: World, login) -> None:
    from xml.etree import ElementTree as ET

    _hostile_world(db_session, world)
    login(world.stakeholder)
    page = client.post(f"/a/{world.academy.slug}/notes/feed-link", data={}).get_data(as_text=True)
    token = page.split("/feeds/")[1].split(".atom")[0]  # shown once, on the answer to the POST

    response = client.get(f"/feeds/{token}.atom")

    assert response.status_code == 200
    root = ET.fromstring(response.data)  # noqa: S314 - our own feed; well-formed XML
    ns = {"a": "http://www.w3.org/2005/Atom"}
    [entry] = root.findall("a:entry", ns)
    assert entry.findtext("a:title", namespaces=ns) == SCRIPT  # text, not markup
    content = entry.findtext("a:content", namespaces=ns) or ""
    _assert_escaped(content, "the entry's HTML")
    assert b"<script>" not in response.data


def test_notification_mails_escape_names_in_their_html(db_session, world: World) -> None:
    from tracker.mail.models import MailMessage

    _hostile_world(db_session, world)

    mails = db_session.scalars(select(MailMessage).where(MailMessage.body_html.is_not(None))).all()

    assert mails  # the notes' publication mailed the stakeholder
    for mail in mails:
        _assert_escaped(mail.body_html or "", mail.subject)


def test_exports_neutralise_formulas(client, db_session, world: World, login) -> None:
    made = _hostile_world(db_session, world)
    a = f"/a/{world.academy.slug}"
    login(world.manager)

    backlog = client.get(f"{a}/backlog/export.csv").data.decode("utf-8-sig")
    answers = client.get(f"{a}/rounds/{made['round'].id}/export/answers.csv")
    items = client.get(f"{a}/rounds/{made['round'].id}/export/items.csv")

    for name, body in (
        ("backlog", backlog),
        ("answers", answers.data.decode("utf-8-sig")),
        ("items", items.data.decode("utf-8-sig")),
    ):
        cells = [cell for row in csv.reader(io.StringIO(body), delimiter=";") for cell in row]
        assert not [c for c in cells if c[:1] in ("=", "+", "-", "@")], name
    assert "'=HYPERLINK" in backlog


# -- CSRF, methods, caching -------------------------------------------------------------------


@pytest.mark.parametrize("path", ["board/move", "backlog/reorder"])
def test_json_endpoints_refuse_a_post_without_the_csrf_header(
    path, client, db_session, world: World, login
) -> None:
    first = make_brick(db_session, world, "A")
    second = make_brick(db_session, world, "B")
    login(world.manager)
    payload = {"brick": second.number, "before": first.number, "version": second.version}
    payload["stage"] = second.stage_id
    before = _snapshot(db_session)

    response = client.post(f"/a/{world.academy.slug}/{path}", json=payload, csrf=False)

    assert response.status_code == 400
    assert _snapshot(db_session) == before


def test_state_changing_routes_refuse_get(app, client, db_session, world: World, login) -> None:
    post_only = sorted(
        rule.rule
        for rule in app.url_map.iter_rules()
        if rule.methods and "POST" in rule.methods and "GET" not in rule.methods
    )
    login(world.manager)

    for rule in ("/logout", "/language"):
        assert rule in post_only
        assert client.get(rule).status_code == 405
    assert len(post_only) >= 40


@pytest.mark.parametrize("who", ["self", "admin"])
def test_personal_data_exports_are_not_cached(who, client, db_session, world: World, login):
    login(world.admin if who == "admin" else world.tester)
    url = "/account/export" if who == "self" else f"/admin/users/{world.tester.id}/export"

    response = client.get(url)

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"


GET_ROUTES = sorted(
    endpoint
    for endpoint, route in ROUTES.items()
    # Not found by design with the table's placeholder token: the feed and the reset link (the
    # invitation's page has a real token: opening it must change nothing, issue 18.6). Single
    # sign-on is not configured here (404), and its callback signs in by design (the provider
    # redirects with a GET): tests/auth/test_sso.py.
    if route.method == "GET"
    and endpoint
    not in {
        "feeds.atom",
        "core.index",
        "auth.reset_password",
        "auth.sso_login",
        "auth.sso_callback",
    }
)


@pytest.mark.parametrize("endpoint", GET_ROUTES)
def test_a_get_changes_nothing(endpoint, client, db_session, world: World, login) -> None:
    route = ROUTES[endpoint]
    url = route.path(world, db_session)
    headers = {}
    if route.api:
        from tests.api.helpers import bearer, personal_token

        headers = bearer(personal_token(db_session, world.manager))
        db_session.commit()  # the setup's own changes counted before the snapshot
    elif endpoint.startswith(("auth.admin", "mail.", "academies.")):
        login(world.admin)
    elif endpoint in {
        "feedback.my_rounds",
        "feedback.answer",
        "feedback.new_item",
        "feedback.edit_item",
    }:
        login(world.tester)
    elif endpoint.startswith("vendors.portal") or endpoint == "vendors.new_quote":
        login(world.vendor)
    else:
        login(world.manager)
    before = _snapshot(db_session)

    response = client.get(url, headers=headers)

    assert response.status_code < 400, f"{url}: {response.status_code}"
    db_session.expire_all()
    assert _snapshot(db_session) == before


# -- Lazy translations are "safe HTML" ----------------------------------------------------------

# lazy_gettext's strings have __html__: Jinja and WTForms print them without escaping, so
# whatever is interpolated into one must not come from a user. These are fixed values.
SAFE_LAZY_ARGUMENTS = {
    ("tracker/sprints/forms.py", "key"),  # a brick key: [A-Z0-9] prefix and a number
    ("tracker/sprints/forms.py", "days"),
    ("tracker/feedback/forms.py", "zone"),  # a time zone from the list of zones
}


def test_no_user_text_goes_into_a_lazy_translation() -> None:
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    lazy = {"_l", "lazy_gettext", "lazy_ngettext", "lazy_pgettext"}
    found = set()
    for path in (root / "tracker").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) in lazy:
                name = str(path.relative_to(root))
                found |= {(name, keyword.arg) for keyword in node.keywords}

    assert found <= SAFE_LAZY_ARGUMENTS


# -- Pages offer only what the reader may do ----------------------------------------------------


@pytest.mark.parametrize("who", ["designer", "stakeholder", "tester"])
def test_pages_link_only_to_actions_the_reader_may_use(
    who, app, client, db_session, world: World, login
) -> None:
    """Every link and form on every page a role may read leads to a route that role may use."""
    made = _hostile_world(db_session, world)
    a = f"/a/{world.academy.slug}"
    urls = {
        f"{a}/releases/{made['release'].id}/",
        f"{a}/sprints/{made['sprint'].id}/",
        f"{a}/releases/{made['release'].id}/notes",
    }
    for route in ROUTES.values():
        if route.method == "GET" and who in route.allowed:
            try:
                with db_session.begin_nested():  # the table's helpers may repeat a name
                    urls.add(route.path(world, db_session))
            except Exception:  # noqa: S112 - that helper's object exists already
                continue
    adapter = app.url_map.bind("localhost")
    login(getattr(world, who))
    refused, seen = [], 0

    for url in sorted(urls):
        response = client.get(url)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        for kind, target in re.findall(r'(href|action)="(/[^"#?]*)', response.get_data(True)):
            if target.startswith("/static/"):
                continue
            seen += 1
            try:
                endpoint, _args = adapter.match(
                    target, method="POST" if kind == "action" else "GET"
                )
            except Exception:  # noqa: S112 - a GET form, or a page outside the app
                continue
            route = ROUTES.get(endpoint)
            if route is not None and not route.public and who not in route.allowed:
                refused.append((url, target))

    assert seen > 20
    assert not refused
