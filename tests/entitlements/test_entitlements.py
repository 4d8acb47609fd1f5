"""Entitlements across cases (issue 14, item 5): a once-only grant once per person, whatever
the region or account; a monthly subsidy's months counted across the person's applications."""

import itertools
from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from applications.documents import application_required_documents
from applications.models import Application, Document, Payment, Status
from applications.selectors_entitlements import MONTHS, ONCE, entitlement_for, entitlement_kind
from applications.services import intake, review
from applications.services.payments import payment_schedule_create
from eligibility.rules import PROGRAMMES
from tests.applications.test_payments import decided_application
from tests.applications.test_review_services import SUBMITTED_ON, in_review, submitted
from tests.factories import (
    GRADUATE_FACTS,
    VALID_ID_NUMBER,
    ApplicationFactory,
    CaseworkerFactory,
    CitizenFactory,
    SupervisorFactory,
    programme,
)

pytestmark = pytest.mark.django_db

ANOTHER_ID_NUMBER = "330802199905021249"  # another person
_numbers = itertools.count(1)


@pytest.fixture(autouse=True)
def _english_messages():
    with translation.override("en"):
        yield


def startup_facts(today: date | None = None) -> dict:
    """A registered unemployed person whose business was registered two months ago: eligible."""
    today = today or timezone.localdate()
    return {
        "birth_date": "1990-01-15",
        "groups": ["registered_unemployed"],
        "employment_form": "self_employed",
        "business_registered": True,
        "business_registered_on": (today - timedelta(days=60)).isoformat(),
    }


def draft(slug: str = "startup-subsidy", *, facts: dict | None = None, **fields) -> Application:
    """A draft ready to send: every step done and every document it needs attached."""
    application = ApplicationFactory(
        programme=programme(slug),
        facts=dict(facts if facts is not None else startup_facts()),
        evaluation=None,
        amount=None,
        **fields,
    )
    application.completed_steps = list(intake.steps_for(application))
    application.save(update_fields=["completed_steps"])
    for kind in application_required_documents(application):
        Document.objects.create(
            application=application,
            kind=kind,
            original_name="x.pdf",
            size=10,
            content_type="application/pdf",
            uploaded_by=application.applicant,
            file="documents/x.pdf",
        )
    return application


def granted(slug: str = "startup-subsidy", *, status: str = Status.APPROVED, **fields) -> Application:
    """An approved (or otherwise decided) application of another account, in another region by default."""
    fields.setdefault("applicant", CitizenFactory())
    fields.setdefault("region", "330100")
    return decided_application(slug, status=status, **fields)


def send(application: Application) -> Application:
    return intake.application_submit(application=application, acting_user=application.applicant, declaration=True)


def scheduled_months(application: Application, months: int, *, cancelled: int = 0) -> None:
    for sequence in range(1, months + cancelled + 1):
        Payment.objects.create(
            application=application,
            sequence=sequence,
            due_on=date(2025, 4, 15),
            amount="500.00",
            state=Payment.State.CANCELLED if sequence > months else Payment.State.SCHEDULED,
        )


# --- Which programmes are limited --------------------------------------------------------


def test_the_limits_come_from_the_programme_rules():
    assert entitlement_kind("startup-subsidy") == ONCE
    assert entitlement_kind("startup-tax-relief") == ONCE
    assert entitlement_kind("flexible-si-subsidy") == MONTHS
    assert entitlement_kind("public-service-job-subsidy") == MONTHS
    # A training subsidy is paid once per course, not once in a life; a loan or a service has no limit here.
    assert entitlement_kind("training-subsidy") is None
    assert entitlement_kind("startup-loan") is None
    assert entitlement_kind("free-business-site") is None
    assert [slug for slug, rules in PROGRAMMES.items() if rules.once_per_person] == [
        "startup-subsidy",
        "startup-tax-relief",
    ]


# --- A once-only grant -----------------------------------------------------------------------


def test_a_first_claim_of_a_once_only_grant_is_sent():
    application = send(draft())
    assert application.status == Status.SUBMITTED


def test_a_once_only_grant_received_in_another_region_and_account_is_refused_and_the_draft_kept():
    granted("startup-subsidy", value="10000.00")  # same identity number, another account, region 330100
    application = draft()
    with pytest.raises(intake.ApplicationIncomplete) as refused:
        send(application)
    assert refused.value.problems == {
        intake.ENTITLEMENT_PROBLEM: [
            "You have already received this grant. It is given only once per person, so it cannot be claimed again."
        ]
    }
    application.refresh_from_db()
    assert (application.status, application.reference, application.submitted_at) == (Status.DRAFT, None, None)


def test_the_same_account_cannot_claim_a_once_only_grant_twice_even_with_another_identity_number():
    earlier = granted("startup-subsidy", value="10000.00", region="330800")
    application = draft(applicant=earlier.applicant, id_number=ANOTHER_ID_NUMBER)
    with pytest.raises(intake.ApplicationIncomplete):
        send(application)


def test_another_persons_grant_does_not_count():
    granted("startup-subsidy", value="10000.00", id_number=ANOTHER_ID_NUMBER)
    assert send(draft()).status == Status.SUBMITTED


def test_a_refused_or_withdrawn_claim_does_not_use_up_the_grant():
    granted("startup-subsidy", status=Status.REJECTED, value="10000.00")
    granted("startup-subsidy", status=Status.WITHDRAWN, value="10000.00")
    assert send(draft()).status == Status.SUBMITTED


def test_a_claim_being_decided_elsewhere_is_refused_with_its_own_message():
    granted("startup-subsidy", status=Status.IN_REVIEW, value="10000.00")
    with pytest.raises(intake.ApplicationIncomplete) as refused:
        send(draft())
    assert "that application is being decided" in refused.value.problems[intake.ENTITLEMENT_PROBLEM][0]


def test_the_tax_deduction_is_started_once_per_person():
    granted("startup-tax-relief", status=Status.SERVED, value="20000.00")
    with pytest.raises(intake.ApplicationIncomplete):
        send(draft("startup-tax-relief"))


def test_a_one_off_subsidy_that_is_not_once_only_can_be_claimed_again():
    training = {**GRADUATE_FACTS, "training_certificate": True}
    granted("training-subsidy", value="1200.00")
    assert send(draft("training-subsidy", facts=training)).status == Status.SUBMITTED


def test_the_check_page_refuses_with_a_clear_message_and_keeps_the_draft(client):
    granted("startup-subsidy", value="10000.00")
    application = draft()
    client.force_login(application.applicant)
    client.cookies["linghuo_language"] = "en"
    page = client.get(f"/applications/drafts/{application.pk}/check/").content.decode()
    assert 'data-entitlement-state="received"' in page
    assert "data-windows" not in page  # no deadline for a claim that cannot be made
    response = client.post(f"/applications/drafts/{application.pk}/check/", {"declaration": "on"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "This application cannot be sent" in page
    assert "data-entitlement-problem" in page and "It is given only once per person" in page
    application.refresh_from_db()
    assert application.status == Status.DRAFT


def test_the_check_page_in_chinese_says_the_grant_was_received(client):
    granted("startup-subsidy", value="10000.00")
    application = draft()
    client.force_login(application.applicant)
    client.cookies["linghuo_language"] = "zh-hans"
    page = client.post(f"/applications/drafts/{application.pk}/check/", {"declaration": "on"}).content.decode()
    assert "您已领取过这项补贴" in page


def test_an_approval_of_a_once_only_grant_received_meanwhile_is_refused():
    # Both were sent before either was decided; the first is approved, then the second cannot be.
    first = submitted(programme="startup-subsidy", facts=startup_facts(SUBMITTED_ON), applicant=CitizenFactory())
    second = submitted(programme="startup-subsidy", facts=startup_facts(SUBMITTED_ON), applicant=CitizenFactory())
    worker = CaseworkerFactory()
    in_review(first, worker)
    in_review(second, worker)
    review.application_approve(application=first, caseworker=worker)
    first.refresh_from_db()
    assert first.status in (Status.APPROVED, Status.PENDING_APPROVAL)
    if first.status == Status.PENDING_APPROVAL:
        review.application_approve(application=first, caseworker=SupervisorFactory())
    with pytest.raises(ValidationError) as refused:
        review.application_approve(application=second, caseworker=worker)
    assert first.reference in refused.value.messages[0]
    second.refresh_from_db()
    assert second.status == Status.IN_REVIEW
    assert not second.payments.exists()


def test_the_staff_case_page_shows_the_grant_received_and_refuses_the_approval(client):
    first = granted("startup-subsidy", value="10000.00", region="330800")
    second = submitted(programme="startup-subsidy", facts=startup_facts(SUBMITTED_ON), applicant=CitizenFactory())
    worker = CaseworkerFactory()
    in_review(second, worker)
    client.force_login(worker)
    client.cookies["linghuo_language"] = "en"
    page = client.get(f"/staff/cases/{second.reference}/").content.decode()
    assert 'data-entitlement-state="received"' in page
    assert f'href="/staff/cases/{first.reference}/"' in page
    response = client.post(f"/staff/cases/{second.reference}/approve/", {"note": ""})
    assert response.status_code == 400
    assert "has already received this once-only grant" in response.content.decode()


# --- Months of a monthly subsidy ----------------------------------------------------------


def test_months_remaining_count_the_instalments_of_the_persons_other_approved_applications():
    earlier = granted("flexible-si-subsidy")
    scheduled_months(earlier, 20, cancelled=3)  # cancelled instalments are not paid: they do not count
    application = draft("flexible-si-subsidy", facts=dict(GRADUATE_FACTS))
    entitlement = entitlement_for(application)
    assert (entitlement.months_most, entitlement.months_used, entitlement.months_remaining) == (24, 20, 4)


def test_with_no_month_left_a_monthly_claim_is_refused_at_submission():
    scheduled_months(granted("flexible-si-subsidy"), 24)
    application = draft("flexible-si-subsidy", facts=dict(GRADUATE_FACTS))
    assert entitlement_for(application).months_remaining == 0
    with pytest.raises(intake.ApplicationIncomplete) as refused:
        send(application)
    assert refused.value.problems[intake.ENTITLEMENT_PROBLEM] == [
        "You have received all 24 months of this subsidy that can be paid to one person, "
        "so no more months can be claimed."
    ]
    application.refresh_from_db()
    assert application.status == Status.DRAFT


def test_with_one_month_left_the_claim_is_sent_and_the_approval_schedules_one_month():
    scheduled_months(granted("flexible-si-subsidy"), 23)
    application = send(draft("flexible-si-subsidy", facts=dict(GRADUATE_FACTS)))
    assert application.status == Status.SUBMITTED
    assert application.evaluation["amount"]["max_periods"] == 24  # what the rules give one application
    worker = CaseworkerFactory()
    in_review(application, worker)
    amount = review.approval_amount(application)
    assert (amount.periods, amount.total) == (1, amount.value)  # one month: below the four-eyes threshold
    review.application_approve(application=application, caseworker=worker)
    application.refresh_from_db()
    assert application.status == Status.APPROVED
    assert [p.sequence for p in application.payments.all()] == [1]
    assert payment_schedule_create(application=application) == list(application.payments.all())  # idempotent


def test_an_approval_when_the_months_ran_out_meanwhile_is_refused():
    application = submitted(applicant=CitizenFactory())
    scheduled_months(granted("flexible-si-subsidy"), 24)  # approved meanwhile, elsewhere
    worker = CaseworkerFactory()
    in_review(application, worker)
    with pytest.raises(ValidationError) as refused:
        review.application_approve(application=application, caseworker=worker)
    assert "all 24 months" in refused.value.messages[0]


def test_the_schedule_of_an_approval_holds_only_the_months_left():
    scheduled_months(granted("flexible-si-subsidy"), 10)
    application = decided_application("flexible-si-subsidy", max_periods=24, applicant=CitizenFactory())
    payments = payment_schedule_create(application=application)
    assert len(payments) == 14


def test_public_service_months_are_capped_by_psj_max_months_across_applications():
    earlier = granted("public-service-job-subsidy", value="1500.00", max_periods=4)
    scheduled_months(earlier, 4)
    application = decided_application(
        "public-service-job-subsidy", value="1500.00", max_periods=6, applicant=CitizenFactory()
    )
    assert entitlement_for(application).months_most == 6
    assert len(payment_schedule_create(application=application)) == 2


def test_the_citizen_sees_the_months_left_before_sending_and_on_the_case(client):
    scheduled_months(granted("flexible-si-subsidy"), 23)
    application = draft("flexible-si-subsidy", facts=dict(GRADUATE_FACTS))
    client.force_login(application.applicant)
    client.cookies["linghuo_language"] = "zh-hans"
    page = client.get(f"/applications/drafts/{application.pk}/check/").content.decode()
    assert 'data-months-left="1"' in page and "还可领取 1 个月" in page
    client.cookies["linghuo_language"] = "en"
    page = client.get(f"/applications/drafts/{application.pk}/check/").content.decode()
    assert "You can still receive 1 more month of this subsidy." in page
    assert "23 of the 24 months are paid or scheduled on your other applications." in page

    sent = send(application)
    page = client.get(f"/applications/{sent.reference}/").content.decode()
    assert 'data-months-left="1"' in page


def test_an_approved_case_counts_its_own_months(client):
    application = decided_application("flexible-si-subsidy", max_periods=24, applicant=CitizenFactory())
    payment_schedule_create(application=application)
    entitlement = entitlement_for(application)
    assert (entitlement.approved_here, entitlement.own_months, entitlement.months_left_after_this) == (True, 24, 0)
    client.force_login(application.applicant)
    client.cookies["linghuo_language"] = "en"
    page = client.get(f"/applications/{application.reference}/").content.decode()
    assert "24 of the 24 months this subsidy can be paid to one person are paid or scheduled." in page


def test_the_caseworker_sees_what_remains_and_what_an_approval_schedules(client):
    earlier = granted("flexible-si-subsidy", region="330800")
    scheduled_months(earlier, 20)
    application = submitted(applicant=CitizenFactory())
    worker = CaseworkerFactory()
    in_review(application, worker)
    client.force_login(worker)
    client.cookies["linghuo_language"] = "en"
    page = client.get(f"/staff/cases/{application.reference}/").content.decode()
    assert "20 of the 24 months are paid or scheduled on this person's other applications; 4 remain." in page
    assert "An approval schedules 4 months." in page
    assert earlier.reference in page


def test_no_entitlement_panel_for_a_programme_without_a_limit(client):
    application = draft("training-subsidy", facts={**GRADUATE_FACTS, "training_certificate": True})
    assert entitlement_for(application) is None
    client.force_login(application.applicant)
    page = client.get(f"/applications/drafts/{application.pk}/check/").content.decode()
    assert "data-entitlement" not in page


def test_a_draft_without_an_identity_number_is_the_account():
    earlier = granted("startup-subsidy", value="10000.00")
    application = draft(id_number="")
    assert entitlement_for(application).refusal == ""  # another account, and no number to match
    application.applicant = earlier.applicant
    assert entitlement_for(application).refusal == "received"


def test_the_identity_number_matches_whatever_its_spacing_and_check_letter_case():
    granted("startup-subsidy", value="10000.00", id_number="33080219900115002x")
    application = draft(id_number="330802 19900115002X")
    assert entitlement_for(application).refusal == "received"
    assert application.id_number != VALID_ID_NUMBER


# --- Two claims at once (PostgreSQL) -----------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_accounts_sending_the_same_once_only_claim_at_once_send_one(monkeypatch):
    import time

    from applications.services import entitlements
    from tests.applications.test_claim_concurrency import run_together

    read = entitlements.entitlement_for

    def slow_read(application):
        found = read(application)
        time.sleep(0.5)  # both have read before either has sent, unless the second waits for the first
        return found

    monkeypatch.setattr(entitlements, "entitlement_for", slow_read)
    drafts = [draft(applicant=CitizenFactory()) for _ in range(2)]  # the same identity number
    refused = []

    def send_one(application):
        try:
            with translation.override("en"):  # each thread has its own language
                send(application)
        except intake.ApplicationIncomplete as exc:
            refused.append(exc.problems)

    assert run_together(drafts, send_one) == []
    statuses = sorted(Application.objects.filter(pk__in=[d.pk for d in drafts]).values_list("status", flat=True))
    assert statuses == [Status.DRAFT, Status.SUBMITTED]
    assert len(refused) == 1 and "being decided" in refused[0][intake.ENTITLEMENT_PROBLEM][0]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_caseworkers_approving_the_same_persons_once_only_claims_at_once_approve_one(monkeypatch):
    import time

    from applications.services import entitlements
    from tests.applications.test_claim_concurrency import run_together
    from tests.applications.test_review_services import threshold_from

    threshold_from(date(2026, 1, 1), "100000.00")  # one approval each, no second one
    read = entitlements.entitlement_for

    def slow_read(application):
        found = read(application)
        time.sleep(0.5)  # both have read before either has approved, unless the second waits for the first
        return found

    claims = [
        submitted(programme="startup-subsidy", facts=startup_facts(SUBMITTED_ON), applicant=CitizenFactory())
        for _ in range(2)
    ]
    workers = [CaseworkerFactory() for _ in claims]
    for claim, worker in zip(claims, workers, strict=True):
        in_review(claim, worker)
    monkeypatch.setattr(entitlements, "entitlement_for", slow_read)
    refused = []

    def approve(pair):
        claim, worker = pair
        try:
            with translation.override("en"):
                review.application_approve(application=claim, caseworker=worker)
        except ValidationError as exc:
            refused.append(exc.messages[0])

    assert run_together(list(zip(claims, workers, strict=True)), approve) == []
    statuses = sorted(Application.objects.filter(pk__in=[c.pk for c in claims]).values_list("status", flat=True))
    assert statuses == [Status.APPROVED, Status.IN_REVIEW]
    assert len(refused) == 1 and "has already received this once-only grant" in refused[0]
    assert Payment.objects.filter(application__in=claims).count() == 1
