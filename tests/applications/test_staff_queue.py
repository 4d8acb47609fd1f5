"""The staff queue: one region's sent cases, filtered, sorted and paged in a constant number of queries."""

import itertools
import re
from datetime import date, timedelta

import pytest
from django.utils import timezone

from applications.models import Application, Document, Status
from applications.services import review
from tests.applications.test_review_services import TRAINING_FACTS, attach, submitted
from tests.factories import ApplicationFactory, CaseworkerFactory, CitizenFactory, SupervisorFactory

pytestmark = pytest.mark.django_db

_numbers = itertools.count(1)


def case(**fields) -> Application:
    """A sent case with an identity number of its own (the factory's default is shared)."""
    fields.setdefault("id_number", f"3308021999{next(_numbers):08d}")
    fields.setdefault("submitted_on", timezone.localdate() - timedelta(days=3))
    return submitted(**fields)


def references(response) -> list[str]:
    return re.findall(r'<th scope="row"><a href="/staff/cases/[^"]+/">(LH-\d{4}-\d+)</a>', response.content.decode())


@pytest.fixture
def worker(client, english):
    person = CaseworkerFactory(preferred_language="en")
    client.force_login(person)
    return person


def test_the_queue_lists_the_sent_cases_of_the_staff_members_region_only(client, worker):
    ours = case()
    theirs = case(region="330100")
    ApplicationFactory(region="330800", id_number="330802199901010011")  # a draft: never shown to staff
    response = client.get("/staff/queue/")
    assert response.status_code == 200
    assert references(response) == [ours.reference]
    assert theirs.reference not in response.content.decode()
    assert client.get("/staff/").status_code == 200


def test_the_queue_is_for_caseworkers_and_supervisors(client):
    assert client.get("/staff/queue/")["Location"].startswith("/accounts/login/")
    client.force_login(CitizenFactory())
    assert client.get("/staff/queue/").status_code == 403
    assert client.post("/staff/queue/claim-next/").status_code == 403
    client.force_login(SupervisorFactory())
    assert client.get("/staff/queue/").status_code == 200


def test_filters_by_programme_status_and_assignment(client, worker):
    graduate = case()
    training = case(programme="training-subsidy", facts=TRAINING_FACTS)
    mine = case()
    review.application_claim(application=mine, caseworker=worker)
    others = case()
    review.application_claim(application=others, caseworker=CaseworkerFactory())

    assert references(client.get("/staff/queue/?programme=training-subsidy")) == [training.reference]
    assert set(references(client.get("/staff/queue/?status=in_review"))) == {mine.reference, others.reference}
    assert references(client.get("/staff/queue/?assigned=mine")) == [mine.reference]
    assert set(references(client.get("/staff/queue/?assigned=unassigned"))) == {graduate.reference, training.reference}


def test_filters_by_age_and_due_date(client, worker):
    today = timezone.localdate()
    fresh = case(submitted_on=today - timedelta(days=1), sla_due_on=today + timedelta(days=20))
    old = case(submitted_on=today - timedelta(days=30), sla_due_on=today + timedelta(days=2))
    assert references(client.get("/staff/queue/?age_min=10")) == [old.reference]
    assert references(client.get("/staff/queue/?age_max=10")) == [fresh.reference]
    due_by = (today + timedelta(days=5)).isoformat()
    assert references(client.get(f"/staff/queue/?due_by={due_by}")) == [old.reference]
    page = client.get("/staff/queue/").content.decode()
    assert "30 days" in page and "1 day" in page


def test_filters_by_flags(client, worker):
    today = timezone.localdate()
    plain = case()
    same_person_twice = case(id_number="330802199905021230")
    case(id_number="330802199905021230", region="330100", applicant=CitizenFactory())  # another person
    copied_file = case()
    attach(
        copied_file,
        check_status=Document.CheckStatus.FLAGGED,
        check_results={"problems": ["duplicate_elsewhere"], "duplicate_of": ["LH-2026-000001"]},
    )
    failed_check = case()
    attach(failed_check, check_status=Document.CheckStatus.FAILED, check_results={"problems": ["check_failed"]})
    late = case(sla_due_on=today - timedelta(days=1))
    flagged_late = case(overdue_flagged_at=timezone.now())

    def flagged(flag: str) -> set[str]:
        return set(references(client.get(f"/staff/queue/?flags={flag}")))

    assert flagged("duplicate_identity") == {same_person_twice.reference}
    assert flagged("duplicate_file") == {copied_file.reference}
    assert flagged("document_problem") == {copied_file.reference, failed_check.reference}
    assert flagged("overdue") == {late.reference, flagged_late.reference}
    assert set(references(client.get("/staff/queue/?flags=duplicate_file&flags=document_problem"))) == {
        copied_file.reference
    }
    assert plain.reference in references(client.get("/staff/queue/"))
    page = client.get("/staff/queue/").content.decode()
    assert "Same identity number elsewhere" in page and "Same file elsewhere" in page and "Overdue" in page


def test_the_same_identity_on_the_same_persons_other_application_is_no_duplicate(client, worker):
    applicant = CitizenFactory()
    case(applicant=applicant, id_number="330802199905021230")
    case(applicant=applicant, id_number="330802199905021230", programme="training-subsidy", facts=TRAINING_FACTS)
    assert references(client.get("/staff/queue/?flags=duplicate_identity")) == []


def test_sorting(client, worker):
    today = timezone.localdate()
    a = case(submitted_on=today - timedelta(days=10), sla_due_on=today + timedelta(days=9))
    b = case(submitted_on=today - timedelta(days=5), sla_due_on=today + timedelta(days=3))
    c = case(submitted_on=today - timedelta(days=1), sla_due_on=None)
    assert references(client.get("/staff/queue/")) == [b.reference, a.reference, c.reference]  # due soonest
    assert references(client.get("/staff/queue/?sort=-due")) == [a.reference, b.reference, c.reference]
    assert references(client.get("/staff/queue/?sort=oldest")) == [a.reference, b.reference, c.reference]
    assert references(client.get("/staff/queue/?sort=newest")) == [c.reference, b.reference, a.reference]


def _cases_with_flags(count: int) -> None:
    today = timezone.localdate()
    for n in range(count):
        application = case(submitted_on=today - timedelta(days=n % 40), sla_due_on=today + timedelta(days=n % 7 - 2))
        attach(application, check_status=Document.CheckStatus.FLAGGED, check_results={"problems": ["pdf_broken"]})
        if n % 3 == 0:
            review.application_claim(application=application, caseworker=CaseworkerFactory())


def test_the_queue_costs_the_same_number_of_queries_for_5_and_60_cases(client, worker, django_assert_max_num_queries):
    # session, user, roles, the second-factor device (django-otp), count, the page's keys, its
    # rows (flags are subqueries of it), programmes of the filter, and the audit entry of the
    # names shown (its lock on PostgreSQL, the previous entry, the insert)
    _cases_with_flags(5)
    with django_assert_max_num_queries(13) as few:
        response = client.get("/staff/queue/?sort=programme&flags=document_problem")
    assert len(references(response)) == 5
    _cases_with_flags(55)
    with django_assert_max_num_queries(13) as many:
        response = client.get("/staff/queue/?sort=programme&flags=document_problem")
    assert len(references(response)) == 25
    assert len(many.captured_queries) == len(few.captured_queries)


def test_the_queue_is_paged_by_25(client, worker):
    for _ in range(30):
        case()
    first = client.get("/staff/queue/?sort=oldest")
    second = client.get("/staff/queue/?sort=oldest&page=2")
    assert len(references(first)) == 25 and len(references(second)) == 5
    assert not set(references(first)) & set(references(second))
    assert "sort=oldest&amp;page=2" in first.content.decode()  # the page links keep the filters


def test_claim_next_gives_the_oldest_waiting_case(client, worker):
    today = timezone.localdate()
    case(submitted_on=today - timedelta(days=2))
    oldest = case(submitted_on=today - timedelta(days=9))
    response = client.post("/staff/queue/claim-next/")
    assert response["Location"] == f"/staff/cases/{oldest.reference}/"
    oldest.refresh_from_db()
    assert (oldest.status, oldest.assigned_to) == (Status.IN_REVIEW, worker)


def test_claim_next_with_nothing_waiting_says_so(client, worker):
    response = client.post("/staff/queue/claim-next/", follow=True)
    assert "No case is waiting to be claimed in your region." in response.content.decode()
    assert client.get("/staff/queue/claim-next/").status_code == 405


def test_claiming_a_chosen_case_and_giving_it_back(client, worker):
    chosen = case(submitted_on=date(2026, 5, 1))
    queue = client.get("/staff/queue/").content.decode()
    assert f'action="/staff/cases/{chosen.reference}/claim/"' in queue
    assert client.post(f"/staff/cases/{chosen.reference}/claim/")["Location"] == f"/staff/cases/{chosen.reference}/"
    chosen.refresh_from_db()
    assert chosen.assigned_to == worker
    # A second caseworker who clicks "Claim" on a stale page is told it is taken.
    other = CaseworkerFactory()
    client.force_login(other)
    taken = client.post(f"/staff/cases/{chosen.reference}/claim/", follow=True)
    assert "This case is no longer waiting to be claimed." in taken.content.decode()
    chosen.refresh_from_db()
    assert chosen.assigned_to == worker

    client.force_login(worker)
    assert client.post(f"/staff/cases/{chosen.reference}/release/")["Location"] == "/staff/queue/"
    chosen.refresh_from_db()
    assert (chosen.status, chosen.assigned_to) == (Status.SUBMITTED, None)
