"""A published lesson's article, rendered once and kept by each worker process.

What it does: the lesson page shows a lesson's Markdown as HTML (markdown-it, then the nh3
sanitiser, with the course's own file addresses). The HTML of a lesson of a published revision is
kept here, per process, by the lesson row's id, so the page does not render and sanitise it again,
nor load the whole revision (every chapter, lesson and file) to learn which images it may show.

Why: bench/load.py, lesson phase, SQLite, issue 19: the lesson page answered 0.06 x the /healthz
throughput; loading the revision twice (18 statements a view) was the largest part of it, and a
realistic article adds the rendering on top.

What must hold:
- A lesson row of a published revision never changes: authors edit a copy of it
  (services.authoring.editable_revision), and publishing that copy makes new lesson rows with new
  ids, so a kept page is never stale. Guarded by tests/courses/test_rendered_lessons.py::
  test_member_sees_new_text_after_a_new_revision_is_published.
- Only lessons of the course's published revision are kept or served from here; anything else is
  rendered afresh and not kept, so an author's draft never reaches a member. Guarded by
  test_member_never_sees_the_draft_of_a_published_course and test_a_draft_lesson_is_not_kept.
- The addresses in the HTML depend on where the application is mounted: the script root is part
  of the key.
"""
from flask import current_app, request, url_for
from markupsafe import Markup

from learning_app.kept import keep

from . import queries
from .markdown import render_markdown

STORE = "courses.rendered_lessons"
# A lesson's HTML is a few kilobytes: a few megabytes per worker at most.
KEPT = 1000


def lesson_html(course, lesson) -> Markup:
    """The lesson's body as safe HTML; kept when the lesson belongs to the published revision."""
    members_see_it = lesson.revision_id == course.published_revision_id
    store = current_app.extensions.setdefault(STORE, {})
    key = (lesson.id, request.script_root)
    html = store.get(key) if members_see_it else None
    if html is None:
        html = _render(lesson, queries.revision_file_ids(queries.load_revision(lesson.revision_id)))
        if members_see_it:
            keep(store, key, html, KEPT)
    return html


def _render(lesson, file_ids) -> Markup:
    return Markup(render_markdown(lesson.body, lambda file_id: url_for("courses.serve_file", file_id=file_id),
                                  set(file_ids)))
