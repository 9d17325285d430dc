"""The demo academy: a believable training academy of a large French bank, with eight weeks
of history played through the real services.

The first seed of an instance creates the academy and plays its story in the past: a pilot
increment tested by the beta panel and released with its notes, a closed sprint, an active one
with some progress, a planned one, and a second increment in beta with its round still open.
Running the seed again only gives the demo people back their password and roles: it never
creates anything twice, and leaves alone what people changed in the demo.

The package: story.py (the story as data), clock.py (the clock and the story's calendar),
player.py (each action through the services), timeline.py (when each action happens),
seed.py (the entry point the commands call).
"""

from tracker.demo.seed import seed_demo
from tracker.demo.story import (
    DEMO_BRICKS,
    DEMO_NEEDS,
    DEMO_PATHS,
    DEMO_PEOPLE,
    DEMO_SLUG,
    DEMO_TESTER_EMAILS,
    DEMO_TESTERS,
    MANAGER_EMAIL,
    PILOT,
    PILOT_ROUND,
    SOCLE,
    SOCLE_ROUND,
    STAKEHOLDER_EMAIL,
    DemoPerson,
)

__all__ = [
    "DEMO_BRICKS",
    "DEMO_NEEDS",
    "DEMO_PATHS",
    "DEMO_PEOPLE",
    "DEMO_SLUG",
    "DEMO_TESTERS",
    "DEMO_TESTER_EMAILS",
    "MANAGER_EMAIL",
    "PILOT",
    "PILOT_ROUND",
    "SOCLE",
    "SOCLE_ROUND",
    "STAKEHOLDER_EMAIL",
    "DemoPerson",
    "seed_demo",
]
