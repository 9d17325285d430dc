"""How the backlog's values read: labels of formats, fields, history events and need statuses;
durations and languages as people write them."""

from __future__ import annotations

import re

from babel import Locale, UnknownLocaleError
from flask_babel import lazy_gettext as _l

from tracker.backlog.models import ActivityKind, BrickFormat, NeedStatus
from tracker.formatting import duration

FORMAT_LABELS = {
    BrickFormat.MOOC: _l("MOOC"),
    BrickFormat.SPOC: _l("SPOC"),
    BrickFormat.SERIOUS_GAME: _l("Serious game"),
    BrickFormat.SOCIAL_LEARNING: _l("Social learning"),
    BrickFormat.VIDEO: _l("Video"),
    BrickFormat.MICRO_LEARNING: _l("Micro-learning"),
    BrickFormat.ELEARNING_MODULE: _l("E-learning module"),
    BrickFormat.VIRTUAL_CLASS: _l("Virtual class"),
    BrickFormat.WEBINAR: _l("Webinar"),
    BrickFormat.PODCAST: _l("Podcast"),
    BrickFormat.FACE_TO_FACE: _l("Face-to-face session"),
    BrickFormat.BLENDED: _l("Blended learning"),
    BrickFormat.DOCUMENT: _l("Document"),
}

# Labels of the fields a brick's history and conflict table mention.
FIELD_LABELS = {
    "attachment": _l("File"),
    "title": _l("Title"),
    "summary": _l("Summary"),
    "description": _l("Description"),
    "format": _l("Format"),
    "learner_minutes": _l("Learner duration"),
    "estimate_points": _l("Estimate (points)"),
    "stage_id": _l("Stage"),
    "sprint_id": _l("Sprint"),
    "release_id": _l("Release"),
    "learning_path_id": _l("Learning path"),
    "owner_id": _l("Owner"),
    "reviewer_id": _l("Reviewer"),
    "vendor": _l("Vendor"),
    "target_audience": _l("Target audience"),
    "language": _l("Language"),
    "prerequisites": _l("Prerequisites"),
    "content_url": _l("Content link"),
    "objectives": _l("Learning objectives"),
    "checklist": _l("Definition of done"),
    "comment": _l("Comment"),
    "done": _l("Done"),
    "rank": _l("Priority"),
    "improves": _l("Improves"),
    "improvement": _l("Improvement brick"),
}

# Languages a brick's content is commonly produced in; names come from Babel's CLDR data.
BRICK_LANGUAGES = ("fr", "en", "de", "es", "it", "nl", "pt")


def language_name(code: str, locale: str) -> str:
    try:
        return str(Locale.parse(code).get_display_name(locale) or code).capitalize()
    except (ValueError, TypeError, UnknownLocaleError):
        return code


def format_duration(minutes: int | None) -> str:
    """90 → "1 h 30", 120 → "2 h", 45 → "45 min": the one duration format (tracker.formatting)."""
    return duration(minutes)


_DURATION = re.compile(
    r"^\s*(?:(?P<h>\d{1,4})\s*(?:h|:)\s*(?P<hm>\d{1,2})?\s*(?:min|mn|m)?"
    r"|(?P<m>\d{1,6})\s*(?:min|mn|m)?)\s*$",
    re.IGNORECASE,
)


def parse_duration(text: str) -> int | None:
    """ "90", "90 min", "1h30", "1 h 30", "1:30", "2h" → minutes; "" → None; else ValueError."""
    if not text.strip():
        return None
    match = _DURATION.match(text)
    if match is None:
        raise ValueError(text)
    if match.group("m") is not None:
        return int(match.group("m"))
    minutes = int(match.group("hm") or 0)
    if minutes >= 60:
        raise ValueError(text)
    return int(match.group("h")) * 60 + minutes


KIND_LABELS = {
    ActivityKind.CREATED: _l("Created"),
    ActivityKind.EDITED: _l("Edited"),
    ActivityKind.MOVED: _l("Moved"),
    ActivityKind.REORDERED: _l("Reordered in the backlog"),
    ActivityKind.SPRINT_CHANGED: _l("Sprint changed"),
    ActivityKind.RELEASE_CHANGED: _l("Release changed"),
    ActivityKind.COMMENTED: _l("Commented"),
    ActivityKind.CHECKLIST: _l("Definition of done"),
    ActivityKind.DELETED: _l("Deleted"),
    ActivityKind.ATTACHED: _l("File added"),
    ActivityKind.DETACHED: _l("File removed"),
    ActivityKind.IMPROVEMENT: _l("Improvement brick proposed"),
}
NEED_STATUS_LABELS = {
    NeedStatus.NEW: _l("New"),
    NeedStatus.ACCEPTED: _l("Accepted"),
    NeedStatus.PLANNED: _l("Planned"),
    NeedStatus.DELIVERED: _l("Delivered"),
    NeedStatus.DECLINED: _l("Declined"),
}
