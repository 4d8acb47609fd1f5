"""Applications, their events, documents and notifications.

Rows change only through ``applications.services``: the state machine in
``applications.services.transitions`` is the one way a status moves, and it
records a ``CaseEvent`` for each move.
"""

import uuid
from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from applications.crypto import EncryptedTextField, KeyedHashField


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    IN_REVIEW = "in_review", _("In review")
    INFO_REQUESTED = "info_requested", _("More information requested")
    PENDING_APPROVAL = "pending_approval", _("Awaiting second approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    # The applicant asked for a refusal to be looked at again; the case waits in the queue.
    RECONSIDERATION = "reconsideration", _("Reconsideration requested")
    # After the approval of a programme without cash: its outcome (applications.services.fulfilment).
    REFERRED = "referred", _("Referred to the guarantee centre and bank")
    SERVED = "served", _("Served")
    PARTNER_DECLINED = "partner_declined", _("Declined by the partner")


# A person has at most one application per programme in these states.
OPEN_STATUSES = (
    Status.DRAFT,
    Status.SUBMITTED,
    Status.IN_REVIEW,
    Status.INFO_REQUESTED,
    Status.PENDING_APPROVAL,
    Status.RECONSIDERATION,
)
DECIDED_STATUSES = (Status.APPROVED, Status.REJECTED)
FINAL_STATUSES = (Status.APPROVED, Status.REJECTED, Status.WITHDRAWN, Status.SERVED, Status.PARTNER_DECLINED)
# Approved, and then on the way to its outcome or at it (programmes without cash).
OUTCOME_STATUSES = (Status.SERVED, Status.PARTNER_DECLINED)
APPROVED_STATUSES = (Status.APPROVED, Status.REFERRED, *OUTCOME_STATUSES)
# Sent and not final: what the caseworkers' queue lists by default (applications.staff.filters).
IN_PROGRESS_STATUSES = tuple(status for status in Status if status != Status.DRAFT and status not in FINAL_STATUSES)
_IN_PROGRESS = Q(status__in=[status.value for status in IN_PROGRESS_STATUSES])
# Waiting in the region's queue for somebody to claim it (services.transitions.QUEUE_STATUSES).
WAITING_STATUSES = (Status.SUBMITTED, Status.RECONSIDERATION)
# The application's warning flags, kept by applications.case_flags (not by saving the application).
STORED_FLAGS = frozenset({"same_identity_elsewhere", "same_file_elsewhere", "document_check_problem"})
# The columns the queue's indexes carry after their order (models.Application.Meta.indexes).
QUEUE_COVERED = ("status", "programme", "assigned_to", "submitted_on", "sla_paused_on", "overdue_flagged_at")


class Application(models.Model):
    """One person's application for one programme.

    ``facts`` are the eligibility facts in their wire form (catalogue section 2);
    at submission ``submitted_on`` becomes the application's ``as_of`` and
    ``evaluation`` keeps what the engine answered then, with the parameter
    values it used, so a later change of parameters never changes it.
    """

    reference = models.CharField(_("reference number"), max_length=20, unique=True, null=True, blank=True)
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="applications", verbose_name=_("applicant")
    )
    programme = models.ForeignKey(
        "eligibility.Programme", on_delete=models.PROTECT, related_name="applications", verbose_name=_("programme")
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    region = models.CharField(_("region"), max_length=6, default="330800")
    facts = models.JSONField(_("facts"), default=dict, blank=True)

    full_name = models.CharField(_("full name"), max_length=100, blank=True)
    # Encrypted at rest (applications.crypto); the same identity number is found through its keyed hash.
    id_number = EncryptedTextField(_("resident identity number"), max_length=18, blank=True)
    id_number_hash = KeyedHashField(_("identity number hash"), source="id_number", db_index=True)
    mobile = EncryptedTextField(_("mobile number"), max_length=11, blank=True)
    address = EncryptedTextField(_("address"), max_length=300, blank=True)
    bank_name = models.CharField(_("bank"), max_length=100, blank=True)
    bank_account = EncryptedTextField(_("bank account number"), max_length=32, blank=True)
    declaration_accepted_at = models.DateTimeField(_("declaration accepted at"), null=True, blank=True)
    completed_steps = models.JSONField(_("completed steps"), default=list, blank=True)
    # The facts that came from the person's anonymous screening, so the form says "pre-filled" only of them.
    screening_facts = models.JSONField(_("facts from the screening"), default=list, blank=True)
    # What a programme asks beyond the facts, e.g. the construction project of a project cover
    # (applications.services.fulfilment.PROGRAMME_DETAILS).
    programme_details = models.JSONField(_("programme details"), default=dict, blank=True)

    submitted_on = models.DateField(_("submitted on"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    evaluation = models.JSONField(_("evaluation at submission"), null=True, blank=True)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2, null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_applications",
        verbose_name=_("caseworker"),
    )
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    # Service level: the date a decision is due (review.sla_working_days working
    # days after submission); the clock stops while the applicant is asked for
    # more information and the due date moves on by the working days it stood.
    sla_due_on = models.DateField(_("decision due"), null=True, blank=True)
    sla_paused_on = models.DateField(_("clock stopped on"), null=True, blank=True)
    overdue_flagged_at = models.DateTimeField(_("flagged overdue at"), null=True, blank=True)
    # The queue's warning flags, kept up to date by applications.case_flags (filtered by index, not by subquery);
    # false by default in the database too, for rows written by COPY (manage.py seed_bench).
    same_identity_elsewhere = models.BooleanField(
        _("same identity number elsewhere"), default=False, db_default=False, editable=False
    )
    same_file_elsewhere = models.BooleanField(_("same file elsewhere"), default=False, db_default=False, editable=False)
    document_check_problem = models.BooleanField(
        _("document check problem"), default=False, db_default=False, editable=False
    )

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        constraints = [
            models.UniqueConstraint(
                fields=["applicant", "programme"],
                condition=Q(status__in=[s.value for s in OPEN_STATUSES]),
                name="application_one_open_per_programme",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "region", "submitted_at"]),
            # The queue's default page in its default order (by the date a decision is due), and by
            # submission (oldest/newest first): partial, so decided cases are not in them. The trailing
            # columns are what the filters, the counts and the sorts by status or programme read: the
            # database answers from the index without visiting the rows.
            models.Index(
                fields=["region", "sla_due_on", "submitted_at", "id", *QUEUE_COVERED],
                condition=_IN_PROGRESS,
                name="application_queue_due",
            ),
            models.Index(
                fields=["region", "submitted_at", "id", "sla_due_on", *QUEUE_COVERED],
                condition=_IN_PROGRESS,
                name="application_queue_sent",
            ),
            # Claim-next: the oldest case waiting to be claimed.
            models.Index(
                fields=["region", "submitted_at", "id"],
                condition=Q(status__in=[status.value for status in WAITING_STATUSES]),
                name="application_waiting",
            ),
            # The queue of every status (finished cases too), by the date a decision was due or by
            # submission, and their deep pages.
            models.Index(
                fields=["region", "sla_due_on", "submitted_at", "id", *QUEUE_COVERED], name="application_region_due"
            ),
            models.Index(
                fields=["region", "submitted_at", "id", "sla_due_on", *QUEUE_COVERED], name="application_region_sent"
            ),
            # The dashboard's decisions by week.
            models.Index(fields=["region", "decided_at"], name="application_region_decided"),
            # The queue filtered by a warning flag: only the flagged cases are in these.
            models.Index(
                fields=["region", "sla_due_on", "status"],
                condition=Q(same_identity_elsewhere=True),
                name="application_flag_identity",
            ),
            models.Index(
                fields=["region", "sla_due_on", "status"],
                condition=Q(same_file_elsewhere=True),
                name="application_flag_file",
            ),
            models.Index(
                fields=["region", "sla_due_on", "status"],
                condition=Q(document_check_problem=True),
                name="application_flag_document",
            ),
        ]

    def __str__(self) -> str:
        return self.reference or f"draft #{self.pk}"

    def save(self, *args, **kwargs):
        if not self._state.adding and kwargs.get("update_fields") is None and not kwargs.get("force_insert"):
            # The warning flags are written by applications.case_flags alone: a save of what this
            # instance holds must not put back the values it read before they changed.
            deferred = self.get_deferred_fields()
            kwargs["update_fields"] = [
                field.name
                for field in self._meta.concrete_fields
                if not field.primary_key and field.attname not in deferred and field.name not in STORED_FLAGS
            ]
        super().save(*args, **kwargs)
        # Sent, or its identity number changed: the same-identity flags of the cases sharing the
        # old or the new number (applications.case_flags).
        before, now = getattr(self, "_identity_as_saved", None), self._identity_state()
        if now is None or now == before:
            return
        fields = kwargs.get("update_fields")
        if fields is not None and not {"status", "id_number", "id_number_hash"} & set(fields):
            return
        self._identity_as_saved = now
        from applications import case_flags

        case_flags.refresh_identity({now[0], before[0] if before else ""})

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._identity_as_saved = instance._identity_state()
        return instance

    def _identity_state(self) -> tuple[str, bool] | None:
        """(identity number hash, sent) as far as this instance holds them; None when either is deferred."""
        held = self.__dict__
        if "id_number_hash" not in held or "status" not in held:
            return None
        return held["id_number_hash"], held["status"] != Status.DRAFT

    @property
    def birth_date(self) -> date | None:
        """The applicant's date of birth, as given in the personal details."""
        value = self.facts.get("birth_date")
        return date.fromisoformat(value) if isinstance(value, str) else None

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def can_be_withdrawn(self) -> bool:
        return self.status in OPEN_STATUSES


class CaseEvent(models.Model):
    """Something that happened to an application: a status change, a message, a note."""

    class Kind(models.TextChoices):
        TRANSITION = "transition", _("Status changed")
        DOCUMENT = "document", _("Document uploaded")
        INFO_RESPONSE = "info_response", _("Information sent")
        NOTE = "note", _("Internal note")

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.TRANSITION)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    from_status = models.CharField(_("from"), max_length=20, choices=Status.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=20, choices=Status.choices, blank=True)
    note = models.TextField(_("note"), blank=True)
    internal = models.BooleanField(_("staff only"), default=False)
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("case event")
        verbose_name_plural = _("case events")

    def __str__(self) -> str:
        return f"{self.application_id}: {self.kind} {self.from_status}→{self.to_status}"


# The check's problem code for a file attached to another person's application too (services.documents).
DUPLICATE_FILE_PROBLEM = "duplicate_elsewhere"
# The check states of a document with a problem.
PROBLEM_CHECK_STATES = ("flagged", "failed")


def document_upload_path(instance: "Document", filename: str) -> str:
    # The stored name says nothing about the person or the original file name.
    return f"documents/{instance.application_id}/{uuid.uuid4().hex}"


class Document(models.Model):
    """A file attached to an application, with the results of its automated check."""

    class Kind(models.TextChoices):
        IDENTITY_CARD = "identity_card", _("Resident identity card")
        GRADUATION_CERTIFICATE = "graduation_certificate", _("Graduation certificate")
        UNEMPLOYMENT_REGISTRATION = "unemployment_registration", _("Unemployment registration")
        DIFFICULTY_CERTIFICATE = "difficulty_certificate", _("Certificate of employment difficulty")
        BUSINESS_LICENCE = "business_licence", _("Business licence")
        SOCIAL_INSURANCE_RECEIPTS = "social_insurance_receipts", _("Social insurance payment receipts")
        TRAINING_CERTIFICATE = "training_certificate", _("Training certificate")
        PUBLIC_SERVICE_CONTRACT = "public_service_contract", _("Public-service post contract")
        LOW_INCOME_CERTIFICATE = "low_income_certificate", _("Certificate of a low-income household")
        TRAINING_ATTENDANCE_RECORD = "training_attendance_record", _("Training attendance record")
        CONSTRUCTION_LABOUR_CONTRACT = (
            "construction_labour_contract",
            _("Construction-site labour contract or project certificate"),
        )
        STATE_PREMISES_LEASE = "state_premises_lease", _("Lease of state-owned premises")
        OTHER = "other", _("Other document")

    class CheckStatus(models.TextChoices):
        PENDING = "pending", _("Being checked")
        PASSED = "passed", _("Checked")
        FLAGGED = "flagged", _("Needs a look")
        FAILED = "failed", _("Could not be checked")

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(_("kind"), max_length=40, choices=Kind.choices)
    file = models.FileField(_("file"), upload_to=document_upload_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveIntegerField(_("size in bytes"))
    content_type = models.CharField(_("type"), max_length=50)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True, db_index=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    check_status = models.CharField(_("check"), max_length=10, choices=CheckStatus.choices, default=CheckStatus.PENDING)
    check_results = models.JSONField(_("check results"), default=dict, blank=True)
    page_count = models.PositiveIntegerField(_("pages"), null=True, blank=True)
    checked_at = models.DateTimeField(_("checked at"), null=True, blank=True)
    check_attempts = models.PositiveSmallIntegerField(default=0)
    # The document's address (``documents/<token>/``): random, so it cannot be guessed from another's.
    token = models.UUIDField(_("link token"), default=uuid.uuid4, unique=True, editable=False)

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        # The queue's two document flags look up a case's documents with a problem: these partial
        # indexes hold only those, so a flag is found without reading the other documents.
        indexes = [
            models.Index(
                fields=["application"],
                condition=Q(check_status__in=PROBLEM_CHECK_STATES),
                name="document_check_problem",
            ),
            models.Index(
                fields=["application"],
                condition=Q(check_results__problems__icontains=DUPLICATE_FILE_PROBLEM),
                name="document_duplicate_file",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.original_name})"

    def save(self, *args, **kwargs):
        adding = self._state.adding
        super().save(*args, **kwargs)
        if not (adding and self.check_status == self.CheckStatus.PENDING):  # a new upload flags nothing yet
            from applications import case_flags

            case_flags.refresh_documents({self.application_id})

    def delete(self, *args, **kwargs):
        application_id = self.application_id
        answer = super().delete(*args, **kwargs)
        from applications import case_flags

        case_flags.refresh_documents({application_id})
        return answer

    @property
    def problem_messages(self) -> list[str]:
        """What the automated check found, in words for the person who uploaded it."""
        from applications.documents import problem_message

        return [problem_message(code) for code in self.check_results.get("problems", [])]


class Notification(models.Model):
    """A message to a person, kept before it is sent (the outbox).

    The row is written in the same transaction as the change it reports; the
    broker only carries the wake-up call, and beat resends what is still
    waiting, so a message is never lost when Redis is down. The inbox channel is
    delivered by being stored.

    One message is its inbox row and its deliveries by SMS and e-mail, which point
    at it (``inbox_message``). A delivery that cannot be made falls back to the
    next channel (SMS, then e-mail, then the inbox): a new row that points at the
    failed one (``fallback_of``). Each change of ``state`` is kept as a
    ``DeliveryEvent`` (``applications.services.outbox.delivery_transition``).
    """

    class Channel(models.TextChoices):
        EMAIL = "email", _("E-mail")
        SMS = "sms", _("SMS")
        INBOX = "inbox", _("Inbox")

    class Event(models.TextChoices):
        SUBMITTED = "submitted", _("Application received")
        INFO_REQUESTED = "info_requested", _("More information needed")
        APPROVED = "approved", _("Application approved")
        REJECTED = "rejected", _("Application rejected")
        SLA_OVERDUE = "sla_overdue", _("Decision overdue")
        INFO_REMINDER = "info_reminder", _("Reminder: information still needed")
        RECONSIDERATION_APPROVED = "reconsideration_ok", _("Reconsideration: approved")
        RECONSIDERATION_REJECTED = "reconsideration_no", _("Reconsideration: refusal upheld")
        REFERRED = "referred", _("Referred to the partner")
        FULFILLED = "fulfilled", _("Outcome recorded")
        PARTNER_DECLINED = "partner_declined", _("Declined by the partner")
        # applications.outreach: an invitation sent to the inbox of a person the registry shows as eligible.
        INVITATION = "invitation", _("Invitation to apply")
        # applications.clocks: a window to apply closes in 30 or 7 days.
        WINDOW_REMINDER = "window_reminder", _("Reminder: the time to apply ends soon")
        # applications.retention: a draft untouched for 75 days is removed at 90.
        DRAFT_EXPIRING = "draft_expiring", _("Your draft will be removed")

    class State(models.TextChoices):
        # The states of every outbox (applications.services.outbox).
        QUEUED = "queued", _("Queued")
        # Taken by the provider, which will report whether it reached the phone.
        SENDING = "sending", _("Sending")
        DELIVERED = "delivered", _("Delivered")
        TEMPORARY_FAILURE = "temporary_failure", _("Temporary failure")
        PERMANENT_FAILURE = "permanent_failure", _("Permanent failure")

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="notifications")
    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, null=True, blank=True, related_name="notifications"
    )
    event = models.CharField(_("event"), max_length=20, choices=Event.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    language = models.CharField(_("language"), max_length=10)
    address = models.CharField(_("sent to"), max_length=254, blank=True)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("message"))
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    # The next try of a waiting row; for one being sent, when the provider is next asked for its report.
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    # The provider's id of the message (Alibaba Cloud's BizId), by which its delivery report is found.
    provider_message_id = models.CharField(_("provider's message id"), max_length=64, blank=True)
    inbox_message = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deliveries",
        verbose_name=_("inbox message"),
    )
    fallback_of = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="fallbacks",
        verbose_name=_("fallback for"),
    )
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index(fields=["state", "next_attempt_at"]),
            models.Index(fields=["provider_message_id"], name="notification_provider_id"),
        ]

    def __str__(self) -> str:
        return f"{self.event} by {self.channel} to {self.recipient_id}"


class DeliveryEvent(models.Model):
    """One change of a message's delivery state: what happened, when, on which attempt and
    channel, with the provider's id of the message or its error, and where it fell back to."""

    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="delivery_events", verbose_name=_("message")
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    status = models.CharField(_("status"), max_length=20, choices=Notification.State.choices)
    attempt = models.PositiveSmallIntegerField(_("attempt"), default=0)
    channel = models.CharField(_("channel"), max_length=10, choices=Notification.Channel.choices)
    provider_message_id = models.CharField(_("provider's message id"), max_length=64, blank=True)
    error = models.CharField(_("error"), max_length=300, blank=True)
    fallback_to = models.ForeignKey(
        Notification, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("fell back to")
    )

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("delivery event")
        verbose_name_plural = _("delivery events")

    def __str__(self) -> str:
        return f"message {self.notification_id}: {self.status} at {self.at:%Y-%m-%d %H:%M}"


class ReasonCode(models.Model):
    """A reason for refusing an application, set up by administrators in both
    languages; its text is what the applicant reads."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    text_zh = models.TextField(_("text for the applicant (Chinese)"))
    text_en = models.TextField(_("text for the applicant (English)"))
    active = models.BooleanField(_("in use"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("rejection reason")
        verbose_name_plural = _("rejection reasons")

    def __str__(self) -> str:
        return self.code

    def text(self, language: str) -> str:
        return self.text_zh if language.startswith("zh") else self.text_en


class Approval(models.Model):
    """One approval of an application. Above ``review.four_eyes_threshold`` a
    second one, by a supervisor who did not give the first, is needed."""

    class Stage(models.IntegerChoices):
        FIRST = 1, _("first approval")
        SECOND = 2, _("second approval")

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="approvals")
    stage = models.PositiveSmallIntegerField(_("stage"), choices=Stage.choices)
    approver = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2, null=True, blank=True)
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        ordering = ["application", "stage"]
        verbose_name = _("approval")
        verbose_name_plural = _("approvals")
        constraints = [models.UniqueConstraint(fields=["application", "stage"], name="approval_one_per_stage")]

    def __str__(self) -> str:
        return f"{self.application_id} stage {self.stage} by {self.approver_id}"


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AuditImmutable

    def delete(self):
        raise AuditImmutable


class AuditImmutable(Exception):
    """The audit trail is append-only."""


class AuditEntry(models.Model):
    """Append-only record of every decision, transition and view of personal data.

    Rows are only ever inserted (``applications.services.audit.audit_record``);
    the ORM refuses updates and deletes, and on PostgreSQL a trigger refuses
    them too.
    """

    class Action(models.TextChoices):
        TRANSITION = "transition", _("status changed")
        DECISION = "decision", _("decision")
        VIEW_PERSONAL_DATA = "view_personal_data", _("personal data revealed")
        VIEW_DOCUMENT = "view_document", _("document opened")
        VIEW_CASE = "view_case", _("case opened")
        NOTE = "note", _("internal note")
        PARAMETER = "parameter", _("parameter changed")
        # Every use of a department registry's data (eligibility.registry, eligibility.matching,
        # applications.outreach); ``details["registry_person"]`` names the person where there is one.
        REGISTRY_IMPORTED = "registry_imported", _("registry file imported")
        REGISTRY_ROWS_DELETED = "registry_rows_deleted", _("registry data deleted")
        REGISTRY_VIEWED = "registry_viewed", _("registry data looked up")
        REGISTRY_MATCHED = "registry_matched", _("registry matched with the programmes")
        REGISTRY_PREFILLED = "registry_prefilled", _("application pre-filled from the registry")
        INVITATION_OPENED = "invitation_opened", _("invitation opened")
        REGISTRY_OPTED_OUT = "registry_opted_out", _("invitations declined")
        IDENTITY_MISMATCH = "identity_mismatch", _("wrong identity number for an invitation")
        IDENTITY_ATTEMPT_REFUSED = "identity_attempt_refused", _("identity number refused after too many tries")

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    action = models.CharField(_("action"), max_length=30, choices=Action.choices)
    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, null=True, blank=True, related_name="audit_entries"
    )
    details = models.JSONField(_("details"), default=dict, blank=True)
    ip_address = models.GenericIPAddressField(_("address"), null=True, blank=True)
    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    # The hash chain (``applications.services.audit``): entries are numbered 1, 2, 3, … without gaps,
    # and each hash covers the entry's content and the previous entry's hash.
    sequence = models.PositiveBigIntegerField(_("number"), unique=True)
    previous_hash = models.CharField(_("hash of the previous entry"), max_length=64)
    entry_hash = models.CharField(_("hash"), max_length=64)

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit trail")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_id} {self.action}"

    def save(self, *args, **kwargs):
        # Append-only: an existing row is never written again.
        if self.pk is not None and not kwargs.get("force_insert"):
            raise AuditImmutable
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditImmutable


class Payment(models.Model):
    """One payment of an approved cash subsidy: the schedule has one (once) or one per month."""

    class State(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        EXPORTED = "exported", _("Sent to finance")
        CANCELLED = "cancelled", _("Cancelled")

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="payments")
    # The application's region, copied when the instalment is scheduled (a case never changes
    # region): a supervisor's month of payments is read by (region, due date) without visiting
    # every case of the city that has a payment that month.
    region = models.CharField(_("region"), max_length=6, blank=True, default="", editable=False)
    sequence = models.PositiveSmallIntegerField(_("instalment"))
    due_on = models.DateField(_("due on"), db_index=True)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.SCHEDULED)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["application", "sequence"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [models.UniqueConstraint(fields=["application", "sequence"], name="payment_one_per_instalment")]
        # After the region and due date, what the export reads of the instalment: a month is read
        # from the index alone, not from rows scattered over the years the table was written.
        indexes = [
            models.Index(
                fields=["region", "due_on", "application", "sequence", "state", "amount", "id"],
                name="payment_region_due",
            )
        ]

    def __str__(self) -> str:
        return f"{self.application_id}#{self.sequence} {self.amount} on {self.due_on}"

    def save(self, *args, **kwargs):
        if not self.region and self.application_id:
            self.region = Application.objects.filter(pk=self.application_id).values_list("region", flat=True).get()
        super().save(*args, **kwargs)


class InformationRequest(models.Model):
    """A caseworker's request for documents and answers, with the date the reply is due.

    The reply is due ``review.rfi_reply_days`` days (in force on the request
    date) after the request; a reminder goes out three days before. After the
    due date the caseworker may decide on what the case holds.
    """

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="information_requests")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    document_kinds = models.JSONField(_("documents asked for"), default=list, blank=True)
    questions = models.JSONField(_("questions"), default=list, blank=True)
    reply_due_on = models.DateField(_("reply due"))
    reminder_sent_at = models.DateTimeField(_("reminder sent at"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    answers = models.JSONField(_("answers"), default=list, blank=True)
    # Set when the case left the request unanswered (the due date passed and staff went on).
    lapsed_at = models.DateTimeField(_("closed unanswered at"), null=True, blank=True)

    class Meta:
        ordering = ["requested_at", "id"]
        verbose_name = _("request for information")
        verbose_name_plural = _("requests for information")
        indexes = [models.Index(fields=["reply_due_on", "reminder_sent_at"])]

    def __str__(self) -> str:
        return f"{self.application_id}: due {self.reply_due_on}"

    @property
    def is_open(self) -> bool:
        return self.answered_at is None and self.lapsed_at is None

    @property
    def document_labels(self) -> list[str]:
        return [str(Document.Kind(kind).label) for kind in self.document_kinds if kind in Document.Kind.values]


class Reconsideration(models.Model):
    """The applicant's request to look at a refusal again, and what came of it.

    It keeps the refusal as it was (who, when, reasons, note, the evaluation
    then) beside the evaluation run when reconsideration was asked for; the
    person who refused cannot decide on it.
    """

    class Outcome(models.TextChoices):
        APPROVED = "approved", _("Approved on reconsideration")
        REJECTED = "rejected", _("Refusal upheld")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="reconsiderations")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    grounds = models.TextField(_("reasons given by the applicant"))
    rejected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    rejected_at = models.DateTimeField(_("refused at"))
    rejection_reason_codes = models.JSONField(_("reasons for the refusal"), default=list, blank=True)
    rejection_note = models.TextField(_("refusal as the applicant read it"), blank=True)
    rejection_evaluation = models.JSONField(_("evaluation at the refusal"), null=True, blank=True)
    evaluation = models.JSONField(_("evaluation when reconsideration was asked for"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("decision"), blank=True)

    class Meta:
        ordering = ["requested_at", "id"]
        verbose_name = _("reconsideration")
        verbose_name_plural = _("reconsiderations")
        constraints = [
            # One reconsideration per application: its decision is final.
            models.UniqueConstraint(fields=["application"], name="reconsideration_one_per_application"),
        ]

    def __str__(self) -> str:
        return f"{self.application_id}: reconsideration {self.outcome or 'open'}"

    @property
    def is_open(self) -> bool:
        return not self.outcome


class Fulfilment(models.Model):
    """How an approved case of a programme without cash ended: the outcome the caseworker recorded.

    One per case. ``kind`` is the programme's fulfilment (``ProgrammeRules.fulfilment``);
    ``details`` what was recorded for it, checked by ``applications.services.fulfilment``
    (a site or course is also kept as it was when assigned, so editing the list later
    changes no assignment). ``partner`` and ``referred_on`` say to whom the case went and
    when, for the referrals export.
    """

    class Kind(models.TextChoices):
        LOAN = "loan", _("Guaranteed loan")
        ENROLMENT = "enrolment", _("Enrolment")
        SUSPENSION = "suspension", _("Suspension of premiums")
        SITE = "site", _("Business site")
        COURSE = "course", _("Training course")
        REFERRAL = "referral", _("Referral to civil affairs")
        PROJECT_COVER = "project_cover", _("Work-injury cover of the project")
        RENT_RELIEF = "rent_relief", _("Rent relief")
        TAX_NOTICE = "tax_notice", _("Notice to the tax bureau")

    class Partner(models.TextChoices):
        BANK = "bank", _("Partner bank")
        CIVIL_AFFAIRS = "civil_affairs", _("Civil-affairs office")
        TAX_BUREAU = "tax_bureau", _("Tax bureau")

    application = models.OneToOneField(Application, on_delete=models.PROTECT, related_name="fulfilment")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    details = models.JSONField(_("details"), default=dict)
    site = models.ForeignKey(
        "eligibility.IncubatorSite",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="fulfilments",
        verbose_name=_("incubator site"),
    )
    course = models.ForeignKey(
        "eligibility.TrainingCourse",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="fulfilments",
        verbose_name=_("training course"),
    )
    partner = models.CharField(_("partner"), max_length=20, choices=Partner.choices, blank=True)
    partner_name = models.CharField(_("partner's name"), max_length=200, blank=True)
    referred_on = models.DateField(_("referred on"), null=True, blank=True, db_index=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        ordering = ["-recorded_at", "-id"]
        verbose_name = _("fulfilment")
        verbose_name_plural = _("fulfilments")

    def __str__(self) -> str:
        return f"{self.application_id}: {self.kind}"

    @property
    def outcome_text(self) -> str:
        """The outcome in one sentence, in the active language."""
        from applications.services.fulfilment import fulfilment_outcome_text

        return fulfilment_outcome_text(self)


class DashboardSnapshot(models.Model):
    """A region's dashboard figures as rendered in one language, counted by beat every few minutes.

    Counting them live reads every decided case, payment and registry result of the
    city (seconds at a million applications); the page shows the latest snapshot and
    the time it was taken (``applications.supervision.snapshot``). It holds counts and
    sums only, no personal data.
    """

    region = models.CharField(_("region"), max_length=6)
    language = models.CharField(_("language"), max_length=10)
    html = models.TextField(_("figures"))
    computed_at = models.DateTimeField(_("counted at"))
    seconds = models.FloatField(_("seconds to count"), default=0)

    class Meta:
        verbose_name = _("dashboard snapshot")
        verbose_name_plural = _("dashboard snapshots")
        constraints = [models.UniqueConstraint(fields=["region", "language"], name="dashboard_snapshot_unique")]

    def __str__(self) -> str:
        return f"{self.region} {self.language} {self.computed_at:%Y-%m-%d %H:%M}"
