"""Test data per domain (tests/factories/<domain>.py), going through the services where a rule
applies. Every name is re-exported here: `from tests import factories` and
`from tests.factories import make_brick` work as well as `from tests.factories.backlog import ...`.
"""

from __future__ import annotations

from tests.factories.academies import (
    BASE_URL,
    PASSWORD,
    PRINCIPALS,
    SECRET,
    World,
    make_academy,
    make_member,
    make_user,
    make_world,
)
from tests.factories.backlog import (
    academy_and_actor,
    add_brick,
    add_bricks,
    backlog_titles,
    by_title,
    change_brick,
    make_brick,
    make_bricks,
    make_need,
    make_path,
)
from tests.factories.board import (
    stage_named,
    stage_of,
)
from tests.factories.feedback import (
    GATE,
    RoundRun,
    Setup,
    add_invitation,
    add_item,
    add_question,
    add_round,
    answer_values,
    complete_values,
    failing_round,
    give_profile,
    invite,
    make_round,
    make_tester,
    make_testers,
    passing_round,
    respond,
    run_round,
    token_of,
)
from tests.factories.files import (
    csv_bytes,
    xlsx_bytes,
)
from tests.factories.releases import (
    make_release,
    plan_release,
)
from tests.factories.sprints import (
    SPRINT_END,
    SPRINT_START,
    make_sprint,
)

__all__ = [
    "BASE_URL",
    "GATE",
    "PASSWORD",
    "PRINCIPALS",
    "SECRET",
    "SPRINT_END",
    "SPRINT_START",
    "RoundRun",
    "Setup",
    "World",
    "academy_and_actor",
    "add_brick",
    "add_bricks",
    "add_invitation",
    "add_item",
    "add_question",
    "add_round",
    "answer_values",
    "backlog_titles",
    "by_title",
    "change_brick",
    "complete_values",
    "csv_bytes",
    "failing_round",
    "give_profile",
    "invite",
    "make_academy",
    "make_brick",
    "make_bricks",
    "make_member",
    "make_need",
    "make_path",
    "make_release",
    "make_round",
    "make_sprint",
    "make_tester",
    "make_testers",
    "make_user",
    "make_world",
    "passing_round",
    "plan_release",
    "respond",
    "run_round",
    "stage_named",
    "stage_of",
    "token_of",
    "xlsx_bytes",
]
