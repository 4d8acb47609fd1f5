"""Every URL of the portal against every role, with the expected answer, in one table.

The URLs come from the resolver (``portal.urls``): a test fails when a URL is
added without a row here. Pages are asked for with GET, actions with POST (the
test client does not check CSRF, so a refusal is the view's own). Each cell runs
in a transaction rolled back afterwards, so an accepted action changes nothing
for the next cell.

Answers: 200; ``ok`` (an action accepted: the view answered, 200, 302 elsewhere
than the login, or 400 for the empty form); ``pub`` (a public page: 200 or a
redirect, never a refusal); ``login`` (302 to the login); 403; 404; 405.
"""

import pytest
from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver

from applications.models import Document, Status
from eligibility.models import Programme
from tests.applications.test_review_services import submitted
from tests.factories import (
    ApplicationFactory,
    CaseworkerFactory,
    CitizenFactory,
    PolicyAdminFactory,
    SupervisorFactory,
)

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "citizen_a", "citizen_b", "caseworker_in", "caseworker_out", "supervisor", "policy_admin")
L, OK, PUB = "login", "ok", "pub"

# name: (method, path, answers for ROLES in order); {draft}, {case}, {doc_case}, … come from the fixture.
# fmt: off
MATRIX = {
    # Public pages and the API
    "home": ("GET", "/", (PUB,) * 7),
    "healthz": ("GET", "/healthz", (PUB,) * 7),
    "healthz_live": ("GET", "/healthz/live", (PUB,) * 7),
    "healthz_ready": ("GET", "/healthz/ready", (PUB,) * 7),
    "metrics": ("GET", "/metrics", (L, 403, 403, 403, 403, 200, 403)),  # or a scraper's bearer token
    "favicon": ("GET", "/favicon.ico", (PUB,) * 7),
    "language_set": ("POST", "/language/", (OK,) * 7),
    "accounts:register": ("GET", "/accounts/register/", (PUB,) * 7),
    "accounts:confirm": ("GET", "/accounts/confirm/", (L,) + (PUB,) * 6),
    "accounts:confirm_email": ("GET", "/accounts/confirm/email/x/", (400,) * 7),  # a bad link
    "accounts:login": ("GET", "/accounts/login/", (PUB,) * 7),
    "accounts:logout": ("POST", "/accounts/logout/", (OK,) * 7),
    "accounts:two_factor": ("GET", "/accounts/two-factor/", (L,) + (PUB,) * 6),
    "accounts:two_factor_enrol": ("GET", "/accounts/two-factor/enrol/", (L,) + (PUB,) * 6),
    "accounts:password_reset": ("GET", "/accounts/password-reset/", (PUB,) * 7),
    "accounts:password_reset_done": ("GET", "/accounts/password-reset/sent/", (PUB,) * 7),
    "accounts:password_reset_confirm": ("GET", "/accounts/password-reset/x/y/", (PUB,) * 7),
    "accounts:password_reset_complete": ("GET", "/accounts/password-reset/complete/", (PUB,) * 7),
    "eligibility:api_screenings": ("POST", "/api/v1/screenings", (OK,) * 7),
    "eligibility:api_programs": ("GET", "/api/v1/programs", (200,) * 7),
    "eligibility:api_schema": ("GET", "/api/v1/schema", (200,) * 7),
    "eligibility:screening_start": ("GET", "/screening/", (PUB,) * 7),
    "eligibility:screening_results": ("GET", "/screening/results/", (PUB,) * 7),
    "eligibility:screening_restart": ("POST", "/screening/restart/", (OK,) * 7),
    "eligibility:screening_step": ("GET", "/screening/groups/", (PUB,) * 7),
    # Citizen pages: one's own only; another person's answers 404, as if it did not exist
    # The SMS provider's push of delivery reports: off (404) until ALIBABA_SMS_REPORT_TOKEN is set.
    "applications:sms_reports_alibaba": ("POST", "/sms/reports/alibaba/", (404,) * 7),
    "applications:list": ("GET", "/applications/", (L, 200, 200, 200, 200, 200, 200)),
    "applications:new": ("POST", "/applications/new/{slug}/", (L, OK, OK, OK, OK, OK, OK)),
    "applications:draft": ("GET", "/applications/drafts/{draft}/", (L, OK, 404, 404, 404, 404, 404)),
    "applications:check": ("GET", "/applications/drafts/{draft}/check/", (L, 200, 404, 404, 404, 404, 404)),
    "applications:document_remove": ("POST", "{draft_url}documents/{ddp}/remove/", (L, OK, 404, 404, 404, 404, 404)),
    "applications:step": ("GET", "/applications/drafts/{draft}/personal/", (L, 200, 404, 404, 404, 404, 404)),
    "applications:case": ("GET", "/applications/{case}/", (L, 200, 404, 404, 404, 404, 404)),
    "applications:confirmation": ("GET", "/applications/{case}/sent/", (L, 200, 404, 404, 404, 404, 404)),
    "applications:withdraw": ("POST", "/applications/{case}/withdraw/", (L, OK, 404, 404, 404, 404, 404)),
    "applications:upload": ("POST", "/applications/{case}/documents/", (L, OK, 404, 404, 404, 404, 404)),
    "applications:respond": ("POST", "/applications/{case}/response/", (L, OK, 404, 404, 404, 404, 404)),
    "applications:reconsider": ("POST", "/applications/{case}/reconsideration/", (L, OK, 404, 404, 404, 404, 404)),
    "applications:inbox": ("GET", "/inbox/", (L, 200, 200, 200, 200, 200, 200)),
    # A person's own data (applications.retention): everyone logged in gets their own; drafts only their owner's
    "retention:data": ("GET", "/account/data/", (L, 200, 200, 200, 200, 200, 200)),
    "retention:data_json": ("GET", "/account/data.json", (L, 200, 200, 200, 200, 200, 200)),
    "retention:data_pdf": ("GET", "/account/data.pdf", (L, 200, 200, 200, 200, 200, 200)),
    "retention:draft_delete": ("GET", "/account/drafts/{draft}/delete/", (L, 200, 404, 404, 404, 404, 404)),
    "retention:draft_delete (POST)": ("POST", "/account/drafts/{draft}/delete/", (L, OK, 404, 404, 404, 404, 404)),
    "retention:draft_delete (sent)": ("POST", "/account/drafts/{case_pk}/delete/", (L, 404, 404, 404, 404, 404, 404)),
    "retention:drafts_delete": ("POST", "/account/drafts/delete/", (L, OK, OK, OK, OK, OK, OK)),
    # Documents: the owner; staff of the region once submitted; by random token only
    "applications:document": ("GET", "/documents/{doc_case}/", (L, 200, 404, 200, 404, 200, 404)),
    "applications:document (draft)": ("GET", "/documents/{doc_draft}/", (L, 200, 404, 404, 404, 404, 404)),
    "applications:document (by id)": ("GET", "/documents/{doc_case_pk}/", (404,) * 7),
    "applications:document_pages": ("GET", "/documents/{doc_case}/pages/", (L, 200, 404, 200, 404, 200, 404)),
    "applications:document_pages (draft)": ("GET", "/documents/{doc_draft}/pages/", (L, 200, 404, 404, 404, 404, 404)),
    # The matrix's PDF has no page to draw, so no image for anyone (who sees them: test_pdf_previews.py)
    "applications:document_page": ("GET", "/documents/{doc_case}/pages/1.png", (L, 404, 404, 404, 404, 404, 404)),
    # Staff: the region's caseworkers and supervisors
    "audit:entries": ("GET", "/staff/audit/", (L, 403, 403, 403, 403, 200, 403)),
    "staff:home": ("GET", "/staff/", (L, 403, 403, 200, 200, 200, 403)),
    "staff:queue": ("GET", "/staff/queue/", (L, 403, 403, 200, 200, 200, 403)),
    "staff:claim_next": ("POST", "/staff/queue/claim-next/", (L, 403, 403, OK, OK, OK, 403)),
    "staff:unreachable": ("GET", "/staff/unreachable/", (L, 403, 403, 200, 200, 200, 403)),  # each their own region's
    "staff:case": ("GET", "/staff/cases/{case}/", (L, 404, 404, 200, 404, 200, 404)),
    "staff:claim": ("POST", "/staff/cases/{case}/claim/", (L, 404, 404, OK, 404, OK, 404)),
    "staff:release": ("POST", "/staff/cases/{case}/release/", (L, 404, 404, OK, 404, OK, 404)),
    "staff:reveal": ("POST", "/staff/cases/{case}/reveal/", (L, 404, 404, OK, 404, OK, 404)),
    "staff:note": ("POST", "/staff/cases/{case}/notes/", (L, 404, 404, OK, 404, OK, 404)),
    "staff:approve": ("POST", "/staff/cases/{case}/approve/", (L, 404, 404, OK, 404, OK, 404)),
    "staff:reject": ("POST", "/staff/cases/{case}/reject/", (L, 404, 404, OK, 404, OK, 404)),
    "staff:request_info": ("POST", "/staff/cases/{case}/request-info/", (L, 404, 404, OK, 404, OK, 404)),
    "staff:return": ("POST", "/staff/cases/{case}/return/", (L, 404, 404, OK, 404, OK, 404)),
    "staff:resume_review": ("POST", "/staff/cases/{case}/resume-review/", (L, 404, 404, OK, 404, OK, 404)),
    "staff:case (GET on an action)": ("GET", "/staff/cases/{case}/approve/", (405,) * 7),  # before any lookup
    # Supervision and the payments export (full bank numbers): supervisors only
    "supervision:dashboard": ("GET", "/supervision/", (L, 403, 403, 403, 403, 200, 403)),
    "supervision:payments": ("GET", "/supervision/payments/", (L, 403, 403, 403, 403, 200, 403)),
    "supervision:payments_csv": ("GET", "/supervision/payments.csv{period}", (L, 403, 403, 403, 403, 200, 403)),
    "supervision:payments_xlsx": ("GET", "/supervision/payments.xlsx{period}", (L, 403, 403, 403, 403, 200, 403)),
    "supervision:referrals": ("GET", "/supervision/referrals/", (L, 403, 403, 403, 403, 200, 403)),
    "supervision:referrals_csv": ("GET", "/supervision/referrals.csv{period}", (L, 403, 403, 403, 403, 200, 403)),
    "supervision:referrals_xlsx": ("GET", "/supervision/referrals.xlsx{period}", (L, 403, 403, 403, 403, 200, 403)),
    "staff:outcome": ("POST", "/staff/cases/{case}/outcome/", (L, 404, 404, OK, 404, OK, 404)),
    # Department registries and budgets: policy admins only
    "registry:imports": ("GET", "/registry/imports/", (L, 403, 403, 403, 403, 403, 200)),
    "registry:import_detail": ("GET", "/registry/imports/999999/", (L, 403, 403, 403, 403, 403, 404)),
    "registry:import_status": ("GET", "/registry/imports/999999/status/", (L, 403, 403, 403, 403, 403, 404)),
    "registry:person_lookup": ("GET", "/registry/persons/", (L, 403, 403, 403, 403, 403, 200)),
    "budgets:budgets": ("GET", "/budgets/", (L, 403, 403, 403, 403, 403, 200)),
    # The policy console (issue 14): policy admins only
    "policy:home": ("GET", "/policy/", (L, 403, 403, 403, 403, 403, 200)),
    "policy:programme": ("GET", "/policy/programmes/{slug}/", (L, 403, 403, 403, 403, 403, 200)),
    "policy:parameter": ("GET", "/policy/parameters/999999/", (L, 403, 403, 403, 403, 403, 404)),
    "policy:propose": ("POST", "/policy/parameters/999999/propose/", (L, 403, 403, 403, 403, 403, 404)),
    "policy:proposals": ("GET", "/policy/proposals/", (L, 403, 403, 403, 403, 403, 200)),
    "policy:proposal": ("GET", "/policy/proposals/999999/", (L, 403, 403, 403, 403, 403, 404)),
    "policy:approve": ("POST", "/policy/proposals/999999/approve/", (L, 403, 403, 403, 403, 403, 404)),
    "policy:reject": ("POST", "/policy/proposals/999999/reject/", (L, 403, 403, 403, 403, 403, 404)),
    "policy:withdraw": ("POST", "/policy/proposals/999999/withdraw/", (L, 403, 403, 403, 403, 403, 404)),
    "policy:reference_cases": ("GET", "/policy/reference-cases/", (L, 403, 403, 403, 403, 403, 200)),
    "policy:reference_case_new": ("POST", "/policy/reference-cases/new/", (L, 403, 403, 403, 403, 403, OK)),
    "policy:reference_case": ("GET", "/policy/reference-cases/999999/", (L, 403, 403, 403, 403, 403, 404)),
    "policy:reference_case_delete": (
        "POST", "/policy/reference-cases/999999/delete/", (L, 403, 403, 403, 403, 403, 404),
    ),
    "policy:approve (GET on an action)": ("GET", "/policy/proposals/999999/approve/", (405,) * 7),
    # Invitations: by random token only; an unknown one is not found for anybody
    "outreach:invitation": ("GET", "/invitations/{token}/", (404,) * 7),
    "outreach:opt_out": ("GET", "/invitations/{token}/opt-out/", (404,) * 7),
    "outreach:apply": ("GET", "/invitations/{token}/apply/", (L, 404, 404, 404, 404, 404, 404)),
    # The admin: policy admins only, everyone else to the admin's login; the audit trail is the supervisors' (above)
    "admin": ("GET", "/admin/", ("admin_login",) * 6 + (200,)),
    "admin (audit trail)": ("GET", "/admin/applications/auditentry/", ("admin_login",) * 6 + (403,)),
}
# fmt: on


def resolver_names() -> set[str]:
    names = set()

    def walk(resolver, namespace=""):
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLResolver):
                if pattern.app_name == "admin":
                    names.add("admin")
                    continue
                walk(pattern, f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace)
            elif isinstance(pattern, URLPattern) and pattern.name:
                names.add(f"{namespace}{pattern.name}")

    walk(get_resolver("portal.urls"))
    return names


def test_every_url_of_the_portal_has_a_row():
    listed = {name.split(" (")[0] for name in MATRIX}
    assert resolver_names() - listed == set(), "add the new URLs to MATRIX"
    assert listed - resolver_names() == set(), "a row names a URL that is gone"


@pytest.fixture
def world():
    citizen_a = CitizenFactory(username="a@example.com")
    case = submitted(applicant=citizen_a, region="330800")
    other_programme = Programme.objects.exclude(pk=case.programme_id).first()
    draft = ApplicationFactory(applicant=citizen_a, region="330800", status=Status.DRAFT, programme=other_programme)
    documents = {}
    for name, application in (("case", case), ("draft", draft)):
        documents[name] = Document.objects.create(
            application=application,
            kind=Document.Kind.IDENTITY_CARD,
            file=f"documents/{application.pk}/matrix",
            original_name="id.pdf",
            size=10,
            content_type="application/pdf",
            uploaded_by=citizen_a,
            check_status=Document.CheckStatus.PASSED,
        )
        documents[name].file.save("id.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"))
    users = {
        "anonymous": None,
        "citizen_a": citizen_a,
        "citizen_b": CitizenFactory(username="b@example.com"),
        "caseworker_in": CaseworkerFactory(region="330800"),
        "caseworker_out": CaseworkerFactory(region="330100"),
        "supervisor": SupervisorFactory(region="330800"),
        "policy_admin": PolicyAdminFactory(),
    }
    values = {
        "draft": draft.pk,
        "case": case.reference,
        "case_pk": case.pk,
        "slug": case.programme.slug,
        "period": "?from=2026-01-01&to=2026-12-31",
        "token": "00000000-0000-4000-8000-000000000000",
        "doc_draft": documents["draft"].token,
        "ddp": documents["draft"].pk,
        "draft_url": f"/applications/drafts/{draft.pk}/",
        "doc_case": documents["case"].token,
        "doc_case_pk": documents["case"].pk,
    }
    return users, values


def answer(response) -> object:
    location = response.get("Location", "")
    if response.status_code == 302 and location.startswith("/accounts/login/"):
        return L
    if response.status_code == 302 and location.startswith("/admin/login/"):
        return "admin_login"
    return response.status_code


def matches(expected, got, method) -> bool:
    if expected == PUB:
        return got in (200, 301, 302)
    if expected == OK:
        return got in (200, 201, 204, 301, 302, 400)
    return expected == got


def test_the_access_matrix(client, world):
    users, values = world
    wrong, tried = [], 0
    for name, (method, template, answers) in MATRIX.items():
        path = template.format(**values)
        for role, expected in zip(ROLES, answers, strict=True):
            with transaction.atomic():
                client.logout()
                if users[role] is not None:
                    client.force_login(users[role])
                response = client.get(path) if method == "GET" else client.post(path, {})
                got = answer(response)
                transaction.set_rollback(True)
            tried += 1
            if not matches(expected, got, method):
                wrong.append(f"{name} {method} {path} as {role}: expected {expected}, got {got}")
    print(f"access matrix: {tried} cells tried, {len(wrong)} wrong")
    assert wrong == [], "\n".join(wrong)
