"""Imports every model so that Base.metadata is complete (for Alembic and the tests)."""

from tracker.academies.models import Academy, AcademyInvitation, Membership, Stage
from tracker.auth.models import LoginFailure, User, UserSession
from tracker.db import Base
from tracker.mail.models import MailMessage

__all__ = [
    "Academy",
    "AcademyInvitation",
    "Base",
    "LoginFailure",
    "MailMessage",
    "Membership",
    "Stage",
    "User",
    "UserSession",
]
