"""Masked identity numbers: what a page shows, taken together, must leave at least 1,000 possible numbers.

The enumeration reads the rendered page as an attacker would: the masked number
(each visible character fixes its place), the birth date if it is anywhere on
the page in any usual format, the age at submission the evaluation states, and
the birth year if it appears. It then counts the numbers consistent with all of
it: an area code (the six of Quzhou, the region the case belongs to: the
attacker's best guess; all of Zhejiang from python-stdnum's data for the
record), every birth date left, every order code, and the check character.
"""

import calendar
import re
from datetime import date, timedelta
from html import unescape

import pytest
from django.utils import translation
from stdnum import numdb
from stdnum.cn import ric

from applications.staff.masking import mask_id_number
from eligibility.dates import age_on
from tests.applications.test_review_services import submitted
from tests.factories import CaseworkerFactory, CitizenFactory

pytestmark = pytest.mark.django_db

QUZHOU_AREAS = ("330802", "330803", "330822", "330824", "330825", "330881")
MINIMUM_CANDIDATES = 1_000
# ISO 7064 MOD 11-2, as GB 11643 uses it: the weight of each of the first 17 digits.
WEIGHTS = [pow(2, 17 - i, 11) for i in range(17)]
CHECK = "10X98765432"  # check character by (sum mod 11)

ID_NUMBER = "330802199905021230"
BIRTH = date(1999, 5, 2)


def zhejiang_areas() -> list[str]:
    codes = set()
    for prefix in range(3300, 3400):
        for suffix in range(100):
            code = f"{prefix}{suffix:02d}"
            info = {k: v for _part, props in numdb.get("cn/loc").info(code) for k, v in props.items()}
            if "county" in info:
                codes.add(code)
    return sorted(codes)


def page_text(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def birth_date_formats(day: date) -> list[str]:
    month = calendar.month_name[day.month]  # English in the C locale the tests run in
    return [
        day.isoformat(),
        day.strftime("%Y%m%d"),
        day.strftime("%Y/%m/%d"),
        day.strftime("%d/%m/%Y"),
        day.strftime("%Y.%m.%d"),
        f"{day.year}年{day.month}月{day.day}日",
        f"{day.year}年{day.month:02d}月{day.day:02d}日",
        f"{month} {day.day}, {day.year}",
        f"{day.day} {month} {day.year}",
        f"{month[:3]}. {day.day}, {day.year}",
    ]


def masked_value(html: str, field: str = "id_number") -> str:
    match = re.search(rf'data-field="{field}"[^>]*>([^<]*)<', html)
    assert match, f"the page shows no {field}"
    return match.group(1).strip()


def candidates_consistent_with(
    html: str, *, true_birth: date, as_of: date, areas, shown: str | None = None
) -> tuple[int, dict]:
    """How many identity numbers agree with everything the page shows (and what it was found to show)."""
    text = page_text(html)
    shown = masked_value(html) if shown is None else shown
    # Right-aligned: the last character shown is the check character.
    known = {17 - offset: char for offset, char in enumerate(reversed(shown)) if char not in "*•… " and offset < 18}
    # Birth dates: exact if the page prints the date; else the year of the age it states at ``as_of``.
    if any(form in text for form in birth_date_formats(true_birth)):
        births = [true_birth]
        evidence = "full birth date"
    else:
        age = age_on(true_birth, as_of)
        first = date(as_of.year - age - 1, as_of.month, as_of.day) + timedelta(days=1)
        births = [first + timedelta(days=n) for n in range((as_of - first).days + 1)]
        births = [d for d in births if age_on(d, as_of) == age]
        evidence = "age at submission"
        if str(true_birth.year) in text:
            births = [d for d in births if d.year == true_birth.year]
            evidence += " and birth year"

    def fits(prefix: str, start: int) -> bool:
        return all(known.get(start + i, c) == c for i, c in enumerate(prefix))

    # Sum of the weighted digits: the area and birth part, then the order code, then the check character.
    by_residue: dict[int, int] = {}
    for area in areas:
        if not fits(area, 0):
            continue
        for birth in births:
            head = area + birth.strftime("%Y%m%d")
            if not fits(head[6:], 6):
                continue
            residue = sum(int(c) * w for c, w in zip(head, WEIGHTS[:14], strict=True)) % 11
            by_residue[residue] = by_residue.get(residue, 0) + 1
    count = 0
    for order in range(1000):
        tail = f"{order:03d}"
        if not fits(tail, 14):
            continue
        order_sum = sum(int(c) * w for c, w in zip(tail, WEIGHTS[14:], strict=True))
        for residue, heads in by_residue.items():
            if known.get(17, CHECK[(residue + order_sum) % 11]) == CHECK[(residue + order_sum) % 11]:
                count += heads
    return count, {"shown": shown, "birth": evidence, "birth_dates": len(births)}


@pytest.fixture
def case(settings):
    return submitted(id_number=ID_NUMBER, applicant=CitizenFactory(preferred_language="en"))


def test_the_enumeration_counts_right():
    """The shortcut by residues gives what trying every number with stdnum gives."""
    html = '<span data-field="id_number">3308**********1230</span>'
    count, _found = candidates_consistent_with(html, true_birth=BIRTH, as_of=date(2026, 1, 1), areas=QUZHOU_AREAS)
    brute = 0
    for area in QUZHOU_AREAS:
        for n in range(800):
            day = date(1998, 6, 1) + timedelta(days=n)
            if age_on(day, date(2026, 1, 1)) != age_on(BIRTH, date(2026, 1, 1)):
                continue
            number = f"{area}{day:%Y%m%d}123"
            brute += ric.calc_check_digit(number + "?") == "0"
    assert count == brute > 0


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_staff_case_page_leaves_at_least_a_thousand_candidates(client, case, language):
    client.force_login(CaseworkerFactory(region=case.region))
    with translation.override(language):
        response = client.get(f"/staff/cases/{case.reference}/", HTTP_ACCEPT_LANGUAGE=language)
    html = response.content.decode()
    assert response.status_code == 200
    assert ID_NUMBER not in html
    as_of = case.submitted_on
    count, found = candidates_consistent_with(html, true_birth=BIRTH, as_of=as_of, areas=QUZHOU_AREAS)
    assert found["birth"].startswith("age"), (count, found)  # the full birth date is nowhere on the page
    assert count >= MINIMUM_CANDIDATES, (count, found)
    zhejiang, _ = candidates_consistent_with(html, true_birth=BIRTH, as_of=as_of, areas=zhejiang_areas())
    assert zhejiang > count


def test_the_old_mask_beside_the_birth_date_left_about_one_candidate(case):
    """What the page showed before: 3308**********1230 and 2 May 1999."""
    old = "3308**********1230"
    html = f'<span data-field="id_number">{old}</span> <dd>May 2, 1999</dd>'
    count, found = candidates_consistent_with(html, true_birth=BIRTH, as_of=case.submitted_on, areas=QUZHOU_AREAS)
    assert found["birth"] == "full birth date"
    assert count < 5


def test_the_mask_shows_the_last_three_characters_only():
    assert mask_id_number(ID_NUMBER) == "*" * 15 + "230"
    assert mask_id_number("33080219990502123X") == "*" * 15 + "23X"
    assert mask_id_number("") == ""
    assert mask_id_number("12") == "**"


def test_the_queue_and_audit_pages_show_no_identity_number(client, case):
    supervisor_like = CaseworkerFactory(region=case.region)
    client.force_login(supervisor_like)
    client.get(f"/staff/cases/{case.reference}/")
    for url in ("/staff/queue/",):
        html = client.get(url).content.decode()
        assert ID_NUMBER[-4:] not in page_text(html).replace(case.reference, "")
        assert ID_NUMBER[:6] + "*" not in html


def test_the_citizen_case_page_shows_the_last_four_and_no_birth_date(client, case):
    client.force_login(case.applicant)
    html = client.get(f"/applications/{case.reference}/").content.decode()
    text = page_text(html)
    assert ID_NUMBER not in text
    assert ID_NUMBER[:6] not in text
    assert not any(form in text for form in birth_date_formats(BIRTH))


def test_opening_the_staff_case_page_is_audited_as_a_view_of_personal_data(client, case):
    from applications.models import AuditEntry

    worker = CaseworkerFactory(region=case.region)
    client.force_login(worker)
    client.get(f"/staff/cases/{case.reference}/")
    entry = AuditEntry.objects.get(actor=worker)
    assert entry.action == AuditEntry.Action.VIEW_CASE
    assert {"full_name", "id_number_masked", "mobile", "address", "bank_account_masked"} <= set(
        entry.details["personal_data"]
    )
    client.force_login(case.applicant)  # a citizen reading their own case: no entry
    before = AuditEntry.objects.count()
    client.get(f"/applications/{case.reference}/")
    assert AuditEntry.objects.count() == before
