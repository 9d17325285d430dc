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
    return decision


# -- Marking released ---------------------------------------------------------------------------


class ReleaseRefused(DomainError):
    """Marking released was refused, for one or more reasons, each for a form field or not."""

    def __init__(self, reasons: list[tuple[str, str | None]]) -> None:
        super().__init__(" ".join(message for message, _field in reasons))
        self.reasons = reasons


def mark_released(
    session: Session,
    release: Release,
    *,
    override_reason: str = "",
    actor: User | None,
    now: dt.datetime,
) -> None:
    """approved → released, if the last closed round's gate passed, or with an override's
    reason (kept on the release, shown wherever it is shown)."""
    if release.state == ReleaseState.RELEASED:
        raise Conflict(_("This release is already released."))
    readiness = release_readiness(session, release)
    reason = clean_text(override_reason)
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
    if reasons:
        raise ReleaseRefused(reasons)
    override: dict[str, Any] = {}
    if problem:
        override = {"override_reason": reason, "override_by_id": actor.id if actor else None,
                    "override_at": now}  # fmt: skip
    _move(
        session, release, ReleaseState.APPROVED, ReleaseState.RELEASED, released_at=now, **override
    )
    record_state_change(
        session, release, ReleaseState.APPROVED, ReleaseState.RELEASED, actor=actor, at=now,
        changes={"override": True} if problem else {}, note=reason if problem else "",
    )  # fmt: skip
    session.flush()
