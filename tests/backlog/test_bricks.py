"""Brick pages: create, view, edit, delete, comments, definition of done, history."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from tests.factories import make_academy, make_brick, stage_of
from tracker.academies.defaults import default_items
from tracker.backlog import checklists, services
from tracker.backlog.labels import format_duration, parse_duration
from tracker.backlog.models import (
    Activity,
    ActivityKind,
    BloomLevel,
    Brick,
    BrickFormat,
    ChecklistTemplate,
    Comment,
    LearningPath,
)
from tracker.db import utcnow
from tracker.learning.outcomes import forget_kept as forget_outcomes
from tracker.sprints.models import Sprint


def brick_url(world, brick, suffix=""):
    return f"/a/{world.academy.slug}/bricks/{brick.number}{suffix}"


class _FormReader(HTMLParser):
    """Reads the brick form of a page the way a browser would submit it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.data: dict[str, str] = {}
        self.in_form = self.done = False
        self.select: str | None = None
        self.first_option: str | None = None
        self.textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if self.done:
            return
        if tag == "form" and "brick-form" in (a.get("class") or ""):
            self.in_form = True
        if not self.in_form or "__i__" in (a.get("name") or ""):
            return
        if tag == "input" and a.get("name") and a.get("type") not in ("submit", "button"):
            self.data[a["name"]] = a.get("value") or ""
        elif tag == "select":
            self.select, self.first_option = a.get("name"), None
        elif tag == "option" and self.select:
            if self.first_option is None:
                self.first_option = a.get("value", "")
                self.data.setdefault(self.select, self.first_option)
            if "selected" in a:
                self.data[self.select] = a.get("value", "")
        elif tag == "textarea":
            self.textarea = a.get("name")
            self.data[self.textarea] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None
        elif tag == "form" and self.in_form:
            self.in_form, self.done = False, True

    def handle_data(self, data):
        if self.textarea:
            self.data[self.textarea] += data


def form_fields(html: str) -> dict[str, str]:
    """The values a browser would post from the brick form (without pressing a button)."""
    reader = _FormReader()
    reader.feed(html)
    data = reader.data
    for name, value in data.items():  # a browser drops the newline right after <textarea>
        if value.startswith("\r\n"):
            data[name] = value[2:]
        elif value.startswith("\n"):
            data[name] = value[1:]
    return data


# -- Values and labels --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "minutes"),
    [("90", 90), ("90 min", 90), ("1h30", 90), ("1 h 30", 90), ("1:30", 90), ("2h", 120),
     ("2 H", 120), ("", None), ("  ", None)],
)  # fmt: skip
def test_durations_are_read_in_minutes_or_hours(text, minutes):
    assert parse_duration(text) == minutes


@pytest.mark.parametrize("text", ["abc", "1h75", "-5", "1.5h", "h30"])
def test_a_duration_that_is_not_one_is_refused(text):
    with pytest.raises(ValueError):
        parse_duration(text)


def test_durations_are_shown_in_hours_and_minutes():
    assert [format_duration(m) for m in (90, 120, 45, 0, None)] == [
        "1 h 30",
        "2 h",
        "45 min",
        "0 min",
        "",
    ]


# -- Creating -----------------------------------------------------------------------------------


def test_a_manager_creates_a_brick_with_every_field(client, db_session, world, login):
    sprint = Sprint(academy_id=world.academy.id, name="Sprint 1")
    path = LearningPath(academy_id=world.academy.id, name="Cyber")
    db_session.add_all([sprint, path])
    db_session.flush()
    stage = world.academy.stages[1]
    login(world.manager)
    page = client.get(f"/a/{world.academy.slug}/bricks/new")
    assert page.status_code == 200

    response = client.post(
        f"/a/{world.academy.slug}/bricks/new",
        data={
            "title": "Spot a phishing e-mail",
            "summary": "Recognise the five signs.",
            "description": "## Plan\n\n- signs\n- reflexes",
            "format": "video",
            "learner_minutes": "1 h 30",
            "estimate_points": "5",
            "stage_id": str(stage.id),
            "sprint_id": str(sprint.id),
            "release_id": "",
            "learning_path_id": str(path.id),
            "owner_id": str(world.designer.id),
            "vendor": "Studio Nord",
            "target_audience": "Every employee",
            "language": "en",
            "prerequisites": "None",
            "content_url": "https://lms.example.com/phishing",
            "objectives-0-statement": "Identify the signs of a phishing e-mail",
            "objectives-0-bloom_level": "remember",
            "objectives-1-statement": "",
            "objectives-1-bloom_level": "apply",
            "objectives-2-statement": "Report a suspicious e-mail",
            "objectives-2-bloom_level": "apply",
        },
    )

    assert response.status_code == 303, response.get_data(as_text=True)
    brick = db_session.scalar(select(Brick).where(Brick.title == "Spot a phishing e-mail"))
    assert response.location.endswith(f"/bricks/{brick.number}")
    assert (brick.learner_minutes, brick.estimate_points, brick.stage_id) == (90, 5, stage.id)
    assert (brick.sprint_id, brick.learning_path_id, brick.owner_id) == (
        sprint.id,
        path.id,
        world.designer.id,
    )
    assert [(o.statement, o.bloom_level) for o in brick.objectives] == [
        ("Identify the signs of a phishing e-mail", BloomLevel.REMEMBER),
        ("Report a suspicious e-mail", BloomLevel.APPLY),
    ]
    assert [i.label for i in brick.checklist] == default_items("en", BrickFormat.VIDEO)
    page = client.get(response.location).get_data(as_text=True)
    for text in (
        brick.key,
        "Spot a phishing e-mail",
        "1 h 30",
        "5 points",
        "Sprint 1",
        "Cyber",
        "Dan Designer",
        "Studio Nord",
        "Every employee",
        "English",
        'href="https://lms.example.com/phishing"',
        "<h2>Plan</h2>",
        "Report a suspicious e-mail",
        "Subtitles proofread",
    ):
        assert text in page, text


def test_create_and_add_another_keeps_the_format_and_path(client, db_session, world, login):
    login(world.manager)
    stage = world.academy.stages[0]

    response = client.post(
        f"/a/{world.academy.slug}/bricks/new",
        data={"title": "Podcast 1", "format": "podcast", "stage_id": str(stage.id),
              "language": "fr", "then": "another"},
    )  # fmt: skip

    assert response.status_code == 303
    assert "/bricks/new?format=podcast" in response.location
    page = client.get(response.location).get_data(as_text=True)
    assert re.search(r'<option (selected value="podcast"|value="podcast" selected)', page)


def test_a_designer_creates_a_brick_but_cannot_delete_it(client, db_session, world, login):
    # Designers add bricks one by one (as from a feedback item); deleting stays the manager's.
    login(world.designer)
    stage = world.academy.stages[0]

    created = client.post(
        f"/a/{world.academy.slug}/bricks/new",
        data={"title": "Podcast 2", "format": "podcast", "stage_id": str(stage.id),
              "language": "fr"},
    )  # fmt: skip

    assert created.status_code == 303
    brick = db_session.scalar(select(Brick).where(Brick.title == "Podcast 2"))
    assert brick is not None
    deleted = client.post(f"/a/{world.academy.slug}/bricks/{brick.number}/delete")
    assert deleted.status_code == 403
    list_page = client.get(f"/a/{world.academy.slug}/backlog").get_data(as_text=True)
    assert f'href="/a/{world.academy.slug}/bricks/new"' in list_page


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("title", "  ", "This field is required."),
        ("learner_minutes", "an hour", "hours and minutes"),
        ("estimate_points", "-3", "Enter a whole number between 0 and 1,000."),
        ("content_url", "javascript:alert(1)", "https://"),
        ("format", "hologram", "Not a valid choice"),
        ("objectives-0-bloom_level", "dream", "Not a valid choice"),
    ],
)
def test_a_bad_value_is_refused_beside_its_field_and_typing_is_kept(
    client, world, login, field, value, message
):
    login(world.manager)
    data = {
        "title": "Keep me",
        "format": "video",
        "stage_id": str(world.academy.stages[0].id),
        "language": "fr",
        "summary": "Typed summary",
        "objectives-0-statement": "Typed objective",
        "objectives-0-bloom_level": "apply",
    }
    data[field] = value

    response = client.post(f"/a/{world.academy.slug}/bricks/new", data=data)

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html
    assert "Typed summary" in html
    assert "Typed objective" in html


def test_ids_of_another_academy_are_refused(client, db_session, world, login):
    foreign = Sprint(academy_id=world.other_academy.id, name="Their sprint")
    db_session.add(foreign)
    db_session.flush()
    login(world.manager)

    response = client.post(
        f"/a/{world.academy.slug}/bricks/new",
        data={"title": "X", "format": "video", "stage_id": str(world.other_academy.stages[0].id),
              "sprint_id": str(foreign.id), "language": "fr"},
    )  # fmt: skip

    assert response.status_code == 422
    assert db_session.scalar(select(Brick).where(Brick.title == "X")) is None


def test_the_service_refuses_a_javascript_content_link(db_session, world):
    from tracker.errors import DomainError

    with pytest.raises(DomainError) as caught:
        make_brick(db_session, world, content_url="javascript:alert(1)")
    assert caught.value.field == "content_url"


def test_the_form_suggests_verbs_in_french_and_english(client, world, login):
    login(world.manager)

    html = client.get(f"/a/{world.academy.slug}/bricks/new").get_data(as_text=True)

    assert 'id="bloom-verbs-apply"' in html
    assert '<option value="mettre en œuvre">' in html
    assert '<option value="implement">' in html
    # The hint follows the level of the row (no-JS: rendered; JS: from data-hint).
    assert "FR: appliquer" in html and "EN: apply" in html
    assert 'data-hint="Suggested verbs — EN: analyze' in html


# -- Viewing and editing ------------------------------------------------------------------------


def test_an_edit_is_recorded_in_a_readable_history(client, db_session, world, login):
    brick = make_brick(
        db_session, world, "Phishing basics", objectives=[("Spot a fake sender", "remember")]
    )
    sprint = Sprint(academy_id=world.academy.id, name="Sprint 7")
    db_session.add(sprint)
    db_session.flush()
    login(world.designer)
    data = form_fields(client.get(brick_url(world, brick, "/edit")).get_data(as_text=True))
    data.update(
        {
            "title": "Phishing in 5 minutes",
            "sprint_id": str(sprint.id),
            "learner_minutes": "45",
            "format": "podcast",
            "objectives-0-bloom_level": "apply",
            "objectives-1-statement": "Report a suspicious e-mail",
        }
    )

    response = client.post(brick_url(world, brick, "/edit"), data=data)

    assert response.status_code == 303, response.get_data(as_text=True)
    db_session.refresh(brick)
    assert brick.title == "Phishing in 5 minutes"
    assert [o.bloom_level for o in brick.objectives] == [BloomLevel.APPLY, BloomLevel.APPLY]
    # Nothing was ticked: the brick takes the checklist of its new format.
    assert brick.checklist[0].label == default_items("en", BrickFormat.PODCAST)[0]
    event = db_session.scalars(
        select(Activity).where(Activity.brick_id == brick.id).order_by(Activity.id.desc())
    ).first()
    assert event.actor_id == world.designer.id
    assert event.changes["title"] == ["Phishing basics", "Phishing in 5 minutes"]
    assert event.changes["sprint_id"] == [None, sprint.id]
    assert event.changes["objectives"][1] == [
        {"statement": "Spot a fake sender", "bloom_level": "apply"},
        {"statement": "Report a suspicious e-mail", "bloom_level": "apply"},
    ]
    page = client.get(brick_url(world, brick)).get_data(as_text=True)
    assert "Dan Designer" in page
    assert "Sprint 7" in page  # an id shown as its name
    assert "Learner duration" in page and "45 min" in page
    assert "Podcast" in page
    assert "Learning objectives changed" in page


def test_saving_without_changes_records_nothing(client, db_session, world, login):
    brick = make_brick(db_session, world, objectives=[("Spot a fake sender", "remember")])
    login(world.manager)
    data = form_fields(client.get(brick_url(world, brick, "/edit")).get_data(as_text=True))

    response = client.post(brick_url(world, brick, "/edit"), data=data)

    assert response.status_code == 303
    kinds = db_session.scalars(select(Activity.kind).where(Activity.brick_id == brick.id)).all()
    assert kinds == [ActivityKind.CREATED]
    assert brick.version == 1


def test_a_brick_of_another_academy_is_not_found(client, db_session, world, login):
    other = services.create_brick(
        db_session,
        world.other_academy,
        actor=world.outsider,
        title="Theirs",
        format="mooc",
        now=utcnow(),
    )
    make_brick(db_session, world)
    login(world.manager)

    response = client.get(f"/a/{world.academy.slug}/bricks/{other.number + 100}")

    assert response.status_code == 404


# -- Two people editing at once -----------------------------------------------------------------


def test_two_concurrent_edits_lose_nothing(app, client, db_session, world, login):
    brick = make_brick(db_session, world, summary="Old summary")
    db_session.commit()  # (a savepoint) so that the conflict's rollback keeps the brick
    url = brick_url(world, brick, "/edit")
    login(world.designer)
    seen_by_b = form_fields(client.get(url).get_data(as_text=True))
    login(world.manager)
    seen_by_a = form_fields(client.get(url).get_data(as_text=True))
    assert seen_by_a["version"] == seen_by_b["version"] == "1"

    # A saves a new title.
    response = client.post(url, data={**seen_by_a, "title": "A's title"})
    assert response.status_code == 303

    # B saves a new summary from the page B loaded before: refused, nothing lost.
    login(world.designer)
    response = client.post(url, data={**seen_by_b, "summary": "B's summary"})

    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Someone else saved this brick" in html
    conflict = html[html.index('id="conflict-title"') : html.index("</table>")]
    assert "Title" in conflict and "A&#39;s title" in conflict
    retry = form_fields(html)
    assert retry["summary"] == "B's summary"  # what B typed is kept
    assert retry["title"] == "A's title"  # B had not touched it: theirs is taken
    assert retry["version"] == "2"

    response = client.post(url, data=retry)

    assert response.status_code == 303
    db_session.refresh(brick)
    assert (brick.title, brick.summary, brick.version) == ("A's title", "B's summary", 3)


def test_a_field_both_changed_keeps_yours_and_says_so(client, db_session, world, login):
    brick = make_brick(db_session, world)
    db_session.commit()
    url = brick_url(world, brick, "/edit")
    login(world.manager)
    seen = form_fields(client.get(url).get_data(as_text=True))
    services.update_brick(
        db_session, brick, actor=world.designer, expected_version=1, title="Their title",
        objectives=[("Their objective", "create")], now=utcnow(),
    )  # fmt: skip
    db_session.commit()

    response = client.post(url, data={**seen, "title": "My title"})

    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Yours (saving replaces theirs)" in html
    assert "Their title" in html
    fields = form_fields(html)
    assert fields["title"] == "My title"
    assert fields["objectives-0-statement"] == "Their objective"
    assert fields["objectives-0-bloom_level"] == "create"


# -- Deleting -----------------------------------------------------------------------------------


def test_a_manager_deletes_a_brick_after_confirming(client, db_session, world, login):
    brick = make_brick(db_session, world, objectives=[("Spot a fake sender", "remember")])
    services.add_comment(db_session, brick, author=world.designer, body="Nice", now=utcnow())
    checklists.tick_checklist_item(
        db_session, brick, brick.checklist[0], done=True, actor=world.designer, now=utcnow()
    )
    brick_id, number = brick.id, brick.number
    login(world.manager)
    page = client.get(brick_url(world, brick, "/delete"))
    assert page.status_code == 200
    assert "This cannot be undone" in page.get_data(as_text=True)

    response = client.post(brick_url(world, brick, "/delete"))

    assert response.status_code == 303
    db_session.expire_all()
    assert db_session.get(Brick, brick_id) is None
    deleted = db_session.scalar(
        select(Activity).where(
            Activity.brick_number == number, Activity.kind == ActivityKind.DELETED
        )
    )
    assert deleted is not None and deleted.actor_id == world.manager.id
    assert db_session.scalar(select(Comment).where(Comment.brick_id == brick_id)) is None
    kept = db_session.scalars(select(Activity).where(Activity.brick_number == number)).all()
    assert len(kept) == 4 and all(event.brick_id is None for event in kept)  # history stays


def test_deleting_needs_the_form_token(client, db_session, world, login):
    brick = make_brick(db_session, world)
    login(world.manager)

    response = client.post(brick_url(world, brick, "/delete"), csrf=False)

    assert response.status_code == 400
    assert db_session.get(Brick, brick.id) is not None


# -- Comments -----------------------------------------------------------------------------------


def test_a_designer_comments_in_markdown(client, db_session, world, login):
    brick = make_brick(db_session, world)
    login(world.designer)

    response = client.post(brick_url(world, brick, "/comments"), data={"body": "Looks **good**"})

    assert response.status_code == 303
    assert response.location.endswith("#comments")
    comment = db_session.scalar(select(Comment).where(Comment.brick_id == brick.id))
    assert comment.author_id == world.designer.id
    page = client.get(brick_url(world, brick)).get_data(as_text=True)
    assert "Looks <strong>good</strong>" in page
    assert "Commented" in page


def test_an_empty_comment_is_refused(client, db_session, world, login):
    brick = make_brick(db_session, world)
    login(world.designer)

    response = client.post(brick_url(world, brick, "/comments"), data={"body": "   "})

    assert response.status_code == 422
    assert db_session.scalar(select(Comment).where(Comment.brick_id == brick.id)) is None


# -- Definition of done -------------------------------------------------------------------------


def test_a_designer_ticks_and_unticks_an_item(client, db_session, world, login):
    brick = make_brick(db_session, world)
    item = brick.checklist[0]
    login(world.designer)

    response = client.post(brick_url(world, brick, f"/checklist/{item.id}"), data={"done": "1"})

    assert response.status_code == 303
    db_session.refresh(item)
    assert item.done and item.done_by_id == world.designer.id and item.done_at is not None
    page = client.get(brick_url(world, brick)).get_data(as_text=True)
    assert f"Ticked “{item.label}”" in page
    assert 'aria-pressed="true"' in page
    assert brick.version == 1  # ticking does not interrupt someone editing the fields

    client.post(brick_url(world, brick, f"/checklist/{item.id}"), data={"done": "0"})
    db_session.refresh(item)
    assert not item.done and item.done_by_id is None


def test_ticking_twice_records_once(client, db_session, world, login):
    brick = make_brick(db_session, world)
    item = brick.checklist[0]
    login(world.designer)

    for _ in range(2):
        client.post(brick_url(world, brick, f"/checklist/{item.id}"), data={"done": "1"})

    ticks = db_session.scalars(
        select(Activity).where(
            Activity.brick_id == brick.id, Activity.kind == ActivityKind.CHECKLIST
        )
    ).all()
    assert len(ticks) == 1


def test_an_item_of_another_brick_cannot_be_ticked(client, db_session, world, login):
    first = make_brick(db_session, world)
    second = make_brick(db_session, world, title="Other")
    login(world.designer)

    response = client.post(
        brick_url(world, first, f"/checklist/{second.checklist[0].id}"), data={"done": "1"}
    )

    assert response.status_code == 404


def test_a_new_academy_has_a_checklist_for_every_format(db_session, world):
    by_format = checklists.templates_by_format(db_session, world.academy)

    assert set(by_format) == set(BrickFormat)
    assert all(items for items in by_format.values())
    assert by_format[BrickFormat.VIDEO][0].label == "Script approved"


def test_a_manager_edits_a_format_checklist_and_new_bricks_follow(client, db_session, world, login):
    old_brick = make_brick(db_session, world)
    login(world.manager)
    base = f"/a/{world.academy.slug}/checklists"
    assert client.get(base).status_code == 200
    page = client.get(f"{base}/video")
    assert page.status_code == 200

    response = client.post(f"{base}/video/items", data={"label": "Thumbnail chosen"})
    assert response.status_code == 303
    items = checklists.templates_by_format(db_session, world.academy)[BrickFormat.VIDEO]
    first, added = items[0], items[-1]
    client.post(f"{base}/items/{added.id}/move", data={"direction": "up"})
    client.post(f"{base}/items/{first.id}/rename", data={f"i{first.id}-label": "Script signed"})
    client.post(f"{base}/items/{items[1].id}/remove")

    db_session.expire_all()
    labels = [t.label for t in checklists.templates_by_format(db_session, world.academy)[
        BrickFormat.VIDEO]]  # fmt: skip
    expected = ["Script signed", *[t.label for t in items[2:-1]]]
    expected.insert(len(expected) - 1, "Thumbnail chosen")
    assert labels == expected
    new_brick = make_brick(db_session, world, title="New one")
    assert [i.label for i in new_brick.checklist] == labels
    assert old_brick.checklist[0].label == "Script approved"  # existing bricks keep theirs


def test_an_empty_checklist_item_is_refused(client, db_session, world, login):
    login(world.manager)

    response = client.post(f"/a/{world.academy.slug}/checklists/video/items", data={"label": " "})

    assert response.status_code == 422


def test_an_unknown_format_is_not_found(client, world, login):
    login(world.manager)

    assert client.get(f"/a/{world.academy.slug}/checklists/hologram").status_code == 404


def test_an_academy_without_templates_gets_the_defaults_on_first_visit(
    client, db_session, world, login
):
    academy = make_academy(db_session, actor=world.admin)
    db_session.query(ChecklistTemplate).filter_by(academy_id=academy.id).delete()
    from tracker.academies.models import Role
    from tracker.academies.services import add_member

    add_member(db_session, academy, world.manager, Role.MANAGER)
    db_session.commit()
    assert not checklists.has_templates(db_session, academy)
    login(world.manager)

    page = client.get(f"/a/{academy.slug}/checklists")

    assert page.status_code == 200
    assert "Default checklists were installed" in page.get_data(as_text=True)
    assert checklists.has_templates(db_session, academy)


# -- Speed --------------------------------------------------------------------------------------


def _grow(db_session, world, brick, n: int) -> None:
    for i in range(n):
        services.update_brick(
            db_session, brick, actor=world.designer if i % 2 else world.manager,
            expected_version=brick.version, summary=f"Summary {i}",
            owner_id=world.designer.id if i % 2 else world.manager.id,
            objectives=[(f"Objective {j}", "apply") for j in range(i % 5 + 1)], now=utcnow(),
        )  # fmt: skip
        services.add_comment(
            db_session, brick, author=world.manager, body=f"Comment **{i}**", now=utcnow()
        )
    for item in brick.checklist:
        checklists.tick_checklist_item(
            db_session, brick, item, done=True, actor=world.designer, now=utcnow()
        )


def test_the_brick_page_issues_the_same_queries_whatever_its_history(
    client, db_session, world, login, queries
):
    small = make_brick(db_session, world, title="Small")
    big = make_brick(db_session, world, title="Big")
    _grow(db_session, world, small, 1)
    _grow(db_session, world, big, 100)
    small_url, big_url = brick_url(world, small), brick_url(world, big)
    db_session.expire_all()
    login(world.manager)
    client.get(small_url)  # warm up: the first request loads more once

    # Each page as a first view (its learning figures not kept yet, tracker/learning/outcomes.py).
    forget_outcomes()
    with queries() as few:
        small_page = client.get(small_url)
    forget_outcomes()
    with queries() as many:
        big_page = client.get(big_url)
    forget_outcomes()
    with queries() as everything:
        whole_page = client.get(big_url + "?history=all")

    assert small_page.status_code == big_page.status_code == whole_page.status_code == 200
    big_html = big_page.get_data(as_text=True)
    assert big_html.count('class="history-entry') == 50
    assert "Show the whole history (" in big_html
    assert whole_page.get_data(as_text=True).count('class="history-entry') > 200
    assert big_html.count('class="comment"') == 100
    assert few.count == many.count == everything.count, (few.count, many.count, everything.count)
    # 16, the learning section's two (tracker/learning: the brick's identifiers on the
    # learning platforms, its outcome with learners; four for a brick that has learners), and
    # the brick's files (tracker.attachments), and the notification bell's unread count.
    assert many.count <= 20


def test_a_brick_keeps_an_owner_who_changed_role(client, db_session, world, login):
    from tracker.academies.models import Membership, Role

    brick = make_brick(db_session, world, owner_id=world.designer.id)
    membership = db_session.scalar(
        select(Membership).where(
            Membership.academy_id == world.academy.id, Membership.user_id == world.designer.id
        )
    )
    membership.role = Role.STAKEHOLDER
    db_session.flush()
    login(world.manager)
    data = form_fields(client.get(brick_url(world, brick, "/edit")).get_data(as_text=True))
    assert data["owner_id"] == str(world.designer.id)  # still offered, not silently dropped

    response = client.post(brick_url(world, brick, "/edit"), data={**data, "vendor": "Acme"})

    assert response.status_code == 303
    db_session.refresh(brick)
    assert (brick.owner_id, brick.vendor) == (world.designer.id, "Acme")


# -- The board's rules hold on the edit form too ------------------------------------------------


def test_the_edit_form_cannot_put_an_unfinished_brick_in_done(client, db_session, world, login):
    from tracker.academies.models import StageCategory

    brick = make_brick(db_session, world)
    assert brick.checklist and not any(item.done for item in brick.checklist)
    done = stage_of(db_session, world, StageCategory.DONE)
    login(world.manager)
    data = form_fields(client.get(brick_url(world, brick, "/edit")).get_data(as_text=True))

    response = client.post(
        brick_url(world, brick, "/edit"), data={**data, "stage_id": str(done.id)}
    )

    assert response.status_code == 422
    assert "definition of done is not complete" in response.get_data(as_text=True)
    db_session.refresh(brick)
    assert brick.stage_id != done.id


def test_the_edit_form_respects_a_blocking_wip_limit(client, db_session, world, login):
    from tracker.academies.models import StageCategory, WipPolicy

    active = stage_of(db_session, world, StageCategory.ACTIVE)
    active.wip_limit, active.wip_policy = 1, WipPolicy.BLOCK
    make_brick(db_session, world, stage_id=active.id)
    brick = make_brick(db_session, world)
    login(world.manager)
    data = form_fields(client.get(brick_url(world, brick, "/edit")).get_data(as_text=True))

    response = client.post(
        brick_url(world, brick, "/edit"), data={**data, "stage_id": str(active.id)}
    )

    assert response.status_code == 422
    assert "is full" in response.get_data(as_text=True)
