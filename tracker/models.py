"""Imports every model so that Base.metadata is complete (for Alembic and the tests)."""

from tracker.academies.models import Academy, AcademyInvitation, MemberEvent, Membership, Stage
from tracker.api.models import ApiToken, ServiceAccount
from tracker.attachments.models import Attachment, AttachmentBlob
from tracker.auth.models import LoginThrottle, PasswordReset, SsoIdentity, User, UserSession
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
from tracker.changes import ChangeCounter
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
from tracker.imports import ParkedUpload
from tracker.learning.models import (
    Evaluation,
    EvaluationAnswer,
    EvaluationLink,
    EvaluationQuestion,
    LearnerFact,
    LearnerIdentity,
    LearningActivity,
    LearningSettings,
    ObjectiveEvidence,
)
from tracker.mail.models import MailMessage
from tracker.releases.models import Decision, FeedToken, Release, ReleaseEvent, ReleaseNotes
from tracker.search import indexing  # noqa: F401 - keeps the search documents in step
from tracker.search.models import SearchDocument
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
from tracker.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent
from tracker.workspace import notify  # noqa: F401 - notifications made from the flush
from tracker.workspace.models import Notification, NotificationSetting

__all__ = [
    "Academy",
    "AcademyInvitation",
    "Activity",
    "Answer",
    "ApiToken",
    "Attachment",
    "AttachmentBlob",
    "Base",
    "Brick",
    "BrickBudget",
    "ChangeCounter",
    "ChecklistItem",
    "ChecklistTemplate",
    "Comment",
    "Decision",
    "Evaluation",
    "EvaluationAnswer",
    "EvaluationLink",
    "EvaluationQuestion",
    "FeedToken",
    "FeedbackItem",
    "FeedbackItemEvent",
    "FeedbackRound",
    "FormSubmission",
    "GateSnapshot",
    "LearnerFact",
    "LearnerIdentity",
    "LearningActivity",
    "LearningObjective",
    "LearningPath",
    "LearningSettings",
    "LoginThrottle",
    "MailMessage",
    "MemberEvent",
    "Membership",
    "NeedEvent",
    "Notification",
    "NotificationSetting",
    "ObjectiveEvidence",
    "ParkedUpload",
    "PasswordReset",
    "Question",
    "Quote",
    "QuoteEvent",
    "Release",
    "ReleaseEvent",
    "ReleaseNotes",
    "Response",
    "RoundInvitation",
    "SearchDocument",
    "Segment",
    "ServiceAccount",
    "Specification",
    "SpecificationVersion",
    "Sprint",
    "SprintBaselineItem",
    "SprintResult",
    "SprintScopeChange",
    "SsoIdentity",
    "Stage",
    "TesterProfile",
    "TrainingNeed",
    "User",
    "UserSession",
    "Vendor",
    "VendorContact",
    "VendorSettings",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WebhookEvent",
]
