"""How a brick's values read on its pages: its history's lines, the edit conflict's table.

The conflict table puts what someone else changed beside what the person changed.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from flask_babel import get_locale
from flask_babel import gettext as _

from tracker.backlog import services
from tracker.backlog.bloom import BLOOM_LABELS
from tracker.backlog.forms import BrickForm, EditBrickForm, bloom_level_of
from tracker.backlog.labels import (
    FIELD_LABELS,
    FORMAT_LABELS,
    KIND_LABELS,
    format_duration,
    language_name,
)
from tracker.backlog.models import Activity, ActivityKind, Brick, BrickFormat
from tracker.formatting import nested


def current_locale_code() -> str:
    return str(get_locale() or "fr")


# -- The history ----------------------------------------------------------------------------------

LONG_FIELDS = {"description", "prerequisites", "objectives", "checklist"}


def describe(name: str, value: Any, book: services.NameBook) -> str:
    """A field's value as a person reads it: names for ids, labels for codes."""
    if value is None or value == "" or value == []:
        return "—"
    if name == "format":
        try:
            return str(FORMAT_LABELS[BrickFormat(value)])
        except ValueError:
            return str(value)
    if name == "learner_minutes":
        return format_duration(int(value))
    if name in ("stage_id", "sprint_id", "release_id", "learning_path_id", "owner_id"):
        names = getattr(book, name)
        return names.get(value) or _("#%(id)s (deleted)", id=value)
    if name == "reviewer_id":  # a person, like the owner
        names = book.owner_id
        return names.get(value) or _("#%(id)s (deleted)", id=value)
    if name == "language":
        return language_name(str(value), current_locale_code())
    if name == "objectives":
        return "\n".join(
            f"[{BLOOM_LABELS.get(bloom_level_of(o.get('bloom_level')), '')}] {o.get('statement')}"
            for o in value
            if isinstance(o, dict)
        )
    if name == "checklist" and isinstance(value, list):
        return "\n".join(str(item) for item in value)
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    return str(value)


@dataclass
class ChangeLine:
    label: str
    old: str
    new: str
    long: bool


@dataclass
class HistoryEntry:
    activity: Activity
    actor: str
    title: str
    lines: list[ChangeLine] = field(default_factory=list)


def _label(name: str) -> str:
    return str(FIELD_LABELS.get(name, name))


def present_activity(activity: Activity, book: services.NameBook) -> HistoryEntry:
    actor = activity.actor.display_name if activity.actor else _("Someone (account removed)")
    changes = activity.changes or {}
    if activity.kind == ActivityKind.CHECKLIST:
        done = bool(changes.get("done", [None, True])[1])
        title = (
            _("Ticked “%(item)s”", item=nested(activity.note))
            if done
            else _("Unticked “%(item)s”", item=nested(activity.note))
        )
        return HistoryEntry(activity, actor, title)
    lines = []
    if activity.kind != ActivityKind.COMMENTED:
        order = [*services.EDITABLE_FIELDS, "objectives", "checklist"]
        for name in sorted(changes, key=lambda n: order.index(n) if n in order else len(order)):
            pair = changes[name]
            if not isinstance(pair, list) or len(pair) != 2:
                continue
            lines.append(
                ChangeLine(
                    _label(name),
                    describe(name, pair[0], book),
                    describe(name, pair[1], book),
                    name in LONG_FIELDS,
                )
            )
    return HistoryEntry(activity, actor, str(KIND_LABELS.get(activity.kind, activity.kind)), lines)


# -- The edit conflict ----------------------------------------------------------------------------

# What the edit form edits, as fingerprints: which fields did the person change, which did
# someone else change since the person loaded the form.
COMPARED_FIELDS = (*services.EDITABLE_FIELDS, "objectives")


def current_values(brick: Brick) -> dict[str, Any]:
    values = {name: services.plain(getattr(brick, name)) for name in services.EDITABLE_FIELDS}
    values["objectives"] = services.plain_objectives(brick.objectives)
    return values


def submitted_values(form: BrickForm) -> dict[str, Any]:
    values = {name: services.plain(value) for name, value in form.brick_values().items()}
    values["objectives"] = [
        {"statement": " ".join(statement.split()), "bloom_level": bloom_level_of(level).value}
        for statement, level in form.objective_values()
    ]
    return values


def fingerprint(value: Any) -> str:
    encoded = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(encoded.encode()).hexdigest()[:16]


def fingerprints(values: dict[str, Any]) -> str:
    return json.dumps({name: fingerprint(values[name]) for name in COMPARED_FIELDS})


def edit_form_data(brick: Brick) -> dict[str, Any]:
    """What the edit form starts with: the brick's fields, its version and their fingerprints."""
    return {
        **{name: getattr(brick, name) for name in services.EDITABLE_FIELDS},
        "format": brick.format.value,
        "version": brick.version,
        "original": fingerprints(current_values(brick)),
        "objectives": [
            {"statement": o.statement, "bloom_level": o.bloom_level.value} for o in brick.objectives
        ],
    }


def _read_fingerprints(raw: str | None) -> dict[str, str]:
    try:
        data = json.loads(raw or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


@dataclass
class ConflictRow:
    label: str
    theirs: str
    yours: str
    kept_yours: bool
    long: bool


def merge_after_conflict(
    form: EditBrickForm, brick: Brick, book: services.NameBook
) -> list[ConflictRow]:
    """Put someone else's changes into the form where the person had not touched the field,
    keep the person's own changes, and say which is which. The version becomes the current
    one, so that saving again applies the form knowingly."""
    original = _read_fingerprints(form.original.data)
    mine = submitted_values(form)
    theirs = current_values(brick)
    rows = []
    for name in COMPARED_FIELDS:
        if fingerprint(theirs[name]) == original.get(name) or mine[name] == theirs[name]:
            continue  # they did not change it, or they did the same as the person
        kept_yours = fingerprint(mine[name]) != original.get(name)
        rows.append(
            ConflictRow(
                _label(name),
                describe(name, theirs[name], book),
                describe(name, mine[name], book),
                kept_yours,
                name in LONG_FIELDS,
            )
        )
        if not kept_yours:
            _put(form, name, theirs[name])
    form.version.data = brick.version
    form.version.raw_data = None
    form.original.data = fingerprints(theirs)
    return rows


def _put(form: EditBrickForm, name: str, value: Any) -> None:
    if name == "objectives":
        form.set_objectives((o["statement"], o["bloom_level"]) for o in value)
        return
    form_field = getattr(form, name)
    form_field.data = value
    form_field.raw_data = None
