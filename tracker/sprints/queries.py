"""What the sprint page and the reports read: the burn series, the flow and velocity figures."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from tracker.academies.models import Academy, Stage
from tracker.academies.services import list_stages
from tracker.sprints import charts
from tracker.sprints.models import Sprint


def burn_series(
    session: Session, academy: Academy, sprint: Sprint, *, tz: dt.tzinfo, now: dt.datetime
) -> charts.SprintSeries | None:
    """The sprint page's burndown and burnup, day by day (None before the sprint starts)."""
    stages = list_stages(session, academy)
    return charts.sprint_series(session, sprint, charts.done_stage_ids(stages), tz=tz, now=now)


@dataclass
class Reports:
    """The reports page's figures: aggregates only, in a fixed number of queries."""

    stages: list[Stage]
    velocity: charts.Velocity
    flow: charts.CumulativeFlow
    times: charts.FlowTimes


def reports(
    session: Session,
    academy: Academy,
    first: dt.date,
    last: dt.date,
    *,
    tz: dt.tzinfo,
    now: dt.datetime,
) -> Reports:
    """Velocity (the last closed sprints), and the cumulative flow and the lead and cycle
    times of the days from `first` to `last`."""
    stages = list_stages(session, academy)
    return Reports(
        stages=stages,
        velocity=charts.velocity(session, academy, charts.done_stage_ids(stages)),
        flow=charts.cumulative_flow(session, academy, stages, first, last, tz=tz, now=now),
        times=charts.flow_times(session, academy, stages, first, last, tz=tz, now=now),
    )
