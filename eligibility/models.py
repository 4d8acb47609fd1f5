"""Programmes, their effective-dated parameters and the log of every change.

Rows are written only by ``eligibility.services`` and ``eligibility.policy_file``:
they check that history is never rewritten and record each change.
"""

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from eligibility.parameter_types import CodeSet, ParameterType, ParameterUnit, display_value

parameter_key_validator = RegexValidator(
    r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$", _("A key looks like si.subsidy_rate: lower-case words joined by dots.")
)


def _in_language(zh: str, en: str) -> str:
    return zh if (get_language() or "").lower().startswith("zh") else en


class Programme(models.Model):
    """A subsidy programme of the catalogue (section 4). Its rules are code in
    ``eligibility.rules``; this row holds what an admin may read and what is
    dated: the titles, the sources and the date it is in force from."""

    class Kind(models.TextChoices):
        MONTHLY_CASH = "monthly_cash", _("monthly cash subsidy")
        ONE_OFF_CASH = "one_off_cash", _("one-off cash subsidy")
        LOAN = "loan", _("loan")
        SERVICE = "service", _("service, no cash")
        REQUEST = "request", _("request, no cash")
        TRAINING_PLACE = "training_place", _("free training place, no cash")
        REFERRAL = "referral", _("referral, no cash from this portal")
        COVERAGE_CHECK = "coverage_check", _("coverage check, no cash")
        RENT_REDUCTION = "rent_reduction", _("rent reduction, no cash from this portal")
        TAX_DEDUCTION = "tax_deduction", _("tax deduction, no cash from this portal")

    class Per(models.TextChoices):
        MONTH = "month", _("per month")
        YEAR = "year", _("per year")
        ONCE = "once", _("once")
        LOAN = "loan", _("loan")
        NONE = "none", _("no cash")

    slug = models.SlugField(_("identifier"), max_length=64, unique=True)
    position = models.PositiveSmallIntegerField(_("position in the catalogue"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    per = models.CharField(_("paid"), max_length=10, choices=Per.choices)
    title_zh = models.CharField(_("title (Chinese)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200)
    summary_zh = models.TextField(_("summary (Chinese)"), blank=True)
    summary_en = models.TextField(_("summary (English)"), blank=True)
    sources = models.JSONField(_("policy sources"), default=list, blank=True)
    in_force_from = models.DateField(_("in force from"))
    # Issue 14, item 4: the last day in force that the programme's policy declares (empty:
    # no end declared). After it a screening answers ``not_in_force`` with this date.
    in_force_until = models.DateField(
        _("in force until"),
        null=True,
        blank=True,
        help_text=_("The last day the programme is in force, as its policy declares; empty when no end is declared."),
    )

    class Meta:
        ordering = ["position", "slug"]
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")

    def __str__(self) -> str:
        return f"{self.slug} — {self.title}"

    @property
    def title(self) -> str:
        return _in_language(self.title_zh, self.title_en)

    @property
    def summary(self) -> str:
        return _in_language(self.summary_zh, self.summary_en)


class Parameter(models.Model):
    """A number, date or list the rules read, with a history of values
    (catalogue, section 3). ``local_default`` marks a value the portal ships
    without a policy source; the UI and API label it as a local setting."""

    key = models.CharField(_("key"), max_length=64, unique=True, validators=[parameter_key_validator])
    type = models.CharField(_("kind of value"), max_length=12, choices=ParameterType.choices)
    unit = models.CharField(_("unit"), max_length=16, choices=ParameterUnit.choices, blank=True)
    code_set = models.CharField(_("allowed codes"), max_length=20, choices=CodeSet.choices, blank=True)
    description_zh = models.TextField(_("description (Chinese)"))
    description_en = models.TextField(_("description (English)"))
    local_default = models.BooleanField(
        _("local setting"),
        default=False,
        help_text=_("The value has no national policy source; it is set locally."),
    )
    source = models.CharField(_("policy source"), max_length=300, blank=True)

    class Meta:
        ordering = ["key"]
        verbose_name = _("parameter")
        verbose_name_plural = _("parameters")

    def __str__(self) -> str:
        return self.key

    @property
    def description(self) -> str:
        return _in_language(self.description_zh, self.description_en)


class ParameterValue(models.Model):
    """The value of a parameter from ``valid_from`` on, until a later value takes over."""

    parameter = models.ForeignKey(Parameter, on_delete=models.PROTECT, related_name="values")
    valid_from = models.DateField(_("valid from"))
    value = models.JSONField(_("value"))
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("added by"),
    )
    created_at = models.DateTimeField(_("added at"), auto_now_add=True)

    class Meta:
        ordering = ["parameter__key", "valid_from"]
        verbose_name = _("parameter value")
        verbose_name_plural = _("parameter values")
        constraints = [
            models.UniqueConstraint(fields=["parameter", "valid_from"], name="parameter_value_one_per_date"),
        ]

    def __str__(self) -> str:
        return f"{self.parameter_id and self.parameter.key} = {self.display} ({self.valid_from})"

    @property
    def display(self) -> str:
        return display_value(self.value)


class ParameterChange(models.Model):
    """Append-only log of every change to parameter values: who, when, what."""

    class Action(models.TextChoices):
        ADDED = "added", _("value added")
        CHANGED = "changed", _("future value changed")
        DELETED = "deleted", _("future value deleted")

    class Origin(models.TextChoices):
        ADMIN = "admin", _("administration")
        IMPORT = "import", _("policy file import")
        CATALOGUE = "catalogue", _("shipped catalogue")
        PROPOSAL = "proposal", _("approved proposal")

    parameter = models.ForeignKey(Parameter, on_delete=models.PROTECT, related_name="changes")
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    valid_from = models.DateField(_("valid from"))
    value = models.JSONField(_("value"))
    previous_value = models.JSONField(_("previous value"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    origin = models.CharField(_("made through"), max_length=10, choices=Origin.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("changed by"),
    )
    changed_at = models.DateTimeField(_("changed at"), auto_now_add=True)

    class Meta:
        ordering = ["-changed_at", "-id"]
        verbose_name = _("parameter change")
        verbose_name_plural = _("parameter changes")

    def __str__(self) -> str:
        return f"{self.parameter_id and self.parameter.key}: {self.action} {self.valid_from}"


class IncubatorSite(models.Model):
    """A business incubator site whose premises ``free-business-site`` allocates (free until a date).

    Kept by policy administrators. A site once allocated is never deleted, only
    taken out of use (``active``), so every allocation keeps the site it names.
    """

    name_zh = models.CharField(_("name (Chinese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    address = models.CharField(_("address"), max_length=300)
    free_until = models.DateField(_("free until"))
    active = models.BooleanField(_("in use"), default=True)
    created_at = models.DateTimeField(_("added at"), auto_now_add=True)

    class Meta:
        ordering = ["name_zh", "pk"]
        verbose_name = _("incubator site")
        verbose_name_plural = _("incubator sites")
        constraints = [models.UniqueConstraint(fields=["name_zh", "address"], name="incubator_site_unique")]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return _in_language(self.name_zh, self.name_en)


class TrainingCourse(models.Model):
    """A course of free entrepreneurship training that ``entrepreneurship-training`` assigns.

    Kept by policy administrators; like a site, a course once assigned is only
    taken out of use, never deleted.
    """

    name_zh = models.CharField(_("name (Chinese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    starts_on = models.DateField(_("starts on"))
    place = models.CharField(_("place"), max_length=300)
    active = models.BooleanField(_("in use"), default=True)
    created_at = models.DateTimeField(_("added at"), auto_now_add=True)

    class Meta:
        ordering = ["starts_on", "name_zh", "pk"]
        verbose_name = _("training course")
        verbose_name_plural = _("training courses")
        constraints = [models.UniqueConstraint(fields=["name_zh", "starts_on"], name="training_course_unique")]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return _in_language(self.name_zh, self.name_en)


class ParameterProposal(models.Model):
    """A new value of a parameter from a date, proposed by one policy administrator and
    approved by another (issue 14, item 2). Only ``eligibility.services`` writes it: an
    approval adds the value through ``parameter_value_add`` (history kept, version bumped).

    ``value`` is the canonical stored form (``parameter_types.clean_value``). The policy
    reference names the document (a source file of the catalogue, or a title) and its
    clause; ``applied_value`` is the value the approval added or changed.
    """

    class State(models.TextChoices):
        PROPOSED = "proposed", _("awaiting approval")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")
        WITHDRAWN = "withdrawn", _("withdrawn")

    class Origin(models.TextChoices):
        CONSOLE = "console", _("policy console")
        IMPORT = "import", _("policy file import")

    parameter = models.ForeignKey(
        Parameter, on_delete=models.PROTECT, related_name="proposals", verbose_name=_("parameter")
    )
    valid_from = models.DateField(_("valid from"))
    value = models.JSONField(_("value"))
    reference_document = models.CharField(_("policy document"), max_length=300)
    reference_clause = models.CharField(_("clause"), max_length=100, blank=True)
    reason = models.TextField(_("reason"))
    origin = models.CharField(_("made through"), max_length=10, choices=Origin.choices, default=Origin.CONSOLE)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PROPOSED, db_index=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("proposed by"),
    )
    proposed_at = models.DateTimeField(_("proposed at"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("note on the decision"), blank=True)
    reference_changes_acknowledged = models.BooleanField(_("changes to reference cases acknowledged"), default=False)
    applied_value = models.ForeignKey(
        ParameterValue,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="proposals",
        verbose_name=_("value added"),
    )

    class Meta:
        ordering = ["-proposed_at", "-id"]
        verbose_name = _("parameter proposal")
        verbose_name_plural = _("parameter proposals")
        permissions = [("approve_parameterproposal", _("Can approve another administrator's proposal"))]
        constraints = [
            models.UniqueConstraint(
                fields=["parameter", "valid_from"],
                condition=models.Q(state="proposed"),
                name="parameter_proposal_one_pending_per_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.parameter_id and self.parameter.key} = {self.display} ({self.valid_from}, {self.state})"

    @property
    def display(self) -> str:
        return display_value(self.value)

    @property
    def display_text(self) -> str:
        """The value as a person reads it, with its unit and labels (the policy console's wording)."""
        from eligibility.console.selectors import value_text

        return value_text(self.parameter, self.value)

    @property
    def is_pending(self) -> bool:
        return self.state == self.State.PROPOSED


class ParameterProposalEvent(models.Model):
    """Append-only history of a proposal: each change of its state, who made it and why."""

    proposal = models.ForeignKey(ParameterProposal, on_delete=models.CASCADE, related_name="events")
    state_from = models.CharField(_("from state"), max_length=10, blank=True)
    state_to = models.CharField(_("to state"), max_length=10, choices=ParameterProposal.State.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    note = models.TextField(_("note"), blank=True)
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("proposal event")
        verbose_name_plural = _("proposal events")

    def __str__(self) -> str:
        return f"{self.proposal_id}: {self.state_from or '-'} -> {self.state_to}"


class ReferenceCase(models.Model):
    """A person with the results the policy expects for them (issue 14, item 3).

    ``facts`` are in the screening API's wire format, except that a date may be
    given relative to the day the case is screened on: ``"-24m"`` (24 months before),
    ``"-16y+1d"`` (16 years before, then one day later); see
    ``eligibility.reference_cases``. ``expected`` maps a programme's identifier to
    ``{"status": ..., "amount": "500.00" or null}``: the programmes the case guards.
    Seeded from the catalogue's boundaries (``reference_cases`` of the policy file);
    kept by policy administrators.
    """

    name_zh = models.CharField(_("name (Chinese)"), max_length=200, unique=True)
    name_en = models.CharField(_("name (English)"), max_length=200)
    facts = models.JSONField(_("facts"), default=dict)
    expected = models.JSONField(_("expected results"), default=dict)
    active = models.BooleanField(_("in use"), default=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("last changed by"),
    )
    updated_at = models.DateTimeField(_("last changed at"), auto_now=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("reference case")
        verbose_name_plural = _("reference cases")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return _in_language(self.name_zh, self.name_en)


class ReferenceExpectation(models.Model):
    """What a reference case expects of one programme from a date on, when that differs from
    what it expected before (issue 14, item 3): written when a proposal that changed the result
    is approved with the change acknowledged (from the proposal's start date), or when a policy
    administrator corrects the expectation (from that day). Before the date, the earlier
    expectation holds: the case's ``expected``, or an earlier row. A row counts only for a
    programme the case still guards (``ReferenceCase.expected`` names it); see
    ``eligibility.reference_cases.expected_on``.
    """

    case = models.ForeignKey(
        ReferenceCase, on_delete=models.CASCADE, related_name="expectations", verbose_name=_("reference case")
    )
    programme = models.CharField(_("programme"), max_length=60)
    valid_from = models.DateField(_("valid from"))
    status = models.CharField(_("expected status"), max_length=20)
    amount = models.DecimalField(_("expected amount"), max_digits=14, decimal_places=2, null=True, blank=True)
    proposal = models.ForeignKey(
        ParameterProposal,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reference_expectations",
        verbose_name=_("approved proposal"),
    )
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("set by"),
    )
    created_at = models.DateTimeField(_("set at"), auto_now=True)

    class Meta:
        ordering = ["case", "programme", "valid_from"]
        verbose_name = _("expected result from a date")
        verbose_name_plural = _("expected results from a date")
        constraints = [
            models.UniqueConstraint(
                fields=["case", "programme", "valid_from"], name="reference_expectation_one_per_date"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.programme} from {self.valid_from}: {self.status} {self.amount or ''}".strip()
