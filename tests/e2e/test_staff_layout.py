"""The staff queue and the supervisor's charts in a real browser, at 1280 px and at 375 px.

The queue is a table on a desktop, with each "Claim" button on one line, and a stack of
cards on a phone, with the same cells. The charts' text is drawn at no less than the body
text size (16 px) on both.
"""

import pytest

from tests.applications.test_payments import decided_application
from tests.applications.test_review_services import submitted
from tests.e2e.browsing import Wording, log_in
from tests.e2e.conftest import DESKTOP, PHONE
from tests.e2e.inspection import page_checked
from tests.factories import CaseworkerFactory, CitizenFactory, SupervisorFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _cases(count: int = 3) -> None:
    for number in range(count):
        submitted(id_number=f"33080219990101{number:04d}", full_name="欧阳小明")


def _hidden_visually(page, selector: str) -> bool:
    box = page.locator(selector).bounding_box()
    return box is None or (box["width"] <= 1 and box["height"] <= 1)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_queue_is_a_table_on_a_desktop_with_claim_on_one_line(new_page, live_server, language):
    _cases()
    worker = CaseworkerFactory(username="caseworker@linghuo.test")
    page = new_page(viewport=DESKTOP)
    log_in(page, Wording("zh-hans"), worker.username)
    page.context.add_cookies([{"name": "linghuo_language", "value": language, "url": live_server.url}])
    page.goto("/staff/queue/")
    page_checked(page, f"staff-queue-{language}")
    assert not _hidden_visually(page, ".queue-table thead")
    assert page.evaluate("getComputedStyle(document.querySelector('.queue-table tr')).display") == "table-row"
    buttons = page.locator(".queue-claim button")
    assert buttons.count() == 3
    for index in range(buttons.count()):
        box = buttons.nth(index).bounding_box()
        line = page.evaluate(
            "(b) => parseFloat(getComputedStyle(b).lineHeight) || parseFloat(getComputedStyle(b).fontSize) * 1.5",
            buttons.nth(index).element_handle(),
        )
        assert box["height"] < 2 * line, f"the claim button wraps: {box['height']}px high"
    # The table fits its column: no sideways scrolling in its wrapper.
    wrapper = "document.querySelector('.queue-table').parentElement"
    assert page.evaluate(f"() => {wrapper}.scrollWidth <= {wrapper}.clientWidth")


def test_the_queue_is_cards_on_a_phone(new_page):
    _cases()
    worker = CaseworkerFactory(username="caseworker@linghuo.test")
    page = new_page(viewport=PHONE)
    _ = Wording("zh-hans")
    log_in(page, _, worker.username)
    page.goto("/staff/queue/")
    page_checked(page, "staff-queue")  # also: the page does not scroll sideways
    assert _hidden_visually(page, ".queue-table thead")  # the column names are in each card
    rows = page.locator(".queue-table tbody tr")
    assert rows.count() == 3
    assert page.evaluate("getComputedStyle(document.querySelector('.queue-table tbody tr')).display") == "block"
    first = rows.first
    # Each card shows every cell, with its column's name above it.
    for label in ("Applicant", "Programme", "Status", "Age", "Decision due", "Caseworker"):
        cell = first.locator(f'td[data-label="{_(label)}"]')
        assert cell.is_visible()
        before = page.evaluate("(td) => getComputedStyle(td, '::before').content", cell.element_handle())
        assert _(label) in before
    assert first.get_by_role("button").is_visible()
    card, viewport = first.bounding_box(), page.viewport_size
    assert card["x"] >= 0 and card["x"] + card["width"] <= viewport["width"]


def test_a_caseworker_on_a_phone_narrows_the_queue_to_one_warning_flag(new_page):
    """The flags kept on the case (applications.case_flags), as a caseworker uses them, in Chinese at 375 px."""
    _cases(2)
    shared = "330802199905021230"
    flagged = submitted(id_number=shared, full_name="司马青")
    submitted(id_number=shared, full_name="司马青", region="330100", applicant=CitizenFactory())  # another person
    worker = CaseworkerFactory(username="caseworker@linghuo.test")
    page = new_page(viewport=PHONE)
    _ = Wording("zh-hans")
    log_in(page, _, worker.username)
    page.goto("/staff/queue/")
    assert page.locator(".queue-table tbody tr").count() == 3
    page.get_by_label(_("Same identity number on another person's application")).check()
    page.get_by_role("button", name=_("Show cases")).click()
    page_checked(page, "staff-queue-flag-identity")
    rows = page.locator(".queue-table tbody tr")
    assert rows.count() == 1
    assert flagged.reference in rows.first.inner_text()
    assert rows.first.get_by_text(_("Same identity number elsewhere")).is_visible()
    # The filter stays ticked on the page it made, and "Clear" lists every case again.
    assert page.get_by_label(_("Same identity number on another person's application")).is_checked()
    page.get_by_role("link", name=_("Clear")).click()
    assert page.locator(".queue-table tbody tr").count() == 3


_RENDERED_SIZES = """() => [...document.querySelectorAll('svg.bar-chart')]
  .filter(svg => svg.getBoundingClientRect().width > 0)
  .flatMap(svg => {
    const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
    return [...svg.querySelectorAll('text')].map(t => parseFloat(t.getAttribute('font-size')) * scale);
  })"""


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_chart_text_is_at_least_body_size(new_page, viewport):
    decided_application("startup-subsidy", value="12345.60")
    supervisor = SupervisorFactory(username="supervisor@linghuo.test")
    page = new_page(viewport=viewport)
    log_in(page, Wording("zh-hans"), supervisor.username)
    page.goto("/supervision/")
    page_checked(page, "supervision-dashboard")
    body = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    sizes = page.evaluate(_RENDERED_SIZES)
    assert sizes, "no chart drawn"
    assert min(sizes) >= body - 0.01, f"chart text rendered at {min(sizes):.1f}px, body text is {body}px"
    assert (
        page.locator("svg.bar-chart:visible").count() == 6
    )  # one drawing of each of the six charts (budgets and funnel included)


def test_revealing_a_number_with_a_reason_shows_it_once(new_page):
    application = submitted(id_number="330802199905021230")
    worker = CaseworkerFactory(username="caseworker@linghuo.test")
    page = new_page(viewport=DESKTOP)
    _ = Wording("zh-hans")
    log_in(page, _, worker.username)
    page.goto(f"/staff/cases/{application.reference}/")
    page_checked(page, "staff-case")
    number = page.locator('[data-field="id_number"]')
    assert number.inner_text() == "***************230"
    form = page.locator("form.reveal-form").first
    form.get_by_role("button").click()  # no reason: refused at the form
    page_checked(page)
    assert _("Say why you need the full number.") in page.locator("main").inner_text()
    page.locator("#reveal_id_number_reason").fill("电话核实身份")
    page.locator("form.reveal-form").first.get_by_role("button").click()
    page_checked(page, "staff-case-revealed")
    assert page.locator('[data-field="id_number"]').inner_text() == "330802199905021230"
    page.reload()
    assert page.locator('[data-field="id_number"]').inner_text() == "***************230"
