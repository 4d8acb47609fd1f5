"""The policy console's pages (issue 14). Thin: parse, check permission, call one service or selector.

Only policy administrators (``eligibility.view_parameterproposal``, the ``policy_admin``
role) see these pages; the second factor is enforced for every staff page by
``portal.accounts.middleware.TwoFactorRequiredMiddleware`` and checked again here.
"""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from eligibility import services
from eligibility.console import selectors
from eligibility.console.describe import context_for, describe_amount, describe_programme
from eligibility.console.forms import ApprovalForm, ProposalForm, ReferenceCaseForm, RejectionForm
from eligibility.console.sources import CitedSource, document_title
from eligibility.cross_checks import value_problems
from eligibility.history import today as policy_today
from eligibility.models import Parameter, ParameterProposal, Programme, ReferenceCase
from eligibility.parameter_set import ParameterSet
from eligibility.reference_cases import Outcome, reference_case_checks
from eligibility.rules import PROGRAMMES
from portal.accounts.two_factor import session_is_verified


def policy_admin_required(view):
    @wraps(view)
    @login_required
    def wrapped(request, *args, **kwargs):
        if not selectors.may_use_console(request.user) or not session_is_verified(request):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def _form_errors(form, error: ValidationError) -> None:
    for name, errors in getattr(error, "message_dict", {None: error.messages}).items():
        form.add_error(name if name in form.fields else None, errors)


@require_http_methods(["GET"])
@policy_admin_required
def home(request):
    """The policy administrator's landing page: ends announced, proposals to decide, programmes."""
    overview = selectors.console_overview()
    context = {
        "announcements": selectors.announcements(),
        "announce_days": selectors.ANNOUNCE_DAYS,
        "awaiting": list(selectors.proposals_awaiting(request.user)[:20]),
        "own_waiting": list(selectors.own_proposals_waiting(request.user)[:20]),
        "overview": overview,
        "today": policy_today(),
    }
    return render(request, "policy/home.html", context)


@require_http_methods(["GET"])
@policy_admin_required
def programme_detail(request, slug: str):
    programme = get_object_or_404(Programme, slug=slug)
    rules = PROGRAMMES.get(programme.slug)
    today = policy_today()
    parameters = ParameterSet.in_force(today)
    context_rules = context_for(parameters, today)
    criteria = describe_programme(rules, context_rules) if rules else []
    rows = selectors.parameter_rows(on=today)
    context = {
        "programme": programme,
        "criteria": [(criterion, document_title(criterion.source)) for criterion in criteria],
        "amount": describe_amount(rules, context_rules) if rules else "",
        "parameters": [rows[key] for key in (rules.parameter_keys() if rules else ()) if key in rows],
        "sources": [document_title(source) for source in programme.sources],
        "today": today,
        "ends_soon": programme.in_force_until is not None
        and 0 <= (programme.in_force_until - today).days <= selectors.ANNOUNCE_DAYS,
    }
    return render(request, "policy/programme.html", context)


@require_http_methods(["GET"])
@policy_admin_required
def parameter_detail(request, parameter_id: int):
    parameter = get_object_or_404(Parameter, pk=parameter_id)
    row = selectors.parameter_rows()[parameter.key]
    titles = {programme.slug: programme.title for programme in Programme.objects.all()}
    context = {
        "row": row,
        "parameter": parameter,
        "programmes": [(slug, titles.get(slug, slug)) for slug in row.programmes],
        "proposals": selectors.proposals().filter(parameter=parameter)[:50],
        "may_propose": selectors.may_propose(request.user),
    }
    return render(request, "policy/parameter.html", context)


@require_http_methods(["GET", "POST"])
@policy_admin_required
def proposal_create(request, parameter_id: int):
    parameter = get_object_or_404(Parameter, pk=parameter_id)
    if not selectors.may_propose(request.user):
        raise PermissionDenied
    row = selectors.parameter_rows()[parameter.key]
    current = row.current.value.value if row.current else None
    form = ProposalForm(request.POST or None, parameter=parameter, current_value=current)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            proposal = services.parameter_proposal_create(
                parameter=parameter,
                valid_from=data["valid_from"],
                value=data["value"],
                reference_document=data["reference_document"],
                reference_clause=data["reference_clause"],
                reason=data["reason"],
                acting_user=request.user,
            )
        except ValidationError as error:
            _form_errors(form, error)
        else:
            messages.success(
                request,
                _(
                    "Your proposal is recorded: from %(date)s, “%(label)s” would be %(value)s. Another policy "
                    "administrator approves it."
                )
                % {
                    "date": date_format(proposal.valid_from, "DATE_FORMAT"),
                    "label": row.label,
                    "value": selectors.value_text(parameter, proposal.value),
                },
            )
            return redirect("policy:proposal", parameter_proposal_id=proposal.pk)
    return render(request, "policy/proposal_form.html", {"form": form, "row": row, "parameter": parameter})


@require_http_methods(["GET"])
@policy_admin_required
def proposal_list(request):
    state = request.GET.get("state") or ""
    if state not in ParameterProposal.State.values:
        state = ""
    page = Paginator(selectors.proposals(state=state or None), 25).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "state": state,
        "states": ParameterProposal.State.choices,
    }
    return render(request, "policy/proposals.html", context)


def _whatif(proposal: ParameterProposal):
    """The what-if preview of the proposal (``eligibility.matching.whatif``), as the admin's preview shows it."""
    from eligibility.matching.admin_preview import whatif_rows
    from eligibility.matching.whatif import whatif_preview

    found = whatif_preview(parameter_key=proposal.parameter.key, value=proposal.value, valid_from=proposal.valid_from)
    examples, programmes = whatif_rows(found)
    return found, examples, programmes


@require_http_methods(["GET"])
@policy_admin_required
def proposal_detail(request, parameter_proposal_id: int):
    proposal = get_object_or_404(
        ParameterProposal.objects.select_related("parameter", "proposed_by", "decided_by", "applied_value"),
        pk=parameter_proposal_id,
    )
    parameter = proposal.parameter
    row = selectors.parameter_rows()[parameter.key]
    user = request.user
    own = proposal.proposed_by_id is not None and proposal.proposed_by_id == user.pk
    context = {
        "proposal": proposal,
        "parameter": parameter,
        "row": row,
        "value_text": selectors.value_text(parameter, proposal.value),
        "reference": CitedSource(proposal.reference_document, proposal.reference_clause),
        "events": proposal.events.select_related("actor"),
        "own": own,
        "may_decide": proposal.is_pending and selectors.may_approve(user) and not own,
    }
    if proposal.is_pending:
        titles = {programme.slug: programme.title for programme in Programme.objects.all()}
        changes = services.proposal_reference_changes_for(proposal)
        in_force = ParameterSet.in_force(proposal.valid_from)
        before = in_force.get(parameter.key).stored if parameter.key in in_force else None
        context.update(
            {
                "before_text": None if before is None else selectors.value_text(parameter, before),
                "problems": value_problems(parameter=parameter, stored=proposal.value, valid_from=proposal.valid_from),
                "changes": [(change, titles.get(change.programme, change.programme)) for change in changes],
                "cases": ReferenceCase.objects.filter(active=True).count(),
                "approval_form": ApprovalForm(),
                "rejection_form": RejectionForm(),
                "late": proposal.valid_from <= policy_today(),
            }
        )
        context["whatif"], context["examples"], context["whatif_programmes"] = _whatif(proposal)
    return render(request, "policy/proposal.html", context)


def _refused(request, error: ValidationError) -> None:
    for messages_ in getattr(error, "message_dict", {None: error.messages}).values():
        for message in messages_:
            messages.error(request, message)


@require_POST
@policy_admin_required
def proposal_approve(request, parameter_proposal_id: int):
    proposal = get_object_or_404(ParameterProposal, pk=parameter_proposal_id)
    if not selectors.may_approve(request.user):
        raise PermissionDenied
    form = ApprovalForm(request.POST)
    form.is_valid()
    try:
        approved = services.parameter_proposal_approve(
            proposal=proposal,
            acting_user=request.user,
            reference_changes_acknowledged=form.cleaned_data.get("reference_changes_acknowledged", False),
            note=form.cleaned_data.get("note", ""),
            request=request,
        )
    except ValidationError as error:
        _refused(request, error)
    else:
        messages.success(
            request,
            _("Approved: from %(date)s, “%(label)s” is %(value)s.")
            % {
                "date": date_format(approved.valid_from, "DATE_FORMAT"),
                "label": approved.parameter.description,
                "value": selectors.value_text(approved.parameter, approved.value),
            },
        )
    return redirect("policy:proposal", parameter_proposal_id=proposal.pk)


@require_POST
@policy_admin_required
def proposal_reject(request, parameter_proposal_id: int):
    proposal = get_object_or_404(ParameterProposal, pk=parameter_proposal_id)
    if not selectors.may_approve(request.user):
        raise PermissionDenied
    form = RejectionForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        services.parameter_proposal_reject(proposal=proposal, acting_user=request.user, note=note)
    except ValidationError as error:
        _refused(request, error)
    else:
        messages.success(request, _("The proposal is rejected."))
    return redirect("policy:proposal", parameter_proposal_id=proposal.pk)


@require_POST
@policy_admin_required
def proposal_withdraw(request, parameter_proposal_id: int):
    proposal = get_object_or_404(ParameterProposal, pk=parameter_proposal_id)
    try:
        services.parameter_proposal_withdraw(proposal=proposal, acting_user=request.user)
    except ValidationError as error:
        _refused(request, error)
    else:
        messages.success(request, _("You have withdrawn the proposal."))
    return redirect("policy:proposal", parameter_proposal_id=proposal.pk)


@require_http_methods(["GET"])
@policy_admin_required
def reference_cases(request):
    today = policy_today()
    titles = {programme.slug: programme.title for programme in Programme.objects.all()}
    checks = [
        (check, [(titles.get(slug, slug), expected, found) for slug, expected, found in check.rows])
        for check in reference_case_checks(selectors.reference_cases(), today)
    ]
    context = {"checks": checks, "today": today}
    return render(request, "policy/reference_cases.html", context)


def _reference_case_form(request, case: ReferenceCase | None):
    if not request.user.has_perm("eligibility.change_referencecase" if case else "eligibility.add_referencecase"):
        raise PermissionDenied
    form = ReferenceCaseForm(request.POST or None, case=case)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            saved = services.reference_case_save(
                case=case,
                name_zh=data["name_zh"],
                name_en=data["name_en"],
                facts=form.facts(),
                expected=form.expected(),
                active=data["active"],
                acting_user=request.user,
            )
        except ValidationError as error:
            _form_errors(form, error)
        else:
            messages.success(request, _("The reference case “%(name)s” is saved.") % {"name": saved.name})
            return redirect("policy:reference_cases")
    expectations = []
    if case is not None:
        titles = {programme.slug: programme.title for programme in Programme.objects.all()}
        expectations = [
            (
                row,
                titles.get(row.programme, row.programme),
                Outcome(row.status, row.amount),
                row.programme in case.expected,
            )
            for row in selectors.reference_expectations(case)
        ]
    context = {"form": form, "case": case, "expectations": expectations, "today": policy_today()}
    return render(request, "policy/reference_case_form.html", context)


@require_http_methods(["GET", "POST"])
@policy_admin_required
def reference_case_create(request):
    return _reference_case_form(request, None)


@require_http_methods(["GET", "POST"])
@policy_admin_required
def reference_case_edit(request, reference_case_id: int):
    return _reference_case_form(request, get_object_or_404(ReferenceCase, pk=reference_case_id))


@require_POST
@policy_admin_required
def reference_case_delete(request, reference_case_id: int):
    case = get_object_or_404(ReferenceCase, pk=reference_case_id)
    services.reference_case_delete(case=case, acting_user=request.user)
    messages.success(request, _("The reference case “%(name)s” is deleted.") % {"name": case.name})
    return redirect("policy:reference_cases")
