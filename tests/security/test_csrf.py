"""Cross-site request forgery: a POST without the CSRF token is refused, and changes nothing.

Every URL of the resolver that takes POST (found as the fuzz finds them,
``tests/security/fuzzing.py``) is sent by each role that reaches it, logged in
(staff with the second factor passed), from a client that checks CSRF as a
browser's request would be checked. Two forged requests each: one from a browser
that has no CSRF cookie yet, one from a browser that has it (the forged form
cannot read it, so it carries no token). Each must be refused by the CSRF check
with 403, and every table must hold what it held before: the rows of the
applications, their events, the audit trail and the documents, and every other
model's too.

The same request with the token passes the CSRF check (so the refusals are the
check's, not the view's) and, for a few actions, does change what it should:
the comparison of the tables would see a forged request that went through.

The screening API (POST /api/v1/screenings) takes no token by design: it takes
no cookie, answers from the facts sent and stores nothing. Nor does the SMS
provider's push of delivery reports: its caller has no session, and a token of
its own proves who it is.
"""

from __future__ import annotations

from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.http import HttpResponseForbidden
from django.test import Client, override_settings

from tests.security import fuzzing
from tests.security.conftest import log_in

FORMS = fuzzing.form_endpoints()
JSON_POSTS = [e for e in fuzzing.json_endpoints() if "POST" in e.methods]
# Stores nothing and reads no cookie: a forged request gains nothing a direct one would not.
NO_TOKEN_BY_DESIGN = {"eligibility:api_screenings"}
# Called by a provider's server, with no session: a token of its own proves the caller
# (applications/sms_report_views.py); tested below without it.
OWN_TOKEN = {"applications:sms_reports_alibaba"}

# What a forged form might carry: enough for most actions to do something if the check let it through.
FORGED_BODY = {
    "language": "en",
    "action": "confirm",
    "next": "/",
    "note": "Forged note",
    "text": "Forged text",
    "reason": "A forged reason that is long enough",
    "field": "id_number",
    "grounds": "Forged grounds for a reconsideration",
    "declaration": "on",
    "username": "someone@example.com",
    "password": "wrong password",
    "identifier": "13800138000",
    "code": "123456",
}

REFUSALS: list[str] = []  # the reason the CSRF check gave, request by request


def record_refusal(request, reason=""):
    """Stands in for Django's CSRF failure page so the test knows the CSRF check refused."""
    REFUSALS.append(reason)
    return HttpResponseForbidden("CSRF refused")


CSRF_RECORDED = override_settings(CSRF_FAILURE_VIEW=f"{__name__}.record_refusal")


def snapshot() -> dict:
    """Every row of every table, sessions counted only (a refused request may still note the time seen)."""
    state = {}
    for model in apps.get_models():
        manager = model._default_manager
        if model._meta.label == "sessions.Session":
            state[model._meta.label] = manager.count()
        else:
            state[model._meta.label] = list(manager.order_by("pk").values_list())
    return state


def changed_tables(before: dict, after: dict) -> list[str]:
    return sorted(label for label in before if before[label] != after[label])


def targets(world):
    """(endpoint, role, path): every POST endpoint, as every logged-in role that reaches it, with a real object."""
    found = []
    for endpoint in FORMS:
        if endpoint.name in OWN_TOKEN:
            continue
        kwargs = {name: world.candidates(endpoint, name)[0] for name in endpoint.kwargs}
        path = fuzzing.path_of(endpoint, kwargs)
        assert path is not None, endpoint
        for role in fuzzing.roles_for(endpoint):
            if role != "anonymous" or not any(r != "anonymous" for r in fuzzing.roles_for(endpoint)):
                found.append((endpoint, role, path))
    return found


def _strict_client(world, role: str, *, with_cookie: bool) -> Client:
    client = Client(enforce_csrf_checks=True)
    if world.users[role] is not None:
        log_in(client, world.users[role])
    if with_cookie:
        client.get("/")  # the home page's language form sets the CSRF cookie, as in a real browser
        assert settings.CSRF_COOKIE_NAME in client.cookies
    return client


def _post_in_savepoint(client: Client, path: str, **extra):
    """The POST, the tables before and after it, all rolled back afterwards."""
    with transaction.atomic():
        before = snapshot()
        response = client.post(path, FORGED_BODY, **extra)
        after = snapshot()
        transaction.set_rollback(True)
    return response, changed_tables(before, after)


def test_every_post_without_a_token_is_refused_and_changes_nothing(world, capsys):
    wrong, tried, refused = [], 0, 0
    cases = targets(world)
    with CSRF_RECORDED:
        for endpoint, role, path in cases:
            for with_cookie in (False, True):
                client = _strict_client(world, role, with_cookie=with_cookie)
                refused_before = len(REFUSALS)
                response, changed = _post_in_savepoint(client, path)
                tried += 1
                said = f"POST {path} ({endpoint}) as {role}, {'with' if with_cookie else 'without'} the cookie"
                by_the_check = response.status_code == 403 and len(REFUSALS) == refused_before + 1
                if not by_the_check:
                    wrong.append(f"{said}: {response.status_code}, not refused by the CSRF check")
                if changed:
                    wrong.append(f"{said}: changed {', '.join(changed)}")
                refused += by_the_check and not changed
    with capsys.disabled():
        print(f"\nCSRF: {refused}/{tried} forged POSTs refused ({len(FORMS)} endpoints, {len(cases)} endpoint-roles)")
    assert {e.namespace for e in FORMS} >= {"accounts", "applications", "staff", "admin", ""}
    assert len(FORMS) >= 70  # 29 of the portal and the admin's forms, when this was written
    assert wrong == [], "\n".join(wrong)


def test_with_the_token_the_same_posts_pass_the_check(world):
    """The refusals above are the CSRF check's: with the token, not one request is refused by it."""
    passed_through = []
    with CSRF_RECORDED:
        for endpoint, role, path in targets(world):
            client = _strict_client(world, role, with_cookie=True)
            token = client.cookies[settings.CSRF_COOKIE_NAME].value
            refused_before = len(REFUSALS)
            response, _changed = _post_in_savepoint(client, path, HTTP_X_CSRFTOKEN=token)
            if len(REFUSALS) != refused_before:
                passed_through.append(f"POST {path} ({endpoint}) as {role}: refused although the token was sent")
            assert response.status_code < 500, f"POST {path} as {role}"
    assert passed_through == [], "\n".join(passed_through)


def test_the_comparison_sees_an_action_that_went_through(world):
    """With the token, a claim, a language choice and a logout do change tables: the comparison would
    catch a forged request the check had let through."""
    from applications.models import Application, Status

    unclaimed = Application.objects.filter(
        reference__in=world.case_references, status=Status.SUBMITTED, assigned_to__isnull=True
    )
    reference = unclaimed.values_list("reference", flat=True).first()
    assert reference
    for role, path, table in [
        ("caseworker", f"/staff/cases/{reference}/claim/", "applications.Application"),
        ("citizen", "/language/", "accounts.User"),
        ("citizen", "/accounts/logout/", "sessions.Session"),
    ]:
        client = _strict_client(world, role, with_cookie=True)
        token = client.cookies[settings.CSRF_COOKIE_NAME].value
        with CSRF_RECORDED:
            response, changed = _post_in_savepoint(client, path, HTTP_X_CSRFTOKEN=token)
        assert response.status_code in (200, 302), (path, response.status_code)
        assert table in changed, (path, changed)


def test_the_screening_api_needs_no_token_and_stores_nothing(world):
    import json

    for endpoint in JSON_POSTS:
        path = fuzzing.path_of(endpoint, {})
        for role in ("anonymous", "citizen"):
            client = _strict_client(world, role, with_cookie=True)
            with CSRF_RECORDED, transaction.atomic():
                before = snapshot()
                response = client.post(path, json.dumps({"facts": {}}), content_type="application/json")
                changed = changed_tables(before, snapshot())
                transaction.set_rollback(True)
            if endpoint.name in NO_TOKEN_BY_DESIGN:
                assert response.status_code == 200, (path, role, response.status_code)
                assert changed == [], (path, role, changed)
            else:  # a new JSON endpoint that takes POST: decide, and list it above if it needs no token
                assert response.status_code == 403, (path, role, response.status_code)
    assert {e.name for e in JSON_POSTS} >= NO_TOKEN_BY_DESIGN


def test_a_forged_post_to_the_provider_webhook_without_its_token_changes_nothing(world, settings):
    settings.ALIBABA_SMS_REPORT_TOKEN = "the-providers-own-token"
    for endpoint in (e for e in FORMS if e.name in OWN_TOKEN):
        path = fuzzing.path_of(endpoint, {})
        for role in ("anonymous", "citizen"):
            client = _strict_client(world, role, with_cookie=True)
            response, changed = _post_in_savepoint(client, path)
            assert response.status_code == 403 and changed == [], (path, role, response.status_code, changed)
    assert {e.name for e in FORMS} >= OWN_TOKEN
