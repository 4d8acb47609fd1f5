"""A person downloads everything held about them (JSON and PDF, both languages) and deletes drafts."""

import io
import json
import os
from datetime import date

import pypdf
import pypdfium2 as pdfium
import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.utils import timezone

from applications.models import Application, AuditEntry, Status
from applications.outreach.models import Invitation
from applications.retention import pdf
from applications.services.notifications import notify_applicant
from eligibility.registry.models import RegistryPerson
from tests.factories import VALID_ID_NUMBER, CitizenFactory, programme
from tests.retention.conftest import attach, closed_case, paid

pytestmark = pytest.mark.django_db


@pytest.fixture
def held(citizen):
    """A citizen with a paid case, a draft, messages, and a registry record under their identity number."""
    case = closed_case(Status.APPROVED, closed_on=date(2026, 3, 2), applicant=citizen)
    attach(case)
    paid(case, date(2026, 4, 15))
    notify_applicant(application=case, event="approved")
    draft = Application.objects.create(applicant=citizen, programme=programme("startup-subsidy"), full_name="王小明")
    person = RegistryPerson.objects.create(
        id_number=VALID_ID_NUMBER,
        full_name="王小明",
        mobile="13900001111",
        facts={"groups": ["college_graduate"], "graduation_date": "2025-06-30"},
        fact_sources={"graduation_date": {"source": "education", "on": "2025-07-01"}},
    )
    Invitation.objects.create(person=person, programme=programme("startup-subsidy"), created_at=timezone.now())
    # Another person's data, which must not appear.
    other = CitizenFactory(username="13700007777")
    closed_case(
        Status.APPROVED, closed_on=date(2026, 3, 2), applicant=other, full_name="李四", id_number="110101199003074478"
    )
    return case, draft


def download(client, user, path, language="zh-hans"):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    client.force_login(user)
    return client.get(path)


def test_the_json_has_everything_and_nothing_of_anyone_else(client, citizen, held):
    case, _draft = held
    response = download(client, citizen, "/account/data.json")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="linghuo-personal-data-')
    assert "no-store" in response["Cache-Control"]
    data = json.loads(response.content)
    assert data["account"]["login"] == "13900001111" and data["account"]["email"] == "wang@example.com"
    references = [a["reference"] for a in data["applications"]]
    assert references == [case.reference, None]
    sent = data["applications"][0]
    assert sent["personal_details"]["id_number"] == VALID_ID_NUMBER
    assert sent["personal_details"]["bank_account"] == "6222021234567890123"
    assert sent["personal_details"]["birth_date"] == "1999-05-02"
    assert {a["fact"] for a in sent["answers"]} >= {"groups", "graduation_date", "employment_form"}
    assert [d["file_name"] for d in sent["documents"]] == ["身份证.pdf"]
    assert [(p["due_on"], p["amount"], p["state"]) for p in sent["payments"]] == [("2026-04-15", "500.00", "exported")]
    assert sent["timeline"][0]["note"] == "王小明 的材料齐全"
    assert len(data["messages"]) == 3 and all(case.reference in m["text"] for m in data["messages"])
    (registry,) = data["registry"]
    assert registry["contact"]["mobile"] == "13900001111"
    graduation = next(f for f in registry["facts"] if f["fact"] == "graduation_date")
    assert graduation["value"] == "2025-06-30" and graduation["recorded_on"] == "2025-07-01"
    assert [i["programme"] for i in registry["invitations"]] == [programme("startup-subsidy").title_zh]
    text = response.content.decode()
    assert "李四" not in text and "110101199003074478" not in text


def test_each_download_is_audited(client, citizen, held):
    download(client, citizen, "/account/data.json")
    entry = AuditEntry.objects.get(details__export="own_data")
    assert entry.actor_id == citizen.pk and entry.details["format"] == "json"
    assert entry.details["applications"] == [held[0].reference, "draft"] and entry.details["registry_records"] == 1


def cjk_font_or_skip():
    try:
        pdf.cjk_font()
    except pdf.PdfFontMissing as missing:
        if os.environ.get("LINGHUO_REQUIRE_SERVICES") == "1":
            pytest.fail(f"{missing} (CI installs fonts-noto-cjk)")
        pytest.skip(str(missing))


@pytest.mark.parametrize(
    ("language", "title", "label"),
    [
        ("zh-hans", "灵活就业服务平台保存的您的个人信息", "公民身份号码"),
        ("en", "Your personal data held by Linghuo", "Resident identity number"),
    ],
)
def test_the_pdf_is_readable_in_both_languages(client, citizen, held, language, title, label):
    cjk_font_or_skip()
    response = download(client, citizen, "/account/data.pdf", language)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    # Read as a browser's PDF viewer reads it (PDFium).
    document = pdfium.PdfDocument(response.content)
    text = "".join("".join(page.get_textpage().get_text_range().split()) for page in document)
    assert "".join(title.split()) in text
    assert "".join(label.split()) in text
    for held_value in ("王小明", VALID_ID_NUMBER, "身份证.pdf", held[0].reference):
        assert held_value in text
    assert "李四" not in text
    # The font is embedded (a subset), so any reader shows the Chinese.
    reader = pypdf.PdfReader(io.BytesIO(response.content))
    fonts = reader.pages[0]["/Resources"]["/Font"]
    font = next(iter(fonts.values())).get_object()
    descendant = font["/DescendantFonts"][0].get_object()
    descriptor = descendant["/FontDescriptor"].get_object()
    assert any(key in descriptor for key in ("/FontFile2", "/FontFile3"))
    assert AuditEntry.objects.get(details__export="own_data").details["format"] == "pdf"


def test_without_a_chinese_font_the_pdf_is_refused_and_not_audited(client, citizen, held, settings):
    settings.LINGHUO_PDF_FONT = "/nonexistent/font.ttc"
    pdf.cjk_font.cache_clear()
    try:
        response = download(client, citizen, "/account/data.pdf", "en")
    finally:
        pdf.cjk_font.cache_clear()
    assert response.status_code == 302 and response["Location"] == "/account/data/"
    assert not AuditEntry.objects.filter(details__export="own_data").exists()


# --- The account page and deleting drafts ---------------------------------------------------------------


@pytest.mark.parametrize(("language", "heading"), [("zh-hans", "您的账户和数据"), ("en", "Your account and your data")])
def test_the_account_page_lists_drafts_and_the_downloads(client, citizen, held, language, heading):
    response = download(client, citizen, "/account/data/", language)
    page = response.content.decode()
    assert response.status_code == 200 and heading in page
    assert "/account/data.pdf" in page and "/account/data.json" in page
    assert f"/account/drafts/{held[1].pk}/delete/" in page
    assert f"/account/drafts/{held[0].pk}/delete/" not in page  # a sent case cannot be deleted


def test_a_draft_is_deleted_after_confirmation(client, citizen, held, django_capture_on_commit_callbacks):
    _case, draft = held
    document = attach(draft)
    path = f"/account/drafts/{draft.pk}/delete/"
    confirm = download(client, citizen, path, "en")
    assert confirm.status_code == 200 and "Deleting cannot be undone." in confirm.content.decode()
    assert Application.objects.filter(pk=draft.pk).exists()  # asking is not deleting
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(path)
    assert response.status_code == 302 and response["Location"] == "/account/data/"
    assert not Application.objects.filter(pk=draft.pk).exists()
    assert not default_storage.exists(document.file.name)
    entry = AuditEntry.objects.get(details__decision="draft_deleted")
    assert entry.actor_id == citizen.pk and entry.details["draft"] == draft.pk and entry.details["documents"] == 1


def test_nobody_deletes_anothers_draft_or_a_sent_case(client, citizen, held):
    case, draft = held
    stranger = CitizenFactory(username="13600006666")
    client.force_login(stranger)
    assert client.post(f"/account/drafts/{draft.pk}/delete/").status_code == 404
    client.force_login(citizen)
    assert client.post(f"/account/drafts/{case.pk}/delete/").status_code == 404
    assert Application.objects.filter(pk__in=[case.pk, draft.pk]).count() == 2


def test_all_drafts_are_deleted_at_once_and_sent_cases_stay(client, citizen, held):
    case, draft = held
    second = Application.objects.create(applicant=citizen, programme=programme("training-subsidy"))
    confirm = download(client, citizen, "/account/drafts/delete/", "zh-hans")
    assert confirm.status_code == 200 and "删除全部未提交的申请" in confirm.content.decode()
    client.post("/account/drafts/delete/")
    assert not Application.objects.filter(pk__in=[draft.pk, second.pk]).exists()
    assert Application.objects.filter(pk=case.pk).exists()
    assert AuditEntry.objects.filter(details__decision="draft_deleted").count() == 2


def test_the_download_has_the_kept_screening_the_reminders_and_each_delivery(client, citizen, held):
    from applications.clocks.models import KeptScreening, WindowReminder
    from applications.models import DeliveryEvent, Notification

    KeptScreening.objects.create(
        person=citizen, answers=json.dumps({"graduation_date": "2025-06-30"}), screened_on=date(2026, 11, 30)
    )
    WindowReminder.objects.create(
        person=citizen,
        programme=programme("flexible-si-subsidy"),
        window="graduation_date",
        closes_on=date(2027, 6, 30),
        days_before=30,
        sent_on=date(2027, 5, 31),
    )
    message = Notification.objects.filter(recipient=citizen).first()
    DeliveryEvent.objects.create(notification=message, status=message.state, channel=message.channel, attempt=1)
    data = json.loads(download(client, citizen, "/account/data.json").content)
    assert data["kept_screening"] == {"screened_on": "2026-11-30", "answers": {"graduation_date": "2025-06-30"}}
    assert data["window_reminders"] == [
        {
            "programme": programme("flexible-si-subsidy").title_zh,
            "closes_on": "2027-06-30",
            "days_before": 30,
            "sent_on": "2027-05-31",
        }
    ]
    assert any(d["attempt"] == 1 for m in data["messages"] for d in m["deliveries"])
    document = pdfium.PdfDocument(download(client, citizen, "/account/data.pdf").content)
    text = "".join(page.get_textpage().get_text_range() for page in document)
    assert "您最近一次自测的回答" in text and "申请期限提醒" in text and "2027-06-30" in text
