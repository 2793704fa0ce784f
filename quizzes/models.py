"""Question banks and questions, quizzes, attempts with their saved answers, and daily practice."""
from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from sqlalchemy import JSON, Boolean, Date, DateTime, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from courses.models import Course
from learning_app.extensions import db
from learning_app.models import LabelledEnum, Role, User, _enum_column, utcnow


class QuestionType(LabelledEnum):
    SINGLE = "single"
    MULTIPLE = "multiple"
    TRUE_FALSE = "true_false"
    FILL_BLANK = "fill_blank"
    SHORT_ANSWER = "short_answer"


QuestionType.LABELS = {"single": _l("Single choice"), "multiple": _l("Multiple choice"),
                       "true_false": _l("True or false"), "fill_blank": _l("Fill in the blank"),
                       "short_answer": _l("Short answer")}
QuestionType.ZH = {"single": "单选题", "multiple": "多选题", "true_false": "判断题", "fill_blank": "填空题",
                   "short_answer": "简答题"}
CHOICE_TYPES = {QuestionType.SINGLE, QuestionType.MULTIPLE}


class QuestionStatus(LabelledEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    PUBLISHED = "published"
    RETIRED = "retired"  # replaced by an approved new version; kept for the attempts that used it


QuestionStatus.LABELS = {"draft": _l("Draft"), "submitted": _l("Awaiting review"), "published": _l("Published"),
                         "retired": _l("Replaced")}
QuestionStatus.ZH = {"draft": "草稿", "submitted": "待审核", "published": "已发布", "retired": "已替换"}


class GradingMethod(LabelledEnum):
    HIGHEST = "highest"
    LAST = "last"


GradingMethod.LABELS = {"highest": _l("Highest attempt"), "last": _l("Last attempt")}
GradingMethod.ZH = {"highest": "取最高分", "last": "取最后一次"}


class ReviewPolicy(LabelledEnum):
    IMMEDIATELY = "immediately"
    AFTER_CLOSE = "after_close"
    NEVER = "never"


ReviewPolicy.LABELS = {"immediately": _l("Right after submitting"),
                       "after_close": _l("After the quiz closes"), "never": lazy_pgettext("show answers", "Never")}
ReviewPolicy.ZH = {"immediately": "提交后立即", "after_close": "测验关闭后", "never": "不显示"}


class AttemptStatus(LabelledEnum):
    IN_PROGRESS = "in_progress"
    AWAITING_GRADING = "awaiting_grading"  # short answers wait for a person
    GRADED = "graded"


AttemptStatus.LABELS = {"in_progress": _l("In progress"), "awaiting_grading": _l("Awaiting grading"),
                        "graded": _l("Graded")}
AttemptStatus.ZH = {"in_progress": "作答中", "awaiting_grading": "待阅卷", "graded": "已评分"}


class QuestionBank(db.Model):
    __tablename__ = "question_bank"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    # ",full,probationary," sets as on courses: who gets this bank's questions in daily practice.
    audience_categories: Mapped[str] = mapped_column(String(100), default="")
    audience_positions: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    owner: Mapped[User] = relationship()

    def __repr__(self):
        return f"<QuestionBank {self.id} {self.name!r}>"

    def can_edit(self, user) -> bool:
        return user.is_admin or (self.owner_id == user.id and user.has_role(Role.AUTHOR))


class Question(db.Model):
    __tablename__ = "question"

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("question_bank.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    type: Mapped[QuestionType] = _enum_column(QuestionType)
    status: Mapped[QuestionStatus] = _enum_column(QuestionStatus, default=QuestionStatus.DRAFT, index=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    stem: Mapped[str] = mapped_column(Text)
    options: Mapped[list] = mapped_column(JSON, default=list)  # [{"key", "text", "weight"}]
    answer: Mapped[object] = mapped_column(JSON)  # never sent to a browser before grading
    partial_credit: Mapped[bool] = mapped_column(Boolean, default=False)
    explanation: Mapped[str] = mapped_column(Text, default="")
    points: Mapped[float] = mapped_column(Float, default=1.0)
    review_comment: Mapped[str] = mapped_column(Text, default="")
    # A published question is never changed in place: an edit is a new draft that replaces it once approved.
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("question.id"))
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    bank: Mapped[QuestionBank] = relationship()
    tags: Mapped[list[QuestionTag]] = relationship(cascade="all, delete-orphan", lazy="selectin")

    def __repr__(self):
        return f"<Question {self.id} {self.type.value}>"

    @property
    def tag_names(self) -> list[str]:
        return sorted(tag.name for tag in self.tags)


class QuestionTag(db.Model):
    __tablename__ = "question_tag"
    __table_args__ = (UniqueConstraint("question_id", "name", name="uq_question_tag_question_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(60), index=True)


class Quiz(db.Model):
    """A course's final exam or a standalone test."""
    __tablename__ = "quiz"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    owner_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    # A final exam belongs to a course; a standalone test is open to an organisation's subtree.
    course_id: Mapped[int | None] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"), index=True)
    is_published: Mapped[bool] = mapped_column(Boolean, default=False)
    time_limit_minutes: Mapped[int | None] = mapped_column(Integer)
    opens_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closes_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    max_attempts: Mapped[int | None] = mapped_column(Integer)
    pass_percent: Mapped[float] = mapped_column(Float, default=60.0)
    grading_method: Mapped[GradingMethod] = _enum_column(GradingMethod, default=GradingMethod.HIGHEST)
    review_policy: Mapped[ReviewPolicy] = _enum_column(ReviewPolicy, default=ReviewPolicy.IMMEDIATELY)
    shuffle_questions: Mapped[bool] = mapped_column(Boolean, default=True)
    shuffle_options: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    course: Mapped[Course | None] = relationship()
    org = relationship("Organization")
    items: Mapped[list[QuizItem]] = relationship(order_by="QuizItem.position", cascade="all, delete-orphan",
                                                 lazy="selectin")

    def __repr__(self):
        return f"<Quiz {self.id} {self.title!r}>"

    def can_edit(self, user) -> bool:
        return user.is_admin or (self.owner_id == user.id and user.has_role(Role.AUTHOR))


class QuizItem(db.Model):
    """A fixed question, or a random draw of `draw_count` published questions tagged `tag` from a bank."""
    __tablename__ = "quiz_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quiz.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    question_id: Mapped[int | None] = mapped_column(ForeignKey("question.id"))
    bank_id: Mapped[int | None] = mapped_column(ForeignKey("question_bank.id"))
    tag: Mapped[str | None] = mapped_column(String(60))
    draw_count: Mapped[int] = mapped_column(Integer, default=1)

    question: Mapped[Question | None] = relationship()
    bank: Mapped[QuestionBank | None] = relationship()


class Attempt(db.Model):
    __tablename__ = "attempt"
    __table_args__ = (
        UniqueConstraint("quiz_id", "user_id", "number", name="uq_attempt_number"),
        # open_slot is 1 while in progress and NULL after: at most one open attempt per member and quiz.
        UniqueConstraint("quiz_id", "user_id", "open_slot", name="uq_attempt_open"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quiz.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    status: Mapped[AttemptStatus] = _enum_column(AttemptStatus, default=AttemptStatus.IN_PROGRESS, index=True)
    open_slot: Mapped[int | None] = mapped_column(Integer, default=1)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    deadline_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    score: Mapped[float | None] = mapped_column(Float)
    max_score: Mapped[float] = mapped_column(Float, default=0.0)
    passed: Mapped[bool | None] = mapped_column(Boolean)

    quiz: Mapped[Quiz] = relationship()
    user: Mapped[User] = relationship()
    answers: Mapped[list[AttemptAnswer]] = relationship(order_by="AttemptAnswer.position",
                                                        cascade="all, delete-orphan")

    def __repr__(self):
        return f"<Attempt {self.id} quiz={self.quiz_id} user={self.user_id} {self.status.value}>"

    @property
    def percent(self) -> float | None:
        if self.score is None or not self.max_score:
            return None
        return round(100 * self.score / self.max_score, 1)


class AttemptAnswer(db.Model):
    """One question of an attempt: a snapshot of it as asked (order fixed at start) and the saved response."""
    __tablename__ = "attempt_answer"
    __table_args__ = (UniqueConstraint("attempt_id", "position", name="uq_attempt_answer_position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempt.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id"), index=True)
    # The options in the order shown, as [original key, ...]; the member sees them relabelled A, B, C.
    option_order: Mapped[list] = mapped_column(JSON, default=list)
    response: Mapped[object | None] = mapped_column(JSON)  # in original option keys
    saved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    score: Mapped[float | None] = mapped_column(Float)
    points: Mapped[float] = mapped_column(Float, default=1.0)
    graded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    feedback: Mapped[str] = mapped_column(Text, default="")

    question: Mapped[Question] = relationship(lazy="joined")


class PracticeDay(db.Model):
    """每日一练: the member's five questions of a day, their answers and points (visible to them alone)."""
    __tablename__ = "practice_day"
    __table_args__ = (UniqueConstraint("user_id", "day", name="uq_practice_day_user_day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    day: Mapped[date] = mapped_column(Date)
    question_ids: Mapped[list] = mapped_column(JSON, default=list)
    responses: Mapped[dict] = mapped_column(JSON, default=dict)  # question id (str) -> response
    correct: Mapped[int] = mapped_column(Integer, default=0)
    points: Mapped[int] = mapped_column(Integer, default=0)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
