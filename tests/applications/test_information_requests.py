"""Requests for information: the reply date, the answer form's slots, the reminder, deciding after the date."""

from datetime import date, datetime, time, timedelta

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation
from django.utils.formats import date_format

from applications.models import (
    Application,
    AuditEntry,
    CaseEvent,
    Document,
    InformationRequest,
    Notification,
    ReasonCode,
    Status,
)
from applications.selectors_follow_up import information_reply_due_on, reply_overdue
from applications.services import follow_up, review
from applications.tasks import remind_information_requests
from eligibility.models import Parameter, ParameterValue
from tests.applications.files import pdf_bytes, upload
from tests.factories import ApplicationFactory, CaseworkerFactory, CitizenFactory, SupervisorFactory

pytestmark = pytest.mark.django_db

SUBMITTED_ON = date(2026, 5, 4)
RECEIPTS = Document.Kind.SOCIAL_INSURANCE_RECEIPTS


@pytest.fixture(autouse=True)
def _english_messages():
    with translation.override("en"):
        yield


@pytest.fixture
def english(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def en_date(day: date) -> str:
    """A date as the English pages write it (a request may leave another language active)."""
    with translation.override("en"):
        return date_format(day, "DATE_FORMAT")


def in_review(worker=None, **fields) -> Application:
    application = ApplicationFactory(
        status=Status.SUBMITTED,
        submitted_on=SUBMITTED_ON,
        submitted_at=timezone.make_aware(datetime.combine(SUBMITTED_ON, time(9, 0))),
        **fields,
    )
    application.reference = f"LH-2026-{application.pk:06d}"
    application.save(update_fields=["reference"])
    review.application_claim(application=application, caseworker=worker or CaseworkerFactory())
    application.refresh_from_db()
    return application


def asked(worker, *, kinds=(RECEIPTS,), message="Which platform do you work for?", **fields) -> Application:
    application = in_review(worker, **fields)
    review.application_request_info(application=application, caseworker=worker, document_kinds=kinds, message=message)
    application.refresh_from_db()
    return application


def due_in(application: Application, days: int) -> InformationRequest:
    """Moves the reply date of the open request to ``days`` days from today (negative: in the past)."""
    request = application.information_requests.get()
    InformationRequest.objects.filter(pk=request.pk).update(reply_due_on=timezone.localdate() + timedelta(days=days))
    request.refresh_from_db()
    return request


# --- The request and its reply date --------------------------------------------------------


def test_the_request_keeps_its_documents_questions_and_the_reply_date(django_capture_on_commit_callbacks):
    worker = CaseworkerFactory()
    with django_capture_on_commit_callbacks(execute=True):
        application = asked(
            worker,
            message="Which platform do you work for?\n\nSince when?",
            applicant=CitizenFactory(preferred_language="en"),
        )
    request = application.information_requests.get()
    today = timezone.localdate()
    assert request.document_kinds == [RECEIPTS]
    assert request.questions == ["Which platform do you work for?", "Since when?"]
    assert request.reply_due_on == today + timedelta(days=15)  # review.rfi_reply_days
    assert request.requested_by == worker and request.is_open
    inbox = Notification.objects.get(application=application, event="info_requested", channel="inbox")
    assert f"Please answer by {en_date(request.reply_due_on)}." in inbox.body
    sms = Notification.objects.get(application=application, event="info_requested", channel="sms")
    assert en_date(request.reply_due_on) in sms.body
    entry = AuditEntry.objects.filter(application=application, details__decision="info_requested").get()
    assert entry.details["reply_due_on"] == request.reply_due_on.isoformat()


def test_the_reply_days_are_those_in_force_on_the_request_date():
    parameter = Parameter.objects.get(key="review.rfi_reply_days")
    ParameterValue.objects.create(parameter=parameter, valid_from=date(2026, 7, 1), value="10")
    assert information_reply_due_on(requested_on=date(2026, 6, 30)) == date(2026, 7, 15)
    assert information_reply_due_on(requested_on=date(2026, 7, 1)) == date(2026, 7, 11)


def test_a_second_click_makes_no_second_request():
    worker = CaseworkerFactory()
    application = asked(worker)
    review.application_request_info(application=application, caseworker=worker, message="Again?")
    assert application.information_requests.count() == 1


# --- Deciding after the reply date ---------------------------------------------------------


def test_on_the_reply_date_itself_the_caseworker_cannot_decide_yet():
    worker = CaseworkerFactory()
    application = asked(worker)
    request = due_in(application, 0)
    assert not reply_overdue(request)
    assert review.case_actions(application=application, person=worker) == frozenset({"note"})
    reason = ReasonCode.objects.create(code="no-answer", text_zh="未答复", text_en="No answer")
    for decide in (
        lambda: review.application_approve(application=application, caseworker=worker),
        lambda: review.application_reject(application=application, caseworker=worker, reason_codes=[reason]),
        lambda: review.application_resume_review(application=application, caseworker=worker),
    ):
        with pytest.raises(ValidationError) as refusal:
            decide()
        assert refusal.value.code == "reply_not_due"
    application.refresh_from_db()
    assert application.status == Status.INFO_REQUESTED


def test_the_day_after_the_reply_date_the_caseworker_decides_on_what_is_there():
    worker = CaseworkerFactory()
    application = asked(worker)
    request = due_in(application, -1)
    assert reply_overdue(request)
    assert {"approve", "reject", "resume_review"} <= review.case_actions(application=application, person=worker)

    review.application_approve(application=application, caseworker=worker)
    application.refresh_from_db()
    assert application.status == Status.PENDING_APPROVAL  # four eyes still: 12,000 in all
    moves = list(application.events.filter(kind="transition").values_list("from_status", "to_status"))
    assert moves[-2:] == [("info_requested", "in_review"), ("in_review", "pending_approval")]
    request.refresh_from_db()
    assert request.lapsed_at is not None and not request.is_open
    assert application.sla_paused_on is None  # the clock runs again


def test_taking_an_overdue_case_back_into_review():
    worker = CaseworkerFactory()
    application = asked(worker)
    due_in(application, -1)
    review.application_resume_review(application=application, caseworker=worker, note="Phoned, no answer.")
    application.refresh_from_db()
    assert (application.status, application.assigned_to) == (Status.IN_REVIEW, worker)
    assert application.events.last().note == "Phoned, no answer."
    entries = AuditEntry.objects.filter(application=application, action=AuditEntry.Action.DECISION)
    assert "reply_overdue" in [entry.details["decision"] for entry in entries]


def test_only_the_caseworker_who_asked_or_a_supervisor_decides_after_the_date():
    worker = CaseworkerFactory()
    application = asked(worker)
    due_in(application, -1)
    other = CaseworkerFactory()
    assert "approve" not in review.case_actions(application=application, person=other)
    with pytest.raises(PermissionDenied):
        review.application_resume_review(application=application, caseworker=other)
    review.application_resume_review(application=application, caseworker=SupervisorFactory())
    application.refresh_from_db()
    assert application.status == Status.IN_REVIEW


# --- The reminder ---------------------------------------------------------------------------


def test_the_reminder_goes_three_days_before_the_date_and_only_once():
    worker = CaseworkerFactory()
    application = asked(worker, applicant=CitizenFactory(preferred_language="en", email="x@example.org"))
    due_in(application, 4)
    assert remind_information_requests() == {"reminded": 0}
    request = due_in(application, 3)

    assert remind_information_requests() == {"reminded": 1}
    reminders = Notification.objects.filter(application=application, event="info_reminder")
    assert sorted(reminders.values_list("channel", flat=True)) == ["email", "inbox", "sms"]
    inbox = reminders.get(channel="inbox")
    assert en_date(request.reply_due_on) in inbox.body
    request.refresh_from_db()
    assert request.reminder_sent_at is not None

    assert remind_information_requests() == {"reminded": 0}  # hourly or daily: still one
    due_in(application, 1)
    assert follow_up.information_request_reminders_send() == 0
    assert Notification.objects.filter(application=application, event="info_reminder").count() == 3


def test_no_reminder_for_a_request_answered_or_past_its_date():
    worker = CaseworkerFactory()
    overdue = asked(worker)
    due_in(overdue, -1)
    answered = asked(worker, kinds=(), message="One question")
    due_in(answered, 2)
    follow_up.application_answer_information_request(
        application=answered, acting_user=answered.applicant, answers=["An answer"]
    )
    assert follow_up.information_request_reminders_send() == 0


def test_the_reminder_job_runs_beside_the_overdue_job_on_beat():
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert schedule["remind-information-requests"]["task"] == remind_information_requests.name
    assert "flag-overdue-cases" in schedule


# --- Answering ------------------------------------------------------------------------------


def test_every_slot_and_every_question_is_needed_before_the_answer_goes():
    worker = CaseworkerFactory()
    application = asked(worker, message="Which platform?\nSince when?")
    with pytest.raises(ValidationError) as missing:
        follow_up.application_answer_information_request(
            application=application, acting_user=application.applicant, answers=["Meituan", ""]
        )
    assert set(missing.value.error_dict) == {"document_social_insurance_receipts", "answer_1"}
    application.refresh_from_db()
    assert application.status == Status.INFO_REQUESTED
    assert not application.documents.exists()


def test_a_complete_answer_attaches_the_files_and_goes_back_to_whoever_asked():
    worker = CaseworkerFactory()
    application = asked(worker)
    follow_up.application_answer_information_request(
        application=application,
        acting_user=application.applicant,
        files={RECEIPTS: upload("receipts.pdf", pdf_bytes(1), "application/pdf")},
        answers=["Meituan"],
    )
    application.refresh_from_db()
    assert (application.status, application.assigned_to) == (Status.SUBMITTED, worker)
    assert application.documents.get().kind == RECEIPTS
    request = application.information_requests.get()
    assert request.answers == [{"question": "Which platform do you work for?", "answer": "Meituan"}]
    response = CaseEvent.objects.get(application=application, kind=CaseEvent.Kind.INFO_RESPONSE)
    assert "Which platform do you work for?\n→ Meituan" in response.note
    assert review.claimable_for(worker).filter(pk=application.pk).exists()


def test_only_the_applicant_answers():
    application = asked(CaseworkerFactory())
    with pytest.raises(ValidationError):
        follow_up.application_answer_information_request(
            application=application, acting_user=CitizenFactory(), answers=["x"]
        )


# --- Pages ----------------------------------------------------------------------------------


def test_the_answer_form_shows_each_error_at_its_slot_and_keeps_what_was_typed(english):
    client = english
    worker = CaseworkerFactory()
    application = asked(worker)
    client.force_login(application.applicant)
    url = f"/applications/{application.reference}/"
    page = client.get(url).content.decode()
    request = application.information_requests.get()
    assert f"Please answer by {en_date(request.reply_due_on)}." in page
    assert 'name="document_social_insurance_receipts"' in page and 'name="answer_0"' in page

    missing_file = client.post(f"{url}response/", {"answer_0": "Meituan, since March"})
    assert missing_file.status_code == 400
    text = missing_file.content.decode()
    assert "Upload the Social insurance payment receipts." in text
    assert "Meituan, since March" in text  # kept
    assert 'href="#id_document_social_insurance_receipts"' in text  # the summary links to the slot

    wrong_type = client.post(
        f"{url}response/",
        {"answer_0": "Meituan, since March", "document_social_insurance_receipts": upload("r.pdf", b"text only")},
    )
    assert wrong_type.status_code == 400
    assert "not a PDF, JPEG or PNG" in wrong_type.content.decode()

    sent = client.post(
        f"{url}response/",
        {
            "answer_0": "Meituan, since March",
            "document_social_insurance_receipts": upload("r.pdf", pdf_bytes(1), "application/pdf"),
        },
    )
    assert sent.status_code == 302
    application.refresh_from_db()
    assert application.status == Status.SUBMITTED


def test_a_request_made_before_requests_were_recorded_is_answered_in_one_text(english):
    client = english
    worker = CaseworkerFactory()
    application = in_review(worker)
    from applications.services.transitions import application_transition

    application_transition(application=application, to_status=Status.INFO_REQUESTED, actor=worker, note="Send more.")
    client.force_login(application.applicant)
    url = f"/applications/{application.reference}/"
    assert client.post(f"{url}response/", {"comment": ""}).status_code == 400
    assert client.post(f"{url}response/", {"comment": "Here it is."}).status_code == 302


def test_the_staff_page_shows_the_reply_date_and_when_it_is_overdue(english):
    client = english
    worker = CaseworkerFactory()
    application = asked(worker)
    client.force_login(worker)
    url = f"/staff/cases/{application.reference}/"
    request = application.information_requests.get()
    page = client.get(url).content.decode()
    assert f"Reply due by {en_date(request.reply_due_on)}." in page
    assert "Reply overdue" not in page and "Take back into review" not in page
    assert client.post(f"{url}approve/", {}).status_code == 400  # refused at the form, not a 500

    due_in(application, -1)
    page = client.get(url).content.decode()
    assert "Reply overdue" in page and "Take back into review" in page
    assert client.post(f"{url}resume-review/", {"note": ""}).status_code == 302
    application.refresh_from_db()
    assert application.status == Status.IN_REVIEW
