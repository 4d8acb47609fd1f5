"""``manage.py seed_bench`` on PostgreSQL: the COPY writer, the registry loader, the sequences after it."""

import pytest

from applications.models import Application, AuditEntry, CaseEvent
from applications.services.audit import audit_record
from tests.scale.test_seed_bench import seed, verify_audit


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_copy_writer_on_postgresql():
    from eligibility.registry.models import RegistryPerson

    output = seed("--applications=300", "--registry=200", "--seed=9")
    assert "audit" in output and "registry" in output
    assert Application.objects.count() == 300
    assert AuditEntry.objects.count() == 3000
    assert RegistryPerson.objects.count() == 200
    assert "3000 entries, chain verified" in verify_audit()
    # The id sequences were moved past the rows written: the application adds rows as before.
    entry = audit_record(actor=None, action=AuditEntry.Action.PARAMETER, details={})
    assert entry.sequence == 3001
    event = CaseEvent.objects.create(application=Application.objects.first(), note="after the seed")
    assert event.pk > CaseEvent.objects.exclude(pk=event.pk).order_by("-pk").first().pk
    seed("--applications=50", "--audit=100", "--append")
    assert Application.objects.count() == 350 and "3101 entries" in verify_audit()
