"""A citizen applies from a screening result to a submitted application, through the test client."""

import re

import pytest
from django.core import mail, signing

from applications.models import Application, Document, Notification, Status
from eligibility.screener.storage import COOKIE_NAME, SALT
from tests.applications.files import image_bytes, pdf_bytes, upload
from tests.factories import GRADUATE_FACTS, VALID_ID_NUMBER, ApplicationFactory, CitizenFactory, ready_to_submit

pytestmark = pytest.mark.django_db

PERSONAL = {
    "full_name": "王小明",
    "id_number": VALID_ID_NUMBER,
    "birth_date": "1999-05-02",
    "mobile": "139 1234 5678",
    "address": "浙江省衢州市柯城区荷花街道 1 号",
}
SITUATION = {
    "groups": ["college_graduate"],
    "graduation_date": "2025-06-30",
    "employed_since_graduation": "false",
    "employment_form": "part_time",
    "pays_flexible_pension": "true",
    "pays_flexible_medical": "false",
}


@pytest.fixture
def citizen(client, english):
    person = CitizenFactory(username="li@example.com", preferred_language="en")
    client.force_login(person)
    english.cookies["linghuo_language"] = "en"
    # What the screener leaves in the browser (a signed cookie)
    answers = {k: v for k, v in GRADUATE_FACTS.items() if k != "pays_flexible_medical"}
    client.cookies[COOKIE_NAME] = signing.dumps(answers, salt=SALT, compress=True)
    return person


def start(client) -> Application:
    response = client.post("/applications/new/flexible-si-subsidy/")
    assert response.status_code == 302
    application = Application.objects.get()
    assert response["Location"] == f"/applications/drafts/{application.pk}/personal/"
    return application


def test_whole_journey_to_a_reference_number(client, citizen, django_capture_on_commit_callbacks, sms_outbox):
    assert client.get("/applications/new/flexible-si-subsidy/").status_code == 200
    application = start(client)
    base = f"/applications/drafts/{application.pk}"

    assert client.post(f"{base}/personal/", PERSONAL)["Location"] == f"{base}/situation/"
    situation_page = client.get(f"{base}/situation/").content.decode()
    assert 'value="2025-06-30"' in situation_page  # pre-filled from the screening
    assert client.post(f"{base}/situation/", SITUATION)["Location"] == f"{base}/payment/"
    response = client.post(f"{base}/payment/", {"bank_name": "ICBC Quzhou", "bank_account": "6222 0212 3456 7890 123"})
    assert response["Location"] == f"{base}/documents/"

    with django_capture_on_commit_callbacks(execute=True):
        for kind, file in [
            ("identity_card", upload("id.jpg", image_bytes("JPEG"), "image/jpeg")),
            ("graduation_certificate", upload("diploma.pdf", pdf_bytes(2), "application/pdf")),
            ("social_insurance_receipts", upload("receipts.png", image_bytes("PNG"), "image/png")),
        ]:
            assert client.post(f"{base}/documents/", {"upload": "1", "kind": kind, "file": file}).status_code == 302
    assert set(Document.objects.values_list("check_status", flat=True)) == {"passed"}
    assert client.post(f"{base}/documents/", {})["Location"] == f"{base}/check/"

    check = client.get(f"{base}/check/").content.decode()
    assert "王小明" in check and "6222021234567890123" in check
    assert f"{base}/personal/?return=check" in check  # a change link per answer
    assert "500.00 yuan a month, for up to 24 months" in check

    no_declaration = client.post(f"{base}/check/", {})
    assert no_declaration.status_code == 200
    assert "Confirm that what you have told us is true" in no_declaration.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(f"{base}/check/", {"declaration": "on"})
    application.refresh_from_db()
    assert application.status == Status.SUBMITTED
    assert re.fullmatch(r"LH-\d{4}-\d{6}", application.reference)
    assert sent["Location"] == f"/applications/{application.reference}/sent/"
    confirmation = client.get(sent["Location"]).content.decode()
    assert application.reference in confirmation

    assert application.evaluation["status"] == "eligible"
    assert application.evaluation["amount"] == {"value": "500.00", "currency": "CNY", "per": "month", "max_periods": 24}
    assert application.evaluation["parameters"]["si.subsidy_rate"]["value"] == "0.50"
    assert str(application.amount) == "500.00"
    assert application.submitted_on is not None

    # Notifications: inbox, e-mail and SMS in the applicant's language
    channels = set(Notification.objects.values_list("channel", "state"))
    assert channels == {("inbox", "delivered"), ("email", "delivered"), ("sms", "delivered")}
    assert mail.outbox[-1].subject == f"We have received your application {application.reference}"
    assert sms_outbox[-1].to == "13912345678" and application.reference in sms_outbox[-1].text
    inbox = client.get("/inbox/").content.decode()
    assert application.reference in inbox

    case = client.get(f"/applications/{application.reference}/").content.decode()
    assert "Submitted" in case and "diploma.pdf" in case


def test_submit_twice_makes_one_application_with_one_reference(client, citizen, django_capture_on_commit_callbacks):
    application = ready_to_submit(applicant=citizen)
    url = f"/applications/drafts/{application.pk}/check/"
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(url, {"declaration": "on"})
        second = client.post(url, {"declaration": "on"})  # double click / replayed POST
    application.refresh_from_db()
    assert first["Location"] == f"/applications/{application.reference}/sent/"
    assert second["Location"] == f"/applications/{application.reference}/"
    assert Application.objects.count() == 1
    assert application.events.filter(to_status=Status.SUBMITTED).count() == 1
    assert Notification.objects.filter(event="submitted", channel="inbox").count() == 1


def test_starting_twice_reuses_the_draft(client, citizen):
    first = start(client)
    client.post("/applications/new/flexible-si-subsidy/")
    assert Application.objects.get() == first


def test_a_wrong_identity_number_is_shown_at_the_field_and_keeps_the_other_answers(client, citizen):
    application = start(client)
    response = client.post(
        f"/applications/drafts/{application.pk}/personal/", {**PERSONAL, "id_number": "330802199905021239"}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "This is not a valid resident identity number" in page
    assert 'value="浙江省衢州市柯城区荷花街道 1 号"' in page
    assert 'value="王小明"' in page
    application.refresh_from_db()
    assert application.full_name == ""


def test_birth_date_must_match_the_identity_number(client, citizen):
    application = start(client)
    response = client.post(f"/applications/drafts/{application.pk}/personal/", {**PERSONAL, "birth_date": "1999-05-03"})
    assert "does not match the one in your identity number (1999-05-02)" in response.content.decode()


def test_save_and_come_back_later_keeps_the_answers(client, citizen):
    application = start(client)
    response = client.post(f"/applications/drafts/{application.pk}/personal/", {**PERSONAL, "save_and_exit": "1"})
    assert response["Location"] == "/applications/"
    listing = client.get("/applications/").content.decode()
    assert f"/applications/drafts/{application.pk}/check/" in listing
    page = client.get(f"/applications/drafts/{application.pk}/personal/").content.decode()
    assert 'value="330802199905021230"' in page


def test_the_check_page_sends_incomplete_sections_back_to_their_step(client, citizen):
    application = start(client)
    response = client.post(f"/applications/drafts/{application.pk}/check/", {"declaration": "on"})
    page = response.content.decode()
    assert response.status_code == 200
    assert f"/applications/drafts/{application.pk}/situation/" in page
    assert "Upload: Resident identity card" in page
    application.refresh_from_db()
    assert application.status == Status.DRAFT and application.reference is None


def test_another_person_cannot_see_or_change_an_application(client, citizen):
    other = ApplicationFactory()
    assert client.get(f"/applications/drafts/{other.pk}/personal/").status_code == 404
    assert client.post(f"/applications/drafts/{other.pk}/check/", {"declaration": "on"}).status_code == 404
    other.reference = "LH-2026-999999"
    other.status = Status.SUBMITTED
    other.save()
    assert client.get("/applications/LH-2026-999999/").status_code == 404
    assert client.post("/applications/LH-2026-999999/withdraw/").status_code == 404


def test_pages_need_a_login(client):
    response = client.get("/applications/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_withdrawing_a_submitted_application(client, citizen):
    application = ApplicationFactory(applicant=citizen, status=Status.SUBMITTED, reference="LH-2026-000042")
    response = client.post("/applications/LH-2026-000042/withdraw/", {"reason": "Found a job"})
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == Status.WITHDRAWN
    assert application.events.get().note == "Found a job"
    page = client.get("/applications/LH-2026-000042/").content.decode()
    assert "Withdraw the application" not in page


def test_answering_a_request_for_information_and_hearing_the_decision(
    client, citizen, django_capture_on_commit_callbacks, sms_outbox
):
    from applications.services import review
    from tests.factories import CaseworkerFactory

    application = ApplicationFactory(applicant=citizen, status=Status.SUBMITTED, reference="LH-2026-000077")
    worker = CaseworkerFactory()
    with django_capture_on_commit_callbacks(execute=True):
        review.application_claim(application=application, caseworker=worker)
        review.application_request_info(
            application=application, caseworker=worker, message="Please upload your 2026 social insurance receipts."
        )
    assert "We need more information for application LH-2026-000077" in mail.outbox[-1].subject
    page = client.get("/applications/LH-2026-000077/").content.decode()
    assert "Please upload your 2026 social insurance receipts." in page
    assert "Send your answer" in page

    with django_capture_on_commit_callbacks(execute=True):
        uploaded = client.post(
            "/applications/LH-2026-000077/documents/",
            {"kind": "social_insurance_receipts", "file": upload("receipts.pdf", pdf_bytes(1), "application/pdf")},
        )
    assert uploaded.status_code == 302
    # The one question is answered in its own field (tests/applications/test_information_requests.py).
    empty_answer = client.post("/applications/LH-2026-000077/response/", {"answer_0": ""})
    assert empty_answer.status_code == 400
    assert client.post("/applications/LH-2026-000077/response/", {"answer_0": "Uploaded them."}).status_code == 302
    application.refresh_from_db()
    assert application.status == Status.SUBMITTED
    assert application.documents.get().check_status == "passed"

    with django_capture_on_commit_callbacks(execute=True):
        review.application_claim(application=application, caseworker=worker)
        review.application_approve(application=application, caseworker=worker)
    page = client.get("/applications/LH-2026-000077/").content.decode()
    assert "Approved" in page and "Uploaded them." in page
    assert mail.outbox[-1].subject == "Your application LH-2026-000077 is approved"
    assert "is approved" in sms_outbox[-1].text
    statuses = list(application.events.filter(kind="transition").values_list("to_status", flat=True))
    assert statuses == ["in_review", "info_requested", "submitted", "in_review", "approved"]


def test_nobody_handles_their_own_application():
    from django.core.exceptions import PermissionDenied

    from applications.services import review
    from tests.factories import CaseworkerFactory

    worker = CaseworkerFactory()
    application = ApplicationFactory(applicant=worker, status=Status.SUBMITTED, reference="LH-2026-000078")
    with pytest.raises(PermissionDenied):
        review.application_claim(application=application, caseworker=worker)
