"""Loads the shipped policy catalogue again, so that databases migrated before
release 2 get its new parameter values (``review.rfi_reply_days``). Importing
only adds values that are new; values already in force are kept
(POLICY_CATALOG.md, section 6)."""

from django.db import migrations

from eligibility.policy_file import load_shipped_catalogue


class Migration(migrations.Migration):
    dependencies = [
        ("eligibility", "0003_policy_admin_permissions"),
    ]

    operations = [migrations.RunPython(load_shipped_catalogue, migrations.RunPython.noop)]
