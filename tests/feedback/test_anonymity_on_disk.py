"""After an anonymous round closed, the SQLite files themselves (database and write-ahead log, as
a copy of the instance folder holds them) no longer contain the round's secret nor the keys its
responses and items had: deleted content is zeroed (secure_delete) and the log is emptied once
the close is committed. Always on SQLite: it is SQLite's storage that is checked."""

from __future__ import annotations

import datetime as dt

from tests.conftest import SECRET, make_test_app
from tests.factories import make_world
from tests.feedback.factories import complete_values, invite, make_round, make_tester
from tracker import migrate
from tracker.db import db, make_engine, utcnow
from tracker.feedback.answers import save_response
from tracker.feedback.items import ItemInput, report_item
from tracker.feedback.models import FeedbackItem, Response
from tracker.feedback.rounds import close_round


def test_the_sqlite_files_forget_the_secret_and_the_keys(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'brique.sqlite3'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    app = make_test_app(url, tmp_path)
    start = utcnow() - dt.timedelta(hours=1)
    with app.app_context():
        session = db.session
        world = make_world(session)
        setup = make_round(session, world.academy, world.manager, anonymous=True, now=start)
        testers = [make_tester(session, world.academy) for _ in range(4)]
        for n, invitation in enumerate(invite(session, setup.round, testers, now=start)):
            now = start + dt.timedelta(minutes=n)
            values = complete_values(setup)
            save_response(session, invitation, values, submit=True, secret_key=SECRET, now=now)
            report_item(
                session,
                invitation,
                ItemInput(None, "", "idea", "minor", f"idea {n}"),
                secret_key=SECRET,
                now=now,
            )
        session.commit()
        secret = setup.round.draft_secret
        keys = [r.lookup_key for r in session.query(Response).all()]
        keys += [i.lookup_key for i in session.query(FeedbackItem).all()]
        assert secret and len(keys) == 8
        files = b"".join(p.read_bytes() for p in sorted(tmp_path.glob("brique.sqlite3*")))
        assert secret.encode() in files  # while the round is open, the secret is stored

        assert close_round(session, setup.round, now=utcnow())
        session.commit()

        # Read while the application still runs (closing its last connection would fold the
        # log on its own).
        files = b"".join(p.read_bytes() for p in sorted(tmp_path.glob("brique.sqlite3*")))
    app.extensions["database"].engine.dispose()
    assert secret.encode() not in files
    for key in keys:
        assert key.encode() not in files
