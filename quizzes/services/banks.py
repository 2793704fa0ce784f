"""Question banks and questions; questions pass review before members see them (先审后发)."""
from types import SimpleNamespace

from flask_babel import gettext as _
from sqlalchemy import select

from learning_app.audit.services import record_audit
from learning_app.changes import changed_fields
from learning_app.extensions import db
from learning_app.models import Role, utcnow
from learning_app.transactions import RuleError

from ..importers import ParsedQuestion
from ..models import Question, QuestionBank, QuestionStatus, QuestionTag, QuestionType


class QuestionRuleError(RuleError):
    """A change the rules forbid; the message is for the user."""


def create_bank(owner, name: str, description: str = "", audience_categories: str = "",
                audience_positions: str = "") -> QuestionBank:
    name = name.strip()
    if db.session.scalar(select(QuestionBank.id).where(QuestionBank.name == name)):
        raise QuestionRuleError(_("A question bank named “%(name)s” already exists.", name=name))
    bank = QuestionBank(name=name, owner_id=owner.id, description=description.strip(),
                        audience_categories=audience_categories, audience_positions=audience_positions)
    db.session.add(bank)
    db.session.flush()
    record_audit(owner, "bank.create", bank, {"name": name})
    return bank


def bank_by_name(name: str) -> QuestionBank | None:
    return db.session.scalar(select(QuestionBank).where(QuestionBank.name == name.strip()))


def _set_tags(question: Question, names) -> None:
    wanted = {name.strip()[:60] for name in names or () if name and name.strip()}
    question.tags = [tag for tag in question.tags if tag.name in wanted]
    have = {tag.name for tag in question.tags}
    question.tags.extend(QuestionTag(name=name) for name in sorted(wanted - have))


def add_question(author, bank: QuestionBank, parsed: ParsedQuestion) -> Question:
    question = Question(bank_id=bank.id, author_id=author.id if author else None, type=QuestionType(parsed.type),
                        title=parsed.title[:200], stem=parsed.stem, options=parsed.options, answer=parsed.answer,
                        partial_credit=parsed.partial_credit, explanation=parsed.explanation,
                        status=QuestionStatus.DRAFT)
    _set_tags(question, parsed.tags)
    db.session.add(question)
    db.session.flush()
    return question


def import_parsed(author, bank: QuestionBank, parsed: list[ParsedQuestion], source: str) -> list[Question]:
    """Add every parsed question as a draft, in the caller's transaction (all or nothing)."""
    questions = [add_question(author, bank, item) for item in parsed]
    record_audit(author, "bank.import", bank, {"source": source, "questions": len(questions)})
    return questions


def _same_content(question: Question, parsed: ParsedQuestion) -> bool:
    stored = {"type": question.type.value, "title": question.title, "stem": question.stem,
              "options": question.options, "answer": question.answer, "partial_credit": question.partial_credit,
              "explanation": question.explanation or "", "tags": question.tag_names}
    posted = {"type": parsed.type, "title": parsed.title[:200], "stem": parsed.stem, "options": parsed.options,
              "answer": parsed.answer, "partial_credit": parsed.partial_credit,
              "explanation": parsed.explanation or "",
              "tags": sorted({tag.strip()[:60] for tag in parsed.tags if tag and tag.strip()})}
    return not changed_fields(SimpleNamespace(**stored), posted)


def edit_question(author, question: Question, parsed: ParsedQuestion) -> Question:
    """Change a draft in place; a published question gets a new draft that replaces it once approved.
    The same content changes nothing (a form saved untouched opens no new version)."""
    if _same_content(question, parsed):
        return question
    if question.status == QuestionStatus.PUBLISHED:
        question = locked_question(question.id)  # two edits at once: the second finds the first's draft
    if question.status == QuestionStatus.SUBMITTED:
        raise QuestionRuleError(_("The question is awaiting review; it cannot be changed now."))
    if question.status == QuestionStatus.RETIRED:
        raise QuestionRuleError(_("This question has been replaced by a newer version."))
    if question.status == QuestionStatus.PUBLISHED:
        # One pending new version per question: two could both be approved, and the second would
        # silently undo the first.
        pending = db.session.scalar(select(Question).where(
            Question.replaces_id == question.id,
            Question.status.in_([QuestionStatus.DRAFT, QuestionStatus.SUBMITTED])).order_by(Question.id).limit(1))
        if pending is not None and pending.status == QuestionStatus.SUBMITTED:
            raise QuestionRuleError(_("A new version of this question is already awaiting review."))
        if pending is not None:
            return edit_question(author, pending, parsed)
        draft = add_question(author, question.bank, parsed)
        draft.replaces_id = question.id
        return draft
    question.type = QuestionType(parsed.type)
    question.title, question.stem, question.options = parsed.title[:200], parsed.stem, parsed.options
    question.answer, question.partial_credit = parsed.answer, parsed.partial_credit
    question.explanation, question.updated_at = parsed.explanation, utcnow()
    _set_tags(question, parsed.tags)
    db.session.flush()
    return question


def submit_questions(author, questions) -> int:
    count = 0
    for question in questions:
        if question.status == QuestionStatus.DRAFT:
            question.status = QuestionStatus.SUBMITTED
            count += 1
    db.session.flush()
    return count


def _check_reviewer(reviewer, question):
    if not reviewer.has_role(Role.REVIEWER) or question.author_id == reviewer.id:
        raise QuestionRuleError(_("You cannot review this question: nobody reviews their own questions."))
    if question.status != QuestionStatus.SUBMITTED:
        raise QuestionRuleError(_("The question is not awaiting review."))


def locked_question(question_id: int) -> Question | None:
    """The question read afresh and locked until commit. Decisions about the versions of one question
    (a new version, an approval) take the version replaced first, then the new one, so that two at
    once run one after the other, the second seeing what the first did."""
    return db.session.get(Question, question_id, with_for_update=True, populate_existing=True)


def approve_question(reviewer, question: Question) -> None:
    old = locked_question(question.replaces_id) if question.replaces_id else None
    question = locked_question(question.id)
    _check_reviewer(reviewer, question)
    if old is not None and old.status != QuestionStatus.PUBLISHED:
        raise QuestionRuleError(_("The version this edit started from has been replaced meanwhile; "
                                  "reject it so the author edits the current version."))
    question.status, question.reviewer_id, question.review_comment = QuestionStatus.PUBLISHED, reviewer.id, ""
    if old is not None:
        old.status = QuestionStatus.RETIRED
    record_audit(reviewer, "question.approve", question, {"bank": question.bank_id})
    db.session.flush()


def reject_question(reviewer, question: Question, comment: str) -> None:
    if not (comment or "").strip():
        raise QuestionRuleError(_("Say what the author should change."))
    _check_reviewer(reviewer, question)
    question.status, question.reviewer_id, question.review_comment = QuestionStatus.DRAFT, reviewer.id, comment.strip()
    record_audit(reviewer, "question.reject", question, {"comment": comment.strip()[:200]})
    db.session.flush()
