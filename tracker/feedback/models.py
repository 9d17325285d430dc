"""Beta-test feedback rounds: the tester panel, rounds, questions, invitations, responses,
feedback items and the gate snapshot.

Anonymity: in an anonymous round, `Response.respondent_id` and `FeedbackItem.reporter_id` stay
NULL and no column of Response or FeedbackItem refers to the invitation; completion is tracked
on the invitation only, to the day. A tester finds their own anonymous draft again through
`lookup_key`, an HMAC of (round, person) under a key derived from the round's `draft_secret` and
the application's secret key (tracker/feedback/keys.py). When an anonymous round closes, its
secret is destroyed and its responses are rewritten with new ids in a random order and random
keys (tracker/feedback/anonymity.py): from then on nothing stored relinks an answer to a person.
"""

from __future__ import annotations

import datetime as dt
import enum
import secrets
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.db import AcademyRow, Base, UTCDateTime, enum_column, utcnow

if TYPE_CHECKING:
    from tracker.auth.models import User
    from tracker.releases.models import Release


class RoundState(enum.StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"


class QuestionKind(enum.StrEnum):
    RATING = "rating"  # 1-5
    NPS = "nps"  # 0-10
    SINGLE_CHOICE = "single_choice"
    MULTI_CHOICE = "multi_choice"
    YES_NO = "yes_no"
    TEXT = "text"


class GateMetric(enum.StrEnum):
    """Which figure a question measures: CSAT and NPS feed gate criteria; the intention to apply
    (a yes/no question) only predicts the J+0 reaction's, on the release page."""

    CSAT = "csat"
    NPS = "nps"
    INTENTION = "intention"


class ResponseState(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"


class ItemKind(enum.StrEnum):
    ISSUE = "issue"
    IDEA = "idea"
    PRAISE = "praise"
    QUESTION = "question"


class Severity(enum.StrEnum):
    BLOCKING = "blocking"
    MAJOR = "major"
    MINOR = "minor"
    COSMETIC = "cosmetic"


class ItemStatus(enum.StrEnum):
    NEW = "new"
    ACCEPTED = "accepted"
    PLANNED = "planned"
    DONE = "done"
    DECLINED = "declined"
    DUPLICATE = "duplicate"


class TesterProfile(AcademyRow, Base):
    """A member of the beta panel of one academy, with the attributes segments filter on."""

    __tablename__ = "tester_profile"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    business_unit: Mapped[str] = mapped_column(String(120), default="")
    job_family: Mapped[str] = mapped_column(String(120), default="")
    site: Mapped[str] = mapped_column(String(120), default="")
    language: Mapped[str] = mapped_column(String(8), default="fr")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()

    __table_args__ = (
        UniqueConstraint("academy_id", "user_id"),
        Index("ix_tester_profile_user_id", "user_id"),
    )


class Segment(AcademyRow, Base):
    """A saved filter on tester attributes: {"business_unit": [...], "site": [...], ...}."""

    __tablename__ = "segment"

    name: Mapped[str] = mapped_column(String(120))
    filters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("academy_id", "name"),)


def new_round_secret() -> str:
    return secrets.token_hex(32)


class FeedbackRound(AcademyRow, Base):
    __tablename__ = "feedback_round"

    release_id: Mapped[int] = mapped_column(ForeignKey("release.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    instructions: Mapped[str] = mapped_column(Text, default="")
    opens_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    closes_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    state: Mapped[RoundState] = mapped_column(enum_column(RoundState), default=RoundState.DRAFT)
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    # Gate criteria, copied from the academy's defaults when the round is created.
    gate_min_responses: Mapped[int] = mapped_column(Integer, default=30)
    gate_min_response_rate: Mapped[float] = mapped_column(Float, default=50.0)
    gate_min_csat: Mapped[float] = mapped_column(Float, default=75.0)
    gate_min_nps: Mapped[float] = mapped_column(Float, default=0.0)
    gate_max_blocking: Mapped[int] = mapped_column(Integer, default=0)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    opened_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Random, per round: with the application's key, derives each tester's draft key
    # (tracker/feedback/keys.py). Set to NULL when an anonymous round closes. NULL in a round
    # still open that was created before per-round secrets: the application's key alone then.
    draft_secret: Mapped[str | None] = mapped_column(String(64), default=new_round_secret)

    release: Mapped[Release] = relationship()
    questions: Mapped[list[Question]] = relationship(
        back_populates="round",
        order_by="Question.position",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    __table_args__ = (
        Index("ix_feedback_round_release_id", "release_id"),
        Index("ix_feedback_round_state_closes_at", "state", "closes_at"),
        CheckConstraint(
            "opens_at IS NULL OR closes_at IS NULL OR closes_at > opens_at", name="times_ordered"
        ),
    )


class Question(Base):
    __tablename__ = "question"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("feedback_round.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[QuestionKind] = mapped_column(enum_column(QuestionKind))
    prompt: Mapped[str] = mapped_column(String(500))
    help_text: Mapped[str] = mapped_column(String(500), default="")
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    # Asked once per brick of the release, rather than once per round.
    per_brick: Mapped[bool] = mapped_column(Boolean, default=False)
    choices: Mapped[list[str]] = mapped_column(JSON, default=list)
    gate_metric: Mapped[GateMetric | None] = mapped_column(enum_column(GateMetric))

    round: Mapped[FeedbackRound] = relationship(back_populates="questions")

    __table_args__ = (Index("ix_question_round_id", "round_id"),)


class RoundInvitation(Base):
    """A tester invited to a round; their personal links are RoundLink rows."""

    __tablename__ = "round_invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("feedback_round.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    reminded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    reminder_count: Mapped[int] = mapped_column(Integer, default=0)
    completed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
    round: Mapped[FeedbackRound] = relationship()

    __table_args__ = (
        UniqueConstraint("round_id", "user_id"),
        Index("ix_round_invitation_user_id", "user_id"),
    )


class Response(Base):
    """One response per tester per round (draft, then submitted; editable until close)."""

    __tablename__ = "response"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("feedback_round.id", ondelete="CASCADE"))
    # NULL in anonymous rounds.
    respondent_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    # HMAC of (round, person) under the round's key (keys.py): finds one's own draft; unique
    # per round, so a double-clicked submit cannot create a second response. Random once an
    # anonymous round has closed.
    lookup_key: Mapped[str] = mapped_column(String(64))
    state: Mapped[ResponseState] = mapped_column(
        enum_column(ResponseState), default=ResponseState.DRAFT
    )
    # Segment attributes at the time of answering (results per segment), copied from the
    # profile. In anonymous rounds segments smaller than 5 are never shown.
    business_unit: Mapped[str] = mapped_column(String(120), default="")
    job_family: Mapped[str] = mapped_column(String(120), default="")
    site: Mapped[str] = mapped_column(String(120), default="")
    language: Mapped[str] = mapped_column(String(8), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    answers: Mapped[list[Answer]] = relationship(
        back_populates="response", cascade="all, delete-orphan", passive_deletes=True
    )

    __table_args__ = (
        UniqueConstraint("round_id", "lookup_key"),
        Index("ix_response_round_state", "round_id", "state"),
    )


class Answer(Base):
    """One answer to one question (for one brick, if per brick).

    rating, nps: value_int; yes_no: value_int 1/0; text and single_choice: value_text;
    multi_choice: one row per chosen option (value_text), so that SQL can count them.
    """

    __tablename__ = "answer"

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("response.id", ondelete="CASCADE"))
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id", ondelete="CASCADE"))
    brick_id: Mapped[int | None] = mapped_column(ForeignKey("brick.id", ondelete="CASCADE"))
    value_int: Mapped[int | None] = mapped_column(Integer)
    value_text: Mapped[str | None] = mapped_column(Text)

    response: Mapped[Response] = relationship(back_populates="answers")

    __table_args__ = (
        Index("ix_answer_response_id", "response_id"),
        Index("ix_answer_question_brick", "question_id", "brick_id"),
    )


class FeedbackItem(Base):
    """A free report during a round, anchored to a brick and a place in it."""

    __tablename__ = "feedback_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("feedback_round.id", ondelete="CASCADE"))
    brick_id: Mapped[int | None] = mapped_column(ForeignKey("brick.id", ondelete="SET NULL"))
    # NULL in anonymous rounds. `lookup_key` (as on Response) lets the reporter edit it.
    reporter_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    lookup_key: Mapped[str] = mapped_column(String(64), default="")
    location: Mapped[str] = mapped_column(String(120), default="")
    kind: Mapped[ItemKind] = mapped_column(enum_column(ItemKind))
    severity: Mapped[Severity] = mapped_column(enum_column(Severity))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[ItemStatus] = mapped_column(enum_column(ItemStatus), default=ItemStatus.NEW)
    # The backlog brick this item was turned into (the brick page shows the item back).
    created_brick_id: Mapped[int | None] = mapped_column(
        ForeignKey("brick.id", ondelete="SET NULL")
    )
    duplicate_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("feedback_item.id", ondelete="SET NULL")
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        Index("ix_feedback_item_round_status", "round_id", "status"),
        Index("ix_feedback_item_created_brick_id", "created_brick_id"),
    )


class GateSnapshot(Base):
    """The gate evaluated when the round closed: frozen, later edits never change it.

    criteria: [{"name": "min_responses", "value": 212, "threshold": 30, "passed": true}, ...]
    """

    __tablename__ = "gate_snapshot"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(
        ForeignKey("feedback_round.id", ondelete="CASCADE"), unique=True
    )
    evaluated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    passed: Mapped[bool] = mapped_column(Boolean)
    criteria: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    invited: Mapped[int] = mapped_column(Integer, default=0)
    completed: Mapped[int] = mapped_column(Integer, default=0)


class RoundLink(Base):
    """A personal link to a round (/r/<token>): a random token, only its SHA-256 stored.

    One is created each time an invitation or reminder e-mail leaves (tracker.feedback.links),
    so an invitation may have several; sending a new invitation deletes them all.
    """

    __tablename__ = "round_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    invitation_id: Mapped[int] = mapped_column(
        ForeignKey("round_invitation.id", ondelete="CASCADE")
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_round_link_invitation_id", "invitation_id"),)
