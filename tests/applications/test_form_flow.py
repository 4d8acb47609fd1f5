"""The citizen's form: the documents step's buttons, checks in plain words, details taken over
from an earlier application, and picking a draft up again where it was left."""

import pytest
from django.utils import timezone, translation

from applications.documents import required_documents
from applications.models import Application, Document, Status
from eligibility.parameter_cache import parameters_in_force
from tests.applications.files import pdf_bytes, upload
from tests.factories import GRADUATE_FACTS, VALID_ID_NUMBER, ApplicationFactory, CitizenFactory, programme

pytestmark = pytest.mark.django_db

DUPLICATE_WORDING = "another person's application"


@pytest.fixture
def citizen(client, english):
    person = CitizenFactory(username="wang@example.com", preferred_language="en")
    client.force_login(person)
    return person


def document(application, kind="identity_card", name="id.pdf", status="passed", problems=()):
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


def blank_draft(person, slug="flexible-si-subsidy", **kwargs):
    """A draft as ``application_start`` makes it: nothing answered yet."""
    return Application.objects.create(
        applicant=person, programme=programme(slug), facts=dict(GRADUATE_FACTS), mobile="", **kwargs
    )


def missing_labels(application, have=("identity_card",)) -> list[str]:
    kinds = required_documents(application.programme.slug, application.facts)
    with translation.override("en"):
        return [str(Document.Kind(kind).label) for kind in kinds if kind not in have]


# --- 1b: the documents step with documents missing -----------------------------------


def test_continue_with_documents_missing_names_them_at_the_top_and_at_each_document(
    client, citizen, django_capture_on_commit_callbacks
):
    application = ApplicationFactory(applicant=citizen, completed_steps=["personal", "situation", "payment"])
    url = f"/applications/drafts/{application.pk}/documents/"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"upload": "1", "kind": "identity_card", "file": upload("id.pdf", pdf_bytes(1))})
    missing = missing_labels(application)
    assert missing, "the graduate's programme needs more than the identity card"

    response = client.post(url, {})  # "Continue"; answered 500 before (AttributeError: no cleaned_data)

    assert response.status_code == 200
    page = response.content.decode()
    summary = page[page.index("data-error-summary") : page.index("Documents we need")]
    assert "There is a problem" in summary
    for label in missing:
        assert label in summary
        assert f"{label} is still missing. Upload it before you continue." in page
    assert "Resident identity card is still missing" not in page
    assert "id.pdf" in page  # what was uploaded is still there
    application.refresh_from_db()
    assert "documents" not in application.completed_steps


def test_save_and_come_back_later_always_saves_even_with_documents_missing(client, citizen):
    application = ApplicationFactory(applicant=citizen, completed_steps=["personal", "situation", "payment"])
    document(application, name="id.pdf")

    response = client.post(f"/applications/drafts/{application.pk}/documents/", {"save_and_exit": "1"}, follow=True)

    assert response.redirect_chain == [("/applications/", 302)]
    assert "Your answers are saved. You can come back to them from “My applications”." in response.content.decode()
    assert application.documents.get().original_name == "id.pdf"


def test_continue_with_every_document_goes_on_to_the_check_page(client, citizen):
    application = ApplicationFactory(applicant=citizen, completed_steps=["personal", "situation", "payment"])
    for kind in required_documents(application.programme.slug, application.facts):
        document(application, kind=kind)
    response = client.post(f"/applications/drafts/{application.pk}/documents/", {})
    assert response["Location"] == f"/applications/drafts/{application.pk}/check/"
    application.refresh_from_db()
    assert "documents" in application.completed_steps


# --- 2e: checks in plain words; the duplicate-file flag is the caseworker's -----------


def test_the_documents_step_shows_checks_in_plain_words_and_never_the_duplicate_flag(client, citizen):
    application = ApplicationFactory(applicant=citizen)
    document(application, name="same.pdf", status="flagged", problems=["duplicate_elsewhere"])
    document(application, name="locked.pdf", status="flagged", problems=["pdf_encrypted", "duplicate_elsewhere"])
    document(application, name="new.pdf", status="pending")

    for url in (f"/applications/drafts/{application.pk}/documents/", f"/applications/drafts/{application.pk}/check/"):
        page = client.get(url).content.decode()
        assert DUPLICATE_WORDING not in page
        assert "Needs a look" not in page
        same = page[page.index("same.pdf") : page.index("locked.pdf")]
        assert "Checked" in same
        locked = page[page.index("locked.pdf") : page.index("new.pdf")]
        assert "Upload a copy without a password" in locked
        assert "Checking now" in page[page.index("new.pdf") :]


# --- 3e: details from the person's earlier application --------------------------------


@pytest.fixture
def earlier(citizen):
    return ApplicationFactory(
        applicant=citizen,
        programme=programme("startup-subsidy"),
        status=Status.SUBMITTED,
        reference="LH-2026-000101",
        address="浙江省衢州市柯城区荷花街道 9 号",
    )


def test_the_personal_step_offers_the_earlier_details_and_fills_them_on_confirmation(client, citizen, earlier):
    draft = blank_draft(citizen)
    url = f"/applications/drafts/{draft.pk}/personal/"

    offer = client.get(url).content.decode()
    assert "Use the details from your application LH-2026-000101?" in offer
    assert "**************1230" in offer  # the number it would use, masked
    assert VALID_ID_NUMBER not in offer
    assert 'value="王小明"' not in offer

    filled = client.get(url, {"prefill": earlier.pk}).content.decode()
    assert f'value="{VALID_ID_NUMBER}"' in filled
    assert 'value="王小明"' in filled
    assert 'value="浙江省衢州市柯城区荷花街道 9 号"' in filled
    assert 'value="1999-05-02"' in filled
    assert "Use the details from your application" not in filled
    draft.refresh_from_db()
    assert draft.full_name == ""  # nothing is kept until the person saves

    saved = client.post(
        url,
        {
            "full_name": "王小明",
            "id_number": VALID_ID_NUMBER,
            "birth_date": "1999-05-02",
            "mobile": "13912345678",
            "address": "浙江省衢州市衢江区 2 号",  # moved since: changed before saving
        },
    )
    assert saved.status_code == 302
    draft.refresh_from_db()
    assert draft.address == "浙江省衢州市衢江区 2 号" and draft.id_number == VALID_ID_NUMBER
    assert "Use the details" not in client.get(url).content.decode()  # saved: no more offer


def test_the_payment_step_offers_the_earlier_bank_details(client, citizen, earlier):
    draft = blank_draft(citizen, completed_steps=["personal", "situation"])
    url = f"/applications/drafts/{draft.pk}/payment/"
    offer = client.get(url).content.decode()
    assert "Use the details from your application LH-2026-000101?" in offer
    assert "***************0123" in offer
    assert "6222021234567890123" not in offer
    filled = client.get(url, {"prefill": earlier.pk}).content.decode()
    assert 'value="6222021234567890123"' in filled and 'value="中国工商银行衢州分行"' in filled


def test_a_draft_with_details_is_offered_by_its_programme(client, citizen):
    ApplicationFactory(applicant=citizen, programme=programme("startup-subsidy"))  # a draft, no reference
    draft = blank_draft(citizen)
    page = client.get(f"/applications/drafts/{draft.pk}/personal/").content.decode()
    assert "Use the details from your draft application for" in page


def test_another_persons_details_are_never_offered(client, citizen):
    stranger = ApplicationFactory(
        programme=programme("startup-subsidy"), status=Status.SUBMITTED, reference="LH-2026-000202", full_name="张三"
    )
    draft = blank_draft(citizen)
    for step in ("personal", "payment"):
        url = f"/applications/drafts/{draft.pk}/{step}/"
        assert "Use the details" not in client.get(url).content.decode()
        page = client.get(url, {"prefill": stranger.pk}).content.decode()
        assert "张三" not in page and VALID_ID_NUMBER not in page and "6222021234567890123" not in page


# --- 3f: picking a draft up again -----------------------------------------------------


@pytest.mark.parametrize(
    ("completed", "with_documents", "expected"),
    [
        ([], False, "personal"),
        (["personal"], False, "situation"),
        (["personal", "situation", "payment"], False, "documents"),
        (["personal", "situation", "payment", "documents"], False, "documents"),  # a file was removed since
        (["personal", "situation", "payment", "documents"], True, "check"),
    ],
)
def test_a_draft_opens_at_its_first_unfinished_step(client, citizen, completed, with_documents, expected):
    draft = ApplicationFactory(applicant=citizen, completed_steps=completed)
    if with_documents:
        for kind in required_documents(draft.programme.slug, draft.facts):
            document(draft, kind=kind)
    resume = f"/applications/drafts/{draft.pk}/{expected}/"

    assert client.get(f"/applications/drafts/{draft.pk}/")["Location"] == resume
    listing = client.get("/applications/").content.decode()
    assert f'href="{resume}"' in listing
    row = listing[listing.index(f'href="{resume}"') - 60 :]
    assert "Continue" in row[:200]


def test_starting_again_on_a_programme_resumes_the_draft_where_it_was_left(client, citizen):
    draft = ApplicationFactory(applicant=citizen, completed_steps=["personal"])
    response = client.post("/applications/new/flexible-si-subsidy/")
    assert response["Location"] == f"/applications/drafts/{draft.pk}/situation/"


def test_a_sent_application_opened_as_a_draft_goes_to_its_case_page(client, citizen):
    sent = ApplicationFactory(applicant=citizen, status=Status.SUBMITTED, reference="LH-2026-000303")
    assert client.get(f"/applications/drafts/{sent.pk}/")["Location"] == "/applications/LH-2026-000303/"


def test_another_persons_draft_cannot_be_resumed(client, citizen):
    assert client.get(f"/applications/drafts/{ApplicationFactory().pk}/").status_code == 404


def test_the_check_page_names_each_section_that_is_not_complete(client, citizen):
    draft = ApplicationFactory(applicant=citizen, completed_steps=["situation"])
    page = client.get(f"/applications/drafts/{draft.pk}/check/").content.decode()
    assert "The “About you” section is not complete." in page
    assert "The “Where we pay you” section is not complete." in page
    assert "The “Documents” section is not complete." in page
    assert "The “Your situation” section is not complete." not in page
    assert "This section is not complete." not in page


def test_the_check_page_names_the_section_in_chinese(client):
    person = CitizenFactory(username="13812348000")
    client.force_login(person)
    draft = ApplicationFactory(applicant=person, completed_steps=["situation", "payment", "documents"])
    page = client.get(f"/applications/drafts/{draft.pk}/check/").content.decode()
    assert "“基本信息”部分尚未填写完整" in page


def test_my_applications_reads_the_same_number_of_queries_for_many_drafts(
    client, citizen, django_assert_max_num_queries
):
    ApplicationFactory(applicant=citizen, completed_steps=["personal"])
    parameters_in_force(timezone.localdate())  # read once, then cached for every request
    with django_assert_max_num_queries(12) as one:
        client.get("/applications/")
    for slug in ("startup-subsidy", "startup-loan", "free-business-site", "training-subsidy", "pension-suspension"):
        draft = ApplicationFactory(applicant=citizen, programme=programme(slug))
        document(draft)
    with django_assert_max_num_queries(len(one.captured_queries)):
        page = client.get("/applications/").content.decode()
    assert page.count(">Continue<") == 6


def test_pre_filled_from_the_screening_is_said_only_when_it_was(client, citizen):
    said = "We filled in what you told us when you checked."
    plain = ApplicationFactory(applicant=citizen, completed_steps=["personal"], facts={"birth_date": "1999-05-02"})
    assert said not in client.get(f"/applications/drafts/{plain.pk}/situation/").content.decode()
    screened = ApplicationFactory(
        applicant=citizen,
        programme=programme("training-subsidy"),
        completed_steps=["personal"],
        facts={"birth_date": "1999-05-02", "employment_form": "part_time"},
        screening_facts=["birth_date", "employment_form"],
    )
    assert said in client.get(f"/applications/drafts/{screened.pk}/situation/").content.decode()
