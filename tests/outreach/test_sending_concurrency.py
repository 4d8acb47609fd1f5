"""Two runs of ``invitations_send`` at once (two beats, or a beat and a retry) write one message to a person.

The invitations of one person are several rows: locking them alone, one run could take some and
the other the rest, and the person would get two messages the same morning. The person's row is
locked first (``SELECT … FOR UPDATE SKIP LOCKED``): a person another run holds is that run's.
"""

import threading

import pytest
from django.db import connections, transaction

from applications.outreach.models import InvitationMessage
from applications.outreach.services import invitations_create, invitations_send
from eligibility.registry.models import RegistryPerson
from tests.outreach.conftest import SI, STARTUP, make_person, make_run, match


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_person_another_run_is_writing_to_gets_no_second_message():
    person = make_person()
    run = make_run()
    match(person, SI, run)
    match(person, STARTUP, run, per="once")
    assert invitations_create(run=run) == 2
    holding, done = threading.Event(), threading.Event()

    def other_run():
        # As the other run does while it writes this person's message: the person's row locked.
        try:
            with transaction.atomic():
                RegistryPerson.objects.select_for_update().get(pk=person.pk)
                holding.set()
                done.wait(timeout=30)
        finally:
            connections.close_all()

    thread = threading.Thread(target=other_run)
    thread.start()
    try:
        assert holding.wait(timeout=30)
        assert invitations_send() == 0, "a second message was written while another run held the person"
    finally:
        done.set()
        thread.join(timeout=30)
    assert not InvitationMessage.objects.filter(person=person).exists()
    # Left to the run that held the person; here it wrote nothing, so the next run writes the one message.
    assert invitations_send() == 1
    message = InvitationMessage.objects.get(person=person)
    assert set(message.invitations.values_list("programme__slug", flat=True)) == {SI, STARTUP}
