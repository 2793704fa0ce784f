"""Turning a lesson's Markdown into safe HTML with the course's own file addresses."""
from flask import url_for
from markupsafe import Markup

from ..markdown import render_markdown
from ..queries import files_of_course


def lesson_html(course, revision, lesson, file_ids=None) -> Markup:
    if file_ids is None:
        file_ids = {f.id for f in files_of_course(course.id)}
    return Markup(render_markdown(lesson.body, lambda file_id: url_for("courses.serve_file", file_id=file_id),
                                  file_ids))
