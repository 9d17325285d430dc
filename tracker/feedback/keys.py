"""Keys that let a person find their own answers without being named.

(Personal links are random tokens, only hashed: tracker/feedback/links.py.)

- Anonymity (see models.py): in an anonymous round no Response or FeedbackItem column refers to
  the person or the invitation. Their `lookup_key` is an HMAC of (round, person) under the
  round's key, itself an HMAC of the round's random `draft_secret` (in the database) under the
  application's secret key (in the instance folder): neither a copy of the database nor the
  instance folder alone lets anyone recompute it while the round is open. Items use another
  message than responses, so that an item cannot be matched to a response either. When an
  anonymous round closes, `draft_secret` is destroyed and the stored keys are replaced by random
  ones (anonymity.forget_respondents): with both the database and the instance folder, nobody
  can recompute a key any more.
- Times: in an anonymous round, responses and items all carry the round's day (`stamp`), and
  the invitation keeps completion to the day (`completion_stamp`): nothing on the response side
  orders or times it against people.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Sequence

from tracker.feedback.models import FeedbackRound, RoundState


def _hmac(key: str | bytes, message: str) -> bytes:
    raw = key.encode() if isinstance(key, str) else key
    return hmac.new(raw, message.encode(), hashlib.sha256).digest()


def forgotten(round_: FeedbackRound) -> bool:
    """An anonymous round that has closed: nothing links its answers to people any more."""
    return round_.anonymous and round_.state == RoundState.CLOSED and not round_.draft_secret


def round_key(secret_key: str, round_: FeedbackRound) -> bytes | None:
    """The key of a round's draft keys; None once an anonymous round has closed (forgotten)."""
    if round_.draft_secret:
        return _hmac(secret_key, f"round-key:{round_.id}:{round_.draft_secret}")
    if forgotten(round_):
        return None
    # A round opened before rounds had their own secret: the application's key, as then.
    return secret_key.encode()


def lookup_key(secret_key: str, round_: FeedbackRound, user_id: int) -> str | None:
    """Finds a person's own response in a round, without storing who they are (None: no longer
    possible, the round was anonymous and has closed)."""
    key = round_key(secret_key, round_)
    return None if key is None else _hmac(key, f"{round_.id}:{user_id}").hex()


def item_lookup_key(secret_key: str, round_: FeedbackRound, user_id: int) -> str | None:
    """Finds a person's own feedback items; differs from their response's key on purpose."""
    key = round_key(secret_key, round_)
    return None if key is None else _hmac(key, f"item:{round_.id}:{user_id}").hex()


def old_lookup_keys(
    old_keys: Sequence[str], round_: FeedbackRound, user_id: int, *, item: bool = False
) -> list[str]:
    """The person's response (or item) keys under the secret keys being rotated out: what they
    saved before the rotation is still theirs until those keys are removed."""
    make = item_lookup_key if item else lookup_key
    return [key for old in old_keys if (key := make(old, round_, user_id)) is not None]


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
