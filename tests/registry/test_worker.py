"""The import runs in a real Celery worker, queued once the upload is committed."""

import time

import pytest
from django.core.files.storage import default_storage

from eligibility.registry import services
from eligibility.registry.models import RegistryImport
from eligibility.registry.selectors import registry_person_for_id_number
from tests.registry.helpers import ALICE, BOB, csv_bytes


@pytest.mark.redis
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_real_worker_imports_an_upload_after_commit(celery_worker_process):
    registry_import = services.registry_import_create(
        name="people.csv",
        data=csv_bytes([{"id_number": ALICE, "region": "330802"}, {"id_number": BOB, "region": "330881"}]),
        source="hrss",
        language="en",
    )
    stored = registry_import.stored_file
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        registry_import.refresh_from_db()
        if registry_import.is_finished:
            break
        time.sleep(0.2)
    assert (registry_import.state, registry_import.created) == (RegistryImport.State.DONE, 2)
    assert registry_person_for_id_number(BOB).facts["region"] == "330881"
    assert not default_storage.exists(stored)
