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
