"""The policy console in plain language (issue 14, item 1): labels, units, choices, sources, rules as sentences."""

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation

from eligibility.console.describe import UndescribedRule, context_for, describe, describe_amount, describe_programme
from eligibility.console.sources import cited_sources
from eligibility.matching.whatif import proposed_parameters
from eligibility.models import Parameter, ParameterProposal, Programme
from eligibility.parameter_set import ParameterSet
from eligibility.rules import PROGRAMMES
from eligibility.rules.logic import All, Any, HasGroup, IsTrue, Node, Not, RegionServed, WithinMonthsAfter
from tests.factories import CitizenFactory, PolicyAdminFactory

pytestmark = pytest.mark.django_db


def visible_text(response) -> str:
    """What a person reads on the page: the text between the tags, spaces collapsed."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture
def chinese(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    return client


@pytest.fixture
def policy_admin(client):
    user = PolicyAdminFactory()
    client.force_login(user)
    return user


def test_a_policy_admin_lands_on_the_console_and_sees_labels_not_keys(chinese, policy_admin):
    from portal.accounts.views import home_for

    assert home_for(policy_admin) == reverse("policy:home")
    text = visible_text(chinese.get(reverse("policy:home")))
    assert "灵活就业人员个人参保的最低月缴费额（元）" in text  # si.min_monthly_contribution, by its label
    assert "si.min_monthly_contribution" not in text and "common.working_age_min" not in text
    # Units in the reader's language, local settings labelled.
    assert "1,000.00 元（本地设置）" in text
    assert "24 个月" in text and "16 周岁" in text and "50%" in text
    # Code lists by their labels, not their codes.
    assert "非全日制就业、互联网平台就业、个体经营" in text and "part_time" not in text
    # Column headers and sources in Chinese: the document's title and its clause.
    assert "今日现行取值" in text and "政策依据" in text
    assert "衢州市促进灵活就业新政，第七条" in text
    assert "000_68a1fcf5d1ed1785.txt" not in text


def test_the_landing_groups_parameters_by_programme(english, policy_admin):
    page = english.get(reverse("policy:home"))
    html = page.content.decode()
    every, programmes = html.split('id="every-title"')[1].split('data-programme="flexible-si-subsidy"', 1)
    assert 'data-parameter="common.working_age_min"' in every  # read by every programme
    si_section = programmes.split('data-programme="startup-subsidy"')[0]
    assert 'data-parameter="si.subsidy_rate"' in si_section and 'data-parameter="loan.max_amount"' not in si_section
    handling = html.split('id="handling-title"')[1]
    assert 'data-parameter="review.sla_working_days"' in handling


def test_the_console_pages_issue_a_fixed_number_of_queries(client, policy_admin, django_assert_max_num_queries):
    with django_assert_max_num_queries(16):
        assert client.get(reverse("policy:home")).status_code == 200


@pytest.mark.parametrize("slug", list(PROGRAMMES))
def test_every_programme_page_reads_its_rules_as_sentences(english, policy_admin, slug):
    response = english.get(reverse("policy:programme", args=[slug]))
    assert response.status_code == 200
    text = visible_text(response)
    assert "On the screening day the person is at least age 16 (local setting) and younger than age 60" in text
    assert "Source:" in text


def test_the_rules_of_the_social_insurance_subsidy_read_like_the_catalogue(english, policy_admin):
    text = visible_text(english.get(reverse("policy:programme", args=["flexible-si-subsidy"])))
    assert "At least one of these:" in text
    assert "The person is in the group “certified persons with employment difficulties”." in text
    assert "The screening day is at most 24 months after “Date the applicant graduated” (that day included)." in text
    assert "“Has held formal employment since graduating”: no." in text
    assert "50% × 1,000.00 yuan minimum contribution base (local setting) a month, for up to 24 months" in text


def test_the_sentences_come_from_the_trees_and_the_values_in_force():
    today = timezone.localdate()
    parameters = ParameterSet.in_force(today)
    raised = proposed_parameters(parameters, "si.graduate_window_months", "36", today)
    rule = All(HasGroup("college_graduate"), WithinMonthsAfter("graduation_date", "si.graduate_window_months"))
    with translation.override("en"):
        assert "36 months" in describe(rule, context_for(raised, today)).parts[1].text
        assert "24 months" in describe(rule, context_for(parameters, today)).parts[1].text
        negated = describe(Not(Any(IsTrue("plans_business"), HasGroup("veteran"))), context_for(parameters, today))
    assert negated.text == "None of these:" and [part.text for part in negated.parts] == [
        "“Intends to start a business”: yes.",
        "The person is in the group “veterans”.",
    ]


def test_every_leaf_of_every_programme_is_described_in_both_languages():
    today = timezone.localdate()
    context = context_for(ParameterSet.in_force(today), today)
    for rules in PROGRAMMES.values():
        for language in ("zh-hans", "en"):
            criteria = describe_programme(rules, context, language=language)
            assert len(criteria) == len(rules.criteria)
            assert describe_amount(rules, context, language=language)


def test_a_condition_without_wording_is_reported():
    class Strange(Node):
        fact = "region"

    today = timezone.localdate()
    context = context_for(ParameterSet.in_force(today), today)
    with pytest.raises(UndescribedRule):
        describe(Strange(), context)
    with pytest.raises(UndescribedRule):
        describe(Not(RegionServed()), context)  # no programme says "not in the region served"


def test_sources_are_read_as_documents_and_clauses():
    cited = cited_sources('000 "Seventh"; 001 2.(2); labour law minimum working age')
    assert [(source.document, source.clause) for source in cited] == [
        ("000_68a1fcf5d1ed1785.txt", "Seventh"),
        ("001_8e2667f29c5c1bb2.txt", "2.(2)"),
        ("labour law minimum working age", ""),
    ]
    with translation.override("zh-hans"):
        assert str(cited[0]) == "衢州市促进灵活就业新政，第七条"
        assert str(cited[2]) == "劳动法规定的最低就业年龄"
    with translation.override("en"):
        assert str(cited[1]).endswith(", clause 2.(2)")
        assert str(cited[0]) == "Quzhou: new policies to facilitate flexible employment, measure 7"


def test_a_parameter_page_shows_history_proposals_and_plain_words(chinese, policy_admin):
    rate = Parameter.objects.get(key="si.subsidy_rate")
    text = visible_text(chinese.get(reverse("policy:parameter", args=[rate.pk])))
    assert "社会保险补贴占个人最低缴费额的比例" in text and "50%" in text
    assert "比例（0 到 1）" in text  # the kind of value, in words
    assert "文件类型" not in text
    assert "历史值" in text and "提出新取值" in text


def test_a_code_list_is_picked_from_labelled_choices(chinese, policy_admin):
    forms = Parameter.objects.get(key="common.flexible_forms")
    page = chinese.get(reverse("policy:propose", args=[forms.pk]))
    html = page.content.decode()
    assert re.search(r'<input type="checkbox" name="value" value="employee"[^>]*>', html) or re.search(
        r'<input[^>]*type="checkbox"[^>]*name="value"[^>]*value="employee"', html
    )
    assert "签订劳动合同的单位就业" in visible_text(page)  # the label of "employee"
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = chinese.post(
        reverse("policy:propose", args=[forms.pk]),
        {
            "value": ["part_time", "platform"],
            "valid_from": tomorrow.isoformat(),
            "reference_document": "002_f6e820d7d86db059.txt",
            "reference_clause": "(13)",
            "reason": "自营不再计入灵活就业",
        },
    )
    assert response.status_code == 302
    proposal = ParameterProposal.objects.get(parameter=forms)
    assert proposal.value == ["part_time", "platform"] and proposal.state == "proposed"


def test_a_value_shows_its_unit_next_to_the_field(chinese, policy_admin):
    months = Parameter.objects.get(key="si.max_months")
    html = chinese.get(reverse("policy:propose", args=[months.pk])).content.decode()
    assert 'class="input-group-text"' in html and "个月" in html


def test_only_policy_admins_use_the_console(client):
    client.force_login(CitizenFactory(is_staff=True))
    assert client.get(reverse("policy:home")).status_code == 403
    programme = Programme.objects.first()
    assert client.get(reverse("policy:programme", args=[programme.slug])).status_code == 403


def test_the_reference_starts_from_the_parameters_own_source(english, policy_admin):
    working_age = Parameter.objects.get(key="common.working_age_min")
    html = english.get(reverse("policy:propose", args=[working_age.pk])).content.decode()
    assert re.search(
        r'<option value="labour law minimum working age" selected>Labour law: the minimum working age<', html
    )
    rate = Parameter.objects.get(key="si.subsidy_rate")
    html = english.get(reverse("policy:propose", args=[rate.pk])).content.decode()
    assert re.search(r'<option value="000_68a1fcf5d1ed1785.txt" selected>', html) and 'value="Seventh"' in html
