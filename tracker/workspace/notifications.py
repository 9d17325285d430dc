"""Reading notifications (the bell, the list, marking read), the digest setting, the e-mails."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from tracker.academies.models import Academy
from tracker.auth.models import User
from tracker.errors import NotFound
from tracker.mail.services import queue_mail
from tracker.workspace.labels import KIND_LABELS
from tracker.workspace.models import (
    DigestFrequency,
    Notification,
    NotificationSetting,
)

LIST_SIZE = 50
DAY = dt.timedelta(days=1)


def unread_count(session: Session, academy: Academy, user: User) -> int:
    return int(
        session.scalar(
            select(func.count(Notification.id)).where(
                Notification.user_id == user.id,
                Notification.academy_id == academy.id,
                Notification.read_at.is_(None),
            )
        )
        or 0
    )


def latest(session: Session, academy: Academy, user: User) -> list[Notification]:
    return list(
        session.scalars(
            select(Notification)
            .where(Notification.user_id == user.id, Notification.academy_id == academy.id)
            .order_by(Notification.created_at.desc(), Notification.id.desc())
            .limit(LIST_SIZE)
        )
    )


def mark_read(
    session: Session, academy: Academy, user: User, *, now: dt.datetime, notification_id: int | None
) -> int:
    """Mark one notification (or all of them here) read; how many changed."""
    statement = update(Notification).where(
        Notification.user_id == user.id,
        Notification.academy_id == academy.id,
        Notification.read_at.is_(None),
    )
    if notification_id is not None:
        statement = statement.where(Notification.id == notification_id)
    changed = session.execute(statement.values(read_at=now)).rowcount  # type: ignore[attr-defined]
    session.flush()
    return int(changed or 0)


def get_own(session: Session, academy: Academy, user: User, notification_id: int) -> Notification:
    """One of the person's notifications here (anyone else's is not found)."""
    found = session.scalar(
        select(Notification).where(
            Notification.id == notification_id,
            Notification.user_id == user.id,
            Notification.academy_id == academy.id,
        )
    )
    if found is None:
        raise NotFound(_("No such notification."))
    return found


def frequency_of(session: Session, user: User) -> DigestFrequency:
    setting = session.get(NotificationSetting, user.id)
    return setting.frequency if setting else DigestFrequency.DAILY


def set_frequency(session: Session, user: User, frequency: DigestFrequency) -> None:
    setting = session.get(NotificationSetting, user.id)
    if setting is None:
        session.add(NotificationSetting(user_id=user.id, frequency=frequency))
    else:
        setting.frequency = frequency
    session.flush()


def queue_digests(session: Session, *, base_url: str, now: dt.datetime) -> int:
    """Queue one e-mail per person with notifications not yet e-mailed, when their setting
    says it is time (immediately: now; daily: a day after the last digest; never: they are
    passed over). Returns how many e-mails were queued."""
    rows = session.execute(
        select(Notification, User, NotificationSetting, Academy)
        .join(User, User.id == Notification.user_id)
        .join(Academy, Academy.id == Notification.academy_id)
        .outerjoin(NotificationSetting, NotificationSetting.user_id == User.id)
        .where(Notification.emailed_at.is_(None))
        .order_by(User.id, Notification.created_at, Notification.id)
    ).all()
    per_person: dict[int, list[tuple[Notification, Academy]]] = defaultdict(list)
    people: dict[int, tuple[User, NotificationSetting | None]] = {}
    for notification, person, its_setting, academy in rows:
        per_person[person.id].append((notification, academy))
        people[person.id] = (person, its_setting)
    queued = 0
    for user_id, items in per_person.items():
        user, setting = people[user_id]
        frequency = setting.frequency if setting else DigestFrequency.DAILY
        if user.is_active_account is False or frequency == DigestFrequency.NEVER:
            _emailed(items, now)
            continue
        last = setting.last_digest_at if setting else None
        if frequency == DigestFrequency.DAILY and last is not None and now - last < DAY:
            continue
        with force_locale(user.locale or "fr"):
            queue_mail(
                session,
                to=user.email,
                template="mail/notification_digest",
                context={
                    "name": user.display_name,
                    "items": items,
                    "base_url": base_url,
                    "KIND_LABELS": KIND_LABELS,
                },
                category="notification_digest",
            )
        _emailed(items, now)
        if setting is None:
            session.add(NotificationSetting(user_id=user.id, last_digest_at=now))
        else:
            setting.last_digest_at = now
        queued += 1
    session.flush()
    return queued


def _emailed(items: list[tuple[Notification, Academy]], now: dt.datetime) -> None:
    for notification, _academy in items:
        notification.emailed_at = now
