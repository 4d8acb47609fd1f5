"""Background work of the registry: each task loads its row by primary key and calls one service."""

from celery import shared_task

from eligibility.registry import services
from eligibility.registry.models import RegistryImport

# A department's file of 200,000 rows takes a few minutes; the default limit is for short tasks.
IMPORT_SOFT_TIME_LIMIT = 60 * 55
IMPORT_TIME_LIMIT = 60 * 60


@shared_task(
    name=services.REGISTRY_TASK, soft_time_limit=IMPORT_SOFT_TIME_LIMIT, time_limit=IMPORT_TIME_LIMIT, acks_late=True
)
def registry_import_task(import_id: int) -> dict:
    registry_import = RegistryImport.objects.filter(pk=import_id).first()
    if registry_import is None:
        return {"import": import_id, "state": "missing"}
    registry_import = services.registry_import_run(registry_import=registry_import)
    return {"import": import_id, "state": registry_import.state, "processed": registry_import.processed}
