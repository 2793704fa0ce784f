"""Who attended a collective study: the members ticked on the roster and the member numbers typed or
scanned, checked before anything is saved so that a wrong number is never dropped without a word."""
from collections import Counter

from flask_babel import gettext as _

from learning_app.models import User

from .queries import eligible_site_members, users_by_id, users_by_number


def read_attendees(site, attendee_ids, member_numbers) -> tuple[list[User], list[str]]:
    """The attendees, each once, and a sentence for each kind of mistake naming its numbers (none if all
    is well): unknown numbers, numbers listed twice, members outside the site's organisation, closed
    accounts. Blank lines and spaces around a number are no mistake (scanners add them)."""
    named, unknown, repeated = _named_members(attendee_ids, member_numbers)
    eligible = {user.id for user in eligible_site_members(site, list(named))}
    refused = [user for user in named.values() if user.id not in eligible]
    closed = [user.login_id for user in refused if _within(user, site)]
    outside = [user.login_id for user in refused if not _within(user, site)]
    problems = []
    if unknown:
        problems.append(_("Unknown member numbers: %(numbers)s.", numbers=", ".join(unknown)))
    if repeated:
        problems.append(_("Listed more than once: %(numbers)s.", numbers=", ".join(repeated)))
    if outside:
        problems.append(_("Not members of %(org)s: %(numbers)s.", org=site.org.name, numbers=", ".join(outside)))
    if closed:
        problems.append(_("Accounts deactivated: %(numbers)s.", numbers=", ".join(closed)))
    return [user for user in named.values() if user.id in eligible], problems


def _named_members(attendee_ids, member_numbers):
    """{id: member} in the order ticked, then typed; the numbers (or #ids) no member has; those typed twice."""
    numbers = [number.strip() for number in member_numbers or () if number.strip()]
    typed = {}  # lower-cased number -> the spelling typed first: numbers are matched without regard to case
    for number in numbers:
        typed.setdefault(number.lower(), number)
    times = Counter(number.lower() for number in numbers)
    found = users_by_number(list(typed))
    ids = list(dict.fromkeys(attendee_ids or ()))
    ticked = users_by_id(ids)
    named = {}
    for user in [ticked[i] for i in ids if i in ticked] + [found[key] for key in typed if key in found]:
        named.setdefault(user.id, user)
    unknown = [number for key, number in typed.items() if key not in found]
    unknown += [f"#{user_id}" for user_id in ids if user_id not in ticked]
    repeated = [number for key, number in typed.items() if times[key] > 1 and key in found]
    return named, unknown, repeated


def _within(user, site) -> bool:
    return user.org is not None and user.org.is_within(site.org)
