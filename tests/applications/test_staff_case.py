"""The staff case page: who may see it, masked personal data, the evaluation then and now, and decisions."""

from datetime import date
from decimal import Decimal

import pytest

from applications.models import AuditEntry, CaseEvent, Document, Notification, Payment, ReasonCode, Status
from applications.services import review
from eligibility.models import Parameter, ParameterValue
from eligibility.parameter_cache import policy_version_bump
from tests.applications.test_review_services import TRAINING_FACTS, attach, submitted
from tests.factories import ApplicationFactory, CaseworkerFactory, CitizenFactory, SupervisorFactory

pytestmark = pytest.mark.django_db

ID_NUMBER = "330802199905021230"
BANK_ACCOUNT = "6222021234567890123"


@pytest.fixture
def worker(client, english):
    person = CaseworkerFactory(preferred_language="en")
    client.force_login(person)
    return person


@pytest.fixture
def application():
    return submitted(id_number=ID_NUMBER, bank_account=BANK_ACCOUNT, applicant=CitizenFactory(preferred_language="en"))


def url(application, action: str = "") -> str:
    return f"/staff/cases/{application.reference}/{action + '/' if action else ''}"


# --- Who may see it -------------------------------------------------------------------------


def test_another_regions_case_does_not_exist_for_staff(client, worker):
    elsewhere = submitted(region="330100")
    assert client.get(url(elsewhere)).status_code == 404
    assert client.post(url(elsewhere, "claim")).status_code == 404
    assert client.post(url(elsewhere, "reveal"), {"field": "id_number"}).status_code == 404
    assert not AuditEntry.objects.exists()


def test_a_citizen_cannot_see_a_staff_case_page_not_even_their_own(client, application):
    assert client.get(url(application))["Location"].startswith("/accounts/login/")
    client.force_login(application.applicant)
    assert client.get(url(application)).status_code == 404
    client.force_login(CitizenFactory())
    assert client.get(url(application)).status_code == 404


def test_drafts_are_not_staff_cases(client, worker):
    draft = ApplicationFactory(reference="LH-2026-000999")
    assert client.get(url(draft)).status_code == 404


# --- Personal data ------------------------------------------------------------------------------


def test_identity_and_bank_numbers_are_masked_and_opening_the_case_is_audited(client, worker, application):
    page = client.get(url(application)).content.decode()
    assert "***************230" in page and "6222 **** **** 0123" in page
    assert ID_NUMBER not in page and BANK_ACCOUNT not in page
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor, entry.application) == (AuditEntry.Action.VIEW_CASE, worker, application)


@pytest.mark.parametrize(("field", "value"), [("id_number", ID_NUMBER), ("bank_account", BANK_ACCOUNT)])
def test_revealing_a_number_shows_it_and_is_audited(client, worker, application, field, value):
    # A POST with a reason, then back to the case page (PRG), which shows the number once.
    response = client.post(url(application, "reveal"), {"field": field, "reason": "Checking the identity"})
    assert response.status_code == 302
    assert response["Location"] == url(application) + "#applicant-title"
    assert value in client.get(url(application)).content.decode()
    entry = AuditEntry.objects.get(action=AuditEntry.Action.VIEW_PERSONAL_DATA)
    assert (entry.actor, entry.application) == (worker, application)
    assert entry.details == {"field": field, "reason": "Checking the identity"}
    assert entry.ip_address == "127.0.0.1"


def test_only_the_masked_fields_can_be_revealed(client, worker, application):
    assert client.post(url(application, "reveal"), {"field": "password"}).status_code == 302
    assert client.get(url(application, "reveal")).status_code == 405
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.VIEW_PERSONAL_DATA).exists()


# --- What the caseworker checks -------------------------------------------------------------------


def test_the_facts_are_in_words_and_the_evaluation_matches(client, worker, application):
    page = client.get(url(application)).content.decode()
    # The applicant's answers in the third person, as staff read them.
    assert "Has held formal employment since graduating" in page
    assert "Have you worked under a labour contract since you graduated?" not in page
    assert "The evaluation run now gives the same result as the stored one." in page
    assert "500.00 yuan a month, for up to 24 months" in page


def test_a_back_dated_parameter_change_shows_as_a_difference(client, worker, application):
    ParameterValue.objects.create(
        parameter=Parameter.objects.get(key="si.subsidy_rate"), valid_from=date(2026, 1, 1), value="0.60"
    )
    policy_version_bump()  # written past the policy services, as a database fix would be
    page = client.get(url(application)).content.decode()
    assert "2 differences between the stored evaluation and the one run now." in page  # amount and rate
    assert "600.00 yuan a month, for up to 24 months" in page  # run again
    assert "500.00 yuan a month, for up to 24 months" in page  # stored, and still what is approved
    assert page.count('class="table-warning"') == 2


def test_documents_are_previewed_with_their_check_results(client, worker, application):
    image = attach(application, kind="identity_card", content_type="image/jpeg", original_name="id.jpg")
    pdf = attach(
        application,
        kind="graduation_certificate",
        check_status=Document.CheckStatus.FLAGGED,
        check_results={"problems": ["pdf_encrypted"]},
    )
    page = client.get(url(application)).content.decode()
    assert f'<img src="/documents/{image.token}/?preview=case"' in page
    # A PDF as images of its pages in a sandboxed frame, and the original only as a download.
    assert f'<iframe src="/documents/{pdf.token}/pages/?preview=case" sandbox="allow-same-origin"' in page
    assert f'<a href="/documents/{pdf.token}/" download>Open the original PDF (download)' in page
    assert f'<iframe src="/documents/{pdf.token}/?preview=case"' not in page
    assert "The PDF is protected with a password." in page


def test_duplicates_link_to_the_other_cases(client, worker, application):
    same_person = submitted(id_number=ID_NUMBER, applicant=CitizenFactory())
    far_away = submitted(id_number=ID_NUMBER, applicant=CitizenFactory(), region="330100")
    attach(
        application,
        original_name="receipts.pdf",
        check_status=Document.CheckStatus.FLAGGED,
        check_results={"problems": ["duplicate_elsewhere"], "duplicate_of": [same_person.reference]},
    )
    page = client.get(url(application)).content.decode()
    assert "The same identity number is on another person's application:" in page
    assert f'<a href="/staff/cases/{same_person.reference}/">{same_person.reference}</a>' in page
    assert far_away.reference in page and f'href="/staff/cases/{far_away.reference}/"' not in page
    assert "The file “receipts.pdf” is also attached to:" in page
    assert "The same file is attached to another person&#x27;s application." in page


def test_internal_notes_are_on_the_staff_timeline_only(client, worker, application):
    response = client.post(url(application, "notes"), {"text": "Phoned the employer: confirmed."})
    assert response["Location"] == url(application) + "#timeline"
    event = CaseEvent.objects.get(kind=CaseEvent.Kind.NOTE)
    assert event.internal and event.actor == worker
    assert AuditEntry.objects.filter(action=AuditEntry.Action.NOTE, application=application).exists()
    assert "Phoned the employer: confirmed." in client.get(url(application)).content.decode()
    client.force_login(application.applicant)
    assert "Phoned the employer" not in client.get(f"/applications/{application.reference}/").content.decode()
    client.force_login(worker)
    assert client.post(url(application, "notes"), {"text": ""}).status_code == 400


# --- Decisions through the pages ------------------------------------------------------------------------


def test_approving_ignores_a_posted_amount_and_needs_a_supervisor_above_the_threshold(
    client, worker, application, django_capture_on_commit_callbacks
):
    review.application_claim(application=application, caseworker=worker)
    page = client.get(url(application)).content.decode()
    assert 'name="amount"' not in page
    assert "A supervisor's second approval is needed." in page
    response = client.post(url(application, "approve"), {"amount": "99999.00", "note": "All in order."})
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == Status.PENDING_APPROVAL
    assert application.approvals.get().amount == Decimal("500.00")

    supervisor = SupervisorFactory()
    client.force_login(supervisor)
    assert "Give the second approval" in client.get(url(application)).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url(application, "approve"), {"amount": "99999.00"})
    application.refresh_from_db()
    assert application.status == Status.APPROVED
    assert application.amount == Decimal("500.00")
    assert set(Payment.objects.filter(application=application).values_list("amount", flat=True)) == {Decimal("500.00")}


def test_refusals_of_the_rules_answer_403_with_the_reason(client, worker, application):
    review.application_claim(application=application, caseworker=CaseworkerFactory())
    response = client.post(url(application, "approve"))
    assert response.status_code == 403
    assert "Only the caseworker who took this case, or a supervisor, can decide on it." in response.content.decode()


def test_a_supervisor_is_refused_a_decision_on_their_own_application(client, english):
    supervisor = SupervisorFactory(preferred_language="en")
    own = submitted(applicant=supervisor)
    review.application_claim(application=own, caseworker=CaseworkerFactory())
    client.force_login(supervisor)
    page = client.get(url(own)).content.decode()
    assert "This is your own application. Somebody else decides on it." in page
    response = client.post(url(own, "approve"))
    assert response.status_code == 403
    assert "Nobody may handle or decide on their own application." in response.content.decode()
    own.refresh_from_db()
    assert own.status == Status.IN_REVIEW


def test_refusing_with_reasons_through_the_page(client, worker, django_capture_on_commit_callbacks):
    applicant = CitizenFactory(preferred_language="zh-hans")
    application = submitted(programme="training-subsidy", facts=TRAINING_FACTS, applicant=applicant)
    review.application_claim(application=application, caseworker=worker)
    reason = ReasonCode.objects.get(code="not-flexible-employment")
    page = client.get(url(application)).content.decode()
    assert reason.text_en in page  # the caseworker reads the reasons in their language
    assert client.post(url(application, "reject"), {"free_text": "No reason ticked"}).status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url(application, "reject"), {"reasons": [reason.pk], "free_text": "另见电话记录。"})
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == Status.REJECTED
    inbox = Notification.objects.get(application=application, event="rejected", channel="inbox")
    assert reason.text_zh in inbox.body and "另见电话记录。" in inbox.body


def test_asking_for_documents_through_the_page(client, worker, application):
    review.application_claim(application=application, caseworker=worker)
    assert client.post(url(application, "request-info"), {}).status_code == 400
    response = client.post(
        url(application, "request-info"), {"document_kinds": ["business_licence"], "message": "When did you start?"}
    )
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == Status.INFO_REQUESTED
    inbox = Notification.objects.get(application=application, event="info_requested", channel="inbox")
    assert "- Business licence" in inbox.body and "When did you start?" in inbox.body


def test_a_supervisor_sends_a_pending_case_back(client, worker, application):
    review.application_claim(application=application, caseworker=worker)
    review.application_approve(application=application, caseworker=worker)
    assert client.post(url(application, "return"), {"note": "Not mine to do"}).status_code == 403
    client.force_login(SupervisorFactory())
    assert client.post(url(application, "return"), {"note": ""}).status_code == 400
    assert client.post(url(application, "return"), {"note": "Check the receipts again."}).status_code == 302
    application.refresh_from_db()
    assert application.status == Status.IN_REVIEW
