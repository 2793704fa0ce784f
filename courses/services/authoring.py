"""Authoring: courses, chapters, lessons and their files. Only a draft revision can change."""
from __future__ import annotations

from decimal import Decimal

from flask_babel import gettext as _

from learning_app.audit.services import record_audit
from learning_app.changes import changed_fields
from learning_app.extensions import db
from learning_app.transactions import RuleError

from ..models import (
    Chapter,
    Course,
    CourseRevision,
    FileKind,
    Lesson,
    LessonFile,
    LessonKind,
    ReviewEvent,
    RevisionStatus,
    StoredFile,
)
from ..uploads import SavedUpload

REVISION_FIELDS = ("title", "summary", "tags", "audience_categories", "audience_positions", "hours",
                   "media_completion_ratio", "reading_seconds", "required_base_sessions")
LESSON_FILE_KINDS = {
    LessonKind.VIDEO: {FileKind.VIDEO},
    LessonKind.AUDIO: {FileKind.AUDIO},
    LessonKind.DOCUMENT: {FileKind.PDF},
    LessonKind.IMAGES: {FileKind.IMAGE},
    LessonKind.ATTACHMENT: {FileKind.PDF, FileKind.OFFICE, FileKind.IMAGE, FileKind.AUDIO, FileKind.VIDEO},
    LessonKind.ARTICLE: {FileKind.IMAGE},
}


class AuthoringError(RuleError):
    """A change the authoring rules forbid; the message is for the user."""


def log_event(course: Course, revision: CourseRevision, actor, action: str, comment: str = "") -> None:
    db.session.add(ReviewEvent(course_id=course.id, revision_id=revision.id,
                               actor_id=getattr(actor, "id", None), action=action, comment=comment))
    record_audit(actor, f"course.{action}", course, {"revision": revision.number, "comment": comment[:200]})


def create_course(author, title: str, **fields) -> Course:
    """A new course with its first draft revision."""
    course = Course(author_id=author.id)
    db.session.add(course)
    db.session.flush()
    revision = CourseRevision(course_id=course.id, number=1, title=title.strip(), status=RevisionStatus.DRAFT)
    _apply_fields(revision, fields)
    db.session.add(revision)
    db.session.flush()
    course.working = revision
    log_event(course, revision, author, "create")
    db.session.flush()
    return course


def _apply_fields(revision: CourseRevision, fields: dict) -> None:
    for name, value in fields.items():
        if name not in REVISION_FIELDS:
            raise TypeError(f"unknown course field {name}")
        if name == "hours":
            value = Decimal(str(value))
        setattr(revision, name, value)


def editable_revision(course: Course, actor) -> CourseRevision:
    """The draft to change: the working draft, or a new revision copied from the published one.

    Members keep seeing the published revision untouched until the new one is approved.
    """
    working = course.working
    if working is not None:
        if working.status != RevisionStatus.DRAFT:
            raise AuthoringError(_("The course is awaiting review and cannot be changed now. "
                                   "Withdraw it from review first."))
        return working
    source = course.published
    draft = CourseRevision(course_id=course.id, number=source.number + 1, status=RevisionStatus.DRAFT,
                           title=source.title, cover_file_id=source.cover_file_id,
                           **{name: getattr(source, name) for name in REVISION_FIELDS if name != "title"})
    db.session.add(draft)
    db.session.flush()
    for chapter in source.chapters:
        copy = Chapter(revision_id=draft.id, position=chapter.position, title=chapter.title)
        db.session.add(copy)
        db.session.flush()
        for lesson in chapter.lessons:
            new = Lesson(chapter_id=copy.id, revision_id=draft.id, key=lesson.key, position=lesson.position,
                         title=lesson.title, kind=lesson.kind, body=lesson.body, file_id=lesson.file_id,
                         duration_seconds=lesson.duration_seconds, required=lesson.required)
            new.extra_files = [LessonFile(file_id=f.file_id, position=f.position, caption=f.caption)
                               for f in lesson.extra_files]
            db.session.add(new)
    course.working = draft
    log_event(course, draft, actor, "new_revision")
    db.session.flush()
    return draft


def update_course(course: Course, actor, **fields) -> CourseRevision:
    """Change the course's settings in its draft; settings equal to the latest revision's change nothing
    (a form saved untouched opens no new revision of a published course)."""
    if "hours" in fields:
        fields["hours"] = Decimal(str(fields["hours"]))
    changes = changed_fields(course.latest, fields)
    if not changes:
        return course.latest
    revision = editable_revision(course, actor)
    _apply_fields(revision, changes)
    db.session.flush()
    return revision


def set_cover(course: Course, actor, stored: StoredFile | None) -> None:
    if stored is not None and (stored.course_id != course.id or stored.kind != FileKind.IMAGE):
        raise AuthoringError(_("The cover must be an image uploaded to this course."))
    editable_revision(course, actor).cover_file_id = stored.id if stored else None
    db.session.flush()


def add_chapter(course: Course, actor, title: str) -> Chapter:
    revision = editable_revision(course, actor)
    chapter = Chapter(revision_id=revision.id, title=title.strip(), position=len(revision.chapters))
    revision.chapters.append(chapter)
    db.session.flush()
    return chapter


def _chapter_in_draft(course, actor, chapter_key: int) -> Chapter:
    """A chapter of the draft, found by its position so that ids from an older revision still work."""
    revision = editable_revision(course, actor)
    for chapter in revision.chapters:
        if chapter.position == chapter_key:
            return chapter
    raise AuthoringError(_("There is no such chapter."))


def delete_chapter(course: Course, actor, chapter_position: int) -> None:
    chapter = _chapter_in_draft(course, actor, chapter_position)
    revision = chapter.revision
    revision.chapters.remove(chapter)
    _renumber(revision.chapters)
    db.session.flush()


def move_chapter(course: Course, actor, chapter_position: int, offset: int) -> None:
    chapter = _chapter_in_draft(course, actor, chapter_position)
    _shift(chapter.revision.chapters, chapter, offset)
    db.session.flush()


def _renumber(items) -> None:
    for position, item in enumerate(items):
        item.position = position


def _shift(items: list, item, offset: int) -> None:
    ordered = sorted(items, key=lambda x: x.position)
    index = ordered.index(item)
    target = max(0, min(len(ordered) - 1, index + offset))
    ordered.insert(target, ordered.pop(index))
    _renumber(ordered)


def lesson_in_draft(course: Course, actor, lesson_key: str) -> Lesson:
    revision = editable_revision(course, actor)
    for lesson in revision.lessons:
        if lesson.key == lesson_key:
            return lesson
    raise AuthoringError(_("There is no such lesson."))


def add_lesson(course: Course, actor, chapter_position: int, title: str, kind: LessonKind,
               body: str = "", required: bool = True) -> Lesson:
    chapter = _chapter_in_draft(course, actor, chapter_position)
    lesson = Lesson(revision_id=chapter.revision_id, title=title.strip(), kind=kind, body=body or "",
                    required=required, position=len(chapter.lessons))
    chapter.lessons.append(lesson)
    db.session.flush()
    return lesson


def update_lesson(course: Course, actor, lesson_key: str, **fields) -> Lesson:
    """Change a lesson in the draft; values equal to the latest revision's change nothing."""
    # A blank duration keeps the one read from the file.
    fields = {name: value for name, value in fields.items()
              if name in ("title", "body", "required", "duration_seconds")
              and not (name == "duration_seconds" and value is None)}
    current = next((lesson for lesson in course.latest.lessons if lesson.key == lesson_key), None)
    if current is not None and not changed_fields(current, fields):
        return current
    lesson = lesson_in_draft(course, actor, lesson_key)
    for name, value in fields.items():
        setattr(lesson, name, value)
    db.session.flush()
    return lesson


def delete_lesson(course: Course, actor, lesson_key: str) -> None:
    lesson = lesson_in_draft(course, actor, lesson_key)
    chapter = lesson.chapter
    chapter.lessons.remove(lesson)
    _renumber(chapter.lessons)
    db.session.flush()


def move_lesson(course: Course, actor, lesson_key: str, offset: int) -> None:
    lesson = lesson_in_draft(course, actor, lesson_key)
    _shift(lesson.chapter.lessons, lesson, offset)
    db.session.flush()


def record_file(course: Course, actor, saved: SavedUpload, original_name: str) -> StoredFile:
    """Register a file saved by `uploads.save_upload` as belonging to the course."""
    stored = StoredFile(course_id=course.id, uploader_id=actor.id, storage_name=saved.storage_name,
                        original_name=_safe_name(original_name), kind=saved.recognised.kind,
                        mime_type=saved.recognised.mime_type, extension=saved.recognised.extension,
                        size=saved.size, sha256=saved.sha256, duration_seconds=saved.duration_seconds)
    db.session.add(stored)
    db.session.flush()
    return stored


def _safe_name(name: str) -> str:
    """Keep only the last path component and drop control characters: names are shown, never used as paths."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable())
    return (name or "file")[:200]


def attach_file(course: Course, actor, lesson_key: str, stored: StoredFile, caption: str = "") -> Lesson:
    """Set the lesson's main file (video, audio, PDF) or add to its image set or downloads."""
    lesson = lesson_in_draft(course, actor, lesson_key)
    if stored.course_id != course.id:
        raise AuthoringError(_("That file belongs to another course."))
    if stored.kind not in LESSON_FILE_KINDS[lesson.kind]:
        raise AuthoringError(_("A %(kind)s lesson cannot use a %(file_kind)s file.",
                               kind=lesson.kind.label, file_kind=stored.kind.label))
    if lesson.kind in (LessonKind.VIDEO, LessonKind.AUDIO, LessonKind.DOCUMENT):
        lesson.file_id = stored.id
        if stored.duration_seconds:
            lesson.duration_seconds = stored.duration_seconds
    else:
        lesson.extra_files.append(LessonFile(file_id=stored.id, position=len(lesson.extra_files),
                                             caption=caption[:200]))
    db.session.flush()
    return lesson
