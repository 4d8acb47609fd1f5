"""The people of a seeded city: names, identity numbers, mobiles, addresses and bank cards.

Plain data about Quzhou and common Chinese names, drawn with the generator's own
``random.Random`` so that a seed gives the same people every time. Identity
numbers are valid (GB 11643 check character, an area code that exists, the birth
date the facts give); bank card numbers pass the Luhn check the form expects of a
card; mobile numbers are unique per account.
"""

import random
from dataclasses import dataclass
from datetime import date

from applications.id_numbers import known_area, with_check_character

# Common surnames (most frequent first), the first ones drawn more often.
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
MALE_GIVEN = "伟强磊军洋勇杰涛明超辉刚平鹏华飞斌宇浩凯健俊帆帅旭宁龙林欢阳建国志文博晨瑞轩浩然子豪"
FEMALE_GIVEN = "芳娜敏静丽艳娟霞秀英玲燕红梅琳婷雪慧颖倩洁佳欣悦怡晶璐瑶萍丹蕾薇雯琪嘉萱梦诗涵雨"

# The districts and counties of Quzhou (eligibility.regions), with subdistricts and towns of each.
DISTRICTS = {
    "330802": (
        "浙江省衢州市柯城区",
        ("府山街道", "荷花街道", "信安街道", "白云街道", "双港街道", "花园街道", "衢化街道"),
    ),
    "330803": ("浙江省衢州市衢江区", ("樟潭街道", "浮石街道", "东港街道", "高家镇", "廿里镇", "云溪乡")),
    "330822": ("浙江省衢州市常山县", ("天马街道", "紫港街道", "金川街道", "球川镇", "辉埠镇")),
    "330824": ("浙江省衢州市开化县", ("芹阳办事处", "华埠镇", "马金镇", "池淮镇", "音坑乡")),
    "330825": ("浙江省衢州市龙游县", ("龙洲街道", "东华街道", "湖镇镇", "詹家镇", "溪口镇")),
    "330881": ("浙江省江山市", ("双塔街道", "虎山街道", "清湖街道", "贺村镇", "峡口镇", "四都镇")),
}
# People by district (about the census shares): where applicants live.
DISTRICT_WEIGHTS = {"330802": 24, "330803": 18, "330822": 11, "330824": 11, "330825": 16, "330881": 20}
ROADS = (
    "人民路",
    "解放路",
    "新华路",
    "县学街",
    "荷花路",
    "花园路",
    "世纪大道",
    "文化路",
    "体育路",
    "通荷路",
    "衢江路",
    "九华大道",
    "城南路",
    "江滨路",
    "振兴路",
    "学府路",
    "西安路",
    "东方路",
    "中山路",
    "南湖路",
)
# Where people who moved to Quzhou were first registered (area codes that exist: known_area).
MIGRANT_AREAS = (
    "330102",
    "330106",
    "330282",
    "330382",
    "330702",
    "331002",
    "340104",
    "340822",
    "360102",
    "361102",
    "362330",
    "411102",
    "421022",
    "430521",
    "500101",
    "510104",
    "511302",
    "522101",
    "532101",
    "612401",
)
MIGRANT_SHARE = 0.18
MOBILE_PREFIXES = (
    "130",
    "131",
    "132",
    "133",
    "134",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "153",
    "155",
    "156",
    "157",
    "158",
    "159",
    "166",
    "173",
    "177",
    "180",
    "181",
    "182",
    "183",
    "185",
    "186",
    "187",
    "188",
    "189",
    "191",
    "198",
    "199",
)
# The 8 digits after a prefix: a fixed permutation of the serial, so numbers look scattered and never repeat.
_MOBILE_MULTIPLIER = 73_219_877  # coprime with 10**8
_MOBILE_OFFSET = 40_381_517
# (bank as the form asks for it, first six digits of its debit cards)
BANKS = (
    ("中国工商银行衢州分行", "622202"),
    ("中国农业银行衢州分行", "622848"),
    ("中国银行衢州市分行", "621661"),
    ("中国建设银行衢州分行", "621700"),
    ("交通银行衢州分行", "622262"),
    ("中国邮政储蓄银行衢州市分行", "621799"),
    ("浙江衢州柯城农村商业银行", "623091"),
    ("衢州衢江农村商业银行", "623092"),
    ("浙江江山农村商业银行", "621058"),
    ("浙江龙游农村商业银行", "623093"),
)
BANK_WEIGHTS = (20, 16, 10, 14, 6, 10, 8, 6, 6, 4)
_BANK_CUMULATIVE = tuple(sum(BANK_WEIGHTS[: position + 1]) for position in range(len(BANK_WEIGHTS)))


@dataclass
class Person:
    """An applicant: their account and what they enter on every application."""

    user_id: int
    mobile: str
    full_name: str
    birth_date: date
    id_number: str
    district: str
    address: str
    bank_name: str
    bank_account: str
    language: str
    profile: str
    applications_left: int
    programmes: set


def _weighted_surname(rng: random.Random) -> str:
    # The first surnames are far more common: the index is drawn with a falling density.
    return SURNAMES[min(len(SURNAMES) - 1, int(len(SURNAMES) * rng.random() ** 2.2))]


def full_name(rng: random.Random, *, male: bool) -> str:
    characters = MALE_GIVEN if male else FEMALE_GIVEN
    given = rng.choice(characters)
    if rng.random() < 0.72:
        given += rng.choice(characters)
    return _weighted_surname(rng) + given


def id_number(rng: random.Random, *, area: str, born: date, male: bool) -> str:
    """A valid 18-character number: area, birth date, order (odd for men) and its check character."""
    order = rng.randrange(0, 500) * 2 + (1 if male else 0)
    return with_check_character(f"{area}{born:%Y%m%d}{order:03d}")


def birth_area(rng: random.Random, district: str, migrant_areas: tuple[str, ...]) -> str:
    if migrant_areas and rng.random() < MIGRANT_SHARE:
        return rng.choice(migrant_areas)
    return district


def known_migrant_areas() -> tuple[str, ...]:
    """The migrants' area codes that python-stdnum knows (checked once, as validation would)."""
    return tuple(code for code in MIGRANT_AREAS if known_area(code))


def mobile_number(serial: int) -> str:
    prefix = MOBILE_PREFIXES[serial % len(MOBILE_PREFIXES)]
    rest = (serial // len(MOBILE_PREFIXES) * _MOBILE_MULTIPLIER + _MOBILE_OFFSET) % 100_000_000
    return f"{prefix}{rest:08d}"


def address(rng: random.Random, district: str) -> str:
    prefix, places = DISTRICTS[district]
    number = rng.randrange(1, 400)
    flat = f"{rng.randrange(1, 30)}幢{rng.randrange(1, 6)}单元{rng.randrange(1, 25)}0{rng.randrange(1, 5)}室"
    return f"{prefix}{rng.choice(places)}{rng.choice(ROADS)}{number}号{flat}"


def luhn_completed(body: str) -> str:
    """``body`` with the Luhn check digit appended."""
    total = 0
    for position, digit in enumerate(reversed(body)):
        value = int(digit)
        if position % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return body + str((10 - total % 10) % 10)


def bank_account(rng: random.Random) -> tuple[str, str]:
    name, bin_prefix = rng.choices(BANKS, cum_weights=_BANK_CUMULATIVE)[0]
    body = f"{bin_prefix}{rng.randrange(10**12):012d}"
    return name, luhn_completed(body)
