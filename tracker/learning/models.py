"""Learning data: a brick's identifiers on the learning platforms, an academy's settings for its
LRS and LMS exports, and the learner facts (pseudonymous: a keyed hash, never a name)."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.expression import false, true

from tracker.db import AcademyRow, Base, UTCDateTime, enum_column, utcnow


class ActivityKind(enum.StrEnum):
    LMS_COURSE = "lms_course"  # the LMS's course or module identifier (exports)
    XAPI_IRI = "xapi_iri"  # an xAPI activity IRI (statements' object or context activities)
    # The brick's pre-assessment (the test taken before it): its facts are stored with the
    # phase PRE and count only as the "before" score of the pre/post figures.
    LMS_PRE_COURSE = "lms_pre_course"
    XAPI_PRE_IRI = "xapi_pre_iri"


PRE_KINDS = {ActivityKind.LMS_PRE_COURSE, ActivityKind.XAPI_PRE_IRI}
# An identifier names one activity of the academy, whichever its phase: these kinds share it.
SAME_PLATFORM = {
    ActivityKind.LMS_COURSE: ActivityKind.LMS_PRE_COURSE,
    ActivityKind.LMS_PRE_COURSE: ActivityKind.LMS_COURSE,
    ActivityKind.XAPI_IRI: ActivityKind.XAPI_PRE_IRI,
    ActivityKind.XAPI_PRE_IRI: ActivityKind.XAPI_IRI,
}


class LearningActivity(AcademyRow, Base):
    """One identifier of a brick on a learning platform; unique in its academy so that a fact
    belongs to one brick."""

    __tablename__ = "learning_activity"

    brick_id: Mapped[int] = mapped_column(ForeignKey("brick.id", ondelete="CASCADE"))
    kind: Mapped[ActivityKind] = mapped_column(enum_column(ActivityKind))
    identifier: Mapped[str] = mapped_column(String(500))

    __table_args__ = (
        UniqueConstraint("academy_id", "kind", "identifier"),
        Index("ix_learning_activity_brick_id", "brick_id"),
    )


class LrsAuth(enum.StrEnum):
    BASIC = "basic"  # HTTP basic: a key (username) and a secret (password)
    TOKEN = "token"  # noqa: S105 (a kind, not a secret). Authorization: Bearer <token>


class LearningSettings(AcademyRow, Base):
    """An academy's learning data: its LRS, where a pull stopped, its LMS-export columns.

    The LRS secret is written sealed, never shown back (the form says only whether one is set). The
    key of the learner pseudonyms is not here: it comes from the configuration."""

    __tablename__ = "learning_settings"

    lrs_endpoint: Mapped[str] = mapped_column(String(500), default="")
    lrs_auth: Mapped[LrsAuth] = mapped_column(enum_column(LrsAuth), default=LrsAuth.BASIC)
    lrs_username: Mapped[str] = mapped_column(String(200), default="")
    # Sealed (tracker/learning/services.py seal_secret): a 1,000-character secret takes ~1,430.
    lrs_secret: Mapped[str] = mapped_column(String(2000), default="")
    # The context extension (an IRI) whose value is the learner's business unit.
    business_unit_extension: Mapped[str] = mapped_column(String(500), default="")
    # Where the last complete pull reached (the greatest `stored` seen), and, while a pull is
    # under way or was cut, the `more` link to go on from and the greatest `stored` so far.
    cursor_stored: Mapped[str] = mapped_column(String(40), default="")
    pending_more: Mapped[str] = mapped_column(String(2000), default="")
    pending_stored: Mapped[str] = mapped_column(String(40), default="")
    last_pull_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_pull_error: Mapped[str] = mapped_column(String(500), default="")
    # LMS exports: the file's column for each field (remembered after an import).
    column_mapping: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Named mode (off by default): learners' names and e-mails are kept beside their pseudonym
    # (learner_identity) for `retention_days`, then erased (flask erase-learner-details).
    named_mode: Mapped[bool] = mapped_column(Boolean, default=False)
    retention_days: Mapped[int] = mapped_column(Integer, default=180)
    # The worker opens each released release's evaluations at J+0, J+30 and J+90 (on by
    # default; off: the managers create them by hand).
    auto_evaluations: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The academy's thresholds (percentages, 0-100; None: not checked): a brick whose figures
    # fall under one proposes an improvement brick (tracker/learning/improvements.py).
    min_completion_rate: Mapped[int | None] = mapped_column(Integer)
    min_satisfaction: Mapped[int | None] = mapped_column(Integer)  # the J+0 reaction's CSAT
    min_objective_share: Mapped[int | None] = mapped_column(Integer)  # learners reaching each

    __table_args__ = (UniqueConstraint("academy_id"),)


class FactVerb(enum.StrEnum):
    ENROLLED = "enrolled"  # from an LMS export (a row is an enrolment)
    LAUNCHED = "launched"
    EXPERIENCED = "experienced"
    COMPLETED = "completed"
    PASSED = "passed"
    FAILED = "failed"
    SCORED = "scored"


class FactPhase(enum.StrEnum):
    MAIN = ""  # the brick itself (its post-assessment's scores are its scores)
    PRE = "pre"  # the brick's pre-assessment: a "before" score, never a completion of the brick


class FactSource(enum.StrEnum):
    XAPI = "xapi"
    LMS_EXPORT = "lms_export"


class LearnerFact(AcademyRow, Base):
    """One thing a learner did on a brick. `learner_key` is an HMAC-SHA256 of the platform's
    learner identifier under the configured key (TRACKER_LEARNER_KEY): the same person gives
    the same key, and the database alone cannot give the person back."""

    __tablename__ = "learner_fact"

    brick_id: Mapped[int] = mapped_column(ForeignKey("brick.id", ondelete="CASCADE"))
    source: Mapped[FactSource] = mapped_column(enum_column(FactSource))
    # The statement id (xAPI), or a key made of the export's learner, course and verb.
    source_id: Mapped[str] = mapped_column(String(100))
    learner_key: Mapped[str] = mapped_column(String(64))
    business_unit: Mapped[str] = mapped_column(String(120), default="")
    verb: Mapped[FactVerb] = mapped_column(enum_column(FactVerb))
    occurred_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    score: Mapped[float | None] = mapped_column(Float)  # scaled, 0..1
    seconds: Mapped[int | None] = mapped_column(Integer)  # time spent
    completed: Mapped[bool] = mapped_column(Boolean, default=False)
    # "" (the brick) or "pre" (its pre-assessment: FactPhase).
    phase: Mapped[str] = mapped_column(String(8), default="", server_default=text("''"))

    __table_args__ = (
        UniqueConstraint("academy_id", "source", "source_id"),
        Index("ix_learner_fact_brick_learner", "brick_id", "learner_key"),
    )


class ObjectiveEvidence(Base):
    """What shows a learning objective reached: a score threshold of the brick's assessment
    (the learner's best score at or above it), a survey question (the share of yes to it in the
    release's evaluations of that kind: SURVEY_EVIDENCE), or both."""

    __tablename__ = "objective_evidence"

    objective_id: Mapped[int] = mapped_column(
        ForeignKey("learning_objective.id", ondelete="CASCADE"), primary_key=True
    )
    min_score: Mapped[float | None] = mapped_column(Float)  # scaled, 0..1
    survey: Mapped[str] = mapped_column(String(40), default="")  # a SURVEY_EVIDENCE key


# The survey questions an objective can rest on: (evaluation kind, question measure).
SURVEY_EVIDENCE = {
    "reaction:intention": ("reaction", "intention"),
    "transfer_30:applied": ("transfer_30", "applied"),
    "transfer_90:applied": ("transfer_90", "applied"),
}


class EvaluationKind(enum.StrEnum):
    REACTION = "reaction"  # J+0, Kirkpatrick level 1: satisfaction, usefulness, intention
    TRANSFER_30 = "transfer_30"  # J+30, level 3: applied at work?
    TRANSFER_90 = "transfer_90"  # J+90


class EvaluationQuestionKind(enum.StrEnum):
    """The beta rounds' question kinds an evaluation uses (tracker/feedback: same scales)."""

    RATING = "rating"  # 1-5
    NPS = "nps"  # 0-10
    YES_NO = "yes_no"
    TEXT = "text"


class Evaluation(AcademyRow, Base):
    """A survey after a release, answered through its public link (a random token, stored only
    as its SHA-256). Anonymous as the anonymous beta rounds: no answer names or times anyone."""

    __tablename__ = "evaluation"

    release_id: Mapped[int] = mapped_column(ForeignKey("release.id", ondelete="CASCADE"))
    kind: Mapped[EvaluationKind] = mapped_column(enum_column(EvaluationKind))
    link_hash: Mapped[str] = mapped_column(String(64), unique=True)
    opens_on: Mapped[dt.date] = mapped_column(Date)  # the day every answer carries
    closes_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Named mode: when the invitation was queued to the completers, and the one reminder.
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    reminded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    # One evaluation of each kind per release (the worker and the managers both create them).
    __table_args__ = (
        Index("ix_evaluation_release_id", "release_id"),
        UniqueConstraint("release_id", "kind"),
    )


class EvaluationQuestion(Base):
    __tablename__ = "evaluation_question"

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluation.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[EvaluationQuestionKind] = mapped_column(enum_column(EvaluationQuestionKind))
    prompt: Mapped[str] = mapped_column(String(500))
    # What it measures, for the comparisons: csat, nps, intention, applied ("" for the others).
    measure: Mapped[str] = mapped_column(String(20), default="")


class EvaluationAnswer(Base):
    """One answer; `submission` is random per submitted form (groups the answers of one form,
    names nobody)."""

    __tablename__ = "evaluation_answer"

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluation.id", ondelete="CASCADE"))
    question_id: Mapped[int] = mapped_column(
        ForeignKey("evaluation_question.id", ondelete="CASCADE")
    )
    submission: Mapped[str] = mapped_column(String(32))
    value_int: Mapped[int | None] = mapped_column(Integer)
    value_text: Mapped[str | None] = mapped_column(String(2000))

    __table_args__ = (Index("ix_evaluation_answer_question_id", "question_id"),)


class LearnerIdentity(AcademyRow, Base):
    """Named mode only: who a pseudonym is (the name and e-mail the learning data gave), kept
    until `recorded_at` + the academy's retention, then erased. Never written in the default
    (pseudonymous) mode."""

    __tablename__ = "learner_identity"

    learner_key: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(320), default="")
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("academy_id", "learner_key"),)


class EvaluationLink(Base):
    """Another link to an evaluation (only its SHA-256 kept): made by the mail sender for one
    e-mail when it leaves (single use: `used` is set, in the transaction of the answers, by
    an update that only an unused link passes), or a public link a manager asked for (as many
    answers as people who have it). Answers do not record which link they came through."""

    __tablename__ = "evaluation_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluation.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The e-mailed links take one form of answers (the links made before this took any number).
    # `used` is a flag, not a time: a time would line the links up with the answers' order.
    single_use: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    used: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
