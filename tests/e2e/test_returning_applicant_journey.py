"""A 45-year-old from Kecheng, on a phone in Chinese: half the form, one of two
documents, "save and come back later", log out; back through "My applications"
to the first unfinished step, the other document, check, send.

Before release 2 this person could not get past the first step (their identity
number was refused: 330802 dates from 1985 in python-stdnum's area tables), and
"save and come back later" on the documents step answered 500.
"""

import re

import pytest
from playwright.sync_api import expect

from applications.models import Application, Status
from tests.applications.files import image_bytes, pdf_bytes
from tests.e2e.browsing import Wording, expect_path, field, log_in, main_button, open_menu_if_folded
from tests.e2e.conftest import PHONE
from tests.e2e.inspection import page_checked
from tests.factories import CitizenFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

MOBILE = "13712345678"
ID_NUMBER = "330802198103151231"  # 柯城区, born 1981-03-15: 45 on 2026-12-01
# Suspending pension premiums in hardship: for a flexible worker who pays them.
PROGRAMME = "pension-suspension"
SITUATION = {"employment_form": "part_time", "pays_flexible_pension": "yes", "hardship_declared": "yes"}


def answer_situation(page) -> None:
    """Answers whatever the situation step asks, one page at a time, as the rules open questions."""
    for _round in range(4):
        if "/situation/" not in page.url:
            return
        region = page.locator("[name=region]")
        if region.count():
            if region.first.evaluate("e => e.tagName") == "SELECT":
                region.select_option("330802")
            else:
                page.locator("input[name=region][value='330802']").check()
        for name, value in SITUATION.items():
            option = page.locator(f"input[name={name}][value={value}]")
            if option.count():
                option.check()
        page.locator("main form").get_by_role("button", name=re.compile("保存并继续")).first.click()
        page.wait_for_load_state("load")


def upload(page, _, kind: str, name: str, mime_type: str, content: bytes) -> None:
    page.get_by_label(_("Which document is this?")).select_option(kind)
    field(page, _("File")).set_input_files({"name": name, "mimeType": mime_type, "buffer": content})
    page.get_by_role("button", name=_("Upload"), exact=True).click()
    expect(page.locator(".messages")).to_contain_text(_("Uploaded. We are checking the file."))


def test_a_45_year_old_saves_half_way_comes_back_and_sends(new_page):
    _ = Wording("zh-hans")
    CitizenFactory(username=MOBILE)
    page = new_page(viewport=PHONE, locale="zh-CN")
    log_in(page, _, MOBILE)

    page.goto(f"/applications/new/{PROGRAMME}/")
    page_checked(page)
    page.get_by_role("button", name=_("Start the application")).click()

    expect_path(page, r"/applications/drafts/\d+/personal/")
    page.get_by_label(_("Full name")).fill("李建国")
    page.get_by_label(_("Resident identity number")).fill(ID_NUMBER)
    page.get_by_label(_("Date of birth")).fill("1981-03-15")
    page.get_by_label(_("Address")).fill("浙江省衢州市柯城区荷花街道 8 号")
    page.get_by_role("button", name=_("Save and continue")).click()
    expect(page.locator("[data-error-summary]")).to_have_count(0)
    page_checked(page, "returning-situation")

    answer_situation(page)
    expect_path(page, r"/applications/drafts/\d+/documents/")
    page_checked(page, "returning-documents")
    kinds = (
        page.get_by_label(_("Which document is this?"))
        .locator("option")
        .evaluate_all("options => options.map(o => o.value)")
    )
    required = [kind for kind in kinds if kind != "other"]
    assert len(required) == 2, required
    upload(page, _, required[0], "身份证.jpg", "image/jpeg", image_bytes("JPEG"))

    # "Continue" with a document missing names it, and keeps what was uploaded.
    main_button(page, _("Continue")).click()
    expect(page.locator("main")).to_contain_text("身份证.jpg")
    expect(page.locator("[data-error-summary]")).to_be_visible()
    page_checked(page, "returning-documents-missing")

    # "Save and come back later" always saves.
    main_button(page, _("Save and come back later")).click()
    expect_path(page, r"/applications/")
    expect(page.locator(".messages")).to_contain_text(
        _("Your answers are saved. You can come back to them from “My applications”.")
    )
    open_menu_if_folded(page, _)
    page.locator("header").get_by_role("button", name=_("Log out")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(_("You are logged out"))

    # Back another day: "My applications" opens the first unfinished step.
    log_in(page, _, MOBILE)
    open_menu_if_folded(page, _)
    page.locator("header").get_by_role("link", name=_("My applications")).click()
    page_checked(page, "returning-my-applications")
    page.locator("main").get_by_role("link", name=re.compile("继续")).first.click()
    expect_path(page, r"/applications/drafts/\d+/documents/")
    expect(page.locator("main")).to_contain_text("身份证.jpg")
    upload(page, _, required[1], "缴费凭证.pdf", "application/pdf", pdf_bytes(1))
    main_button(page, _("Continue")).click()

    expect_path(page, r"/applications/drafts/\d+/check/")
    page_checked(page, "returning-check")
    declaration = _(
        "I declare that what I have told you is true and complete, and I understand that a subsidy paid "
        "on false information must be repaid."
    )
    field(page, declaration).check()
    page.get_by_role("button", name=_("Send the application")).click()
    expect_path(page, r"/applications/LH-\d{4}-\d{6}/sent/")
    page_checked(page, "returning-confirmation")
    application = Application.objects.get(applicant__username=MOBILE)
    assert application.status == Status.SUBMITTED
    assert application.id_number == ID_NUMBER
    assert application.documents.count() == 2
