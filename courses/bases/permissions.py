"""Load-and-authorise helpers for sites, bases and sessions."""
from flask import abort

from learning_app.extensions import db

from .models import Base, BaseSession, CollectiveStudy, Notice, Site


def get_site_for_managing(site_id: int, user) -> Site:
    site = db.session.get(Site, site_id)
    if site is None:
        abort(404)
    if not site.can_manage(user):
        abort(403)
    return site


def get_base_or_404(base_id: int) -> Base:
    base = db.session.get(Base, base_id)
    if base is None:
        abort(404)
    return base


def get_session_for_member(session_id: int, user) -> BaseSession:
    """Invited members and the base's managers see a session; others get 404."""
    session = db.session.get(BaseSession, session_id)
    if session is None or not (session.invites(user) or session.base.can_manage(user)):
        abort(404)
    return session


def get_session_for_managing(session_id: int, user) -> BaseSession:
    session = db.session.get(BaseSession, session_id)
    if session is None:
        abort(404)
    if not session.base.can_manage(user):
        abort(403)
    return session


def get_study_for_managing(study_id: int, user) -> CollectiveStudy:
    study = db.session.get(CollectiveStudy, study_id)
    if study is None:
        abort(404)
    if not study.site.can_manage(user):
        abort(403)
    return study


def get_notice_or_404(notice_id: int) -> Notice:
    notice = db.session.get(Notice, notice_id)
    if notice is None:
        abort(404)
    return notice
