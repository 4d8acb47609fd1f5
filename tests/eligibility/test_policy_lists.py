"""The lists policy admins keep (incubator sites, training courses): in the policy file and in the admin."""

from datetime import date, timedelta

import pytest
import yaml
from django.utils import timezone

from applications.models import Fulfilment, Status
from eligibility.models import IncubatorSite, TrainingCourse
from eligibility.policy_file import (
    SHIPPED_CATALOGUE,
    PolicyFileInvalid,
    export_policy,
    import_policy,
    read_policy,
)
from tests.factories import ApplicationFactory, CaseworkerFactory, PolicyAdminFactory

pytestmark = pytest.mark.django_db

LISTS = """
format: 1
lists:
  incubator_sites:
    - name: {zh-hans: 江山市创业孵化园, en: Jiangshan Business Incubator}
      address: 浙江省衢州市江山市文化路 2 号
      free_until: 2028-06-30
  training_courses:
    - name: {zh-hans: 电商创业培训班, en: E-commerce start-up course}
      starts_on: 2027-04-12
      place: 江山市职业技能培训中心
      active: false
"""


def shipped_lists() -> dict:
    return yaml.safe_load(SHIPPED_CATALOGUE.read_text(encoding="utf-8"))["lists"]


def test_a_fresh_database_has_the_shipped_sites_and_courses():
    shipped = shipped_lists()
    assert sorted(IncubatorSite.objects.values_list("name_zh", flat=True)) == sorted(
        site["name"]["zh-hans"] for site in shipped["incubator_sites"]
    )
    assert TrainingCourse.objects.count() == len(shipped["training_courses"]) >= 2


def test_importing_adds_the_new_entries_and_keeps_the_others():
    before = IncubatorSite.objects.count()
    report = import_policy(read_policy(LISTS))
    assert report.sites_added == ["江山市创业孵化园"] and report.courses_added == ["电商创业培训班 2027-04-12"]
    assert report.changed_anything
    site = IncubatorSite.objects.get(name_zh="江山市创业孵化园")
    assert (site.name_en, site.free_until, site.active) == ("Jiangshan Business Incubator", date(2028, 6, 30), True)
    assert TrainingCourse.objects.get(name_zh="电商创业培训班").active is False
    # Again: nothing new. An entry already there is kept as it is, even if the file says otherwise.
    site.free_until = date(2029, 1, 1)
    site.save()
    again = import_policy(read_policy(LISTS))
    assert not again.sites_added and not again.courses_added and not again.changed_anything
    assert IncubatorSite.objects.count() == before + 1
    assert IncubatorSite.objects.get(pk=site.pk).free_until == date(2029, 1, 1)


@pytest.mark.parametrize(
    ("text", "place"),
    [
        ("lists: [1]", "lists"),
        ("lists: {rooms: []}", "rooms"),
        ("lists: {incubator_sites: [{name: {zh-hans: 园区}, address: x, free_until: 2028-01-01}]}", "name"),
        ("lists: {incubator_sites: [{name: {zh-hans: 园, en: P}, address: x, free_until: soon}]}", "free_until"),
        ("lists: {incubator_sites: [{name: {zh-hans: 园, en: P}, address: '', free_until: 2028-01-01}]}", "address"),
        (
            "lists: {training_courses: [{name: {zh-hans: 课, en: C}, starts_on: 2027-01-01, place: p, active: 1}]}",
            "active",
        ),
        (
            "lists: {training_courses: [{name: {zh-hans: 课, en: C}, starts_on: 2027-01-01, place: p, seats: 3}]}",
            "seats",
        ),
        (
            "lists: {training_courses: [{name: {zh-hans: 课, en: C}, starts_on: 2027-01-01, place: p},"
            " {name: {zh-hans: 课, en: C2}, starts_on: 2027-01-01, place: q}]}",
            "training_courses[1]",
        ),
    ],
)
def test_an_invalid_list_is_refused_with_its_place_and_nothing_changes(text, place):
    sites, courses = IncubatorSite.objects.count(), TrainingCourse.objects.count()
    with pytest.raises(PolicyFileInvalid) as error:
        import_policy(read_policy(f"format: 1\n{text}"))
    assert any(place in message for message in error.value.errors), error.value.errors
    assert (IncubatorSite.objects.count(), TrainingCourse.objects.count()) == (sites, courses)


def test_a_file_with_an_invalid_list_changes_nothing_else_either():
    valid_site = "{name: {zh-hans: 新园区, en: New park}, address: y, free_until: 2028-01-01}"
    text = f"lists: {{incubator_sites: [{valid_site}], training_courses: [{{name: {{zh-hans: 课}}}}]}}"
    with pytest.raises(PolicyFileInvalid):
        import_policy(read_policy(text))
    assert not IncubatorSite.objects.filter(name_zh="新园区").exists()


def test_export_carries_the_lists_and_importing_the_export_changes_nothing():
    import_policy(read_policy(LISTS))
    exported = export_policy()
    data = yaml.safe_load(exported)
    names = [site["name"]["zh-hans"] for site in data["lists"]["incubator_sites"]]
    assert "江山市创业孵化园" in names
    course = next(c for c in data["lists"]["training_courses"] if c["name"]["zh-hans"] == "电商创业培训班")
    assert course == {
        "name": {"zh-hans": "电商创业培训班", "en": "E-commerce start-up course"},
        "starts_on": date(2027, 4, 12),
        "place": "江山市职业技能培训中心",
        "active": False,
    }
    report = import_policy(read_policy(exported))
    assert not report.changed_anything
    # Into an empty list the export brings every entry back as it was.
    Fulfilment.objects.all().delete()
    IncubatorSite.objects.all().delete()
    TrainingCourse.objects.all().delete()
    import_policy(read_policy(exported))
    assert export_policy() == exported


# --- The admin ------------------------------------------------------------------------------------


@pytest.fixture
def policy_admin(client):
    person = PolicyAdminFactory()
    client.force_login(person)
    return person


def test_a_policy_admin_adds_and_edits_a_site(client, policy_admin):
    response = client.post(
        "/admin/eligibility/incubatorsite/add/",
        {
            "name_zh": "龙游县创业园",
            "name_en": "Longyou Start-up Park",
            "address": "浙江省衢州市龙游县",
            "free_until": "2028-12-31",
            "active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    site = IncubatorSite.objects.get(name_zh="龙游县创业园")
    response = client.post(
        f"/admin/eligibility/incubatorsite/{site.pk}/change/",
        {"name_zh": "龙游县创业园", "name_en": "Longyou Park", "address": "龙游县", "free_until": "2029-12-31"},
    )
    assert response.status_code == 302
    site.refresh_from_db()
    assert (site.name_en, site.active) == ("Longyou Park", False)


def test_a_policy_admin_adds_a_course_and_a_bad_date_is_shown_with_the_input_kept(client, policy_admin):
    data = {"name_zh": "创业实训营", "name_en": "Start-up camp", "starts_on": "2027-02-30", "place": "柯城区"}
    response = client.post("/admin/eligibility/trainingcourse/add/", data)
    assert response.status_code == 200 and "创业实训营" in response.content.decode()
    assert not TrainingCourse.objects.filter(name_zh="创业实训营").exists()
    response = client.post("/admin/eligibility/trainingcourse/add/", {**data, "starts_on": "2027-02-28"})
    assert response.status_code == 302


def given_to_a_case(site: IncubatorSite) -> Fulfilment:
    application = ApplicationFactory(status=Status.SERVED, reference="LH-2026-000777")
    return Fulfilment.objects.create(
        application=application, kind=Fulfilment.Kind.SITE, site=site, details={}, recorded_by=CaseworkerFactory()
    )


def test_a_site_given_to_a_case_cannot_be_deleted_only_taken_out_of_use(client, policy_admin):
    used = IncubatorSite.objects.create(
        name_zh="已用园区", name_en="Used park", address="a", free_until=timezone.localdate() + timedelta(days=9)
    )
    unused = IncubatorSite.objects.create(
        name_zh="未用园区", name_en="Unused", address="b", free_until=date(2028, 1, 1)
    )
    given_to_a_case(used)
    assert client.get(f"/admin/eligibility/incubatorsite/{used.pk}/delete/").status_code == 403
    assert client.post(f"/admin/eligibility/incubatorsite/{used.pk}/delete/", {"post": "yes"}).status_code == 403
    bulk = {"action": "delete_selected", "_selected_action": [used.pk, unused.pk], "post": "yes"}
    client.post("/admin/eligibility/incubatorsite/", bulk)
    assert IncubatorSite.objects.filter(pk__in=[used.pk, unused.pk]).count() == 2
    client.post("/admin/eligibility/incubatorsite/", {"action": "take_out_of_use", "_selected_action": [used.pk]})
    used.refresh_from_db()
    assert used.active is False and Fulfilment.objects.get().site == used
    assert client.post(f"/admin/eligibility/incubatorsite/{unused.pk}/delete/", {"post": "yes"}).status_code == 302
    assert not IncubatorSite.objects.filter(pk=unused.pk).exists()


def test_a_caseworker_cannot_keep_the_lists(client):
    client.force_login(CaseworkerFactory(is_staff=True))
    assert client.get("/admin/eligibility/incubatorsite/").status_code in (302, 403)
