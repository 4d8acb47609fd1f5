"""The citizen's case page: a read-only copy of what was sent, the expected decision date,
what happens next, plain-word checks, and withdrawing after a confirmation page."""

from datetime import date

import pytest
from django.utils import timezone, translation
from django.utils.formats import date_format

from applications.models import Document, Status
from tests.factories import VALID_ID_NUMBER, ApplicationFactory, CitizenFactory

pytestmark = pytest.mark.django_db

REFERENCE = "LH-2026-000042"
CASE = f"/applications/{REFERENCE}/"


@pytest.fixture
def citizen(client, english):
    person = CitizenFactory(username="wang@example.com", preferred_language="en")
    client.force_login(person)
    return person


def sent(person, **kwargs):
    return ApplicationFactory(
        applicant=person,
        status=kwargs.pop("status", Status.SUBMITTED),
        reference=REFERENCE,
        mobile="13812348000",
        submitted_on=date(2026, 11, 23),
        sla_due_on=kwargs.pop("sla_due_on", date(2026, 12, 14)),
        **kwargs,
    )


def add_document(application, *, kind, name, status="passed", problems=()):
    return Document.objects.create(
        application=application,
        kind=kind,
        original_name=name,
        size=10,
        content_type="application/pdf",
        uploaded_by=application.applicant,
        file="documents/x.pdf",
        check_status=status,
        check_results={"problems": list(problems)},
    )


def in_english(value: date) -> str:
    with translation.override("en"):
        return date_format(value, "DATE_FORMAT")


def test_the_case_page_shows_what_was_sent_with_personal_numbers_masked(client, citizen):
    sent(citizen)
    page = client.get(CASE).content.decode()

    assert "What you sent" in page
    assert "王小明" in page
    assert "**************1230" in page  # identity number: last four only
    assert "3308" not in page.split("What you sent")[1].split("Your documents")[0]
    assert VALID_ID_NUMBER not in page
    assert "***************0123" in page  # bank account: last four only
    assert "6222021234567890123" not in page and "6222 ****" not in page
    assert "138****8000" in page and "13812348000" not in page
    assert "1999" not in page  # no date of birth beside the masked number
    # The situation answers, in words.
    assert "When did you graduate?" in page
    assert "Since graduating, have you had a job under a labour contract?" in page


def test_each_document_says_what_it_is_when_it_came_and_its_check_in_plain_words(client, citizen):
    application = sent(citizen)
    passed = add_document(application, kind="identity_card", name="id-card.jpg")
    add_document(application, kind="graduation_certificate", name="diploma.pdf", status="pending")
    add_document(
        application,
        kind="social_insurance_receipts",
        name="receipts.pdf",
        status="flagged",
        problems=["pdf_encrypted", "duplicate_elsewhere"],
    )
    add_document(application, kind="other", name="copy.pdf", status="flagged", problems=["duplicate_elsewhere"])

    page = client.get(CASE).content.decode()
    documents = page[page.index('data-submitted="documents"') :]

    identity = documents[documents.index("Resident identity card") : documents.index("Graduation certificate")]
    assert "id-card.jpg" in identity and "Checked" in identity
    assert f"uploaded on {in_english(timezone.localdate(passed.uploaded_at))}" in identity
    diploma = documents[documents.index("Graduation certificate") : documents.index("Social insurance")]
    assert "diploma.pdf" in diploma and "Checking now" in diploma
    receipts = documents[documents.index("Social insurance") : documents.index("copy.pdf")]
    assert "The PDF is protected with a password. Upload a copy without a password." in receipts
    assert "Checked" in documents[documents.index("copy.pdf") :]
    # The same file on another person's application is the caseworker's matter.
    assert "another person's application" not in page
    assert "Needs a look" not in page


def test_the_expected_decision_date_and_that_the_clock_stops_for_a_request(client, citizen):
    sent(citizen)
    page = client.get(CASE).content.decode()
    assert f"We expect to decide by {in_english(date(2026, 12, 14))}." in page
    assert "The clock stops while a request for information to you is open" in page


def test_the_decision_date_in_chinese(client):
    person = CitizenFactory(username="13812348000")
    client.force_login(person)
    sent(person)
    page = client.get(CASE).content.decode()
    assert "预计在2026年12月14日前作出决定" in page


def test_a_stopped_clock_says_since_when(client, citizen):
    sent(citizen, status=Status.INFO_REQUESTED, sla_paused_on=date(2026, 12, 1))
    page = client.get(CASE).content.decode()
    assert f"It has been stopped since {in_english(date(2026, 12, 1))}, until you answer." in page


def test_a_decided_case_shows_no_expected_date(client, citizen):
    sent(citizen, status=Status.APPROVED)
    assert "We expect to decide by" not in client.get(CASE).content.decode()


@pytest.mark.parametrize(
    ("status", "sentence"),
    [
        (Status.SUBMITTED, "A caseworker will check it and your documents"),
        (Status.IN_REVIEW, "A caseworker is checking your application and documents."),
        (Status.INFO_REQUESTED, "We need more information from you."),
        (Status.PENDING_APPROVAL, "A supervisor now confirms the decision"),
        (Status.APPROVED, "Your application is approved."),
        (Status.REJECTED, "Your application was not approved."),
        (Status.WITHDRAWN, "You withdrew this application."),
    ],
)
def test_what_happens_next_for_each_status(client, citizen, status, sentence):
    sent(citizen, status=status)
    page = client.get(CASE).content.decode()
    next_section = page[page.index("data-next-step") :][:400]
    assert sentence in next_section


# --- 2d: withdrawing asks first --------------------------------------------------------


def test_the_case_page_only_links_to_withdrawing(client, citizen):
    sent(citizen)
    page = client.get(CASE).content.decode()
    assert f'href="{CASE}withdraw/"' in page
    assert f'action="{CASE}withdraw/"' not in page


def test_withdrawing_asks_for_confirmation_on_its_own_page(client, citizen):
    application = sent(citizen)
    response = client.get(f"{CASE}withdraw/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Do you want to withdraw your application?" in page
    assert "Withdrawing cannot be undone." in page
    assert "Why are you withdrawing? (optional)" in page
    assert f'href="{CASE}"' in page  # "No, keep my application"
    application.refresh_from_db()
    assert application.status == Status.SUBMITTED  # looking changes nothing


def test_confirming_withdraws_with_the_optional_reason(client, citizen):
    application = sent(citizen)
    response = client.post(f"{CASE}withdraw/", {"reason": "Found a job"}, follow=True)
    assert response.redirect_chain == [(CASE, 302)]
    application.refresh_from_db()
    assert application.status == Status.WITHDRAWN
    assert application.events.get(to_status=Status.WITHDRAWN).note == "Found a job"
    page = response.content.decode()
    assert "Your application is withdrawn." in page
    assert f'href="{CASE}withdraw/"' not in page


def test_withdrawing_without_a_reason(client, citizen):
    application = sent(citizen)
    client.post(f"{CASE}withdraw/", {})
    application.refresh_from_db()
    assert application.status == Status.WITHDRAWN


def test_a_too_long_reason_is_shown_on_the_confirmation_page_and_kept(client, citizen):
    application = sent(citizen)
    response = client.post(f"{CASE}withdraw/", {"reason": "x" * 501})
    assert response.status_code == 400
    page = response.content.decode()
    assert "There is a problem" in page and "x" * 501 in page
    application.refresh_from_db()
    assert application.status == Status.SUBMITTED


def test_a_decided_case_cannot_be_withdrawn(client, citizen):
    application = sent(citizen, status=Status.APPROVED)
    assert client.get(f"{CASE}withdraw/")["Location"] == CASE
    client.post(f"{CASE}withdraw/", {})
    application.refresh_from_db()
    assert application.status == Status.APPROVED


def test_another_persons_case_cannot_be_withdrawn(client, citizen):
    sent(CitizenFactory())
    assert client.get(f"{CASE}withdraw/").status_code == 404
    assert client.post(f"{CASE}withdraw/", {}).status_code == 404
