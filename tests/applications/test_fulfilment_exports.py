"""A supervisor exports the referrals of a period per partner, as CSV and XLSX."""

import csv
import io

import pytest
from openpyxl import load_workbook

from applications.models import AuditEntry, Fulfilment
from tests.applications.test_fulfilment import approved_case, days_ago, fulfil
from tests.factories import CaseworkerFactory, SupervisorFactory

pytestmark = pytest.mark.django_db

Kind = Fulfilment.Kind


@pytest.fixture
def supervisor(client, english):
    person = SupervisorFactory()
    client.force_login(person)
    return person


@pytest.fixture
def loans():
    """Two loans referred to a bank in the period, one before it, one in another region."""
    cases = []
    for bank, days, region in (("衢州银行", 3, "330800"), ("=HYPERLINK(1)", 2, "330800"), ("衢州银行", 9, "330800")):
        case = approved_case(Kind.LOAN, region=region, full_name="王小明", language="en")
        fulfil(case, {"guarantee_centre": "担保中心", "bank": bank, "referred_on": days_ago(days)})
        cases.append(case)
    elsewhere = approved_case(Kind.LOAN, region="330100", assigned_to=CaseworkerFactory(region="330100"))
    fulfil(elsewhere, {"guarantee_centre": "担保中心", "bank": "杭州银行", "referred_on": days_ago(3)})
    return cases


def period(**extra) -> dict:
    return {"from": days_ago(5).isoformat(), "to": days_ago(0).isoformat(), **extra}


def test_the_csv_lists_the_referrals_of_the_period_in_the_region_masked(client, supervisor, loans):
    response = client.get("/supervision/referrals.csv", period(partner="bank"))
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('.csv"')
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["Partner", "Partner's name", "Referred on", "Reference"]
    body = rows[1:]
    assert sorted(row[3] for row in body) == sorted([loans[0].reference, loans[1].reference])
    by_reference = {row[3]: row for row in body}
    first = by_reference[loans[0].reference]
    assert first[0] == "Partner bank" and first[1] == "衢州银行" and first[2] == days_ago(3).isoformat()
    assert first[5] == "王小明" and first[6] == "***************230"
    assert "330802199905021230" not in response.content.decode("utf-8-sig")
    assert by_reference[loans[1].reference][1] == "'=HYPERLINK(1)"  # never a formula
    entry = AuditEntry.objects.get(action=AuditEntry.Action.VIEW_PERSONAL_DATA)
    assert entry.details["export"] == "referrals" and entry.details["rows"] == 2 and entry.actor == supervisor


def test_the_xlsx_has_a_sheet_per_partner_with_text_cells(client, supervisor, loans):
    tax = approved_case(Kind.TAX_NOTICE)
    fulfil(tax, {"bureau": "柯城区税务局", "notified_on": days_ago(1)})
    response = client.get("/supervision/referrals.xlsx", period())
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["Partner bank", "Tax bureau"]
    assert workbook["Tax bureau"]["B2"].value == "柯城区税务局"
    sheet = workbook["Partner bank"]
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0][3] == "Reference" and len(values) == 3
    assert all(cell.data_type == "s" for row in sheet.iter_rows(min_row=2) for cell in row)
    assert {row[3] for row in values[1:]} == {loans[0].reference, loans[1].reference}


def test_an_empty_period_gives_no_file_and_records_nothing(client, supervisor, loans):
    response = client.get("/supervision/referrals.csv", {"from": "2020-01-01", "to": "2020-01-31"})
    assert response.status_code == 200 and "No case was referred" in response.content.decode()
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.VIEW_PERSONAL_DATA).exists()


def test_a_bad_period_is_refused_with_the_input_kept(client, supervisor):
    response = client.get("/supervision/referrals.xlsx", {"from": "2026-02-30", "to": "2026-01-01", "partner": "moon"})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'value="2026-02-30"' in page and "Enter a real date" in page


def test_only_supervisors_export_referrals(client):
    client.force_login(CaseworkerFactory())
    assert client.get("/supervision/referrals.csv", period()).status_code == 403
