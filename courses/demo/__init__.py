"""Demo material: a published course assigned to a general branch, so the demo has something to learn."""
import io
import random
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select

from learning_app.extensions import db
from learning_app.models import Organization, User, utcnow

from ..models import EnrolmentSource, FileKind, LessonKind, LessonProgress
from ..services import assignment, authoring, learning, review
from ..uploads import save_upload

HERE = Path(__file__).resolve().parent
ARTICLE = """## 学习要点

1. 深刻领会新时代党的创新理论的核心要义。
2. 把学习成果转化为做好本职工作的实际行动。

> 学而信、学而思、学而行。

请在学习后与支部同志交流体会。
"""


def seed_demo_courses(sender, accounts, orgs, **extra):
    """Build, review and assign one demo course with an article and an audio lesson."""
    author, reviewer, supervisor = accounts["author"], accounts["reviewer"], accounts["supervisor"]
    course = authoring.create_course(author, "学习贯彻党的创新理论（示范课程）",
                                     summary="面向全体党员的示范课程：一篇导读、一段音频、一段视频。", tags=["理论学习"],
                                     hours=2)
    authoring.add_chapter(course, author, "第一章 导读")
    authoring.add_lesson(course, author, 0, "学习导读", LessonKind.ARTICLE, body=ARTICLE)
    audio = authoring.add_lesson(course, author, 0, "音频微党课", LessonKind.AUDIO)
    saved = save_upload(io.BytesIO((HERE / "lesson.mp3").read_bytes()), "微党课.mp3", {FileKind.AUDIO})
    stored = authoring.record_file(course, author, saved, "微党课.mp3")
    authoring.attach_file(course, author, audio.key, stored)
    video = authoring.add_lesson(course, author, 0, "视频微党课", LessonKind.VIDEO)
    saved = save_upload(io.BytesIO((HERE / "lesson.webm").read_bytes()), "微党课.webm", {FileKind.VIDEO})
    authoring.attach_file(course, author, video.key, authoring.record_file(course, author, saved, "微党课.webm"))
    review.submit_for_review(course, author)
    review.approve(course, reviewer, "内容准确，同意发布。")
    assignment.assign_course(supervisor, course, orgs["教育系统党总支"], deadline=date.today() + timedelta(days=30))
    _demo_progress(course, orgs["教育系统党总支"], skip={accounts["member"].id})


def _demo_progress(course, org, skip):
    """Some members have finished, some are half way, so the dashboard has something to show."""
    rng = random.Random(7)
    members = db.session.scalars(select(User).join(Organization, User.org_id == Organization.id)
                                 .where(org.subtree_filter()).order_by(User.id)).all()
    keys = [lesson.key for lesson in course.published.lessons]
    for user in members:
        if user.id in skip or rng.random() < 0.3:
            continue
        done = keys if rng.random() < 0.6 else keys[:1]
        when = utcnow() - timedelta(days=rng.randint(0, 20), hours=rng.randint(0, 10))
        learning.ensure_enrolment(user, course, EnrolmentSource.ASSIGNED)
        for key in done:
            db.session.add(LessonProgress(user_id=user.id, course_id=course.id, lesson_key=key, opened_at=when,
                                          completed_at=when, credited_seconds=60))
        db.session.flush()
        learning.check_course_completion(user, course, when)
