"""Load-and-authorise helpers for sites, bases and sessions (the style: learning_app/permissions.py)."""
from learning_app.extensions import db
from learning_app.permissions import Need, authorise, requires

from . import queries
from .models import Base, BasePhoto, BaseSession, CollectiveStudy, Notice, Site


def runs_sites(user) -> bool:
    """Supervisors open sites; site staff run theirs."""
    return user.manages_people or bool(queries.sites_managed_by(user))


site_runner_required = requires(runs_sites)
member_or_manager_required = requires(lambda user: user.is_member or user.manages_people)

MANAGE = {"manage": Need(lambda user, thing: thing.can_manage(user))}


def get_site_or_404(site_id: int, user, need: str = "manage") -> Site:
    return authorise(db.session.get(Site, site_id), user, need, MANAGE)


def get_base_or_404(base_id: int, user=None, need: str | None = "manage") -> Base:
    return authorise(db.session.get(Base, base_id), user, need, MANAGE)


SESSION_NEEDS = {
    # Invited members and the base's managers see a session; others get 404.
    "attend": Need(lambda user, session: session.invites(user) or session.base.can_manage(user), 404),
    "manage": Need(lambda user, session: session.base.can_manage(user)),
}


def get_session_or_404(session_id: int, user, need: str) -> BaseSession:
    return authorise(db.session.get(BaseSession, session_id), user, need, SESSION_NEEDS)


def get_study_or_404(study_id: int, user, need: str = "manage") -> CollectiveStudy:
    return authorise(db.session.get(CollectiveStudy, study_id), user, need,
                     {"manage": Need(lambda user, study: study.site.can_manage(user))})


def get_notice_or_404(notice_id: int) -> Notice:
    return authorise(db.session.get(Notice, notice_id), None, None, {})


def _sees_photos(user, photo: BasePhoto) -> bool:
    """A base's photos are for its managers and for members invited to one of its sessions."""
    base = db.session.get(Base, photo.base_id)
    return base is not None and (base.can_manage(user) or queries.invited_to_base(user, base))


def get_photo_or_404(photo_id: int, user, need: str = "see") -> BasePhoto:
    return authorise(db.session.get(BasePhoto, photo_id), user, need, {"see": Need(_sees_photos, 404)})
