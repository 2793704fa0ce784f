"""Free-text search in SQL: user input is matched literally, never as LIKE wildcards."""

ESCAPE = "\\"


def contains_pattern(text: str) -> str:
    """A LIKE pattern (use with escape=ESCAPE) matching values that contain `text`."""
    escaped = text.strip().replace(ESCAPE, ESCAPE * 2).replace("%", ESCAPE + "%").replace("_", ESCAPE + "_")
    return f"%{escaped}%"
