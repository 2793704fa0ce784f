"""The dashboard's filters, read once from the request and passed to every query."""
from dataclasses import dataclass, field
from datetime import date

from learning_app.models import MemberCategory
from learning_app.timezones import local_day_range, local_today


@dataclass(frozen=True)
class Filters:
    course_id: int | None = None
    category: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    year: int = field(default_factory=lambda: local_today().year)

    @classmethod
    def from_args(cls, args) -> "Filters":
        category = args.get("category")
        return cls(course_id=args.get("course", type=int) or None,
                   category=category if category in MemberCategory._value2member_map_ else None,
                   date_from=_date(args.get("from")), date_to=_date(args.get("to")),
                   year=args.get("year", type=int) or local_today().year)

    @property
    def since(self):
        """The range's start as a UTC instant (local midnight), for comparing timestamps."""
        return local_day_range(self.date_from, None)[0]

    @property
    def until(self):
        """The instant after the range's last day (the next local midnight)."""
        return local_day_range(None, self.date_to)[1]

    def as_args(self) -> dict:
        args = {"course": self.course_id, "category": self.category, "year": self.year,
                "from": self.date_from.isoformat() if self.date_from else None,
                "to": self.date_to.isoformat() if self.date_to else None}
        return {key: value for key, value in args.items() if value}


def _date(text):
    try:
        value = date.fromisoformat(text) if text else None
    except ValueError:
        return None
    return value if value != date.max else None  # the day after it (the range's end) does not exist
