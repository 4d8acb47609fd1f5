"""A recent graduate in part-time work, in a real browser: home, screener,
results, account, the step-by-step application with real files, check
answers, declaration, reference number, case page.

Once on a desktop in English, once on a phone in Chinese (the default). Every
page is checked with axe-core; on the phone nothing may scroll sideways.
"""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from applications.models import Application, Document, Status
from tests.applications.files import image_bytes, pdf_bytes
from tests.e2e.browsing import (
    Wording,
    confirm_mobile,
    expect_path,
    field,
    keyboard_focus,
    main_button,
    open_menu_if_folded,
)
from tests.e2e.conftest import DESKTOP, PHONE
from tests.e2e.inspection import page_checked
from tests.factories import VALID_ID_NUMBER

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

MOBILE = "13912345678"
PASSWORD = "Qz-flexible-2026"
PROGRAMME = "flexible-si-subsidy"


@pytest.mark.parametrize(
    ("viewport", "language"),
    [pytest.param(DESKTOP, "en", id="desktop-english"), pytest.param(PHONE, "zh-hans", id="phone-chinese")],
)
def test_a_graduate_checks_applies_and_gets_a_reference(new_page, viewport, language):
    _ = Wording(language)
    # The browser asks for the journey's language; the portal answers in Chinese until told otherwise.
    page = new_page(viewport=viewport, locale="en-US" if language == "en" else "zh-CN")
    graduated = (timezone.localdate() - timedelta(days=400)).isoformat()

    # Home: Chinese first, whatever the browser says; English is one click away.
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    page_checked(page, "home")
    if language == "en":
        page.get_by_role("button", name="English").click()
        expect(page.locator("html")).to_have_attribute("lang", "en")
        page_checked(page)

    # The screener, one topic a page.
    page.locator("main").get_by_role("link", name=_("Check what you can get")).click()
    page_checked(page)
    page.get_by_role("link", name=_("Start now")).click()

    expect_path(page, r"/screening/about-you/")
    page_checked(page, "screener-step")
    page.get_by_label(_("Kecheng District, Quzhou")).check()
    page.get_by_label(_("What is your date of birth?")).fill("1999-05-02")
    main_button(page, _("Continue")).click()

    # This step by keyboard only: Tab to the box, Space ticks it, Enter sends.
    expect_path(page, r"/screening/groups/")
    page_checked(page)
    keyboard_focus(page, "#id_groups_0")
    page.keyboard.press("Space")
    expect(page.locator("#id_groups_0")).to_be_checked()
    keyboard_focus(page, "main form button[type=submit]")
    page.keyboard.press("Enter")

    expect_path(page, r"/screening/graduation/")
    page_checked(page)
    page.get_by_label(_("When did you graduate?")).fill(graduated)
    question = _("Since graduating, have you had a job under a labour contract?")
    page.get_by_role("group", name=re.compile(re.escape(question))).get_by_label(_("No"), exact=True).check()
    main_button(page, _("Continue")).click()

    expect_path(page, r"/screening/employment/")
    page_checked(page)
    page.get_by_label(_("I work part-time")).check()
    main_button(page, _("Continue")).click()

    # Whatever else is asked, answer until the results.
    answers = {
        "plans_business": "no",
        "pays_flexible_pension": "yes",
        "pays_flexible_medical": "no",
        "hardship_declared": "no",
        "training_certificate": "no",
    }
    for _step in range(6):
        if "/screening/results/" in page.url:
            break
        page_checked(page)
        for name, value in answers.items():
            option = page.locator(f"input[name={name}][value={value}]")
            if option.count():
                option.check()
        months = page.locator("input[name=public_service_post_months]")
        if months.count():
            months.fill("0")
        main_button(page, _("Continue")).click()
    expect_path(page, r"/screening/results/")
    page_checked(page, "results")

    result = page.locator("section.screening-result").filter(has=page.locator(f"#programme-{PROGRAMME}"))
    expect(result.locator(".status-badge")).to_have_attribute("data-status", "eligible")
    expect(result.locator(".screening-amount")).to_contain_text("500.00")
    result.get_by_role("link", name=re.compile(re.escape(_("Apply")))).click()

    # Applying needs an account: the login page offers to create one.
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page_checked(page)
    page.locator("main").get_by_role("link", name=_("Create an account")).click()
    page_checked(page, "register")
    page.get_by_label(_("Mobile number or e-mail address")).fill(MOBILE)
    field(page, _("Password")).fill(PASSWORD)
    page.get_by_label(_("Password again")).fill(PASSWORD)
    page.get_by_label(_("I have read how Linghuo uses my personal data")).check()
    page.locator("main form").get_by_role("button", name=_("Create account")).click()
    confirm_mobile(page, _, MOBILE)  # the 6-digit code from the SMS
    page_checked(page)
    if f"/applications/new/{PROGRAMME}/" not in page.url:
        # Registration lands on the home page, not where the person was going
        # (reported): back to the results the way a person would.
        page.locator("main").get_by_role("link", name=_("Check what you can get")).click()
        page.get_by_role("link", name=_("See your results")).click()
        page_checked(page)
        page.locator("section.screening-result").filter(has=page.locator(f"#programme-{PROGRAMME}")).get_by_role(
            "link", name=re.compile(re.escape(_("Apply")))
        ).click()

    expect_path(page, rf"/applications/new/{PROGRAMME}/")
    page_checked(page, "apply-start")
    page.get_by_role("button", name=_("Start the application")).click()

    # About you: a mistyped identity number first, then put right.
    expect_path(page, r"/applications/drafts/\d+/personal/")
    page_checked(page, "apply-personal")
    page.get_by_label(_("Full name")).fill("王小明")
    page.get_by_label(_("Resident identity number")).fill(VALID_ID_NUMBER[:-1] + "9")
    page.get_by_label(_("Date of birth")).fill("1999-05-02")
    expect(page.get_by_label(_("Mobile number"))).to_have_value(MOBILE)  # from the account
    page.get_by_label(_("Address")).fill("浙江省衢州市柯城区荷花街道 1 号")
    page.get_by_role("button", name=_("Save and continue")).click()

    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text(
        _("This is not a valid resident identity number. Check each digit and the last character.")
    )
    page_checked(page, "apply-personal-error")
    summary.get_by_role("link").first.click()
    expect(page.get_by_label(_("Resident identity number"))).to_be_focused()
    page.keyboard.press("Control+A")
    page.keyboard.type(VALID_ID_NUMBER)
    page.get_by_role("button", name=_("Save and continue")).click()

    # Your situation: filled in from the screening.
    expect_path(page, r"/applications/drafts/\d+/situation/")
    page_checked(page, "apply-situation")
    expect(page.locator("input[name=graduation_date]")).to_have_value(graduated)
    page.get_by_role("button", name=_("Save and continue")).click()

    expect_path(page, r"/applications/drafts/\d+/payment/")
    page_checked(page, "apply-payment")
    field(page, _("Bank")).fill("中国工商银行衢州分行")
    page.get_by_label(_("Account or card number")).fill("6222 0212 3456 7890 123")
    page.get_by_role("button", name=_("Save and continue")).click()

    # Documents: real files, made here, through the file chooser.
    expect_path(page, r"/applications/drafts/\d+/documents/")
    page_checked(page, "apply-documents")
    files = [
        ("identity_card", "id-card.jpg", "image/jpeg", image_bytes("JPEG")),
        ("graduation_certificate", "diploma.pdf", "application/pdf", pdf_bytes(2)),
        ("social_insurance_receipts", "receipts.png", "image/png", image_bytes("PNG")),
    ]
    for kind, name, mime_type, content in files:
        page.get_by_label(_("Which document is this?")).select_option(kind)
        field(page, _("File")).set_input_files({"name": name, "mimeType": mime_type, "buffer": content})
        page.get_by_role("button", name=_("Upload"), exact=True).click()
        expect(page.locator(".messages")).to_contain_text(_("Uploaded. We are checking the file."))
        expect(page.get_by_role("link", name=name)).to_be_visible()
    page_checked(page, "apply-documents-uploaded")
    assert set(Document.objects.values_list("check_status", flat=True)) == {"passed"}
    page.locator("main form").get_by_role("button", name=_("Continue"), exact=True).click()

    # Check your answers, declare, send.
    expect_path(page, r"/applications/drafts/\d+/check/")
    page_checked(page, "apply-check")
    main = page.locator("main")
    expect(main).to_contain_text("王小明")
    expect(main).to_contain_text(VALID_ID_NUMBER)
    expect(main).to_contain_text("6222021234567890123")
    expect(main).to_contain_text("diploma.pdf")
    expect(main).to_contain_text("500.00")
    declaration = _(
        "I declare that what I have told you is true and complete, and I understand that a subsidy paid "
        "on false information must be repaid."
    )
    field(page, declaration).check()
    page.get_by_role("button", name=_("Send the application")).click()

    expect_path(page, r"/applications/LH-\d{4}-\d{6}/sent/")
    reference = page.locator("[data-reference]").inner_text().strip()
    assert re.fullmatch(rf"LH-{timezone.localdate().year}-\d{{6}}", reference)
    page_checked(page, "confirmation")
    application = Application.objects.get(reference=reference)
    assert application.status == Status.SUBMITTED and str(application.amount) == "500.00"

    page.get_by_role("link", name=_("Follow your case")).click()
    expect_path(page, rf"/applications/{reference}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text(reference)
    page_checked(page, "case")

    # The rest of the person's pages, through the header's menu (folded on a phone).
    open_menu_if_folded(page, _)
    page.locator("header").get_by_role("link", name=_("My applications")).click()
    expect(page.locator("main")).to_contain_text(reference)
    page_checked(page, "my-applications")
    open_menu_if_folded(page, _)
    page.locator("header").get_by_role("link", name=_("Messages")).click()
    expect(page.locator("main")).to_contain_text(reference)  # the "we have received it" message
    page_checked(page, "inbox")
    open_menu_if_folded(page, _)
    page.locator("header").get_by_role("button", name=_("Log out")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(_("You are logged out"))
    page_checked(page)
