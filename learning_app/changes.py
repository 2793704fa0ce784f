"""What an edit form really changes: a form saved untouched must change nothing (no new revision, no
audit entry, not even a timestamp), so services compare what was posted with what is stored first."""
from datetime import datetime

from .timezones import as_utc


def same_value(stored, posted) -> bool:
    if isinstance(stored, str) and isinstance(posted, str):
        # Browsers send a textarea's line breaks as CRLF, whichever were stored.
        return stored.replace("\r\n", "\n") == posted.replace("\r\n", "\n")
    if isinstance(stored, datetime) and isinstance(posted, datetime):
        return as_utc(stored) == as_utc(posted)
    return stored == posted


def changed_fields(stored, fields: dict) -> dict:
    """The fields whose posted value differs from the stored object's attribute of the same name."""
    return {name: value for name, value in fields.items() if not same_value(getattr(stored, name), value)}
