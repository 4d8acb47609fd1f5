"""Matching runs and, per registry person and programme, the latest result.

Rows are written only by ``eligibility.matching.services`` (``registry_match``):
set-based, one chunk of persons at a time. A result row is rewritten only when
the person's results change (``PersonState.digest`` tells, without reading the rows),
so ``MatchResult.run`` is the run that last changed it and ``updated_at`` when.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class MatchRun(models.Model):
    """One evaluation of the whole registry on ``as_of``."""

    class State(models.TextChoices):
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    as_of = models.DateField(_("as of"))
    started_at = models.DateTimeField(_("started at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.RUNNING)
    persons = models.PositiveIntegerField(_("persons evaluated"), default=0)
    eligible = models.PositiveIntegerField(
        _("persons eligible"), default=0, help_text=_("Persons eligible for at least one programme.")
    )
    invitations = models.PositiveIntegerField(_("invitations created"), default=0)
    chunks = models.PositiveIntegerField(_("chunks"), default=0)
    # Our own: what the run changed, and why it failed.
    newly_eligible = models.PositiveIntegerField(_("results newly eligible"), default=0)
    results_written = models.PositiveIntegerField(_("results written"), default=0)
    chunks_done = models.PositiveIntegerField(_("chunks done"), default=0)
    distributed = models.BooleanField(_("distributed"), default=False)
    failure = models.TextField(_("failure"), blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("matching run")
        verbose_name_plural = _("matching runs")

    def __str__(self) -> str:
        return f"{self.as_of} ({self.state})"

    @property
    def seconds(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


class MatchResult(models.Model):
    """The latest result of one registry person for one programme.

    A row is created when matching first finds the person eligible or needing
    information for the programme, and then follows the result (also back to
    not eligible). No row means not eligible (``ineligible``, or the programme
    is not in force): most of a registry's results, which are not written.
    """

    class Status(models.TextChoices):
        ELIGIBLE = "eligible", _("eligible")
        INELIGIBLE = "ineligible", _("not eligible")
        NEEDS_INFO = "needs_info", _("more information needed")
        NOT_IN_FORCE = "not_in_force", _("not in force")

    # A million persons have millions of rows: every index costs each write. The unique
    # (person, programme) serves look-ups by person, (programme, status) those by programme.
    # The references are kept by Django (CASCADE when a person or programme is deleted), not checked
    # by the database on each of millions of writes (the checks took 40 % of a first run). A row
    # written for a person deleted at that very moment is never read: readers join the person.
    person = models.ForeignKey(
        "registry.RegistryPerson",
        on_delete=models.CASCADE,
        related_name="match_results",
        verbose_name=_("person"),
        db_index=False,
        db_constraint=False,
    )
    programme = models.ForeignKey(
        "eligibility.Programme",
        on_delete=models.CASCADE,
        related_name="match_results",
        verbose_name=_("programme"),
        db_index=False,
        db_constraint=False,
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2, null=True, blank=True)
    per = models.CharField(_("paid"), max_length=10)
    max_periods = models.IntegerField(_("at most, periods"), null=True, blank=True)
    # The runs' references are kept by Django (SET_NULL when a run is deleted), not checked by the database
    # on each of millions of writes.
    run = models.ForeignKey(
        MatchRun,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="results",
        verbose_name=_("run"),
        db_index=False,
        db_constraint=False,
    )
    first_eligible_on = models.DateField(_("first found eligible on"), null=True, blank=True)
    # Our own: the run that first found the person eligible (the invitations of a run are for these).
    first_eligible_run = models.ForeignKey(
        MatchRun,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="newly_eligible_results",
        verbose_name=_("first found eligible in run"),
        db_constraint=False,
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("matching result")
        verbose_name_plural = _("matching results")
        constraints = [
            models.UniqueConstraint(fields=["person", "programme"], name="match_result_one_per_programme"),
        ]
        indexes = [
            models.Index(fields=["programme", "status"], name="match_result_programme_status"),
            # The invitations of a run (outreach.invitation_candidates): its eligible rows, without a scan
            # of every row; it costs only the writes of eligible rows.
            models.Index(fields=["run"], condition=Q(status="eligible"), name="match_result_run_eligible"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} · {self.programme_id}: {self.status}"


class PersonState(models.Model):
    """What matching keeps of one registry person between runs: ``digest``, a
    64-bit digest of the person's results for every programme as last written;
    a run rewrites the person's ``MatchResult`` rows only when the digest of the
    new results differs. (The facts themselves are read from the registry's
    ``facts_vector``, see ``eligibility.registry.fact_vector``.)
    """

    # Kept by Django (CASCADE), not checked by the database on each write: a first run writes a million
    # (the checks, which lock each registry row, took a quarter of it); runs read states joined to persons.
    person = models.OneToOneField(
        "registry.RegistryPerson",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="match_state",
        db_constraint=False,
    )
    digest = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("matching state of a person")
        verbose_name_plural = _("matching states of persons")

    def __str__(self) -> str:
        return f"{self.person_id}: {self.digest:x}"
