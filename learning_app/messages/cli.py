"""`flask send-reminders`: queue what is due now and say how many messages go out per channel."""
import click
from flask.cli import with_appcontext
from flask_babel import gettext as _

from ..transactions import committing_command
from .reminders import MESSAGE_CENTRE, send_due_reminders


@click.command("send-reminders")
@click.option("--dry-run", is_flag=True, help="Compute what is due and print the counts; write nothing.")
@with_appcontext
def send_reminders_command(dry_run):
    """Queue the reminders due now (deadlines, quiz windows, sessions tomorrow, reviews waiting)."""
    with committing_command():
        counts = send_due_reminders(dry_run=dry_run)
    channels = counts["channels"]
    labels = {MESSAGE_CENTRE: _("message centre"), "email": _("email"), "sms": _("SMS"), "wechat": _("WeChat")}
    click.echo((_("Would queue (dry run, nothing written):") if dry_run else _("Queued:")) + " " +
               ", ".join(f"{labels[name]} {channels[name]}" for name in labels))
    for kind, count in sorted(counts["kinds"].items()):
        click.echo(f"  {kind}: {count}")
