"""Commands of the messages: `deliver-messages` sends what is due once (the cron fallback of the worker);
`send-reminders` queues what is due now and says how many messages go out per channel."""
import click
from flask.cli import with_appcontext
from flask_babel import gettext as _

from ..transactions import committing_command
from .delivery import deliver_due
from .reminders import MESSAGE_CENTRE, send_due_reminders


@click.command("deliver-messages")
@with_appcontext
def deliver_messages_command():
    """Send the messages due now by email, SMS and WeChat, and print how many per channel."""
    counts = deliver_due()
    if not counts:
        click.echo("No channel is configured (MAIL_URL, SMS_WEBHOOK_URL, WECHAT_APP_ID).")
    for channel, numbers in counts.items():
        click.echo(f"{channel}: sent {numbers['sent']}, failed {numbers['failed']}, delayed {numbers['delayed']}")


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
