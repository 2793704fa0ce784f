"""The audit log in plain words: a label for each action code, each detail key and each kind of record.

The services write short codes (`org.move`, `to_path: /1/15/18/`), which stay stable in the database;
the page turns them into words here. Organisations and members named by id or by path are shown by
name, from lookups the caller made for the whole page at once (see queries.names_for_entries).
Every action code the code base writes needs a label (tests/learning_app/test_audit_words.py scans
the code for them); an unknown code still reads as a sentence with the code in it.
"""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..models import MemberCategory, OrgKind, PositionLevel, Role

ACTION_LABELS = {
    "bank.create": _l("Question bank created"),
    "bank.import": _l("Questions imported"),
    "base.check_in_refused": _l("Check-in refused"),
    "base.mark_attendance": _l("Attendance marked by hand"),
    "base.photo": _l("Base photo added"),
    "base.register": _l("Base registered"),
    "base.schedule": _l("Base session scheduled"),
    "base.session_cancel": _l("Base session cancelled"),
    "base.session_reschedule": _l("Base session moved to another time"),
    "base.session_walk_ins": _l("Walk-in check-in changed"),
    "collective_study.correct": _l("Collective study corrected"),
    "collective_study.record": _l("Collective study recorded"),
    "course.approve": _l("Course approved and published"),
    "course.assign": _l("Course assigned"),
    "course.create": _l("Course created"),
    "course.new_revision": _l("New course revision started"),
    "course.reject": _l("Course sent back to the author"),
    "course.submit": _l("Course submitted for review"),
    "course.unassign": _l("Course assignment withdrawn"),
    "course.withdraw": _l("Course withdrawn from review"),
    "demo.seed": _l("Demo data created"),
    "list.remind": _l("Members on a list reminded"),
    "notice.approve": _l("Notice approved and published"),
    "notice.reject": _l("Notice sent back"),
    "notice.submit": _l("Notice submitted for review"),
    "org.create": _l("Organisation created"),
    "org.deactivate": _l("Organisation deactivated"),
    "org.delete": _l("Organisation deleted"),
    "org.move": _l("Organisation moved"),
    "org.reactivate": _l("Organisation reactivated"),
    "org.rename": _l("Organisation renamed"),
    "question.approve": _l("Question approved"),
    "question.reject": _l("Question sent back"),
    "quiz.create": _l("Quiz created"),
    "quiz.publish": _l("Quiz published"),
    "quiz.unpublish": _l("Quiz withdrawn from members"),
    "role.grant": _l("Role granted"),
    "role.revoke": _l("Role removed"),
    "roster.import": _l("Roster imported"),
    "site.appoint_staff": _l("Site staff appointed"),
    "site.create": _l("Learning site opened"),
    "user.change_password": _l("Password changed by the member"),
    "user.create": _l("Account created"),
    "user.deactivate": _l("Account deactivated"),
    "user.reactivate": _l("Account reactivated"),
    "user.reset_password": _l("One-time password issued"),
    "user.sign_out_everywhere": _l("Signed out on every device"),
    "user.update": _l("Member details changed"),
}

DETAIL_LABELS = {
    "accepts_walk_ins": _l("Walk-ins accepted"),
    "assignment": _l("Assignment number"),
    "attendees": _l("Attendees"),
    "bank": _l("Question bank number"),
    "base_id": _l("Base number"),
    "category": _l("Member category"),
    "comment": _l("Comment"),
    "created": _l("New"),
    "deadline": _l("Deadline"),
    "filters": _l("Filters"),
    "from": _l("Before"),
    "from_parent_id": _l("Old parent organisation"),
    "from_path": _l("Old place in the tree"),
    "kind": _l("Kind"),
    "login_id": _l("Member number"),
    "list": _l("List"),
    "members": _l("Members"),
    "name": _l("Name"),
    "note": _l("Note"),
    "org": _l("Branch"),
    "org_id": _l("Organisation"),
    "parent_id": _l("Parent organisation"),
    "path": _l("Place in the tree"),
    "phone": _l("Phone"),
    "position": _l("Position level"),
    "present": _l("Present"),
    "questions": _l("Questions"),
    "real_name": _l("Real name"),
    "reason": _l("Reason"),
    "recipients": _l("Recipients"),
    "required": _l("Required"),
    "revision": _l("Revision"),
    "role": _l("Role"),
    "source": _l("File"),
    "title": _l("Title"),
    "to": _l("After"),
    "to_parent_id": _l("New parent organisation"),
    "to_path": _l("New place in the tree"),
    "topic": _l("Topic"),
    "unchanged": _l("Unchanged"),
    "updated": _l("Updated"),
    "user_id": _l("Member"),
    "wrong_codes": _l("Wrong codes entered"),
}

RECORD_LABELS = {
    "base": _l("Education base"),
    "base_session": _l("Base session"),
    "collective_study": _l("Collective study"),
    "course": _l("Course"),
    "notice": _l("Notice"),
    "organization": _l("Organisation"),
    "question": _l("Question"),
    "question_bank": _l("Question bank"),
    "quiz": _l("Quiz"),
    "site": _l("Learning site"),
    "system": _l("System"),
    "user_account": _l("Member"),
}

REFUSAL_LABELS = {
    "wrong_code": _l("wrong or expired code"),
    "member_limit": _l("too many wrong codes from this member"),
    "session_limit": _l("too many wrong codes for this session"),
}

ORG_KEYS = {"org", "org_id", "parent_id", "from_parent_id", "to_parent_id"}
PATH_KEYS = {"path", "from_path", "to_path"}
USER_KEYS = {"user_id"}
ENUMS = {"kind": OrgKind, "role": Role, "category": MemberCategory, "position": PositionLevel}


def action_label(code: str) -> str:
    label = ACTION_LABELS.get(code)
    return str(label) if label is not None else _("Other action (%(code)s)", code=code)


def record_label(target_type: str) -> str:
    label = RECORD_LABELS.get(target_type)
    return str(label) if label is not None else target_type


def detail_label(key: str) -> str:
    label = DETAIL_LABELS.get(key)
    return str(label) if label is not None else key.replace("_", " ")


def ids_named(entries) -> tuple[set[int], set[int]]:
    """The organisation and member ids the entries name (by id, by path, or as their record)."""
    org_ids, user_ids = set(), set()
    for entry in entries:
        if entry.target_type == "organization" and entry.target_id:
            org_ids.add(entry.target_id)
        if entry.target_type == "user_account" and entry.target_id:
            user_ids.add(entry.target_id)
        for key, value in (entry.detail or {}).items():
            for single in (value if isinstance(value, list) else [value]):
                if key in ORG_KEYS and isinstance(single, int):
                    org_ids.add(single)
                elif key in PATH_KEYS and isinstance(single, str):
                    org_ids.update(_path_ids(single))
                elif key in USER_KEYS and isinstance(single, int):
                    user_ids.add(single)
    return org_ids, user_ids


def _path_ids(path: str) -> list[int]:
    return [int(part) for part in path.strip("/").split("/") if part.isdigit()]


def detail_value(key: str, value, names: dict) -> str:
    """One detail value in words; `names` has "orgs" and "users": {id: name}."""
    if isinstance(value, list):  # a change: [before, after]
        return " → ".join(detail_value(key, single, names) for single in value)
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if key in ORG_KEYS and isinstance(value, int):
        return names["orgs"].get(value) or _("Organisation #%(id)s", id=value)
    if key in PATH_KEYS and isinstance(value, str):
        return " › ".join(names["orgs"].get(part) or f"#{part}" for part in _path_ids(value))
    if key in USER_KEYS and isinstance(value, int):
        return names["users"].get(value) or _("Member #%(id)s", id=value)
    if key in ENUMS:
        try:
            return str(ENUMS[key](value).label)
        except ValueError:
            return str(value)
    if key == "reason" and value in REFUSAL_LABELS:
        return str(REFUSAL_LABELS[value])
    if key == "revision":
        return _("Revision %(number)s", number=value)
    return str(value)


def describe(entry, names: dict) -> dict:
    """What the page shows for one entry: the action, the record and the details in words."""
    record = record_label(entry.target_type)
    if entry.target_type == "organization" and entry.target_id in names["orgs"]:
        record = f"{record} {names['orgs'][entry.target_id]}"
    elif entry.target_type == "user_account" and entry.target_id in names["users"]:
        record = f"{record} {names['users'][entry.target_id]}"
    elif entry.target_id:
        record = f"{record} #{entry.target_id}"
    return {
        "entry": entry,
        "action": action_label(entry.action),
        "record": record,
        "details": [(detail_label(key), detail_value(key, value, names))
                    for key, value in (entry.detail or {}).items()],
    }
