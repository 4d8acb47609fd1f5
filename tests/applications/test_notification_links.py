"""Links in messages go to LINGHUO_PUBLIC_URL; the inbox shows each message in
the reader's language of today (issue 9, item 5a)."""

import pytest
from django.core import mail

from applications.models import AuditEntry, CaseEvent, Notification, ReasonCode, Status
from applications.services.audit import audit_record
from applications.services.notifications import notify_applicant
from applications.services.review import rejection_text
from portal.accounts.services import user_set_language
from tests.factories import ApplicationFactory, CitizenFactory

pytestmark = pytest.mark.django_db
PUBLIC = "https://linghuo.example.cn"


def _submitted(person):
    application = ApplicationFactory(applicant=person)
    application.reference = "LH-2026-000123"
    application.status = Status.SUBMITTED
    application.save(update_fields=["reference", "status"])
    return application


def test_email_and_sms_links_use_the_public_address_not_the_request_host(settings, client):
    settings.LINGHUO_PUBLIC_URL = PUBLIC
    person = CitizenFactory(username="ada@example.com")
    application = _submitted(person)
    notify_applicant(application=application, event="submitted")
    email = Notification.objects.get(channel="email")
    assert f"{PUBLIC}/applications/LH-2026-000123/" in email.body
    assert "127.0.0.1" not in email.body and "testserver" not in email.body


def test_password_reset_link_uses_the_public_address_whatever_host_the_request_names(settings, client):
    settings.LINGHUO_PUBLIC_URL = PUBLIC
    settings.ALLOWED_HOSTS = ["*"]
    CitizenFactory(username="ada@example.com")
    client.post("/accounts/password-reset/", {"identifier": "ada@example.com"}, HTTP_HOST="evil.example")
    assert f"{PUBLIC}/accounts/password-reset/" in mail.outbox[0].body
    assert "evil.example" not in mail.outbox[0].body


def test_the_inbox_shows_a_message_in_the_readers_current_language(client):
    person = CitizenFactory(preferred_language="zh-hans")
    application = _submitted(person)
    notify_applicant(application=application, event="submitted")
    assert Notification.objects.get(channel="inbox").subject.startswith("已收到您的申请")
    client.force_login(person)
    client.cookies["linghuo_language"] = "en"
    user_set_language(user=person, language="en")
    page = client.get("/inbox/").content.decode()
    assert "We have received your application LH-2026-000123" in page
    assert "已收到您的申请" not in page


def test_the_case_page_shows_its_messages_in_the_readers_current_language(client):
    person = CitizenFactory(preferred_language="zh-hans")
    application = _submitted(person)
    notify_applicant(application=application, event="submitted")
    client.force_login(person)
    client.cookies["linghuo_language"] = "en"
    user_set_language(user=person, language="en")
    page = client.get(f"/applications/{application.reference}/").content.decode()
    assert "We have received your application LH-2026-000123" in page
    assert "已收到您的申请" not in page


def test_a_rejection_is_shown_again_with_its_reasons_in_the_readers_language(client):
    person = CitizenFactory(preferred_language="zh-hans")
    application = _submitted(person)
    reason = ReasonCode.objects.create(
        code="not-resident", text_zh="不在本市参保。", text_en="Not insured in this city."
    )
    note = rejection_text(reason_codes=[reason], free_text="请补充材料后重新申请。", language="zh-hans")
    audit_record(
        actor=None,
        action=AuditEntry.Action.DECISION,
        application=application,
        details={"decision": "rejected", "reason_codes": [reason.code], "language": "zh-hans"},
    )
    CaseEvent.objects.create(
        application=application, from_status=Status.IN_REVIEW, to_status=Status.REJECTED, note=note
    )
    notify_applicant(application=application, event="rejected", extra={"reasons_text": note})
    client.force_login(person)
    client.cookies["linghuo_language"] = "en"
    page = client.get("/inbox/").content.decode()
    assert "Not insured in this city." in page
    assert "不在本市参保" not in page
    assert "请补充材料后重新申请。" in page  # the caseworker's own words stay as written


def test_an_inbox_message_that_cannot_be_rebuilt_shows_the_words_it_was_sent_with(client):
    person = CitizenFactory(preferred_language="zh-hans")
    application = _submitted(person)
    notify_applicant(application=application, event="rejected", extra={"reasons_text": "- 理由"})
    client.force_login(person)
    client.cookies["linghuo_language"] = "en"
    page = client.get("/inbox/").content.decode()
    assert "- 理由" in page  # no decision on record to rebuild it from: the stored text, not an empty one


def test_the_inbox_reads_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    person = CitizenFactory()
    application = _submitted(person)
    for event in ("submitted", "approved", "rejected", "info_requested", "submitted", "approved"):
        notify_applicant(application=application, event=event, extra={"reasons_text": "-", "request_text": "-"})
    client.force_login(person)
    with django_assert_max_num_queries(12):
        client.get("/inbox/")
