"""A create form sent twice (a double click, a resent page) creates one object: every create
form carries a token drawn when it is shown (tracker.submissions). Each form is filled as a
browser would (its defaults and hidden fields) and sent twice with the same token."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.feedback.factories import make_round
from tracker import submissions
from tracker.academies.models import Academy, Stage
from tracker.backlog import services as brick_services
from tracker.backlog.models import Brick, ChecklistTemplate, Comment, LearningPath, TrainingNeed
from tracker.db import utcnow
from tracker.feedback.models import FeedbackRound, Question, Segment
from tracker.releases.models import Release
from tracker.sprints.models import Sprint


class _Form(HTMLParser):
    """The fields of the page's form that holds a `once` token, with their shown values."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[dict[str, Any]] = []
        self.current: dict[str, Any] | None = None
        self.select: str | None = None
        self.textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.current = {"__action__": a.get("action", "")}
            self.forms.append(self.current)
        if self.current is None or not a.get("name"):
            shown = self.current is not None and tag == "option" and self.select
            if shown and (self.select not in self.current or "selected" in a):
                self.current[self.select] = a.get("value", "")
            return
        name = a["name"]
        if tag == "input":
            kind = a.get("type", "text")
            if kind in ("submit", "button"):
                return
            if kind in ("checkbox", "radio"):
                if "checked" in a or (kind == "radio" and name not in self.current):
                    self.current[name] = a.get("value", "y")
                return
            self.current[name] = a.get("value", "")
        elif tag == "select":
            self.select = name
        elif tag == "textarea":
            self.textarea = name
            self.current[name] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None
        elif tag == "form":
            self.current = None

    def handle_data(self, data: str) -> None:
        if self.textarea and self.current is not None:
            self.current[self.textarea] += data.lstrip("\n")


def form_with_token(html: str) -> dict[str, Any]:
    reader = _Form()
    reader.feed(html)
    found = [form for form in reader.forms if form.get("once")]
    assert len(found) == 1, "one create form with a token on the page"
    return found[0]


@dataclass(frozen=True)
class Case:
    name: str
    who: str
    page: Callable[[Any], str]  # where the form is shown
    fill: Callable[[Any, Session], dict[str, str]]
    count: Callable[[Session, Any], int]


def _count(model: Any, *where: Any) -> Callable[[Session, Any], int]:
    return lambda session, world: int(
        session.scalar(select(func.count()).select_from(model).where(*where)) or 0
    )


def a(world: Any) -> str:
    return f"/a/{world.academy.slug}"


def _first_brick(session: Session, world: Any) -> Brick:
    return brick_services.create_brick(
        session, world.academy, actor=world.manager, title="Commented", format="video",
        now=utcnow(),
    )  # fmt: skip


def _draft_round(session: Session, world: Any) -> FeedbackRound:
    return make_round(session, world.academy, world.manager, open_it=False).round


CASES = [
    Case("brick", "manager", lambda w: f"{a(w)}/bricks/new",
         lambda w, s: {"title": "Twice", "format": "video"},
         _count(Brick, Brick.title == "Twice")),
    Case("need", "stakeholder", lambda w: f"{a(w)}/needs/new",
         lambda w, s: {"title": "Twice", "business_unit": "Retail", "description": "More."},
         _count(TrainingNeed, TrainingNeed.title == "Twice")),
    Case("sprint", "manager", lambda w: f"{a(w)}/sprints/new",
         lambda w, s: {"name": "Twice"}, _count(Sprint, Sprint.name == "Twice")),
    Case("release", "manager", lambda w: f"{a(w)}/releases/new",
         lambda w, s: {"name": "Twice"}, _count(Release, Release.name == "Twice")),
    Case("path", "manager", lambda w: f"{a(w)}/paths/new",
         lambda w, s: {"name": "Twice"}, _count(LearningPath, LearningPath.name == "Twice")),
    Case("stage", "manager", lambda w: f"{a(w)}/stages",
         lambda w, s: {"name": "Twice"}, _count(Stage, Stage.name == "Twice")),
    Case("academy", "admin", lambda w: "/academies/new",
         lambda w, s: {"name": "Twice", "slug": "twice", "key_prefix": "TWC"},
         _count(Academy, Academy.slug == "twice")),
    Case("segment", "manager", lambda w: f"{a(w)}/panel/segments/new",
         lambda w, s: {"name": "Twice"}, _count(Segment, Segment.name == "Twice")),
    Case("round", "manager", lambda w: f"{a(w)}/rounds/new",
         lambda w, s: {"title": "Twice", "release_id": str(w.release_id),
                       "closes_at": (utcnow() + dt.timedelta(days=7)).strftime("%Y-%m-%dT%H:%M")},
         _count(FeedbackRound, FeedbackRound.title == "Twice")),
    Case("question", "manager",
         lambda w: f"{a(w)}/rounds/{w.round_id}/questions/new",
         lambda w, s: {"prompt": "Twice?", "kind": "yes_no"},
         _count(Question, Question.prompt == "Twice?")),
    Case("checklist item", "manager", lambda w: f"{a(w)}/checklists/video",
         lambda w, s: {"label": "Twice"},
         _count(ChecklistTemplate, ChecklistTemplate.label == "Twice")),
    Case("comment", "manager", lambda w: f"{a(w)}/bricks/{w.brick_number}",
         lambda w, s: {"body": "Twice"}, _count(Comment, Comment.body == "Twice")),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_a_create_form_sent_twice_creates_once(client, db_session, world, login, case: Case):
    world.brick_number = _first_brick(db_session, world).number
    round_ = _draft_round(db_session, world)
    world.round_id, world.release_id = round_.id, round_.release_id
    login(getattr(world, case.who))
    page = client.get(case.page(world))
    assert page.status_code == 200
    data = {**form_with_token(page.get_data(as_text=True)), **case.fill(world, db_session)}
    action = data.pop("__action__") or case.page(world)
    before = case.count(db_session, world)

    first = client.post(action, data=data)
    second = client.post(action, data=data)

    assert first.status_code == 303, first.get_data(as_text=True)[:3000]
    assert second.status_code == 303
    assert second.location == first.location  # to what the first one created
    assert case.count(db_session, world) == before + 1


def test_a_refused_form_keeps_its_token_and_creates_once_corrected(
    client, db_session, world, login
):
    login(world.manager)
    data = form_with_token(client.get(f"{a(world)}/sprints/new").get_data(as_text=True))
    data.pop("__action__")

    refused = client.post(f"{a(world)}/sprints/new", data={**data, "name": ""})
    fixed = {**data, "name": "Fixed"}
    first = client.post(f"{a(world)}/sprints/new", data=fixed)
    second = client.post(f"{a(world)}/sprints/new", data=fixed)

    assert refused.status_code == 422
    assert f'value="{data["once"]}"' in refused.get_data(as_text=True)
    assert (first.status_code, second.status_code) == (303, 303)
    assert _count(Sprint, Sprint.name == "Fixed")(db_session, world) == 1


def test_two_submissions_at_once_meet_at_the_unique_claim(db_session, world):
    """The second of two simultaneous submissions (its claim refused by the unique index
    once the first committed) gets the first one's object."""
    made: list[Sprint] = []

    def create() -> Sprint:
        sprint = Sprint(academy_id=world.academy.id, name=f"S{len(made)}")
        db_session.add(sprint)
        db_session.flush()
        made.append(sprint)
        return sprint

    def send() -> Sprint:
        return submissions.once(
            db_session, "same-token", user_id=world.manager.id, kind="sprint", create=create,
            load=lambda id_: db_session.get(Sprint, id_), id_of=lambda s: s.id,
            now=dt.datetime(2026, 3, 2, tzinfo=dt.UTC),
        )  # fmt: skip

    first, second = send(), send()

    assert first is second and len(made) == 1


def test_without_a_token_a_form_simply_creates(db_session, world):
    calls = []
    for _ in range(2):
        submissions.once(
            db_session, None, user_id=world.manager.id, kind="x", create=lambda: calls.append(1),
            load=lambda id_: None, id_of=lambda _o: 0, now=utcnow(),
        )  # fmt: skip
    assert len(calls) == 2
