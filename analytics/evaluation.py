"""Site evaluation (站点考评): what each learning site did in a month, quarter or year, and a ranking.

The score weighs the work a site does, as remote-education report cards do: its members'
completion of assigned learning and their credited hours (half), collective study held
and notices published (a quarter each, counted up to a monthly norm). No individual is ranked.
"""
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, func, select

from courses.bases.models import Attendance, CollectiveAttendance, CollectiveStudy, Notice, NoticeStatus, Site
from learning_app.extensions import db
from learning_app.models import Organization, User
from learning_app.timezones import local_day_range

from .filters import Filters
from .queries import tree_figures

STUDIES_PER_MONTH = 1  # one collective study a month is the norm (三会一课 rhythm)
NOTICES_PER_MONTH = 2


@dataclass
class SiteScore:
    site: Site
    members: int
    completion_rate: float | None
    hours_rate: float | None
    notices: int
    review_hours: float | None
    studies: int
    study_attendances: int
    base_attendances: int
    score: float


def evaluate_sites(root: Organization, start: date, end: date) -> list[SiteScore]:
    """Every site at or below `root`, scored for the period, best first."""
    sites = list(db.session.scalars(select(Site).join(Organization, Site.org_id == Organization.id)
                                    .where(root.subtree_filter()).order_by(Organization.path)))
    if not sites:
        return []
    since, until = local_day_range(start, end)
    months = max(1, (end.year - start.year) * 12 + end.month - start.month + 1)
    tree = tree_figures(root, Filters(date_from=start, date_to=end, year=start.year))
    notices = _notice_figures(since, until)
    studies = _study_figures(since, until)
    attendance = _base_attendance_by_org(root, since, until)
    by_node = {node.id: node for node in tree.nodes}
    scores = []
    for site in sites:
        figures = tree.total.get(site.org_id)
        base = sum(count for org_id, count in attendance.items()
                   if org_id in by_node and by_node[org_id].is_within(site.org))
        published, review_hours = notices.get(site.id, (0, None))
        held, present = studies.get(site.id, (0, 0))
        work = (min(1.0, held / (STUDIES_PER_MONTH * months)) * 25
                + min(1.0, published / (NOTICES_PER_MONTH * months)) * 25)
        learning = ((figures.completion_rate or 0) + (figures.hours_rate or 0)) / 4 if figures else 0
        scores.append(SiteScore(site, figures.members if figures else 0, figures.completion_rate if figures else None,
                                figures.hours_rate if figures else None, published, review_hours, held, present,
                                base, round(learning + work, 1)))
    return sorted(scores, key=lambda s: s.score, reverse=True)


def _notice_figures(since, until) -> dict[int, tuple[int, float | None]]:
    rows = db.session.execute(
        select(Notice.site_id, Notice.submitted_at, Notice.published_at)
        .where(Notice.status == NoticeStatus.PUBLISHED, Notice.published_at >= since, Notice.published_at < until))
    result: dict[int, list] = {}
    for site_id, submitted, published in rows:
        entry = result.setdefault(site_id, [0, []])
        entry[0] += 1
        if submitted and published:
            entry[1].append((published - submitted).total_seconds() / 3600)
    return {site_id: (count, round(sum(waits) / len(waits), 1) if waits else None)
            for site_id, (count, waits) in result.items()}


def _study_figures(since, until) -> dict[int, tuple[int, int]]:
    rows = db.session.execute(
        select(CollectiveStudy.site_id, func.count(func.distinct(CollectiveStudy.id)),
               func.count(CollectiveAttendance.id))
        .outerjoin(CollectiveAttendance, CollectiveAttendance.study_id == CollectiveStudy.id)
        .where(CollectiveStudy.held_at >= since, CollectiveStudy.held_at < until)
        .group_by(CollectiveStudy.site_id))
    return {site_id: (held, present) for site_id, held, present in rows}


def _base_attendance_by_org(root, since, until) -> dict[int, int]:
    rows = db.session.execute(
        select(User.org_id, func.count()).join(Attendance, Attendance.user_id == User.id)
        .join(Organization, User.org_id == Organization.id)
        .where(root.subtree_filter(), and_(Attendance.checked_in_at >= since, Attendance.checked_in_at < until))
        .group_by(User.org_id))
    return dict(rows.all())
