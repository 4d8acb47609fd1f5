"""Confirm instead of filling in: an application started from an invitation takes over what the
registry knows (the facts, the name, the mobile number), and remembers for each answer which
department provided it and when (``PrefilledFact``). When the person saves a step, each answer
taken over is confirmed (unchanged) or flagged as corrected for the caseworker."""

import json

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from applications.crypto import keyed_hash
from applications.id_numbers import compact
from applications.models import Application, AuditEntry
from applications.outreach.models import Invitation, PrefilledFact
from applications.outreach.services import attempts
from applications.services import intake
from applications.services.audit import audit_record
from eligibility.facts import FACT_FIELDS, FactsInvalid, parse_facts

# The personal details an application takes over besides the facts.
PERSONAL_DETAILS = ("full_name", "mobile")
# How many last characters of a wrong number typed the page shows again.
TYPED_SHOWN = 4
# What the "about you" step asks of these (the birth date is a fact, asked there).
PERSONAL_STEP = (*PERSONAL_DETAILS, "birth_date")


class InvitationIdentityMismatch(ValidationError):
    """The identity number typed is not the one of the person invited. The message shows only
    the last characters of what was typed, so that the person can see a slip."""

    def __init__(self, *, typed: str = ""):
        number = compact(typed)
        if len(number) > TYPED_SHOWN:
            super().__init__(
                _(
                    "This is not the identity number the invitation was sent for (you typed a number ending "
                    "in %(end)s). Check the number and try again."
                ),
                code="identity_mismatch",
                params={"end": number[-TYPED_SHOWN:]},
            )
            return
        super().__init__(
            _("This is not the identity number the invitation was sent for. Check the number and try again."),
            code="identity_mismatch",
        )


def registry_wire_facts(person) -> dict:
    """The person's facts as the registry holds them, each one that reads (``parse_facts``)."""
    readable = {}
    for name, value in (person.facts or {}).items():
        if name not in FACT_FIELDS or value is None:
            continue
        try:
            parse_facts({name: value})
        except FactsInvalid:
            continue
        readable[name] = value
    return readable


def _source_entry(person, name: str) -> dict | None:
    """{"source": code, "on": "YYYY-MM-DD"} of ``name``; for the name and mobile number, which the
    registry keeps beside the facts, that of the latest fact when they have none of their own."""
    sources = person.fact_sources or {}
    entry = sources.get(name)
    if entry or name not in PERSONAL_DETAILS:
        return entry or None
    dated = [entry for entry in sources.values() if isinstance(entry, dict) and entry.get("source")]
    return max(dated, key=lambda entry: str(entry.get("on") or ""), default=None)


def _provided_on(entry: dict):
    from datetime import date

    try:
        return date.fromisoformat(str(entry.get("on")))
    except ValueError:
        return None


def invitation_application_start(*, invitation: Invitation, applicant, id_number: str, request=None) -> Application:
    """Starts (or takes up) the applicant's draft for the invitation's programme, pre-filled
    from the registry, once the identity number typed matches the person invited (keyed hash).

    Raises ``InvitationIdentityMismatch`` for another number, and ``IdentityAttemptsRefused``
    while too many wrong numbers refuse tries (``attempts``); both are recorded and audited,
    and stay so although the error is raised (it is raised once that transaction committed).
    """
    from applications.outreach.selectors import identity_attempts_lock

    with transaction.atomic():
        attempts.identity_attempts_hold(invitation=invitation, account=applicant)
        lock = identity_attempts_lock(invitation=invitation, account=applicant)
        if lock is not None:
            attempts.identity_attempt_refuse(invitation=invitation, account=applicant, lock=lock, request=request)
            refusal = attempts.IdentityAttemptsRefused(lock)
        elif not invitation.person.id_number_hash or keyed_hash(id_number) != invitation.person.id_number_hash:
            started = attempts.identity_attempt_wrong(invitation=invitation, account=applicant, request=request)
            refusal = (
                attempts.IdentityAttemptsRefused(started)
                if started is not None
                else InvitationIdentityMismatch(typed=id_number)
            )
        else:
            return _application_prefill(
                invitation=invitation, applicant=applicant, id_number=id_number, request=request
            )
    raise refusal


def _application_prefill(*, invitation: Invitation, applicant, id_number: str, request) -> Application:
    person = invitation.person
    registry_facts = registry_wire_facts(person)
    application = intake.application_start(applicant=applicant, programme=invitation.programme, facts=registry_facts)
    # A draft the person had already: the registry fills what it does not answer yet.
    taken = {
        name: value
        for name, value in registry_facts.items()
        if name not in application.facts or application.facts[name] == value
    }
    application.facts = {**taken, **application.facts}
    application.screening_facts = [name for name in application.screening_facts if name not in taken]
    application.id_number = "".join(id_number.split()).upper()
    personal = {}
    if person.full_name and not application.full_name:
        application.full_name = personal["full_name"] = person.full_name
    if person.mobile and application.mobile in ("", person.mobile):
        application.mobile = personal["mobile"] = person.mobile
    application.save(
        update_fields=["facts", "screening_facts", "id_number", "id_number_hash", "full_name", "mobile", "updated_at"]
    )
    rows = []
    for name, value in [*taken.items(), *personal.items()]:
        entry = _source_entry(person, name)
        if not entry:
            continue  # the registry does not say who provided it: not marked as provided
        rows.append(
            PrefilledFact(
                application=application,
                fact=name,
                value=json.dumps(value, ensure_ascii=False),
                source=str(entry.get("source", "")),
                provided_on=_provided_on(entry),
            )
        )
    PrefilledFact.objects.bulk_create(rows, ignore_conflicts=True)
    Invitation.objects.filter(pk=invitation.pk).update(application=application)
    invitation.application = application
    # One entry naming every answer taken over, and the department of each one marked as provided.
    audit_record(
        actor=applicant,
        action=AuditEntry.Action.REGISTRY_PREFILLED,
        application=application,
        details={
            "registry_person": person.pk,
            "invitation": invitation.pk,
            "use": "prefill",
            "answers": sorted({*taken, *personal}),
            "sources": {row.fact: row.source for row in rows},
        },
        request=request,
    )
    return application


def _same(current, registry) -> bool:
    if isinstance(current, list) and isinstance(registry, list):
        return sorted(map(str, current)) == sorted(map(str, registry))
    if isinstance(current, str) and isinstance(registry, str):
        return "".join(current.split()) == "".join(registry.split())
    return current == registry


def current_answer(application: Application, name: str):
    if name in PERSONAL_DETAILS:
        return getattr(application, name) or None
    return application.facts.get(name)


def registry_answer(row: PrefilledFact):
    return json.loads(row.value)


def prefill_compare(*, application: Application, step: str) -> list[PrefilledFact]:
    """After a step is saved: each answer taken from the registry that the step asked is
    confirmed (kept as it was) or flagged corrected (changed), for the caseworker."""
    rows = list(application.prefilled_facts.all())
    if not rows:
        return []
    if step == "personal":
        asked = set(PERSONAL_STEP)
    else:
        from applications.facts_form import _stored_values, asked_facts

        # Only what the step asked: an answer the programme does not use is dropped, not corrected.
        asked = set(asked_facts(application.programme.slug, _stored_values(application.facts)))
    now = timezone.now()
    changed = []
    for row in rows:
        if row.fact not in asked:
            continue
        if _same(current_answer(application, row.fact), registry_answer(row)):
            if row.confirmed_at is None or row.corrected_at is not None:
                row.confirmed_at, row.corrected_at = now, None
                changed.append(row)
        elif row.corrected_at is None:
            row.confirmed_at, row.corrected_at = None, now
            changed.append(row)
    if changed:
        PrefilledFact.objects.bulk_update(changed, ["confirmed_at", "corrected_at"])
    return changed
