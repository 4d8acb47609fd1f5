"""Realistic registry rows for the demo, the browser journey and the bench (``manage.py registry_sample``).

Every row is valid: a Quzhou identity number with its right check character
(unique within a file of up to 15,000,000 rows, with no memory kept to ensure
it), a name, a mobile number, and a mix of target groups, forms of work and
flexible-employment insurance such as the departments hold.
"""

import random
from collections.abc import Iterator
from datetime import date, timedelta

from django.utils import timezone
from stdnum.cn import ric

from eligibility.facts import FACT_FIELDS, EmploymentForm, Group

QUZHOU_AREAS = ("330802", "330803", "330822", "330824", "330825", "330881")
COLUMNS = (
    "id_number",
    "full_name",
    "mobile",
    "email",
    "language",
    "recorded_on",
    *(
        name
        for name in FACT_FIELDS
        if name
        in {
            "birth_date",
            "region",
            "groups",
            "graduation_date",
            "employed_since_graduation",
            "employment_form",
            "pays_flexible_pension",
            "pays_flexible_medical",
            "training_certificate",
        }
    ),
)

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
    "余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯"
    "龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕彬鑫斌宇浩凯"
    "健俊帆帅旭宁龙林欣悦佳琪晨雨婷雪梦思怡嘉豪子轩梓涵诗雅文博"
)
BIRTH_BASE = date(1966, 1, 1)
BIRTH_SPAN_DAYS = 15000  # about 41 years: everyone is of working age
# A multiplier coprime with BIRTH_SPAN_DAYS spreads consecutive rows over the years.
BIRTH_STRIDE = 7919


def id_number_for(area: str, born: date, order: int) -> str:
    body = f"{area}{born:%Y%m%d}{order:03d}"
    return body + ric.calc_check_digit(body + "0")


def registry_rows(n: int, seed: int = 0, *, today: date | None = None) -> Iterator[dict[str, str]]:
    """``n`` rows (column → cell text, as in a department's CSV), the same for the same seed and day."""
    generator = random.Random(seed)  # noqa: S311 - demo data, the same for the same seed
    today = today or timezone.localdate()
    groups = list(Group)
    working_forms = [EmploymentForm.PART_TIME, EmploymentForm.PLATFORM, EmploymentForm.SELF_EMPLOYED]
    for index in range(n):
        # Birth day from the row's residue and order from its quotient: no two rows share both.
        born = BIRTH_BASE + timedelta(days=(index * BIRTH_STRIDE + seed) % BIRTH_SPAN_DAYS)
        order = (index // BIRTH_SPAN_DAYS + seed) % 1000
        area = generator.choice(QUZHOU_AREAS)
        age = today.year - born.year
        row = {
            "id_number": id_number_for(area, born, order),
            "full_name": generator.choice(SURNAMES) + "".join(generator.choices(GIVEN, k=generator.randint(1, 2))),
            "mobile": "1" + generator.choice("35789") + "".join(generator.choices("0123456789", k=9)),
            "email": "",
            "language": "en" if generator.random() < 0.1 else "zh-hans",
            "recorded_on": (today - timedelta(days=generator.randint(0, 180))).isoformat(),
            "birth_date": born.isoformat(),
            "region": generator.choice(QUZHOU_AREAS) if generator.random() < 0.2 else area,
            "groups": "",
            "graduation_date": "",
            "employed_since_graduation": "",
            "employment_form": "",
            "pays_flexible_pension": "",
            "pays_flexible_medical": "",
            "training_certificate": "",
        }
        if generator.random() < 0.3:
            row["email"] = f"person{seed}x{index}@example.cn"
        chosen: set[str] = set()
        graduated = None
        if age <= 30 and generator.random() < 0.6:
            graduated = date(born.year + 22, generator.choice((6, 7)), generator.randint(1, 30))
            if graduated <= today:
                chosen.add(Group.COLLEGE_GRADUATE)
                row["graduation_date"] = graduated.isoformat()
                row["employed_since_graduation"] = generator.choice(("true", "false", "false", ""))
        for group in groups:
            if group != Group.COLLEGE_GRADUATE and generator.random() < 0.12:
                chosen.add(group)
        row["groups"] = ";".join(sorted(chosen)) if chosen or generator.random() < 0.5 else ""
        if generator.random() < 0.85:
            row["employment_form"] = (
                generator.choice(working_forms) if generator.random() < 0.7 else generator.choice(list(EmploymentForm))
            )
        for insurance in ("pays_flexible_pension", "pays_flexible_medical"):
            draw = generator.random()
            row[insurance] = "true" if draw < 0.55 else "false" if draw < 0.85 else ""
        if generator.random() < 0.15:
            row["training_certificate"] = "true"
        yield {column: str(value) for column, value in row.items()}
