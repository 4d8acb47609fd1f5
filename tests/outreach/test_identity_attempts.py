"""The identity number on an invitation's "Apply" page cannot be found by trying: five wrong numbers
for one invitation, or ten by one account, refuse further tries for an hour; the page says until when,
never shows the number typed in full, and every wrong or refused try is in the audit trail."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone, translation

from applications.audit_wording import audit_sentence
from applications.models import Application, AuditEntry
from applications.outreach.models import IdentityAttempt, Invitation
from applications.outreach.services import (
    IdentityAttemptsRefused,
    InvitationIdentityMismatch,
    invitation_application_start,
    invitations_create,
)
from applications.outreach.services.attempts import ACCOUNT_LIMIT, INVITATION_LIMIT, REFUSAL
from tests.factories import VALID_ID_NUMBER, CitizenFactory
from tests.outreach.conftest import SI, id_number, make_person, make_run, match

pytestmark = pytest.mark.django_db

WRONG = id_number(7)


def english(client):
    """The reader chose English (as the language switch does)."""
    from django.conf import settings

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


class Clock:
    """Moves the portal's "now" (``timezone.now``) forward."""

    def __init__(self, monkeypatch):
        self.offset = timedelta()
        real_now = timezone.now
        monkeypatch.setattr(timezone, "now", lambda: real_now() + self.offset)

    def shift(self, delta: timedelta) -> None:
        self.offset += delta


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


@pytest.fixture
def citizen(client):
    person = CitizenFactory(preferred_language="zh-hans")
    client.force_login(person)
    return person


def apply_url(invitation) -> str:
    return f"/invitations/{invitation.token}/apply/"


def post(client, invitation, number=WRONG):
    return client.post(apply_url(invitation), {"id_number": number})


def others_invited(count: int) -> list[Invitation]:
    run = make_run()
    persons = [make_person() for _ in range(count)]
    for person in persons:
        match(person, SI, run)
    invitations_create(run=run)
    return [person.invitations.get() for person in persons]


def test_four_wrong_numbers_still_let_the_person_try(client, citizen, invited):
    for _ in range(INVITATION_LIMIT - 1):
        response = post(client, invited)
        assert response.status_code == 200
        assert "这不是本邀请所针对的身份证号码" in response.content.decode()
    assert IdentityAttempt.objects.filter(invitation=invited, refused=False).count() == INVITATION_LIMIT - 1
    # The right number still works.
    response = post(client, invited, VALID_ID_NUMBER)
    assert response.status_code == 302 and Application.objects.filter(applicant=citizen).exists()


def test_the_fifth_wrong_number_refuses_tries_for_an_hour_even_the_right_number(client, citizen, invited, clock):
    for _ in range(INVITATION_LIMIT - 1):
        post(client, invited)
    response = post(client, invited)
    html = response.content.decode()
    assert response.status_code == 200
    assert "本邀请已输入过多错误的身份证号码" in html
    # The time the person may try again, in their language, never a minute too early.
    until = timezone.localtime(
        IdentityAttempt.objects.get(invitation_locked_until__isnull=False).invitation_locked_until
    )
    shown = (
        (until.replace(second=0, microsecond=0) + timedelta(minutes=1)) if until.second or until.microsecond else until
    )
    assert f"{shown:%Y}年{shown.month}月{shown.day}日 {shown:%H:%M}" in html
    assert 'name="id_number"' not in html  # nothing to type while tries are refused

    # The right number is not checked during the hour: no application, and the refusal is recorded.
    refused = post(client, invited, VALID_ID_NUMBER)
    assert refused.status_code == 200 and "本邀请已输入过多错误的身份证号码" in refused.content.decode()
    assert not Application.objects.exists()
    assert IdentityAttempt.objects.filter(invitation=invited, refused=True).count() == 1
    # Opening the page again says so at once.
    again = client.get(apply_url(invited))
    assert again.status_code == 200 and "data-identity-refused" in again.content.decode()

    clock.shift(REFUSAL + timedelta(seconds=1))
    page = client.get(apply_url(invited)).content.decode()
    assert "data-identity-refused" not in page and 'name="id_number"' in page
    assert post(client, invited, VALID_ID_NUMBER).status_code == 302
    assert Application.objects.filter(applicant=citizen).count() == 1


def test_counting_starts_again_after_a_refusal(client, citizen, invited, clock):
    for _ in range(INVITATION_LIMIT):
        post(client, invited)
    clock.shift(REFUSAL + timedelta(seconds=1))
    # One wrong number after the hour is the first of a new count, not the sixth.
    assert "这不是本邀请所针对的身份证号码" in post(client, invited).content.decode()
    assert "data-identity-refused" not in client.get(apply_url(invited)).content.decode()


def test_the_refusal_holds_for_every_account_and_every_session(client, citizen, invited):
    for _ in range(INVITATION_LIMIT):
        post(client, invited)
    # Another account, another session (another process would read the same rows).
    client.logout()
    client.force_login(CitizenFactory())
    english(client)
    response = post(client, invited, VALID_ID_NUMBER)
    assert "Too many wrong identity numbers have been typed for this invitation" in response.content.decode()
    assert not Application.objects.exists()


def test_ten_wrong_numbers_by_one_account_refuse_it_on_every_invitation(client, citizen):
    invitations = others_invited(4)
    for number in range(ACCOUNT_LIMIT):
        # Never five on one invitation: three on each of the first three, one on the fourth.
        response = post(client, invitations[number // 3])
    assert "您输入错误的身份证号码次数过多" in response.content.decode()
    fresh = others_invited(1)[0]
    assert "您输入错误的身份证号码次数过多" in post(client, fresh, VALID_ID_NUMBER).content.decode()
    # The invitations themselves are not refused to others.
    other = CitizenFactory()
    client.force_login(other)
    assert "这不是本邀请所针对的身份证号码" in post(client, invitations[0]).content.decode()


def test_the_number_typed_is_not_shown_again_in_full(client, citizen, invited):
    html = post(client, invited).content.decode()
    assert WRONG not in html
    assert f"以 {WRONG[-4:]} 结尾" in html  # only its last characters, so that a slip can be seen
    assert 'name="id_number"' in html and f'value="{WRONG}"' not in html


def test_a_number_that_is_not_valid_is_not_counted(client, citizen, invited):
    for _ in range(INVITATION_LIMIT + 1):
        response = post(client, invited, "330802199905021")  # too short: a typing slip, not a guess
        assert response.status_code == 200
    assert not IdentityAttempt.objects.exists()
    assert post(client, invited, VALID_ID_NUMBER).status_code == 302


def test_each_wrong_and_refused_try_is_audited_without_the_number(client, citizen, invited):
    for _ in range(INVITATION_LIMIT + 1):
        post(client, invited)
    wrong = list(AuditEntry.objects.filter(action=AuditEntry.Action.IDENTITY_MISMATCH).order_by("sequence"))
    refused = list(AuditEntry.objects.filter(action=AuditEntry.Action.IDENTITY_ATTEMPT_REFUSED))
    assert len(wrong) == INVITATION_LIMIT and len(refused) == 1
    assert [entry.details["attempt"] for entry in wrong] == list(range(1, INVITATION_LIMIT + 1))
    assert all(entry.actor == citizen and entry.details["registry_person"] == invited.person_id for entry in wrong)
    assert "until" in wrong[-1].details and "until" not in wrong[0].details
    assert refused[0].details["scope"] == "invitation"
    everything = str([entry.details for entry in AuditEntry.objects.all()])
    assert WRONG not in everything and WRONG[-4:] not in everything
    with translation.override("en"):
        assert "typed a wrong identity number for the invitation of registry person" in audit_sentence(wrong[0])
        assert "(wrong number 1 of 5 for this invitation, 1 of 10 for the account)" in audit_sentence(wrong[0])
        assert "one too many: tries are refused until" in audit_sentence(wrong[-1])
        assert "too many wrong numbers for this invitation, tries refused until" in audit_sentence(refused[0])
    with translation.override("zh-hans"):
        assert "输入了错误的身份证号码" in audit_sentence(wrong[0])
        assert "本邀请错误次数过多" in audit_sentence(refused[0])


def test_the_service_raises_after_recording(citizen, invited):
    for _ in range(INVITATION_LIMIT - 1):
        with pytest.raises(InvitationIdentityMismatch):
            invitation_application_start(invitation=invited, applicant=citizen, id_number=WRONG)
    with pytest.raises(IdentityAttemptsRefused) as refused:
        invitation_application_start(invitation=invited, applicant=citizen, id_number=WRONG)
    assert refused.value.lock.scope == "invitation"
    assert refused.value.lock.until > timezone.now() + REFUSAL - timedelta(minutes=1)
    assert IdentityAttempt.objects.count() == INVITATION_LIMIT


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_on_postgresql_two_tries_at_once_are_counted_one_after_the_other(invited):
    """With four wrong numbers recorded, two more at the same moment: one starts the refusal, the
    other is refused, never two fifth tries."""
    assert connection.vendor == "postgresql"
    accounts = [CitizenFactory(), CitizenFactory()]
    for _ in range(INVITATION_LIMIT - 1):
        with pytest.raises(InvitationIdentityMismatch):
            invitation_application_start(invitation=invited, applicant=accounts[0], id_number=WRONG)
    start = threading.Barrier(2)
    outcomes = []

    def attempt(account):
        from django.db import connections

        try:
            start.wait()
            invitation_application_start(invitation=invited, applicant=account, id_number=WRONG)
        except (InvitationIdentityMismatch, IdentityAttemptsRefused) as error:
            outcomes.append(type(error).__name__)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt, args=(account,)) for account in accounts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["IdentityAttemptsRefused", "IdentityAttemptsRefused"]
    assert IdentityAttempt.objects.filter(refused=False).count() == INVITATION_LIMIT
    assert IdentityAttempt.objects.filter(refused=True).count() == 1
    assert IdentityAttempt.objects.filter(invitation_locked_until__isnull=False).count() == 1
