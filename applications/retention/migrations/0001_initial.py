"""Retention's own records, and the shipped policy catalogue loaded again so that a database
migrated before retention gets its local settings (``retention.closed_case_years``,
``retention.draft_days``, ``retention.draft_notice_days``). Loading only adds what is new;
values already in force are kept (POLICY_CATALOG.md, section 6)."""

import django.db.models.deletion
from django.db import migrations, models

from eligibility.policy_file import load_shipped_catalogue


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("applications", "0011_registry_audit_actions"),
        ("eligibility", "0007_parameter_proposals"),
    ]

    operations = [
        migrations.CreateModel(
            name="AnonymisedCase",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "basis",
                    models.CharField(
                        choices=[
                            ("closed_case", "retention period of a closed case ended"),
                            ("abandoned_draft", "draft abandoned"),
                            ("draft_deleted", "draft deleted by the applicant"),
                        ],
                        max_length=20,
                        verbose_name="why",
                    ),
                ),
                ("closed_on", models.DateField(blank=True, null=True, verbose_name="closed in the month of")),
                ("anonymised_on", models.DateField(verbose_name="anonymised on")),
                ("identity_hash_kept", models.BooleanField(default=False, verbose_name="identity number hash kept")),
                (
                    "application",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="anonymisation",
                        to="applications.application",
                        verbose_name="case",
                    ),
                ),
            ],
            options={
                "verbose_name": "anonymised case",
                "verbose_name_plural": "anonymised cases",
                "ordering": ["-anonymised_on", "-id"],
            },
        ),
        migrations.CreateModel(
            name="DraftNotice",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("activity_at", models.DateTimeField(verbose_name="last activity the notice was about")),
                ("notified_on", models.DateField(verbose_name="notice sent on")),
                ("removal_on", models.DateField(db_index=True, verbose_name="to be removed on")),
                (
                    "application",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="draft_notice",
                        to="applications.application",
                        verbose_name="draft",
                    ),
                ),
            ],
            options={
                "verbose_name": "notice before a draft is removed",
                "verbose_name_plural": "notices before drafts are removed",
            },
        ),
        migrations.RunPython(load_shipped_catalogue, migrations.RunPython.noop),
    ]
