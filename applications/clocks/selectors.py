"""The windows that apply to a person and the date each closes (issue 14, item 6).

Nothing here restates a rule. A window to apply is a window leaf of a programme's rule
tree (``eligibility.rules.logic``: "within N months after graduating", "within N months
after registering the business", …) read with the person's facts and the parameters in
force: it closes on ``add_months(date, N)`` (or ``add_years``), as the rule computes it,
and on that day the person still qualifies (catalogue, section 1: inclusive). A window
applies to a person when their programme is eligible or still needs answers, the window
is open today, and it decides: were it closed, the criterion it is part of would fail
(a graduate who is also certified with employment difficulties has no graduate window
for the social insurance subsidy).

The window to ask for reconsideration after a refusal is the one the case page offers
(``review.appeal_window_days``, ``applications.selectors_follow_up.reconsideration_window``).

Where the facts come from: each draft's own answers for its programme; for the
programmes the person has not applied for, their latest screening made while logged in
(``KeptScreening``).
"""

from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from applications.clocks.models import KeptScreening, WindowReminder
from applications.models import Application, Status
from applications.selectors_follow_up import APPEAL_WINDOW_PARAMETER, reconsideration_window
from eligibility.engine import evaluate
from eligibility.facts import FactsInvalid, parse_facts
from eligibility.models import ParameterValue
from eligibility.parameter_cache import parameters_in_force
from eligibility.results import Status as Eligibility
from eligibility.rules import PROGRAMMES
from eligibility.rules.logic import Context, Node, _Window
from eligibility.wording import ParameterText, Sentence, is_chinese

APPLY = "apply"
APPEAL = "appeal"
# Reminders go out this many days before a window closes (the last one due is sent, once).
REMINDER_DAYS = (30, 7)
# A window is shown for a programme the person can still have.
OPEN_TO = (Eligibility.ELIGIBLE, Eligibility.NEEDS_INFO)

# When a window starts, in the words of the person it applies to.
_STARTED = {
    "graduation_date": _("%(length)s after you graduated on %(date)s"),
    "business_registered_on": _("%(length)s after your business was registered on %(date)s"),
}
_STARTED_OTHERWISE = _("%(length)s after %(date)s")
_AFTER_REFUSAL = _("%(length)s after the refusal on %(date)s")


@dataclass(frozen=True)
class Window:
    """One window that applies to a person, as it stands on the day it was computed for."""

    kind: str  # APPLY or APPEAL
    programme_slug: str
    title_zh: str
    title_en: str
    # What the window is: the rule's date fact and parameter, or the appeal parameter.
    key: str
    starts_on: date
    closes_on: date
    days_left: int  # 0 on the last day
    length: object  # the parameter's value in words (``ParameterText``)
    status: str = ""  # the programme's eligibility for a window to apply
    application: Application | None = None  # the draft it is for, or the refused case

    @property
    def title(self) -> str:
        return self.title_zh if is_chinese() else self.title_en

    @property
    def description(self) -> str:
        """When the window started and how long it is, in the active language
        ("24 months after you graduated on 30 June 2025")."""
        if self.kind == APPEAL:
            template = _AFTER_REFUSAL
        else:
            template = _STARTED.get(self.key.split(":", 1)[0], _STARTED_OTHERWISE)
        return str(Sentence(template, length=self.length, date=self.starts_on))


def _leaf_values(rule: Node, context: Context) -> dict[int, bool]:
    """Each leaf's value for the facts known; a leaf whose fact is not known counts as not holding."""
    values = {}
    for leaf in rule.leaves():
        value = context.facts.get(leaf.fact) if leaf.fact else None
        values[id(leaf)] = value is not None and bool(leaf.test(value, context))
    return values


def _decides(rule: Node, window: Node, context: Context) -> bool:
    """The criterion holds with the window open and fails with it closed."""
    values = _leaf_values(rule, context)
    values[id(window)] = True
    if not rule.decide(values):
        return False
    values[id(window)] = False
    return not rule.decide(values)


def eligibility_windows(
    facts: dict,
    *,
    today: date,
    slugs: Collection[str] | None = None,
    statuses: Collection[str] = OPEN_TO,
    application: Application | None = None,
) -> list[Window]:
    """The windows to apply that are open on ``today`` for a person with ``facts`` (wire
    form), for the programmes ``slugs`` (all by default) whose status is in ``statuses``.
    Facts that cannot be read give none."""
    try:
        parsed = parse_facts(facts)
    except FactsInvalid:
        return []
    parameters = parameters_in_force(today)
    context = Context(facts=parsed, as_of=today, parameters=parameters, region_served=settings.LINGHUO_REGION_CODE)
    windows = []
    for result in evaluate(parsed, today, parameters=parameters):
        if result.status not in statuses or (slugs is not None and result.programme_slug not in slugs):
            continue
        rules = PROGRAMMES[result.programme_slug]
        for criterion, outcome in zip(rules.criteria, result.criteria, strict=True):
            if outcome.passed is False:
                continue
            for leaf in criterion.rule.leaves():
                if not isinstance(leaf, _Window):
                    continue
                starts_on = parsed.get(leaf.fact)
                if (
                    starts_on is None
                    or not leaf.test(starts_on, context)
                    or not _decides(criterion.rule, leaf, context)
                ):
                    continue
                closes_on = leaf.add(starts_on, context.value(leaf.parameter_key))
                windows.append(
                    Window(
                        kind=APPLY,
                        programme_slug=result.programme_slug,
                        title_zh=result.programme.title_zh,
                        title_en=result.programme.title_en,
                        key=f"{leaf.fact}:{leaf.parameter_key}",
                        starts_on=starts_on,
                        closes_on=closes_on,
                        days_left=(closes_on - today).days,
                        length=ParameterText(context.parameter(leaf.parameter_key)),
                        status=str(result.status),
                        application=application,
                    )
                )
    return _distinct(windows)


def _distinct(windows: Iterable[Window]) -> list[Window]:
    """One window per programme and rule window (two criteria may share one)."""
    seen = {}
    for window in windows:
        seen.setdefault((window.programme_slug, window.key, window.closes_on), window)
    return list(seen.values())


def application_windows(application: Application, *, today: date | None = None) -> list[Window]:
    """The windows of a draft's programme, from its own answers: it must be sent before they close."""
    if application.status != Status.DRAFT:
        return []
    return eligibility_windows(
        application.facts,
        today=today or timezone.localdate(),
        slugs={application.programme.slug},
        application=application,
    )


def appeal_window(application: Application, *, today: date) -> Window | None:
    """The window to ask for reconsideration of a refusal, while it is open."""
    offered = reconsideration_window(application, today=today)
    if not offered.available or offered.closes_on is None:
        return None
    refused_on = timezone.localdate(application.decided_at)
    programme = application.programme
    return Window(
        kind=APPEAL,
        programme_slug=programme.slug,
        title_zh=programme.title_zh,
        title_en=programme.title_en,
        # One window per refused case: a person refused twice for a programme has two.
        key=f"appeal:{application.pk}:{APPEAL_WINDOW_PARAMETER}",
        starts_on=refused_on,
        closes_on=offered.closes_on,
        days_left=(offered.closes_on - today).days,
        length=ParameterText(parameters_in_force(refused_on).get(APPEAL_WINDOW_PARAMETER)),
        application=application,
    )


def kept_screening_of(person) -> KeptScreening | None:
    return KeptScreening.objects.filter(person=person).first()


def person_windows(person, *, today: date | None = None, statuses: Collection[str] = OPEN_TO) -> list[Window]:
    """Every window that applies to ``person`` today, the soonest to close first: those of
    their drafts, those of the programmes of their latest screening they have not applied
    for, and the window to ask for reconsideration of each refusal. Three queries."""
    today = today or timezone.localdate()
    applications = list(
        Application.objects.filter(applicant=person).select_related("programme").prefetch_related("reconsiderations")
    )
    applied = {a.programme.slug for a in applications if a.status != Status.DRAFT}
    windows: list[Window] = []
    drafted = set()
    for application in applications:
        if application.status == Status.DRAFT:
            drafted.add(application.programme.slug)
            windows += eligibility_windows(
                application.facts,
                today=today,
                slugs={application.programme.slug},
                statuses=statuses,
                application=application,
            )
    kept = kept_screening_of(person)
    if kept is not None:
        windows += [
            window
            for window in eligibility_windows(kept.facts, today=today, statuses=statuses)
            if window.programme_slug not in applied | drafted
        ]
    for application in applications:
        if application.status == Status.REJECTED:
            appeal = appeal_window(application, today=today)
            if appeal is not None:
                windows.append(appeal)
    return sorted(windows, key=lambda window: (window.closes_on, window.title_en))


# --- Reminders ---------------------------------------------------------------------------


def reminder_threshold(days_left: int) -> int | None:
    """The reminder due with ``days_left`` days to go: the nearest of ``REMINDER_DAYS`` not
    passed yet (30 from 30 days before, 7 from 7 days before, up to the last day); None
    before the first, and once the window has closed. A day missed is caught up; a
    reminder whose time has passed is not sent late (7 days before, the 30-day one is not)."""
    if days_left < 0:
        return None
    due = [days for days in REMINDER_DAYS if days_left <= days]
    return min(due) if due else None


@dataclass(frozen=True)
class DueReminder:
    person: object
    window: Window
    days_before: int


def _longest_appeal_window_days() -> int:
    """The most days any value of ``review.appeal_window_days`` ever gave to ask for reconsideration."""
    values = ParameterValue.objects.filter(parameter__key=APPEAL_WINDOW_PARAMETER).values_list("value", flat=True)
    return max((int(value) for value in values), default=0)


def reminders_due(*, today: date) -> Iterator[DueReminder]:
    """Reminders to send today: for each window to apply of a programme a person with an
    account screened eligible for and has not applied for (a draft is not applied), and for
    each refusal they may still ask to be reconsidered (they have not asked yet), the
    threshold due, when it was not sent for that window yet."""
    # A refusal older than the longest window there ever was has no window open any more.
    refused_since = timezone.make_aware(
        datetime.combine(today - timedelta(days=_longest_appeal_window_days() + 1), time())
    )
    people = (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(
            Q(kept_screening__isnull=False)
            | Q(applications__status=Status.DRAFT)
            | Q(applications__status=Status.REJECTED, applications__decided_at__gte=refused_since)
        )
        .distinct()
        .order_by("pk")
    )
    sent = set(
        WindowReminder.objects.filter(closes_on__gte=today).values_list(
            "person_id", "programme__slug", "window", "closes_on", "days_before"
        )
    )
    for person in list(people):
        for window in person_windows(person, today=today, statuses=(Eligibility.ELIGIBLE,)):
            days_before = reminder_threshold(window.days_left)
            if days_before is None:
                continue
            if (person.pk, window.programme_slug, window.key, window.closes_on, days_before) in sent:
                continue
            yield DueReminder(person=person, window=window, days_before=days_before)
