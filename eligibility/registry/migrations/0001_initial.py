import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import applications.crypto


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="RegistryPerson",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "id_number",
                    applications.crypto.EncryptedTextField(max_length=18, verbose_name="resident identity number"),
                ),
                (
                    "id_number_hash",
                    applications.crypto.KeyedHashField(
                        blank=True,
                        default="",
                        editable=False,
                        max_length=64,
                        source="id_number",
                        unique=True,
                        verbose_name="identity number hash",
                    ),
                ),
                (
                    "full_name",
                    applications.crypto.EncryptedTextField(blank=True, max_length=100, verbose_name="full name"),
                ),
                (
                    "mobile",
                    applications.crypto.EncryptedTextField(blank=True, max_length=11, verbose_name="mobile number"),
                ),
                (
                    "email",
                    applications.crypto.EncryptedTextField(blank=True, max_length=254, verbose_name="e-mail address"),
                ),
                ("language", models.CharField(default="zh-hans", max_length=10, verbose_name="language")),
                ("facts", models.JSONField(blank=True, default=dict, verbose_name="facts")),
                ("fact_sources", models.JSONField(blank=True, default=dict, verbose_name="sources of the facts")),
                (
                    "detail_sources",
                    models.JSONField(blank=True, default=dict, verbose_name="sources of the contact details"),
                ),
                ("opted_out_at", models.DateTimeField(blank=True, null=True, verbose_name="opted out at")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="created at")),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="updated at")),
            ],
            options={
                "verbose_name": "registry person",
                "verbose_name_plural": "registry persons",
                "ordering": ["id"],
                "permissions": [("view_registry_data", "Can see registry data")],
            },
        ),
        migrations.CreateModel(
            name="RegistryImport",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "source",
                    models.CharField(
                        choices=[
                            ("hrss", "Human Resources and Social Security Bureau"),
                            ("education", "Education Bureau"),
                            ("civil_affairs", "Civil Affairs Bureau"),
                            ("market_regulation", "Market Regulation Administration"),
                            ("tax", "Tax Bureau"),
                            ("medical_security", "Healthcare Security Administration"),
                        ],
                        max_length=30,
                        verbose_name="source department",
                    ),
                ),
                ("file_name", models.CharField(max_length=255, verbose_name="file name")),
                ("stored_file", models.CharField(blank=True, max_length=255, verbose_name="stored file")),
                (
                    "state",
                    models.CharField(
                        choices=[("queued", "queued"), ("running", "running"), ("done", "done"), ("failed", "failed")],
                        default="queued",
                        max_length=10,
                        verbose_name="state",
                    ),
                ),
                ("total", models.PositiveIntegerField(default=0, verbose_name="rows")),
                ("processed", models.PositiveIntegerField(default=0, verbose_name="rows read")),
                ("created", models.PositiveIntegerField(default=0, verbose_name="persons added")),
                ("updated", models.PositiveIntegerField(default=0, verbose_name="persons updated")),
                ("deleted", models.PositiveIntegerField(default=0, verbose_name="persons deleted")),
                ("rejected", models.PositiveIntegerField(default=0, verbose_name="rows rejected")),
                ("error", models.TextField(blank=True, verbose_name="error")),
                ("language", models.CharField(default="zh-hans", max_length=10, verbose_name="language")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="uploaded at")),
                ("started_at", models.DateTimeField(blank=True, null=True, verbose_name="started at")),
                ("finished_at", models.DateTimeField(blank=True, null=True, verbose_name="finished at")),
                (
                    "uploaded_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="uploaded by",
                    ),
                ),
            ],
            options={
                "verbose_name": "registry import",
                "verbose_name_plural": "registry imports",
                "ordering": ["-created_at", "-id"],
            },
        ),
        migrations.CreateModel(
            name="ImportProblem",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("line", models.PositiveIntegerField(verbose_name="line")),
                ("field", models.CharField(blank=True, max_length=100, verbose_name="field")),
                ("message", models.TextField(verbose_name="reason")),
                (
                    "registry_import",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="problems",
                        to="registry.registryimport",
                        verbose_name="import",
                    ),
                ),
            ],
            options={
                "verbose_name": "import problem",
                "verbose_name_plural": "import problems",
                "ordering": ["line", "id"],
            },
        ),
    ]
