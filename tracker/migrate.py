"""Alembic, configured in code: `flask db-upgrade`, the demo and the tests all go through here."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


# What migrations create by hand beside the models (the engines' text-search index: see
# tracker/search/models.py), left out of autogenerate's comparison.
HAND_MADE = ("search_fts", "ix_search_document_fts", "search_vector")


def include_name(name: str | None, type_: str, _parent_names: object) -> bool:
    return not (name and name.startswith(HAND_MADE))


def alembic_config(engine: Engine | None = None, url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # Date-and-time file names (migrations/versions/202611281550_<rev>_<slug>.py): listing
    # order is chain order.
    config.set_main_option(
        "file_template",
        "%%(year)d%%(month).2d%%(day).2d%%(hour).2d%%(minute).2d_%%(rev)s_%%(slug)s",
    )
    if url:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if engine is not None:
        config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str = "base") -> None:
    command.downgrade(alembic_config(engine), revision)
