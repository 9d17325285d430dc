"""The API's bodies (marshmallow): what the OpenAPI description says, what requests are checked
against before a form or a service sees them, and what responses are written through.

Types and shapes only: the rules (lengths, choices of this academy, the board's and the sprint's
rules) are the forms' and the services' (bricks_views.py feeds a body through the page's form).
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma

from tracker.backlog.models import BloomLevel, BrickFormat

INT_MAX = 2**31 - 1


def _int(**kwargs: Any) -> ma.fields.Integer:
    return ma.fields.Integer(strict=True, validate=ma.validate.Range(0, INT_MAX), **kwargs)


def _id(**kwargs: Any) -> ma.fields.Integer:
    return ma.fields.Integer(strict=True, validate=ma.validate.Range(1, INT_MAX), **kwargs)


class Base(ma.Schema):
    class Meta:
        ordered = True


class Page(Base):
    """A page of a list: its items, and the link to the next page (null on the last)."""

    next = ma.fields.String(required=True, allow_none=True)


# -- Bricks ------------------------------------------------------------------------------------


class Objective(Base):
    statement = ma.fields.String(required=True, validate=ma.validate.Length(max=500))
    bloom_level = ma.fields.Enum(BloomLevel, by_value=True, load_default=BloomLevel.APPLY)


class BrickFields(Base):
    """A brick's editable fields (create: title and format required; update: any of them)."""

    title = ma.fields.String(validate=ma.validate.Length(max=200))
    summary = ma.fields.String(validate=ma.validate.Length(max=500))
    description = ma.fields.String(validate=ma.validate.Length(max=50000))
    format = ma.fields.Enum(BrickFormat, by_value=True)
    learner_minutes = _int(allow_none=True, metadata={"description": "Minutes for the learner"})
    estimate_points = _int(allow_none=True)
    stage_id = _id()
    sprint_id = _id(allow_none=True)
    release_id = _id(allow_none=True)
    learning_path_id = _id(allow_none=True)
    owner_id = _id(allow_none=True)
    reviewer_id = _id(allow_none=True)
    vendor = ma.fields.String(validate=ma.validate.Length(max=120))
    target_audience = ma.fields.String(validate=ma.validate.Length(max=255))
    language = ma.fields.String(validate=ma.validate.Length(max=8))
    prerequisites = ma.fields.String(validate=ma.validate.Length(max=5000))
    content_url = ma.fields.String(validate=ma.validate.Length(max=500))
    objectives = ma.fields.List(ma.fields.Nested(Objective), validate=ma.validate.Length(max=50))
    scope_reason = ma.fields.String(
        load_only=True,
        validate=ma.validate.Length(max=1000),
        metadata={"description": "Why a started sprint gains or loses the brick (its scope log)"},
    )


class BrickCreate(BrickFields):
    title = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=200))
    format = ma.fields.Enum(BrickFormat, by_value=True, required=True)


class Brick(BrickFields):
    number = ma.fields.Integer(required=True)
    key = ma.fields.String(required=True)
    title = ma.fields.String(required=True)
    format = ma.fields.Enum(BrickFormat, by_value=True, required=True)
    version = ma.fields.Integer(required=True, metadata={"description": "Also the ETag"})
    created_at = ma.fields.AwareDateTime(required=True, format="iso")
    updated_at = ma.fields.AwareDateTime(required=True, format="iso")
    stage_entered_at = ma.fields.AwareDateTime(required=True, format="iso")


class BrickPage(Page):
    items = ma.fields.List(ma.fields.Nested(Brick), required=True)


class BrickFilters(Base):
    """The backlog's filters (as on the backlog page); `none` for "not assigned"."""

    q = ma.fields.String(validate=ma.validate.Length(max=200), metadata={"description": "Search"})
    format = ma.fields.Enum(BrickFormat, by_value=True)
    path = ma.fields.String(validate=ma.validate.Regexp(r"^(none|[1-9][0-9]{0,9})$"))
    stage = ma.fields.String(validate=ma.validate.Regexp(r"^[1-9][0-9]{0,9}$"))
    owner = ma.fields.String(validate=ma.validate.Regexp(r"^(none|[1-9][0-9]{0,9})$"))
    sprint = ma.fields.String(validate=ma.validate.Regexp(r"^(none|[1-9][0-9]{0,9})$"))
    release = ma.fields.String(validate=ma.validate.Regexp(r"^(none|[1-9][0-9]{0,9})$"))
    language = ma.fields.String(validate=ma.validate.Length(max=8))
    limit = ma.fields.Integer(validate=ma.validate.Range(1, 100), load_default=100)
    cursor = ma.fields.String(validate=ma.validate.Length(max=200))


class Paging(Base):
    limit = ma.fields.Integer(validate=ma.validate.Range(1, 100), load_default=50)
    cursor = ma.fields.String(validate=ma.validate.Length(max=200))


class BrickMove(Base):
    """A move on the board: the column, and where in it (a position, or next to a card)."""

    stage_id = _id(required=True)
    position = _id(metadata={"description": "1 = top of the column; absent: the bottom"})
    after = _id(metadata={"description": "Put it just after this brick number"})
    before = _id(metadata={"description": "Put it just before this brick number"})
    override_reason = ma.fields.String(
        validate=ma.validate.Length(max=1000),
        metadata={"description": "A manager's reason to enter a done column unfinished"},
    )


class BrickReorder(Base):
    """A place in the backlog's priority order: a position, or next to another brick."""

    position = _id()
    after = _id()
    before = _id()


# -- Academies, members, stages, learning paths -------------------------------------------------


def _dt(**kwargs: Any) -> ma.fields.AwareDateTime:
    return ma.fields.AwareDateTime(format="iso", **kwargs)


class Academy(Base):
    slug = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    key_prefix = ma.fields.String(required=True)
    description = ma.fields.String(required=True)
    default_locale = ma.fields.String(required=True)
    role = ma.fields.String(required=True, metadata={"description": "The token's role in it"})


class AcademyPage(Page):
    items = ma.fields.List(ma.fields.Nested(Academy), required=True)


class Member(Base):
    user_id = ma.fields.Integer(required=True)
    display_name = ma.fields.String(required=True)
    role = ma.fields.String(required=True)
    service_account = ma.fields.Boolean(required=True)


class MemberPage(Page):
    items = ma.fields.List(ma.fields.Nested(Member), required=True)


class Stage(Base):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    position = ma.fields.Integer(required=True)
    category = ma.fields.String(required=True)
    wip_limit = ma.fields.Integer(required=True, allow_none=True)
    wip_policy = ma.fields.String(required=True)


class StagePage(Page):
    items = ma.fields.List(ma.fields.Nested(Stage), required=True)


class PathFields(Base):
    name = ma.fields.String(validate=ma.validate.Length(max=120))
    description = ma.fields.String(validate=ma.validate.Length(max=5000))
    colour = ma.fields.String(validate=ma.validate.Length(max=7))
    target_population = ma.fields.String(validate=ma.validate.Length(max=255))


class PathCreate(PathFields):
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=120))


class Path(PathFields):
    id = ma.fields.Integer(required=True)
    position = ma.fields.Integer(required=True)
    created_at = _dt(required=True)


class PathPage(Page):
    items = ma.fields.List(ma.fields.Nested(Path), required=True)


# -- Sprints, releases, release notes -----------------------------------------------------------


class Sprint(Base):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    goal = ma.fields.String(required=True)
    state = ma.fields.String(required=True)
    start_date = ma.fields.Date(required=True, allow_none=True)
    end_date = ma.fields.Date(required=True, allow_none=True)
    capacity_points = ma.fields.Integer(required=True, allow_none=True)
    started_at = _dt(required=True, allow_none=True)
    closed_at = _dt(required=True, allow_none=True)


class SprintPage(Page):
    items = ma.fields.List(ma.fields.Nested(Sprint), required=True)


class SprintPlan(Base):
    """Bricks (numbers) joining the sprint, or leaving it; a started sprint needs a reason."""

    add = ma.fields.List(_id(), validate=ma.validate.Length(max=500), load_default=list)
    remove = ma.fields.List(_id(), validate=ma.validate.Length(max=500), load_default=list)
    reason = ma.fields.String(validate=ma.validate.Length(max=1000), load_default="")


class SprintClose(Base):
    """Where each unfinished brick goes: {number: a planned sprint's id, or null (backlog)}."""

    destinations = ma.fields.Dict(
        keys=ma.fields.String(validate=ma.validate.Regexp(r"^[1-9][0-9]{0,9}$")),
        values=_id(allow_none=True),
        load_default=dict,
    )


class Release(Base):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    goal = ma.fields.String(required=True)
    state = ma.fields.String(required=True)
    target_date = ma.fields.Date(required=True, allow_none=True)
    released_at = _dt(required=True, allow_none=True)
    override_reason = ma.fields.String(required=True)


class ReleasePage(Page):
    items = ma.fields.List(ma.fields.Nested(Release), required=True)


class ReleaseDecision(Base):
    outcome = ma.fields.String(
        required=True, validate=ma.validate.OneOf(["go", "go_with_reserves", "no_go"])
    )
    reserves = ma.fields.String(validate=ma.validate.Length(max=5000), load_default="")
    comment = ma.fields.String(validate=ma.validate.Length(max=5000), load_default="")


class ReleaseRelease(Base):
    """Mark released: an override's reason when the gate did not pass; where unfinished bricks
    go ({number: a release id, null for none, or "keep"}) with a reason to keep any."""

    override_reason = ma.fields.String(validate=ma.validate.Length(max=2000), load_default="")
    destinations = ma.fields.Dict(
        keys=ma.fields.String(validate=ma.validate.Regexp(r"^[1-9][0-9]{0,9}$")),
        values=ma.fields.Raw(allow_none=True),
        load_default=dict,
    )
    unfinished_reason = ma.fields.String(validate=ma.validate.Length(max=2000), load_default="")


class Notes(Base):
    release_id = ma.fields.Integer(required=True)
    release_name = ma.fields.String(required=True)
    body = ma.fields.String(required=True, metadata={"description": "Markdown, as published"})
    published_at = _dt(required=True)


class NotesPage(Page):
    items = ma.fields.List(ma.fields.Nested(Notes), required=True)


# -- Feedback rounds, results (aggregates), items ------------------------------------------------


class Round(Base):
    id = ma.fields.Integer(required=True)
    release_id = ma.fields.Integer(required=True)
    title = ma.fields.String(required=True)
    state = ma.fields.String(required=True)
    anonymous = ma.fields.Boolean(required=True)
    opens_at = _dt(required=True, allow_none=True)
    closes_at = _dt(required=True, allow_none=True)
    opened_at = _dt(required=True, allow_none=True)
    closed_at = _dt(required=True, allow_none=True)
    invited = ma.fields.Integer(required=True)
    completed = ma.fields.Integer(required=True)


class RoundPage(Page):
    items = ma.fields.List(ma.fields.Nested(Round), required=True)


class Figures(Base):
    n = ma.fields.Integer(required=True)
    indicative = ma.fields.Boolean(required=True)
    mean = ma.fields.Float(required=True, allow_none=True)
    csat = ma.fields.Float(required=True, allow_none=True)
    nps = ma.fields.Float(required=True, allow_none=True)
    yes_share = ma.fields.Float(required=True, allow_none=True)
    counts = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer(), required=True)


class BrickFigures(Base):
    brick_number = ma.fields.Integer(required=True)
    figures = ma.fields.Nested(Figures, required=True)


class QuestionResult(Base):
    question_id = ma.fields.Integer(required=True)
    prompt = ma.fields.String(required=True)
    kind = ma.fields.String(required=True)
    per_brick = ma.fields.Boolean(required=True)
    overall = ma.fields.Nested(Figures, required=True)
    bricks = ma.fields.List(ma.fields.Nested(BrickFigures), required=True)


class Segment(Base):
    value = ma.fields.String(required=True)
    size = ma.fields.Integer(required=True, allow_none=True)
    hidden = ma.fields.Boolean(required=True)
    figures = ma.fields.Dict(
        keys=ma.fields.String(), values=ma.fields.Nested(Figures), required=True
    )


class Gate(Base):
    passed = ma.fields.Boolean(required=True)
    frozen = ma.fields.Boolean(required=True, metadata={"description": "Evaluated at closing"})


class RoundResults(Base):
    """Aggregates only (no answer, no respondent), with the pages' anonymity rules."""

    round_id = ma.fields.Integer(required=True)
    invited = ma.fields.Integer(required=True)
    completed = ma.fields.Integer(required=True)
    questions = ma.fields.List(ma.fields.Nested(QuestionResult), required=True)
    items_by_status = ma.fields.Dict(
        keys=ma.fields.String(), values=ma.fields.Integer(), required=True
    )
    dimension = ma.fields.String(required=True, allow_none=True)
    segments = ma.fields.List(ma.fields.Nested(Segment), required=True)
    gate = ma.fields.Nested(Gate, required=True, allow_none=True)


class ResultsQuery(Base):
    dimension = ma.fields.String(
        validate=ma.validate.OneOf(["business_unit", "job_family", "site", "language"])
    )


class Item(Base):
    """A feedback item: never its reporter; in an anonymous round, no date either."""

    id = ma.fields.Integer(required=True)
    round_id = ma.fields.Integer(required=True)
    brick_number = ma.fields.Integer(required=True, allow_none=True)
    location = ma.fields.String(required=True)
    kind = ma.fields.String(required=True)
    severity = ma.fields.String(required=True)
    title = ma.fields.String(required=True)
    description = ma.fields.String(required=True)
    status = ma.fields.String(required=True)
    duplicate_of_id = ma.fields.Integer(required=True, allow_none=True)
    created_at = _dt(required=True, allow_none=True)


class ItemPage(Page):
    items = ma.fields.List(ma.fields.Nested(Item), required=True)


class ItemTriage(Base):
    status = ma.fields.String(
        required=True,
        validate=ma.validate.OneOf(["new", "accepted", "planned", "done", "declined", "duplicate"]),
    )
    duplicate_of = _id(allow_none=True)


# -- Training needs ----------------------------------------------------------------------------


class NeedCreate(Base):
    title = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=200))
    business_unit = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=120))
    description = ma.fields.String(validate=ma.validate.Length(max=5000))
    requester_name = ma.fields.String(validate=ma.validate.Length(max=120))
    population = ma.fields.String(validate=ma.validate.Length(max=255))
    headcount = _int(allow_none=True)
    criticality = ma.fields.Integer(strict=True, validate=ma.validate.Range(1, 5))
    urgency = ma.fields.Integer(strict=True, validate=ma.validate.Range(1, 5))


class Need(Base):
    id = ma.fields.Integer(required=True)
    title = ma.fields.String(required=True)
    description = ma.fields.String(required=True)
    business_unit = ma.fields.String(required=True)
    requester_name = ma.fields.String(required=True)
    population = ma.fields.String(required=True)
    headcount = ma.fields.Integer(required=True, allow_none=True)
    criticality = ma.fields.Integer(required=True)
    urgency = ma.fields.Integer(required=True)
    status = ma.fields.String(required=True)
    decline_reason = ma.fields.String(required=True)
    score = ma.fields.Float(required=True)
    brick_numbers = ma.fields.List(ma.fields.Integer(), required=True)
    created_at = _dt(required=True)
    updated_at = _dt(required=True)


class NeedPage(Page):
    items = ma.fields.List(ma.fields.Nested(Need), required=True)


class NeedQuery(Paging):
    status = ma.fields.String(
        validate=ma.validate.OneOf(["new", "accepted", "planned", "delivered", "declined"])
    )


class NeedTriage(Base):
    status = ma.fields.String(
        required=True,
        validate=ma.validate.OneOf(["new", "accepted", "planned", "delivered", "declined"]),
    )
    reason = ma.fields.String(validate=ma.validate.Length(max=2000), load_default="")
