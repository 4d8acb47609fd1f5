"""A sent application from claim to payment schedule, in a real browser.

A caseworker (Chinese, the default) claims the next case and asks for a
document; the applicant answers on the case page with a comment and an
upload; the caseworker approves; the amount in all (500 × 24 = 12000 yuan) is
above review.four_eyes_threshold, so a supervisor (who reads English) gives the
second approval; the applicant sees "Approved" and the payment schedule.
Amounts are written the way each language writes them.
"""

import re

import pytest
from playwright.sync_api import expect

from applications.models import Application, Status
from applications.services import documents as document_services
from applications.services import intake
from tests.applications.files import image_bytes, pdf_bytes, upload
from tests.e2e.browsing import Wording, field, log_in, main_button, open_menu_if_folded
from tests.e2e.conftest import DESKTOP, PHONE
from tests.e2e.inspection import page_checked
from tests.factories import ApplicationFactory, CaseworkerFactory, CitizenFactory, SupervisorFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def application_sent(applicant) -> Application:
    """What the citizen journey ends with, made through the same services."""
    application = ApplicationFactory(applicant=applicant, mobile=applicant.mobile)
    for kind, name, content_type, content in [
        ("identity_card", "id-card.jpg", "image/jpeg", image_bytes("JPEG")),
        ("graduation_certificate", "diploma.pdf", "application/pdf", pdf_bytes(1)),
        ("social_insurance_receipts", "receipts.png", "image/png", image_bytes("PNG")),
    ]:
        document_services.document_attach(
            application=application, kind=kind, uploaded=upload(name, content, content_type), acting_user=applicant
        )
    intake.application_mark_documents_done(application=application)
    return intake.application_submit(application=application, acting_user=applicant, declaration=True)


def open_decision(page, summary: str):
    """The decision panel's forms are folded under a <summary>; opens one and returns its form."""
    toggle = page.locator("aside details > summary").filter(has_text=re.compile(rf"^\s*{re.escape(summary)}\s*$"))
    toggle.click()
    return toggle.locator("xpath=..").locator("form")


def test_caseworker_asks_citizen_answers_two_approvals_and_a_payment_schedule(new_page):
    citizen = CitizenFactory(username="13912345678", preferred_language="zh-hans")
    caseworker = CaseworkerFactory(username="caseworker@linghuo.test")
    supervisor = SupervisorFactory(username="supervisor@linghuo.test")
    reference = application_sent(citizen).reference
    zh, en = Wording("zh-hans"), Wording("en")

    # The caseworker claims the next case from the queue.
    staff = new_page(viewport=DESKTOP)
    log_in(staff, zh, caseworker.username)
    staff.locator("header").get_by_role("link", name=zh("Case queue")).click()
    page_checked(staff, "staff-queue")
    expect(staff.locator("main")).to_contain_text(reference)
    main_button(staff, zh("Claim the next case")).click()
    expect(staff.get_by_role("heading", level=1)).to_contain_text(reference)
    page_checked(staff, "staff-case")
    decision = staff.locator("aside")
    expect(decision.locator("[data-amount]")).to_contain_text("500.00")
    expect(decision).to_contain_text("12,000.00")  # Chinese groups thousands with commas too (portal/formats)
    expect(decision).to_contain_text(zh("A supervisor's second approval is needed."))

    # ... and asks for a document and an explanation.
    request = open_decision(staff, zh("Ask for more information"))
    request.get_by_label(zh("Graduation certificate"), exact=True).check()
    field(request, zh("Questions for the applicant")).fill("请上传清晰的毕业证书照片，并说明目前的兼职工作单位。")
    request.get_by_role("button", name=zh("Send the request")).click()
    expect(staff.locator(".messages")).to_contain_text(
        zh("The request is sent. The case waits for the applicant's answer.")
    )
    page_checked(staff)

    # The citizen, on a phone, answers on the case page.
    person = new_page(viewport=PHONE)
    log_in(person, zh, citizen.username)
    open_menu_if_folded(person, zh)
    person.locator("header").get_by_role("link", name=zh("My applications")).click()
    page_checked(person)
    person.get_by_role("link", name=re.compile(re.escape(reference))).click()
    # One upload slot for the document asked for, one answer for the question
    # (tests/e2e/test_case_follow_up_journey.py shows the slot's error).
    request_card = person.locator("#information-request")
    expect(request_card).to_contain_text("请上传清晰的毕业证书照片")
    page_checked(person, "case-info-requested")
    field(request_card, zh("Graduation certificate")).set_input_files(
        {"name": "diploma-clear.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes(1)}
    )
    field(request_card, "请上传清晰的毕业证书照片，并说明目前的兼职工作单位。").fill(
        "已上传新的毕业证书。目前在衢州一家超市做兼职收银员。"
    )
    request_card.get_by_role("button", name=zh("Send your answer")).click()
    expect(person.locator(".messages")).to_contain_text(
        zh("Thank you. Your answer is sent and your application is back with us.")
    )
    page_checked(person)

    # The answer puts the case back in the queue: the caseworker takes it
    # again, reads the answer and gives the first approval.
    staff.reload()
    expect(staff.locator("#timeline")).to_contain_text("目前在衢州一家超市做兼职收银员")
    expect(staff.locator("main")).to_contain_text("diploma-clear.pdf")
    page_checked(staff)
    staff.locator("aside").get_by_role("button", name=zh("Claim this case")).click()
    expect(staff.locator(".messages")).to_contain_text(reference)
    approve = open_decision(staff, zh("Approve"))
    approve.get_by_role("button", name=zh("Approve the application")).click()
    expect(staff.locator(".messages")).to_contain_text(
        zh("First approval recorded. The case now waits for a supervisor's approval.")
    )
    page_checked(staff)
    assert Application.objects.get(reference=reference).status == Status.PENDING_APPROVAL

    # The supervisor, who reads English, gives the second approval.
    boss = new_page(viewport=DESKTOP)
    boss.goto("/")
    boss.get_by_role("button", name="English").click()
    log_in(boss, en, supervisor.username)
    boss.locator("header").get_by_role("link", name=en("Case queue")).click()
    page_checked(boss)
    boss.get_by_role("link", name=reference).click()
    expect(boss.locator("aside")).to_contain_text("12,000.00")  # English: thousands separated by commas
    page_checked(boss, "supervisor-case")
    approve = open_decision(boss, en("Give the second approval"))
    approve.get_by_role("button", name=en("Approve the application")).click()
    expect(boss.locator(".messages")).to_contain_text(en("The application is approved. The applicant has been told."))
    page_checked(boss)

    # The applicant sees the decision and when the money comes.
    person.reload()
    expect(person.get_by_role("heading", name=zh("Approved"), exact=True)).to_be_visible()
    schedule = person.get_by_role("table")
    expect(schedule.locator("tbody tr")).to_have_count(24)
    expect(schedule.locator("tbody tr").first).to_contain_text("500.00")
    page_checked(person, "case-approved")
