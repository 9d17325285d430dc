"""Imports every model so that Base.metadata is complete (for Alembic and the tests)."""

from tracker.academies.models import Academy, AcademyInvitation, MemberEvent, Membership, Stage
from tracker.attachments.models import Attachment, AttachmentBlob
from tracker.auth.models import LoginThrottle, PasswordReset, User, UserSession
from tracker.backlog.models import (
    Activity,
    Brick,
    ChecklistItem,
    ChecklistTemplate,
    Comment,
    LearningObjective,
    LearningPath,
    TrainingNeed,
)
from tracker.backlog.needs_models import NeedEvent
from tracker.db import Base
from tracker.feedback.models import (
    Answer,
    FeedbackItem,
    FeedbackRound,
    GateSnapshot,
    Question,
    Response,
    RoundInvitation,
    Segment,
    TesterProfile,
)
from tracker.feedback.triage_models import FeedbackItemEvent
from tracker.mail.models import MailMessage
from tracker.releases.models import Decision, FeedToken, Release, ReleaseEvent, ReleaseNotes
from tracker.search import indexing  # noqa: F401 - keeps the search documents in step
from tracker.search.models import SearchDocument
from tracker.sprints.models import Sprint, SprintBaselineItem, SprintResult, SprintScopeChange
from tracker.submissions import FormSubmission
from tracker.workspace import notify  # noqa: F401 - notifications made from the flush
from tracker.workspace.models import Notification, NotificationSetting

__all__ = [
    "Academy",
    "AcademyInvitation",
    "Activity",
    "Answer",
    "Attachment",
    "AttachmentBlob",
    "Base",
    "Brick",
    "ChecklistItem",
    "ChecklistTemplate",
    "Comment",
    "Decision",
    "FeedToken",
    "FeedbackItem",
    "FeedbackItemEvent",
    "FeedbackRound",
    "FormSubmission",
    "GateSnapshot",
    "LearningObjective",
    "LearningPath",
    "LoginThrottle",
    "MailMessage",
    "MemberEvent",
    "Membership",
    "NeedEvent",
    "Notification",
    "NotificationSetting",
    "PasswordReset",
    "Question",
    "Release",
    "ReleaseEvent",
    "ReleaseNotes",
    "Response",
    "RoundInvitation",
    "SearchDocument",
    "Segment",
    "Sprint",
    "SprintBaselineItem",
    "SprintResult",
    "SprintScopeChange",
    "Stage",
    "TesterProfile",
    "TrainingNeed",
    "User",
    "UserSession",
]
