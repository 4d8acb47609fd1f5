"""The windows a citizen's page shows, and the date each closes (issue 14, item 6)."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core import signing
from django.db import connection
from django.utils import translation

from applications.clocks.models import KeptScreening
from applications.clocks.selectors import (
    APPEAL,
    APPLY,
    application_windows,
    eligibility_windows,
    person_windows,
)
from applications.clocks.services import screening_forget, screening_keep
from applications.models import Status
from eligibility.screener.storage import COOKIE_NAME, SALT
from tests.applications.test_payments import decided_application
from tests.factories import GRADUATE_FACTS, ApplicationFactory, CitizenFactory, programme

pytestmark = pytest.mark.django_db

SI = "flexible-si-subsidy"
# Graduated on 2025-06-30: si.graduate_window_months = 24, so the window closes on 2027-06-30.
SI_CLOSES = date(2027, 6, 30)
SHANGHAI = ZoneInfo("Asia/Shanghai")


def startup(registered_on: str) -> dict:
    return {
        "birth_date": "1990-01-15",
        "groups": ["registered_unemployed"],
        "employment_form": "self_employed",
        "business_registered": True,
        "business_registered_on": registered_on,
    }


def by_programme(windows) -> dict:
    return {(window.programme_slug, window.key): window for window in windows}


# --- From the rule trees ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "shown", "days_left"),
    [
        (date(2027, 6, 29), True, 1),  # the day before it closes
        (date(2027, 6, 30), True, 0),  # the day it closes: still in time (inclusive)
        (date(2027, 7, 1), False, None),  # the day after: closed, and the programme is no longer open
    ],
)
def test_the_graduate_window_closes_24_months_after_graduation(today, shown, days_left):
    windows = by_programme(eligibility_windows(GRADUATE_FACTS, today=today))
    window = windows.get((SI, "graduation_date:si.graduate_window_months"))
    assert (window is not None) == shown
    if shown:
        assert (window.kind, window.starts_on, window.closes_on, window.days_left) == (
            APPLY,
            date(2025, 6, 30),
            SI_CLOSES,
            days_left,
        )


def test_the_startup_window_closes_12_months_after_registration_with_add_months_semantics():
    # 2024-02-29 + 12 months = 2025-02-28 (the day is clamped to the month's last day).
    windows = by_programme(eligibility_windows(startup("2024-02-29"), today=date(2025, 2, 1)))
    window = windows[("startup-subsidy", "business_registered_on:startup.apply_window_months")]
    assert window.closes_on == date(2025, 2, 28)
    assert not any(key[0] == "startup-subsidy" and key[1].startswith("graduation") for key in windows)
    # The tax deduction's window is read from its own rule: tax.relief_years after registration.
    tax = windows[("startup-tax-relief", "business_registered_on:tax.relief_years")]
    assert tax.closes_on == date(2027, 2, 28)


def test_a_business_registered_later_than_today_has_no_window_yet():
    windows = eligibility_windows(startup("2025-03-01"), today=date(2025, 2, 1))
    assert not [w for w in windows if w.key.startswith("business_registered_on")]


def test_a_window_that_does_not_decide_is_not_shown():
    # Certified with employment difficulties: the social insurance subsidy does not depend on graduating.
    facts = {**GRADUATE_FACTS, "groups": ["college_graduate", "employment_difficulty"]}
    windows = by_programme(eligibility_windows(facts, today=date(2027, 6, 1)))
    assert (SI, "graduation_date:si.graduate_window_months") not in windows


def test_the_window_follows_the_parameter_in_force():
    from eligibility.models import Parameter, ParameterValue

    ParameterValue.objects.create(
        parameter=Parameter.objects.get(key="si.graduate_window_months"), valid_from=date(2026, 1, 1), value=36
    )
    windows = by_programme(eligibility_windows(GRADUATE_FACTS, today=date(2027, 7, 1)))
    assert windows[(SI, "graduation_date:si.graduate_window_months")].closes_on == date(2028, 6, 30)


def test_the_description_names_the_start_and_the_length_in_both_languages():
    window = by_programme(eligibility_windows(GRADUATE_FACTS, today=date(2027, 6, 1)))[
        (SI, "graduation_date:si.graduate_window_months")
    ]
    with translation.override("en"):
        assert window.description == "24 months after you graduated on 30 Jun 2025"
        assert window.title == programme(SI).title_en
    with translation.override("zh-hans"):
        assert window.description == "您于2025年6月30日毕业后24 个月内"


def test_facts_that_cannot_be_read_give_no_window():
    assert eligibility_windows({"graduation_date": "not a date"}, today=date(2027, 6, 1)) == []


# --- A person's windows ---------------------------------------------------------------------


def test_a_draft_shows_the_window_it_must_be_sent_in():
    draft = ApplicationFactory(facts=dict(GRADUATE_FACTS))
    [window] = application_windows(draft, today=date(2027, 6, 1))
    assert (window.application, window.closes_on) == (draft, SI_CLOSES)
    draft.status = Status.SUBMITTED
    assert application_windows(draft, today=date(2027, 6, 1)) == []  # sent: its date is the submission's


def test_a_person_sees_the_windows_of_their_screening_except_for_what_they_applied_for():
    person = CitizenFactory()
    screening_keep(person=person, facts=dict(GRADUATE_FACTS), screened_on=date(2027, 5, 1))
    slugs = {window.programme_slug for window in person_windows(person, today=date(2027, 6, 1))}
    assert SI in slugs
    decided_application(SI, status=Status.SUBMITTED, applicant=person)
    slugs = {window.programme_slug for window in person_windows(person, today=date(2027, 6, 1))}
    assert SI not in slugs


def test_a_refusal_shows_the_appeal_window_until_it_closes():
    person = CitizenFactory()
    refused = decided_application(
        SI, status=Status.REJECTED, applicant=person, decided_at=datetime(2026, 3, 1, 10, 0, tzinfo=SHANGHAI)
    )
    # review.appeal_window_days = 60: refused on 1 March, the last day to ask is 30 April.
    for today, expected in ((date(2026, 4, 29), 1), (date(2026, 4, 30), 0), (date(2026, 5, 1), None)):
        appeals = [w for w in person_windows(person, today=today) if w.kind == APPEAL]
        if expected is None:
            assert appeals == []
        else:
            assert [(w.application, w.closes_on, w.days_left) for w in appeals] == [
                (refused, date(2026, 4, 30), expected)
            ]


def test_person_windows_costs_a_fixed_number_of_queries(django_assert_max_num_queries):
    person = CitizenFactory()
    screening_keep(person=person, facts=dict(GRADUATE_FACTS), screened_on=date(2027, 5, 1))
    for _ in range(3):
        decided_application(SI, status=Status.REJECTED, applicant=person)
    person_windows(person, today=date(2026, 3, 25))  # parameters cached
    with django_assert_max_num_queries(4):
        person_windows(person, today=date(2026, 3, 25))


def test_the_applications_page_shows_each_window_and_its_date(client):
    person = CitizenFactory(preferred_language="zh-hans")
    screening_keep(person=person, facts=dict(GRADUATE_FACTS), screened_on=date(2026, 11, 1))
    client.force_login(person)
    client.cookies["linghuo_language"] = "zh-hans"
    page = client.get("/applications/").content.decode()
    assert 'data-window="flexible-si-subsidy"' in page and 'data-closes-on="2027-06-30"' in page
    assert "您可以在2027年6月30日前申请。" in page
    assert "您于2025年6月30日毕业后24 个月内" in page
    client.cookies["linghuo_language"] = "en"
    page = client.get("/applications/").content.decode()
    assert "You can apply until 30 Jun 2027." in page
    assert 'href="/applications/new/flexible-si-subsidy/"' in page


def test_the_check_page_says_by_when_to_send(client):
    draft = ApplicationFactory(facts=dict(GRADUATE_FACTS), completed_steps=[])
    client.force_login(draft.applicant)
    client.cookies["linghuo_language"] = "en"
    page = client.get(f"/applications/drafts/{draft.pk}/check/").content.decode()
    assert "Send it in time" in page and "Send your application by 30 Jun 2027." in page


# --- Keeping the screening of a logged-in person -----------------------------------------------


def test_the_screening_of_a_logged_in_person_is_kept_encrypted(client):
    person = CitizenFactory()
    client.force_login(person)
    answers = dict(GRADUATE_FACTS)
    client.cookies[COOKIE_NAME] = signing.dumps(answers, salt=SALT, compress=True)
    client.cookies["linghuo_language"] = "en"
    page = client.get("/screening/results/").content.decode()
    assert "data-kept-for-account" in page
    kept = KeptScreening.objects.get(person=person)
    assert kept.facts["graduation_date"] == "2025-06-30"
    with connection.cursor() as cursor:
        cursor.execute("SELECT answers FROM clocks_keptscreening WHERE id = %s", [kept.pk])
        stored = cursor.fetchone()[0]
    assert stored.startswith("enc1:") and "2025-06-30" not in stored

    client.get("/screening/results/")  # again: the same row
    assert KeptScreening.objects.filter(person=person).count() == 1
    client.post("/screening/restart/")  # starting again forgets it
    assert not KeptScreening.objects.filter(person=person).exists()


def test_an_anonymous_screening_stores_nothing(client):
    client.cookies[COOKIE_NAME] = signing.dumps(dict(GRADUATE_FACTS), salt=SALT, compress=True)
    page = client.get("/screening/results/").content.decode()
    assert "data-kept-for-account" not in page
    assert not KeptScreening.objects.exists()


def test_a_new_screening_replaces_the_kept_one():
    person = CitizenFactory()
    screening_keep(person=person, facts={"groups": []}, screened_on=date(2026, 1, 1))
    screening_keep(person=person, facts=dict(GRADUATE_FACTS), screened_on=date(2026, 2, 1))
    kept = KeptScreening.objects.get(person=person)
    assert (kept.screened_on, kept.facts["employment_form"]) == (date(2026, 2, 1), "part_time")
    assert screening_forget(person=person) == 1
    assert screening_keep(person=person, facts={}, screened_on=date(2026, 2, 1)) is None
