import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("eligibility", "0007_parameter_proposals"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ReferenceExpectation",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("programme", models.CharField(max_length=60, verbose_name="programme")),
                ("valid_from", models.DateField(verbose_name="valid from")),
                ("status", models.CharField(max_length=20, verbose_name="expected status")),
                (
                    "amount",
                    models.DecimalField(
                        blank=True, decimal_places=2, max_digits=14, null=True, verbose_name="expected amount"
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now=True, verbose_name="set at")),
                (
                    "case",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="expectations",
                        to="eligibility.referencecase",
                        verbose_name="reference case",
                    ),
                ),
                (
                    "proposal",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="reference_expectations",
                        to="eligibility.parameterproposal",
                        verbose_name="approved proposal",
                    ),
                ),
                (
                    "set_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="set by",
                    ),
                ),
            ],
            options={
                "verbose_name": "expected result from a date",
                "verbose_name_plural": "expected results from a date",
                "ordering": ["case", "programme", "valid_from"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("case", "programme", "valid_from"), name="reference_expectation_one_per_date"
                    )
                ],
            },
        ),
    ]
