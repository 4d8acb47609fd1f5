"""The anonymous screener: a few questions, one topic a page, then the results.

No login; works without JavaScript; the answers stay in the person's browser
(``eligibility.screener.storage``).
"""

from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from eligibility.parameter_cache import policy_version_per_request
from eligibility.screener.flow import ScreeningFlow, step_by_slug
from eligibility.screener.forms import StepForm
from eligibility.screener.presentation import answer_views, results_page
from eligibility.screener.storage import screening_answers_forget, screening_answers_keep, stored_answers
from eligibility.services import screening_run


def _step_url(slug: str, *, change: bool = False) -> str:
    url = reverse("eligibility:screening_step", args=[slug])
    return url + "?change=1" if change else url


@never_cache
@policy_version_per_request
@require_GET
def start(request):
    flow = ScreeningFlow(stored_answers(request))
    return render(
        request,
        "eligibility/screening_start.html",
        {"first_step": flow.plan[0].step, "has_answers": bool(flow.answers)},
    )


@never_cache
@policy_version_per_request
@require_http_methods(["GET", "POST"])
def step(request, step):
    current = step_by_slug(step)
    if current is None:
        raise Http404
    change = request.GET.get("change") == "1"
    flow = ScreeningFlow(stored_answers(request))
    planned = flow.planned(current.slug)
    if planned is None:  # this question cannot change any outcome for this person
        following = flow.following(current.slug)
        return redirect(_step_url(following.step.slug, change=change) if following else "eligibility:screening_results")

    form = StepForm(
        request.POST if request.method == "POST" else None, questions=planned.questions, answers=flow.answers
    )
    if request.method == "POST" and form.is_valid():
        updated = ScreeningFlow(flow.with_answers(current, form.answers), today=flow.today, memo=flow.memo)
        # Changing one answer from the results page goes back there once nothing new is asked.
        target = updated.first_unanswered() if change else updated.following(current.slug)
        response = redirect(
            _step_url(target.step.slug, change=change) if target else reverse("eligibility:screening_results")
        )
        screening_answers_keep(response, updated.answers)
        return response

    previous = flow.previous(current.slug)
    return render(
        request,
        "eligibility/screening_step.html",
        {
            "step": current,
            "form": form,
            "number": flow.position(current.slug),
            "total": len(flow.plan),
            "back_url": (
                _step_url(previous.step.slug, change=change) if previous else reverse("eligibility:screening_start")
            ),
            "change": change,
        },
    )


@never_cache
@policy_version_per_request
@require_GET
def results(request):
    flow = ScreeningFlow(stored_answers(request))
    if not flow.answers:
        return redirect("eligibility:screening_start")
    screening = screening_run(facts=flow.facts(), as_of=flow.today)
    unanswered = flow.first_unanswered()
    kept = _keep_for_account(request, flow)
    return render(
        request,
        "eligibility/screening_results.html",
        {
            "as_of": flow.today,
            "results": results_page(screening),
            "answers": answer_views(flow),
            "unanswered_url": _step_url(unanswered.step.slug) if unanswered else "",
            "kept_for_account": kept,
        },
    )


def _keep_for_account(request, flow: ScreeningFlow) -> bool:
    """A logged-in person's latest answers are kept with their account, so that their page
    shows the deadlines that apply to them and they are reminded before one closes
    (``applications.clocks``, issue 14, item 6). An anonymous screening stores nothing."""
    if not request.user.is_authenticated:
        return False
    from applications.clocks.services import screening_keep

    return screening_keep(person=request.user, facts=flow.wire_facts(), screened_on=flow.today) is not None


@require_POST
def restart(request):
    response = redirect("eligibility:screening_start")
    screening_answers_forget(response)
    if request.user.is_authenticated:  # starting again forgets the answers kept with the account too
        from applications.clocks.services import screening_forget

        screening_forget(person=request.user)
    return response
