"""Demo material: a published course assigned to a general branch, so the demo has something to learn."""
import io
from datetime import date, timedelta
from pathlib import Path

from learning_app.extensions import db

from ..models import FileKind, LessonKind
from ..services import assignment, authoring, review
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
                                     summary="面向全体党员的示范课程：一篇导读、一段音频。", tags=["理论学习"],
                                     hours=2)
    authoring.add_chapter(course, author, "第一章 导读")
    authoring.add_lesson(course, author, 0, "学习导读", LessonKind.ARTICLE, body=ARTICLE)
    audio = authoring.add_lesson(course, author, 0, "音频微党课", LessonKind.AUDIO)
    saved = save_upload(io.BytesIO((HERE / "lesson.mp3").read_bytes()), "微党课.mp3", {FileKind.AUDIO})
    stored = authoring.record_file(course, author, saved, "微党课.mp3")
    authoring.attach_file(course, author, audio.key, stored)
    review.submit_for_review(course, author)
    review.approve(course, reviewer, "内容准确，同意发布。")
    assignment.assign_course(supervisor, course, orgs["教育系统党总支"], deadline=date.today() + timedelta(days=30))
