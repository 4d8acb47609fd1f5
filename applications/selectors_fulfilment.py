"""Reads about the outcomes of programmes without cash: the dashboard's counts and the referrals export."""

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Q, QuerySet

from applications.models import Application, Fulfilment, Status
from applications.services.fulfilment import fulfilment_kind
from eligibility.models import Programme

AWAITING_OUTCOME = (Status.APPROVED, Status.REFERRED)


@dataclass(frozen=True)
class ProgrammeOutcomes:
    programme: Programme
    served: int
    partner_declined: int
    awaiting: int  # approved (or referred) and no outcome yet


def outcomes_by_programme(*, region: str, programmes: list[Programme] | None = None) -> list[ProgrammeOutcomes]:
    """Per programme without cash, in catalogue order: cases served, declined by the partner and
    awaiting their outcome in ``region`` (one query, and one for the programmes unless given)."""
    if programmes is None:
        programmes = list(Programme.objects.order_by("position", "slug"))
    programmes = [p for p in programmes if fulfilment_kind(p)]
    rows = (
        Application.objects.filter(region=region, programme__in=programmes)
        .values("programme_id")
        .annotate(
            served=Count("pk", filter=Q(status=Status.SERVED)),
            declined=Count("pk", filter=Q(status=Status.PARTNER_DECLINED)),
            awaiting=Count("pk", filter=Q(status__in=AWAITING_OUTCOME)),
        )
        .order_by()
    )
    counts = {row["programme_id"]: row for row in rows}
    return [
        ProgrammeOutcomes(
            programme=programme,
            served=counts.get(programme.pk, {}).get("served", 0),
            partner_declined=counts.get(programme.pk, {}).get("declined", 0),
            awaiting=counts.get(programme.pk, {}).get("awaiting", 0),
        )
        for programme in programmes
    ]


def referrals(*, region: str, date_from: date, date_to: date, partner: str = "") -> QuerySet[Fulfilment]:
    """The cases of ``region`` referred to a partner (bank, civil affairs, tax bureau) from
    ``date_from`` to ``date_to`` (both included), by partner, partner's name, date and case."""
    rows = Fulfilment.objects.filter(
        application__region=region, referred_on__gte=date_from, referred_on__lte=date_to
    ).exclude(partner="")
    if partner:
        rows = rows.filter(partner=partner)
    return rows.select_related("application", "application__programme").order_by(
        "partner", "partner_name", "referred_on", "application__reference"
    )
