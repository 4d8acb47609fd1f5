"""The outcome in the browser: the caseworker's form, the citizen's case page, the project step, the dashboard."""

from decimal import Decimal
from html import escape

import pytest
from django.utils import timezone

from applications.models import Application, Fulfilment, Status
from applications.services import fulfilment as service
from eligibility.models import IncubatorSite
from tests.applications.test_fulfilment import approved_case, days_ago, fulfil, slug_for
from tests.factories import ApplicationFactory, SupervisorFactory, programme

pytestmark = pytest.mark.django_db

Kind = Fulfilment.Kind


def url(application, action: str = "") -> str:
    return f"/staff/cases/{application.reference}/{action + '/' if action else ''}"


@pytest.fixture
def loan_case(client, english):
    case = approved_case(Kind.LOAN, language="en")
    client.force_login(case.assigned_to)
    return case


def test_the_caseworker_refers_the_loan_and_then_records_the_grant(client, loan_case):
    page = client.get(url(loan_case)).content.decode()
    assert "Refer to the guarantee centre and the bank" in page and 'name="guarantee_centre"' in page
    response = client.post(
        url(loan_case, "outcome"),
        {"guarantee_centre": "衢州市创业担保中心", "bank": "衢州银行", "referred_on": days_ago(3).isoformat()},
    )
    assert response.status_code == 302
    page = client.get(url(loan_case)).content.decode()
    assert "The referral is recorded" in page and "The bank&#x27;s decision on the loan" in page
    response = client.post(
        url(loan_case, "outcome"),
        {
            "outcome": "granted",
            "amount": "200000.00",
            "bank": "衢州银行",
            "granted_on": days_ago(1).isoformat(),
            "term_months": "24",
        },
    )
    assert response.status_code == 302
    loan_case.refresh_from_db()
    assert loan_case.status == Status.SERVED


def test_a_wrong_entry_is_shown_at_its_field_with_everything_kept(client, loan_case):
    client.post(
        url(loan_case, "outcome"),
        {"guarantee_centre": "担保中心", "bank": "衢州银行", "referred_on": days_ago(3).isoformat()},
    )
    response = client.post(
        url(loan_case, "outcome"),
        {
            "outcome": "granted",
            "amount": "999999999",
            "bank": "衢州银行",
            "granted_on": "2026-02-30",
            "term_months": "x",
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Enter a real date, for example 2026-12-10." in page and "Enter a whole number." in page
    assert 'value="999999999"' in page and 'value="2026-02-30"' in page
    response = client.post(
        url(loan_case, "outcome"),
        {
            "outcome": "granted",
            "amount": "999999999",
            "bank": "衢州银行",
            "granted_on": days_ago(1),
            "term_months": "24",
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "The loan cannot be more than the approved 300,000.00 yuan." in page and 'value="999999999"' in page
    assert Application.objects.get(pk=loan_case.pk).status == Status.REFERRED


def test_the_form_says_in_chinese_what_is_wrong(client):
    case = approved_case(Kind.LOAN)
    client.force_login(case.assigned_to)
    response = client.post(url(case, "outcome"), {"guarantee_centre": "", "bank": "", "referred_on": ""})
    assert response.status_code == 400
    assert "请填写此项。" in response.content.decode()


def test_a_site_is_chosen_from_the_list(client, english):
    case = approved_case(Kind.SITE, language="en")
    client.force_login(case.assigned_to)
    site = IncubatorSite.objects.filter(active=True).first()
    page = client.get(url(case)).content.decode()
    assert escape(site.name_en) in page
    IncubatorSite.objects.filter(pk=site.pk).update(active=False)
    response = client.post(url(case, "outcome"), {"site": site.pk})
    assert response.status_code == 400 and "Choose one from the list." in response.content.decode()


def test_a_colleague_sees_the_outcome_but_no_form(client, english):
    case = approved_case(Kind.LOAN, language="en")
    from tests.factories import CaseworkerFactory

    colleague = CaseworkerFactory()
    client.force_login(colleague)
    page = client.get(url(case)).content.decode()
    assert 'name="guarantee_centre"' not in page
    assert client.post(url(case, "outcome"), {"guarantee_centre": "x", "bank": "y"}).status_code == 403
    assert not Fulfilment.objects.exists()


def test_the_citizen_reads_the_outcome_on_the_case_page(client):
    case = approved_case(Kind.LOAN)
    fulfil(case, {"guarantee_centre": "担保中心", "bank": "衢州银行", "referred_on": days_ago(5)})
    fulfil(
        case,
        {
            "outcome": "granted",
            "amount": Decimal("200000"),
            "bank": "衢州银行",
            "granted_on": days_ago(2),
            "term_months": 24,
        },
    )
    client.force_login(case.applicant)
    page = client.get(f"/applications/{case.reference}/").content.decode()
    assert "已获贷款 200,000.00 元，衢州银行" in page and "期限 24 个月" in page
    assert "已办结" in page


def test_the_project_is_asked_on_applying_and_shown_on_every_page(client, english):
    chosen = programme(slug_for(Kind.PROJECT_COVER))
    draft = ApplicationFactory(programme=chosen, completed_steps=["personal", "situation", "documents"])
    client.force_login(draft.applicant)
    step = f"/applications/drafts/{draft.pk}/project/"
    page = client.get(step).content.decode()
    assert 'name="project_name"' in page and 'name="general_contractor"' in page
    response = client.post(
        step, {"project_name": "衢州智造新城 3 号厂房", "site_address": "", "general_contractor": "浙江某建工"}
    )
    assert response.status_code == 400 and "Fill this in." in response.content.decode()
    assert "衢州智造新城 3 号厂房" in response.content.decode()
    response = client.post(
        step,
        {"project_name": "衢州智造新城 3 号厂房", "site_address": "衢州市衢江区", "general_contractor": "浙江某建工"},
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.programme_details["general_contractor"] == "浙江某建工" and "project" in draft.completed_steps
    check = client.get(f"/applications/drafts/{draft.pk}/check/").content.decode()
    assert "衢州智造新城 3 号厂房" in check
    draft.status, draft.reference = Status.IN_REVIEW, "LH-2026-000901"
    draft.submitted_at = timezone.now()
    draft.save()
    assert "衢州智造新城 3 号厂房" in client.get(f"/applications/{draft.reference}/").content.decode()
    client.force_login(SupervisorFactory())
    assert "浙江某建工" in client.get(url(draft)).content.decode()


def test_a_programme_without_a_project_has_no_project_step():
    draft = ApplicationFactory()
    from applications.services.intake import steps_for

    assert service.PROGRAMME_DETAILS_STEP not in steps_for(draft)


def test_the_dashboard_counts_outcomes_per_programme(client, english):
    supervisor = SupervisorFactory()
    client.force_login(supervisor)
    served = approved_case(Kind.LOAN)
    fulfil(served, {"guarantee_centre": "担保中心", "bank": "衢州银行", "referred_on": days_ago(5)})
    fulfil(served, {"outcome": "declined", "declined_on": days_ago(1)})
    approved_case(Kind.LOAN)
    approved_case(Kind.LOAN, region="330100")
    from applications.selectors_fulfilment import outcomes_by_programme

    row = next(r for r in outcomes_by_programme(region="330800") if r.programme == served.programme)
    assert (row.served, row.partner_declined, row.awaiting) == (0, 1, 1)
    page = client.get("/supervision/").content.decode()
    assert f'data-programme="{served.programme.slug}"' in page
    assert "Outcomes of programmes without cash" in page
