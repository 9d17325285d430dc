"""Feedback items reported by testers while a round is open: report, list and edit their own
(triage is tracker/feedback/triage.py). In an anonymous round an item does not name its author.
"""

from __future__ import annotations

import datetime as dt
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flask_babel import format_number, ngettext
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tracker.cleaning import checked_line, one_of
from tracker.errors import DomainError, NotFound
from tracker.feedback.keys import item_lookup_key, old_lookup_keys, stamp
from tracker.feedback.models import FeedbackItem, FeedbackRound, ItemKind, RoundInvitation, Severity
from tracker.feedback.phases import RoundClosed, lock_round_for_answers
from tracker.feedback.questionnaire import TEXT_ANSWER_LENGTH, round_bricks


@dataclass(frozen=True)
class ItemInput:
    brick_id: int | None
    location: str
    kind: ItemKind | str
    severity: Severity | str
    title: str
    description: str = ""


def _clean_item(session: Session, round_: FeedbackRound, data: ItemInput) -> dict[str, Any]:
    if data.brick_id is not None and data.brick_id not in {
        b.id for b in round_bricks(session, round_)
    }:
        raise DomainError(_("Choose a brick of this release."), field="brick_id")
    kind = one_of(
        ItemKind, data.kind, field="kind", message=_("Choose what kind of feedback this is.")
    )
    severity = one_of(
        Severity, data.severity, field="severity", message=_("Choose how serious it is.")
    )
    title = checked_line(
        data.title, field="title", max_length=200, missing=_("Give it a short title.")
    )
    location = checked_line(data.location, field="location", max_length=120)
    description = data.description.strip()
    if len(description) > TEXT_ANSWER_LENGTH:
        raise DomainError(
            ngettext(
                "At most %(limit)s character.",
                "At most %(limit)s characters.",
                TEXT_ANSWER_LENGTH,
                limit=format_number(TEXT_ANSWER_LENGTH),
            ),
            field="description",
        )
    return {
        "brick_id": data.brick_id,
        "location": location,
        "kind": kind,
        "severity": severity,
        "title": title,
        "description": description,
    }


def report_item(
    session: Session,
    invitation: RoundInvitation,
    data: ItemInput,
    *,
    secret_key: str,
    now: dt.datetime,
    old_keys: Sequence[str] = (),
) -> FeedbackItem:
    """A new feedback item; the same report sent twice (a double click) is stored once."""
    round_ = invitation.round
    lock_round_for_answers(session, round_, now)
    values = _clean_item(session, round_, data)
    key = item_lookup_key(secret_key, round_, invitation.user_id)
    if key is None:  # an anonymous round closed: refused above already
        raise RoundClosed(_("This round is closed: answers are no longer accepted."))
    old = old_lookup_keys(old_keys, round_, invitation.user_id, item=True)
    if old:  # items reported before the secret key's rotation move to the new key
        session.execute(
            update(FeedbackItem)
            .where(FeedbackItem.round_id == round_.id, FeedbackItem.lookup_key.in_(old))
            .values(lookup_key=key)
            .execution_options(synchronize_session=False)
        )
    same = session.scalar(
        select(FeedbackItem)
        .where(
            FeedbackItem.round_id == round_.id,
            FeedbackItem.lookup_key == key,
            *(getattr(FeedbackItem, name) == value for name, value in values.items()),
        )
        .limit(1)
    )
    if same is not None:
        return same
    item = FeedbackItem(
        round_id=round_.id,
        reporter_id=None if round_.anonymous else invitation.user_id,
        lookup_key=key,
        created_at=stamp(round_, now),
        updated_at=stamp(round_, now),
        **values,
    )
    session.add(item)
    session.flush()
    return item


def my_items(
    session: Session,
    round_: FeedbackRound,
    user_id: int,
    *,
    secret_key: str,
    old_keys: Sequence[str] = (),
) -> list[FeedbackItem]:
    key = item_lookup_key(secret_key, round_, user_id)
    if key is None:
        return []
    keys = [key, *old_lookup_keys(old_keys, round_, user_id, item=True)]
    return list(
        session.scalars(
            select(FeedbackItem)
            .where(FeedbackItem.round_id == round_.id, FeedbackItem.lookup_key.in_(keys))
            .order_by(FeedbackItem.id)
        )
    )


def get_my_item(
    session: Session,
    round_: FeedbackRound,
    user_id: int,
    item_id: int,
    *,
    secret_key: str,
    old_keys: Sequence[str] = (),
) -> FeedbackItem:
    """One of this person's own items in this round; anybody else's is NotFound."""
    item = session.get(FeedbackItem, item_id)
    key = item_lookup_key(secret_key, round_, user_id)
    keys = [] if key is None else [key, *old_lookup_keys(old_keys, round_, user_id, item=True)]
    if (
        item is None
        or item.round_id != round_.id
        or not any(hmac.compare_digest(item.lookup_key, k) for k in keys)
    ):
        raise NotFound(_("No such feedback item."))
    return item


def update_item(
    session: Session,
    item: FeedbackItem,
    invitation: RoundInvitation,
    data: ItemInput,
    *,
    now: dt.datetime,
) -> None:
    round_ = invitation.round
    if item.round_id != round_.id:
        raise NotFound(_("No such feedback item."))
    lock_round_for_answers(session, round_, now)
    for name, value in _clean_item(session, round_, data).items():
        setattr(item, name, value)
    item.updated_at = stamp(round_, now)
    session.flush()
