import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

BATCH = 2000


def first_events(apps, schema_editor):
    """Each message's history starts with the state it is in; a message handed over is delivered then."""
    InvitationMessage = apps.get_model("outreach", "InvitationMessage")
    InvitationDeliveryEvent = apps.get_model("outreach", "InvitationDeliveryEvent")
    InvitationMessage.objects.filter(state="delivered", delivered_at__isnull=True).update(
        delivered_at=models.F("sent_at")
    )
    batch = []
    rows = InvitationMessage.objects.order_by("pk").values_list(
        "pk", "state", "channel", "attempts", "last_error", "sent_at", "created_at"
    )
    for pk, state, channel, attempts, error, sent_at, created_at in rows.iterator(chunk_size=BATCH):
        batch.append(
            InvitationDeliveryEvent(
                message_id=pk, status=state, attempt=attempts, channel=channel, error=error, at=sent_at or created_at
            )
        )
        if len(batch) >= BATCH:
            InvitationDeliveryEvent.objects.bulk_create(batch)
            batch = []
    InvitationDeliveryEvent.objects.bulk_create(batch)


class Migration(migrations.Migration):
    dependencies = [
        ("outreach", "0003_delivery_status"),
    ]

    operations = [
        migrations.AddField(
            model_name="invitationmessage",
            name="delivered_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="delivered at"),
        ),
        migrations.AddField(
            model_name="invitationmessage",
            name="provider_message_id",
            field=models.CharField(blank=True, db_index=True, max_length=64, verbose_name="provider's message id"),
        ),
        migrations.CreateModel(
            name="InvitationDeliveryEvent",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="at")),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("queued", "Queued"),
                            ("sending", "Sending"),
                            ("delivered", "Delivered"),
                            ("temporary_failure", "Temporary failure"),
                            ("permanent_failure", "Permanent failure"),
                        ],
                        max_length=20,
                        verbose_name="status",
                    ),
                ),
                ("attempt", models.PositiveSmallIntegerField(default=0, verbose_name="attempt")),
                (
                    "channel",
                    models.CharField(
                        choices=[("sms", "SMS"), ("email", "E-mail"), ("inbox", "Inbox")],
                        max_length=10,
                        verbose_name="channel",
                    ),
                ),
                (
                    "provider_message_id",
                    models.CharField(blank=True, max_length=64, verbose_name="provider's message id"),
                ),
                ("error", models.CharField(blank=True, max_length=300, verbose_name="error")),
                (
                    "fallback_to",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="outreach.invitationmessage",
                        verbose_name="fell back to",
                    ),
                ),
                (
                    "message",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="delivery_events",
                        to="outreach.invitationmessage",
                        verbose_name="message",
                    ),
                ),
            ],
            options={
                "verbose_name": "invitation delivery event",
                "verbose_name_plural": "invitation delivery events",
                "ordering": ["at", "id"],
            },
        ),
        migrations.RunPython(first_events, migrations.RunPython.noop),
    ]
