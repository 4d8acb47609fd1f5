"""Every programme, from the screener to its outcome, in a real browser (issue 13).

For each programme of ``eligibility.rules.programmes.PROGRAMMES``, in catalogue
order, a person whose facts make it eligible (``tests/e2e/programme_personas.py``)
answers the screener, sees it eligible (with its amount where it has one), applies
from its Apply link with real files for every document asked, and gets a
reference. A caseworker claims the case from the queue and approves it; where the
amount in all is above ``review.four_eyes_threshold`` a supervisor gives the second
approval. A cash programme then shows its payment schedule on the person's case
page; any other ends in the outcome the caseworker records in the staff case page's
form (a loan: the referral, then the bank's loan), which the person then reads on
their case page.

The programmes alternate between Chinese on a 375 px phone and English on a desktop
(staff work on a desktop, in the person's language), so that every kind of step is
taken in both. Two more screenings, one in each language, show all the programmes
to a person for whom many are eligible.
"""

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.template.defaultfilters import floatformat
from django.utils import timezone, translation
from django.utils.formats import date_format
from playwright.sync_api import expect

from applications.models import Application, Fulfilment, Notification, Status
from eligibility.dates import add_months
from eligibility.engine import evaluate
from eligibility.facts import parse_facts
from eligibility.models import IncubatorSite, Programme, TrainingCourse
from eligibility.rules.programmes import PROGRAMMES
from tests.applications.files import image_bytes, pdf_bytes
from tests.conftest import totp_code
from tests.e2e.browsing import Wording, expect_path, field, main_button, staff_authenticator
from tests.e2e.conftest import DESKTOP, PHONE
from tests.e2e.inspection import page_checked
from tests.e2e.programme_personas import answers_for, many_programmes_answers
from tests.e2e.test_review_journey import open_decision
from tests.factories import PASSWORD, VALID_ID_NUMBER, CaseworkerFactory, CitizenFactory, SupervisorFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

CHINESE_ON_A_PHONE = pytest.param("zh-hans", PHONE, id="phone-chinese")
ENGLISH_ON_A_DESKTOP = pytest.param("en", DESKTOP, id="desktop-english")
DECLARATION = (
    "I declare that what I have told you is true and complete, and I understand that a subsidy paid "
    "on false information must be repaid."
)


def journeys():
    """Each programme once, in catalogue order: Chinese on a phone, English on a desktop, by turns."""
    for index, slug in enumerate(PROGRAMMES):
        setting = CHINESE_ON_A_PHONE if index % 2 == 0 else ENGLISH_ON_A_DESKTOP
        yield pytest.param(slug, *setting.values, id=f"{slug}-{setting.id}")


# --- What a person reads, written as the portal writes it -------------------------------------------


def in_language(language: str, function, *args):
    with translation.override(language):
        return str(function(*args))


def money(value, language: str) -> str:
    return in_language(language, floatformat, value, "2g")


def day(value, language: str) -> str:
    return in_language(language, date_format, value, "DATE_FORMAT")


def month(value, language: str) -> str:
    return in_language(language, date_format, value, "YEAR_MONTH_FORMAT")


# --- Steps shared by the journeys ----------------------------------------------------------------------


def open_in_language(new_page, language: str, viewport: dict, path: str):
    """A fresh browser at ``path``, in ``language``: Chinese first, English one click away."""
    page = new_page(viewport=viewport, locale="en-US" if language == "en" else "zh-CN")
    page.goto(path)
    if language == "en":
        page.locator("header").get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en" if language == "en" else "zh-Hans")
    return page


def log_in_here(page, _: Wording, user) -> None:
    """On the login page (where "Apply" or ``?next=`` leads): the password, and staff's code.
    The login pages themselves are checked by the other journeys."""
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    field(page, _("Mobile number or e-mail address")).fill(user.username)
    field(page, _("Password")).fill(PASSWORD)
    device = staff_authenticator(user.username)
    with page.expect_navigation():
        main_button(page, _("Log in")).click()
    if device is not None:
        expect(page).to_have_url(re.compile(r"/accounts/two-factor/(\?.*)?$"))
        field(page, _("Code from your authenticator app")).fill(totp_code(device))
        with page.expect_navigation():
            main_button(page, _("Continue")).click()


def staff_page(new_page, live_server, language: str, user, path: str):
    """A staff member's desktop browser, logged in, at ``path``, in the language they chose
    before (the cookie the language button sets: the citizen's journey clicks it)."""
    page = new_page(viewport=DESKTOP, locale="en-US" if language == "en" else "zh-CN")
    page.context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}])
    page.goto(f"/accounts/login/?next={path}")
    log_in_here(page, Wording(language), user)
    expect_path(page, re.escape(path))
    expect(page.locator("html")).to_have_attribute("lang", "en" if language == "en" else "zh-Hans")
    return page


def form_value(value: object) -> str:
    """A wire fact as the screener's form takes it."""
    if value is True:
        return "yes"
    if value is False:
        return "no"
    return "" if value is None else str(value)


# Sets each field of the step's form from the answers, by its name, in one call: the
# screener's own journey (tests/e2e/test_screener_journey.py) types and clicks; this
# one only needs the answers in. Returns the names it found no answer for.
_FILL_STEP = """(form, answers) => {
  const unanswered = [];
  for (const element of form.elements) {
    if (!element.name || element.type === "hidden" || element.type === "submit") continue;
    if (!(element.name in answers)) { unanswered.push(element.name); continue; }
    const answer = answers[element.name];
    if (element.type === "checkbox") element.checked = answer.includes(element.value);
    else if (element.type === "radio") element.checked = element.value === answer;
    else element.value = answer;
  }
  return [...new Set(unanswered)];
}"""


def answer_step(page, answers: dict) -> None:
    """Fills every question of the screener's page from ``answers`` (wire facts), by the field's name."""
    form = page.locator("main form.screening-step")
    values = {name: value if isinstance(value, list) else form_value(value) for name, value in answers.items()}
    unanswered = form.evaluate(_FILL_STEP, values)
    assert not unanswered, f"{page.url} asks {unanswered}, which the persona does not answer"


def screen(page, _: Wording, answers: dict) -> None:
    """From the screener's start page through every page it asks to the results."""
    page.get_by_role("link", name=_("Start now")).click()
    for _step in range(12):
        if "/screening/results/" in page.url:
            break
        expect_path(page, r"/screening/[a-z-]+/")
        asked = page.url
        answer_step(page, answers)
        with page.expect_navigation():
            main_button(page, _("Continue")).click()
        assert page.url != asked, f"{asked} refused the answers: {page.locator('main').inner_text()[:500]}"
    expect_path(page, r"/screening/results/")


def programme_result(page, slug: str):
    return page.locator("section.screening-result").filter(has=page.locator(f"#programme-{slug}"))


def save_and_continue(page, _: Wording) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name=_("Save and continue")).click()


def fill_personal(page, _: Wording, citizen, answers: dict) -> None:
    page.get_by_label(_("Full name")).fill("王小明")
    page.get_by_label(_("Resident identity number")).fill(VALID_ID_NUMBER)
    page.get_by_label(_("Date of birth")).fill(answers["birth_date"])  # the identity number's
    expect(page.get_by_label(_("Mobile number"))).to_have_value(citizen.mobile)  # from the account
    page.get_by_label(_("Address")).fill("浙江省衢州市柯城区荷花街道 1 号")
    save_and_continue(page, _)


def upload_documents(page, _: Wording) -> list[str]:
    """Uploads a real file for every document the page asks for; returns the file names."""
    kinds = page.locator("main li[id^='document-']").evaluate_all(
        "items => items.map(item => item.id.slice('document-'.length))"
    )
    assert kinds, "The documents page asks for nothing"
    names = []
    for index, kind in enumerate(kinds):
        name, mime_type, content = (
            (f"{kind}.pdf", "application/pdf", pdf_bytes(1))
            if index % 2 == 0
            else (f"{kind}.jpg", "image/jpeg", image_bytes("JPEG", size=(320, 240)))
        )
        page.get_by_label(_("Which document is this?")).select_option(kind)
        field(page, _("File")).set_input_files({"name": name, "mimeType": mime_type, "buffer": content})
        with page.expect_navigation():
            page.get_by_role("button", name=_("Upload"), exact=True).click()
        expect(page.locator(f"#document-{kind}").get_by_role("link", name=name)).to_be_visible()
        names.append(name)
    return names


def apply(page, _: Wording, slug: str, citizen, answers: dict) -> str:
    """From the Apply link of the result to the reference number; returns it."""
    rules = PROGRAMMES[slug]
    expect_path(page, rf"/applications/new/{slug}/")
    page.get_by_role("button", name=_("Start the application")).click()
    expect_path(page, r"/applications/drafts/\d+/personal/")
    fill_personal(page, _, citizen, answers)

    # Your situation: what the screener was told.
    expect_path(page, r"/applications/drafts/\d+/situation/")
    page_checked(page)  # the questions differ by programme
    employment = page.locator(f"input[name=employment_form][value={answers['employment_form']}]")
    if employment.count():
        expect(employment).to_be_checked()
    save_and_continue(page, _)

    steps = []
    uploaded = []
    for _step in range(4):
        step = re.search(r"/applications/drafts/\d+/([a-z-]+)/$", page.url).group(1)
        if step == "check":
            break
        steps.append(step)
        if step == "project":
            page_checked(page)
            field(page, _("Project")).fill("衢州市柯城区安置房三期工程")
            field(page, _("Site address")).fill("衢州市柯城区白云街道荷四路 18 号")
            field(page, _("General contractor")).fill("浙江衢建建设集团有限公司")
            save_and_continue(page, _)
        elif step == "payment":
            field(page, _("Bank")).fill("中国工商银行衢州分行")
            page.get_by_label(_("Account or card number")).fill("6222 0212 3456 7890 123")
            save_and_continue(page, _)
        elif step == "documents":
            uploaded = upload_documents(page, _)
            with page.expect_navigation():
                page.locator("main form").get_by_role("button", name=_("Continue"), exact=True).click()
        else:
            raise AssertionError(f"Unexpected step {step} at {page.url}")
    # A bank account for cash paid by a schedule, none for a service; the project only where asked.
    if rules.fulfilment is None:
        assert "payment" in steps, steps
    if rules.amount is None:
        assert "payment" not in steps, steps
    assert ("project" in steps) == (rules.fulfilment == Fulfilment.Kind.PROJECT_COVER), steps
    assert steps[-1] == "documents", steps

    expect_path(page, r"/applications/drafts/\d+/check/")
    page_checked(page)
    main = page.locator("main")
    expect(main).to_contain_text(VALID_ID_NUMBER)
    for name in uploaded:
        expect(main).to_contain_text(name)
    if "project" in steps:
        expect(main).to_contain_text("衢州市柯城区安置房三期工程")
    field(page, _(DECLARATION)).check()
    page.get_by_role("button", name=_("Send the application")).click()
    expect_path(page, r"/applications/LH-\d{4}-\d{6}/sent/")
    return page.locator("[data-reference]").inner_text().strip()


def approve(staff, _: Wording, reference: str) -> None:
    """The caseworker opens the case from the queue, claims it and approves it."""
    staff.locator("main").get_by_role("link", name=reference).click()
    expect(staff.get_by_role("heading", level=1)).to_contain_text(reference)
    staff.locator("aside").get_by_role("button", name=_("Claim this case")).click()
    expect(staff.locator(".messages")).to_contain_text(reference)
    open_decision(staff, _("Approve")).get_by_role("button", name=_("Approve the application")).click()
    expect(staff.locator(".messages")).to_contain_text(
        re.compile(
            "|".join(
                re.escape(_(text))
                for text in (
                    "First approval recorded. The case now waits for a supervisor's approval.",
                    "The application is approved. The applicant has been told.",
                )
            )
        )
    )


def second_approval(supervisor_page, _: Wording) -> None:
    """The supervisor, on the case page, gives the second approval."""
    expect(supervisor_page.locator("aside")).to_contain_text(_("A supervisor's second approval is needed."))
    approval = open_decision(supervisor_page, _("Give the second approval"))
    approval.get_by_role("button", name=_("Approve the application")).click()
    expect(supervisor_page.locator(".messages")).to_contain_text(
        _("The application is approved. The applicant has been told.")
    )


# --- Outcomes: what the caseworker records, and what the person then reads -----------------------------

RECORDED = {
    Status.REFERRED: "The referral is recorded. The applicant has been told.",
    Status.SERVED: "The outcome is recorded. The applicant has been told.",
}


def outcome_form(staff):
    """The staff case page's outcome form, unfolded."""
    form = staff.locator("aside form[action$='/outcome/']")
    details = form.locator("xpath=..")
    if not details.evaluate("element => element.open"):
        details.locator("summary").click()
    expect(form).to_be_visible()
    return form


def send_outcome(staff, _: Wording, form, button: str, status: str) -> None:
    form.get_by_role("button", name=_(button)).click()
    expect(staff.locator(".messages")).to_contain_text(_(RECORDED[status]))


def record_loan(staff, _, application, language, person) -> list[str]:
    form = outcome_form(staff)
    page_checked(staff)
    field(form, _("Guarantee centre")).fill("衢州市创业担保中心")
    field(form, _("Partner bank")).fill("衢州银行柯城支行")
    field(form, _("Referred on")).fill(timezone.localdate().isoformat())
    send_outcome(staff, _, form, "Record the referral", Status.REFERRED)

    # The person reads that the case is with the bank.
    person.goto(f"/applications/{application.reference}/")
    outcome = person.locator("[data-outcome]")
    expect(outcome.get_by_role("heading")).to_have_text(_("Passed to the partner"))
    expect(outcome).to_contain_text("衢州市创业担保中心")

    form = outcome_form(staff)
    form.get_by_label(_("granted the loan"), exact=True).check()
    expect(field(form, _("Bank that lent it"))).to_have_value("衢州银行柯城支行")  # from the referral
    field(form, _("Amount lent (yuan)")).fill("150000")
    field(form, _("Granted on")).fill(timezone.localdate().isoformat())
    field(form, _("Term (months)")).fill("36")
    send_outcome(staff, _, form, "Record the outcome", Status.SERVED)
    return [money("150000", language), "衢州银行柯城支行", "36"]


def record_enrolment(staff, _, application, language, person) -> list[str]:
    form = outcome_form(staff)
    page_checked(staff)
    today = timezone.localdate()
    field(form, _("Enrolment took effect on")).fill(today.isoformat())
    expected = [day(today, language)]
    if form.locator("input[name=insurance]").count():
        # Which insurance: the one the person does not pay yet.
        form.get_by_label(_("pension insurance"), exact=True).check()
        expected.append(_("pension insurance"))
    send_outcome(staff, _, form, "Record the outcome", Status.SERVED)
    return expected


def record_suspension(staff, _, application, language, person) -> list[str]:
    form = outcome_form(staff)
    page_checked(staff)
    first = timezone.localdate().replace(day=1)
    last = add_months(first, 5)
    field(form, _("First month")).fill(f"{first:%Y-%m}")
    field(form, _("Last month")).fill(f"{last:%Y-%m}")
    send_outcome(staff, _, form, "Record the outcome", Status.SERVED)
    return [month(first, language), month(last, language)]


def _in_the_list(entries, language: str):
    """An entry of a list policy admins keep (the shipped catalogue's), and its name as the person reads it."""
    entry = entries.filter(active=True).order_by("pk").last()
    assert entry is not None, f"The shipped catalogue has no {entries.model._meta.verbose_name}"
    return entry, entry.name_zh if language == "zh-hans" else entry.name_en


def record_site(staff, _, application, language, person) -> list[str]:
    site, name = _in_the_list(IncubatorSite.objects.filter(free_until__gte=timezone.localdate()), language)
    form = outcome_form(staff)
    page_checked(staff)
    field(form, _("Incubator site")).select_option(str(site.pk))
    send_outcome(staff, _, form, "Record the outcome", Status.SERVED)
    return [name, site.address]


def record_course(staff, _, application, language, person) -> list[str]:
    course, name = _in_the_list(TrainingCourse.objects.all(), language)
    form = outcome_form(staff)
    page_checked(staff)
    field(form, _("Course")).select_option(str(course.pk))
    send_outcome(staff, _, form, "Record the outcome", Status.SERVED)
    return [name, course.place]


def record_referral(staff, _, application, language, person) -> list[str]:
    form = outcome_form(staff)
    page_checked(staff)
    yesterday = timezone.localdate() - timedelta(days=1)
    received = max(yesterday, timezone.localdate(application.decided_at))
    field(form, _("Civil-affairs office")).fill("柯城区民政局")
    field(form, _("Received on")).fill(received.isoformat())
    send_outcome(staff, _, form, "Record the outcome", Status.SERVED)
    return ["柯城区民政局", day(received, language)]


def record_project_cover(staff, _, application, language, person) -> list[str]:
    form = outcome_form(staff)
    page_checked(staff)
    expect(staff.locator("main")).to_contain_text("浙江衢建建设集团有限公司")  # what the person named
    form.get_by_label(_("is insured"), exact=True).check()
    field(form, _("Policy number")).fill("GS-3308-2026-0815")
    send_outcome(staff, _, form, "Record the outcome", Status.SERVED)
    return ["GS-3308-2026-0815"]


def record_rent_relief(staff, _, application, language, person) -> list[str]:
    form = outcome_form(staff)
    page_checked(staff)
    field(form, _("Landlord")).fill("衢州市国有资产经营有限公司")
    field(form, _("Months of rent waived")).fill("3")
    send_outcome(staff, _, form, "Record the outcome", Status.SERVED)
    return ["衢州市国有资产经营有限公司"]


def record_tax_notice(staff, _, application, language, person) -> list[str]:
    form = outcome_form(staff)
    page_checked(staff)
    today = timezone.localdate()
    field(form, _("Tax bureau")).fill("国家税务总局衢州市柯城区税务局")
    field(form, _("Notified on")).fill(today.isoformat())
    send_outcome(staff, _, form, "Record the outcome", Status.SERVED)
    return ["国家税务总局衢州市柯城区税务局", day(today, language)]


RECORDERS = {
    Fulfilment.Kind.LOAN: record_loan,
    Fulfilment.Kind.ENROLMENT: record_enrolment,
    Fulfilment.Kind.SUSPENSION: record_suspension,
    Fulfilment.Kind.SITE: record_site,
    Fulfilment.Kind.COURSE: record_course,
    Fulfilment.Kind.REFERRAL: record_referral,
    Fulfilment.Kind.PROJECT_COVER: record_project_cover,
    Fulfilment.Kind.RENT_RELIEF: record_rent_relief,
    Fulfilment.Kind.TAX_NOTICE: record_tax_notice,
}


def test_every_kind_of_outcome_has_a_journey():
    kinds = {rules.fulfilment for rules in PROGRAMMES.values()} - {None}
    assert kinds <= set(RECORDERS), kinds - set(RECORDERS)


# --- The journeys --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("slug", "language", "viewport"), list(journeys()))
def test_a_programme_is_screened_applied_for_reviewed_and_brought_to_its_outcome(
    new_page, live_server, slug, language, viewport
):
    _ = Wording(language)
    rules = PROGRAMMES[slug]
    answers = answers_for(slug)
    expected = next(r for r in evaluate(parse_facts(answers), timezone.localdate()) if r.programme_slug == slug)
    citizen = CitizenFactory(username="13912345678", preferred_language=language)
    caseworker = CaseworkerFactory(username="caseworker@linghuo.test", preferred_language=language)
    supervisor = SupervisorFactory(username="supervisor@linghuo.test", preferred_language=language)

    # 1. The screener, answered from the persona, and the programme eligible.
    person = open_in_language(new_page, language, viewport, "/screening/")
    screen(person, _, answers)
    page_checked(person)
    result = programme_result(person, slug)
    expect(result.locator(".status-badge")).to_have_attribute("data-status", "eligible")
    if rules.amount is not None:
        expect(result.locator(".screening-amount")).to_contain_text(money(expected.amount.value, language))
    else:
        expect(result.locator(".screening-amount")).to_have_text(_("A service: no cash is paid."))

    # 2. Apply: the link asks to log in first, then leads to the application.
    result.get_by_role("link", name=re.compile(re.escape(_("Apply")))).click()
    expect(person).to_have_url(re.compile(r"/accounts/login/"))
    log_in_here(person, _, citizen)
    reference = apply(person, _, slug, citizen, answers)
    application = Application.objects.get(reference=reference)
    assert (application.status, application.programme.slug) == (Status.SUBMITTED, slug)

    # 3. Review: the caseworker approves; four eyes above the threshold or the budget.
    staff = staff_page(new_page, live_server, language, caseworker, "/staff/queue/")
    approve(staff, _, reference)
    application.refresh_from_db()
    second_approver = None
    if application.status == Status.PENDING_APPROVAL:
        second_approver = staff_page(new_page, live_server, language, supervisor, f"/staff/cases/{reference}/")
        second_approval(second_approver, _)
        application.refresh_from_db()
    assert application.status == Status.APPROVED

    # 4. The outcome, on the person's case page.
    if rules.fulfilment is None:
        assert application.programme.per in (Programme.Per.MONTH, Programme.Per.ONCE)
        person.goto(f"/applications/{reference}/")
        expect(person.get_by_role("heading", name=_("Approved"), exact=True)).to_be_visible()
        schedule = person.locator("section[aria-labelledby=payment-schedule-title] table")
        instalments = expected.amount.max_periods if application.programme.per == Programme.Per.MONTH else 1
        expect(schedule.locator("tbody tr")).to_have_count(instalments)
        expect(schedule.locator("tbody tr").first).to_contain_text(money(expected.amount.value, language))
        page_checked(person, f"outcome-{slug}")
        return

    if second_approver is not None:
        staff.reload()  # the caseworker who took the case records its outcome
    texts = RECORDERS[rules.fulfilment](staff, _, application, language, person)
    expect(staff.locator("aside [data-outcome]")).to_contain_text(texts[0])
    application.refresh_from_db()
    assert application.status == Status.SERVED
    # ... and the person was told, in their language.
    assert application.notifications.filter(event=Notification.Event.FULFILLED, language=language).exists()

    person.goto(f"/applications/{reference}/")
    outcome = person.locator("main [data-outcome]")
    expect(outcome.get_by_role("heading")).to_have_text(_("Served"))
    for text in texts:
        expect(outcome).to_contain_text(text)
    page_checked(person, f"outcome-{slug}")


@pytest.mark.parametrize(("language", "viewport"), [CHINESE_ON_A_PHONE, ENGLISH_ON_A_DESKTOP])
def test_a_person_for_whom_many_programmes_are_eligible_sees_all_of_them(new_page, language, viewport):
    _ = Wording(language)
    answers = many_programmes_answers()
    results = evaluate(parse_facts(answers), timezone.localdate())
    eligible = [result.programme_slug for result in results if result.status == "eligible"]
    assert len(eligible) >= len(PROGRAMMES) // 2, eligible

    page = open_in_language(new_page, language, viewport, "/screening/")
    screen(page, _, answers)
    page.locator("details.screening-others-fold > summary").click()  # those not for this person, folded
    page_checked(page, "results-many-programmes")
    for programme in Programme.objects.filter(slug__in=PROGRAMMES):
        result = programme_result(page, programme.slug)
        title = programme.title_zh if language == "zh-hans" else programme.title_en
        expect(result.get_by_role("heading", level=3)).to_have_text(title)
        status = "eligible" if programme.slug in eligible else re.compile(r"^(?!eligible$)")
        expect(result.locator(".status-badge")).to_have_attribute("data-status", status)
    assert Programme.objects.filter(slug__in=PROGRAMMES).count() == len(PROGRAMMES)
    expect(page.locator("section.screening-result")).to_have_count(len(PROGRAMMES))
