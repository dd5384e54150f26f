from django_tasks import task

from liaison.referrals.bulk import batch_process
from liaison.referrals.models import ImportBatch


@task()
def process_import(batch_id: int) -> dict:
    """Process an uploaded bulk file. Safe to run again: it carries on after the last committed row."""
    batch = ImportBatch.objects.select_related("la", "uploaded_by").get(pk=batch_id)
    if batch.state in (ImportBatch.State.DONE, ImportBatch.State.REJECTED):
        return {"state": batch.state}
    batch = batch_process(batch=batch)
    return {"state": batch.state, "counts": batch.counts}
