"""The backlog: bricks and what hangs on them, learning paths, training needs, activity."""

from __future__ import annotations

import datetime as dt
import enum
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.sql.expression import false

from tracker.db import AcademyRow, Base, UTCDateTime, enum_column, utcnow
from tracker.history import EventMixin

if TYPE_CHECKING:
    from tracker.academies.models import Academy, Stage
    from tracker.auth.models import User
    from tracker.releases.models import Release
    from tracker.sprints.models import Sprint


class BrickFormat(enum.StrEnum):
    MOOC = "mooc"
    SPOC = "spoc"
    SERIOUS_GAME = "serious_game"
    SOCIAL_LEARNING = "social_learning"
    VIDEO = "video"
    MICRO_LEARNING = "micro_learning"
    ELEARNING_MODULE = "elearning_module"
    VIRTUAL_CLASS = "virtual_class"
    WEBINAR = "webinar"
    PODCAST = "podcast"
    FACE_TO_FACE = "face_to_face"
    BLENDED = "blended"
    DOCUMENT = "document"


class BloomLevel(enum.StrEnum):
    REMEMBER = "remember"
    UNDERSTAND = "understand"
    APPLY = "apply"
    ANALYZE = "analyze"
    EVALUATE = "evaluate"
    CREATE = "create"


class NeedStatus(enum.StrEnum):
    NEW = "new"
    ACCEPTED = "accepted"
    PLANNED = "planned"
    DELIVERED = "delivered"
    DECLINED = "declined"


class ActivityKind(enum.StrEnum):
    CREATED = "created"
    EDITED = "edited"
    MOVED = "moved"  # stage and/or rank changed on the board
    REORDERED = "reordered"  # rank changed in the backlog
    SPRINT_CHANGED = "sprint_changed"
    RELEASE_CHANGED = "release_changed"
    COMMENTED = "commented"
    CHECKLIST = "checklist"
    DELETED = "deleted"
    ATTACHED = (
        "attached"  # a file added (tracker.attachments); changes: {"attachment": [None, name]}
    )
    DETACHED = "detached"  # a file removed
    # An improvement brick proposed from the learning outcomes: on the source, changes
    # {"improvement": [None, key]}; on the new brick, {"improves": [None, key]}.
    IMPROVEMENT = "improvement"


class LearningPath(AcademyRow, Base):
    """A parcours: groups bricks (an epic) for a target population."""

    __tablename__ = "learning_path"

    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    # A hex colour (#1f77b4) from a fixed, accessible palette.
    colour: Mapped[str] = mapped_column(String(7), default="#1f4e79")
    target_population: Mapped[str] = mapped_column(String(255), default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("academy_id", "name"),)


need_brick = Table(
    "need_brick",
    Base.metadata,
    Column("need_id", ForeignKey("training_need.id", ondelete="CASCADE"), primary_key=True),
    Column("brick_id", ForeignKey("brick.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_need_brick_brick_id", "brick_id"),
)


class Brick(AcademyRow, Base):
    """A backlog item: one piece of training, from idea to release."""

    __tablename__ = "brick"

    # The number in the key (ACAD-42); allocated from academy.brick_counter, never reused.
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(500), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    format: Mapped[BrickFormat] = mapped_column(enum_column(BrickFormat))
    learner_minutes: Mapped[int | None] = mapped_column(Integer)
    estimate_points: Mapped[int | None] = mapped_column(Integer)
    # Priority order in the backlog, with gaps (see backlog.ranking).
    rank: Mapped[int] = mapped_column(BigInteger)
    stage_id: Mapped[int] = mapped_column(ForeignKey("stage.id", ondelete="RESTRICT"))
    sprint_id: Mapped[int | None] = mapped_column(ForeignKey("sprint.id", ondelete="SET NULL"))
    release_id: Mapped[int | None] = mapped_column(ForeignKey("release.id", ondelete="SET NULL"))
    learning_path_id: Mapped[int | None] = mapped_column(
        ForeignKey("learning_path.id", ondelete="SET NULL")
    )
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    # Who reviews it: a manager or designer, or a contact of the vendor building it
    # (backlog.services checks; erasing the person clears it).
    reviewer_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    vendor: Mapped[str] = mapped_column(String(120), default="")
    # The vendor building it (tracker/vendors): its members see and work on this brick only.
    vendor_id: Mapped[int | None] = mapped_column(ForeignKey("vendor.id", ondelete="RESTRICT"))
    target_audience: Mapped[str] = mapped_column(String(255), default="")
    language: Mapped[str] = mapped_column(String(8), default="fr")
    prerequisites: Mapped[str] = mapped_column(Text, default="")
    content_url: Mapped[str] = mapped_column(String(500), default="")
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When the brick entered its current stage (the board shows days in column).
    stage_entered_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Optimistic locking: every change bumps it; a save carrying an older one is refused.
    version: Mapped[int] = mapped_column(Integer, default=1)
    # The brick this one improves, proposed from its learning outcomes under the academy's
    # thresholds (tracker/learning/improvements.py).
    improves_id: Mapped[int | None] = mapped_column(ForeignKey("brick.id", ondelete="SET NULL"))

    academy: Mapped[Academy] = relationship()
    stage: Mapped[Stage] = relationship()
    sprint: Mapped[Sprint | None] = relationship()
    release: Mapped[Release | None] = relationship()
    learning_path: Mapped[LearningPath | None] = relationship()
    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])
    reviewer: Mapped[User | None] = relationship(foreign_keys=[reviewer_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    improves: Mapped[Brick | None] = relationship(
        remote_side="Brick.id", foreign_keys=[improves_id]
    )
    objectives: Mapped[list[LearningObjective]] = relationship(
        back_populates="brick",
        order_by="LearningObjective.position",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )
    checklist: Mapped[list[ChecklistItem]] = relationship(
        back_populates="brick",
        order_by="ChecklistItem.position",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )
    needs: Mapped[list[TrainingNeed]] = relationship(secondary=need_brick, back_populates="bricks")

    __mapper_args__ = {"version_id_col": version}

    __table_args__ = (
        UniqueConstraint("academy_id", "number"),
        CheckConstraint(
            "estimate_points IS NULL OR estimate_points >= 0", name="estimate_not_negative"
        ),
        CheckConstraint(
            "learner_minutes IS NULL OR learner_minutes >= 0", name="duration_not_negative"
        ),
        Index("ix_brick_academy_rank", "academy_id", "rank"),
        Index("ix_brick_stage_id", "stage_id"),
        Index("ix_brick_sprint_id", "sprint_id"),
        Index("ix_brick_vendor_id", "vendor_id"),
        Index("ix_brick_release_id", "release_id"),
        Index("ix_brick_improves_id", "improves_id"),
    )

    @property
    def key(self) -> str:
        return f"{self.academy.key_prefix}-{self.number}"

    @property
    def checklist_done(self) -> int:
        return sum(1 for item in self.checklist if item.done)

    def __repr__(self) -> str:
        return f"<Brick {self.id} #{self.number} {self.title!r}>"


class LearningObjective(Base):
    __tablename__ = "learning_objective"

    id: Mapped[int] = mapped_column(primary_key=True)
    brick_id: Mapped[int] = mapped_column(ForeignKey("brick.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    statement: Mapped[str] = mapped_column(String(500))
    bloom_level: Mapped[BloomLevel] = mapped_column(enum_column(BloomLevel))

    brick: Mapped[Brick] = relationship(back_populates="objectives")

    __table_args__ = (Index("ix_learning_objective_brick_id", "brick_id"),)


class ChecklistTemplate(AcademyRow, Base):
    """A definition-of-done item that new bricks of a format receive (per academy)."""

    __tablename__ = "checklist_template"

    format: Mapped[BrickFormat] = mapped_column(enum_column(BrickFormat))
    position: Mapped[int] = mapped_column(Integer, default=0)
    label: Mapped[str] = mapped_column(String(255))

    __table_args__ = (Index("ix_checklist_template_academy_format", "academy_id", "format"),)


class ChecklistItem(Base):
    """One item of a brick's definition of done."""

    __tablename__ = "checklist_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    brick_id: Mapped[int] = mapped_column(ForeignKey("brick.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    label: Mapped[str] = mapped_column(String(255))
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    done_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    done_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )

    brick: Mapped[Brick] = relationship(back_populates="checklist")

    __table_args__ = (Index("ix_checklist_item_brick_id", "brick_id"),)


class Comment(Base):
    __tablename__ = "comment"

    id: Mapped[int] = mapped_column(primary_key=True)
    brick_id: Mapped[int] = mapped_column(ForeignKey("brick.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    edited_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    author: Mapped[User | None] = relationship()

    __table_args__ = (Index("ix_comment_brick_id", "brick_id"),)


class Activity(EventMixin, Base):
    """An append-only event per change of a brick; charts and the audit trail derive from it.

    `changes` maps a field to [old, new] (plain JSON values: ids, strings, numbers).
    `stage_id`, `sprint_id` and `points` record the brick's state right after the event, so
    that burndown, cumulative flow and cycle time are computed from this table alone.
    """

    __tablename__ = "activity"

    academy_id: Mapped[int] = mapped_column(ForeignKey("academy.id", ondelete="CASCADE"))
    # Kept when a brick is deleted (SET NULL), so that history and charts stay whole.
    brick_id: Mapped[int | None] = mapped_column(ForeignKey("brick.id", ondelete="SET NULL"))
    brick_number: Mapped[int] = mapped_column(Integer)
    kind: Mapped[ActivityKind] = mapped_column(enum_column(ActivityKind))
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    stage_id: Mapped[int | None] = mapped_column(ForeignKey("stage.id", ondelete="SET NULL"))
    sprint_id: Mapped[int | None] = mapped_column(ForeignKey("sprint.id", ondelete="SET NULL"))
    points: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (
        Index("ix_activity_brick_id_at", "brick_id", "at"),
        Index("ix_activity_academy_at", "academy_id", "at"),
    )


class TrainingNeed(AcademyRow, Base):
    """A need for training collected from a business unit."""

    __tablename__ = "training_need"

    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    business_unit: Mapped[str] = mapped_column(String(120))
    # Who asked, in the business (free text), and the account that submitted it.
    requester_name: Mapped[str] = mapped_column(String(120), default="")
    submitted_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    population: Mapped[str] = mapped_column(String(255), default="")
    headcount: Mapped[int | None] = mapped_column(Integer)
    criticality: Mapped[int] = mapped_column(Integer, default=3)
    urgency: Mapped[int] = mapped_column(Integer, default=3)
    status: Mapped[NeedStatus] = mapped_column(enum_column(NeedStatus), default=NeedStatus.NEW)
    decline_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    submitted_by: Mapped[User | None] = relationship()
    bricks: Mapped[list[Brick]] = relationship(secondary=need_brick, back_populates="needs")

    __table_args__ = (
        CheckConstraint("criticality BETWEEN 1 AND 5", name="criticality_range"),
        CheckConstraint("urgency BETWEEN 1 AND 5", name="urgency_range"),
        CheckConstraint("headcount IS NULL OR headcount >= 0", name="headcount_not_negative"),
        Index("ix_training_need_academy_status", "academy_id", "status"),
    )


class SavedView(AcademyRow, Base):
    """A person's named backlog filters: the query string of the filtered list (only the filter
    arguments, as tracker.backlog.saved_views keeps them). Saving under a name already used
    replaces that view's filters. Private unless `shared`: then the academy's team lists it too
    (not a vendor's member)."""

    __tablename__ = "saved_view"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(80))
    query: Mapped[str] = mapped_column(String(2000))
    shared: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(lazy="raise")

    __table_args__ = (UniqueConstraint("academy_id", "user_id", "name"),)
