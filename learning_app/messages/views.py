"""The message centre (站内信): a member's messages, the channels on their account page, and the
admin's delivery log."""
from datetime import timedelta

from flask import Blueprint, g, render_template, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from ..extensions import db
from ..i18n import gettext as _
from ..permissions import admin_required
from ..security import local_redirect_target
from ..templating import add_navigation
from ..timezones import local_today
from ..transactions import committing, write_and_redirect
from . import queries, services
from .forms import ChannelsForm
from .models import Channel, DeliveryStatus

bp = Blueprint("messages", __name__, template_folder="templates")

add_navigation(93, "messages.list_deliveries", _l("Delivery log"), lambda user: user.is_admin, "manage")

PER_PAGE = 20
FAILED_PER_PAGE = 50
LOG_DAYS = 14


def internal_link(link: str | None) -> str | None:
    """The message's link if it is a path on this site; another site's address is never shown."""
    return link if link and local_redirect_target(link) == link else None


@bp.route("/messages/")
@login_required
def list_messages():
    pagination = db.paginate(queries.inbox_query(current_user), per_page=PER_PAGE, error_out=False)
    return render_template("messages/list.html", pagination=pagination)


@bp.route("/messages/<int:message_id>")
@login_required
def view_message(message_id):
    message = queries.message_of_or_404(current_user, message_id)
    was_unread = message.read_at is None
    with committing():
        services.mark_read(current_user, message)
    if was_unread and g.get("unread_messages"):
        g.unread_messages -= 1  # counted with the user, before this one was read
    return render_template("messages/detail.html", message=message, link=internal_link(message.link))


@bp.route("/messages/read-all", methods=["POST"])
@login_required
def mark_all_read():
    return write_and_redirect(lambda: services.mark_all_read(current_user), _("All messages are marked read."),
                              url_for("messages.list_messages"))


@bp.route("/messages/channels", methods=["POST"])
@login_required
def edit_channels():
    from ..auth.views import account_page
    form = ChannelsForm(services.configured_channels())
    if not form.validate_on_submit():
        return account_page(channels_form=form), 400
    return write_and_redirect(lambda: services.update_channels(current_user, **form.choices()),
                              lambda changed: _("Your channels are saved.") if changed else _("Nothing was changed."),
                              url_for("auth.change_password", _anchor="channels"))


@bp.route("/admin/deliveries")
@admin_required
def list_deliveries():
    today = local_today()
    since = today - timedelta(days=LOG_DAYS - 1)
    counts = {}
    for day, channel, status, count in queries.delivery_counts(since):
        counts.setdefault((day, channel), dict.fromkeys(DeliveryStatus, 0))[status] = count
    pagination = db.paginate(queries.failed_deliveries_query(), per_page=FAILED_PER_PAGE, error_out=False)
    return render_template("messages/deliveries.html", counts=counts, since=since, today=today,
                           statuses=list(DeliveryStatus), channels=list(Channel), pagination=pagination,
                           recipients=queries.recipients_of(pagination.items),
                           configured=services.configured_channels())
