"""Who is invited after a matching run, and how: one message a person a week, in their language,
by SMS, e-mail or the inbox, with the portal outbox's retries."""

import re

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from applications.id_numbers import validate_id_number
from applications.models import Notification
from applications.outreach.models import Invitation, InvitationMessage
from applications.outreach.services import (
    invitation_messages_send_due,
    invitations_create,
)
from portal import sms
from tests.factories import ApplicationFactory, CitizenFactory, programme
from tests.outreach.conftest import SI, STARTUP, id_number, later, make_person, make_run, match

pytestmark = pytest.mark.django_db


def test_the_test_identity_numbers_are_valid():
    assert validate_id_number(id_number(5)) == id_number(5)


# --- Who is invited ---------------------------------------------------------------------------


def test_each_eligible_person_is_invited_once_per_programme():
    run = make_run()
    twice = make_person()
    match(twice, SI, run)
    match(twice, STARTUP, run, amount=None, per="once")
    not_eligible = make_person()
    match(not_eligible, SI, run, status="ineligible")
    needs_info = make_person()
    match(needs_info, STARTUP, run, status="needs_info")

    assert invitations_create(run=run) == 2
    assert set(twice.invitations.values_list("programme__slug", flat=True)) == {SI, STARTUP}
    assert not Invitation.objects.filter(person__in=[not_eligible, needs_info]).exists()
    assert {invitation.run_id for invitation in Invitation.objects.all()} == {run.pk}
    # Run again: never twice for the same programme.
    assert invitations_create(run=run) == 0
    assert Invitation.objects.count() == 2


def test_a_person_who_opted_out_is_not_invited():
    run = make_run()
    person = make_person(opted_out_at=timezone.now())
    match(person, SI, run)
    assert invitations_create(run=run) == 0


def test_a_person_who_applied_for_the_programme_is_not_invited_for_it():
    run = make_run()
    person = make_person()
    # An application with the same identity number (found through its keyed hash) for one programme.
    ApplicationFactory(id_number=person.id_number, programme=programme(SI))
    match(person, SI, run)
    match(person, STARTUP, run, per="once")
    assert invitations_create(run=run) == 1
    assert person.invitations.get().programme.slug == STARTUP


def test_only_the_results_of_the_run_are_considered():
    earlier, now = make_run(), make_run()
    person = make_person()
    match(person, SI, earlier)
    assert invitations_create(run=now) == 0
    assert invitations_create(run=earlier) == 1


@pytest.mark.postgres
def test_on_postgresql_invitations_are_made_by_one_statement(django_assert_max_num_queries):
    assert connection.vendor == "postgresql"
    run = make_run()
    for _ in range(30):
        match(make_person(), SI, run)
    with django_assert_max_num_queries(1):
        assert invitations_create(run=run) == 30
    assert Invitation.objects.filter(token__isnull=False).values("token").distinct().count() == 30


# --- Messages -----------------------------------------------------------------------------------


def test_one_message_names_every_programme_and_carries_the_links(send):
    run = make_run()
    person = make_person(language="en")
    match(person, SI, run)
    match(person, STARTUP, run, per="once")
    invitations_create(run=run)

    assert send() == 1
    message = InvitationMessage.objects.get()
    assert message.channel == InvitationMessage.Channel.SMS and message.state == InvitationMessage.State.DELIVERED
    assert [m.to for m in sms.outbox] == [person.mobile]
    text = sms.outbox[0].text
    token = re.search(r"/invitations/([0-9a-f-]{36})/ ", text + " ").group(1)
    assert f"/invitations/{token}/opt-out/" in text
    assert programme(SI).title_en in text and programme(STARTUP).title_en in text
    assert set(Invitation.objects.values_list("message_id", flat=True)) == {message.pk}
    assert Invitation.objects.filter(sent_at__isnull=True).count() == 0
    assert Invitation.objects.filter(token=token).exists()


def test_at_most_one_message_a_week_across_two_matching_runs(send):
    person = make_person()
    first = make_run()
    match(person, SI, first)
    invitations_create(run=first)
    assert send() == 1

    second = make_run()
    match(person, STARTUP, second, per="once")
    assert invitations_create(run=second) == 1
    # Six days later: still the same week, nothing goes out.
    assert send(now=later(6)) == 0
    assert len(sms.outbox) == 1
    # Eight days later the new programme goes out, and only it: never twice for the same programme.
    assert send(now=later(8)) == 1
    assert len(sms.outbox) == 2
    assert programme(STARTUP).title_zh in sms.outbox[1].text
    assert programme(SI).title_zh not in sms.outbox[1].text
    assert send(now=later(30)) == 0


def test_the_message_is_in_the_persons_language(send):
    run = make_run()
    chinese = make_person(language="zh-hans", mobile="13800000001")
    english = make_person(language="en", mobile="13800000002")
    for person in (chinese, english):
        match(person, SI, run)
    invitations_create(run=run)
    send()
    by_number = {message.to: message.text for message in sms.outbox}
    assert by_number["13800000001"].startswith("【灵活就业服务】您可能可以享受：")
    assert programme(SI).title_zh in by_number["13800000001"]
    assert by_number["13800000002"].startswith("[Linghuo] You may be able to receive:")
    assert programme(SI).title_en in by_number["13800000002"]
    assert InvitationMessage.objects.get(person=english).language == "en"
    assert InvitationMessage.objects.get(person=chinese).language == "zh-hans"


def test_without_a_mobile_number_by_email_and_without_either_to_the_inbox(send):
    run = make_run()
    by_email = make_person(mobile="", email="li@example.com", language="en")
    with_account = make_person(mobile="", email="")
    account = CitizenFactory()
    ApplicationFactory(applicant=account, id_number=with_account.id_number, programme=programme(STARTUP))
    unreachable = make_person(mobile="", email="")
    for person in (by_email, with_account, unreachable):
        match(person, SI, run)
    invitations_create(run=run)

    assert send() == 2
    assert [message.to for message in mail.outbox] == [["li@example.com"]]
    assert "/invitations/" in mail.outbox[0].body and "/opt-out/" in mail.outbox[0].body
    inbox = Notification.objects.get(recipient=account, channel=Notification.Channel.INBOX)
    assert "/invitations/" in inbox.body and inbox.state == Notification.State.DELIVERED
    assert not sms.outbox
    # Nobody to send it to: the invitation waits until a channel is known.
    assert unreachable.invitations.get().message is None


class RefusingGateway:
    def send(self, message):
        raise ConnectionError("gateway down")


def test_a_refused_message_is_sent_again_with_the_outbox_backoff(settings, send):
    run = make_run()
    person = make_person()
    match(person, SI, run)
    invitations_create(run=run)
    settings.SMS_BACKEND = "tests.outreach.test_invitations.RefusingGateway"
    send()
    message = InvitationMessage.objects.get()
    assert message.state == InvitationMessage.State.TEMPORARY_FAILURE and message.attempts == 1
    assert "gateway down" in message.last_error and message.next_attempt_at > timezone.now()
    assert person.invitations.get().sent_at is None

    settings.SMS_BACKEND = "portal.sms.RecordingBackend"
    assert invitation_messages_send_due() == 0  # not due yet
    assert invitation_messages_send_due(now=later(1)) == 1
    message.refresh_from_db()
    assert message.state == InvitationMessage.State.DELIVERED and len(sms.outbox) == 1
    assert person.invitations.get().sent_at is not None
    # Sent once: the sweep does not send it again.
    assert invitation_messages_send_due(now=later(2)) == 0
    assert len(sms.outbox) == 1
