"""Invitations to the people a department's registry shows as eligible (免申即享), the messages that carry
them, and what an application took over from the registry.

An ``Invitation`` is one person and one programme, never two for the same pair; an
``InvitationMessage`` carries all of a person's waiting invitations at once, at most
one a week (``applications.outreach.services``). Messages are kept here, not in
``applications.Notification``, because most people of a registry have no account and
a notification needs a recipient who has one; they are delivered with the same
gateways and the same retries as the portal's outbox.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from applications.crypto import EncryptedTextField


class InvitationMessage(models.Model):
    """One message to one person, covering one or more invitations."""

    class Channel(models.TextChoices):
        SMS = "sms", _("SMS")
        EMAIL = "email", _("E-mail")
        INBOX = "inbox", _("Inbox")

    class State(models.TextChoices):
        # The states of every outbox (applications.services.outbox).
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        DELIVERED = "delivered", _("Delivered")
        TEMPORARY_FAILURE = "temporary_failure", _("Temporary failure")
        PERMANENT_FAILURE = "permanent_failure", _("Permanent failure")

    person = models.ForeignKey(
        "registry.RegistryPerson",
        on_delete=models.CASCADE,
        related_name="invitation_messages",
        verbose_name=_("person"),
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    language = models.CharField(_("language"), max_length=10)
    # A mobile number or an e-mail address: personal data, encrypted like the registry's own.
    address = EncryptedTextField(_("sent to"), blank=True)
    # The account whose inbox receives the message (channel "inbox").
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("message"))
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    # The SMS provider's id of the message (Alibaba Cloud's BizId): its delivery reports name it.
    provider_message_id = models.CharField(_("provider's message id"), max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField(_("created at"), db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("invitation message")
        verbose_name_plural = _("invitation messages")
        indexes = [
            models.Index(fields=["person", "created_at"]),
            models.Index(fields=["state", "next_attempt_at"]),
        ]

    def __str__(self) -> str:
        return f"invitation message {self.pk} by {self.channel} to person {self.person_id}"


class InvitationDeliveryEvent(models.Model):
    """One change of an invitation message's delivery state, as ``applications.DeliveryEvent``
    keeps them for the portal's own messages: what happened, when, on which attempt and channel,
    with the provider's id of the message or its error, and the message it fell back to."""

    message = models.ForeignKey(
        InvitationMessage, on_delete=models.CASCADE, related_name="delivery_events", verbose_name=_("message")
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    status = models.CharField(_("status"), max_length=20, choices=InvitationMessage.State.choices)
    attempt = models.PositiveSmallIntegerField(_("attempt"), default=0)
    channel = models.CharField(_("channel"), max_length=10, choices=InvitationMessage.Channel.choices)
    provider_message_id = models.CharField(_("provider's message id"), max_length=64, blank=True)
    error = models.CharField(_("error"), max_length=300, blank=True)
    fallback_to = models.ForeignKey(
        InvitationMessage,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("fell back to"),
    )

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("invitation delivery event")
        verbose_name_plural = _("invitation delivery events")

    def __str__(self) -> str:
        return f"invitation message {self.message_id}: {self.status} at {self.at:%Y-%m-%d %H:%M}"


class Invitation(models.Model):
    """A person the registry shows as eligible for a programme, asked to apply."""

    person = models.ForeignKey(
        "registry.RegistryPerson", on_delete=models.CASCADE, related_name="invitations", verbose_name=_("person")
    )
    programme = models.ForeignKey(
        "eligibility.Programme", on_delete=models.CASCADE, related_name="invitations", verbose_name=_("programme")
    )
    run = models.ForeignKey(
        "matching.MatchRun",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="invitation_rows",
        verbose_name=_("matching run"),
    )
    # The invitation's address (``/invitations/<token>/``): random, so one link gives no way to guess another.
    token = models.UUIDField(_("link token"), default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(_("created at"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    message = models.ForeignKey(
        InvitationMessage,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="invitations",
        verbose_name=_("message"),
    )
    opened_at = models.DateTimeField(_("first opened at"), null=True, blank=True)
    application = models.ForeignKey(
        "applications.Application",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="invitations",
        verbose_name=_("application"),
    )

    class Meta:
        ordering = ["person", "programme__position"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        constraints = [
            # Never twice for the same programme.
            models.UniqueConstraint(fields=["person", "programme"], name="invitation_one_per_programme"),
        ]

    def __str__(self) -> str:
        return f"invitation of person {self.person_id} to {self.programme_id}"


class PrefilledFact(models.Model):
    """One answer of an application that was taken over from the registry: which department
    provided it and on what date, and whether the person confirmed or corrected it.

    ``fact`` is a catalogue fact, or ``full_name`` / ``mobile`` for the personal details.
    ``value`` is what the registry held (as JSON), encrypted: it includes names and numbers.
    """

    application = models.ForeignKey(
        "applications.Application", on_delete=models.CASCADE, related_name="prefilled_facts"
    )
    fact = models.CharField(_("answer"), max_length=40)
    value = EncryptedTextField(_("value in the registry"))
    source = models.CharField(_("department"), max_length=30)
    provided_on = models.DateField(_("provided on"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    corrected_at = models.DateTimeField(_("corrected at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["application", "id"]
        verbose_name = _("answer taken from a registry")
        verbose_name_plural = _("answers taken from registries")
        constraints = [models.UniqueConstraint(fields=["application", "fact"], name="prefilled_fact_once")]

    def __str__(self) -> str:
        return f"{self.application_id}: {self.fact} from {self.source}"


class IdentityAttempt(models.Model):
    """One identity number typed on an invitation's "Apply" page that did not prove the invitation
    the person's: a number that is not the invited person's (``refused`` false), or a try made while
    further tries were refused (``refused`` true).

    Kept in the database, not in a cache, so that every process of the portal counts the same
    tries (``applications.outreach.services.attempts``). The number typed is never kept. The try
    that reaches a limit carries when the refusal it starts ends: ``invitation_locked_until`` for
    everyone trying this invitation, ``account_locked_until`` for this account on any invitation.
    """

    invitation = models.ForeignKey(
        Invitation, on_delete=models.CASCADE, related_name="identity_attempts", verbose_name=_("invitation")
    )
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("account")
    )
    at = models.DateTimeField(_("at"), db_index=True)
    refused = models.BooleanField(_("refused without checking"), default=False)
    invitation_locked_until = models.DateTimeField(_("invitation refused until"), null=True, blank=True)
    account_locked_until = models.DateTimeField(_("account refused until"), null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("identity number attempt")
        verbose_name_plural = _("identity number attempts")
        indexes = [
            models.Index(fields=["invitation", "at"], name="identity_attempt_invitation"),
            models.Index(fields=["account", "at"], name="identity_attempt_account"),
        ]

    def __str__(self) -> str:
        return f"identity attempt on invitation {self.invitation_id} by {self.account_id} at {self.at:%Y-%m-%d %H:%M}"
