"""The staff side's pages as staff meet them (issue 9, items 4a–4h): each role's home after
logging in, words instead of codes, audit entries as sentences and one entry per case view,
the queue's default and layout, chart text size, the payments export, revealing a number
with a reason, and filters that answer bad input with a form error."""

import csv
import io
import re
from datetime import date, timedelta

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone, translation
from openpyxl import load_workbook

from applications.audit_wording import audit_sentence
from applications.models import Application, AuditEntry, Document, Payment, Status
from applications.services import review
from applications.services.audit import audit_record
from applications.staff import viewing
from applications.supervision import charts
from applications.supervision.charts import FONT_SIZE, NARROW_WIDTH, WIDE_WIDTH, text_width
from tests.applications.files import pdf_bytes
from tests.applications.test_payments import decided_application
from tests.applications.test_review_services import submitted
from tests.conftest import REPO
from tests.factories import (
    PASSWORD,
    ApplicationFactory,
    CaseworkerFactory,
    CitizenFactory,
    PolicyAdminFactory,
    SupervisorFactory,
)

pytestmark = pytest.mark.django_db


def visible_text(response) -> str:
    """What a person reads: the page without its tags, scripts and attribute values."""
    page = response.content.decode()
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))


def case_url(application, action: str = "") -> str:
    return f"/staff/cases/{application.reference}/{action + '/' if action else ''}"


# --- 4a: each role lands on its own home; menus per role ------------------------------------------


def _log_in(client, user, **extra):
    return client.post("/accounts/login/", {"username": user.username, "password": PASSWORD, **extra})


def _landing(response) -> str:
    """Where the login sends a person: for staff, past the second factor's page (its ``next``)."""
    from urllib.parse import parse_qs, urlsplit

    location = urlsplit(response["Location"])
    if location.path.startswith("/accounts/two-factor/"):
        return parse_qs(location.query)["next"][0]
    return response["Location"]


@pytest.mark.parametrize(
    ("factory", "home"),
    [
        (CaseworkerFactory, "/staff/queue/"),
        (SupervisorFactory, "/supervision/"),
        (PolicyAdminFactory, "/policy/"),
        (CitizenFactory, "/"),
    ],
)
def test_after_logging_in_each_role_lands_on_its_own_home(client, factory, home):
    response = _log_in(client, factory())
    assert response.status_code == 302
    assert _landing(response) == home


def test_a_safe_next_still_wins_and_an_unsafe_one_is_ignored(client):
    worker = CaseworkerFactory()
    assert _landing(_log_in(client, worker, next="/staff/audit/")) == "/staff/audit/"
    client.logout()
    assert _landing(_log_in(client, worker, next="https://evil.example/")) == "/staff/queue/"


def test_staff_menus_have_no_citizen_items_and_citizens_no_staff_items(client, english):
    client.force_login(SupervisorFactory())
    header = re.search(r"<header.*?</header>", client.get("/supervision/").content.decode(), re.S).group(0)
    assert 'href="/staff/queue/"' in header and 'href="/supervision/"' in header and 'href="/staff/audit/"' in header
    assert "My applications" not in header and 'href="/inbox/"' not in header
    home = client.get("/").content.decode()
    assert "Check what you can get" not in home  # the screener's call to action is for citizens

    client.force_login(CitizenFactory())
    page = client.get("/").content.decode()
    header = re.search(r"<header.*?</header>", page, re.S).group(0)
    assert "My applications" in header
    assert "/staff/" not in header and "/supervision/" not in header
    assert "Check what you can get" in page


# --- 4b: words, not codes ----------------------------------------------------------------------------


@pytest.fixture
def worker(client, english):
    person = CaseworkerFactory(preferred_language="en")
    client.force_login(person)
    return person


def test_the_case_page_shows_no_criterion_ids_parameter_keys_or_raw_codes(client, worker):
    application = submitted(facts={**_graduate_facts(), "employment_form": "self_employed"})
    text = visible_text(client.get(case_url(application)))
    for code in ("target-group", "works-flexibly", "si.subsidy_rate", "common.flexible_forms", "self_employed"):
        assert code not in text
    assert "college_graduate" not in text and "part_time" not in text
    assert "Belongs to a target group" in text  # the criterion by what it checks
    # The applicant's answers in the third person.
    assert "Pays basic pension insurance as a flexibly employed person" in text
    assert "Target groups the applicant belongs to" in text
    assert "self-employment" in text  # the employment form by its label


def test_the_answers_read_in_the_third_person_in_chinese(client):
    client.force_login(CaseworkerFactory())
    client.cookies["linghuo_language"] = "zh-hans"
    application = submitted()
    text = visible_text(client.get(case_url(application)))
    assert "申请人是否以灵活就业人员身份缴纳基本养老保险 是" in text


def _graduate_facts() -> dict:
    from tests.factories import GRADUATE_FACTS

    return dict(GRADUATE_FACTS)


# --- 4c: audit entries as sentences; one entry per case view ------------------------------------------


def _document_with_file(application, name: str = "id.pdf") -> Document:
    document = Document(
        application=application,
        kind="identity_card",
        original_name=name,
        size=100,
        content_type="application/pdf",
        uploaded_by=application.applicant,
        check_status=Document.CheckStatus.PASSED,
        check_results={"problems": []},
    )
    document.file.save(name, ContentFile(pdf_bytes(1)), save=True)
    return document


def test_opening_a_case_records_one_entry_listing_its_documents_and_the_previews_none(client, worker):
    application = submitted()
    first, second = _document_with_file(application, "id.pdf"), _document_with_file(application, "receipts.pdf")
    page = client.get(case_url(application)).content.decode()
    for document in (first, second):
        assert f'src="/documents/{document.token}/pages/?preview=case"' in page  # a PDF as page images
        assert client.get(f"/documents/{document.token}/pages/?preview=case").status_code == 200
        assert client.get(f"/documents/{document.token}/pages/1.png?preview=case").status_code == 200
    entry = AuditEntry.objects.get()
    assert entry.action == AuditEntry.Action.VIEW_CASE
    assert [d["id"] for d in entry.details["documents"]] == [first.pk, second.pk]

    # Opened on its own (a new tab), a document is audited as before.
    assert client.get(f"/documents/{first.token}/").status_code == 200
    assert AuditEntry.objects.filter(action=AuditEntry.Action.VIEW_DOCUMENT).count() == 1


def test_a_preview_is_audited_without_a_recent_case_view(client, worker, monkeypatch):
    application = submitted()
    document = _document_with_file(application)
    client.get(f"/documents/{document.token}/?preview=case")  # never opened the case: audited
    assert AuditEntry.objects.filter(action=AuditEntry.Action.VIEW_DOCUMENT).count() == 1
    client.get(case_url(application))
    later = viewing._now() + viewing.PREVIEW_WINDOW_SECONDS + 1
    monkeypatch.setattr(viewing, "_now", lambda: later)
    client.get(f"/documents/{document.token}/?preview=case")  # the case page was opened too long ago
    assert AuditEntry.objects.filter(action=AuditEntry.Action.VIEW_DOCUMENT).count() == 2


def test_audit_entries_read_as_sentences(client):
    worker = CaseworkerFactory(full_name="王芳")
    application = submitted()
    at = timezone.make_aware(timezone.datetime(2026, 12, 1, 14, 3))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(timezone, "now", lambda: at)
        entry = audit_record(
            actor=worker,
            action=AuditEntry.Action.VIEW_PERSONAL_DATA,
            application=application,
            details={"field": "id_number", "reason": "核对身份"},
        )
    from django.utils import translation

    with translation.override("zh-hans"):
        assert (
            audit_sentence(entry)
            == f"王芳 于 2026年12月1日 14:03 查看了申请 {application.reference} 的身份证号码（原因：核对身份）"
        )
    with translation.override("en"):
        sentence = audit_sentence(entry)
    assert sentence.startswith(f"王芳 viewed the identity number of application {application.reference} on ")
    assert sentence.endswith("(reason: 核对身份)")

    client.force_login(SupervisorFactory())
    client.cookies["linghuo_language"] = "zh-hans"
    assert "查看了申请" in visible_text(client.get("/staff/audit/"))


# --- 4d: the queue ------------------------------------------------------------------------------------


def test_finished_cases_are_out_of_the_default_queue_but_a_filter_shows_them(client, worker):
    waiting = submitted(id_number="330802199901010011")
    withdrawn = submitted(id_number="330802199901010022")
    approved = submitted(id_number="330802199901010033")
    Application.objects.filter(pk=withdrawn.pk).update(status=Status.WITHDRAWN)
    Application.objects.filter(pk=approved.pk).update(status=Status.APPROVED)
    text = client.get("/staff/queue/").content.decode()
    assert waiting.reference in text
    assert withdrawn.reference not in text and approved.reference not in text
    everything = client.get("/staff/queue/?status=all").content.decode()
    assert all(case.reference in everything for case in (waiting, withdrawn, approved))
    only_withdrawn = client.get("/staff/queue/?status=withdrawn").content.decode()
    assert withdrawn.reference in only_withdrawn and waiting.reference not in only_withdrawn


def test_the_queue_rows_label_their_cells_for_the_phone_layout_and_keep_the_claim_on_one_line(client, worker):
    submitted()
    page = client.get("/staff/queue/").content.decode()
    assert "/static/css/staff.css" in page
    for label in ("Applicant", "Programme", "Status", "Age", "Decision due", "Caseworker", "Flags"):
        assert f'data-label="{label}"' in page
    assert re.search(r'<td class="queue-claim">.*?class="btn btn-sm btn-outline-primary text-nowrap"', page, re.S)


# --- 4e: chart text ------------------------------------------------------------------------------------

# The body text size the portal's style sheet sets, in px (1rem = 16px).
BODY_TEXT_PX = 16 * float(
    re.search(r"body \{[^}]*font-size: ([\d.]+)rem", (REPO / "static/css/portal.css").read_text()).group(1)
)


def test_chart_text_is_drawn_at_body_size_in_svgs_that_are_never_scaled_down(client):
    decided_application("startup-subsidy", value="12345.60")
    client.force_login(SupervisorFactory())
    page = client.get("/supervision/").content.decode()
    svgs = re.findall(r"<svg[^>]*>.*?</svg>", page, re.S)
    assert len(svgs) == 12  # six charts (with budgets and the funnel), each for wide and narrow screens
    for drawing in svgs:
        sizes = [int(size) for size in re.findall(r'font-size="(\d+)"', drawing)]
        assert sizes and min(sizes) >= max(16, BODY_TEXT_PX)
        view_width = float(re.search(r'viewBox="0 0 ([\d.]+) ', drawing).group(1))
        width = float(re.search(r'\swidth="([\d.]+)"', drawing).group(1))
        assert width == view_width  # drawn 1:1: a viewBox unit is a CSS pixel
        # It may shrink only below the widths checked next (.chart-svg: max-width 100%, in static CSS for the CSP).
        assert re.search(r'<svg[^>]*class="[^"]*\bchart-svg\b', drawing)
    # The chart's column is at least this wide wherever each layout shows (a 576 px viewport for
    # the wide one, a 320 px phone for the narrow one): the SVG never shrinks there.
    assert WIDE_WIDTH <= 576 - 24 - 2 - 32 - 36 and NARROW_WIDTH <= 320 - 24 - 2 - 32
    assert FONT_SIZE >= BODY_TEXT_PX


def test_long_labels_are_wrapped_to_the_layouts_width():
    title = "Social insurance subsidy for flexible employment of college graduates"
    chart = charts.bar_chart(
        chart_id="t",
        title="t",
        description="d",
        category_heading="h",
        series=[charts.Series("A", "#000"), charts.Series("B", "#111")],
        rows=[(title, [3, 4]), ("灵活就业人员社会保险补贴和一次性创业补贴", [1, 0])],
        value_text=charts.count_text,
    )
    for layout in chart.layouts:
        for category in layout.categories:
            assert all(text_width(line.text) <= layout.width for line in category.lines)
            for bar in category.bars:
                assert bar.text_x + text_width(bar.value_text) <= layout.width
        for entry in layout.legend:
            assert entry.text_x + text_width(entry.series.name) <= layout.width
    assert len(chart.narrow.categories[0].lines) > len(chart.wide.categories[0].lines) >= 1


# --- 4f: the payments export ---------------------------------------------------------------------------


@pytest.fixture
def supervisor(client, english):
    person = SupervisorFactory(region="330800")
    client.force_login(person)
    return person


def _payment(due_on: date, **fields) -> Payment:
    application = decided_application("startup-subsidy", value="10000.00", **fields)
    return Payment.objects.create(application=application, sequence=1, due_on=due_on, amount="10000.00")


def test_the_default_period_is_the_month_of_the_next_payment_due(client, supervisor):
    today = timezone.localdate()
    _payment(today - timedelta(days=40))  # past: not the next one
    nxt = today + timedelta(days=70)
    _payment(nxt)
    _payment(nxt + timedelta(days=60))
    page = client.get("/supervision/payments/").content.decode()
    start = nxt.replace(day=1)
    end = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    assert f'name="from" value="{start:%Y-%m-%d}"' in page
    assert f'name="to" value="{end:%Y-%m-%d}"' in page


def test_an_empty_period_says_so_and_downloads_nothing(client, supervisor):
    page = client.get("/supervision/payments/").content.decode()
    assert "No payment is due from today on." in page
    for url in ("/supervision/payments.csv", "/supervision/payments.xlsx"):
        response = client.get(url, {"from": "2025-04-01", "to": "2025-04-30"})
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/html") and "Content-Disposition" not in response
        assert "No payment falls due between" in visible_text(response)
    assert not AuditEntry.objects.exists()


def test_the_csv_is_plain_rfc_4180_with_the_account_digits(client, supervisor):
    _payment(date(2025, 4, 20))
    content = client.get("/supervision/payments.csv", {"from": "2025-04-01", "to": "2025-04-30"}).content
    text = content.decode("utf-8-sig")
    assert "\t" not in text
    assert text.count("\r\n") == 2 and "\n" not in text.replace("\r\n", "")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[1][4] == "6222021234567890123"


def test_the_xlsx_keeps_the_account_as_text_and_is_audited(client, supervisor):
    _payment(date(2025, 4, 20), full_name='=HYPERLINK("http://evil.example","x")')
    response = client.get("/supervision/payments.xlsx", {"from": "2025-04-01", "to": "2025-04-30"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"].endswith('.xlsx"') and "no-store" in response["Cache-Control"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    header, row = list(sheet.iter_rows(values_only=True))
    assert header[4] == "Bank account number"
    account = sheet.cell(row=2, column=5)
    assert (account.value, account.data_type, account.number_format) == ("6222021234567890123", "s", "@")
    assert sheet.cell(row=2, column=3).data_type == "s"  # a formula-looking name stays text
    assert row[6].date() == date(2025, 4, 20) and float(row[7]) == 10000.0
    entry = AuditEntry.objects.get()
    assert entry.action == AuditEntry.Action.VIEW_PERSONAL_DATA
    assert (entry.details["format"], entry.details["rows"]) == ("xlsx", 1)


# --- 4g: revealing a number --------------------------------------------------------------------------


def test_revealing_needs_a_reason_and_shows_the_number_once(client, worker):
    application = submitted(id_number="330802199905021230")
    refused = client.post(case_url(application, "reveal"), {"field": "id_number", "reason": "  "})
    assert refused.status_code == 400
    assert "Say why you need the full number." in refused.content.decode()
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.VIEW_PERSONAL_DATA).exists()

    response = client.post(case_url(application, "reveal"), {"field": "id_number", "reason": "Phone check"})
    assert response.status_code == 302
    assert "330802199905021230" not in response.content.decode()
    shown = client.get(response["Location"]).content.decode()
    assert "330802199905021230" in shown
    again = client.get(case_url(application)).content.decode()
    assert "330802199905021230" not in again and "***************230" in again
    entry = AuditEntry.objects.get(action=AuditEntry.Action.VIEW_PERSONAL_DATA)
    assert entry.details == {"field": "id_number", "reason": "Phone check"}
    assert client.get(case_url(application, "reveal")).status_code == 405


def test_the_reason_field_is_on_the_case_page(client, worker):
    application = submitted()
    page = client.get(case_url(application)).content.decode()
    assert page.count('name="reason"') == 2
    assert 'id="reveal_id_number_reason"' in page and 'id="reveal_bank_account_reason"' in page


def test_a_reveal_mark_for_one_case_does_not_show_another(client, worker):
    first, second = submitted(id_number="330802199905021230"), submitted(id_number="330802199905021248")
    review.application_claim(application=first, caseworker=worker)
    client.post(case_url(first, "reveal"), {"field": "id_number", "reason": "check"})
    assert "330802199905021248" not in client.get(case_url(second)).content.decode()


# --- 4h: filters never answer 500 ----------------------------------------------------------------------


@pytest.mark.parametrize("query", ["age_min=1000000", "age_max=99999999999", "age_min=-3", "age_max=1.5"])
def test_queue_age_filters_out_of_bounds_are_a_form_error(client, worker, query):
    listed = submitted()
    response = client.get(f"/staff/queue/?{query}&programme=flexible-si-subsidy")
    assert response.status_code == 200
    assert "Enter a whole number of days from 0 to 3650." in response.content.decode()
    assert listed.reference in response.content.decode()  # the other filters still list


@pytest.mark.parametrize("query", ["date_to=9999-12-31", "date_from=0001-01-01"])
def test_audit_date_filters_out_of_bounds_are_a_form_error(client, query):
    worker = CaseworkerFactory(full_name="张三")
    application = submitted()
    audit_record(actor=worker, action=AuditEntry.Action.VIEW_CASE, application=application)
    client.force_login(SupervisorFactory())
    client.cookies["linghuo_language"] = "en"
    response = client.get(f"/staff/audit/?{query}&actor=张三")
    assert response.status_code == 200
    assert "Enter a date from 2000-01-01 to 2099-12-31." in response.content.decode()
    assert len(response.context["rows"]) == 1  # listed by the other filter


def test_a_queue_page_is_logged_as_a_view_of_the_names_it_shows(client):
    worker = CaseworkerFactory()
    shown = [ApplicationFactory(status=Status.SUBMITTED, reference=f"LH-2026-00090{n}") for n in range(2)]
    client.force_login(worker)
    assert client.get("/staff/queue/").status_code == 200
    entry = AuditEntry.objects.get(action=AuditEntry.Action.VIEW_PERSONAL_DATA, actor=worker)
    assert entry.details["page"] == "queue"
    assert sorted(entry.details["applications"]) == sorted(a.reference for a in shown)
    with translation.override("en"):
        assert "opened the queue, with the names of the applicants of" in audit_sentence(entry)
