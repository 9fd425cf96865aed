"""What a lead's owner does through the API: acknowledge, record an outcome, and (AI
agents) hand the lead to people. The caller acts as a rep: an agent's key (an intake key
linked to the agent) or a rep signed in to the queue (session, with CSRF)."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import APIException
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from reps.models import Rep
from routing.models import IntakeKey, Lead
from routing.queue.selectors import rep_visible_leads
from routing.services.acknowledge import AcknowledgeError, assignment_acknowledge
from routing.services.handoff import lead_handoff
from routing.services.work import OUTCOMES, WorkError, lead_record_outcome

from . import schema
from .authentication import IntakeKeyAuthentication
from .responses import LeadDetailSerializer
from .views import IntakeAPIView

ACTING_REP_MESSAGE = (
    "Act as a rep: send an AI agent's key (an intake key linked to the agent in the admin) "
    "as 'Api-Key <key>', or sign in to the queue as the rep."
)


class NotNow(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "not_now"


def acting_rep(request: Request) -> Rep | None:
    if isinstance(request.auth, IntakeKey):
        return request.auth.rep
    return getattr(request.user, "rep", None) if request.user.is_authenticated else None


class ActsAsRep(BasePermission):
    message = ACTING_REP_MESSAGE

    def has_permission(self, request: Request, view: Any) -> bool:
        return acting_rep(request) is not None


class LeadActionView(IntakeAPIView):
    authentication_classes = [IntakeKeyAuthentication, SessionAuthentication]
    permission_classes = [ActsAsRep]
    not_authenticated_message = ACTING_REP_MESSAGE

    def lead_for(self, request: Request, pk: int) -> tuple[Rep, Lead]:
        rep = acting_rep(request)
        assert rep is not None  # ActsAsRep
        lead = rep_visible_leads(rep=rep).filter(pk=pk).first()
        if lead is None:
            raise Http404(f"There is no lead {pk} assigned to {rep.name}.")
        return rep, lead

    def answer(self, lead: Lead) -> Response:
        lead.refresh_from_db()
        return Response(LeadDetailSerializer(lead).data)


ACTION_RESPONSES = {
    200: OpenApiResponse(LeadDetailSerializer, description="The lead as it is now."),
    401: schema.UNAUTHORIZED,
    403: schema.error(ACTING_REP_MESSAGE),
    404: schema.error("No such lead, or not one of this rep's."),
    409: schema.error("Not possible now, e.g. the lead has moved on to someone else."),
    429: schema.THROTTLED,
}


class LeadAcknowledgeView(LeadActionView):
    @extend_schema(
        operation_id="leads_acknowledge",
        summary="Acknowledge a lead",
        description="Stops the response clock for the lead's current assignment. "
        "Acknowledging twice changes nothing.",
        tags=["Leads"],
        request=None,
        responses=ACTION_RESPONSES,
    )
    def post(self, request: Request, pk: int) -> Response:
        rep, lead = self.lead_for(request, pk)
        assignment = lead.assignments.filter(ended_at__isnull=True, rep=rep).first()
        if assignment is None:
            raise NotNow("This lead has no open assignment of this rep to acknowledge.")
        try:
            assignment_acknowledge(assignment=assignment, rep=rep, via="api")
        except AcknowledgeError as error:
            raise NotNow(str(error)) from error
        return self.answer(lead)


class OutcomeSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=[(value, value) for value in OUTCOMES])
    note = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")


class LeadOutcomeView(LeadActionView):
    @extend_schema(
        operation_id="leads_outcome",
        summary="Record an outcome",
        description="contacted and qualified keep the lead with its owner; converted and "
        "disqualified close it. An unacknowledged lead is acknowledged first.",
        tags=["Leads"],
        request=OutcomeSerializer,
        responses={**ACTION_RESPONSES, 400: schema.BAD_REQUEST},
    )
    def post(self, request: Request, pk: int) -> Response:
        body = OutcomeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        rep, lead = self.lead_for(request, pk)
        try:
            lead_record_outcome(
                lead=lead,
                rep=rep,
                outcome=body.validated_data["outcome"],
                note=body.validated_data["note"],
            )
        except WorkError as error:
            raise NotNow(str(error)) from error
        return self.answer(lead)


class HandoffSerializer(serializers.Serializer):
    note = serializers.CharField(
        max_length=5000, help_text="What the agent learned; the person taking over reads it."
    )


class LeadHandoffView(LeadActionView):
    @extend_schema(
        operation_id="leads_handoff",
        summary="Hand a lead to people (AI agents)",
        description="Ends the agent's assignment and routes the lead to the rule's hand-off "
        "target, else through the rules again, never to an agent. The note stays on the lead.",
        tags=["Leads"],
        request=HandoffSerializer,
        responses={**ACTION_RESPONSES, 400: schema.BAD_REQUEST},
    )
    def post(self, request: Request, pk: int) -> Response:
        body = HandoffSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        rep, lead = self.lead_for(request, pk)
        try:
            lead_handoff(lead=lead, agent=rep, note=body.validated_data["note"])
        except WorkError as error:
            raise NotNow(str(error)) from error
        return self.answer(lead)
