"""Who may edit, review, learn from and download what: load-and-authorise helpers."""
import functools

from flask import abort
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from learning_app.extensions import db
from learning_app.models import Role

from . import queries
from .models import Course, StoredFile


def get_course_or_404(course_id: int) -> Course:
    course = db.session.get(Course, course_id)
    if course is None:
        abort(404)
    return course


def get_course_for_edit(course_id: int, user) -> Course:
    course = get_course_or_404(course_id)
    if not course.can_edit(user):
        abort(403)
    return course


def get_course_for_review(course_id: int, user) -> Course:
    course = get_course_or_404(course_id)
    if not (course.can_edit(user) or user.has_role(Role.REVIEWER)):
        abort(403)
    return course


def can_learn(user, course: Course) -> bool:
    """Published, and either assigned to the member or meant for their audience."""
    if course.published is None or not user.is_member:
        return False
    if course.published.suits(user):
        return True
    return queries.course_assigned_to(user, course.id)


@functools.cache
def _course_with_published():
    # With its published revision, which every learning page reads, in the same statement; built
    # once, as building it costs about as much as running it.
    return select(Course).options(joinedload(Course.published)).where(Course.id == bindparam("course_id"))


def get_course_for_learning(course_id: int, user) -> Course:
    course = db.session.scalar(_course_with_published(), {"course_id": course_id})
    if course is None:
        abort(404)
    if not can_learn(user, course):
        abort(404)
    return course


def can_download(user, stored: StoredFile) -> bool:
    """Authors, admins and reviewers see every file of a course; learners those the published revision shows."""
    course = db.session.get(Course, stored.course_id)
    if course is None:
        return False
    if course.can_edit(user) or user.has_role(Role.REVIEWER):
        return True
    return (can_learn(user, course)
            and stored.id in queries.revision_file_ids(queries.load_revision(course.published_revision_id)))


def get_file_or_404(file_id: int, user) -> StoredFile:
    stored = db.session.get(StoredFile, file_id)
    if stored is None or not can_download(user, stored):
        abort(404)
    return stored
