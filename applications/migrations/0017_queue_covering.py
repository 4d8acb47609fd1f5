from django.db import migrations, models

from portal.migration_operations import AddIndexConcurrently, RemoveIndexConcurrently

IN_PROGRESS = models.Q(
    ("status__in", ["submitted", "in_review", "info_requested", "pending_approval", "reconsideration", "referred"])
)
COVERED = ["status", "programme", "assigned_to", "submitted_on", "sla_paused_on", "overdue_flagged_at"]


class Migration(migrations.Migration):
    # The indexes are built CONCURRENTLY on PostgreSQL: outside a transaction.
    atomic = False

    dependencies = [
        ("applications", "0016_case_flags"),
    ]

    operations = [
        RemoveIndexConcurrently(model_name="application", name="application_queue_due"),
        RemoveIndexConcurrently(model_name="application", name="application_queue_sent"),
        RemoveIndexConcurrently(model_name="application", name="application_region_due"),
        AddIndexConcurrently(
            model_name="application",
            index=models.Index(
                condition=IN_PROGRESS,
                fields=["region", "sla_due_on", "submitted_at", "id", *COVERED],
                name="application_queue_due",
            ),
        ),
        AddIndexConcurrently(
            model_name="application",
            index=models.Index(
                condition=IN_PROGRESS,
                fields=["region", "submitted_at", "id", "sla_due_on", *COVERED],
                name="application_queue_sent",
            ),
        ),
        AddIndexConcurrently(
            model_name="application",
            index=models.Index(
                fields=["region", "sla_due_on", "submitted_at", "id", *COVERED], name="application_region_due"
            ),
        ),
        AddIndexConcurrently(
            model_name="application",
            index=models.Index(
                fields=["region", "submitted_at", "id", "sla_due_on", *COVERED], name="application_region_sent"
            ),
        ),
    ]
