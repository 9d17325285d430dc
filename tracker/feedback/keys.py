"""Keys that let a person find their own answers without being named.

(Personal links are random tokens, only hashed: tracker/feedback/links.py.)

- Anonymity (see models.py): in an anonymous round no Response or FeedbackItem column refers to
  the person or the invitation; their `lookup_key` is an HMAC under the secret key (a different
  message for items than for responses, so an item cannot be matched to a response either), and
  their timestamps are kept to the day (`stamp`), so that the precise completion time on the
  invitation cannot be matched against them.
"""

from __future__ import annotations

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


def _day(moment: dt.datetime) -> dt.datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def stamp(round_: FeedbackRound, now: dt.datetime) -> dt.datetime:
    """The time written on a response or item: to the day in anonymous rounds."""
    return _day(now) if round_.anonymous else now
