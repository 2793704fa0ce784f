"""Commands of the messages: `deliver-messages` sends what is due once (the cron fallback of the worker)."""
import click
from flask.cli import with_appcontext

from .delivery import deliver_due


@click.command("deliver-messages")
@with_appcontext
def deliver_messages_command():
    """Send the messages due now by email, SMS and WeChat, and print how many per channel."""
    counts = deliver_due()
    if not counts:
        click.echo("No channel is configured (MAIL_URL, SMS_WEBHOOK_URL, WECHAT_APP_ID).")
    for channel, numbers in counts.items():
        click.echo(f"{channel}: sent {numbers['sent']}, failed {numbers['failed']}, delayed {numbers['delayed']}")
