"""Imports every model so that Base.metadata is complete (for Alembic and the tests)."""

from tracker.academies.models import Academy, AcademyInvitation, MemberEvent, Membership, Stage
from tracker.api.models import ApiToken, ServiceAccount
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
from tracker.sprints.models import Sprint, SprintBaselineItem, SprintResult, SprintScopeChange
from tracker.submissions import FormSubmission
from tracker.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent

__all__ = [
    "Academy",
    "AcademyInvitation",
    "Activity",
    "Answer",
    "ApiToken",
    "Base",
    "Brick",
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
    "ObjectiveEvidence",
    "ParkedUpload",
    "PasswordReset",
    "Question",
    "Release",
    "ReleaseEvent",
    "ReleaseNotes",
    "Response",
    "RoundInvitation",
    "Segment",
    "ServiceAccount",
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
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WebhookEvent",
]
