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
# A lesson of realistic length: what a branch would publish as a reading before its Party class.
ARTICLE = """## 为什么要学习党章

党章是党的根本大法，是全党必须共同遵循的根本行为规范。学习党章、遵守党章、贯彻党章、维护党章，是每一名党员的基本义务。入党时，每一名党员都在党旗下庄严宣誓“拥护党的纲领，遵守党的章程”；入党以后，经常对照党章检查自己的言行，才能把誓言落到实处。

## 党员的条件和义务

党章规定，年满十八岁的中国工人、农民、军人、知识分子和其他社会阶层的先进分子，承认党的纲领和章程，愿意参加党的一个组织并在其中积极工作、执行党的决议和按期交纳党费的，可以申请加入中国共产党。

预备党员的预备期为一年。预备期满，党的支部应当及时讨论他能否转为正式党员；认真履行党员义务、具备党员条件的，应当按期转为正式党员。党员要认真学习党的理论和路线、方针、政策，自觉遵守党的纪律，密切联系群众，在生产、工作、学习和社会生活中起先锋模范作用。

## 过好组织生活

每个党员，不论职务高低，都必须编入党的一个支部、小组或其他特定组织，参加党的组织生活，接受党内外群众的监督。“三会一课”是党的组织生活的基本制度：定期召开支部党员大会、支部委员会会议和党小组会，按时上好党课。党章还规定，党员如果没有正当理由，连续六个月不参加党的组织生活，或不交纳党费，或不做党所分配的工作，就被认为是自行脱党。

## 怎样学好党章

1. **通读原文。** 先完整读一遍党章，了解总纲和各章的结构。
2. **带着问题学。** 结合本职工作，想一想哪些规定与自己关系最密切。
3. **经常对照。** 在组织生活会上对照党章查找差距，明确努力方向。
4. **学用结合。** 把学习成果落实到做好本职工作、服务群众的具体行动中。

> 学习党章不是一次性的任务，要常学常新。

学完本课后，可以在“在线测验”中参加“党章基础知识测验（示范）”，检验学习效果。
"""


def seed_demo_courses(sender, accounts, orgs, **extra):
    """Build, review and assign one demo course with an article and an audio lesson."""
    author, reviewer, supervisor = accounts["author"], accounts["reviewer"], accounts["supervisor"]
    course = authoring.create_course(author, "学习贯彻党的创新理论（示范课程）",
                                     summary="面向全体党员的示范课程：一篇导读、一段音频、一段视频。",
                                     tags=["理论学习"], hours=2)
    authoring.add_chapter(course, author, "第一章 导读")
    authoring.add_lesson(course, author, 0, "导读：学习党章，做合格党员", LessonKind.ARTICLE, body=ARTICLE)
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
