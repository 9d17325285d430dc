"""The backlog's optional columns: which ones a person shows (the key and the title always are).

The choice is the person's, for every academy (User.backlog_hidden_columns holds the names
they hide, so that a column added later shows until they hide it). A hidden column is not
rendered at all: the page weighs less, not only looks narrower.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from tracker.auth.models import User

# In the table's order, with their headers' labels.
OPTIONAL_COLUMNS = {
    "format": _l("Format"),
    "duration": _l("Duration"),
    "points": _l("Points"),
    "stage": _l("Stage"),
    "sprint": _l("Sprint"),
    "release": _l("Release"),
    "path": _l("Learning path"),
    "owner": _l("Owner"),
}


def shown_columns(user: User) -> list[str]:
    """The optional columns the person sees, in the table's order (every one by default;
    a name no longer offered is ignored)."""
    hidden = set((getattr(user, "backlog_hidden_columns", "") or "").split(","))
    return [name for name in OPTIONAL_COLUMNS if name not in hidden]


def show_columns(session: Session, user: User, shown: Iterable[str]) -> list[str]:
    """Keep the person's choice: the optional columns in `shown` (unknown names are ignored)
    show, the others are hidden. Returns the columns shown."""
    chosen = set(shown)
    user.backlog_hidden_columns = ",".join(name for name in OPTIONAL_COLUMNS if name not in chosen)
    session.flush()
    return shown_columns(user)
