"""The anonymous screener: questions step by step, then results in plain words."""

import re
from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone

from eligibility.screener.storage import COOKIE_NAME, screening_answers

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
RECENTLY = (TODAY - timedelta(days=200)).isoformat()


def step_url(slug):
    return f"/screening/{slug}/"


def answer(client, slug, data, **extra):
    response = client.post(step_url(slug) + extra.pop("query", ""), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    return response["Location"]


def page(response):
    return response.content.decode()


def main_text(response):
    html = page(response)
    return html[html.index("<main") : html.index("</main>")]


def fields_on(client, slug):
    html = page(client.get(step_url(slug)))
    form = html[html.index('class="screening-step"') : html.index("</form>", html.index('class="screening-step"'))]
    return set(re.findall(r'name="([a-z_]+)"', form)) - {"csrfmiddlewaretoken"}


def graduate_working_part_time(client):
    """A recent graduate working part-time, paying pension insurance, with a training certificate."""
    assert answer(client, "about-you", {"region": "330802", "birth_date": "1999-05-02"}) == step_url("groups")
    assert answer(client, "groups", {"groups": ["college_graduate"]}) == step_url("graduation")
    assert answer(client, "graduation", {"graduation_date": RECENTLY, "employed_since_graduation": "no"}) == step_url(
        "employment"
    )
    assert answer(client, "employment", {"employment_form": "part_time"}) == step_url("business-plans")
    assert answer(client, "business-plans", {"plans_business": "no"}) == step_url("insurance")
    assert answer(client, "insurance", {"pays_flexible_pension": "yes", "pays_flexible_medical": "no"}) == step_url(
        "other-support"
    )
    assert (
        answer(client, "other-support", {"hardship_declared": "no", "training_certificate": "yes"})
        == "/screening/results/"
    )


# --- The way in ---------------------------------------------------------------------------------


def test_home_page_offers_the_check(client):
    html = page(client.get("/"))

    assert 'href="/screening/"' in html


def test_start_page_needs_no_account(english):
    response = english.get("/screening/")

    assert response.status_code == 200
    assert 'href="/screening/about-you/"' in page(response)
    assert "We do not keep your answers" in page(response)


def test_results_without_answers_lead_to_the_start(client):
    response = client.get("/screening/results/")

    assert response.status_code == 302
    assert response["Location"] == "/screening/"


def test_unknown_step_is_not_found(client):
    assert client.get("/screening/shoe-size/").status_code == 404


# --- The flow -----------------------------------------------------------------------------------


def test_progress_is_shown(english):
    assert "Step 1 of 9" in page(english.get(step_url("about-you")))
    answer(english, "about-you", {"region": "330802", "birth_date": "1999-05-02"})
    assert "Step 2 of 9" in page(english.get(step_url("groups")))
    answer(english, "groups", {"groups": []})

    # In no target group, the programmes of work, insurance, training, rent relief and the
    # referral remain open: no studies and no business licence (the start-up subsidy and tax
    # relief need a target group). The work step is the third of seven.
    assert "Step 3 of 7" in page(english.get(step_url("employment")))


def test_a_non_graduate_is_never_asked_the_graduation_date(english):
    answer(english, "about-you", {"region": "330802", "birth_date": "1990-01-01"})

    assert answer(english, "groups", {"groups": ["laid_off"]}) == step_url("employment")
    skipped = english.get(step_url("graduation"))
    assert skipped.status_code == 302
    assert skipped["Location"] == step_url("employment")
    assert "graduate" not in main_text(english.get(step_url("employment"))).lower()


def test_a_graduate_is_asked_the_graduation_date(client):
    answer(client, "about-you", {"region": "330802", "birth_date": "1999-05-02"})
    answer(client, "groups", {"groups": ["college_graduate"]})

    assert fields_on(client, "graduation") == {"graduation_date", "employed_since_graduation"}


def test_the_self_employed_are_asked_about_their_business_not_their_plans(client):
    answer(client, "about-you", {"region": "330802", "birth_date": "1990-01-01"})
    answer(client, "groups", {"groups": ["migrant_worker"]})

    # A migrant worker is asked about construction work with the form of work.
    assert fields_on(client, "employment") == {"employment_form", "works_in_construction"}
    work = {"employment_form": "self_employed", "works_in_construction": "no"}
    assert answer(client, "employment", work) == step_url("business-licence")
    assert fields_on(client, "business-licence") == {"business_registered"}
    assert client.get(step_url("business-plans"))["Location"] == step_url("business-licence")
    assert answer(client, "business-licence", {"business_registered": "yes"}) == step_url("business")
    assert fields_on(client, "business") == {
        "business_registered_on",
        "requested_loan_amount",
        "rents_state_owned_premises",
    }


def test_a_business_not_registered_yet_is_not_asked_its_registration_date(english):
    answer(english, "about-you", {"region": "330802", "birth_date": "1990-01-01"})
    answer(english, "groups", {"groups": ["migrant_worker"]})
    answer(english, "employment", {"employment_form": "self_employed", "works_in_construction": "no"})

    html = page(english.get(step_url("business-licence")))
    assert "Is your business registered (do you have a business licence)?" in html
    assert "Not yet registered" in html
    assert answer(english, "business-licence", {"business_registered": "no"}) == step_url("business")
    assert fields_on(english, "business") == {"requested_loan_amount", "rents_state_owned_premises"}

    results = page(english.get("/screening/results/"))
    assert "Your business is not registered yet" in results
    assert "guaranteed start-up loan and free business premises" in results


def test_no_loan_question_without_a_business_or_a_plan(client):
    answer(client, "about-you", {"region": "330802", "birth_date": "1990-01-01"})
    answer(client, "groups", {"groups": ["migrant_worker"]})
    answer(client, "employment", {"employment_form": "employee", "works_in_construction": "no"})

    # Not working flexibly and not registered unemployed: neither insurance nor training can
    # change anything, so the results come next.
    assert answer(client, "business-plans", {"plans_business": "no"}) == "/screening/results/"
    assert client.get(step_url("business"))["Location"] == "/screening/results/"
    assert client.get(step_url("other-support"))["Location"] == "/screening/results/"


def test_a_business_plan_brings_the_loan_question_only(client):
    answer(client, "about-you", {"region": "330802", "birth_date": "1990-01-01"})
    answer(client, "groups", {"groups": ["registered_unemployed"]})
    answer(client, "employment", {"employment_form": "unemployed"})

    assert answer(client, "business-plans", {"plans_business": "yes"}) == step_url("business")
    assert fields_on(client, "business") == {"requested_loan_amount"}


def test_public_service_months_only_with_employment_difficulty(client):
    answer(client, "about-you", {"region": "330802", "birth_date": "1980-01-01"})
    answer(client, "groups", {"groups": ["employment_difficulty"]})
    answer(client, "employment", {"employment_form": "platform"})
    answer(client, "business-plans", {"plans_business": "no"})
    answer(client, "insurance", {"pays_flexible_pension": "no", "pays_flexible_medical": "yes"})

    # No pension paid: nothing to suspend, but hardship still decides the referral for
    # minimum subsistence; the training days decide the living allowance.
    assert fields_on(client, "other-support") == {
        "hardship_declared",
        "public_service_post_months",
        "training_certificate",
        "training_days",
    }


def test_outside_the_region_nothing_more_is_asked(english):
    html = page(english.get(step_url("about-you")))
    for district in ("Kecheng District, Quzhou", "Jiangshan City, Quzhou", "Outside Quzhou"):
        assert district in html
    assert 'name="region_code"' not in html  # no code to type

    location = answer(english, "about-you", {"region": "000000", "birth_date": "1990-01-01"})

    assert location == "/screening/results/"
    html = page(english.get(location))
    assert html.count('data-status="ineligible"') == 15
    assert "You live outside Quzhou" in html


def test_outside_working_age_nothing_more_is_asked(client):
    born = TODAY.replace(year=TODAY.year - 70).isoformat() if TODAY.month != 2 or TODAY.day != 29 else "1950-01-01"

    assert answer(client, "about-you", {"region": "330802", "birth_date": born}) == "/screening/results/"


# --- Answers, errors and changes ---------------------------------------------------------------


def test_answers_stay_in_the_browser_not_the_database(client):
    graduate_working_part_time(client)

    assert client.cookies[COOKIE_NAME]["httponly"]
    assert Session.objects.count() == 0
    assert "1999-05-02" not in client.cookies[COOKIE_NAME].value  # signed and compressed, not readable at a glance


def test_a_tampered_cookie_is_ignored(client):
    client.cookies[COOKIE_NAME] = "forged:value"

    assert client.get("/screening/results/")["Location"] == "/screening/"


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"region": "330802", "birth_date": "2023-02-30"}, "birth_date", "This date does not exist."),
        ({"region": "330802", "birth_date": "03/02/1999"}, "birth_date", "Enter a date as YYYY-MM-DD"),
        (
            {"region": "330802", "birth_date": (TODAY + timedelta(days=1)).isoformat()},
            "birth_date",
            "The date must be today or in the past.",
        ),
        ({"region": "330802", "birth_date": ""}, "birth_date", "Enter the date."),
        (
            {"region": "110000", "birth_date": "1990-01-01"},
            "region",
            "Choose one of the districts and counties listed.",
        ),
        ({"birth_date": "1990-01-01"}, "region", "Choose where you live."),
    ],
)
def test_wrong_answers_are_shown_next_to_the_field_and_the_rest_is_kept(english, data, field, message):
    response = english.post(step_url("about-you"), data)

    assert response.status_code == 200
    html = page(response)
    assert "There is a problem" in html
    assert f'href="#id_{field}' in html  # the summary links to the field
    assert message in html
    assert re.search(rf'id="id_{field}_(0_)?error"|id="id_{field}_error"', html) or "is-invalid" in html
    for name, value in data.items():
        if name != field and value:
            assert f'value="{value}"' in html
    assert COOKIE_NAME not in response.cookies


@pytest.mark.parametrize(
    ("value", "message"),
    [("-2", "must not be negative"), ("three", "Enter a whole number"), ("", "Enter a number")],
)
def test_wrong_number_of_months(english, value, message):
    answer(english, "about-you", {"region": "330802", "birth_date": "1980-01-01"})
    answer(english, "groups", {"groups": ["employment_difficulty"]})
    answer(english, "employment", {"employment_form": "employee"})
    answer(english, "business-plans", {"plans_business": "no"})

    response = english.post(step_url("other-support"), {"public_service_post_months": value})

    assert response.status_code == 200
    assert message in page(response)
    assert f'value="{value}"' in page(response) or not value


@pytest.mark.parametrize(
    ("value", "message"),
    [("lots", "Enter an amount"), ("-500", "must not be negative"), ("12.345", "two decimal places")],
)
def test_wrong_loan_amount_keeps_the_date(english, value, message):
    answer(english, "about-you", {"region": "330802", "birth_date": "1990-01-01"})
    answer(english, "groups", {"groups": ["laid_off"]})
    answer(english, "employment", {"employment_form": "self_employed"})

    response = english.post(step_url("business"), {"business_registered_on": RECENTLY, "requested_loan_amount": value})

    assert message in page(response)
    assert f'value="{RECENTLY}"' in page(response)
    assert f'value="{value}"' in page(response)


def test_loan_amount_with_separators_is_understood(english):
    answer(english, "about-you", {"region": "330802", "birth_date": "1990-01-01"})
    answer(english, "groups", {"groups": ["laid_off"]})
    answer(english, "employment", {"employment_form": "self_employed"})
    answer(
        english,
        "business",
        {"business_registered_on": RECENTLY, "requested_loan_amount": "200,000", "rents_state_owned_premises": "no"},
    )

    assert "A loan of up to 200,000.00 yuan" in page(english.get("/screening/results/"))


def test_back_link_goes_to_the_previous_step_with_the_answers_filled_in(client):
    answer(client, "about-you", {"region": "330802", "birth_date": "1999-05-02"})
    answer(client, "groups", {"groups": ["laid_off"]})

    work = page(client.get(step_url("employment")))
    assert f'href="{step_url("groups")}"' in work
    groups = page(client.get(step_url("groups")))
    assert re.search(r'value="laid_off"[^>]*checked', groups)


def test_changing_an_answer_asks_what_it_makes_relevant_then_shows_results(english):
    graduate_working_part_time(english)

    # From the results page: no longer a graduate but certified with employment difficulty.
    results = page(english.get("/screening/results/"))
    assert 'href="/screening/groups/?change=1"' in results
    location = answer(english, "groups", {"groups": ["employment_difficulty"]}, query="?change=1")
    assert location == "/screening/other-support/?change=1"  # public-service months are new
    location = answer(
        english,
        "other-support",
        {
            "hardship_declared": "no",
            "training_certificate": "yes",
            "public_service_post_months": "8",
            "training_days": "0",
        },
        query="?change=1",
    )
    assert location == "/screening/results/"

    html = page(english.get(location))
    assert "1,500.00 yuan a month, for up to 6 months" in html
    assert "When did you graduate?" not in html  # the old answer no longer counts


def test_applications_get_only_the_answers_that_count(client, rf):
    graduate_working_part_time(client)
    answer(client, "groups", {"groups": ["laid_off"]})
    request = rf.get("/")
    request.COOKIES[COOKIE_NAME] = client.cookies[COOKIE_NAME].value

    facts = screening_answers(request)

    assert facts["groups"] == ["laid_off"]
    assert facts["employment_form"] == "part_time"
    assert "graduation_date" not in facts  # given before, but no longer a graduate
    assert "employed_since_graduation" not in facts


def test_start_again_forgets_the_answers(client):
    graduate_working_part_time(client)

    response = client.post("/screening/restart/")

    assert response["Location"] == "/screening/"
    assert client.get("/screening/results/")["Location"] == "/screening/"


# --- Results ------------------------------------------------------------------------------------


def test_results_for_a_sample_person_in_english(english):
    graduate_working_part_time(english)

    response = english.get("/screening/results/")

    assert response.status_code == 200
    html = page(response)
    assert html.count("data-status=") == 15
    assert "Social insurance subsidy" in html or "social insurance" in html.lower()
    assert "You may qualify" in html
    assert "You do not qualify" in html
    assert "500.00 yuan a month, for up to 24 months" in html
    assert "1,200.00 yuan, paid once" in html
    assert "Quzhou: new policies to facilitate flexible employment" in html  # the source, in words
    assert "Met." in html and "Not met." in html
    assert re.search(r"<button[^>]*data-print", html)  # static/js/portal.js prints (no inline script: CSP)
    # Your answers, with a way to change each
    assert "When did you graduate?" in html
    assert 'href="/screening/graduation/?change=1"' in html


def test_results_in_chinese(client):
    graduate_working_part_time(client)

    html = page(client.get("/screening/results/"))

    assert 'lang="zh-Hans"' in html
    assert "灵活就业社会保险补贴" in html
    assert "符合" in html or "已满足" in html or "满足" in html  # explanations from the engine, in Chinese


def test_apply_links_only_for_eligible_programmes(english):
    graduate_working_part_time(english)

    html = page(english.get("/screening/results/"))

    assert 'href="/applications/new/flexible-si-subsidy/"' in html
    assert 'href="/applications/new/training-subsidy/"' in html
    # Paying pension but not medical insurance: she can still join medical insurance.
    assert 'href="/applications/new/flexible-insurance-enrolment/"' in html
    for ineligible in ("startup-subsidy", "startup-loan", "pension-suspension", "occupational-injury-cover"):
        assert f"/applications/new/{ineligible}/" not in html
    assert len(re.findall(r'href="/applications/new/', html)) == 3


def test_missing_answers_link_back_to_the_step_that_asks_them(english):
    answer(english, "about-you", {"region": "330802", "birth_date": "1990-01-01"})

    html = page(english.get("/screening/results/"))

    assert 'data-status="needs_info"' in html
    assert "We need more information" in html
    assert "To decide, we need to know:" in html
    assert 'href="/screening/groups/?change=1">Which target groups you belong to' in html
    assert "/applications/new/" not in html


def test_results_page_fits_a_phone(english):
    graduate_working_part_time(english)

    html = page(english.get("/screening/results/"))

    assert 'name="viewport" content="width=device-width, initial-scale=1"' in html
    assert "<table" not in html  # nothing wider than the screen
