"""After a decision or a request, in a real browser, in Chinese, the applicant on a 375 px phone.

2a. A refused applicant asks for reconsideration with a new document; the
caseworker who refused cannot take it; a colleague claims it and approves
(a supervisor gives the second approval: 12,000 yuan in all is above
review.four_eyes_threshold); the applicant reads the outcome.

2b. A caseworker asks for one document and one question; the applicant sees
the reply date, sends without the file and is told so at the file's slot
(what they typed stays), then uploads and answers; the case is back in the
queue with the caseworker.
"""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import override
from playwright.sync_api import expect

from applications.models import Application, ReasonCode, Status
from applications.services import review
from tests.applications.files import pdf_bytes
from tests.e2e.browsing import Wording, field, log_in, main_button
from tests.e2e.conftest import DESKTOP, PHONE
from tests.e2e.inspection import page_checked
from tests.e2e.test_review_journey import application_sent, open_decision
from tests.factories import CaseworkerFactory, CitizenFactory, SupervisorFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

zh = Wording("zh-hans")


def chinese_date(day) -> str:
    with override("zh-hans"):
        return date_format(day, "DATE_FORMAT")


def open_case_on_phone(new_page, citizen, reference: str):
    person = new_page(viewport=PHONE)
    log_in(person, zh, citizen.username)
    person.goto(f"/applications/{reference}/")
    expect(person.get_by_role("heading", level=1)).to_contain_text(reference)
    return person


def test_a_refused_applicant_asks_for_reconsideration_and_a_colleague_approves(new_page):
    citizen = CitizenFactory(username="13912345601", preferred_language="zh-hans")
    refuser = CaseworkerFactory(username="refuser@linghuo.test")
    colleague = CaseworkerFactory(username="colleague@linghuo.test")
    supervisor = SupervisorFactory(username="supervisor@linghuo.test")
    reason = ReasonCode.objects.create(
        code="no-contribution", text_zh="未查到缴费记录", text_en="No contributions found"
    )
    application = application_sent(citizen)
    reference = application.reference
    review.application_claim(application=application, caseworker=refuser)
    review.application_reject(application=application, caseworker=refuser, reason_codes=[reason])
    closes_on = timezone.localdate() + timedelta(days=60)

    # The applicant, on a phone, reads the refusal and until when to ask.
    person = open_case_on_phone(new_page, citizen, reference)
    section = person.locator("#reconsideration")
    expect(section).to_contain_text(chinese_date(closes_on))
    page_checked(person, "case-rejected-reconsideration")
    field(section, zh("Why should the decision be looked at again?")).fill(
        "我每月都按时缴纳了灵活就业养老保险，附上银行扣款记录。"
    )
    field(section, zh("New documents (optional)")).set_input_files(
        {"name": "bank-record.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes(1)}
    )
    section.get_by_role("button", name=zh("Ask for reconsideration")).click()
    expect(person.locator(".messages")).to_contain_text(
        zh("Your request is sent. A colleague who did not decide before will look at it again.")
    )
    expect(person.locator("#reconsideration")).to_contain_text(zh("Your request for reconsideration"))
    page_checked(person, "case-reconsideration-requested")

    # The caseworker who refused sees it but cannot take it.
    staff = new_page(viewport=DESKTOP)
    log_in(staff, zh, refuser.username)
    staff.goto(f"/staff/cases/{reference}/")
    expect(staff.locator("#reconsideration")).to_contain_text(
        zh("You refused this application, so a colleague must take and decide its reconsideration.")
    )
    expect(staff.locator("aside").get_by_role("button", name=zh("Claim this case"))).to_have_count(0)

    # A colleague finds it marked in the queue, reads the refusal beside the request, claims and approves.
    other = new_page(viewport=DESKTOP)
    log_in(other, zh, colleague.username)
    other.goto("/staff/queue/")
    expect(other.locator("main tr").filter(has_text=reference)).to_contain_text(zh("Reconsideration"))
    page_checked(other, "staff-queue-reconsideration")
    other.goto(f"/staff/cases/{reference}/")
    panel = other.locator("#reconsideration")
    expect(panel).to_contain_text("我每月都按时缴纳了灵活就业养老保险")
    expect(panel).to_contain_text(refuser.username)
    expect(panel).to_contain_text("未查到缴费记录")
    expect(other.locator("main")).to_contain_text("bank-record.pdf")
    page_checked(other, "staff-case-reconsideration")
    other.locator("aside").get_by_role("button", name=zh("Claim this case")).click()
    approve = open_decision(other, zh("Approve"))
    approve.get_by_role("button", name=zh("Approve the application")).click()
    expect(other.locator(".messages")).to_contain_text(
        zh("First approval recorded. The case now waits for a supervisor's approval.")
    )
    page_checked(other)
    # Four eyes still: the supervisor's second approval (its own journey is tests/e2e/test_review_journey.py).
    review.application_approve(application=Application.objects.get(reference=reference), caseworker=supervisor)

    person.reload()
    expect(person.get_by_role("heading", name=zh("Approved"), exact=True)).to_be_visible()
    expect(person.locator("main")).to_contain_text("复查结果：予以批准")
    page_checked(person, "case-approved-on-reconsideration")


def test_a_request_for_one_document_and_one_question_is_answered_on_a_phone(new_page):
    citizen = CitizenFactory(username="13912345602", preferred_language="zh-hans")
    caseworker = CaseworkerFactory(username="caseworker@linghuo.test")
    application = application_sent(citizen)
    reference = application.reference
    review.application_claim(application=application, caseworker=caseworker)
    due = chinese_date(timezone.localdate() + timedelta(days=15))

    staff = new_page(viewport=DESKTOP)
    log_in(staff, zh, caseworker.username)
    staff.goto(f"/staff/cases/{reference}/")
    request = open_decision(staff, zh("Ask for more information"))
    request.get_by_label(zh("Social insurance payment receipts"), exact=True).check()
    field(request, zh("Questions for the applicant")).fill("您目前通过哪个平台接单？")
    request.get_by_role("button", name=zh("Send the request")).click()
    expect(staff.locator(".messages")).to_contain_text(
        zh("The request is sent. The case waits for the applicant's answer.")
    )
    expect(staff.locator("#information-request")).to_contain_text(due)
    page_checked(staff, "staff-case-info-requested")

    person = open_case_on_phone(new_page, citizen, reference)
    card = person.locator("#information-request")
    expect(card.locator("[data-reply-due]")).to_contain_text(due)
    page_checked(person, "case-info-requested-slots")
    field(card, "您目前通过哪个平台接单？").fill("美团外卖，从今年三月开始。")
    main_button(person, zh("Send your answer")).click()

    # Without the file: the slot says so, the answer typed is still there.
    card = person.locator("#information-request")
    slot = card.locator("#id_document_social_insurance_receipts")
    expect(slot).to_have_class(re.compile(r"is-invalid"))
    expect(card).to_contain_text(zh("Upload the %(document)s.") % {"document": zh("Social insurance payment receipts")})
    expect(field(card, "您目前通过哪个平台接单？")).to_have_value("美团外卖，从今年三月开始。")
    page_checked(person, "case-info-requested-slot-error")

    field(card, zh("Social insurance payment receipts")).set_input_files(
        {"name": "receipts.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes(1)}
    )
    main_button(person, zh("Send your answer")).click()
    expect(person.locator(".messages")).to_contain_text(
        zh("Thank you. Your answer is sent and your application is back with us.")
    )
    page_checked(person, "case-info-answered")

    application.refresh_from_db()
    assert (application.status, application.assigned_to) == (Status.SUBMITTED, caseworker)
    staff.goto("/staff/queue/")
    expect(staff.locator("main tr").filter(has_text=reference)).to_be_visible()
    staff.goto(f"/staff/cases/{reference}/")
    expect(staff.locator("#timeline")).to_contain_text("美团外卖，从今年三月开始。")
    expect(staff.locator("aside").get_by_role("button", name=zh("Claim this case"))).to_be_visible()
