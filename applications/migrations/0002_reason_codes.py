"""Seeds the usual reasons for refusing an application, in both languages.

Administrators edit, add or retire them in the Django admin; this only gives a
new installation a working set. Existing rows with the same code are left as
an administrator made them.
"""

from django.db import migrations

REASONS = [
    (
        "not-in-target-group",
        "您不属于本项目的扶持对象（例如：毕业年限已超出规定期限，或未取得就业困难人员认定）。",
        "You are not in the group of people this programme supports (for example, you graduated longer ago "
        "than the programme allows, or you are not certified as a person with employment difficulties).",
    ),
    (
        "documents-missing",
        "您提交的材料不完整或无法核实，我们无法据此作出批准决定。",
        "The documents you sent are incomplete or could not be verified, so we cannot approve the application on them.",
    ),
    (
        "not-flexible-employment",
        "您目前的就业形式不属于灵活就业（非全日制、平台就业或个体经营）。",
        "Your current work is not flexible employment (part-time work, work through an internet platform or "
        "self-employment).",
    ),
    (
        "duplicate-application",
        "您已就同一事项申请或领取过补贴，同一补贴不能重复享受。",
        "You have already applied for or received this subsidy; the same subsidy cannot be paid twice.",
    ),
    (
        "outside-region",
        "您的户籍或社会保险参保地不在本地区，请向参保地的人力社保部门申请。",
        "Your household registration or social insurance is not in this region; apply to the human resources "
        "and social security bureau where you are insured.",
    ),
]


def seed(apps, schema_editor):
    ReasonCode = apps.get_model("applications", "ReasonCode")
    for code, text_zh, text_en in REASONS:
        ReasonCode.objects.get_or_create(code=code, defaults={"text_zh": text_zh, "text_en": text_en})


def unseed(apps, schema_editor):
    ReasonCode = apps.get_model("applications", "ReasonCode")
    ReasonCode.objects.filter(code__in=[code for code, _zh, _en in REASONS]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("applications", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(seed, unseed),
    ]
