from django_tasks import task

from liaison.notices.services import outbox_deliver_due


@task()
def deliver_outbox() -> dict:
    """Deliver every due e-mail in the outbox (the worker runs this after notices are issued, and on retry)."""
    total = {"sent": 0, "failed": 0, "retried": 0}
    while True:
        result = outbox_deliver_due(limit=200)
        for key in total:
            total[key] += result[key]
        if sum(result.values()) < 200:
            return total
