"""Imports every model so that Base.metadata is complete (for Alembic and the tests)."""

from tracker.academies.models import Academy, AcademyInvitation, MemberEvent, Membership, Stage
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
from tracker.sprints.models import Sprint, SprintBaselineItem, SprintResult, SprintScopeChange
from tracker.submissions import FormSubmission
from tracker.vendors.models import (
    BrickBudget,
    Quote,
    QuoteEvent,
    Specification,
    SpecificationVersion,
    Vendor,
    VendorContact,
    VendorSettings,
)

__all__ = [
    "Academy",
    "AcademyInvitation",
    "Activity",
    "Answer",
    "Base",
    "Brick",
    "BrickBudget",
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
    "PasswordReset",
    "Question",
    "Quote",
    "QuoteEvent",
    "Release",
    "ReleaseEvent",
    "ReleaseNotes",
    "Response",
    "RoundInvitation",
    "Segment",
    "Specification",
    "SpecificationVersion",
    "Sprint",
    "SprintBaselineItem",
    "SprintResult",
    "SprintScopeChange",
    "Stage",
    "TesterProfile",
    "TrainingNeed",
    "User",
    "UserSession",
    "Vendor",
    "VendorContact",
    "VendorSettings",
]
