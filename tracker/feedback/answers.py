"""Answering a round: the invitation a tester answers through (personal link or logged in),
parsing and saving their answers (drafts, submission), and their "My rounds" list.

A double-clicked submit makes one response: the (round, lookup_key) pair is unique, the
response row is locked while its answers are replaced, and a lost insert race re-reads the
winner's row. In an anonymous round the response does not name its author
(tracker/feedback/keys.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from flask_babel import format_number, ngettext
from flask_babel import gettext as _
from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload, selectinload

from tracker.academies.models import Academy
from tracker.errors import DomainError, NotFound
from tracker.feedback import links
from tracker.feedback.keys import completion_stamp, lookup_key, old_lookup_keys, stamp
from tracker.feedback.models import (
    Answer,
    FeedbackRound,
    Question,
    QuestionKind,
    Response,
    ResponseState,
    RoundInvitation,
    RoundLink,
    RoundState,
    TesterProfile,
)
from tracker.feedback.phases import RoundClosed, lock_round_for_answers, round_phase
from tracker.feedback.questionnaire import (
    TEXT_ANSWER_LENGTH,
    Slot,
    allowed_values,
    field_name,
    round_bricks,
    slots_of,
)
from tracker.tokens import hash_token


class LinkInvalid(NotFound):
    """No usable invitation behind a personal link (the tester's pages say so in their words)."""


def find_invitation(session: Session, token: str) -> RoundInvitation:
    """The invitation of a personal link (round and person loaded), or LinkInvalid.

    The link is the credential of a panel member: someone whose account is closed, who left the
    academy or whose tester profile is deactivated since the invitation cannot use it any more.
    """
    invitation = None
    if token and len(token) <= 100:
        invitation = session.scalar(
            select(RoundInvitation)
            .join(RoundLink, RoundLink.invitation_id == RoundInvitation.id)
            .join(FeedbackRound, FeedbackRound.id == RoundInvitation.round_id)
            .where(RoundLink.token_hash == hash_token(token), links.may_use_link())
            .options(
                joinedload(RoundInvitation.user),
                joinedload(RoundInvitation.round).joinedload(FeedbackRound.release),
            )
        )
    if invitation is None:
        raise LinkInvalid(_("This link is not valid. Use the latest e-mail you received."))
    return invitation


def invitation_of(session: Session, round_: FeedbackRound, user_id: int) -> RoundInvitation | None:
    return session.scalar(
        select(RoundInvitation).where(
            RoundInvitation.round_id == round_.id, RoundInvitation.user_id == user_id
        )
    )


class AnswerErrors(DomainError):
    """Some answers are missing or wrong: {field name: message}, in the order of the form."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(_("Some answers need your attention."))
        self.errors = errors


@dataclass
class _Parsed:
    rows: list[tuple[int, int | None, int | None, str | None]] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)


def _parse_answers(
    slots: Sequence[Slot], values: Mapping[str, Sequence[str]], *, require: bool
) -> _Parsed:
    parsed = _Parsed()
    for slot in slots:
        question = slot.question
        brick_id = slot.brick.id if slot.brick else None
        raw = [v.strip() for v in values.get(slot.name, ()) if isinstance(v, str)]
        raw = [v for v in raw if v]
        if not raw:
            if require and question.required:
                parsed.errors[slot.name] = (
                    _("Choose at least one option.")
                    if question.kind == QuestionKind.MULTI_CHOICE
                    else _("Answer this question.")
                )
            continue
        allowed = allowed_values(question.kind)
        if allowed is not None:
            try:
                number = int(raw[0])
            except ValueError:
                number = None
            if len(raw) > 1 or number not in allowed:
                parsed.errors[slot.name] = _("Choose one of the options.")
                continue
            parsed.rows.append((question.id, brick_id, number, None))
        elif question.kind == QuestionKind.SINGLE_CHOICE:
            if len(raw) > 1 or raw[0] not in question.choices:
                parsed.errors[slot.name] = _("Choose one of the options.")
                continue
            parsed.rows.append((question.id, brick_id, None, raw[0]))
        elif question.kind == QuestionKind.MULTI_CHOICE:
            if any(v not in question.choices for v in raw):
                parsed.errors[slot.name] = _("Choose among the options.")
                continue
            for choice in question.choices:  # the order of the options, each once
                if choice in raw:
                    parsed.rows.append((question.id, brick_id, None, choice))
        else:  # text
            text = "\n".join(raw)
            if len(text) > TEXT_ANSWER_LENGTH:
                parsed.errors[slot.name] = ngettext(
                    "At most %(limit)s character.",
                    "At most %(limit)s characters.",
                    TEXT_ANSWER_LENGTH,
                    limit=format_number(TEXT_ANSWER_LENGTH),
                )
                continue
            parsed.rows.append((question.id, brick_id, None, text))
    return parsed


def _locked_response(session: Session, round_id: int, key: str) -> Response | None:
    return session.scalar(
        select(Response)
        .where(Response.round_id == round_id, Response.lookup_key == key)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def my_response(
    session: Session,
    round_: FeedbackRound,
    user_id: int,
    *,
    secret_key: str,
    old_keys: Sequence[str] = (),
) -> Response | None:
    """This person's response; None if they have none, or once an anonymous round has closed
    (nothing links them to it any more, tracker/feedback/keys.py). One saved under a secret key
    being rotated out (`old_keys`) is found too."""
    key = lookup_key(secret_key, round_, user_id)
    if key is None:
        return None
    for candidate in (key, *old_lookup_keys(old_keys, round_, user_id)):
        found = session.scalar(
            select(Response)
            .where(Response.round_id == round_.id, Response.lookup_key == candidate)
            .options(selectinload(Response.answers))
        )
        if found is not None:
            return found
    return None


def response_values(response: Response | None) -> dict[str, list[str]]:
    """The stored answers as form values {field name: [values]}."""
    values: dict[str, list[str]] = {}
    if response is None:
        return values
    for answer in sorted(response.answers, key=lambda a: a.id):
        value = answer.value_text if answer.value_int is None else str(answer.value_int)
        if value is not None:
            values.setdefault(field_name(answer.question_id, answer.brick_id), []).append(value)
    return values


def _profile_of(session: Session, academy_id: int, user_id: int) -> TesterProfile | None:
    return session.scalar(
        select(TesterProfile).where(
            TesterProfile.academy_id == academy_id, TesterProfile.user_id == user_id
        )
    )


def save_response(
    session: Session,
    invitation: RoundInvitation,
    values: Mapping[str, Sequence[str]],
    *,
    submit: bool,
    secret_key: str,
    now: dt.datetime,
    old_keys: Sequence[str] = (),
) -> Response:
    """Save the tester's answers as a draft, or submit them (required questions enforced).

    A submitted response stays submitted: later saves are resubmissions, checked the same way.
    Idempotent: the same submission twice, or two at once, leaves one response.
    Raises AnswerErrors (nothing written) or RoundClosed.
    """
    round_ = invitation.round
    lock_round_for_answers(session, round_, now)
    key = lookup_key(secret_key, round_, invitation.user_id)
    if key is None:  # an anonymous round closed: refused above already
        raise RoundClosed(_("This round is closed: answers are no longer accepted."))
    questions = list(
        session.scalars(
            select(Question).where(Question.round_id == round_.id).order_by(Question.position)
        )
    )
    slots = slots_of(questions, round_bricks(session, round_))

    response = _locked_response(session, round_.id, key)
    for old in old_lookup_keys(old_keys, round_, invitation.user_id) if response is None else ():
        response = _locked_response(session, round_.id, old)
        if response is not None:  # saved before the secret key's rotation: now under the new one
            response.lookup_key = key
            break
    if response is None:
        parsed = _parse_answers(slots, values, require=submit)
        if parsed.errors:
            raise AnswerErrors(parsed.errors)
        created = Response(
            round_id=round_.id,
            respondent_id=None if round_.anonymous else invitation.user_id,
            lookup_key=key,
            state=ResponseState.DRAFT,
            created_at=stamp(round_, now),
            updated_at=stamp(round_, now),
        )
        try:
            with session.begin_nested():
                session.add(created)
        except IntegrityError:
            # The same person's other request (a double click) inserted it first: use theirs.
            response = _locked_response(session, round_.id, key)
            if response is None:
                raise
        else:
            response = created
    submitting = submit or response.state == ResponseState.SUBMITTED
    parsed = _parse_answers(slots, values, require=submitting)
    if parsed.errors:
        raise AnswerErrors(parsed.errors)

    session.execute(
        delete(Answer)
        .where(Answer.response_id == response.id)
        .execution_options(synchronize_session=False)
    )
    if parsed.rows:
        session.execute(
            insert(Answer),
            [
                {
                    "response_id": response.id,
                    "question_id": question_id,
                    "brick_id": brick_id,
                    "value_int": value_int,
                    "value_text": value_text,
                }
                for question_id, brick_id, value_int, value_text in parsed.rows
            ],
        )
    profile = _profile_of(session, round_.academy_id, invitation.user_id)
    if profile is not None:
        response.business_unit = profile.business_unit
        response.job_family = profile.job_family
        response.site = profile.site
        response.language = profile.language
    response.updated_at = stamp(round_, now)
    if submitting:
        response.state = ResponseState.SUBMITTED
        if response.submitted_at is None:
            response.submitted_at = stamp(round_, now)
        session.execute(
            update(RoundInvitation)
            .where(RoundInvitation.id == invitation.id, RoundInvitation.completed_at.is_(None))
            .values(completed_at=completion_stamp(round_, now))
            .execution_options(synchronize_session=False)
        )
    session.flush()
    session.expire(response, ["answers"])
    return response


@dataclass(frozen=True)
class MyRound:
    round: FeedbackRound
    invitation: RoundInvitation
    status: str  # not_started, draft, submitted
    phase: str  # scheduled, open, closed


def my_rounds(
    session: Session,
    academy: Academy,
    user_id: int,
    *,
    secret_key: str,
    now: dt.datetime,
    old_keys: Sequence[str] = (),
) -> tuple[list[MyRound], list[MyRound]]:
    """(rounds taking answers or about to, by deadline; past rounds, newest first): 2 queries."""
    rows = session.execute(
        select(RoundInvitation, FeedbackRound)
        .join(FeedbackRound, FeedbackRound.id == RoundInvitation.round_id)
        .where(
            RoundInvitation.user_id == user_id,
            FeedbackRound.academy_id == academy.id,
            FeedbackRound.state != RoundState.DRAFT,
        )
        .options(joinedload(FeedbackRound.release))
    ).all()
    keys: dict[str, int] = {}
    for _inv, round_ in rows:
        key = lookup_key(secret_key, round_, user_id)
        if key is not None:
            keys[key] = round_.id
            for old in old_lookup_keys(old_keys, round_, user_id):
                keys[old] = round_.id
    states: dict[int, ResponseState] = {}
    if keys:
        for round_id, key, state in session.execute(
            select(Response.round_id, Response.lookup_key, Response.state).where(
                Response.lookup_key.in_(list(keys))
            )
        ):
            if keys.get(key) == round_id:
                states[round_id] = state
    current: list[MyRound] = []
    past: list[MyRound] = []
    for invitation, round_ in rows:
        current_state = states.get(round_.id)
        if current_state is None and invitation.completed_at is not None:
            current_state = ResponseState.SUBMITTED  # an anonymous round, closed: forgotten
        status = (
            "submitted"
            if current_state == ResponseState.SUBMITTED
            else "draft"
            if current_state == ResponseState.DRAFT
            else "not_started"
        )
        mine = MyRound(round_, invitation, status, round_phase(round_, now))
        (past if mine.phase == "closed" else current).append(mine)
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    current.sort(key=lambda m: (m.round.closes_at or far, m.round.id))
    past.sort(key=lambda m: m.round.closed_at or m.round.closes_at or far, reverse=True)
    return current, past
