"""The rep queue at /queue/: my leads with their deadlines, a lead's page, and the
actions a rep takes on it (acknowledge, record an outcome, claim from the shared queue).

Every lead is looked up through `rep_visible_leads` (`rep_readable_leads` for the page
only): a lead the rep may not see is a 404, whether it exists or not.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.http import require_POST

from reps.models import Rep
from routing.explain import why_sentences
from routing.lead_fields import Shown, facts_shown
from routing.models import Lead
from routing.rep_time import in_rep_time
from routing.services.acknowledge import AcknowledgeError, assignment_acknowledge
from routing.services.work import OUTCOMES, WorkError, lead_claim, lead_record_outcome

from .forms import (
    PER_PAGE,
    TAB_SHARED,
    QueueFilterForm,
    queue_list_query,
    queue_list_url,
)
from .selectors import (
    QueueFilter,
    rep_my_leads,
    rep_queue_counts,
    rep_readable_leads,
    rep_shared_leads,
    rep_visible_leads,
)
from .timeline import timeline_events, timeline_lines


class QueueLoginView(LoginView):
    template_name = "queue/login.html"
    redirect_authenticated_user = True


def _rep_of(request: HttpRequest) -> Rep | None:
    return getattr(request.user, "rep", None)


def rep_required(view: Any) -> Any:
    """Signed in, and the login belongs to a rep; otherwise a page that says what to do."""

    @login_required(login_url="queue:login")
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        rep = _rep_of(request)
        if rep is None:
            return render(request, "queue/not_a_rep.html", status=403)
        with in_rep_time(rep):  # the pages render inside the view: times in the rep's zone
            return view(request, *args, **kwargs)

    return wrapped


@rep_required
def queue_home(request: HttpRequest) -> HttpResponse:
    rep = _rep_of(request)
    form = QueueFilterForm(request.GET)
    valid = form.is_valid()
    tab = form.chosen_tab()
    # A filter that does not hold is said, and the tab shown whole rather than half-filtered.
    filters = form.queue_filter() if valid else QueueFilter()
    select = rep_shared_leads if tab == TAB_SHARED else rep_my_leads
    leads = select(rep=rep, filters=filters, now=timezone.now())
    page = Paginator(leads, PER_PAGE).get_page(request.GET.get("page"))
    back = queue_list_query(request.GET.urlencode()) if valid else ""
    return render(
        request,
        "queue/home.html",
        {
            "rep": rep,
            "form": form,
            "tab": tab,
            "filtered": filters != QueueFilter(),
            "counts": rep_queue_counts(rep=rep),
            "page": page,
            # A lead opened (or claimed) from here links back to this very list.
            "back": back,
            "lead_query": _back_query(back),
        },
        status=200 if valid else 400,
    )


@method_decorator(rep_required, name="dispatch")
class LeadPageView(View):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        rep = _rep_of(request)
        lead = get_object_or_404(rep_readable_leads(rep=rep), pk=pk)
        # A lead of the rep's account that went to someone else: to read, not to act on.
        only_told = (
            lead.owner_id != rep.pk and not rep_visible_leads(rep=rep).filter(pk=pk).exists()
        )
        assignment = lead.assignments.filter(ended_at__isnull=True, rep=rep).first()
        decision = assignment.decision if assignment else lead.decisions.order_by("-id").first()
        back = queue_list_query(request.GET.get("back", ""))
        return render(
            request,
            "queue/lead.html",
            {
                "rep": rep,
                "lead": lead,
                "facts": facts_shown(lead, Shown.QUEUE),
                "assignment": assignment,
                "why": [] if only_told else why_sentences(decision),
                "timeline": timeline_lines(timeline_events(lead)),
                "outcomes": [(value, Lead.Status(value).label) for value in OUTCOMES],
                "claimable": lead.status == Lead.Status.UNCLAIMED and not only_told,
                "back": back,
                "list_url": queue_list_url(back),
                "from_shared": QueryDict(back).get("tab") == TAB_SHARED,
            },
        )


def _back_query(back: str) -> str:
    """The lead page's query string that carries the list `back` it was opened from."""
    return urlencode({"back": back}) if back else ""


def _lead_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Back to the lead page after an action, still knowing the list it was opened from."""
    lead_url = reverse("queue:lead", args=[pk])
    query = _back_query(queue_list_query(request.POST.get("back", "")))
    return redirect(f"{lead_url}?{query}" if query else lead_url)


@require_POST
@rep_required
def lead_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    rep = _rep_of(request)
    lead = get_object_or_404(rep_visible_leads(rep=rep), pk=pk)
    assignment = lead.assignments.filter(ended_at__isnull=True, rep=rep).first()
    if assignment is None:
        messages.error(request, "This lead has no open assignment of yours to acknowledge.")
        return _lead_page(request, pk)
    try:
        assignment_acknowledge(assignment=assignment, rep=rep, via="queue", actor_user=request.user)
    except AcknowledgeError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Acknowledged: the clock has stopped. Now reach out!")
    return _lead_page(request, pk)


@require_POST
@rep_required
def lead_outcome(request: HttpRequest, pk: int) -> HttpResponse:
    rep = _rep_of(request)
    lead = get_object_or_404(rep_visible_leads(rep=rep), pk=pk)
    outcome = request.POST.get("outcome", "")
    note = request.POST.get("note", "").strip()[:2000]
    try:
        lead_record_outcome(lead=lead, rep=rep, outcome=outcome, note=note, actor_user=request.user)
    except WorkError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"Recorded: {Lead.Status(outcome).label.lower()}.")
    return _lead_page(request, pk)


@require_POST
@rep_required
def lead_claim_view(request: HttpRequest, pk: int) -> HttpResponse:
    rep = _rep_of(request)
    lead = get_object_or_404(rep_visible_leads(rep=rep), pk=pk)
    try:
        lead_claim(lead=lead, rep=rep, actor_user=request.user)
    except WorkError as error:
        messages.error(request, str(error))
        return redirect(f"{reverse('queue:home')}?tab={TAB_SHARED}")
    messages.success(request, "The lead is yours, and acknowledged.")
    return _lead_page(request, pk)
