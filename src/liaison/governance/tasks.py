from django_tasks import task

from liaison.governance.reminders import reminders_send


@task()
def send_reminders() -> dict:
    """The daily reminders. Safe to run twice: each reminder is e-mailed at most once a day."""
    return reminders_send()
