"""The programme kinds and ``per: year`` of release 2 (POLICY_CATALOG.md, sections 4
and 5), then the shipped policy catalogue loaded again, so that databases migrated
before the seven programmes of release 2 get them, with their new parameters.
Importing only adds what is new; values already in force are kept
(POLICY_CATALOG.md, section 6)."""

from django.db import migrations, models

from eligibility.policy_file import load_shipped_catalogue


class Migration(migrations.Migration):
    dependencies = [
        ("eligibility", "0004_release_2_parameters"),
    ]

    operations = [
        migrations.AlterField(
            model_name="programme",
            name="kind",
            field=models.CharField(
                choices=[
                    ("monthly_cash", "monthly cash subsidy"),
                    ("one_off_cash", "one-off cash subsidy"),
                    ("loan", "loan"),
                    ("service", "service, no cash"),
                    ("request", "request, no cash"),
                    ("training_place", "free training place, no cash"),
                    ("referral", "referral, no cash from this portal"),
                    ("coverage_check", "coverage check, no cash"),
                    ("rent_reduction", "rent reduction, no cash from this portal"),
                    ("tax_deduction", "tax deduction, no cash from this portal"),
                ],
                max_length=20,
                verbose_name="kind",
            ),
        ),
        migrations.AlterField(
            model_name="programme",
            name="per",
            field=models.CharField(
                choices=[
                    ("month", "per month"),
                    ("year", "per year"),
                    ("once", "once"),
                    ("loan", "loan"),
                    ("none", "no cash"),
                ],
                max_length=10,
                verbose_name="paid",
            ),
        ),
        migrations.RunPython(load_shipped_catalogue, migrations.RunPython.noop),
    ]
