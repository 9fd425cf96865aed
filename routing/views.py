"""The one-click acknowledgment page a notification links to.

Opening the link changes nothing (mail scanners and chat unfurlers open links by
themselves): it shows the lead and an Acknowledge button; the button's POST
acknowledges. No sign-in: the signed token is for one rep and one assignment, expires,
and stops working once the assignment has ended.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views import View

from routing.explain import why_sentences
from routing.links import BadLink, assignment_of_token
from routing.models import Assignment
from routing.notifications.messages import lead_facts_shown, lead_title
from routing.rep_time import in_rep_time
from routing.services.acknowledge import AcknowledgeError, assignment_acknowledge

TEMPLATE = "routing/acknowledge.html"


class AcknowledgeLinkView(View):
    def get(self, request: HttpRequest, token: str) -> HttpResponse:
        assignment, problem = _assignment(token)
        return self._page(request, assignment, problem=problem)

    def post(self, request: HttpRequest, token: str) -> HttpResponse:
        assignment, problem = _assignment(token)
        if assignment is None:
            return self._page(request, None, problem=problem)
        try:
            assignment_acknowledge(assignment=assignment, rep=assignment.rep, via="link")
        except AcknowledgeError as error:
            return self._page(request, assignment, problem=str(error), status=409)
        assignment.refresh_from_db()
        return self._page(request, assignment, done=True)

    def _page(
        self,
        request: HttpRequest,
        assignment: Assignment | None,
        *,
        problem: str = "",
        done: bool = False,
        status: int | None = None,
    ) -> HttpResponse:
        if assignment is None:
            return render(request, TEMPLATE, {"problem": problem}, status=status or 404)
        lead = assignment.lead
        context = {
            "assignment": assignment,
            "lead": lead,
            "title": lead_title(lead),
            "facts": [(label, value) for label, value in lead_facts_shown(lead) if value],
            "why": why_sentences(assignment.decision),
            "problem": problem or _state_problem(assignment),
            "done": done,
        }
        with in_rep_time(assignment.rep):
            return render(request, TEMPLATE, context, status=status or 200)


def _assignment(token: str) -> tuple[Assignment | None, str]:
    try:
        assignment_id, rep_id = assignment_of_token(token)
    except BadLink as error:
        return None, str(error)
    assignment = (
        Assignment.objects.select_related("lead", "rep", "decision")
        .filter(pk=assignment_id, rep_id=rep_id)
        .first()
    )
    if assignment is None:
        return None, "This lead is no longer in the system."
    return assignment, ""


def _state_problem(assignment: Assignment) -> str:
    if assignment.ended_at is None:
        return ""
    if assignment.end_reason == Assignment.EndReason.EXPIRED:
        return "Too late: this lead was not acknowledged in time and has moved on."
    return "This lead is no longer assigned to you."
