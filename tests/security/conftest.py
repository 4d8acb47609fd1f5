"""The portal as the fuzz finds it: one person of each role, a draft, and cases in every state.

Every request the fuzz sends runs inside a savepoint that is rolled back, so no
example sees what another one changed; the number of requests is counted and
printed at the end of the run.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as day_time

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client, override_settings
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from tests.security import fuzzing

# --- Counting -------------------------------------------------------------------------------------


@dataclass
class FuzzTally:
    requests: int = 0
    endpoints: set[str] = field(default_factory=set)
    statuses: Counter = field(default_factory=Counter)
    seconds: float = 0.0


TALLY = FuzzTally()


def pytest_terminal_summary(terminalreporter):
    if not TALLY.requests:
        return
    statuses = ", ".join(f"{status}: {count}" for status, count in sorted(TALLY.statuses.items()))
    terminalreporter.write_sep("-", "security fuzz")
    terminalreporter.write_line(
        f"{TALLY.requests} requests to {len(TALLY.endpoints)} endpoints in {TALLY.seconds:.1f} s, "
        f"{sum(c for s, c in TALLY.statuses.items() if s >= 500)} server errors ({statuses})"
    )


# --- The world ------------------------------------------------------------------------------------


@dataclass
class World:
    users: dict  # role -> user (anonymous: None)
    drafts: list  # the citizen's draft first, then citizen B's
    draft_documents: list
    case_references: list  # the citizen's sent cases, one in each state, all in the caseworker's region
    documents: list  # documents of the sent cases
    reset_uid: str
    reset_token: str

    def candidates(self, endpoint: fuzzing.Endpoint, kwarg: str) -> list[str]:
        """URL values for ``kwarg``: real objects of the role first, then ones that do not exist."""
        from applications.services.intake import STEPS
        from eligibility.models import Programme
        from eligibility.screener.flow import STEPS as SCREENER_STEPS

        missing = ["999999999"]
        if endpoint.namespace == "admin":
            model = fuzzing.admin_model_of(endpoint)
            if kwarg in ("object_id", "id") and model is not None:
                return [str(pk) for pk in model._default_manager.values_list("pk", flat=True)[:5]] + [
                    *missing,
                    "abc",
                ]
            if kwarg == "app_label":
                return sorted({m._meta.app_label for m in fuzzing.admin.site._registry})
        if kwarg == "reference":
            return [*self.case_references, "LH-2026-999999"]
        if kwarg == "pk":
            return [str(a.pk) for a in self.drafts] + missing
        if kwarg == "document_pk":
            return [str(d.pk) for d in self.draft_documents] + missing
        if kwarg == "step":
            return [*STEPS, *(s.slug for s in SCREENER_STEPS), "no-such-step"]
        if kwarg == "slug":
            return [*Programme.objects.values_list("slug", flat=True), "no-such-programme"]
        if kwarg == "uidb64":
            return [self.reset_uid, "MQ", "!!"]
        if kwarg == "token" and endpoint.name.startswith("applications:document"):
            unknown = "00000000-0000-4000-8000-000000000000"
            return [str(d.token) for d in [*self.documents, *self.draft_documents]] + [unknown]
        if kwarg == "token" and endpoint.namespace == "outreach":
            from applications.outreach.models import Invitation

            unknown = "00000000-0000-4000-8000-000000000000"
            return [str(token) for token in Invitation.objects.values_list("token", flat=True)[:3]] + [unknown]
        if kwarg == "token":
            return [self.reset_token, "set-password", "abc-123", "x" * 200]
        # A parameter nobody has seen yet: a row of the model it is named after, else plain values.
        from django.apps import apps

        model_name = kwarg.removesuffix("_id").removesuffix("_pk").replace("_", "")
        for model in apps.get_models():
            if model._meta.model_name == model_name:
                return [str(pk) for pk in model._default_manager.values_list("pk", flat=True)[:5]] + missing
        return ["1", "abc", "LH-2026-000001", *missing]


def _file(name: str, data: bytes, content_type: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def _document(application, kind: str):
    from applications.models import Document
    from tests.applications.files import pdf_bytes

    document = Document(
        application=application,
        kind=kind,
        original_name="scan.pdf",
        size=1000,
        content_type="application/pdf",
        uploaded_by=application.applicant,
        check_status=Document.CheckStatus.PASSED,
        check_results={"problems": []},
    )
    document.file.save("upload.pdf", _file("scan.pdf", pdf_bytes(1), "application/pdf"), save=True)
    return document


def _sent(applicant, submitted_on: date, **fields):
    from applications.models import Status
    from tests.factories import ApplicationFactory

    application = ApplicationFactory(
        applicant=applicant,
        status=Status.SUBMITTED,
        submitted_on=submitted_on,
        submitted_at=timezone.make_aware(datetime.combine(submitted_on, day_time(9, 0))),
        **fields,
    )
    application.reference = f"LH-{submitted_on.year}-{application.pk:06d}"
    application.save(update_fields=["reference"])
    return application


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory) -> World:
    """Built once for a test module, inside a transaction rolled back after it; each test's own
    changes are rolled back too (pytest-django's ``db``), and each request's (``send``)."""
    overrides = override_settings(
        MEDIA_ROOT=tmp_path_factory.mktemp("media"),
        LINGHUO_SCREENING_RATE=None,  # no limit: hypothesis sends many requests
    )
    with django_db_blocker.unblock(), overrides:
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield _build_world()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture(autouse=True)
def _each_test_rolled_back(db):
    """The module's world stays; what a test adds to it goes."""


def _build_world() -> World:
    from applications.models import Application, Document, ReasonCode
    from applications.services import review
    from tests.factories import (
        ApplicationFactory,
        CaseworkerFactory,
        CitizenFactory,
        PolicyAdminFactory,
        SupervisorFactory,
        programme,
    )

    citizen, other = CitizenFactory(), CitizenFactory()
    caseworker, supervisor = CaseworkerFactory(), SupervisorFactory()
    users = {
        "anonymous": None,
        "citizen": citizen,
        "caseworker": caseworker,
        "supervisor": supervisor,
        "policy_admin": PolicyAdminFactory(),
    }
    draft = ApplicationFactory(applicant=citizen, completed_steps=["personal", "situation", "payment"])
    draft_documents = [_document(draft, kind) for kind in ("identity_card", "graduation_certificate")]
    other_draft = ApplicationFactory(applicant=other, programme=programme("training-subsidy"))
    draft_documents.append(_document(other_draft, "identity_card"))

    # One sent case of the citizen's in each state staff and citizen act on (each programme once).
    today = timezone.localdate()
    # Each open case of a programme other than the draft's (one open application per programme).
    slugs = iter(["training-subsidy", *(p.slug for p in _other_programmes())])
    cases = {}
    for state in ("submitted", "in_review", "info_requested", "pending_approval", "rejected", "overdue"):
        cases[state] = _sent(citizen, today - timedelta(days=10), programme=programme(next(slugs)))
    documents = [_document(case, "identity_card") for case in cases.values()]
    for state in ("in_review", "info_requested", "pending_approval", "rejected", "overdue"):
        review.application_claim(application=cases[state], caseworker=caseworker)
    for state in ("info_requested", "overdue"):
        review.application_request_info(
            application=cases[state],
            caseworker=caseworker,
            document_kinds=[Document.Kind.SOCIAL_INSURANCE_RECEIPTS],
            message="Which platform do you work for?\nSince when?",
        )
    cases["overdue"].information_requests.update(reply_due_on=today - timedelta(days=2))
    review.application_approve(application=cases["pending_approval"], caseworker=caseworker)
    review.application_reject(
        application=cases["rejected"], caseworker=caseworker, reason_codes=[ReasonCode.objects.filter(active=True)[0]]
    )
    for user in users.values():
        if user is not None:
            log_in(Client(), user)  # a staff member's authenticator is made once, here
    references = list(
        Application.objects.filter(pk__in=[c.pk for c in cases.values()]).values_list("reference", flat=True)
    )
    return World(
        users=users,
        drafts=[draft, other_draft],
        draft_documents=draft_documents,
        case_references=references,
        documents=documents,
        reset_uid=urlsafe_base64_encode(force_bytes(citizen.pk)),
        reset_token=default_token_generator.make_token(citizen),
    )


def _other_programmes():
    from eligibility.models import Programme

    return Programme.objects.exclude(slug__in=["flexible-si-subsidy", "training-subsidy"]).order_by("position")


# --- Sending ----------------------------------------------------------------------------------------


def log_in(client: Client, user) -> None:
    """As the person would be after logging in, and after the second factor where staff are asked one."""
    try:
        from tests.conftest import verified_login
    except ImportError:  # no second factor in this version of the portal
        client.force_login(user)
    else:
        verified_login(client, user)


def send(endpoint: fuzzing.Endpoint, role: str, user, method: str, path: str, *, counted: bool = True, **kwargs):
    """One request as ``role``, inside a savepoint rolled back afterwards; counted unless it only
    reads a page to learn its forms."""
    started = time.perf_counter()
    client = Client()
    try:
        with transaction.atomic():
            if user is not None:
                log_in(client, user)
            response = getattr(client, method)(path, **kwargs)
            transaction.set_rollback(True)
    except Exception:
        TALLY.statuses[500] += counted  # the test client re-raises what the view raised: a 500 for the person
        raise
    finally:
        if counted:
            TALLY.requests += 1
            TALLY.endpoints.add(f"{method.upper()} {endpoint.name}")
        TALLY.seconds += time.perf_counter() - started
    if counted:
        TALLY.statuses[response.status_code] += 1
    return response
