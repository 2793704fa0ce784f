"""Courses and their revisions, material files, assignments, learning progress and the study-hours ledger."""
from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    cast,
    literal,
    or_,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.sql.expression import ColumnElement

from learning_app.extensions import db
from learning_app.models import LabelledEnum, Role, User, _enum_column, utcnow

# Audience sets (which member categories or positions an assignment, a course revision or a question bank
# is meant for) are stored as text ",full,activist,": every value between commas, so "is x in the set" is
# one LIKE "%,x,%" in SQL; "" means everyone. These are the only functions that read or write that form.

def encode_set(values) -> str:
    """["full", "activist"] -> ",full,activist,"; nothing chosen (everyone) -> ""."""
    values = sorted({getattr(v, "value", v) for v in values or ()})
    return f",{','.join(values)}," if values else ""


def decode_set(text: str) -> list[str]:
    return [part for part in (text or "").split(",") if part]


def in_set(text: str, member) -> bool:
    return not text or f",{getattr(member, 'value', member)}," in text


def set_pattern(value) -> str:
    """The LIKE pattern of one value, for set_matches() (as a bound parameter of a cached statement)."""
    return f"%,{getattr(value, 'value', value)},%"


def set_matches(column, pattern):
    """SQL for in_set() given a pattern from set_pattern(): the set is empty (everyone) or holds the value."""
    return or_(column == "", column.like(pattern))


def set_contains(column, value):
    """SQL for in_set(column, value); value is a Python value, or a SQL expression such as User.category."""
    if isinstance(value, ColumnElement) or hasattr(value, "__clause_element__"):
        return set_matches(column, literal("%,") + cast(value, String) + literal(",%"))
    return set_matches(column, set_pattern(value))


class RevisionStatus(LabelledEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    PUBLISHED = "published"
    SUPERSEDED = "superseded"


RevisionStatus.LABELS = {"draft": _l("Draft"), "submitted": _l("Awaiting review"),
                         "published": _l("Published"), "superseded": _l("Superseded")}
RevisionStatus.ZH = {"draft": "草稿", "submitted": "待审核", "published": "已发布", "superseded": "已被替代"}


class LessonKind(LabelledEnum):
    ARTICLE = "article"
    VIDEO = "video"
    AUDIO = "audio"
    DOCUMENT = "document"
    IMAGES = "images"
    ATTACHMENT = "attachment"


LessonKind.LABELS = {"article": _l("Article"), "video": _l("Video"), "audio": _l("Audio"),
                     "document": _l("PDF document"), "images": _l("Image set"), "attachment": _l("Download")}
LessonKind.ZH = {"article": "图文", "video": "视频", "audio": "音频", "document": "PDF 文档",
                 "images": "图集", "attachment": "附件下载"}
MEDIA_KINDS = {LessonKind.VIDEO, LessonKind.AUDIO}


class FileKind(LabelledEnum):
    IMAGE = "image"
    AUDIO = "audio"
    VIDEO = "video"
    PDF = "pdf"
    OFFICE = "office"


FileKind.LABELS = {"image": _l("Image"), "audio": _l("Audio"), "video": _l("Video"), "pdf": _l("PDF"),
                   "office": _l("Office document")}
FileKind.ZH = {"image": "图片", "audio": "音频", "video": "视频", "pdf": "PDF", "office": "办公文档"}


class EnrolmentSource(LabelledEnum):
    ASSIGNED = "assigned"
    ELECTIVE = "elective"


EnrolmentSource.LABELS = {"assigned": _l("Assigned"), "elective": _l("Elective")}
EnrolmentSource.ZH = {"assigned": "指派", "elective": "选学"}


class Course(db.Model):
    """A course's identity; what members and reviewers see lives in its revisions."""
    __tablename__ = "course"

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # The revision members see, and the one authors are working on (draft or in review).
    published_revision_id: Mapped[int | None] = mapped_column(
        ForeignKey("course_revision.id", use_alter=True, name="fk_course_published_revision"))
    working_revision_id: Mapped[int | None] = mapped_column(
        ForeignKey("course_revision.id", use_alter=True, name="fk_course_working_revision"))

    author: Mapped[User] = relationship()
    published: Mapped[CourseRevision | None] = relationship(foreign_keys=[published_revision_id],
                                                            post_update=True)
    working: Mapped[CourseRevision | None] = relationship(foreign_keys=[working_revision_id], post_update=True)

    def __repr__(self):
        return f"<Course {self.id}>"

    @property
    def latest(self) -> CourseRevision:
        return self.working or self.published

    def can_edit(self, user) -> bool:
        return user.is_admin or (self.author_id == user.id and user.has_role(Role.AUTHOR))

    def can_review(self, user) -> bool:
        """Reviewers review others' courses: nobody approves their own work (先审后发)."""
        return user.has_role(Role.REVIEWER) and self.author_id != user.id


class CourseRevision(db.Model):
    __tablename__ = "course_revision"
    __table_args__ = (UniqueConstraint("course_id", "number", name="uq_course_revision_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[RevisionStatus] = _enum_column(RevisionStatus, default=RevisionStatus.DRAFT, index=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    cover_file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_file.id"))
    tags: Mapped[list] = mapped_column(JSON, default=list)
    # ",full,probationary," style sets (empty: everyone), so SQL can test membership with LIKE.
    audience_categories: Mapped[str] = mapped_column(String(100), default="")
    audience_positions: Mapped[str] = mapped_column(String(100), default="")
    hours: Mapped[Decimal] = mapped_column(Numeric(5, 1), default=Decimal("1.0"))
    # Share of a video or audio lesson that must be played, and seconds on an article or PDF.
    media_completion_ratio: Mapped[float] = mapped_column(Float, default=0.9)
    reading_seconds: Mapped[int] = mapped_column(Integer, default=60)
    required_base_sessions: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    course: Mapped[Course] = relationship(foreign_keys=[course_id])
    cover: Mapped[StoredFile | None] = relationship(foreign_keys=[cover_file_id])
    chapters: Mapped[list[Chapter]] = relationship(back_populates="revision", order_by="Chapter.position",
                                                   cascade="all, delete-orphan")

    def __repr__(self):
        return f"<CourseRevision {self.course_id}.{self.number} {self.status.value}>"

    @property
    def lessons(self) -> list[Lesson]:
        return [lesson for chapter in self.chapters for lesson in chapter.lessons]

    def suits(self, user) -> bool:
        """Whether the course's audience includes this member."""
        return in_set(self.audience_categories, user.category) and in_set(self.audience_positions, user.position)


class Chapter(db.Model):
    __tablename__ = "chapter"

    id: Mapped[int] = mapped_column(primary_key=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("course_revision.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(200))

    revision: Mapped[CourseRevision] = relationship(back_populates="chapters")
    lessons: Mapped[list[Lesson]] = relationship(back_populates="chapter", order_by="Lesson.position",
                                                 cascade="all, delete-orphan")

    def __repr__(self):
        return f"<Chapter {self.id} {self.title!r}>"


def _new_key():
    return uuid.uuid4().hex


class Lesson(db.Model):
    __tablename__ = "lesson"

    id: Mapped[int] = mapped_column(primary_key=True)
    chapter_id: Mapped[int] = mapped_column(ForeignKey("chapter.id", ondelete="CASCADE"), index=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("course_revision.id", ondelete="CASCADE"), index=True)
    # Stays the same across revisions, so a member's progress survives a republication.
    key: Mapped[str] = mapped_column(String(32), default=_new_key, index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[LessonKind] = _enum_column(LessonKind)
    body: Mapped[str] = mapped_column(Text, default="")  # Markdown: the article, or notes beside media
    file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_file.id"))
    duration_seconds: Mapped[int | None] = mapped_column(Integer)
    required: Mapped[bool] = mapped_column(Boolean, default=True)

    chapter: Mapped[Chapter] = relationship(back_populates="lessons")
    file: Mapped[StoredFile | None] = relationship(lazy="joined")
    extra_files: Mapped[list[LessonFile]] = relationship(order_by="LessonFile.position",
                                                         cascade="all, delete-orphan")

    def __repr__(self):
        return f"<Lesson {self.id} {self.kind.value} {self.title!r}>"

    @property
    def is_media(self):
        return self.kind in MEDIA_KINDS


class LessonFile(db.Model):
    """The pictures of an image set, or the files offered for download beside a lesson."""
    __tablename__ = "lesson_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lesson.id", ondelete="CASCADE"), index=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("stored_file.id"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    caption: Mapped[str] = mapped_column(String(200), default="")

    file: Mapped[StoredFile] = relationship(lazy="joined")


class StoredFile(db.Model):
    """An uploaded file: kept under a random name outside static/, immutable once stored."""
    __tablename__ = "stored_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    uploader_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    storage_name: Mapped[str] = mapped_column(String(64), unique=True)
    original_name: Mapped[str] = mapped_column(String(255))
    kind: Mapped[FileKind] = _enum_column(FileKind)
    mime_type: Mapped[str] = mapped_column(String(100))
    extension: Mapped[str] = mapped_column(String(10))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    duration_seconds: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    def __repr__(self):
        return f"<StoredFile {self.id} {self.kind.value} {self.original_name!r}>"


class ReviewEvent(db.Model):
    """One step of a course's history: created, submitted, approved, returned, new revision."""
    __tablename__ = "review_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("course_revision.id", ondelete="CASCADE"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    action: Mapped[str] = mapped_column(String(30))
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    actor: Mapped[User | None] = relationship(lazy="joined")
    revision: Mapped[CourseRevision] = relationship()


class Assignment(db.Model):
    """A course assigned to an organisation node's whole subtree, optionally narrowed."""
    __tablename__ = "assignment"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    categories: Mapped[str] = mapped_column(String(100), default="")  # ",full,": see encode_set
    positions: Mapped[str] = mapped_column(String(100), default="")
    required: Mapped[bool] = mapped_column(Boolean, default=True)
    deadline: Mapped[date | None] = mapped_column(Date)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)

    course: Mapped[Course] = relationship()
    org = relationship("Organization", lazy="joined")
    assigned_by: Mapped[User | None] = relationship()


class Enrolment(db.Model):
    """A member's relation to a course: chosen as an elective or opened from an assignment."""
    __tablename__ = "enrolment"
    __table_args__ = (UniqueConstraint("user_id", "course_id", name="uq_enrolment_user_course"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    source: Mapped[EnrolmentSource] = _enum_column(EnrolmentSource, default=EnrolmentSource.ELECTIVE)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    lessons_done: Mapped[int] = mapped_column(Integer, default=0)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    course: Mapped[Course] = relationship()


class LessonProgress(db.Model):
    """How far a member got in one lesson; credited seconds never outrun the wall clock."""
    __tablename__ = "lesson_progress"
    __table_args__ = (UniqueConstraint("user_id", "lesson_key", name="uq_lesson_progress_user_lesson"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    lesson_key: Mapped[str] = mapped_column(String(32))
    credited_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    position_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_report_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Each page view gets a token; only the newest one earns time (no two tabs doubling it).
    view_token: Mapped[str | None] = mapped_column(String(32))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class StudyClock(db.Model):
    """One clock per member (一人一钟): the moment up to which the member's study time is credited.

    A member studies one thing at a time, so every credit of media or reading time, in any tab, lesson
    or course, is taken from this one clock and moves it on: parallel lessons never earn more than the
    wall clock. Its row is locked by every progress report, which also puts a member's reports in a
    line (courses.services.learning)."""
    __tablename__ = "study_clock"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True,
                                         autoincrement=False)
    credited_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    def __repr__(self):
        return f"<StudyClock {self.user_id} {self.credited_until}>"


class StudyHoursEntry(db.Model):
    """One credit of study hours (学时) with its source: the ledger every figure traces back to."""
    __tablename__ = "study_hours_entry"
    __table_args__ = (
        UniqueConstraint("user_id", "source_type", "source_id", name="uq_study_hours_source"),
        # A member's year: without it SQLite picks the year index and reads the whole year's ledger.
        # With the constraint above it also serves every lookup by member alone: no index of its own.
        Index("ix_study_hours_entry_user_id_year", "user_id", "year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    year: Mapped[int] = mapped_column(Integer, index=True)
    hours: Mapped[Decimal] = mapped_column(Numeric(5, 1))
    source_type: Mapped[str] = mapped_column(String(30))  # course, base_session, collective_study
    source_id: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    credited_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class PageVersion(db.Model):
    """Counters that say when a member's learning page must be rendered again (courses.page_cache):
    one per member (scope = their user id) and one for what every member's page shares (scope 0)."""
    __tablename__ = "page_version"

    scope: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(Integer, default=0)
