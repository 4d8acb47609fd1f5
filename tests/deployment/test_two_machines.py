"""Two machines on one database and one broker (issue 15, item 4): nothing is done twice.

Two web processes (gunicorn, 2 workers each) and two Celery workers (2 children each) run on the
test's PostgreSQL database and a Redis of the test's own (``tests.deployment.machines``). People
talk to both web processes over HTTP, signed in through the login form, second factor included;
messages are counted where the gateways received them (``tests.deployment.recorders``).

- 20 caseworkers claim the next case, alternately on each web process, until the queue is empty:
  every case goes to exactly one of them (``SELECT … FOR UPDATE SKIP LOCKED`` in ``claim_next``).
- Documents uploaded through both web processes, each check also delivered twice more (as a broker
  redelivering): each is checked exactly once (the claim on ``check_attempts``).
- Messages written to the outbox, each sender woken twice and the sweep run four times at once:
  each e-mail and SMS reaches its gateway once, and each delivery report is recorded once.
- Every task of beat's schedule sent twice at the same moment, to both workers, with work waiting
  for each: nothing is sent or recorded twice.
- Two ``celery beat`` by mistake: one holds the lock and sends; the other sends nothing, and takes
  over when the first stops (``portal.beat``).
"""

import io
import re
import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
import redis
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from pypdf import PdfWriter

from applications.clocks.models import WindowReminder
from applications.clocks.services import screening_keep
from applications.models import (
    Application,
    AuditEntry,
    CaseEvent,
    DeliveryEvent,
    Document,
    InformationRequest,
    Notification,
    Status,
)
from applications.outreach.models import Invitation, InvitationMessage
from applications.outreach.services import invitations_create
from applications.retention.models import AnonymisedCase, DraftNotice
from applications.services.notifications import notify_applicant
from eligibility.dates import add_months
from eligibility.matching.models import MatchRun
from portal.celery import app, broker_mark_up, enqueue
from tests.applications.test_claim_concurrency import run_together
from tests.applications.test_review_services import submitted
from tests.conftest import _skip_or_fail, repoint_broker
from tests.deployment.machines import Browser, Machines
from tests.deployment.recorders import sent_mail, sent_sms
from tests.factories import GRADUATE_FACTS, ApplicationFactory, CaseworkerFactory, CitizenFactory, SupervisorFactory
from tests.outreach.conftest import make_person, make_run, match
from tests.retention.conftest import at_noon, closed_case, draft_changed_on

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

CASEWORKERS = 20
CASES = 40
CITIZENS_UPLOADING, UPLOADS_EACH = 4, 3
MESSAGES = 20
REFERENCE = re.compile(r"LH-\d{4}-\d{6}")
HANDED_OVER = (Notification.State.SENDING, Notification.State.DELIVERED)


@pytest.fixture(scope="module")
def machines(django_db_setup, django_db_blocker):
    """The processes of two machines, for the whole module; this process sends to their broker too."""
    if connection.vendor != "postgresql":
        _skip_or_fail("needs PostgreSQL: set DATABASE_URL=postgres://…")
    if not settings.REDIS_URL:
        _skip_or_fail("needs Redis: set REDIS_URL=redis://…")
    deployment = Machines()
    previous = (app.conf.broker_url, app.conf.task_always_eager, app.conf.task_default_queue)
    try:
        deployment.redis.start()
        repoint_broker(app, deployment.redis.url)
        app.conf.task_always_eager = False
        app.conf.task_default_queue = deployment.queue
        broker_mark_up()
        deployment.start()
        yield deployment
    finally:
        deployment.close()
        repoint_broker(app, previous[0])
        app.conf.task_always_eager, app.conf.task_default_queue = previous[1], previous[2]
        broker_mark_up()


def wait_until(condition, what: str, machines: Machines, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout} s\n{machines.logs()}")
        time.sleep(0.25)


def settle(machines: Machines, timeout: float = 60) -> None:
    """Waits until the broker's queue is empty and no worker has a task in hand, twice in a row."""
    client = redis.Redis.from_url(machines.redis.url)
    quiet = 0
    deadline = time.monotonic() + timeout
    while quiet < 2:
        if time.monotonic() > deadline:
            raise AssertionError(f"the workers did not finish within {timeout} s\n{machines.logs()}")
        inspect = app.control.inspect(destination=machines.worker_names, timeout=1)
        busy = [task for tasks in (inspect.active() or {}).values() for task in tasks]
        busy += [task for tasks in (inspect.reserved() or {}).values() for task in tasks]
        quiet = quiet + 1 if not busy and client.llen(machines.queue) == 0 else 0
        time.sleep(0.3)


def sent_twice(machines: Machines) -> tuple[list, list]:
    """What a gateway received more than once: (SMS, e-mail)."""
    sms = Counter((each["to"], each["text"]) for each in sent_sms(machines.sms_file))
    mail = Counter((each["to"], each["subject"], each["text"]) for each in sent_mail(machines.mail_dir))
    return [key for key, n in sms.items() if n > 1], [key for key, n in mail.items() if n > 1]


def handovers(notification: Notification) -> int:
    return DeliveryEvent.objects.filter(notification=notification, status__in=HANDED_OVER).count()


# --- Claiming ----------------------------------------------------------------------------------------------


def test_twenty_caseworkers_on_two_web_processes_never_get_the_same_case(machines):
    started = time.monotonic()
    cases = [submitted(applicant=CitizenFactory(), id_number=f"3308021999{n:08d}") for n in range(CASES)]
    staff = []
    for _ in range(CASEWORKERS):
        person = CaseworkerFactory()
        staff.append((person, TOTPDevice.objects.create(user=person, name="authenticator", confirmed=True)))
    claims: list[tuple[int, str, str]] = []
    lock = threading.Lock()

    def claim_until_empty(worker):
        index, (person, device) = worker
        browser = Browser(machines.web_urls, start=index)
        browser.log_in(person, device)
        while True:
            answer = browser.post("/staff/queue/claim-next/")
            assert answer.status_code == 302, answer.text[:1000]
            location = answer.headers["Location"]
            if location.rstrip("/").endswith("/staff/queue"):
                return  # "No case is waiting to be claimed"
            with lock:
                claims.append((person.pk, REFERENCE.search(location).group(0), browser.served_by[-1]))

    errors = run_together(list(enumerate(staff)), claim_until_empty)

    assert errors == [], errors
    counts = Counter(reference for _person, reference, _web in claims)
    assert set(counts) == {case.reference for case in cases}
    assert max(counts.values()) == 1, [reference for reference, n in counts.items() if n > 1]
    events = CaseEvent.objects.filter(to_status=Status.IN_REVIEW).values("application").annotate(n=Count("id"))
    assert sorted(row["n"] for row in events) == [1] * CASES, "a case was moved into review twice"
    for person_pk, reference, _web in claims:
        case = next(case for case in cases if case.reference == reference)
        case.refresh_from_db()
        assert (case.status, case.assigned_to_id) == (Status.IN_REVIEW, person_pk)
    assert {web for _person, _reference, web in claims} == set(machines.web_urls), "both web processes served"
    assert len({person for person, _reference, _web in claims}) > 1, "the caseworkers did not claim side by side"
    print(f"claims: {time.monotonic() - started:.1f} s")


# --- Document checks ---------------------------------------------------------------------------------------


def scan(number: int) -> tuple[bytes, int]:
    """A PDF of its own (its title), of 1 to 3 pages."""
    pages = 1 + number % 3
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": f"Scan {number}"})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue(), pages


def test_documents_uploaded_through_both_web_processes_are_each_checked_once(machines):
    started = time.monotonic()
    pages: dict[str, int] = {}
    drafts = []
    for citizen_number in range(CITIZENS_UPLOADING):
        draft = ApplicationFactory(status=Status.DRAFT, completed_steps=["personal", "situation", "payment"])
        drafts.append(draft)
        browser = Browser(machines.web_urls, start=citizen_number)
        browser.log_in(draft.applicant)
        for upload_number in range(UPLOADS_EACH):
            data, count = scan(citizen_number * UPLOADS_EACH + upload_number)
            name = f"scan-{citizen_number}-{upload_number}.pdf"
            pages[name] = count
            answer = browser.post(
                f"/applications/drafts/{draft.pk}/documents/",
                {"upload": "1", "kind": "identity_card"},
                files={"file": (name, data, "application/pdf")},
            )
            assert answer.status_code == 302, answer.text[:2000]
    documents = list(Document.objects.filter(application__in=drafts))
    assert len(documents) == CITIZENS_UPLOADING * UPLOADS_EACH
    # The broker delivers a check more than once (a redelivery, the sweep): two more of each.
    for document in documents:
        enqueue("applications.check_document", document.pk)
        enqueue("applications.check_document", document.pk)

    def all_checked() -> bool:
        return not Document.objects.filter(pk__in=[d.pk for d in documents], check_status="pending").exists()

    wait_until(all_checked, "every check", machines)
    settle(machines)
    for document in Document.objects.filter(pk__in=[d.pk for d in documents]):
        assert document.check_status == Document.CheckStatus.PASSED, document.check_results
        assert document.check_attempts == 1, f"{document.original_name} was checked {document.check_attempts} times"
        assert document.page_count == pages[document.original_name]
    print(f"documents: {time.monotonic() - started:.1f} s")


# --- Messages ------------------------------------------------------------------------------------------------


def test_each_message_reaches_its_gateway_once_and_each_report_is_recorded_once(machines):
    started = time.monotonic()
    cases = [
        ApplicationFactory(
            applicant=CitizenFactory(username=f"1390000{number:04d}", email=f"person{number}@example.com"),
            status=Status.SUBMITTED,
            reference=f"LH-2026-{900000 + number:06d}",
        )
        for number in range(MESSAGES)
    ]
    with transaction.atomic():  # the senders are woken when it commits
        written = [notify_applicant(application=case, event=Notification.Event.SUBMITTED) for case in cases]
    deliveries = [row for rows in written for row in rows if row.channel != Notification.Channel.INBOX]
    assert len(deliveries) == 2 * MESSAGES
    for row in deliveries:  # each sender woken once more, and the sweep four times, at once
        enqueue("applications.deliver_notification", row.pk)
    for _ in range(4):
        enqueue("applications.send_due_notifications")

    def none_waiting() -> bool:
        return not Notification.objects.filter(pk__in=[r.pk for r in deliveries], state__in=("queued",)).exists()

    wait_until(none_waiting, "every message sent", machines)
    settle(machines)
    sms = [each for each in sent_sms(machines.sms_file) if each["to"].startswith("1390000")]
    mail = [each for each in sent_mail(machines.mail_dir) if each["to"].endswith("@example.com")]
    assert len(sms) == MESSAGES and len(mail) == MESSAGES
    assert sent_twice(machines) == ([], [])
    for row in deliveries:
        assert handovers(row) == 1, f"{row.channel} {row.pk} was handed over {handovers(row)} times"

    # The SMS gateway reports on each message it took: asked by the poll, four at once.
    Notification.objects.filter(state=Notification.State.SENDING).update(next_attempt_at=timezone.now())
    for _ in range(4):
        enqueue("applications.poll_sms_receipts")

    def none_sending() -> bool:
        return not Notification.objects.filter(pk__in=[r.pk for r in deliveries], state="sending").exists()

    wait_until(none_sending, "every delivery report", machines)
    settle(machines)
    for row in deliveries:
        delivered = DeliveryEvent.objects.filter(notification=row, status=Notification.State.DELIVERED).count()
        assert delivered == 1, f"{row.channel} {row.pk}: delivered recorded {delivered} times"
    print(f"messages: {time.monotonic() - started:.1f} s")


# --- Beat's schedule, every task twice at once ------------------------------------------------------------


def work_for_every_periodic_task(today) -> dict:
    """One thing waiting for each task of CELERY_BEAT_SCHEDULE, as a day of a deployment leaves it."""
    supervisor = SupervisorFactory(region="330800")
    now = timezone.now()
    long_ago = now - timedelta(hours=1)
    work = {"supervisor": supervisor}
    # applications.resend_stale_checks: a check that was never picked up.
    draft = ApplicationFactory(status=Status.DRAFT)
    stale, _pages = scan(99)
    document = Document(
        application=draft,
        kind="identity_card",
        original_name="stale.pdf",
        size=len(stale),
        content_type="application/pdf",
        uploaded_by=draft.applicant,
    )
    document.file.save("upload.pdf", ContentFile(stale), save=True)
    Document.objects.filter(pk=document.pk).update(uploaded_at=long_ago)
    work["stale_document"] = document
    # applications.flag_overdue_cases: a case past its decision date.
    overdue = submitted(applicant=CitizenFactory(), id_number="330802199905021230")
    type(overdue).objects.filter(pk=overdue.pk).update(sla_due_on=today - timedelta(days=3))
    work["overdue"] = overdue
    # applications.remind_information_requests: a reply due in two days.
    asked = ApplicationFactory(status=Status.INFO_REQUESTED, reference="LH-2026-800001")
    work["information_request"] = InformationRequest.objects.create(
        application=asked, requested_by=supervisor, reply_due_on=today + timedelta(days=2), questions=["?"]
    )
    # clocks.send_window_reminders: a graduate whose window to apply closes in 20 days.
    graduate = CitizenFactory(preferred_language="en")
    closes = today + timedelta(days=20)
    facts = {**GRADUATE_FACTS, "graduation_date": add_months(closes, -24).isoformat()}
    screening_keep(person=graduate, facts=facts, screened_on=today)
    work["graduate"] = graduate
    # retention: a draft untouched for 80 days (its notice), one whose removal day has passed, a closed case.
    work["inactive_draft"] = draft_changed_on(today - timedelta(days=80))
    abandoned = draft_changed_on(today - timedelta(days=100))
    DraftNotice.objects.create(
        application=abandoned,
        activity_at=at_noon(today - timedelta(days=100)),
        notified_on=today - timedelta(days=20),
        removal_on=today - timedelta(days=5),
    )
    work["abandoned_draft_id"] = abandoned.pk
    work["closed_case"] = closed_case(Status.WITHDRAWN, closed_on=today - timedelta(days=6 * 366))
    # outreach.send_invitations: a person matched and invited to two programmes, no message yet.
    person = make_person(mobile="13700000001")
    run = make_run()
    match(person, "flexible-si-subsidy", run)
    match(person, "startup-subsidy", run, per="once")
    assert invitations_create(run=run) == 2
    work["invited_person"] = person
    # outreach.send_due_invitation_messages: a message its own task never sent.
    waiting = make_person(mobile="13700000002", number=None)
    work["invitation_message"] = InvitationMessage.objects.create(
        person=waiting,
        channel=InvitationMessage.Channel.SMS,
        language="zh-hans",
        address=waiting.mobile,
        subject="邀请",
        body="【灵活就业补贴】您可能符合申请条件。",
        created_at=long_ago,
    )
    # applications.send_due_notifications: a message its own task never sent.
    reader = CitizenFactory(email="reader@example.com")
    due = Notification.objects.create(
        recipient=reader,
        channel=Notification.Channel.EMAIL,
        address=reader.email,
        subject="Due",
        body="A message the sweep sends.",
        event=Notification.Event.SUBMITTED,
        language="en",
    )
    Notification.objects.filter(pk=due.pk).update(created_at=long_ago)
    work["due_notification"] = due
    # applications.poll_sms_receipts: an SMS the provider took, its report due.
    work["sms_sending"] = Notification.objects.create(
        recipient=reader,
        channel=Notification.Channel.SMS,
        address="13900009999",
        body="Taken by the gateway.",
        event=Notification.Event.SUBMITTED,
        language="en",
        state=Notification.State.SENDING,
        provider_message_id="taken-1",
        sent_at=long_ago,
        next_attempt_at=long_ago,
        attempts=1,
    )
    # matching.registry_match: the registry has persons (the two above).
    # applications.refresh_case_flags: a flag another writer left wrong.
    wrong = ApplicationFactory(status=Status.DRAFT)
    Application.objects.filter(pk=wrong.pk).update(document_check_problem=True)
    work["wrong_flag"] = wrong
    return work


def test_every_task_of_beats_schedule_run_twice_at_once_does_its_work_once(machines):
    started = time.monotonic()
    today = timezone.localdate()
    work = work_for_every_periodic_task(today)
    tasks = sorted({entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()})
    assert len(tasks) == len(settings.CELERY_BEAT_SCHEDULE) >= 12
    for task in tasks:  # the two copies side by side in the queue: two workers take them at once
        enqueue(task)
        enqueue(task)
    settle(machines, timeout=90)
    settle(machines)  # what the first tasks woke (checks, senders) is done too

    document = Document.objects.get(pk=work["stale_document"].pk)
    assert (document.check_status, document.check_attempts) == (Document.CheckStatus.PASSED, 1)
    supervisor_inbox = Notification.objects.filter(recipient=work["supervisor"], event=Notification.Event.SLA_OVERDUE)
    assert supervisor_inbox.filter(channel=Notification.Channel.INBOX).count() == 1
    assert (
        Notification.objects.filter(
            application=work["information_request"].application, event=Notification.Event.INFO_REMINDER, channel="inbox"
        ).count()
        == 1
    )
    assert WindowReminder.objects.filter(person=work["graduate"]).count() == 1
    assert Notification.objects.filter(recipient=work["graduate"], channel="inbox").count() == 1
    assert DraftNotice.objects.filter(application=work["inactive_draft"]).count() == 1
    notices = Notification.objects.filter(recipient=work["inactive_draft"].applicant, event="draft_expiring")
    assert notices.filter(channel="inbox").count() == 1
    removed = AuditEntry.objects.filter(details__decision="draft_removed", details__draft=work["abandoned_draft_id"])
    assert removed.count() == 1
    assert AnonymisedCase.objects.filter(application=work["closed_case"]).count() == 1
    anonymised = AuditEntry.objects.filter(application=work["closed_case"], details__decision="anonymised")
    assert anonymised.count() == 1
    assert InvitationMessage.objects.filter(person=work["invited_person"]).count() == 1
    # Both matching runs ran; each programme the person may apply for has one invitation, whichever run made it.
    assert list(MatchRun.objects.filter(state=MatchRun.State.DONE, distributed=False).values_list("pk", flat=True))
    per_programme = Invitation.objects.filter(person=work["invited_person"]).values("programme").annotate(n=Count("id"))
    assert per_programme and {row["n"] for row in per_programme} == {1}
    message = InvitationMessage.objects.get(pk=work["invitation_message"].pk)
    assert message.state in HANDED_OVER and message.attempts == 1
    assert Notification.objects.get(pk=work["due_notification"].pk).state == Notification.State.DELIVERED
    assert handovers(work["due_notification"]) == 1
    assert Application.objects.filter(pk=work["wrong_flag"].pk, document_check_problem=False).exists()
    sms = Notification.objects.get(pk=work["sms_sending"].pk)
    assert sms.state == Notification.State.DELIVERED
    assert DeliveryEvent.objects.filter(notification=sms, status=Notification.State.DELIVERED).count() == 1
    # Every message of the day reached its gateway once.
    assert sent_twice(machines) == ([], [])
    sms_sent = Counter(each["to"] for each in sent_sms(machines.sms_file))
    assert sms_sent["13700000001"] == 1 and sms_sent["13700000002"] == 1
    print(f"beat's schedule twice: {time.monotonic() - started:.1f} s")


# --- Two beats by mistake -------------------------------------------------------------------------------


def sends(log) -> int:
    return log.read_text().count("Sending due task")


def test_a_second_beat_started_by_mistake_sends_nothing_until_the_first_stops(machines):
    started = time.monotonic()
    reader = CitizenFactory(email="beat-reader@example.com")
    due = Notification.objects.create(
        recipient=reader,
        channel=Notification.Channel.EMAIL,
        address=reader.email,
        subject="Sent by the sweep of one beat",
        body="Once.",
        event=Notification.Event.SUBMITTED,
        language="en",
    )
    Notification.objects.filter(pk=due.pk).update(created_at=timezone.now() - timedelta(hours=1))
    fast = {"SWEEP_SECONDS": "1", "BEAT_LOCK_SECONDS": "3", "NOTIFICATION_PICKUP_SECONDS": "0"}
    first, first_log = machines.start_beat(0, **fast)
    second, second_log = machines.start_beat(1, **fast)

    wait_until(lambda: sends(first_log) + sends(second_log) >= 8, "beat sending its sweeps", machines)
    leader, leader_log, standby, standby_log = (
        (first, first_log, second, second_log) if sends(first_log) else (second, second_log, first, first_log)
    )
    assert sends(standby_log) == 0, "two beats sent the schedule"
    assert "holds the lock" in leader_log.read_text()

    machines.stop(leader)  # gives the lock back
    wait_until(lambda: sends(standby_log) >= 4, "the second beat taking over", machines, timeout=30)
    assert "holds the lock" in standby_log.read_text()
    machines.stop(standby)
    settle(machines)

    assert Notification.objects.get(pk=due.pk).state == Notification.State.DELIVERED
    assert [m["to"] for m in sent_mail(machines.mail_dir)].count("beat-reader@example.com") == 1
    assert sent_twice(machines) == ([], [])
    print(f"two beats: {time.monotonic() - started:.1f} s")
