"""The people departments already know, imported from their registries (issue 12, 免申即享).

A ``RegistryPerson`` is one identity number with the facts departments hold
about it, in the catalogue's wire form, and for each fact the department and
the date it was recorded. Personal data is encrypted at rest like an
application's; the identity number is found through its keyed hash.

Rows change only through ``eligibility.registry.services`` (an import, the
deletion a department asks for, the opt-out).
"""

from datetime import date

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from applications.crypto import EncryptedTextField, KeyedHashField


class SourceDepartment(models.TextChoices):
    """The departments that share registries with the portal."""

    HRSS = "hrss", _("Human Resources and Social Security Bureau")
    EDUCATION = "education", _("Education Bureau")
    CIVIL_AFFAIRS = "civil_affairs", _("Civil Affairs Bureau")
    MARKET_REGULATION = "market_regulation", _("Market Regulation Administration")
    TAX = "tax", _("Tax Bureau")
    MEDICAL_SECURITY = "medical_security", _("Healthcare Security Administration")


def department_label(code: str) -> str:
    """The name of a department in the active language; an unknown code unchanged."""
    labels = dict(SourceDepartment.choices)
    return str(labels[code]) if code in labels else code


class RegistryPerson(models.Model):
    """One person a department knows, with the facts departments hold about them.

    On PostgreSQL the table also has ``facts_vector``, not a field here: the facts encoded for
    matching, a stored generated column that PostgreSQL recomputes on every write of ``facts``
    (``eligibility.registry.fact_vector``, migration 0003).
    """

    id_number = EncryptedTextField(_("resident identity number"), max_length=18)
    id_number_hash = KeyedHashField(_("identity number hash"), source="id_number", unique=True)
    full_name = EncryptedTextField(_("full name"), max_length=100, blank=True)
    mobile = EncryptedTextField(_("mobile number"), max_length=11, blank=True)
    email = EncryptedTextField(_("e-mail address"), max_length=254, blank=True)
    language = models.CharField(_("language"), max_length=10, default="zh-hans")
    # The facts in the catalogue's wire form: exactly what eligibility.facts.parse_facts accepts.
    facts = models.JSONField(_("facts"), default=dict, blank=True)
    # {fact: {"source": department code, "on": "YYYY-MM-DD"}}: who recorded each fact, and when.
    fact_sources = models.JSONField(_("sources of the facts"), default=dict, blank=True)
    # {"full_name" | "mobile" | "email" | "language": {"source": code, "on": "YYYY-MM-DD"}}: the same
    # for the contact details, so that a department's deletion knows when nothing of it remains.
    detail_sources = models.JSONField(_("sources of the contact details"), default=dict, blank=True)
    opted_out_at = models.DateTimeField(_("opted out at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("registry person")
        verbose_name_plural = _("registry persons")
        permissions = [("view_registry_data", _("Can see registry data"))]

    def __str__(self) -> str:
        return f"registry person #{self.pk}"

    def known_facts(self):
        """The facts as ``eligibility.facts.Facts``."""
        from eligibility.facts import parse_facts

        return parse_facts(self.facts or {})

    def source_of(self, fact: str) -> tuple[str, date] | None:
        """(department name in the active language, date recorded) of a fact, or None when no department gave it."""
        source = (self.fact_sources or {}).get(fact)
        if not source or fact not in (self.facts or {}):
            return None
        return department_label(source["source"]), date.fromisoformat(source["on"])


class RegistryImport(models.Model):
    """One file a policy admin (or ``manage.py import_registry``) imported."""

    class State(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    source = models.CharField(_("source department"), max_length=30, choices=SourceDepartment.choices)
    file_name = models.CharField(_("file name"), max_length=255)
    # The uploaded file, encrypted at rest (default storage); emptied once the import has read it.
    stored_file = models.CharField(_("stored file"), max_length=255, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.QUEUED)
    total = models.PositiveIntegerField(_("rows"), default=0)
    processed = models.PositiveIntegerField(_("rows read"), default=0)
    created = models.PositiveIntegerField(_("persons added"), default=0)
    updated = models.PositiveIntegerField(_("persons updated"), default=0)
    deleted = models.PositiveIntegerField(_("persons deleted"), default=0)
    rejected = models.PositiveIntegerField(_("rows rejected"), default=0)
    error = models.TextField(_("error"), blank=True)
    # The uploader's language: the reasons for rejected rows are written in it.
    language = models.CharField(_("language"), max_length=10, default="zh-hans")
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("registry import")
        verbose_name_plural = _("registry imports")

    def __str__(self) -> str:
        return f"{self.file_name} ({self.source})"

    @property
    def percent(self) -> int:
        if self.state == self.State.DONE:
            return 100
        if not self.total:
            return 0
        return min(100, int(self.processed * 100 / self.total))

    @property
    def is_finished(self) -> bool:
        return self.state in (self.State.DONE, self.State.FAILED)


class ImportProblem(models.Model):
    """A row (or the file) an import could not take, and why."""

    registry_import = models.ForeignKey(
        RegistryImport, on_delete=models.CASCADE, related_name="problems", verbose_name=_("import")
    )
    line = models.PositiveIntegerField(_("line"))  # 1 is the header; 0 the file as a whole
    field = models.CharField(_("field"), max_length=100, blank=True)
    message = models.TextField(_("reason"))

    class Meta:
        ordering = ["line", "id"]
        verbose_name = _("import problem")
        verbose_name_plural = _("import problems")

    def __str__(self) -> str:
        return f"line {self.line} {self.field}: {self.message}"
