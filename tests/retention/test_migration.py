"""A database migrated before retention gets its local settings from retention's migration."""

import pytest
from django.core.management import call_command

from eligibility.models import Parameter, ParameterChange, ParameterValue
from eligibility.parameter_cache import forget_local

KEYS = ["retention.closed_case_years", "retention.draft_days", "retention.draft_notice_days"]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_migrating_an_older_database_adds_the_retention_parameters():
    call_command("migrate", "retention", "zero", verbosity=0)
    ParameterChange.objects.filter(parameter__key__in=KEYS).delete()
    ParameterValue.objects.filter(parameter__key__in=KEYS).delete()
    Parameter.objects.filter(key__in=KEYS).delete()
    call_command("migrate", "retention", verbosity=0)
    forget_local()
    values = dict(ParameterValue.objects.filter(parameter__key__in=KEYS).values_list("parameter__key", "value"))
    assert values == {KEYS[0]: "5", KEYS[1]: "90", KEYS[2]: "75"}
    assert all(Parameter.objects.get(key=key).local_default for key in KEYS)
