import pytest

from applications.models import CaseEvent, Status
from applications.services.transitions import (
    ALLOWED_TRANSITIONS,
    OUTCOME_TRANSITIONS,
    IllegalTransition,
    application_transition,
)
from tests.factories import ApplicationFactory, CaseworkerFactory

pytestmark = pytest.mark.django_db

PATH = [Status.SUBMITTED, Status.IN_REVIEW, Status.INFO_REQUESTED, Status.SUBMITTED, Status.IN_REVIEW, Status.APPROVED]


def test_the_whole_path_is_allowed_and_each_move_is_recorded():
    application = ApplicationFactory()
    worker = CaseworkerFactory()
    for status in PATH:
        application_transition(application=application, to_status=status, actor=worker, note=f"to {status}")
    application.refresh_from_db()
    assert application.status == Status.APPROVED
    assert application.decided_at is not None
    events = list(application.events.values_list("from_status", "to_status", "note"))
    assert events[0] == (Status.DRAFT, Status.SUBMITTED, "to submitted")
    assert [e[1] for e in events] == PATH
    assert all(e.actor_id == worker.pk for e in application.events.all())


@pytest.mark.parametrize("start", [Status.DRAFT, Status.SUBMITTED, Status.IN_REVIEW, Status.INFO_REQUESTED])
def test_withdrawn_from_any_state_before_a_decision(start):
    application = ApplicationFactory(status=start)
    application_transition(application=application, to_status=Status.WITHDRAWN)
    assert application.status == Status.WITHDRAWN


FINAL = (Status.APPROVED, Status.REJECTED, Status.WITHDRAWN)
# A refusal may be reconsidered (tests/applications/test_reconsideration.py), and an approval of a
# programme without cash goes on to its outcome (tests/applications/test_fulfilment.py): the moves after a decision.
AFTER_A_DECISION = [
    (final, target)
    for final in FINAL
    for target in Status
    if target not in FINAL
    and (final, target) != (Status.REJECTED, Status.RECONSIDERATION)
    and (final, target) not in OUTCOME_TRANSITIONS
]


@pytest.mark.parametrize(("final", "target"), AFTER_A_DECISION)
def test_nothing_moves_after_a_decision_or_withdrawal(final, target):
    application = ApplicationFactory(status=final)
    with pytest.raises(IllegalTransition):
        application_transition(application=application, to_status=target)
    application.refresh_from_db()
    assert application.status == final
    assert not CaseEvent.objects.exists()


@pytest.mark.parametrize(
    ("start", "target"),
    [
        (Status.DRAFT, Status.APPROVED),
        (Status.SUBMITTED, Status.APPROVED),
        (Status.DRAFT, Status.IN_REVIEW),
        (Status.INFO_REQUESTED, Status.APPROVED),
        (Status.SUBMITTED, Status.INFO_REQUESTED),
    ],
)
def test_illegal_moves_are_refused_with_a_clear_message(start, target):
    application = ApplicationFactory(status=start)
    with pytest.raises(IllegalTransition) as error:
        application_transition(application=application, to_status=target)
    assert (error.value.from_status, error.value.to_status) == (start, target)
    assert str(Status(start).label) in str(error.value) and str(Status(target).label) in str(error.value)
    application.refresh_from_db()
    assert application.status == start


def test_a_move_to_the_current_state_does_nothing():
    application = ApplicationFactory(status=Status.SUBMITTED)
    assert application_transition(application=application, to_status=Status.SUBMITTED) is None
    assert not CaseEvent.objects.exists()


def test_the_table_covers_every_status():
    assert set(ALLOWED_TRANSITIONS) == set(Status.values)
