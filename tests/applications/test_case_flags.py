"""The queue's warning flags kept on the application (applications.case_flags) follow what they
are made of: identity numbers sent, documents checked, failed or removed, cases anonymised; and
``refresh_all`` puts back whatever another writer left wrong. Also the payment's region."""

from datetime import date

import pytest
from django.db.models import Exists

from applications import case_flags
from applications.models import Application, Document, Payment, Status
from applications.retention.models import AnonymisedCase
from applications.retention.services import case_anonymise
from applications.services.documents import document_check_failed
from applications.services.payments import payment_schedule_create
from tests.applications.files import pdf_bytes
from tests.applications.test_payments import decided_application
from tests.applications.test_review_services import attach
from tests.applications.test_staff_queue import case
from tests.applications.test_upload_checks import checked
from tests.factories import ApplicationFactory, CitizenFactory

pytestmark = pytest.mark.django_db

FLAGS = ("same_identity_elsewhere", "same_file_elsewhere", "document_check_problem")


def flags_of(application: Application) -> dict[str, bool]:
    return dict(zip(FLAGS, Application.objects.values_list(*FLAGS).get(pk=application.pk), strict=True))


def live_flags() -> dict[int, tuple[bool, bool, bool]]:
    """The flags as the subqueries say now, for every application."""
    rows = Application.objects.annotate(
        identity=case_flags.same_identity_elsewhere_exists(),
        file=case_flags.same_file_elsewhere_exists(),
        problem=case_flags.document_check_problem_exists(),
    ).values_list("pk", "identity", "file", "problem")
    return {pk: (bool(a), bool(b), bool(c)) for pk, a, b, c in rows}


def stored_flags() -> dict[int, tuple[bool, bool, bool]]:
    return {pk: (a, b, c) for pk, a, b, c in Application.objects.values_list("pk", *FLAGS)}


def test_the_same_identity_number_sent_by_another_person_flags_both_cases():
    first = case(id_number="330802199905021230")
    assert flags_of(first)["same_identity_elsewhere"] is False
    second = case(id_number="330802199905021230", applicant=CitizenFactory())
    assert flags_of(first)["same_identity_elsewhere"] and flags_of(second)["same_identity_elsewhere"]
    # A draft of a third person with that number flags nobody else until it is sent.
    third = ApplicationFactory(id_number="330802199905021230", applicant=CitizenFactory(), status=Status.DRAFT)
    assert flags_of(third)["same_identity_elsewhere"] is True  # it sees the two sent ones
    assert stored_flags() == live_flags()


def test_a_corrected_identity_number_moves_the_flag():
    first = case(id_number="330802199905021230")
    second = case(id_number="330802199905021230", applicant=CitizenFactory())
    second.id_number = "330802199905021249"
    second.save(update_fields=["id_number", "id_number_hash"])
    assert not flags_of(first)["same_identity_elsewhere"] and not flags_of(second)["same_identity_elsewhere"]


def test_anonymising_a_case_that_was_not_granted_clears_the_other_persons_flag():
    first = case(id_number="330802199905021230")
    refused = case(id_number="330802199905021230", applicant=CitizenFactory())
    Application.objects.filter(pk=refused.pk).update(status=Status.REJECTED)
    case_anonymise(application_id=refused.pk, basis=AnonymisedCase.Basis.CLOSED_CASE)
    assert flags_of(first)["same_identity_elsewhere"] is False
    assert stored_flags() == live_flags()


def test_the_same_file_on_another_persons_case_flags_the_later_one_until_it_is_removed():
    data = pdf_bytes()
    earlier = ApplicationFactory()
    checked(earlier, "scan.pdf", data)
    later = ApplicationFactory(applicant=CitizenFactory())
    copy = checked(later, "copy.pdf", data)
    assert copy.check_status == Document.CheckStatus.FLAGGED
    assert flags_of(later) == {
        "same_identity_elsewhere": False,
        "same_file_elsewhere": True,
        "document_check_problem": True,
    }
    assert flags_of(earlier)["same_file_elsewhere"] is False
    copy.delete()
    assert not any(flags_of(later).values())


def test_a_check_that_gave_up_flags_the_case_and_a_passing_recheck_clears_it():
    application = case()
    document = attach(application, check_status=Document.CheckStatus.PENDING, check_results={})
    assert flags_of(application)["document_check_problem"] is False
    document_check_failed(document_id=document.pk, error="TimeoutError")
    assert flags_of(application)["document_check_problem"] is True
    document.refresh_from_db()
    document.check_status, document.check_results = Document.CheckStatus.PASSED, {"problems": []}
    document.save()
    assert flags_of(application)["document_check_problem"] is False


def test_refresh_all_puts_back_flags_another_writer_left_wrong():
    first = case(id_number="330802199905021230")
    case(id_number="330802199905021230", applicant=CitizenFactory())
    flagged = case()
    attach(flagged, check_status=Document.CheckStatus.FLAGGED, check_results={"problems": ["duplicate_elsewhere"]})
    plain = case()
    right = stored_flags()
    assert right == live_flags()
    # A bulk write that knows nothing of the flags: every one of them inverted.
    for field in FLAGS:
        Application.objects.update(**{field: ~Exists(Application.objects.none())})
        Application.objects.filter(pk=first.pk).update(**{field: False})
    Application.objects.filter(pk=plain.pk).update(same_identity_elsewhere=True, document_check_problem=True)
    assert stored_flags() != right
    assert case_flags.refresh_all() > 0
    assert stored_flags() == right
    assert case_flags.refresh_all() == 0  # nothing left to change: no row rewritten


def test_a_scheduled_payment_carries_its_cases_region():
    application = decided_application("startup-subsidy", value="10000.00", region="330881")
    schedule = payment_schedule_create(application=application)
    assert schedule and {payment.region for payment in schedule} == {"330881"}
    other = Payment.objects.create(application=application, sequence=99, due_on=date(2030, 1, 15), amount="1.00")
    assert Payment.objects.get(pk=other.pk).region == "330881"


def test_the_command_corrects_wrong_flags_and_says_how_many():
    from io import StringIO

    from django.core.management import call_command

    flagged = case()
    attach(flagged, check_status=Document.CheckStatus.FAILED, check_results={"problems": ["check_failed"]})
    Application.objects.filter(pk=flagged.pk).update(document_check_problem=False)
    output = StringIO()
    call_command("refresh_case_flags", stdout=output)
    assert output.getvalue().strip() == "1 flag(s) corrected."
    assert flags_of(flagged)["document_check_problem"] is True
    output = StringIO()
    call_command("refresh_case_flags", stdout=output)
    assert output.getvalue().strip() == "Every flag was right."


def test_the_migrations_fill_the_flags_and_the_payment_regions_of_existing_rows():
    import importlib

    from django.apps import apps

    flags_0016 = importlib.import_module("applications.migrations.0016_case_flags")
    regions_0018 = importlib.import_module("applications.migrations.0018_payment_region")
    first = case(id_number="330802199905021230")
    second = case(id_number="330802199905021230", applicant=CitizenFactory())
    attach(second, check_status=Document.CheckStatus.FLAGGED, check_results={"problems": ["duplicate_elsewhere"]})
    paid = decided_application("startup-subsidy", value="10000.00", region="330822")
    payment_schedule_create(application=paid)
    # As the release before them left the rows: no flag, no region on the instalments.
    Application.objects.update(same_identity_elsewhere=False, same_file_elsewhere=False, document_check_problem=False)
    Payment.objects.update(region="")

    flags_0016.flag_every_case(apps, None)
    regions_0018.copy_regions(apps, None)

    assert flags_of(first) == {
        "same_identity_elsewhere": True,
        "same_file_elsewhere": False,
        "document_check_problem": False,
    }
    assert all(flags_of(second).values())
    assert set(Payment.objects.values_list("region", flat=True)) == {"330822"}
