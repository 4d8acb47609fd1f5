"""The what-if preview: hand-checked numbers on a small registry, and the admin's preview step before saving."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from eligibility.matching.whatif import whatif_preview
from eligibility.models import Parameter
from tests.factories import GRADUATE_FACTS, ApplicationFactory, PolicyAdminFactory
from tests.matching.helpers import registry_person

pytestmark = pytest.mark.django_db

RATE = "si.subsidy_rate"  # 0.50 in force: 500.00 a month for a graduate, 24 months at most


def _registry():
    """Three graduates eligible for 500.00 a month, one not insured (ineligible), one outside the city."""
    eligible = [registry_person(GRADUATE_FACTS) for _ in range(3)]
    others = [
        registry_person({**GRADUATE_FACTS, "pays_flexible_pension": False}),
        registry_person({**GRADUATE_FACTS, "region": "110101"}),
    ]
    return eligible, others


def test_a_higher_rate_raises_three_graduates_by_100_a_month():
    eligible, _ = _registry()
    today = timezone.localdate()
    found = whatif_preview(parameter_key=RATE, value="0.60", valid_from=today + timedelta(days=1))
    assert found.persons == 5 and found.persons_changed == 3
    # 3 persons × 12 months × 500.00 now, × 600.00 with the new rate: 18,000.00 → 21,600.00.
    assert found.cost_before_per_year == Decimal("18000.00")
    assert found.cost_after_per_year == Decimal("21600.00")
    assert found.cost_change_per_year == Decimal("3600.00")
    assert len(found.examples) == 3
    example = found.examples[0]
    assert example.status_before == example.status_after == "eligible"
    assert (example.amount_before, example.amount_after) == (Decimal("500.00"), Decimal("600.00"))
    assert example.id_number_end == "***" + eligible[0].id_number[-3:]
    assert example.age == 27  # born 1999-05-02, on 2026-12-03 or later in 2027 before May
    assert found.applications == found.applications_changed == 0


def test_an_unchanged_value_changes_nothing_and_a_bad_value_is_refused():
    _registry()
    tomorrow = timezone.localdate() + timedelta(days=1)
    same = whatif_preview(parameter_key=RATE, value="0.50", valid_from=tomorrow)
    assert same.persons_changed == 0 and same.cost_change_per_year == 0 and same.examples == []
    with pytest.raises(ValidationError):
        whatif_preview(parameter_key=RATE, value="lots", valid_from=tomorrow)


def test_pending_applications_change_only_when_the_value_reaches_their_submission_date():
    today = timezone.localdate()
    ApplicationFactory(status="submitted", submitted_on=today - timedelta(days=2))
    ApplicationFactory(status="in_review", submitted_on=today - timedelta(days=30))
    ApplicationFactory(status="draft")  # a draft is not pending
    found = whatif_preview(parameter_key=RATE, value="0.60", valid_from=today - timedelta(days=10))
    assert found.applications == 2 and found.applications_changed == 1


# --- The admin's preview step ------------------------------------------------------------------------


@pytest.fixture
def policy_admin(client):
    # Issue 14: a policy administrator proposes a value in the policy console (which shows the same
    # what-if); the admin's own add view, with its preview step, is left to superusers.
    user = PolicyAdminFactory(is_superuser=True)
    client.force_login(user)
    return user


def _add_url() -> str:
    return reverse("admin:eligibility_parameter_value_add", args=[Parameter.objects.get(key=RATE).pk])


def test_the_new_value_is_previewed_then_saved_on_confirmation(client, policy_admin):
    _registry()
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    entered = {"valid_from": tomorrow, "value": "0.60", "note": "2027 预算"}
    form = client.get(_add_url()).content.decode()
    assert 'name="preview"' in form

    preview = client.post(_add_url(), {**entered, "preview": "1"})
    assert preview.status_code == 200
    page = preview.content.decode()
    assert "whatif-summary" in page and "3 / 5" in page and "+¥3600.00" in page
    assert page.count("***") == 3
    assert not Parameter.objects.get(key=RATE).values.filter(valid_from=tomorrow).exists()  # nothing saved yet
    for name, value in entered.items():
        assert f'name="{name}" value="{value}"' in page

    saved = client.post(_add_url(), entered)  # the preview's confirm button: the same values, no "preview"
    assert saved.status_code == 302
    assert Parameter.objects.get(key=RATE).values.get(valid_from=tomorrow).value == "0.60"


def test_the_preview_keeps_what_was_entered_when_going_back_or_when_the_value_is_bad(client, policy_admin):
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    back = client.post(_add_url(), {"valid_from": tomorrow, "value": "0.70", "note": "", "edit": "1"})
    assert back.status_code == 200 and 'value="0.70"' in back.content.decode()
    bad = client.post(_add_url(), {"valid_from": tomorrow, "value": "lots", "note": "", "preview": "1"})
    assert bad.status_code == 200 and 'value="lots"' in bad.content.decode()
    assert "errorlist" in bad.content.decode()
    assert not Parameter.objects.get(key=RATE).values.filter(valid_from=tomorrow).exists()
