"""The review services: claiming, four eyes, separation of duties, refusals and requests, in one transaction each."""

from datetime import date, datetime, time
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from applications.models import Application, Approval, AuditEntry, CaseEvent, Notification, Payment, ReasonCode, Status
from applications.services import review
from applications.services.intake import application_evaluate, evaluation_snapshot
from applications.services.transitions import IllegalTransition
from eligibility.models import Parameter, ParameterValue
from tests.factories import GRADUATE_FACTS, ApplicationFactory, CaseworkerFactory, CitizenFactory, SupervisorFactory
from tests.factories import programme as programme_named

pytestmark = pytest.mark.django_db

SUBMITTED_ON = date(2026, 5, 4)
TRAINING_FACTS = {**GRADUATE_FACTS, "training_certificate": True}


@pytest.fixture(autouse=True)
def _english_messages():
    """Error messages are read in English here (they are translated for people)."""
    with translation.override("en"):
        yield


def submitted(
    *, submitted_on: date = SUBMITTED_ON, programme: str = "flexible-si-subsidy", facts: dict | None = None, **fields
) -> Application:
    """A sent application as ``application_submit`` leaves it: reference, submission date and evaluation snapshot."""
    application = ApplicationFactory(
        status=Status.SUBMITTED,
        programme=programme_named(programme),
        facts=dict(facts or GRADUATE_FACTS),
        submitted_on=submitted_on,
        submitted_at=timezone.make_aware(datetime.combine(submitted_on, time(9, 0))),
        **fields,
    )
    result = application_evaluate(application=application, as_of=submitted_on)
    application.reference = f"LH-{submitted_on.year}-{application.pk:06d}"
    application.evaluation = evaluation_snapshot(result, submitted_on)
    application.amount = result.amount.value if result.amount else None
    application.save()
    return application


def threshold_from(valid_from: date, value: str) -> None:
    ParameterValue.objects.create(
        parameter=Parameter.objects.get(key="review.four_eyes_threshold"), valid_from=valid_from, value=value
    )


def in_review(application: Application, worker) -> Application:
    review.application_claim(application=application, caseworker=worker)
    application.refresh_from_db()
    return application


def decisions(application: Application) -> list[str]:
    entries = AuditEntry.objects.filter(application=application, action=AuditEntry.Action.DECISION).order_by("id")
    return [entry.details["decision"] for entry in entries]


# --- Four eyes ------------------------------------------------------------------------


def test_above_the_threshold_a_supervisor_gives_the_second_approval(django_capture_on_commit_callbacks):
    application = submitted()  # 500.00 a month for 24 months: 12,000.00 in all, above 5,000.00
    worker, supervisor = CaseworkerFactory(), SupervisorFactory()
    in_review(application, worker)

    review.application_approve(application=application, caseworker=worker)
    application.refresh_from_db()
    assert application.status == Status.PENDING_APPROVAL
    first = Approval.objects.get(application=application)
    assert (first.stage, first.approver, first.amount) == (Approval.Stage.FIRST, worker, Decimal("500.00"))
    assert not Payment.objects.exists()
    assert not Notification.objects.filter(event="approved").exists()
    assert decisions(application) == ["first_approval"]
    assert AuditEntry.objects.get(action=AuditEntry.Action.DECISION).details["threshold"] == "5000.00"

    with django_capture_on_commit_callbacks(execute=True):
        review.application_approve(application=application, caseworker=supervisor)
    application.refresh_from_db()
    assert application.status == Status.APPROVED
    assert list(application.approvals.values_list("stage", "approver")) == [(1, worker.pk), (2, supervisor.pk)]
    assert Payment.objects.filter(application=application).count() == 24
    assert Notification.objects.filter(application=application, event="approved").exists()
    assert decisions(application) == ["first_approval", "second_approval"]


def test_the_same_person_cannot_give_both_approvals():
    application = submitted()
    supervisor = SupervisorFactory()
    in_review(application, supervisor)
    review.application_approve(application=application, caseworker=supervisor)
    assert application.status == Status.PENDING_APPROVAL

    with pytest.raises(PermissionDenied, match="someone other than the first approver"):
        review.application_approve(application=application, caseworker=supervisor)
    application.refresh_from_db()
    assert application.status == Status.PENDING_APPROVAL
    assert application.approvals.count() == 1
    assert "approve" not in review.case_actions(application=application, person=supervisor)


def test_a_caseworker_cannot_give_the_second_approval():
    application = submitted()
    worker = CaseworkerFactory()
    in_review(application, worker)
    review.application_approve(application=application, caseworker=worker)
    with pytest.raises(PermissionDenied):
        review.application_approve(application=application, caseworker=CaseworkerFactory())
    application.refresh_from_db()
    assert application.status == Status.PENDING_APPROVAL


def test_at_or_below_the_threshold_one_approval_decides(django_capture_on_commit_callbacks):
    application = submitted(programme="training-subsidy", facts=TRAINING_FACTS)  # 1,200.00 once
    worker = CaseworkerFactory()
    in_review(application, worker)
    with django_capture_on_commit_callbacks(execute=True):
        review.application_approve(application=application, caseworker=worker)
    application.refresh_from_db()
    assert application.status == Status.APPROVED
    assert list(application.approvals.values_list("stage", flat=True)) == [Approval.Stage.FIRST]
    assert list(Payment.objects.filter(application=application).values_list("amount", flat=True)) == [
        Decimal("1200.00")
    ]
    assert decisions(application) == ["approved"]
    assert Notification.objects.filter(application=application, event="approved").exists()


def test_an_amount_equal_to_the_threshold_needs_one_approval():
    threshold_from(date(2026, 1, 1), "1200.00")
    application = submitted(programme="training-subsidy", facts=TRAINING_FACTS)
    worker = CaseworkerFactory()
    in_review(application, worker)
    review.application_approve(application=application, caseworker=worker)
    assert application.status == Status.APPROVED


def test_the_threshold_is_the_one_in_force_on_the_submission_date():
    threshold_from(date(2026, 4, 1), "20000.00")  # in force on 2026-05-04: 12,000.00 is below it
    threshold_from(date(2026, 6, 1), "1000.00")  # later: does not apply to this application
    application = submitted()
    worker = CaseworkerFactory()
    in_review(application, worker)
    review.application_approve(application=application, caseworker=worker)
    assert application.status == Status.APPROVED

    # Another person (another identity number): the first one has had the subsidy's 24 months.
    earlier = submitted(submitted_on=date(2026, 3, 2), applicant=CitizenFactory(), id_number="330802199905021249")
    in_review(earlier, worker)
    review.application_approve(application=earlier, caseworker=worker)
    assert earlier.status == Status.PENDING_APPROVAL


def test_the_amount_is_the_snapshots_whatever_the_row_says():
    application = submitted(programme="training-subsidy", facts=TRAINING_FACTS)
    Application.objects.filter(pk=application.pk).update(amount=Decimal("99999.00"))
    worker = CaseworkerFactory()
    in_review(application, worker)
    review.application_approve(application=application, caseworker=worker)
    application.refresh_from_db()
    assert application.amount == Decimal("1200.00")
    assert application.approvals.get().amount == Decimal("1200.00")
    assert Payment.objects.get(application=application).amount == Decimal("1200.00")


def test_a_supervisor_sends_a_case_back_to_review_and_the_first_approval_lapses():
    application = submitted()
    worker, supervisor = CaseworkerFactory(), SupervisorFactory()
    in_review(application, worker)
    review.application_approve(application=application, caseworker=worker)

    with pytest.raises(ValidationError):
        review.application_return_to_review(application=application, supervisor=supervisor, note="  ")
    with pytest.raises(PermissionDenied):
        review.application_return_to_review(application=application, supervisor=worker, note="Check the receipts")
    review.application_return_to_review(application=application, supervisor=supervisor, note="Check the receipts")
    application.refresh_from_db()
    assert application.status == Status.IN_REVIEW
    assert not application.approvals.exists()
    assert application.events.last().note == "Check the receipts"
    assert decisions(application) == ["first_approval", "returned_to_review"]
    assert AuditEntry.objects.filter(details__decision="returned_to_review").get().details["lapsed_approval"][
        "approver"
    ] == (worker.pk)

    review.application_approve(application=application, caseworker=worker)  # a new first approval
    assert application.status == Status.PENDING_APPROVAL


def test_only_a_case_in_review_can_be_approved():
    application = submitted()
    with pytest.raises(IllegalTransition):
        review.application_approve(application=application, caseworker=CaseworkerFactory())
    assert not Approval.objects.exists()


# --- Separation of duties -------------------------------------------------------------------


def test_nobody_decides_on_their_own_application():
    supervisor = SupervisorFactory()
    application = submitted(applicant=supervisor)
    with pytest.raises(PermissionDenied, match="their own application"):
        review.application_claim(application=application, caseworker=supervisor)

    worker = CaseworkerFactory()
    in_review(application, worker)
    review.application_approve(application=application, caseworker=worker)
    with pytest.raises(PermissionDenied, match="their own application"):
        review.application_approve(application=application, caseworker=supervisor)
    application.refresh_from_db()
    assert application.status == Status.PENDING_APPROVAL
    assert review.case_actions(application=application, person=supervisor) == frozenset()


def test_staff_of_another_region_cannot_act():
    application = submitted()
    stranger = CaseworkerFactory(region="330100")
    with pytest.raises(PermissionDenied, match="not in your region"):
        review.application_claim(application=application, caseworker=stranger)


def test_only_the_caseworker_who_has_the_case_decides_it():
    application = submitted()
    worker = CaseworkerFactory()
    in_review(application, worker)
    with pytest.raises(PermissionDenied):
        review.application_approve(application=application, caseworker=CaseworkerFactory())
    # A supervisor of the region may decide a case in review.
    review.application_approve(application=application, caseworker=SupervisorFactory())
    assert application.status == Status.PENDING_APPROVAL


# --- Claiming and releasing -------------------------------------------------------------


def test_claim_next_gives_the_oldest_unclaimed_case_of_the_region():
    worker = CaseworkerFactory()
    newest = submitted(submitted_on=date(2026, 5, 6))
    oldest = submitted(submitted_on=date(2026, 5, 2))
    submitted(submitted_on=date(2026, 4, 1), region="330100")  # older, another region
    submitted(submitted_on=date(2026, 4, 2), applicant=worker)  # older, the caseworker's own
    taken = submitted(submitted_on=date(2026, 4, 3))
    in_review(taken, CaseworkerFactory())

    first = review.application_claim_next(caseworker=worker)
    assert first == oldest
    first.refresh_from_db()
    assert (first.status, first.assigned_to, first.claimed_at is not None) == (Status.IN_REVIEW, worker, True)
    assert review.application_claim_next(caseworker=worker) == newest
    assert review.application_claim_next(caseworker=worker) is None


def test_a_case_someone_else_claimed_cannot_be_claimed_again():
    application = submitted()
    first, second = CaseworkerFactory(), CaseworkerFactory()
    review.application_claim(application=application, caseworker=first)
    stale = Application.objects.get(pk=application.pk)
    stale.status = Status.SUBMITTED  # the second caseworker's page still shows it waiting
    with pytest.raises(review.CaseUnavailable):
        review.application_claim(application=stale, caseworker=second)
    application.refresh_from_db()
    assert application.assigned_to == first
    assert application.events.filter(to_status=Status.IN_REVIEW).count() == 1


def test_release_gives_the_case_back_to_the_queue():
    application = submitted()
    worker = CaseworkerFactory()
    in_review(application, worker)
    with pytest.raises(PermissionDenied):
        review.application_release(application=application, caseworker=CaseworkerFactory())
    review.application_release(application=application, caseworker=worker)
    application.refresh_from_db()
    assert (application.status, application.assigned_to, application.claimed_at) == (Status.SUBMITTED, None, None)
    assert review.application_claim_next(caseworker=CaseworkerFactory()) == application


# --- Refusing and asking for more -----------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "expected"),
    [("zh-hans", "您不属于本项目的扶持对象"), ("en", "You are not in the group of people this programme supports")],
)
def test_a_refusal_reaches_the_applicant_in_their_language(language, expected, django_capture_on_commit_callbacks):
    applicant = CitizenFactory(preferred_language=language)
    application = submitted(applicant=applicant)
    worker = CaseworkerFactory(preferred_language="en" if language.startswith("zh") else "zh-hans")
    in_review(application, worker)
    reasons = list(ReasonCode.objects.filter(code__in=["not-in-target-group", "documents-missing"]).order_by("code"))
    with django_capture_on_commit_callbacks(execute=True):
        review.application_reject(
            application=application, caseworker=worker, reason_codes=reasons, free_text="Receipts for May missing."
        )
    application.refresh_from_db()
    assert application.status == Status.REJECTED
    note = application.events.get(to_status=Status.REJECTED).note
    assert expected in note and "Receipts for May missing." in note
    assert all(reason.text(language) in note for reason in reasons)
    inbox = Notification.objects.get(application=application, event="rejected", channel=Notification.Channel.INBOX)
    assert expected in inbox.body and inbox.language == language
    entry = AuditEntry.objects.get(application=application, action=AuditEntry.Action.DECISION)
    assert entry.details["reason_codes"] == ["documents-missing", "not-in-target-group"]


def test_a_refusal_needs_an_active_reason():
    application = submitted()
    worker = CaseworkerFactory()
    in_review(application, worker)
    retired = ReasonCode.objects.create(code="retired", text_zh="旧理由", text_en="Old reason", active=False)
    for reasons in ([], [retired]):
        with pytest.raises(ValidationError):
            review.application_reject(application=application, caseworker=worker, reason_codes=reasons)
    application.refresh_from_db()
    assert application.status == Status.IN_REVIEW


def test_a_request_for_information_names_the_documents_and_asks_the_questions(django_capture_on_commit_callbacks):
    applicant = CitizenFactory(preferred_language="en")
    application = submitted(applicant=applicant)
    worker = CaseworkerFactory()
    in_review(application, worker)
    with django_capture_on_commit_callbacks(execute=True):
        review.application_request_info(
            application=application,
            caseworker=worker,
            document_kinds=["graduation_certificate", "social_insurance_receipts"],
            message="Which platform do you work for?",
        )
    application.refresh_from_db()
    assert application.status == Status.INFO_REQUESTED
    note = application.events.get(to_status=Status.INFO_REQUESTED).note
    assert note.splitlines() == [
        "Please upload:",
        "- Graduation certificate",
        "- Social insurance payment receipts",
        "",
        "Which platform do you work for?",
    ]
    inbox = Notification.objects.get(application=application, event="info_requested", channel="inbox")
    assert "- Graduation certificate" in inbox.body and "Which platform do you work for?" in inbox.body
    assert decisions(application) == ["info_requested"]


def test_a_request_for_information_needs_something_to_ask():
    application = submitted()
    worker = CaseworkerFactory()
    in_review(application, worker)
    with pytest.raises(ValidationError):
        review.application_request_info(application=application, caseworker=worker, message="  ")
    with pytest.raises(ValidationError):
        review.application_request_info(application=application, caseworker=worker, document_kinds=["passport"])
    assert application.status == Status.IN_REVIEW


def test_an_internal_note_is_kept_for_staff_and_audited():
    application = submitted()
    worker = CaseworkerFactory()
    event = review.case_note_add(application=application, author=worker, text="Called the applicant.")
    assert (event.kind, event.internal, event.note) == (CaseEvent.Kind.NOTE, True, "Called the applicant.")
    assert AuditEntry.objects.get(action=AuditEntry.Action.NOTE).details == {"event": event.pk}


def attach(application: Application, *, kind: str = "identity_card", **fields):
    """A document row as the check leaves it (the file itself is not read)."""
    from applications.models import Document

    values = {
        "file": f"documents/{application.pk}/test",
        "original_name": "scan.pdf",
        "size": 1000,
        "content_type": "application/pdf",
        "check_status": Document.CheckStatus.PASSED,
        "check_results": {"problems": []},
        **fields,
    }
    return Document.objects.create(application=application, kind=kind, uploaded_by=application.applicant, **values)
