"""Migrations: one head, upgrade from empty, no drift from the models, down to base and up again.

Runs on its own database (a fresh SQLite file, or a sibling PostgreSQL database) so that the
shared test database is never torn down.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect

from tests.conftest import TEST_DATABASE_URL, scratch_postgres_database
from tracker import migrate
from tracker.db import Base, make_engine


@pytest.fixture
def empty_engine(tmp_path) -> Iterator[Engine]:  # type: ignore[no-untyped-def]
    with ExitStack() as stack:
        if TEST_DATABASE_URL:
            url = stack.enter_context(
                scratch_postgres_database(TEST_DATABASE_URL, f"migrations{os.getpid()}")
            )
        else:
            url = f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
        engine = make_engine(url)
        try:
            yield engine
        finally:
            engine.dispose()


def drift(engine: Engine) -> list[object]:
    import tracker.models  # noqa: F401 - every table on Base.metadata

    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "compare_server_default": True,
                "include_name": migrate.include_name,
            },
        )
        return list(compare_metadata(context, Base.metadata))


def test_there_is_one_head() -> None:
    script = ScriptDirectory.from_config(migrate.alembic_config())
    assert len(script.get_heads()) == 1


def test_migration_files_are_named_by_date_and_time_in_chain_order() -> None:
    """YYYYMMDDHHMM_<rev>_<slug>.py: a directory listing reads in the order of the chain."""
    script = ScriptDirectory.from_config(migrate.alembic_config())
    paths = sorted((migrate.MIGRATIONS / "versions").glob("*.py"))
    for path in paths:
        assert path.name[:12].isdigit() and path.name[12] == "_", path.name
    chain = [revision.revision for revision in reversed(list(script.walk_revisions()))]
    assert [path.name.split("_")[1] for path in paths] == chain


def test_upgrade_from_empty_matches_the_models(empty_engine: Engine) -> None:
    migrate.upgrade(empty_engine)

    assert drift(empty_engine) == []
    tables = set(inspect(empty_engine).get_table_names())
    assert set(Base.metadata.tables) <= tables


def test_downgrade_to_base_and_up_again(empty_engine: Engine) -> None:
    migrate.upgrade(empty_engine)

    migrate.downgrade(empty_engine, "base")
    assert set(inspect(empty_engine).get_table_names()) <= {"alembic_version"}

    migrate.upgrade(empty_engine)
    assert drift(empty_engine) == []


def test_two_evaluations_of_a_kind_are_merged_into_the_oldest(empty_engine: Engine) -> None:
    """The unique (release, kind) of the evaluations: a database holding two of a kind (made
    by hand before) upgrades; the oldest stays with every answer, link and queued e-mail."""
    import datetime as dt

    import tracker.models  # noqa: F401 - every table on Base.metadata

    migrate.upgrade(empty_engine, "f7b4f29e9ec5")
    tables = Base.metadata.tables
    t0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    with empty_engine.begin() as c:
        academy = c.execute(
            tables["academy"].insert().values(name="A", slug="a", key_prefix="A")
        ).inserted_primary_key[0]
        release = c.execute(
            tables["release"].insert().values(academy_id=academy, name="R")
        ).inserted_primary_key[0]
        ids = []
        for n, closes in enumerate((t0 + dt.timedelta(days=14), t0 + dt.timedelta(days=20))):
            evaluation = c.execute(
                tables["evaluation"].insert().values(
                    academy_id=academy, release_id=release, kind="reaction",
                    link_hash=f"{n}" * 64, opens_on=t0.date(), closes_at=closes,
                    created_at=t0 + dt.timedelta(hours=n),
                )
            ).inserted_primary_key[0]  # fmt: skip
            question = c.execute(
                tables["evaluation_question"]
                .insert()
                .values(evaluation_id=evaluation, position=0, kind="rating", prompt="?")
            ).inserted_primary_key[0]
            c.execute(
                tables["evaluation_answer"].insert().values(
                    evaluation_id=evaluation, question_id=question, submission=f"s{n}",
                    value_int=4,
                )
            )  # fmt: skip
            c.execute(
                tables["mail_message"].insert().values(
                    to_address="x@corp.example", subject="S", body_text="B",
                    link_kind="evaluation", link_ref=evaluation,
                )
            )  # fmt: skip
            ids.append((evaluation, question))

    migrate.upgrade(empty_engine)

    (kept, kept_question), _duplicate = ids
    with empty_engine.connect() as c:
        evaluation = tables["evaluation"]
        assert c.execute(evaluation.select()).all()[0].id == kept
        assert len(c.execute(evaluation.select()).all()) == 1
        assert c.execute(evaluation.select()).one().closes_at == t0 + dt.timedelta(days=20)
        answers = c.execute(tables["evaluation_answer"].select()).all()
        assert {(a.evaluation_id, a.question_id) for a in answers} == {(kept, kept_question)}
        assert len(answers) == 2
        links = c.execute(tables["evaluation_link"].select()).all()
        assert [(link.evaluation_id, link.token_hash) for link in links] == [(kept, "1" * 64)]
        refs = c.execute(tables["mail_message"].select()).all()
        assert {m.link_ref for m in refs} == {kept}


def test_french_prompts_go_back_to_their_key_and_old_links_stay_multi_use(
    empty_engine: Engine,
) -> None:
    """The evaluations' built-in prompts, stored in French before, become their English key
    (translated when shown); a prompt written by hand stays; the links made before (e-mailed or
    public: not told apart) keep taking any number of answers."""
    import datetime as dt

    from sqlalchemy import text

    import tracker.models  # noqa: F401 - every table on Base.metadata

    migrate.upgrade(empty_engine, "efcc89a9e68a")
    tables = Base.metadata.tables
    t0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    with empty_engine.begin() as c:
        academy = c.execute(
            tables["academy"].insert().values(name="A", slug="a", key_prefix="A")
        ).inserted_primary_key[0]
        release = c.execute(
            tables["release"].insert().values(academy_id=academy, name="R")
        ).inserted_primary_key[0]
        evaluation = c.execute(
            tables["evaluation"].insert().values(
                academy_id=academy, release_id=release, kind="reaction", link_hash="1" * 64,
                opens_on=t0.date(), closes_at=t0, created_at=t0,
            )
        ).inserted_primary_key[0]  # fmt: skip
        for n, prompt in enumerate(("Que changeriez-vous ?", "Une question à moi")):
            c.execute(
                tables["evaluation_question"]
                .insert()
                .values(evaluation_id=evaluation, position=n, kind="text", prompt=prompt)
            )
        c.execute(
            text(
                "INSERT INTO evaluation_link (evaluation_id, token_hash, created_at)"
                " VALUES (:e, :h, :t)"
            ),
            {"e": evaluation, "h": "2" * 64, "t": t0.replace(tzinfo=None)},
        )

    migrate.upgrade(empty_engine)

    with empty_engine.connect() as c:
        prompts = c.execute(text("SELECT prompt FROM evaluation_question ORDER BY position"))
        assert [p for (p,) in prompts] == ["What would you change?", "Une question à moi"]
        link = c.execute(text("SELECT single_use, used FROM evaluation_link")).one()
        assert not link.single_use and not link.used
