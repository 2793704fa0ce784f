"""Who may edit, review, learn from, assign and download what: load-and-authorise helpers
(the style: learning_app/permissions.py)."""
import functools

from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from learning_app.extensions import db
from learning_app.models import Role
from learning_app.permissions import Need, authorise

from . import queries
from .models import Assignment, Course, StoredFile


def _may_review(user, course: Course) -> bool:
    return course.can_edit(user) or user.has_role(Role.REVIEWER)


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


COURSE_NEEDS = {
    "edit": Need(lambda user, course: course.can_edit(user)),
    "review": Need(_may_review),
    "learn": Need(can_learn, 404),  # a course outside the member's audience does not show
    "assign": (Need(lambda user, course: course.published is not None, 404),
               Need(lambda user, course: user.manages_people)),
}


def get_course_or_404(course_id: int, user=None, need: str | None = None) -> Course:
    """The course, if `user` may do what `need` names (COURSE_NEEDS); 404 or 403 otherwise."""
    if need == "learn":
        course = db.session.scalar(_course_with_published(), {"course_id": course_id})
    else:
        course = db.session.get(Course, course_id)
    return authorise(course, user, need, COURSE_NEEDS)


def can_download(user, stored: StoredFile) -> bool:
    """Authors, admins and reviewers see every file of a course; learners those the published revision shows."""
    course = db.session.get(Course, stored.course_id)
    if course is None:
        return False
    if course.can_edit(user) or user.has_role(Role.REVIEWER):
        return True
    return (can_learn(user, course)
            and stored.id in queries.revision_file_ids(queries.load_revision(course.published_revision_id)))


def get_file_or_404(file_id: int, user, need: str = "download") -> StoredFile:
    return authorise(db.session.get(StoredFile, file_id), user, need, {"download": Need(can_download, 404)})


def get_assignment_or_404(assignment_id: int, user, need: str = "withdraw") -> Assignment:
    """An assignment of the viewer's subtree (404 for one outside it)."""
    return authorise(db.session.get(Assignment, assignment_id), user, need,
                     {"withdraw": Need(lambda user, assignment: user.can_see_org(assignment.org), 404)})
