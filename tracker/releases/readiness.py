"""Where a release stands on its way out of beta, as its go/no-go and its release read it.

The figures of its closed rounds (as their gate snapshots froze them), the decisions taken and
what blocks the next one, whether it may be marked released, the feedback items to act on.
Read only: the moves themselves are in releases/services.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session, selectinload

from tracker import rows
from tracker.backlog.models import Brick
from tracker.feedback import gate
from tracker.feedback.models import FeedbackItem, FeedbackRound, GateSnapshot, RoundState, Severity
from tracker.feedback.triage import bricks_by_id
from tracker.formatting import nested, percent, signed
from tracker.releases.models import Decision, Release, ReleaseState

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
        return percent(value)
    if name == "min_nps":
        return signed(value)
    return str(format_decimal(value, format="#,##0"))


@dataclass(frozen=True)
class BetaFigures:
    """A closed round's figures as its gate snapshot froze them: aggregates only, no answer."""

    round: FeedbackRound
    snapshot: GateSnapshot
    # The intention to apply (share of yes): read by beta_prediction only, from the closed
    # round's answers (a closed round takes no more); not measured when no question asks it.
    intention_measured: bool = False
    intention: float | None = None

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
    return gated_rounds(session, FeedbackRound.release_id == release.id)


def gated_rounds(session: Session, *where: ColumnElement[bool]) -> list[BetaFigures]:
    """The closed rounds that match, with their gate snapshots, in the order the gates were
    evaluated: one query."""
    rows = session.execute(
        select(FeedbackRound, GateSnapshot)
        .join(GateSnapshot, GateSnapshot.round_id == FeedbackRound.id)
        .where(*where)
        .order_by(GateSnapshot.evaluated_at, GateSnapshot.id)
    ).all()
    return [BetaFigures(round_, snapshot) for round_, snapshot in rows]


def last_beta_figures(session: Session, release: Release) -> BetaFigures | None:
    """The last closed round of the release: the one its gate and decision are about."""
    found = gate.last_round_snapshot(session, release.id)
    return None if found is None else BetaFigures(*found)


def beta_prediction(session: Session, release: Release) -> BetaFigures | None:
    """The last closed round's figures with its intention to apply: what the release page
    sets beside the J+0 reaction."""
    found = gate.last_round_snapshot(session, release.id)
    if found is None:
        return None
    measured, intention = gate.intention_figure(session, found[0])
    return BetaFigures(*found, intention_measured=measured, intention=intention)


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


# -- The go/no-go decisions taken, and what blocks the next one -----------------------------------


def release_decisions(session: Session, release: Release) -> list[Decision]:
    """Newest first, with who decided."""
    newest_first = (Decision.decided_at.desc(), Decision.id.desc())
    with_who = [selectinload(Decision.decided_by)]
    return rows.all_in(session, Decision, *newest_first, load=with_who, release_id=release.id)


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
            title=nested(open_round.title),
        )
    last = last_beta_figures(session, release)
    if last is None:
        return _("No round of this release has closed yet: there is nothing to decide on.")
    decided = session.scalar(select(Decision.id).where(Decision.round_id == last.round.id))
    if decided is not None:
        return _(
            "A decision was already recorded on the round “%(title)s”.",
            title=nested(last.round.title),
        )
    return None


# -- Whether a release may be marked released -----------------------------------------------------


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
            title=nested(self.last.round.title),
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
    bricks = bricks_by_id(
        session, {item.brick_id for item, _round in rows if item.brick_id is not None}
    )
    found = [
        OpenItem(item, round_, bricks.get(item.brick_id) if item.brick_id else None)
        for item, round_ in rows
    ]
    found.sort(key=lambda o: (_SEVERITY_RANK[o.item.severity], o.item.id))
    return found
