from django_tasks import task

from liaison.casework.bulk import change_file_process
from liaison.casework.models import ChangeFile


@task()
def process_change_file(file_id: int) -> dict:
    """Process an uploaded file of changes. Safe to run again: it carries on after the last committed row."""
    change_file = ChangeFile.objects.select_related("la", "uploaded_by").get(pk=file_id)
    if change_file.state in (ChangeFile.State.DONE, ChangeFile.State.REJECTED):
        return {"state": change_file.state}
    change_file = change_file_process(change_file=change_file)
    return {"state": change_file.state, "counts": change_file.counts}
