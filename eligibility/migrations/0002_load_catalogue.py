"""Loads the shipped policy catalogue (eligibility/policy/catalogue.yaml), so that
a fresh database answers screenings at once (POLICY_CATALOG.md, section 6)."""

from django.db import migrations

from eligibility.policy_file import load_shipped_catalogue


class Migration(migrations.Migration):
    dependencies = [
        ("eligibility", "0001_initial"),
    ]

    operations = [migrations.RunPython(load_shipped_catalogue, migrations.RunPython.noop)]
