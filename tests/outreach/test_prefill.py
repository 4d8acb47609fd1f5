"""Confirm instead of filling in: the invited person's application is pre-filled from the registry,
each answer marked with the department and date, corrections flagged for the caseworker, and only
the documents no department holds asked for."""

from datetime import date

import pytest

from applications.documents import application_required_documents, required_documents
from applications.models import Application, AuditEntry, Document
from applications.outreach.models import PrefilledFact
from applications.services import intake
from tests.factories import GRADUATE_FACTS, VALID_ID_NUMBER, CaseworkerFactory, CitizenFactory
from tests.outreach.conftest import SI, id_number

pytestmark = pytest.mark.django_db


@pytest.fixture
def citizen(client):
    person = CitizenFactory(preferred_language="zh-hans")
    client.force_login(person)
    return person


def apply_url(invitation) -> str:
    return f"/invitations/{invitation.token}/apply/"


def start(client, invitation, number=VALID_ID_NUMBER):
    return client.post(apply_url(invitation), {"id_number": number})


def test_apply_needs_an_account(client, invited):
    response = client.get(apply_url(invited))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_another_identity_number_is_refused_and_nothing_is_made(client, citizen, invited):
    response = start(client, invited, number=id_number(7))
    assert response.status_code == 200
    assert "这不是本邀请所针对的身份证号码" in response.content.decode()
    assert not Application.objects.exists()
    assert not AuditEntry.objects.filter(details__use="prefill").exists()


def test_the_application_is_pre_filled_from_the_registry(client, citizen, invited):
    response = start(client, invited)
    application = Application.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/applications/drafts/{application.pk}/"
    assert application.applicant == citizen and application.programme.slug == SI
    assert application.facts == GRADUATE_FACTS
    assert application.screening_facts == []
    assert (application.full_name, application.mobile, application.id_number) == (
        "王小明",
        "13800138000",
        VALID_ID_NUMBER,
    )
    invited.refresh_from_db()
    assert invited.application == application  # the funnel's "applied"
    rows = {row.fact: row for row in PrefilledFact.objects.filter(application=application)}
    assert set(rows) == {*GRADUATE_FACTS, "full_name", "mobile"}
    assert (rows["graduation_date"].source, rows["graduation_date"].provided_on) == ("education", date(2026, 7, 15))
    entry = AuditEntry.objects.get(details__use="prefill")
    assert entry.application == application and entry.actor == citizen
    assert entry.details["registry_person"] == invited.person_id
    # Coming back to the invitation goes on with the same draft.
    again = client.get(apply_url(invited))
    assert again["Location"] == f"/applications/drafts/{application.pk}/"


def test_each_pre_filled_answer_is_marked_with_its_department_and_date(client, citizen, invited):
    start(client, invited)
    application = Application.objects.get()
    personal = client.get(f"/applications/drafts/{application.pk}/personal/").content.decode()
    assert "于2026年10月1日提供" in personal  # the birth date, from the social-security bureau
    assert personal.count('data-provided-by="registry"') == 3  # name, date of birth, mobile
    situation = client.get(f"/applications/drafts/{application.pk}/situation/").content.decode()
    assert "于2026年7月15日提供" in situation
    assert "于2026年11月2日提供" in situation
    assert 'data-provided-by="registry"' in situation


def test_saving_unchanged_confirms_and_a_change_is_flagged_as_corrected(client, citizen, invited):
    start(client, invited)
    application = Application.objects.get()
    intake.application_save_personal(
        application=application,
        full_name="王小明",
        id_number=VALID_ID_NUMBER,
        birth_date=date(1999, 5, 2),
        mobile="13911112222",  # a new number
        address="柯城区 1 号",
    )
    rows = {row.fact: row for row in application.prefilled_facts.all()}
    assert rows["full_name"].confirmed_at and rows["birth_date"].confirmed_at
    assert rows["mobile"].corrected_at and rows["mobile"].confirmed_at is None
    assert rows["graduation_date"].confirmed_at is None  # not on that step

    intake.application_save_facts(application=application, facts={**GRADUATE_FACTS, "graduation_date": "2025-01-31"})
    rows = {row.fact: row for row in application.prefilled_facts.all()}
    assert rows["graduation_date"].corrected_at
    assert rows["groups"].confirmed_at and rows["groups"].corrected_at is None


def test_only_the_documents_no_department_holds_are_asked_for(client, citizen, invited):
    start(client, invited)
    application = Application.objects.get()
    everything = required_documents(SI, GRADUATE_FACTS)
    assert everything == ["identity_card", "graduation_certificate", "social_insurance_receipts"]
    # The departments hold what proves the graduation and the contributions; the identity card is always asked.
    assert application_required_documents(application) == ["identity_card"]
    page = client.get(f"/applications/drafts/{application.pk}/documents/").content.decode()
    assert str(Document.Kind.GRADUATION_CERTIFICATE.label) not in page
    # A corrected graduation date is no longer the department's: its certificate is asked for again.
    intake.application_save_facts(application=application, facts={**GRADUATE_FACTS, "graduation_date": "2025-01-31"})
    assert application_required_documents(application) == ["identity_card", "graduation_certificate"]


def test_the_caseworker_sees_the_correction_on_the_case_page(client, citizen, invited, english):
    start(client, invited)
    application = Application.objects.get()
    intake.application_save_personal(
        application=application,
        full_name="王小明",
        id_number=VALID_ID_NUMBER,
        birth_date=date(1999, 5, 2),
        mobile="13800138000",
        address="柯城区 1 号",
    )
    intake.application_save_facts(application=application, facts={**GRADUATE_FACTS, "employment_form": "platform"})
    intake.application_save_payment(
        application=application, bank_name="中国工商银行", bank_account="6222021234567890123"
    )
    # The way of working proves no document: the departments still hold the rest.
    assert application_required_documents(application) == ["identity_card"]
    for kind in application_required_documents(application):
        Document.objects.create(
            application=application,
            kind=kind,
            original_name="x.pdf",
            size=10,
            content_type="application/pdf",
            uploaded_by=citizen,
            file="documents/x.pdf",
        )
    intake.application_mark_documents_done(application=application)
    application = intake.application_submit(application=application, acting_user=citizen, declaration=True)

    worker = CaseworkerFactory(preferred_language="en")
    client.force_login(worker)
    html = client.get(f"/staff/cases/{application.reference}/").content.decode()
    assert "Answers taken from department registries" in html
    assert "The applicant corrected 1 answer a department provided: check it." in html
    assert html.count("data-corrected") == 1
    assert "How the applicant works now — Provided by Human Resources and Social Security Bureau on 1 Oct 2026" in html
    assert "confirmed by the applicant" in html
