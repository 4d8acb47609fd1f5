"""The invitation page and the one-tap opt-out."""

import pytest
from django.utils import timezone, translation

from applications.models import AuditEntry
from applications.outreach.models import InvitationMessage
from applications.outreach.services import invitation_message_deliver, invitations_create
from eligibility.registry.models import department_label
from eligibility.screener.questions import QUESTIONS
from portal import sms
from tests.factories import programme
from tests.outreach.conftest import SI, STARTUP, make_run, match

pytestmark = pytest.mark.django_db


def page_url(invitation, action: str = "") -> str:
    return f"/invitations/{invitation.token}/{action + '/' if action else ''}"


def test_the_page_names_the_programmes_amounts_and_what_departments_know(client, invited):
    match(invited.person, STARTUP, None, amount=None, per="once")  # not invited: not shown
    response = client.get(page_url(invited))
    assert response.status_code == 200
    html = response.content.decode()
    assert programme(SI).title_zh in html
    assert programme(STARTUP).title_zh not in html
    # The amount as the screener words it.
    assert "每月 500.00 元，最长 24 个月" in html
    # Each fact a department provided, by the screener's question, with the department and the date.
    with translation.override("zh-hans"):
        graduated = str(QUESTIONS["graduation_date"].label)
        education, tax = department_label("education"), department_label("tax")
    assert f'{graduated} <span class="text-body-secondary">— 由{education}于2026年7月15日提供' in html
    assert f"由{tax}于2026年11月2日提供" in html
    # Nothing a stranger holding the link could use: the first character of the name, the masked number.
    assert "王*" in html and "王小明" not in html
    assert "138****8000" in html and invited.person.mobile not in html
    assert "1999" not in html  # the birth date is not shown
    assert "private" in response["Cache-Control"] and "no-store" in response["Cache-Control"]
    assert response["Referrer-Policy"] == "same-origin"


def test_the_page_shows_english_to_a_reader_who_chose_english(english, invited):
    html = english.get(page_url(invited)).content.decode()
    assert programme(SI).title_en in html
    assert "Provided by Education Bureau on 15 Jul 2026" in html


def test_opening_records_the_first_open_and_every_look_is_audited(client, invited):
    assert invited.opened_at is None
    client.get(page_url(invited))
    invited.refresh_from_db()
    first = invited.opened_at
    assert first is not None
    client.get(page_url(invited))
    invited.refresh_from_db()
    assert invited.opened_at == first
    looks = AuditEntry.objects.filter(action=AuditEntry.Action.INVITATION_OPENED)
    assert looks.count() == 2
    assert {entry.details["use"] for entry in looks} == {"invitation_page"}
    assert {entry.details["registry_person"] for entry in looks} == {invited.person_id}


def test_an_unknown_token_is_not_found(client, invited):
    assert client.get("/invitations/00000000-0000-4000-8000-000000000000/").status_code == 404
    assert client.get("/invitations/not-a-token/").status_code == 404


def test_opt_out_asks_first_then_one_tap_opts_out(client, invited):
    response = client.get(page_url(invited, "opt-out"))
    assert response.status_code == 200
    assert "<form" in response.content.decode()
    invited.person.refresh_from_db()
    assert invited.person.opted_out_at is None  # a link checker opening the link changes nothing

    response = client.post(page_url(invited, "opt-out"))
    assert response.status_code == 200
    invited.person.refresh_from_db()
    assert invited.person.opted_out_at is not None
    entry = AuditEntry.objects.get(action=AuditEntry.Action.REGISTRY_OPTED_OUT)
    assert entry.details == {"decision": "registry_opt_out", "registry_person": invited.person_id, "use": "opt_out"}

    # Asking again changes nothing, and no new invitation is made or sent.
    when = invited.person.opted_out_at
    client.post(page_url(invited, "opt-out"))
    invited.person.refresh_from_db()
    assert invited.person.opted_out_at == when
    run = make_run()
    match(invited.person, STARTUP, run, per="once")
    assert invitations_create(run=run) == 0


def test_a_message_waiting_when_the_person_opts_out_is_not_sent(client, graduate):
    run = make_run()
    match(graduate, SI, run)
    invitations_create(run=run)
    from applications.outreach.services import invitations_send

    invitations_send()  # written; its task not yet run
    message = InvitationMessage.objects.get()
    client.post(f"/invitations/{graduate.invitations.get().token}/opt-out/")
    invitation_message_deliver(message_id=message.pk)
    message.refresh_from_db()
    assert message.state == InvitationMessage.State.PERMANENT_FAILURE and not sms.outbox


def test_the_opted_out_person_can_still_read_the_page(client, invited):
    invited.person.opted_out_at = timezone.now()
    invited.person.save()
    assert client.get(page_url(invited)).status_code == 200


def test_the_audit_trail_says_in_words_how_registry_data_was_used(client, invited):
    from applications.audit_wording import audit_sentence

    client.get(page_url(invited))
    client.post(page_url(invited, "opt-out"))
    with translation.override("en"):
        sentences = [audit_sentence(entry) for entry in AuditEntry.objects.order_by("sequence")]
    person = invited.person_id
    assert sentences[0].startswith(f"The invitation page of registry person {person}, with what departments know")
    assert sentences[1].startswith(f"Registry person {person} asked to receive no more invitations on")
