"""Releases: create, edit, list with totals, a release's bricks and history; its lifecycle.

The lifecycle: planned → in_beta (tracker.feedback.rounds.open_round, when a round opens) →
approved or rejected (`record_decision`, a manager's go/no-go once the round has closed) →
released (`mark_released`). A no-go sends the release back to planned, to be tested again by a
later round. A release is marked released only with a go decision, and only if the gate of its
last closed round passed, or with an override whose reason is kept on the release. Every state
change is recorded with `record_release_event` (who, when, from, to).

What a decision or a release reads first (the beta's figures, what blocks a decision, the
readiness) is in tracker/releases/readiness.py; release notes are in notes.py, the feed in
feed.py, the roadmap and the stakeholder's home in overview.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tracker import rows
from tracker.academies.models import Academy
from tracker.auth.models import User
from tracker.backlog.models import Brick
from tracker.backlog.paths_services import bricks_where
from tracker.backlog.services import update_brick
from tracker.cleaning import one_of
from tracker.db import unique_name
from tracker.errors import Conflict, DomainError
from tracker.formatting import nested
from tracker.history import newest_first, record
from tracker.releases.models import (
    Decision,
    DecisionOutcome,
    Release,
    ReleaseEvent,
    ReleaseEventKind,
    ReleaseState,
)
from tracker.releases.readiness import decision_blocker, last_beta_figures, release_readiness
from tracker.sprints.services import done_condition
from tracker.webhooks.events import EventType, emit


def list_releases(session: Session, academy: Academy) -> list[Release]:
    """By target date (undated last), then by creation."""
    return list(
        session.scalars(
            select(Release)
            .where(Release.academy_id == academy.id)
            .order_by(Release.target_date.is_(None), Release.target_date, Release.id)
        )
    )


def get_release(session: Session, academy: Academy, release_id: int) -> Release:
    return rows.get_in(session, Release, release_id, _("No such release."), academy_id=academy.id)


def is_release_name_taken(
    session: Session, academy: Academy, name: str, *, except_id: int | None = None
) -> bool:
    return rows.name_taken(session, Release.name, name, except_id=except_id, academy_id=academy.id)


def record_release_event(
    session: Session,
    release: Release,
    kind: ReleaseEventKind,
    *,
    actor: User | None,
    changes: dict[str, Any] | None = None,
    from_state: ReleaseState | None = None,
    to_state: ReleaseState | None = None,
    note: str = "",
    at: dt.datetime,
) -> ReleaseEvent:
    return record(
        session, ReleaseEvent, actor=actor, at=at, release_id=release.id, kind=kind,
        changes=changes or {}, from_state=from_state, to_state=to_state, note=note,
    )  # fmt: skip


def _check_name(
    session: Session, academy: Academy, name: str, *, except_id: int | None = None
) -> str:
    name = clean_text(name)
    if not name:
        raise DomainError(_("Give the release a name."), field="name")
    if is_release_name_taken(session, academy, name, except_id=except_id):
        raise DomainError(_("Another release already has this name."), field="name")
    return name


def create_release(
    session: Session,
    academy: Academy,
    *,
    name: str,
    goal: str = "",
    target_date: dt.date | None = None,
    actor: User | None,
    now: dt.datetime,
) -> Release:
    release = Release(
        academy_id=academy.id,
        name=_check_name(session, academy, name),
        goal=clean_text(goal),
        target_date=target_date,
        state=ReleaseState.PLANNED,
    )
    with unique_name(session, _("Another release already has this name.")):
        session.add(release)
    record_release_event(
        session, release, ReleaseEventKind.CREATED, actor=actor, to_state=release.state, at=now
    )
    session.flush()
    return release


def update_release(
    session: Session,
    release: Release,
    *,
    name: str,
    goal: str,
    target_date: dt.date | None,
    actor: User | None,
    now: dt.datetime,
) -> dict[str, list[Any]]:
    """Change the name, goal or target date; returns (and records) what changed."""
    academy = session.get(Academy, release.academy_id)
    assert academy is not None
    values: dict[str, Any] = {
        "name": _check_name(session, academy, name, except_id=release.id),
        "goal": clean_text(goal),
        "target_date": target_date,
    }
    changes: dict[str, list[Any]] = {}
    with unique_name(session, _("Another release already has this name.")):
        for field, new in values.items():
            old = getattr(release, field)
            if old != new:
                changes[field] = [_plain(old), _plain(new)]
                setattr(release, field, new)
    if changes:
        record_release_event(
            session, release, ReleaseEventKind.EDITED, actor=actor, changes=changes, at=now
        )
    session.flush()
    return changes


def clean_text(text: str) -> str:
    """Trimmed, without NUL characters (PostgreSQL refuses them in text: a 500, not a message)."""
    return text.replace("\x00", "").strip()


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def release_bricks(session: Session, release: Release) -> list[Brick]:
    academy = session.get(Academy, release.academy_id)
    assert academy is not None
    return bricks_where(session, academy, Brick.release_id == release.id)


def release_history(session: Session, release: Release) -> list[ReleaseEvent]:
    return newest_first(session, ReleaseEvent, ReleaseEvent.release_id == release.id)


# -- The go/no-go decision --------------------------------------------------------------------


def record_state_change(
    session: Session,
    release: Release,
    from_state: ReleaseState,
    to_state: ReleaseState,
    *,
    actor: User | None,
    at: dt.datetime,
    **details: Any,
) -> ReleaseEvent:
    """A lifecycle move in the release's history; `details`: its `note` (a reason), its
    `changes` (the decision or override it came with)."""
    return record_release_event(
        session,
        release,
        ReleaseEventKind.STATE_CHANGED,
        actor=actor,
        from_state=from_state,
        to_state=to_state,
        at=at,
        **details,
    )


def _move(
    session: Session,
    release: Release,
    from_state: ReleaseState,
    to_state: ReleaseState,
    **values: Any,
) -> None:
    """Change the state only if it is still `from_state` (two managers deciding at once: the
    second one gets a Conflict rather than a second move)."""
    claimed = session.execute(
        update(Release)
        .where(Release.id == release.id, Release.state == from_state)
        .values(state=to_state, **values)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(_("Someone changed this release meanwhile: reload the page."))
    session.refresh(release)


def record_decision(
    session: Session,
    release: Release,
    *,
    outcome: DecisionOutcome | str,
    reserves: str = "",
    comment: str = "",
    actor: User | None,
    now: dt.datetime,
) -> Decision:
    """Go, go with reserves, or no-go, on the release's last closed round.

    Go (with or without reserves): in_beta → approved. No-go: in_beta → rejected → planned;
    the open feedback items of its rounds are what to act on before the next round.
    """
    outcome = one_of(DecisionOutcome, outcome, field="outcome", message=_("Choose a decision."))
    reserves, comment = clean_text(reserves), clean_text(comment)
    if outcome == DecisionOutcome.GO_WITH_RESERVES and not reserves:
        raise DomainError(_("Say what the reserves are."), field="reserves")
    if len(reserves) > 5000:
        raise DomainError(
            ngettext("At most %(num)s character.", "At most %(num)s characters.", 5000),
            field="reserves",
        )
    if len(comment) > 5000:
        raise DomainError(
            ngettext("At most %(num)s character.", "At most %(num)s characters.", 5000),
            field="comment",
        )
    blocker = decision_blocker(session, release)
    if blocker:
        raise DomainError(blocker)
    last = last_beta_figures(session, release)
    assert last is not None
    to_state = ReleaseState.REJECTED if outcome == DecisionOutcome.NO_GO else ReleaseState.APPROVED
    _move(session, release, ReleaseState.IN_BETA, to_state)
    decision = Decision(
        release_id=release.id,
        round_id=last.round.id,
        outcome=outcome,
        reserves=reserves,
        comment=comment,
        gate_passed=last.passed,
        decided_by_id=actor.id if actor else None,
        decided_at=now,
    )
    try:
        with session.begin_nested():
            session.add(decision)
    except IntegrityError:
        raise Conflict(
            _(
                "A decision was already recorded on the round “%(title)s”.",
                title=nested(last.round.title),
            )
        ) from None
    changes = {"decision": outcome.value, "round": last.round.title}
    record_state_change(
        session, release, ReleaseState.IN_BETA, to_state, actor=actor, at=now,
        changes=changes, note=comment,
    )  # fmt: skip
    if outcome == DecisionOutcome.NO_GO:
        back = (ReleaseState.REJECTED, ReleaseState.PLANNED)
        _move(session, release, *back)
        record_state_change(session, release, *back, actor=actor, at=now)
    session.flush()
    emit(
        session,
        release.academy_id,
        EventType.RELEASE_DECIDED,
        lambda: {
            "academy_id": release.academy_id,
            "release": release_data(release),
            "decision": {
                "outcome": outcome.value,
                "round_id": decision.round_id,
                "gate_passed": decision.gate_passed,
                "reserves": decision.reserves,
                "decided_at": decision.decided_at,
            },
        },
        now,
    )
    return decision


def release_data(release: Release) -> dict[str, Any]:
    """What a webhook tells of a release."""
    return {
        "id": release.id,
        "name": release.name,
        "state": release.state.value,
        "target_date": release.target_date,
        "released_at": release.released_at,
    }


# -- Marking released ---------------------------------------------------------------------------


class ReleaseRefused(DomainError):
    """Marking released was refused, for one or more reasons, each for a form field or not."""

    def __init__(self, reasons: list[tuple[str, str | None]]) -> None:
        super().__init__(" ".join(message for message, _field in reasons))
        self.reasons = reasons


KEEP = "keep"  # an unfinished brick released as it is (named in an override)


def unfinished_bricks(session: Session, release: Release) -> list[Brick]:
    """The release's bricks not in a done stage, in backlog order."""
    academy = session.get(Academy, release.academy_id)
    assert academy is not None
    return bricks_where(
        session, academy, Brick.release_id == release.id, ~done_condition(academy.id)
    )


def other_releases(session: Session, release: Release) -> list[Release]:
    """Where unfinished bricks may go instead: the academy's releases not yet released."""
    return [
        r
        for r in list_releases(session, _academy(session, release))
        if r.id != release.id and r.state != ReleaseState.RELEASED
    ]


def _academy(session: Session, release: Release) -> Academy:
    academy = session.get(Academy, release.academy_id)
    assert academy is not None
    return academy


def _unfinished_rule(
    session: Session,
    release: Release,
    destinations: Mapping[int, int | str | None],
    reason: str,
) -> tuple[list[tuple[Brick, int | None]], list[Brick], list[tuple[str, str | None]]]:
    """Where each unfinished brick goes: (moves, kept, reasons to refuse). Every unfinished
    brick needs a destination (another release, None for none, or KEEP); those kept need the
    override's reason."""
    unfinished = unfinished_bricks(session, release)
    missing = [b.key for b in unfinished if b.number not in destinations]
    if missing:
        raise Conflict(
            _(
                "The release changed since you opened this page (%(keys)s): check the list again.",
                keys=", ".join(missing),
            )
        )
    targets = {r.id for r in other_releases(session, release)}
    moves: list[tuple[Brick, int | None]] = []
    kept: list[Brick] = []
    reasons: list[tuple[str, str | None]] = []
    for brick in unfinished:
        target = destinations[brick.number]
        if target == KEEP:
            kept.append(brick)
        elif target is None:
            moves.append((brick, None))
        elif isinstance(target, int) and target in targets:
            moves.append((brick, target))
        else:
            reasons.append(
                (_("Choose a release, no release, or keep it here."), f"brick_{brick.number}")
            )
    if kept and not reason:
        reasons.append(
            (
                _(
                    "Not done yet: %(keys)s. Move them to another release (or none), or give "
                    "the reason for releasing them unfinished.",
                    keys=", ".join(b.key for b in kept),
                ),
                "unfinished_reason",
            )
        )
    if len(reason) > 2000:
        reasons.append(
            (
                ngettext("At most %(num)s character.", "At most %(num)s characters.", 2000),
                "unfinished_reason",
            )
        )
    return moves, kept, reasons


def mark_released(
    session: Session,
    release: Release,
    *,
    override_reason: str = "",
    destinations: Mapping[int, int | str | None] | None = None,
    unfinished_reason: str = "",
    actor: User | None,
    now: dt.datetime,
) -> None:
    """approved → released, if the last closed round's gate passed (or with an override's
    reason, kept on the release, shown wherever it is shown) and every brick is in a done
    stage. `destinations` says where each unfinished brick goes (by number): another release
    not yet released, None for no release, or KEEP to release it unfinished, which needs
    `unfinished_reason` (kept in the release's history with the bricks it names)."""
    if release.state == ReleaseState.RELEASED:
        raise Conflict(_("This release is already released."))
    readiness = release_readiness(session, release)
    reason = clean_text(override_reason)
    unfinished_why = clean_text(unfinished_reason)
    reasons: list[tuple[str, str | None]] = []
    if readiness.decision_problem:
        reasons.append((readiness.decision_problem, None))
    problem = readiness.gate_problem
    if problem and not reason:
        reasons.append(
            (problem + " " + _("To release anyway, give the reason for the override."),
             "override_reason")
        )  # fmt: skip
    if len(reason) > 2000:
        reasons.append(
            (
                ngettext("At most %(num)s character.", "At most %(num)s characters.", 2000),
                "override_reason",
            )
        )
    moves, kept, unfinished_reasons = _unfinished_rule(
        session, release, destinations or {}, unfinished_why
    )
    reasons += unfinished_reasons
    if reasons:
        raise ReleaseRefused(reasons)
    for brick, target in moves:
        update_brick(
            session, brick, actor=actor, expected_version=brick.version, release_id=target,
            now=now,
        )  # fmt: skip
    override: dict[str, Any] = {}
    if problem:
        override = {"override_reason": reason, "override_by_id": actor.id if actor else None,
                    "override_at": now}  # fmt: skip
    _move(
        session, release, ReleaseState.APPROVED, ReleaseState.RELEASED, released_at=now, **override
    )
    changes: dict[str, Any] = {"override": True} if problem else {}
    if moves:
        changes["moved_out"] = [brick.key for brick, _target in moves]
    if kept:
        changes["unfinished"] = [brick.key for brick in kept]
    notes = [reason] if problem else []
    if kept:
        notes.append(
            _("Released unfinished: %(keys)s. %(reason)s",
              keys=", ".join(b.key for b in kept), reason=unfinished_why)
        )  # fmt: skip
    record_state_change(
        session, release, ReleaseState.APPROVED, ReleaseState.RELEASED, actor=actor, at=now,
        changes=changes, note=" ".join(notes),
    )  # fmt: skip
    session.flush()
    emit(
        session,
        release.academy_id,
        EventType.RELEASE_RELEASED,
        lambda: {
            "academy_id": release.academy_id,
            "release": release_data(release),
            "override": bool(problem),
            "unfinished": [brick.key for brick in kept],
        },
        now,
    )
