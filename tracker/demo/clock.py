"""The demo's time: a clock the services read while the story is played, and the story's
calendar of working days counted from Sprint 1's first Monday."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo


class Clock:
    """The time the services read while the story is played."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


class Calendar:
    """Story days: working days counted from Sprint 1's first Monday (day 0).

    Sprint 1 ran on days 0-9 (two weeks ago to last week); Sprint 2 started on day 10, a
    Monday two to eight days ago, so that days up to 11 are always in the past.
    """

    def __init__(self, now: dt.datetime, tz: ZoneInfo) -> None:
        self.now = now
        self.tz = tz
        self.today = now.astimezone(tz).date()
        monday = self.today - dt.timedelta(days=self.today.weekday())
        if (self.today - monday).days < 2:
            monday -= dt.timedelta(days=7)
        self.sprint2_start = monday
        self.sprint1_start = monday - dt.timedelta(days=14)

    def day(self, workday: int) -> dt.date:
        weeks, rest = divmod(workday, 5)
        return self.sprint1_start + dt.timedelta(days=7 * weeks + rest)

    def local(self, day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
        moment = dt.datetime.combine(day, dt.time(hour), tzinfo=self.tz)
        return (moment + dt.timedelta(minutes=minute)).astimezone(dt.UTC)

    def at(self, workday: int, hour: int, minute: int = 0) -> dt.datetime:
        return self.local(self.day(workday), hour, minute)

    def answer_times(self, start: dt.datetime, end: dt.datetime, count: int) -> list[dt.datetime]:
        """`count` moments spread between `start` and `end`, in office hours on working days."""
        slots: list[dt.datetime] = []
        day = start.astimezone(self.tz).date()
        while day <= end.astimezone(self.tz).date():
            if day.weekday() < 5:
                for hour in range(9, 18):
                    for minute in (12, 41):
                        moment = self.local(day, hour, minute)
                        if start < moment < end:
                            slots.append(moment)
            day += dt.timedelta(days=1)
        assert len(slots) >= count, "the story gives the testers too little time"
        return [slots[(2 * n + 1) * len(slots) // (2 * count)] for n in range(count)]
