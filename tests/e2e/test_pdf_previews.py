"""A caseworker sees a PDF's pages as images in a sandboxed frame on the case page, in Chromium:
the images load (the frame's requests carry the session), nothing of a PDF's JavaScript runs,
and the original comes only as a download (issue 11, item 7)."""

import pytest
from playwright.sync_api import expect

from tests.applications.files import pdf_bytes, pdf_open_action_javascript_bytes
from tests.applications.test_pdf_previews import stored_pdf
from tests.applications.test_review_services import submitted
from tests.e2e.browsing import Wording, log_in
from tests.e2e.conftest import DESKTOP
from tests.e2e.inspection import page_checked
from tests.factories import CaseworkerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_a_caseworker_reads_pdf_pages_as_images_and_downloads_the_original(new_page):
    caseworker = CaseworkerFactory(username="caseworker@linghuo.test")
    application = submitted()
    scan = stored_pdf(application, pdf_bytes(3), name="diploma.pdf")
    hostile = stored_pdf(application, pdf_open_action_javascript_bytes(), name="alert.pdf")
    zh = Wording("zh-hans")

    staff = new_page(viewport=DESKTOP)
    dialogs, images = [], {}
    staff.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    staff.on(
        "response",
        lambda response: (
            images.__setitem__(response.url.split("?")[0], (response.status, response.headers.get("content-type")))
            if "/pages/" in response.url and ".png" in response.url
            else None
        ),
    )
    log_in(staff, zh, caseworker.username)
    staff.goto(f"/staff/cases/{application.reference}/")
    page_checked(staff, "staff-case-pdf-pages")

    frame = staff.frame_locator(f'iframe[src^="/documents/{scan.token}/pages/"]')
    expect(frame.locator("img")).to_have_count(3)
    expect(frame.get_by_alt_text(zh("Page %(number)s of %(total)s") % {"number": 3, "total": 3})).to_be_attached()
    hostile_frame = staff.frame_locator(f'iframe[src^="/documents/{hostile.token}/pages/"]')
    expect(hostile_frame.locator("img")).to_have_count(1)
    hostile_frame.locator("img").scroll_into_view_if_needed()
    frame.locator("img").nth(2).scroll_into_view_if_needed()
    staff.wait_for_load_state("networkidle")
    expected = {f"/documents/{scan.token}/pages/{n}.png" for n in (1, 2, 3)} | {
        f"/documents/{hostile.token}/pages/1.png"
    }
    assert {url.removeprefix(staff.url.split("/staff/")[0]) for url in images} == expected
    assert set(images.values()) == {(200, "image/png")}  # not a login page: the frame sent the session
    assert dialogs == []  # the PDF's app.alert never ran

    link = staff.get_by_role("link", name=f"{zh('Open the original PDF (download)')} diploma.pdf")
    with staff.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == f"document-{scan.pk}.pdf"
    assert staff.url.endswith(f"/staff/cases/{application.reference}/")  # the page stays; no PDF viewer
