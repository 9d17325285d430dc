"""Keys that let a person find their own answers without being named, and the secret of
their personal link.

- Personal links: the token of an invitation is an HMAC of (round, person) under the secret
  key, and only its SHA-256 is stored. Deriving it lets a reminder carry the same link as the
  invitation (a random token could not be shown again), while the database alone still cannot
  produce a working link.
- Anonymity (see models.py): in an anonymous round no Response or FeedbackItem column refers to
  the person or the invitation; their `lookup_key` is an HMAC under the secret key (a different
  message for items than for responses, so an item cannot be matched to a response either), and
  their timestamps all carry the round's day (`stamp`), and the invitation keeps completion to
  the day (`completion_stamp`): nothing on the response side orders or times it against people.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac

from tracker.feedback.models import FeedbackRound


def _hmac(secret_key: str, message: str) -> bytes:
    return hmac.new(secret_key.encode(), message.encode(), hashlib.sha256).digest()


def lookup_key(secret_key: str, round_id: int, user_id: int) -> str:
    """Finds a person's own response in a round, without storing who they are."""
    return _hmac(secret_key, f"{round_id}:{user_id}").hex()


def item_lookup_key(secret_key: str, round_id: int, user_id: int) -> str:
    """Finds a person's own feedback items; differs from their response's key on purpose."""
    return _hmac(secret_key, f"item:{round_id}:{user_id}").hex()


def invitation_token(secret_key: str, round_id: int, user_id: int) -> str:
    """The secret part of a personal link /r/<token> (only its SHA-256 is stored)."""
    digest = _hmac(secret_key, f"round-link:{round_id}:{user_id}")
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _day(moment: dt.datetime) -> dt.datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def stamp(round_: FeedbackRound, now: dt.datetime) -> dt.datetime:
    """The time written on a response or item. In an anonymous round, the round's day (the day
    it opened) whenever it was written: neither a time nor a day that could order responses or
    match them with a person's completion."""
    if not round_.anonymous:
        return now
    return _day(round_.opened_at or round_.created_at or now)


def completion_stamp(round_: FeedbackRound, now: dt.datetime) -> dt.datetime:
    """When a person completed, as their invitation records it: to the day in anonymous rounds."""
    return _day(now) if round_.anonymous else now
