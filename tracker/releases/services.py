"""Releases: create, edit, list with totals, a release's bricks and history; its lifecycle.

The lifecycle: planned → in_beta (tracker.feedback.rounds.open_round, when a round opens) →
approved or rejected (`record_decision`, a manager's go/no-go once the round has closed) →
released (`mark_released`). A no-go sends the release back to planned, to be tested again by a
later round. A release is marked released only with a go decision, and only if the gate of its
last closed round passed, or with an override whose reason is kept on the release. Every state
change is recorded with `record_release_event` (who, when, from, to).

Release notes are in tracker/releases/notes.py, the feed in feed.py, the roadmap and the
stakeholder's home in overview.py.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from tracker.academies.models import Academy
from tracker.auth.models import User
from tracker.backlog.models import Brick
from tracker.backlog.paths_services import bricks_where
from tracker.db import unique_name
from tracker.errors import Conflict, DomainError, NotFound
from tracker.feedback import gate
from tracker.feedback.models import FeedbackItem, FeedbackRound, GateSnapshot, RoundState, Severity
from tracker.releases.models import (
    Decision,
    DecisionOutcome,
    Release,
    ReleaseEvent,
    ReleaseEventKind,
    ReleaseState,
)


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
    release = session.get(Release, release_id)
    if release is None or release.academy_id != academy.id:
        raise NotFound(_("No such release."))
    return release


def is_release_name_taken(
    session: Session, academy: Academy, name: str, *, except_id: int | None = None
) -> bool:
    query = select(Release.id).where(
        Release.academy_id == academy.id, func.lower(Release.name) == clean_text(name).lower()
    )
    if except_id is not None:
        query = query.where(Release.id != except_id)
    return session.scalar(query) is not None


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
    event = ReleaseEvent(
        release_id=release.id,
        actor_id=actor.id if actor else None,
        at=at,
        kind=kind,
        changes=changes or {},
        from_state=from_state,
        to_state=to_state,
        note=note,
    )
    session.add(event)
    return event


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
    return list(
        session.scalars(
            select(ReleaseEvent)
            .where(ReleaseEvent.release_id == release.id)
            .options(selectinload(ReleaseEvent.actor))
            .order_by(ReleaseEvent.at.desc(), ReleaseEvent.id.desc())
        )
    )


# -- Beta figures, from the frozen gate snapshots -------------------------------------------------

# What the refusal messages call each gate criterion (the results pages use the same words).
CRITERION_NAMES = {
    "min_responses": _l("Responses"),
    "min_response_rate": _l("Response rate"),
    "min_csat": _l("CSAT"),
    "min_nps": _l("NPS"),
    "max_blocking": _l("Open blocking issues"),
}
_PERCENT_CRITERIA = ("min_response_rate", "min_csat")


def _criterion_value(name: str, value: float | None) -> str:
    if value is None:
        return _("no data")
    if name in _PERCENT_CRITERIA:
        return format_decimal(round(value, 1), format="#,##0.#") + "\u00a0%"
    if name == "min_nps":
        return str(format_decimal(round(value, 1), format="+#,##0.#;-#,##0.#"))
    return str(format_decimal(value, format="#,##0"))


@dataclass(frozen=True)
class BetaFigures:
    """A closed round's figures as its gate snapshot froze them: aggregates only, no answer."""

    round: FeedbackRound
    snapshot: GateSnapshot

    def _criterion(self, name: str) -> dict[str, Any]:
        return next((c for c in self.snapshot.criteria or [] if c.get("name") == name), {})

    def value(self, name: str) -> float | None:
        value = self._criterion(name).get("value")
        return None if value is None else float(value)

    @property
    def passed(self) -> bool:
        return bool(self.snapshot.passed)

    @property
    def responses(self) -> int | None:
        value = self.value("min_responses")
        return None if value is None else int(value)

    @property
    def invited(self) -> int:
        return int(self.snapshot.invited or 0)

    @property
    def response_rate(self) -> float | None:
        return self.value("min_response_rate")

    @property
    def csat(self) -> float | None:
        return self.value("min_csat")

    @property
    def nps(self) -> float | None:
        return self.value("min_nps")

    @property
    def nps_margin(self) -> float | None:
        margin = self._criterion("min_nps").get("margin")
        return None if margin is None else float(margin)

    @property
    def blocking(self) -> int | None:
        value = self.value("max_blocking")
        return None if value is None else int(value)

    @property
    def indicative(self) -> bool:
        """Satisfaction figures resting on fewer than 30 answers."""
        return any(
            self._criterion(name).get("indicative") and self.value(name) is not None
            for name in ("min_csat", "min_nps")
        )

    def failures(self) -> list[str]:
        """The criteria not met, in words: "CSAT: 40 % (threshold ≥ 75 %)"."""
        found = []
        for criterion in self.snapshot.criteria or []:
            if criterion.get("passed"):
                continue
            name = str(criterion.get("name"))
            sign = "≤" if name.startswith("max_") else "≥"
            found.append(
                _(
                    "%(criterion)s: %(value)s (threshold %(sign)s %(threshold)s)",
                    criterion=CRITERION_NAMES.get(name, name),
                    value=_criterion_value(name, criterion.get("value")),
                    sign=sign,
                    threshold=_criterion_value(name, criterion.get("threshold")),
                )
            )
        return found


def closed_rounds(session: Session, release: Release) -> list[BetaFigures]:
    """The release's closed rounds with their gate snapshots, oldest first: one query."""
    rows = session.execute(
        select(FeedbackRound, GateSnapshot)
        .join(GateSnapshot, GateSnapshot.round_id == FeedbackRound.id)
        .where(FeedbackRound.release_id == release.id)
        .order_by(GateSnapshot.evaluated_at, GateSnapshot.id)
    ).all()
    return [BetaFigures(round_, snapshot) for round_, snapshot in rows]


def last_beta_figures(session: Session, release: Release) -> BetaFigures | None:
    """The last closed round of the release: the one its gate and decision are about."""
    found = gate.last_round_snapshot(session, release.id)
    return None if found is None else BetaFigures(*found)


@dataclass(frozen=True)
class ComparedRound:
    """One closed round beside the one before it (None for the first)."""

    figures: BetaFigures
    previous: BetaFigures | None
    decision: Decision | None

    def delta(self, name: str) -> float | None:
        if self.previous is None:
            return None
        now, before = self.figures.value(name), self.previous.value(name)
        if now is None or before is None:
            return None
        return round(now - before, 1)


def round_comparison(session: Session, release: Release) -> list[ComparedRound]:
    """Each closed round with the previous round's figures, oldest first (two queries)."""
    rounds = closed_rounds(session, release)
    decisions = {d.round_id: d for d in release_decisions(session, release)}
    return [
        ComparedRound(figures, rounds[i - 1] if i else None, decisions.get(figures.round.id))
        for i, figures in enumerate(rounds)
    ]


# -- The go/no-go decision --------------------------------------------------------------------


def release_decisions(session: Session, release: Release) -> list[Decision]:
    """Newest first, with who decided."""
    return list(
        session.scalars(
            select(Decision)
            .where(Decision.release_id == release.id)
            .options(selectinload(Decision.decided_by))
            .order_by(Decision.decided_at.desc(), Decision.id.desc())
        )
    )


def _open_round(session: Session, release: Release) -> FeedbackRound | None:
    return session.scalar(
        select(FeedbackRound)
        .where(FeedbackRound.release_id == release.id, FeedbackRound.state == RoundState.OPEN)
        .order_by(FeedbackRound.id)
        .limit(1)
    )


def decision_blocker(session: Session, release: Release) -> str | None:
    """Why no decision can be taken now, or None: a release in beta whose round has closed,
    with no decision on that round yet."""
    if release.state != ReleaseState.IN_BETA:
        return _("A go/no-go decision is taken on a release in beta, once its round has closed.")
    open_round = _open_round(session, release)
    if open_round is not None:
        return _(
            "The round “%(title)s” is still open: close it before deciding.",
            title=open_round.title,
        )
    last = last_beta_figures(session, release)
    if last is None:
        return _("No round of this release has closed yet: there is nothing to decide on.")
    decided = session.scalar(select(Decision.id).where(Decision.round_id == last.round.id))
    if decided is not None:
        return _(
            "A decision was already recorded on the round “%(title)s”.", title=last.round.title
        )
    return None


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
    try:
        outcome = DecisionOutcome(outcome)
    except ValueError:
        raise DomainError(_("Choose a decision."), field="outcome") from None
    reserves, comment = clean_text(reserves), clean_text(comment)
    if outcome == DecisionOutcome.GO_WITH_RESERVES and not reserves:
        raise DomainError(_("Say what the reserves are."), field="reserves")
    if len(reserves) > 5000:
        raise DomainError(_("At most %(max)s characters.", max=5000), field="reserves")
    if len(comment) > 5000:
        raise DomainError(_("At most %(max)s characters.", max=5000), field="comment")
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
            _("A decision was already recorded on the round “%(title)s”.", title=last.round.title)
        ) from None
    record_release_event(
        session,
        release,
        ReleaseEventKind.STATE_CHANGED,
        actor=actor,
        from_state=ReleaseState.IN_BETA,
        to_state=to_state,
        changes={"decision": outcome.value, "round": last.round.title},
        note=comment,
        at=now,
    )
    if outcome == DecisionOutcome.NO_GO:
        _move(session, release, ReleaseState.REJECTED, ReleaseState.PLANNED)
        record_release_event(
            session,
            release,
            ReleaseEventKind.STATE_CHANGED,
            actor=actor,
            from_state=ReleaseState.REJECTED,
            to_state=ReleaseState.PLANNED,
            at=now,
        )
    session.flush()
    return decision


# -- Marking released ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Readiness:
    """Where a release stands before it is marked released."""

    release: Release
    last: BetaFigures | None  # the last closed round, whose gate counts
    decision: Decision | None  # the latest decision

    @property
    def has_go(self) -> bool:
        return self.release.state == ReleaseState.APPROVED

    @property
    def gate_passed(self) -> bool:
        return self.last is not None and self.last.passed

    @property
    def gate_problem(self) -> str | None:
        """Why the gate does not allow the release (an override with a reason still may)."""
        if self.last is None:
            return _("No round of this release has closed: there is no gate result.")
        if self.last.passed:
            return None
        return _(
            "The gate of the round “%(title)s” was not passed: %(failures)s.",
            title=self.last.round.title,
            failures="; ".join(self.last.failures()),
        )

    @property
    def decision_problem(self) -> str | None:
        if self.release.state == ReleaseState.RELEASED:
            return _("This release is already released.")
        if self.has_go:
            return None
        return _("No go decision yet: record the go/no-go decision once the round has closed.")


def release_readiness(session: Session, release: Release) -> Readiness:
    decisions = release_decisions(session, release)
    return Readiness(
        release, last_beta_figures(session, release), decisions[0] if decisions else None
    )


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
        reasons.append((_("At most %(max)s characters.", max=2000), "override_reason"))
    if reasons:
        raise ReleaseRefused(reasons)
    override: dict[str, Any] = {}
    if problem:
        override = {"override_reason": reason, "override_by_id": actor.id if actor else None,
                    "override_at": now}  # fmt: skip
    _move(
        session, release, ReleaseState.APPROVED, ReleaseState.RELEASED, released_at=now, **override
    )
    record_release_event(
        session,
        release,
        ReleaseEventKind.STATE_CHANGED,
        actor=actor,
        from_state=ReleaseState.APPROVED,
        to_state=ReleaseState.RELEASED,
        changes={"override": True} if problem else {},
        note=reason if problem else "",
        at=now,
    )
    session.flush()


# -- Feedback to act on ---------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenItem:
    item: FeedbackItem
    round: FeedbackRound
    brick: Brick | None


_SEVERITY_RANK = {severity: rank for rank, severity in enumerate(Severity)}


def items_to_act_on(session: Session, release: Release) -> list[OpenItem]:
    """Feedback items of the release's rounds still open (new, accepted, planned), blocking
    first: what a no-go asks the team to act on. Two queries."""
    rows = session.execute(
        select(FeedbackItem, FeedbackRound)
        .join(FeedbackRound, FeedbackRound.id == FeedbackItem.round_id)
        .where(
            FeedbackRound.release_id == release.id,
            FeedbackItem.status.in_(gate.OPEN_STATUSES),
        )
        .order_by(FeedbackItem.id)
    ).all()
    brick_ids = {item.brick_id for item, _round in rows if item.brick_id is not None}
    bricks = (
        {b.id: b for b in session.scalars(select(Brick).where(Brick.id.in_(brick_ids)))}
        if brick_ids
        else {}
    )
    found = [
        OpenItem(item, round_, bricks.get(item.brick_id) if item.brick_id else None)
        for item, round_ in rows
    ]
    found.sort(key=lambda o: (_SEVERITY_RANK[o.item.severity], o.item.id))
    return found
