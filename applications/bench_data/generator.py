"""The rows of a seeded city: one generator, whatever writes them (``applications.bench_data.writers``).

``CityGenerator(plan, applications=N, audit=M, seed=S)`` yields ``Chunk``s of
rows, table by table in the order their foreign keys need, each row a tuple in
the order of its table's ``FIELDS``. Nothing here reads or writes the database:
what the rows refer to (programmes, staff, the first free ids, the end of the
audit chain, the engine's answers) comes in the ``CityPlan``. The same seed and
plan give the same rows.

How the city looks:

- applications were started over the last three years, more of them lately; a
  person applies for about three programmes of their profile
  (``applications.bench_data.programmes``), one at a time or side by side;
- about 1 % are drafts (started within the last 90 days, as retention keeps
  them); of the sent ones the older ones are decided and the recent ones open,
  so that about 86 % of all are finished (approved, refused, withdrawn, served …);
  open cases wait in the queue, are in review with a caseworker, wait for the
  applicant's answer, for a supervisor's second approval or are reconsidered;
- each case moves through the transitions ``application_transition`` allows,
  with a ``CaseEvent`` and an audit entry for each, the decision's audit entry,
  its approvals (a second one above ``review.four_eyes_threshold``), the payments
  ``payment_schedule_create`` would schedule (the 15th of each month after the
  approval), requests for information, reconsiderations and the outcome of
  programmes without cash, at office hours for staff;
- the service level as the service keeps it: due ``review.sla_working_days``
  working days after submission, moved on by the days the clock stood while the
  applicant was asked for more, flagged the day after it passed;
- documents are rows only (no file is written): their check passed, mostly, or
  found a problem, or the same file on another person's case; about 2 % of
  people share an identity number with somebody else;
- the audit trail has ``audit`` entries in all: the transitions and decisions,
  then staff opening cases, documents and queue pages, revealing numbers and
  writing notes, in the order they happened, chained after the last entry.
"""

import heapq
import math
import random
import uuid
from collections import deque
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from applications.bench_data import people
from applications.bench_data.chain import Chain, details_json
from applications.bench_data.chain import json_string as _json_string
from applications.bench_data.programmes import PROFILES, PROJECTS, TEMPLATES, Snapshots, resolved_facts
from applications.documents import required_documents
from applications.models import Document, Fulfilment, Status
from applications.services.fulfilment import programme_details_fields
from applications.services.review import CASE_PAGE_PERSONAL_DATA

DAY = 86_400.0
HOUR = 3_600.0
SPAN_DAYS = 3 * 365
# More applications lately: the density of start times grows linearly to (1 + GROWTH) times the first day's.
GROWTH = 1.0
DRAFT_DAYS = 90
DRAFT_SHARE_OF_RECENT = 0.095
CHUNK = 10_000
CHINA = timedelta(hours=8)  # Asia/Shanghai has no daylight saving time
LOCAL_OFFSET = 8 * HOUR
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()

# Applications per person (planned; the last persons may not use all of theirs).
APPLICATIONS_PER_PERSON = {1: 20, 2: 23, 3: 22, 4: 15, 5: 11, 6: 9}
PLANNED_COUNTS = tuple(APPLICATIONS_PER_PERSON)
PLANNED_CUMULATIVE = tuple(
    sum(list(APPLICATIONS_PER_PERSON.values())[: position + 1]) for position in range(len(APPLICATIONS_PER_PERSON))
)
SHARED_IDENTITY = 0.02
LOOKS_PER_CASE = 14
# Approved cases of a programme without cash whose outcome is still to be recorded.
AWAITING_OUTCOME = 0.1
# Refused cases whose evaluation at submission already said "not eligible" (the others: a caseworker's finding).
REFUSED_ON_FACTS = 0.5
ENGLISH = 0.05

# Open stages by share (of the open cases), when the programme has them.
OPEN_STAGES = (
    ("submitted", 0.30),
    ("in_review", 0.25),
    ("info_requested", 0.18),
    ("pending_approval", 0.18),
    ("reconsideration", 0.04),
    ("referred", 0.05),
)

TABLES = (
    "users",
    "user_groups",
    "applications",
    "events",
    "documents",
    "approvals",
    "payments",
    "information_requests",
    "reconsiderations",
    "fulfilments",
    "audit",
)


def _columns(names: str) -> tuple[str, ...]:
    return tuple(names.split())


# Each table's columns (model field names, ``_id`` for a foreign key), in the order of the generated tuples.
FIELDS = {
    "users": _columns(
        "id password last_login is_superuser username email mobile full_name region "
        "preferred_language is_staff is_active date_joined confirmed_at"
    ),
    "user_groups": _columns("id user_id group_id"),
    "applications": _columns(
        "id reference applicant_id programme_id status region facts full_name id_number mobile "
        "address bank_name bank_account declaration_accepted_at completed_steps screening_facts "
        "programme_details submitted_on submitted_at evaluation amount decided_at assigned_to_id "
        "claimed_at sla_due_on sla_paused_on overdue_flagged_at created_at updated_at"
    ),
    "events": _columns("id application_id kind actor_id from_status to_status note internal at"),
    "documents": _columns(
        "id application_id kind file original_name size content_type sha256 uploaded_by_id "
        "uploaded_at check_status check_results page_count checked_at check_attempts token"
    ),
    "approvals": _columns("id application_id stage approver_id amount at"),
    "payments": _columns("id application_id region sequence due_on amount state created_at"),
    "information_requests": _columns(
        "id application_id requested_by_id requested_at document_kinds questions reply_due_on "
        "reminder_sent_at answered_at answers lapsed_at"
    ),
    "reconsiderations": _columns(
        "id application_id requested_by_id requested_at grounds rejected_by_id rejected_at "
        "rejection_reason_codes rejection_note rejection_evaluation evaluation outcome "
        "decided_by_id decided_at decision_note"
    ),
    "fulfilments": _columns(
        "id application_id kind details site_id course_id partner partner_name referred_on recorded_by_id recorded_at"
    ),
    "audit": _columns("actor_id action application_id details ip_address at sequence previous_hash entry_hash"),
}
# Tables whose ids the generator gives (the audit trail's come from the database).
NUMBERED = tuple(table for table in TABLES if FIELDS[table][0] == "id")


class JSONText(str):
    """A JSON value already serialised (the evaluation snapshots): a writer stores it as it is."""


@dataclass(frozen=True)
class ProgrammeInfo:
    id: int
    slug: str
    per: str  # Programme.Per
    fulfilment: str | None  # ProgrammeRules.fulfilment; None: it ends in payments (or none)
    steps: tuple[str, ...]  # the form's steps (applications.services.intake.steps_for)
    asks_insurance: bool


@dataclass
class RegionStaff:
    region: str
    caseworkers: list[int]
    supervisors: list[int]


@dataclass
class CityPlan:
    """What the rows refer to, read from the database before generating."""

    now: datetime  # every generated moment is before it (the start of today, Asia/Shanghai)
    programmes: dict[str, ProgrammeInfo]
    staff: dict[str, RegionStaff]  # by region code
    staff_addresses: dict[int, str]  # each member of staff's office IP address
    citizen_group: int
    password: str  # the encoded password of every applicant (one hash: the same password)
    first_ids: dict[str, int]
    chain_head: tuple[int, str]
    reason_codes: list[tuple[str, str, str]]  # (code, text_zh, text_en)
    sites: list[tuple]  # (id, name_zh, name_en, address, free_until)
    courses: list[tuple]  # (id, name_zh, name_en, starts_on, place)
    taken_mobiles: set[str]
    first_mobile_serial: int
    snapshots: Snapshots
    sla_due: object  # date -> the decision's due date (applications.services.sla.sla_due_date)
    working_days_add: object
    working_days_between: object
    reply_due: object  # date -> a request's reply date (selectors_follow_up.information_reply_due_on)
    four_eyes: object  # date -> Decimal | None (review.four_eyes_threshold in force)
    city_region: str  # the region served (LINGHUO_REGION_CODE): its staff take some cases of every district
    city_share: float

    @property
    def today(self) -> date:
        return (self.now + CHINA).date()


@dataclass
class Chunk:
    rows: dict[str, list[tuple]]
    applications: int  # how many applications so far, this chunk's included


def local_date(ts: float) -> date:
    return date.fromordinal(_EPOCH_ORDINAL + int((ts + LOCAL_OFFSET) // DAY))


def moment(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, tz=UTC)


def office_hours(ts: float) -> float:
    """The same day's moment mapped into 08:30–17:30 local time (order kept): when staff act."""
    local = ts + LOCAL_OFFSET
    day_start = local - local % DAY
    return day_start + 8.5 * HOUR + (local - day_start) * (9 / 24) - LOCAL_OFFSET


def _start_of_local_day(day: date) -> float:
    return (day.toordinal() - _EPOCH_ORDINAL) * DAY - LOCAL_OFFSET


# --- Words a case carries ----------------------------------------------------------------------------

QUESTIONS = (
    "请说明您目前的工作单位或平台名称。",
    "请说明您每月大致的工作时长。",
    "您的社会保险目前在哪里缴纳？",
    "请说明毕业后是否与用人单位签订过劳动合同。",
    "请补充说明您的经营地址。",
)
ANSWERS = (
    "我在美团平台做骑手，每月大约 160 小时。",
    "目前在衢州市柯城区以个人身份缴纳社保。",
    "毕业后没有签订过劳动合同，一直做兼职。",
    "经营地址在衢州市柯城区荷花街道，已附上租赁合同。",
    "已按要求上传材料，请查收。",
)
GROUNDS = (
    "我已补充了就业困难人员认定证明，请重新审核。",
    "我的社保缴费记录有误，现已更正，附上新的缴费凭证。",
    "我符合毕业两年内的条件，请核对毕业证书日期。",
    "申请时上传的材料不清晰，已重新上传。",
)
NOTES = (
    "已电话联系申请人，核实就业情况。",
    "社保缴费记录与系统一致。",
    "营业执照信息已在市场监管系统核对。",
    "申请人称下周补交材料。",
)
REVEAL_REASONS = (
    "与社保系统核对身份信息",
    "核对银行账户以便发放补贴",
    "申请人来电要求核实信息",
)
WITHDRAW_REASONS = ("", "", "已找到全职工作。", "重复提交，撤回此申请。")
DOCUMENT_NAMES = {
    Document.Kind.IDENTITY_CARD: "身份证正反面",
    Document.Kind.GRADUATION_CERTIFICATE: "毕业证书",
    Document.Kind.UNEMPLOYMENT_REGISTRATION: "失业登记证明",
    Document.Kind.DIFFICULTY_CERTIFICATE: "就业困难人员认定证明",
    Document.Kind.BUSINESS_LICENCE: "营业执照",
    Document.Kind.SOCIAL_INSURANCE_RECEIPTS: "社保缴费凭证",
    Document.Kind.TRAINING_CERTIFICATE: "培训合格证书",
    Document.Kind.PUBLIC_SERVICE_CONTRACT: "公益性岗位协议",
    Document.Kind.LOW_INCOME_CERTIFICATE: "低收入家庭证明",
    Document.Kind.TRAINING_ATTENDANCE_RECORD: "培训考勤记录",
    Document.Kind.CONSTRUCTION_LABOUR_CONTRACT: "劳动合同",
    Document.Kind.STATE_PREMISES_LEASE: "国有房屋租赁合同",
    Document.Kind.OTHER: "其他材料",
}
FLAGGED_PROBLEMS = (("pdf_encrypted",), ("not_virus_scanned",), ("pdf_javascript",), ("pdf_open_action",))
IMAGE_PROBLEMS = (("image_too_large",), ("not_virus_scanned",))
GUARANTEE_CENTRE = "衢州市创业担保贷款服务中心"
OFFICES = {
    "330802": "柯城区民政局",
    "330803": "衢江区民政局",
    "330822": "常山县民政局",
    "330824": "开化县民政局",
    "330825": "龙游县民政局",
    "330881": "江山市民政局",
}
TAX_BUREAUS = {
    code: f"国家税务总局{place}税务局"
    for code, place in (
        ("330802", "衢州市柯城区"),
        ("330803", "衢州市衢江区"),
        ("330822", "常山县"),
        ("330824", "开化县"),
        ("330825", "龙游县"),
        ("330881", "江山市"),
    )
}
LANDLORDS = ("衢州市国有资产经营有限公司", "衢州市城市建设投资发展有限公司", "龙游县国有资产经营有限公司")
DECLINE_REASONS = ("征信记录不符合贷款条件。", "经营项目未通过银行评估。", "")


class _Case:
    """One application being built: its rows, and the moments of its audit trail."""

    __slots__ = (
        "assigned",
        "audit",
        "claimed_at",
        "decided_at",
        "events",
        "fulfilment",
        "id",
        "looks",
        "status",
        "view_details",
    )

    def __init__(self, app_id: int):
        self.id = app_id
        self.events: list[tuple] = []  # (ts, kind, actor, from, to, note, internal)
        self.audit: list[tuple] = []  # (ts, actor, action, application id, details, address, details JSON or None)
        self.looks = None  # what staff looking at it later need to know (_staff_looks)
        self.view_details = None  # the case page's audit details, and their JSON
        self.status = Status.DRAFT
        self.assigned = None
        self.claimed_at = None
        self.decided_at = None
        self.fulfilment = None  # its row, once an outcome is recorded (the last one recorded)


class CityGenerator:
    """Yields the city's rows chunk by chunk (``__iter__``); ``counts`` has the rows made per table."""

    def __init__(self, plan: CityPlan, *, applications: int, audit: int, seed: int, chunk: int = CHUNK):
        self.plan = plan
        self.applications = applications
        self.audit_total = audit
        self.chunk_size = chunk
        # The first id in the stream: a second seed added to the same database (--append) is another city's.
        self.rng = random.Random(f"linghuo-city:{seed}:{plan.first_ids['applications']}")  # noqa: S311 - made-up data
        self.now = plan.now.timestamp()
        self.today = plan.today
        self.next_id = dict(plan.first_ids)
        self.counts = dict.fromkeys(TABLES, 0)
        self.chain = Chain(plan.chain_head)
        self.audit_heap: list[tuple] = []
        self.last_start = 0.0
        self.audit_pushed = 0
        self.audit_counter = 0
        self.migrant_areas = people.known_migrant_areas()
        self.mobile_serial = plan.first_mobile_serial
        self.used_numbers: set[str] = set()
        self.recent_people: deque = deque(maxlen=2000)
        self.recent_files: deque = deque(maxlen=3000)  # (sha256, reference, applicant)
        self.recent_references: dict[str, deque] = {}
        self.pool: list[people.Person] = []
        self.district_codes = list(people.DISTRICT_WEIGHTS)
        self.district_cumulative = _cumulative(people.DISTRICT_WEIGHTS.values())
        self.profile_names = list(PROFILES)
        self.profile_cumulative = _cumulative(share for share, *_rest in PROFILES.values())
        self.documents_needed: dict[tuple[str, str], list[str]] = {}
        # The programmes of each profile that the database has (an edited catalogue may lack some).
        self.profile_programmes = {
            profile: [(slug, weight) for slug, weight in weights.items() if slug in plan.programmes]
            for profile, (_share, _youngest, _oldest, weights) in PROFILES.items()
        }
        self.rows: dict[str, list[tuple]] = {}

    # --- The chunks ------------------------------------------------------------------------------------

    def __iter__(self):
        self.rows = {table: [] for table in TABLES}
        for index in range(self.applications):
            start = self.last_start = self._start_time(index)
            self._release_audit(until=start)
            self._application(index, start)
            if (index + 1) % self.chunk_size == 0:
                yield self._chunk(index + 1)
        self._release_audit(until=float("inf"))
        yield self._chunk(self.applications)

    def _chunk(self, done: int) -> Chunk:
        rows, self.rows = self.rows, {table: [] for table in TABLES}
        for table, table_rows in rows.items():
            self.counts[table] += len(table_rows)
        return Chunk(rows=rows, applications=done)

    def _take_id(self, table: str) -> int:
        number = self.next_id[table]
        self.next_id[table] = number + 1
        return number

    def _start_time(self, index: int) -> float:
        """Start times in order, denser lately (inverse of the growing density's distribution)."""
        share = (index + self.rng.random()) / self.applications
        g = GROWTH
        x = ((1 + 2 * g * share * (1 + g / 2)) ** 0.5 - 1) / g
        return self.now - SPAN_DAYS * DAY * (1 - x) - 60.0

    # --- People ----------------------------------------------------------------------------------------

    def _person(self, start: float) -> people.Person:
        if self.pool and self.rng.random() < 2 / 3:
            position = self.rng.randrange(len(self.pool))
            person = self.pool[position]
            person.applications_left -= 1
            if person.applications_left <= 0:
                self.pool[position] = self.pool[-1]
                self.pool.pop()
            return person
        person = self._new_person(start)
        if person.applications_left > 1:
            person.applications_left -= 1
            self.pool.append(person)
        return person

    def _new_person(self, start: float) -> people.Person:
        rng = self.rng
        profile = self.profile_names[_pick(rng, self.profile_cumulative)]
        _share, youngest, oldest, _weights = PROFILES[profile]
        district = self.district_codes[_pick(rng, self.district_cumulative)]
        male = rng.random() < 0.52
        shared = self.recent_people and rng.random() < SHARED_IDENTITY
        if shared:
            # Somebody else's identity number (a second account, or a borrowed number).
            other = rng.choice(self.recent_people)
            born, number = other.birth_date, other.id_number
            name = other.full_name if rng.random() < 0.5 else people.full_name(rng, male=male)
        else:
            born = local_date(start) - timedelta(days=rng.randrange(youngest * 365, oldest * 365 + 300))
            area = people.birth_area(rng, district, self.migrant_areas)
            number = people.id_number(rng, area=area, born=born, male=male)
            while number in self.used_numbers:
                number = people.id_number(rng, area=area, born=born, male=male)
            self.used_numbers.add(number)
            name = people.full_name(rng, male=male)
        mobile = self._mobile()
        bank_name, account = people.bank_account(rng)
        planned = rng.choices(PLANNED_COUNTS, cum_weights=PLANNED_CUMULATIVE)[0]
        person = people.Person(
            user_id=self._take_id("users"),
            mobile=mobile,
            full_name=name,
            birth_date=born,
            id_number=number,
            district=district,
            address=people.address(rng, district),
            bank_name=bank_name,
            bank_account=account,
            language="en" if rng.random() < ENGLISH else "zh-hans",
            profile=profile,
            applications_left=min(planned, len(self.profile_programmes[profile])),
            programmes=set(),
        )
        joined = start - rng.random() * 2 * HOUR
        self.rows["users"].append(
            (
                person.user_id,
                self.plan.password,
                moment(start),
                False,
                mobile,
                None,
                mobile,
                "",
                "",
                person.language,
                False,
                True,
                moment(joined),
                moment(joined + 90 + rng.random() * 300),
            )
        )
        self.rows["user_groups"].append((self._take_id("user_groups"), person.user_id, self.plan.citizen_group))
        if not shared:
            self.recent_people.append(person)
        return person

    def _mobile(self) -> str:
        while True:
            number = people.mobile_number(self.mobile_serial)
            self.mobile_serial += 1
            if number not in self.plan.taken_mobiles:
                return number

    def _programme_for(self, person: people.Person) -> str:
        """A programme of the person's profile they have not applied for yet (weighted); "" when none is left."""
        used = person.programmes
        choices = [(slug, weight) for slug, weight in self.profile_programmes[person.profile] if slug not in used]
        if not choices:
            return ""
        roll = self.rng.random() * sum(weight for _slug, weight in choices)
        chosen = choices[-1][0]
        for slug, weight in choices:
            roll -= weight
            if roll < 0:
                chosen = slug
                break
        used.add(chosen)
        return chosen

    # --- One application -------------------------------------------------------------------------------

    def _application(self, index: int, start: float) -> None:
        rng = self.rng
        person = self._person(start)
        slug = self._programme_for(person)
        if not slug:
            person = self._new_person(start)
            slug = self._programme_for(person)
        programme = self.plan.programmes[slug]
        region = self.plan.city_region if rng.random() < self.plan.city_share else person.district
        case = _Case(self._take_id("applications"))
        age_days = (self.now - start) / DAY
        template = TEMPLATES[slug][person.profile]
        is_draft = age_days < DRAFT_DAYS and rng.random() < DRAFT_SHARE_OF_RECENT
        if is_draft:
            self._draft(case, person, programme, region, template, start)
        else:
            self._sent(case, person, programme, region, template, start, age_days)
        self._audit_budget(case, index)

    def _facts(self, person, template: dict, on: date) -> dict:
        facts = resolved_facts(template, on)
        facts["birth_date"] = person.birth_date.isoformat()
        facts["region"] = person.district
        return facts

    def _documents_for(self, slug: str, profile: str, facts: dict) -> list[str]:
        key = (slug, profile)
        if key not in self.documents_needed:
            self.documents_needed[key] = required_documents(slug, facts)
        return self.documents_needed[key]

    def _draft(self, case, person, programme, region, template, start) -> None:
        rng = self.rng
        facts = self._facts(person, template, local_date(start))
        screened = rng.random() < 0.6
        done = programme.steps[: rng.randrange(0, len(programme.steps))]
        personal = "personal" in done
        paid = "payment" in done
        updated = start + rng.random() * 3 * DAY
        updated = min(updated, self.now - 30)
        case.events.append((start, "transition", person.user_id, "", Status.DRAFT, "", False))
        self.rows["applications"].append(
            (
                case.id,
                None,
                person.user_id,
                programme.id,
                Status.DRAFT,
                region,
                facts if (screened or "situation" in done) else {"birth_date": facts["birth_date"]},
                person.full_name if personal else "",
                person.id_number if personal else "",
                person.mobile,
                person.address if personal else "",
                person.bank_name if paid else "",
                person.bank_account if paid else "",
                None,
                list(done),
                sorted(facts) if screened else [],
                self._programme_details(programme) if "project" in done else {},
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                moment(start),
                moment(updated),
            )
        )
        if "documents" in done or rng.random() < 0.3:
            kinds = self._documents_for(programme.slug, person.profile, facts)
            self._documents(case, person, kinds[: rng.randrange(1, len(kinds) + 1)], start, updated, reference=None)
        self._write_events(case)

    def _programme_details(self, programme: ProgrammeInfo) -> dict:
        # What the programme asks on applying, as the form asks it (services.fulfilment).
        fields = programme_details_fields(programme)
        if not fields:
            return {}
        return dict(zip((name for name, _label in fields), self.rng.choice(PROJECTS), strict=True))

    def _sent(self, case, person, programme, region, template, start, age_days) -> None:
        rng = self.rng
        plan = self.plan
        submitted = start + min(rng.expovariate(1 / (1.5 * HOUR)), 2 * DAY)
        submitted = min(submitted, self.now - 120)
        submitted_on = local_date(submitted)
        reference = f"LH-{submitted_on.year}-{case.id:06d}"
        facts = self._facts(person, template, submitted_on)
        snapshot = plan.snapshots.get(
            programme=programme.slug, profile=person.profile, district=person.district, day=submitted_on
        )
        staff = plan.staff[region]
        path = self._path(programme, snapshot, submitted_on, age_days, staff)
        if path[-1] in ("reject", "reconsider", "reject_again") and rng.random() < REFUSED_ON_FACTS:
            # Refused on what the engine said: the evaluation at submission was not "eligible" either.
            snapshot = plan.snapshots.get(
                programme=programme.slug,
                profile=person.profile,
                district=person.district,
                day=submitted_on,
                refused=True,
            )
        amount = Decimal(snapshot.amount["value"]) if snapshot.amount else None
        times = self._times(path, submitted, age_days)
        kinds = self._documents_for(programme.slug, person.profile, facts)
        documents = self._documents(case, person, kinds, start, submitted, reference=reference)
        # The draft's event (application_start writes no audit entry for it).
        case.events.append((start, "transition", person.user_id, "", Status.DRAFT, "", False))
        self._walk(case, person, programme, path, times, staff, documents, reference, snapshot, submitted_on)
        sla_due, sla_paused, flagged = self._service_level(case, path, times, submitted_on)
        paid = "payment" in programme.steps
        evaluation = JSONText(snapshot.on(submitted_on))
        if case.status == Status.APPROVED and programme.fulfilment is None and amount is not None:
            self._payments(case, region, programme, snapshot, amount)
        last_change = max(times[-1] if times else submitted, submitted)
        self.rows["applications"].append(
            (
                case.id,
                reference,
                person.user_id,
                programme.id,
                case.status,
                region,
                facts,
                person.full_name,
                person.id_number,
                person.mobile if rng.random() < 0.95 else self._mobile(),
                person.address,
                person.bank_name if paid else "",
                person.bank_account if paid else "",
                moment(submitted),
                list(programme.steps),
                sorted(facts) if rng.random() < 0.6 else [],
                self._programme_details(programme),
                submitted_on,
                moment(submitted),
                evaluation,
                amount,
                moment(case.decided_at) if case.decided_at else None,
                case.assigned,
                moment(case.claimed_at) if case.claimed_at else None,
                sla_due,
                sla_paused,
                moment(flagged) if flagged else None,
                moment(start),
                moment(last_change),
            )
        )
        self._write_events(case)
        self.recent_references.setdefault(region, deque(maxlen=25)).append(reference)

    # --- The path of a case ------------------------------------------------------------------------------

    def _path(self, programme, snapshot, submitted_on, age_days, staff) -> list[str]:
        """The steps of the case up to now: each step is a transition (or a decision) the services make."""
        rng = self.rng
        four_eyes = self._needs_second_approval(programme, snapshot, submitted_on)
        # Recent cases are open, and a backlog of older ones: about 12 % of the sent cases in all.
        open_probability = min(1.0, 0.95 * math.exp(-age_days / 30) + 0.2 * math.exp(-age_days / 500))
        if rng.random() < open_probability:
            return self._open_path(programme, four_eyes)
        roll = rng.random()
        if roll < 0.05:
            return ["submit", "withdraw"]
        path = ["submit", "claim"]
        if rng.random() < 0.14:
            path += ["request_info", "answer", "claim_again"]
        if roll < 0.09:
            return [*path, "withdraw"]
        approve = snapshot.status == "eligible" and rng.random() < 0.78
        if not approve:
            path.append("reject")
            if rng.random() < 0.08:
                path += ["reconsider", "claim_reconsideration"]
                path.append("approve" if rng.random() < 0.4 else "reject_again")
                if path[-1] == "approve":
                    path = self._approval_steps(path[:-1], programme, four_eyes, final=True)
            return path
        return self._approval_steps(path, programme, four_eyes, final=True)

    def _approval_steps(self, path, programme, four_eyes: bool, *, final: bool) -> list[str]:
        path = [*path, "first_approval", "second_approval"] if four_eyes else [*path, "approve"]
        if programme.fulfilment is None or not final or self.rng.random() < AWAITING_OUTCOME:
            return path
        if programme.fulfilment == Fulfilment.Kind.LOAN:
            path.append("refer")
            path.append("loan_granted" if self.rng.random() < 0.85 else "loan_declined")
        elif programme.fulfilment in (Fulfilment.Kind.SITE, Fulfilment.Kind.COURSE):
            listed = self.plan.sites if programme.fulfilment == Fulfilment.Kind.SITE else self.plan.courses
            if listed:
                path.append("fulfil")
        else:
            path.append("fulfil")
        return path

    def _open_path(self, programme, four_eyes: bool) -> list[str]:
        rng = self.rng
        stage = _pick_named(rng, OPEN_STAGES)
        if stage == "pending_approval" and not four_eyes:
            stage = "in_review"
        if stage == "referred" and programme.fulfilment != Fulfilment.Kind.LOAN:
            stage = "in_review"
        if stage == "submitted":
            return ["submit"] if rng.random() < 0.85 else ["submit", "claim", "request_info", "answer"]
        if stage == "in_review":
            return (
                ["submit", "claim"]
                if rng.random() < 0.9
                else ["submit", "claim", "request_info", "answer", "claim_again"]
            )
        if stage == "info_requested":
            return ["submit", "claim", "request_info"]
        if stage == "pending_approval":
            return ["submit", "claim", "first_approval"]
        if stage == "reconsideration":
            return ["submit", "claim", "reject", "reconsider"]
        return [*self._approval_steps(["submit", "claim"], programme, four_eyes, final=False), "refer"]

    def _needs_second_approval(self, programme, snapshot, submitted_on) -> bool:
        amount = snapshot.amount
        threshold = self.plan.four_eyes(submitted_on)
        if not amount or threshold is None:
            return False
        periods = int(amount.get("max_periods") or 1) if amount.get("per") == "month" else 1
        return Decimal(amount["value"]) * periods > threshold

    # Days each step takes after the one before (the mean of an exponential draw), and whether staff take it.
    STEP_DAYS = {
        "submit": (0.0, False),
        "claim": (2.5, True),
        "request_info": (1.5, True),
        "answer": (4.0, False),
        "claim_again": (1.0, True),
        "withdraw": (3.0, False),
        "first_approval": (3.0, True),
        "second_approval": (1.5, True),
        "approve": (3.0, True),
        "reject": (3.0, True),
        "reconsider": (12.0, False),
        "claim_reconsideration": (2.0, True),
        "reject_again": (4.0, True),
        "fulfil": (7.0, True),
        "refer": (4.0, True),
        "loan_granted": (18.0, True),
        "loan_declined": (18.0, True),
    }

    def _times(self, path: list[str], submitted: float, age_days: float) -> list[float]:
        """The moment of each step: natural delays, squeezed into the time since submission when longer."""
        rng = self.rng
        delays = [rng.expovariate(1 / self.STEP_DAYS[step][0]) if step != "submit" else 0.0 for step in path]
        total = sum(delays)
        available = max(age_days - 0.01, 0.001)
        if total > available * 0.97 or (path[-1] not in _FINAL_STEPS and len(path) > 1):
            # An open case reached its present stage some time before today; a finished one, before today.
            fraction = rng.random() ** 0.6 if path[-1] not in _FINAL_STEPS else rng.uniform(0.3, 0.97)
            scale = available * fraction / total if total else 0.0
            delays = [delay * scale for delay in delays]
        times = []
        moment_ts = submitted
        for step, delay in zip(path, delays, strict=True):
            moment_ts += delay * DAY
            if step != "submit" and self.STEP_DAYS[step][1]:
                moment_ts = max(office_hours(moment_ts), (times[-1] if times else submitted) + 1.0)
            moment_ts = min(moment_ts, self.now - 1.0)
            if times and moment_ts <= times[-1]:
                moment_ts = times[-1] + 0.5
            times.append(moment_ts)
        return times

    # --- Walking the path: the rows of each step ----------------------------------------------------------

    def _walk(self, case, person, programme, path, times, staff, documents, reference, snapshot, submitted_on):
        rng = self.rng
        plan = self.plan
        caseworker = rng.choice(staff.caseworkers)
        supervisor = rng.choice(staff.supervisors)
        applicant = person.user_id
        refused_by = rejection = information_request = reconsideration = None
        for step, ts in zip(path, times, strict=True):
            if step == "submit":
                self._move(case, ts, Status.SUBMITTED, applicant)
            elif step in ("claim", "claim_again", "claim_reconsideration"):
                if step == "claim_reconsideration":
                    # A colleague of the person who refused it (applications.services.review).
                    others = [worker for worker in staff.caseworkers if worker != refused_by] or staff.supervisors
                    caseworker = rng.choice(others)
                case.assigned, case.claimed_at = caseworker, ts
                self._move(case, ts, Status.IN_REVIEW, caseworker)
                self._view_case(case, caseworker, ts + 2.0, documents)
            elif step == "request_info":
                information_request = self._information_request(case, ts, caseworker, documents)
            elif step == "answer":
                self._answer(case, ts, applicant, information_request)
            elif step == "withdraw":
                self._move(case, ts, Status.WITHDRAWN, applicant, note=rng.choice(WITHDRAW_REASONS))
            elif step in ("first_approval", "approve"):
                self._approval(case, ts, caseworker, snapshot, stage=1, final=step == "approve")
            elif step == "second_approval":
                self._approval(case, ts, supervisor, snapshot, stage=2, final=True)
            elif step in ("reject", "reject_again"):
                codes = rng.sample(plan.reason_codes, min(len(plan.reason_codes), rng.randrange(1, 3)))
                chinese = person.language.startswith("zh")
                text = "\n".join(f"- {zh if chinese else en}" for _code, zh, en in codes)
                reasons = [code for code, _zh, _en in codes]
                self._decision(case, ts - 1.0, caseworker, "rejected", reason_codes=reasons, language=person.language)
                self._move(case, ts, Status.REJECTED, caseworker, note=text)
                case.decided_at = ts
                refused_by, rejection = caseworker, (ts, reasons, text)
            elif step == "reconsider":
                evaluation = JSONText(snapshot.on(submitted_on))
                reconsideration = [
                    self._take_id("reconsiderations"),
                    case.id,
                    applicant,
                    moment(ts),
                    rng.choice(GROUNDS),
                    refused_by,
                    moment(rejection[0]),
                    rejection[1],
                    rejection[2],
                    evaluation,
                    evaluation,
                    "",
                    None,
                    None,
                    "",
                ]
                case.assigned = case.claimed_at = None
                self._move(case, ts, Status.RECONSIDERATION, applicant)
            else:  # fulfil, refer, loan_granted, loan_declined
                self._fulfilment(case, ts, step, caseworker, programme, person, snapshot)
            decided_again = case.status in (Status.APPROVED, Status.REJECTED) and step not in ("reject", "reconsider")
            if reconsideration is not None and not reconsideration[11] and decided_again:
                # The decision after a reconsideration is its outcome (transitions._close_follow_ups).
                _ts, _kind, actor, _from, _to, note, _internal = case.events[-1]
                reconsideration[11:15] = [str(case.status), actor, moment(ts), note]
        if information_request is not None:
            if information_request[8] is None and case.status != Status.INFO_REQUESTED:
                information_request[10] = moment(times[-1])  # left unanswered: the case moved on without it
            self.rows["information_requests"].append(tuple(information_request))
        if reconsideration is not None:
            self.rows["reconsiderations"].append(tuple(reconsideration))
        if case.fulfilment is not None:
            self.rows["fulfilments"].append(case.fulfilment)
        case.looks = (staff, times, documents, reference)

    def _move(self, case: _Case, ts: float, to_status: str, actor: int, note: str = "") -> None:
        """A transition: its event and its audit entry, as ``application_transition`` writes them."""
        from_status, to_status = str(case.status), str(to_status)
        details = {"from": from_status, "to": to_status, "note": note}
        text = f'{{"from":"{from_status}","note":{_json_string(note)},"to":"{to_status}"}}'
        case.events.append((ts, "transition", actor, from_status, to_status, note, False))
        case.audit.append((ts + 0.001, actor, "transition", case.id, details, None, text))
        case.status = to_status

    def _decision(self, case, ts, actor, decision: str, **details) -> None:
        address = self.plan.staff_addresses.get(actor)
        case.audit.append((ts, actor, "decision", case.id, {"decision": decision, **details}, address, None))

    def _information_request(self, case, ts, caseworker, documents) -> list:
        rng = self.rng
        kinds = [rng.choice(documents)[2]] if documents and rng.random() < 0.5 else []
        questions = rng.sample(QUESTIONS, rng.randrange(0 if kinds else 1, 3))
        reply_due = self.plan.reply_due(local_date(ts))
        reminder = _start_of_local_day(reply_due) - 3 * DAY + 7 * HOUR  # three days before the reply is due
        row = [
            self._take_id("information_requests"),
            case.id,
            caseworker,
            moment(ts),
            kinds,
            questions,
            reply_due,
            moment(reminder) if reminder < self.now else None,
            None,
            [],
            None,
        ]
        self._decision(
            case,
            ts - 1.0,
            caseworker,
            "info_requested",
            document_kinds=kinds,
            questions=len(questions),
            reply_due_on=reply_due.isoformat(),
        )
        self._move(case, ts, Status.INFO_REQUESTED, caseworker, note=_request_text(kinds, questions))
        return row

    def _answer(self, case, ts, applicant, row) -> None:
        answers = [{"question": question, "answer": self.rng.choice(ANSWERS)} for question in row[5]]
        row[8], row[9] = moment(ts), answers
        if row[7] is not None and row[7] > row[8]:
            row[7] = None  # answered before the reminder was due
        note = "\n\n".join(f"{item['question']}\n→ {item['answer']}" for item in answers)
        case.events.append((ts - 0.5, "info_response", applicant, "", "", note, False))
        self._move(case, ts, Status.SUBMITTED, applicant)

    def _approval(self, case, ts, approver, snapshot, *, stage: int, final: bool) -> None:
        """As ``application_approve``: the approval, its decision in the audit trail, and the move."""
        amount = snapshot.amount
        value = Decimal(amount["value"]) if amount else None
        periods = int(amount.get("max_periods") or 1) if amount and amount.get("per") == "month" else 1
        threshold = self.plan.four_eyes(local_date(ts))
        details = {
            "amount": None if value is None else f"{value:.2f}",
            "total": None if value is None else f"{value * periods:.2f}",
            "threshold": None if threshold is None else f"{threshold:.2f}",
        }
        self.rows["approvals"].append((self._take_id("approvals"), case.id, stage, approver, value, moment(ts)))
        decision = "second_approval" if stage == 2 else ("approved" if final else "first_approval")
        self._decision(case, ts, approver, decision, **details)
        self._move(case, ts + 0.01, Status.APPROVED if final else Status.PENDING_APPROVAL, approver)
        if final:
            case.decided_at = ts + 0.01

    def _payments(self, case, region: str, programme, snapshot, amount: Decimal) -> None:
        """As ``payment_schedule_create``: once, or each month of ``max_periods``, on the 15th from the next month."""
        approved_on = local_date(case.decided_at)
        count = 1 if programme.per == "once" else int(snapshot.amount.get("max_periods") or 0)
        year, month = approved_on.year, approved_on.month
        created = moment(case.decided_at)
        for sequence in range(1, count + 1):
            month += 1
            if month > 12:
                year, month = year + 1, 1
            due = date(year, month, 15)
            state = "exported" if due <= self.today else "scheduled"
            self.rows["payments"].append(
                (self._take_id("payments"), case.id, region, sequence, due, amount, state, created)
            )

    def _fulfilment(self, case, ts, step, worker, programme, person, snapshot) -> None:
        """The outcome of a programme without cash, as ``application_fulfil`` records it (one row per case)."""
        rng = self.rng
        day = local_date(ts)
        kind = programme.fulfilment
        partner = partner_name = ""
        referred_on = site = course = None
        to_status = Status.SERVED
        previous = case.fulfilment
        if step == "refer":
            bank = person.bank_name or rng.choice(people.BANKS)[0]
            details = {"referral": {"guarantee_centre": GUARANTEE_CENTRE, "bank": bank, "referred_on": day.isoformat()}}
            partner, partner_name, referred_on, to_status = Fulfilment.Partner.BANK, bank, day, Status.REFERRED
            recorded = "loan_referral"
        elif step in ("loan_granted", "loan_declined"):
            details = dict(previous[3])
            partner, partner_name, referred_on = previous[6], previous[7], previous[8]
            recorded = "loan_outcome"
            if step == "loan_granted":
                value = Decimal(snapshot.amount["value"]) if snapshot.amount else Decimal("100000.00")
                granted = {
                    "amount": f"{value:.2f}",
                    "bank": details["referral"]["bank"],
                    "granted_on": day.isoformat(),
                    "term_months": rng.choice((24, 36, 36, 60)),
                }
                details |= {"outcome": "granted", "granted": granted}
            else:
                declined = {"declined_on": day.isoformat(), "reason": rng.choice(DECLINE_REASONS)}
                details |= {"outcome": "declined", "declined": declined}
                to_status = Status.PARTNER_DECLINED
        else:
            recorded = kind
            details, site, course = self._outcome_details(kind, programme, person, day)
            if kind == Fulfilment.Kind.REFERRAL:
                partner, partner_name, referred_on = Fulfilment.Partner.CIVIL_AFFAIRS, details["office"], day
            elif kind == Fulfilment.Kind.TAX_NOTICE:
                partner, partner_name, referred_on = Fulfilment.Partner.TAX_BUREAU, details["bureau"], day
        row_id = previous[0] if previous else self._take_id("fulfilments")
        case.fulfilment = (
            row_id,
            case.id,
            kind,
            details,
            site,
            course,
            partner,
            partner_name,
            referred_on,
            worker,
            moment(ts),
        )
        self._decision(case, ts - 0.5, worker, f"fulfilment_{to_status}", kind=kind, step=recorded, **details)
        self._move(case, ts, to_status, worker)

    def _outcome_details(self, kind, programme, person, day: date) -> tuple[dict, int | None, int | None]:
        rng = self.rng
        if kind == Fulfilment.Kind.ENROLMENT:
            details = {"enrolled_on": day.isoformat()}
            if programme.asks_insurance:
                details["insurance"] = rng.choice(("pension", "medical", "both"))
            return details, None, None
        if kind == Fulfilment.Kind.SUSPENSION:
            first = date(day.year, day.month, 1)
            last = first + timedelta(days=31 * rng.randrange(2, 7))
            return {"from_month": f"{first:%Y-%m}", "to_month": f"{last:%Y-%m}"}, None, None
        if kind == Fulfilment.Kind.SITE:
            site_id, name_zh, name_en, address, free_until = rng.choice(self.plan.sites)
            details = {"site": site_id, "name_zh": name_zh, "name_en": name_en, "address": address}
            return {**details, "free_until": free_until.isoformat()}, site_id, None
        if kind == Fulfilment.Kind.COURSE:
            course_id, name_zh, name_en, starts_on, place = rng.choice(self.plan.courses)
            details = {"course": course_id, "name_zh": name_zh, "name_en": name_en, "place": place}
            return {**details, "starts_on": starts_on.isoformat()}, None, course_id
        if kind == Fulfilment.Kind.REFERRAL:
            return {"office": OFFICES[person.district], "received_on": day.isoformat()}, None, None
        if kind == Fulfilment.Kind.PROJECT_COVER:
            if rng.random() < 0.8:
                return {"outcome": "insured", "policy_number": f"GS{day:%Y}3308{rng.randrange(10**8):08d}"}, None, None
            return {"outcome": "inspection", "referred_on": day.isoformat()}, None, None
        if kind == Fulfilment.Kind.RENT_RELIEF:
            return {"landlord": rng.choice(LANDLORDS), "months": rng.randrange(1, 4)}, None, None
        return {"bureau": TAX_BUREAUS[person.district], "notified_on": day.isoformat()}, None, None

    def _service_level(self, case, path, times, submitted_on):
        """(sla_due_on, sla_paused_on, overdue_flagged_at) as ``sla_on_transition`` and the sweep leave them."""
        plan = self.plan
        due = plan.sla_due(submitted_on)
        paused = None
        decided_on = None
        for step, ts in zip(path, times, strict=True):
            day = local_date(ts)
            if step == "request_info":
                paused = day
            elif step == "answer" and paused is not None:
                stood_still = plan.working_days_between(paused, day)
                if stood_still:
                    due = plan.working_days_add(due, stood_still)
                paused = None
            elif step == "reconsider":
                due = plan.sla_due(day)
                decided_on = None
            elif step in ("approve", "second_approval", "reject", "reject_again", "withdraw"):
                decided_on = day
        if case.status == Status.INFO_REQUESTED and paused is not None:
            return due, paused, None
        running = case.status in (Status.SUBMITTED, Status.IN_REVIEW, Status.PENDING_APPROVAL, Status.RECONSIDERATION)
        late = (running and due < self.today) or (decided_on is not None and decided_on > due)
        flagged = _start_of_local_day(due + timedelta(days=1)) + 6 * HOUR if late else None
        if flagged is not None and flagged >= self.now:
            flagged = None
        return due, paused, flagged

    # --- Documents -----------------------------------------------------------------------------------------

    def _documents(self, case, person, kinds, first: float, last: float, *, reference) -> list[tuple]:
        """The case's files as rows; returns (id, name, kind) of each."""
        rng = self.rng
        made = []
        span = max(last - first, 1.0)
        for position, kind in enumerate(kinds):
            uploaded = first + span * (position + rng.random()) / (len(kinds) + 1)
            roll = rng.random()
            content_type = "application/pdf" if roll < 0.55 else ("image/jpeg" if roll < 0.9 else "image/png")
            extension = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}[content_type]
            name = (
                f"{DOCUMENT_NAMES.get(kind, '材料')}.{extension}"
                if rng.random() < 0.6
                else f"IMG_{local_date(uploaded):%Y%m%d}_{rng.randrange(100000, 999999)}.{extension}"
            )
            pdf = content_type == "application/pdf"
            size = rng.randrange(120_000, 2_500_000) if pdf else rng.randrange(250_000, 4_000_000)
            pages = rng.randrange(1, 5) if pdf else None
            sha = f"{rng.getrandbits(256):064x}"
            results = {
                "content_type": content_type,
                "size": size,
                "page_count": pages,
                "problems": [],
                "duplicate_of": [],
                "virus_scan": "clean",
            }
            if not pdf:
                results["width"], results["height"] = rng.choice(((3024, 4032), (1920, 1080), (2480, 3508)))
            check = Document.CheckStatus.PASSED
            roll = rng.random()
            if reference and roll < 0.012 and self.recent_files:
                other_sha, other_reference, other_person = rng.choice(self.recent_files)
                if other_person != person.user_id:
                    sha = other_sha
                    results["problems"] = ["duplicate_elsewhere"]
                    results["duplicate_of"] = [other_reference]
                    check = Document.CheckStatus.FLAGGED
            elif roll < 0.05:
                results["problems"] = list(rng.choice(FLAGGED_PROBLEMS if pdf else IMAGE_PROBLEMS))
                check = Document.CheckStatus.FLAGGED
                if "not_virus_scanned" in results["problems"]:
                    results["virus_scan"] = "unavailable"
            elif roll < 0.065:
                results = {"problems": ["check_failed"], "error": rng.choice(("TimeoutError", "CalledProcessError"))}
                check = Document.CheckStatus.FAILED
            document_id = self._take_id("documents")
            self.rows["documents"].append(
                (
                    document_id,
                    case.id,
                    kind,
                    f"documents/{case.id}/{rng.getrandbits(128):032x}",
                    name,
                    size,
                    content_type,
                    sha if check != Document.CheckStatus.FAILED else "",
                    person.user_id,
                    moment(uploaded),
                    check,
                    results,
                    pages,
                    moment(uploaded + 2 + rng.random() * 20),
                    1,
                    uuid.UUID(int=rng.getrandbits(128), version=4),
                )
            )
            if reference and check == Document.CheckStatus.PASSED:
                self.recent_files.append((sha, reference, person.user_id))
            made.append((document_id, name, kind))
        return made

    # --- Staff looking at the case, and the audit trail ----------------------------------------------------

    def _staff_looks(self, case, count: int) -> list[tuple]:
        """``count`` moments of staff looking at the case after it was sent (the audit trail's other entries):
        opening the case page mostly, a document, revealing a number with a reason, a note, the queue page."""
        if case.looks is None or count <= 0:
            return []
        staff, times, documents, reference = case.looks
        rng = self.rng
        addresses = self.plan.staff_addresses
        looks = []
        start, end = times[0], min(self.now - 1.0, times[-1] + 20 * DAY)
        everyone = staff.caseworkers + staff.supervisors
        for _ in range(count):
            # At office hours, and never before the case was sent (the trail is written in time order).
            ts = max(office_hours(start + rng.random() * (end - start)), start + 1.0)
            viewer = case.assigned if case.assigned and rng.random() < 0.6 else rng.choice(everyone)
            roll = rng.random()
            if roll < 0.6 or not documents:
                self._view_case(case, viewer, ts, documents, into=looks)
            elif roll < 0.8:
                document_id, _name, kind = rng.choice(documents)
                details = {"document": document_id, "kind": kind}
                looks.append((ts, viewer, "view_document", case.id, details, addresses.get(viewer), None))
            elif roll < 0.85:
                details = {"field": rng.choice(("id_number", "bank_account")), "reason": rng.choice(REVEAL_REASONS)}
                looks.append((ts, viewer, "view_personal_data", case.id, details, addresses.get(viewer), None))
            elif roll < 0.9 and case.assigned:
                author = case.assigned
                details = {"event": self._note(case, ts, author)}
                looks.append((ts + 0.01, author, "note", case.id, details, addresses.get(author), None))
            else:
                # The queue page lists 25 cases of the region: one entry for the page, naming them.
                shown = [reference, *[ref for ref in self.recent_references.get(staff.region, ()) if ref != reference]]
                details = {"page": "queue", "fields": ["full_name"], "applications": shown[:25]}
                looks.append((ts, viewer, "view_personal_data", None, details, addresses.get(viewer), None))
        return looks

    def _view_case(self, case, viewer, ts, documents, *, into=None) -> None:
        """Opening the case page, as ``case_view_record`` audits it (the same details each time: written once)."""
        if case.view_details is None:
            details = {"personal_data": list(CASE_PAGE_PERSONAL_DATA)}
            if documents:
                details["documents"] = [{"id": number, "kind": kind, "name": name} for number, name, kind in documents]
            case.view_details = (details, details_json(details))
        details, text = case.view_details
        entry = (ts, viewer, "view_case", case.id, details, self.plan.staff_addresses.get(viewer), text)
        (case.audit if into is None else into).append(entry)

    def _note(self, case, ts, author) -> int:
        event_id = self._take_id("events")
        note = self.rng.choice(NOTES)
        self.rows["events"].append((event_id, case.id, "note", author, "", "", note, True, moment(ts)))
        return event_id

    def _write_events(self, case: _Case) -> None:
        for ts, kind, actor, from_status, to_status, note, internal in sorted(case.events, key=lambda e: e[0]):
            row = (self._take_id("events"), case.id, kind, actor, from_status, to_status, note, internal, moment(ts))
            self.rows["events"].append(row)

    def _audit_budget(self, case: _Case, index: int) -> None:
        """Keeps this case's share of the ``audit`` entries: its transitions and decisions, then staff looks."""
        last = index == self.applications - 1
        target = self.audit_total if last else (self.audit_total * (index + 1)) // self.applications
        required = case.audit
        spare = max(0, target - self.audit_pushed - len(required))
        for entry in (required + self._staff_looks(case, spare))[: max(0, self.audit_total - self.audit_pushed)]:
            self._push_audit(entry)
        if last:
            self._fill_audit()

    def _fill_audit(self) -> None:
        """Queue pages opened, for whatever the cases' shares left (the last cases were drafts, without staff
        looks): after the last application started, so that the trail stays in time order."""
        rng = self.rng
        regions = list(self.plan.staff)
        while self.audit_pushed < self.audit_total:
            staff = self.plan.staff[rng.choice(regions)]
            viewer = rng.choice(staff.caseworkers + staff.supervisors)
            ts = self.last_start + (self.now - self.last_start) * rng.random()
            shown = list(self.recent_references.get(staff.region, ()))
            details = {"page": "queue", "fields": ["full_name"], "applications": shown}
            address = self.plan.staff_addresses.get(viewer)
            self._push_audit((ts, viewer, "view_personal_data", None, details, address, None))

    def _push_audit(self, entry: tuple) -> None:
        self.audit_counter += 1
        ts = min(entry[0], self.now - 0.5)
        heapq.heappush(self.audit_heap, (ts, self.audit_counter, entry))
        self.audit_pushed += 1

    def _release_audit(self, *, until: float) -> None:
        """The entries before ``until``, in the order they happened, chained after the trail's last one."""
        heap = self.audit_heap
        rows = self.rows["audit"]
        entry_of = self.chain.entry
        while heap and heap[0][0] < until:
            ts, _counter, (_ts, actor, action, application, details, address, text) = heapq.heappop(heap)
            at = moment(ts)
            sequence, previous, entry_hash = entry_of(
                at=at,
                actor_id=actor,
                action=action,
                application_id=application,
                details=details,
                ip_address=address,
                details_text=text,
            )
            rows.append((actor, action, application, details, address, at, sequence, previous, entry_hash))


_FINAL_STEPS = frozenset(
    {"withdraw", "approve", "second_approval", "reject", "reject_again", "fulfil", "loan_granted", "loan_declined"}
)


def _request_text(kinds: list[str], questions: list[str]) -> str:
    lines = []
    if kinds:
        lines.append("请上传：")
        lines += [f"- {DOCUMENT_NAMES.get(kind, kind)}" for kind in kinds]
    if questions:
        if lines:
            lines.append("")
        lines += questions
    return "\n".join(lines)


def _cumulative(weights) -> list[float]:
    total = 0.0
    found = []
    weights = list(weights)
    whole = sum(weights)
    for weight in weights:
        total += weight / whole
        found.append(total)
    found[-1] = 1.0
    return found


def _pick(rng: random.Random, cumulative: list[float]) -> int:
    roll = rng.random()
    for index, bound in enumerate(cumulative):
        if roll < bound:
            return index
    return len(cumulative) - 1


def _pick_named(rng: random.Random, shares) -> str:
    roll = rng.random() * sum(share for _name, share in shares)
    for name, share in shares:
        roll -= share
        if roll < 0:
            return name
    return shares[-1][0]
