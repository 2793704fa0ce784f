"""The messages' periodic work, run by the jobs worker (learning_app.jobs): sends every minute, the due
reminders every quarter of an hour. `deliver-messages` and `send-reminders` do the same once, by hand or
from cron."""
from .. import jobs
from .delivery import deliver_due
from .reminders import send_due_reminders


@jobs.every(minutes=1)
def deliver_messages():
    deliver_due()


# A deadline reminder falls due on a local day (7 and 1 days ahead): four chances an hour, each a no-op
# when nothing new is due (the message keys), so none is missed while the worker runs.
@jobs.every(minutes=15)
def queue_due_reminders():
    send_due_reminders()
