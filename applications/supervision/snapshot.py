"""The supervisor dashboard's figures, counted by beat and kept, rather than counted on every view.

The figures (backlog, decisions, approval rates, committed amounts, loans,
outcomes, budgets and the registry funnel) read every decided case, payment and
registry result; at a city's size that takes seconds. Beat runs
``snapshots_refresh`` every ``LINGHUO_DASHBOARD_REFRESH_SECONDS``: for each region
with a supervisor and each language of the portal, the figures are computed by
the same selectors the page used live, rendered
(``supervision/partials/dashboard_figures.html``) and kept in one
``DashboardSnapshot`` row. The page reads that row and says when it was taken.

A snapshot older than ``LINGHUO_DASHBOARD_MAX_AGE_SECONDS`` (beat stopped, a new
region, a new install) is counted again by the request that finds it so: the
page is never older than that, and never missing. With a maximum age of 0 every
view counts live (the tests' setting).
"""

import time
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from applications import selectors_fulfilment
from applications import selectors_supervision as selectors
from applications.budgets import dashboard as budget_dashboard
from applications.models import DashboardSnapshot
from applications.supervision import charts
from portal.accounts.roles import Role

TEMPLATE = "supervision/partials/dashboard_figures.html"


def dashboard_figures(*, region: str) -> dict:
    """The template context of the figures of ``region``, as of now."""
    today = timezone.localdate()
    programmes = selectors.figures_by_programme(region=region)
    loans = [row for row in programmes if row.loans_approved is not None]
    return {
        "region": region,
        "today": today,
        "charts": [
            charts.backlog_chart(selectors.backlog_by_age(region=region, today=today)),
            charts.decisions_chart(selectors.decisions_by_week(region=region, today=today)),
            charts.approval_rate_chart(programmes),
            charts.committed_chart(programmes),
        ],
        "loans": [(row, charts.money_text(row.loans_approved)) for row in loans],
        # applications.budgets: budgets of the year and the registry funnel (templates/budgets/partials/).
        **budget_dashboard.dashboard_sections(today=today, programmes=[row.programme for row in programmes]),
        "outcomes": selectors_fulfilment.outcomes_by_programme(
            region=region, programmes=[row.programme for row in programmes]
        ),
    }


def snapshot_take(*, region: str, language: str) -> DashboardSnapshot:
    """Counts and renders the figures of ``region`` in ``language`` and keeps them (one row per pair)."""
    started = time.perf_counter()
    with translation.override(language):
        html = render_to_string(TEMPLATE, dashboard_figures(region=region))
    values = {"html": html, "computed_at": timezone.now(), "seconds": time.perf_counter() - started}
    try:
        with transaction.atomic():
            snapshot, _ = DashboardSnapshot.objects.update_or_create(region=region, language=language, defaults=values)
    except IntegrityError:  # another process took the same snapshot at the same moment: keep ours
        DashboardSnapshot.objects.filter(region=region, language=language).update(**values)
        snapshot = DashboardSnapshot.objects.get(region=region, language=language)
    return snapshot


def snapshot_for(*, region: str, language: str) -> DashboardSnapshot:
    """The latest snapshot of ``region`` in ``language``, taken now if there is none young enough."""
    max_age = timedelta(seconds=settings.LINGHUO_DASHBOARD_MAX_AGE_SECONDS)
    snapshot = DashboardSnapshot.objects.filter(region=region, language=language).first()
    if snapshot is None or max_age <= timedelta(0) or timezone.now() - snapshot.computed_at > max_age:
        snapshot = snapshot_take(region=region, language=language)
    return snapshot


def regions_with_supervisors() -> list[str]:
    return sorted(
        set(
            get_user_model()
            .objects.filter(is_active=True, groups__name=Role.SUPERVISOR)
            .exclude(region="")
            .values_list("region", flat=True)
        )
    )


def snapshots_refresh() -> dict:
    """Every region with a supervisor, in every language (beat). Returns the seconds each took."""
    taken = {}
    for region in regions_with_supervisors():
        for language, _name in settings.LANGUAGES:
            taken[f"{region}/{language}"] = round(snapshot_take(region=region, language=language).seconds, 3)
    return taken
