"""What is going on in an academy right now, for the home page of the people who build it."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from tracker.academies.models import Academy, Stage, StageCategory
from tracker.backlog.models import Brick, NeedStatus, TrainingNeed
from tracker.feedback.models import FeedbackRound, RoundInvitation, RoundState
from tracker.sprints.models import Sprint, SprintState


@dataclass
class OpenRound:
    id: int
    title: str
    invited: int
    completed: int

    @property
    def rate(self) -> float:
        return 100.0 * self.completed / self.invited if self.invited else 0.0


@dataclass
class Pulse:
    sprint_id: int | None = None
    sprint_name: str = ""
    committed_points: int = 0
    done_points: int = 0
    open_rounds: list[OpenRound] = field(default_factory=list)
    new_needs: int = 0


def academy_pulse(session: Session, academy: Academy) -> Pulse:
    """Four queries whatever the size of the academy."""
    pulse = Pulse()
    sprint = session.execute(
        select(Sprint.id, Sprint.name).where(
            Sprint.academy_id == academy.id, Sprint.state == SprintState.ACTIVE
        )
    ).first()
    if sprint is not None:
        pulse.sprint_id, pulse.sprint_name = sprint.id, sprint.name
        committed, done = session.execute(
            select(
                func.coalesce(func.sum(Brick.estimate_points), 0),
                func.coalesce(
                    func.sum(
                        case((Stage.category == StageCategory.DONE, Brick.estimate_points), else_=0)
                    ),
                    0,
                ),
            )
            .join(Stage, Stage.id == Brick.stage_id)
            .where(Brick.sprint_id == sprint.id)
        ).one()
        pulse.committed_points, pulse.done_points = int(committed), int(done)
    rows = session.execute(
        select(
            FeedbackRound.id,
            FeedbackRound.title,
            func.count(RoundInvitation.id),
            func.count(RoundInvitation.completed_at),
        )
        .outerjoin(RoundInvitation, RoundInvitation.round_id == FeedbackRound.id)
        .where(FeedbackRound.academy_id == academy.id, FeedbackRound.state == RoundState.OPEN)
        .group_by(FeedbackRound.id, FeedbackRound.title)
        .order_by(FeedbackRound.id)
    ).all()
    pulse.open_rounds = [OpenRound(r[0], r[1], int(r[2]), int(r[3])) for r in rows]
    pulse.new_needs = int(
        session.scalar(
            select(func.count(TrainingNeed.id)).where(
                TrainingNeed.academy_id == academy.id, TrainingNeed.status == NeedStatus.NEW
            )
        )
        or 0
    )
    return pulse
