"""Reconsideration of a refusal: the window, who may decide, the staff page, the outcome messages."""

from datetime import date, datetime, time, timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from applications.models import (
    Application,
    Approval,
    AuditEntry,
    CaseEvent,
    Document,
    Notification,
    ReasonCode,
    Reconsideration,
    Status,
)
from applications.selectors_follow_up import reconsideration_window
from applications.selectors_staff import staff_queue
from applications.services import follow_up, review
from eligibility.models import Parameter, ParameterValue
from tests.applications.files import pdf_bytes, upload
from tests.factories import ApplicationFactory, CaseworkerFactory, CitizenFactory, SupervisorFactory

pytestmark = pytest.mark.django_db

SUBMITTED_ON = date(2026, 5, 4)


@pytest.fixture(autouse=True)
def _english_messages():
    with translation.override("en"):
        yield


@pytest.fixture
def english(client, settings):
    """Pages in English for the assertions below (the portal's default is Chinese)."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def reason():
    return ReasonCode.objects.create(code="income-too-high", text_zh="收入超过标准", text_en="Income above the limit")


def submitted(**fields) -> Application:
    application = ApplicationFactory(
        status=Status.SUBMITTED,
        submitted_on=SUBMITTED_ON,
        submitted_at=timezone.make_aware(datetime.combine(SUBMITTED_ON, time(9, 0))),
        **fields,
    )
    application.reference = f"LH-2026-{application.pk:06d}"
    application.save(update_fields=["reference"])
    return application


def refused(reason, *, by=None, days_ago: int = 0, **fields) -> Application:
    """A case refused by ``by`` (a caseworker by default), ``days_ago`` days before today."""
    application = submitted(**fields)
    by = by or CaseworkerFactory()
    review.application_claim(application=application, caseworker=by)
    review.application_reject(application=application, caseworker=by, reason_codes=[reason], free_text="See the rules.")
    if days_ago:
        Application.objects.filter(pk=application.pk).update(decided_at=timezone.now() - timedelta(days=days_ago))
    application.refresh_from_db()
    return application


def ask(application: Application, grounds: str = "My income was counted twice.", files=()) -> Application:
    return follow_up.application_request_reconsideration(
        application=application, acting_user=application.applicant, grounds=grounds, files=files
    )


# --- The window ---------------------------------------------------------------------------


def test_on_day_60_after_the_refusal_reconsideration_can_be_asked_for(reason):
    refuser = CaseworkerFactory()
    application = refused(reason, by=refuser, days_ago=60)
    assert reconsideration_window(application).available

    ask(application)

    application.refresh_from_db()
    assert application.status == Status.RECONSIDERATION
    assert application.assigned_to is None  # back in the region's queue, for anybody but the refuser
    reconsideration = Reconsideration.objects.get(application=application)
    assert reconsideration.grounds == "My income was counted twice."
    assert reconsideration.rejected_by == refuser
    assert reconsideration.rejection_reason_codes == ["income-too-high"]
    # Written in the applicant's language (Chinese unless they chose otherwise).
    assert "收入超过标准" in reconsideration.rejection_note and "See the rules." in reconsideration.rejection_note
    assert reconsideration.rejection_evaluation == application.evaluation
    assert reconsideration.evaluation["as_of"] == SUBMITTED_ON.isoformat()
    assert reconsideration.is_open
    audited = AuditEntry.objects.filter(application=application, action=AuditEntry.Action.TRANSITION).first()
    assert audited.details == {"from": "rejected", "to": "reconsideration", "note": "My income was counted twice."}
    assert application.sla_due_on is not None and application.sla_due_on > timezone.localdate()


def test_on_day_61_it_is_refused_and_the_case_page_says_since_when(client, reason):
    application = refused(reason, days_ago=61)
    window = reconsideration_window(application)
    assert (window.available, window.reason) == (False, "closed")
    assert window.closes_on == timezone.localdate() - timedelta(days=1)

    with pytest.raises(ValidationError) as refusal:
        ask(application)
    assert refusal.value.code == "closed"
    assert "The time to ask for reconsideration ended on" in refusal.value.messages[0]
    application.refresh_from_db()
    assert application.status == Status.REJECTED
    assert not Reconsideration.objects.exists()

    client.force_login(application.applicant)
    with translation.override("zh-hans"):
        page = client.get(f"/applications/{application.reference}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    closes = window.closes_on
    assert f"复查申请期限已于{closes.year}年{closes.month}月{closes.day}日截止" in page
    assert "/reconsideration/" not in page  # no button, no form


def test_the_window_is_the_one_in_force_on_the_refusal_date(reason):
    application = refused(reason, days_ago=45)
    refused_on = timezone.localdate(application.decided_at)
    # A shorter window from the day after the refusal on does not shorten this one.
    ParameterValue.objects.create(
        parameter=Parameter.objects.get(key="review.appeal_window_days"),
        valid_from=refused_on + timedelta(days=1),
        value="30",
    )
    window = reconsideration_window(application)
    assert window.available and window.closes_on == refused_on + timedelta(days=60)


def test_reasons_are_required_and_only_the_applicant_may_ask(reason):
    application = refused(reason)
    with pytest.raises(ValidationError) as missing:
        ask(application, grounds="   ")
    assert "grounds" in missing.value.error_dict
    with pytest.raises(ValidationError):
        follow_up.application_request_reconsideration(
            application=application, acting_user=CitizenFactory(), grounds="Let me in."
        )
    application.refresh_from_db()
    assert application.status == Status.REJECTED


def test_another_open_application_for_the_programme_is_said_not_crashed_on(reason):
    application = refused(reason)
    other = ApplicationFactory(applicant=application.applicant, programme=application.programme)  # a new draft
    with pytest.raises(ValidationError) as refusal:
        ask(application)
    assert refusal.value.code == "other_open"
    assert Application.objects.get(pk=other.pk).status == Status.DRAFT


def test_new_documents_come_with_the_request(reason):
    application = refused(reason)
    ask(application, files=[upload("new-payslip.pdf", pdf_bytes(1), "application/pdf")])
    document = Document.objects.get(application=application)
    assert (document.kind, document.original_name) == (Document.Kind.OTHER, "new-payslip.pdf")
    assert CaseEvent.objects.filter(application=application, kind=CaseEvent.Kind.DOCUMENT).exists()


def test_a_file_that_is_not_a_document_is_refused_before_anything_changes(reason):
    application = refused(reason)
    with pytest.raises(ValidationError):
        ask(application, files=[upload("notes.pdf", b"just text, not a pdf", "application/pdf")])
    application.refresh_from_db()
    assert application.status == Status.REJECTED
    assert not Document.objects.filter(application=application).exists()


# --- A different caseworker decides --------------------------------------------------------


def test_the_caseworker_who_refused_cannot_claim_or_decide_the_reconsideration(reason):
    refuser, colleague = CaseworkerFactory(), CaseworkerFactory()
    application = refused(reason, by=refuser)
    ask(application)

    assert not review.claimable_for(refuser).filter(pk=application.pk).exists()
    assert review.application_claim_next(caseworker=refuser) is None
    with pytest.raises(PermissionDenied, match="a colleague must take and decide"):
        review.application_claim(application=application, caseworker=refuser)
    assert review.case_actions(application=application, person=refuser) == frozenset({"note"})
    assert "claim" in review.case_actions(application=application, person=colleague)

    assert review.application_claim_next(caseworker=colleague).pk == application.pk
    application.refresh_from_db()
    assert (application.status, application.assigned_to) == (Status.IN_REVIEW, colleague)
    with pytest.raises(PermissionDenied):
        review.application_approve(application=application, caseworker=refuser)


def test_a_supervisor_who_refused_gives_neither_approval_on_reconsideration(reason, django_capture_on_commit_callbacks):
    refusing_supervisor, colleague, other_supervisor = SupervisorFactory(), CaseworkerFactory(), SupervisorFactory()
    application = refused(reason, by=refusing_supervisor)
    ask(application)
    review.application_claim(application=application, caseworker=colleague)
    with pytest.raises(PermissionDenied):
        review.application_reject(application=application, caseworker=refusing_supervisor, reason_codes=[reason])

    # 500.00 a month for 24 months is above the four-eyes threshold: two approvals, still.
    review.application_approve(application=application, caseworker=colleague)
    application.refresh_from_db()
    assert application.status == Status.PENDING_APPROVAL
    assert "approve" not in review.case_actions(application=application, person=refusing_supervisor)
    with pytest.raises(PermissionDenied):
        review.application_approve(application=application, caseworker=refusing_supervisor)

    with django_capture_on_commit_callbacks(execute=True):
        review.application_approve(application=application, caseworker=other_supervisor)
    application.refresh_from_db()
    assert application.status == Status.APPROVED
    reconsideration = Reconsideration.objects.get(application=application)
    assert (reconsideration.outcome, reconsideration.decided_by) == ("approved", other_supervisor)
    inbox = Notification.objects.get(application=application, event="reconsideration_ok", channel="inbox")
    assert "现予以批准" in inbox.body  # the applicant reads Chinese
    assert application.payments.exists()


def test_a_refusal_upheld_on_reconsideration_is_told_and_cannot_be_asked_again(reason):
    application = refused(reason)
    ask(application)
    colleague = CaseworkerFactory()
    review.application_claim(application=application, caseworker=colleague)
    review.application_reject(application=application, caseworker=colleague, reason_codes=[reason])

    application.refresh_from_db()
    assert application.status == Status.REJECTED
    reconsideration = Reconsideration.objects.get(application=application)
    assert (reconsideration.outcome, reconsideration.decided_by) == ("rejected", colleague)
    assert Notification.objects.filter(application=application, event="reconsideration_no", channel="inbox").exists()
    window = reconsideration_window(application)
    assert (window.available, window.reason) == (False, "used")
    with pytest.raises(ValidationError) as again:
        ask(application)
    assert again.value.code == "used"


def test_a_reconsideration_given_back_waits_in_the_queue_as_one(reason):
    application = refused(reason)
    ask(application)
    colleague = CaseworkerFactory(region=application.region)
    review.application_claim(application=application, caseworker=colleague)
    review.application_release(application=application, caseworker=colleague)
    application.refresh_from_db()
    assert application.status == Status.RECONSIDERATION
    row = staff_queue(user=colleague).get(pk=application.pk)
    assert row.flag_reconsideration


def test_an_approval_the_refusal_overrode_lapses_and_is_kept_in_the_audit(reason):
    worker, supervisor, colleague = CaseworkerFactory(), SupervisorFactory(), CaseworkerFactory()
    application = submitted()
    review.application_claim(application=application, caseworker=worker)
    review.application_approve(application=application, caseworker=worker)  # first approval
    review.application_reject(application=application, caseworker=supervisor, reason_codes=[reason])
    ask(application)
    assert not Approval.objects.filter(application=application).exists()
    lapsed = AuditEntry.objects.filter(application=application, details__decision="approvals_lapsed_on_reconsideration")
    assert lapsed.count() == 1
    review.application_claim(application=application, caseworker=colleague)
    review.application_approve(application=application, caseworker=colleague)  # no clash with the lapsed one
    assert Approval.objects.get(application=application).approver == colleague


def test_the_rejection_message_says_until_when_to_ask(reason, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        application = refused(reason, applicant=CitizenFactory(preferred_language="en", email="a@example.org"))
    closes_on = timezone.localdate() + timedelta(days=60)
    body = mail.outbox[-1].body
    assert "ask for the decision to be reconsidered" in body
    with translation.override("en"):
        from django.utils.formats import date_format

        assert f"Ask by {date_format(closes_on, 'DATE_FORMAT')}." in body
    assert application.status == Status.REJECTED


# --- Pages ---------------------------------------------------------------------------------


def test_the_citizen_asks_on_the_case_page_and_a_wrong_file_keeps_what_was_typed(english, reason):
    client = english
    application = refused(reason, days_ago=10)
    client.force_login(application.applicant)
    url = f"/applications/{application.reference}/"
    page = client.get(url).content.decode()
    assert "Ask for reconsideration" in page and f"/applications/{application.reference}/reconsideration/" in page

    bad = client.post(
        f"{url}reconsideration/",
        {"grounds": "I was not employed then.", "files": [upload("x.pdf", b"plain text", "application/pdf")]},
    )
    assert bad.status_code == 400
    text = bad.content.decode()
    assert "not a PDF, JPEG or PNG" in text and "I was not employed then." in text
    assert client.post(f"{url}reconsideration/", {"grounds": ""}).status_code == 400

    sent = client.post(
        f"{url}reconsideration/",
        {"grounds": "I was not employed then.", "files": [upload("contract.pdf", pdf_bytes(1), "application/pdf")]},
    )
    assert sent.status_code == 302
    page = client.get(url).content.decode()
    assert "Your request for reconsideration" in page and "I was not employed then." in page
    application.refresh_from_db()
    assert application.status == Status.RECONSIDERATION


def test_the_staff_page_shows_the_refusal_beside_the_reconsideration(english, reason):
    client = english
    refuser = CaseworkerFactory(username="refuser-li@example.org")
    application = refused(reason, by=refuser)
    ask(application, grounds="The certificate was sent late by the school.")
    colleague = CaseworkerFactory()

    client.force_login(colleague)
    page = client.get(f"/staff/cases/{application.reference}/").content.decode()
    assert "Reconsideration requested" in page
    assert "The certificate was sent late by the school." in page
    assert str(refuser) in page and "Income above the limit" in page
    assert "Eligibility at the refusal and when reconsideration was asked for" in page
    assert "Claim this case" in page

    client.force_login(refuser)
    page = client.get(f"/staff/cases/{application.reference}/").content.decode()
    assert "a colleague must take and decide its reconsideration" in page
    assert "Claim this case" not in page
    forbidden = client.post(f"/staff/cases/{application.reference}/claim/")
    assert forbidden.status_code == 403


def test_the_queue_marks_a_reconsideration(english, reason):
    client = english
    application = refused(reason)
    ask(application)
    colleague = CaseworkerFactory()
    client.force_login(colleague)
    page = client.get("/staff/queue/").content.decode()
    assert application.reference in page and "Reconsideration" in page
    # A colleague can claim it from its row, like any waiting case.
    assert f'action="/staff/cases/{application.reference}/claim/"' in page


def test_no_language_is_missing_from_the_new_messages(reason, django_capture_on_commit_callbacks):
    application = refused(reason, applicant=CitizenFactory(preferred_language="zh-hans"))
    ask(application)
    colleague = CaseworkerFactory()
    review.application_claim(application=application, caseworker=colleague)
    review.application_reject(application=application, caseworker=colleague, reason_codes=[reason])
    inbox = Notification.objects.get(application=application, event="reconsideration_no", channel="inbox")
    assert "复查" in inbox.subject and "收入超过标准" in inbox.body
