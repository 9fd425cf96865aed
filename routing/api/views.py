"""The intake API: validate the body, call one service, serialize what it returns.

Every refusal happens before anything is written: authentication, throttling and the
body checks run first, the body is validated in full, and only then does a service
store the lead. The only writes before that are the key's last-use time (at most once a
minute) and the Idempotency-Key claim, which a failure releases.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponseBase, HttpResponseRedirect, JsonResponse
from django.urls import Resolver404, resolve
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import OpenApiResponse, PolymorphicProxySerializer, extend_schema
from rest_framework import status
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import NotAuthenticated, Throttled
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from routing.models import Assignment, IntakeKey, Lead, RoutingDecision
from routing.services import lead_intake, lead_simulate

from . import schema
from .authentication import (
    FORM_KEY_MESSAGE,
    MISSING_KEY_MESSAGE,
    PUBLIC_KEY_MESSAGE,
    FormKeyAuthentication,
    HasIntakeKey,
    HasServerKey,
    IntakeKeyAuthentication,
    IsStaffUser,
    PublicKeyOrigin,
    not_authenticated_message,
)
from .forms import FormObjectParser, MultipartObjectParser, is_form_post, without_key
from .idempotency import idempotency_key_from, idempotent
from .parsing import JSONObjectParser, body_headers_check
from .rendering import JSONRenderer
from .responses import (
    LeadDetailSerializer,
    LeadReceivedSerializer,
    LeadRoutedSerializer,
    SimulationSerializer,
    lead_received_body,
    lead_routed_body,
)
from .serializers import LeadSubmissionSerializer
from .throttling import IntakeKeyRateThrottle, PublicKeyAddressRateThrottle


@csrf_exempt  # it changes nothing; a POST to a wrong address gets the same JSON 404
def api_not_found(request: HttpRequest) -> JsonResponse:
    """Any other address under /api/: a JSON 404 (the rest of the site answers HTML),
    e.g. a lead id that is not a number, or a path without its final slash."""
    hint = "see /api/docs/ for the API's addresses"
    if not request.path.endswith("/"):
        try:
            resolve(request.path + "/")
        except Resolver404:
            pass
        else:
            hint = f"did you mean {request.path}/ (with the final slash)?"
    return JsonResponse({"detail": f"There is nothing at {request.path}; {hint}."}, status=404)


class IntakeAPIView(APIView):
    """Intake-key authentication, the per-key rate, and bodies within the limit: JSON,
    or an HTML form's fields (form-encoded or multipart) read into the same object."""

    authentication_classes = [IntakeKeyAuthentication]
    permission_classes = [HasIntakeKey, PublicKeyOrigin]
    throttle_classes = [IntakeKeyRateThrottle, PublicKeyAddressRateThrottle]
    parser_classes = [JSONObjectParser, FormObjectParser, MultipartObjectParser]
    renderer_classes = [JSONRenderer]
    not_authenticated_message = MISSING_KEY_MESSAGE

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        body_headers_check(request)

    def permission_denied(
        self, request: Request, message: str | None = None, code: str | None = None
    ) -> None:
        if request.authenticators and not request.successful_authenticator:
            raise NotAuthenticated(
                not_authenticated_message(request, self.not_authenticated_message)
            )
        if isinstance(request.auth, IntakeKey) and request.auth.is_public and not message:
            message = PUBLIC_KEY_MESSAGE  # composed permissions (key | staff) have none
        super().permission_denied(request, message=message, code=code)

    def check_throttles(self, request: Request) -> None:
        # DRF's own says "Request was throttled" whichever limit it was; this names it.
        for throttle in self.get_throttles():
            if not throttle.allow_request(request, self):
                raise Throttled(throttle.wait(), detail=throttle.refusal(request))


class KeyOrStaffAPIView(IntakeAPIView):
    """Also open to a manager signed in to the admin (session, with CSRF)."""

    authentication_classes = [IntakeKeyAuthentication, SessionAuthentication]
    permission_classes = [HasServerKey | IsStaffUser]
    not_authenticated_message = f"{MISSING_KEY_MESSAGE} Managers: sign in to the admin first."


ERRORS = {
    400: schema.BAD_REQUEST,
    401: schema.UNAUTHORIZED,
    411: schema.LENGTH_REQUIRED,
    413: schema.TOO_LARGE,
    415: schema.UNSUPPORTED,
    429: schema.THROTTLED,
}


INTAKE_ANSWER = PolymorphicProxySerializer(
    component_name="IntakeAnswer",
    serializers=[LeadRoutedSerializer, LeadReceivedSerializer],
    resource_type_field_name=None,
)


class LeadIntakeView(IntakeAPIView):
    authentication_classes = [IntakeKeyAuthentication, FormKeyAuthentication]
    not_authenticated_message = FORM_KEY_MESSAGE

    @extend_schema(
        operation_id="leads_create",
        summary="Submit a lead",
        description=(
            "Stores the lead and routes it: 201 with its owner, the rule that matched and "
            "the acknowledgment deadline. 200 when it joins an open lead with the same "
            "e-mail inside the duplicate window (same owner, no new assignment). With a "
            "public key (a web page's form) the answer is only `id`, `status` "
            "(`received`) and `duplicate`. An HTML form's body (form-encoded or "
            "multipart) is taken like JSON, with `attributes.<name>` fields for the "
            "attributes; a plain form sends its public key as the `key` field, and when "
            "the key has a thank-you URL the answer is a 303 to it."
        ),
        tags=["Intake"],
        request=LeadSubmissionSerializer,
        parameters=[schema.IDEMPOTENCY_KEY],
        responses={
            201: OpenApiResponse(INTAKE_ANSWER, description="A new lead, routed."),
            200: OpenApiResponse(
                INTAKE_ANSWER,
                description="Joined an open lead with the same e-mail (`duplicate: true`).",
            ),
            **ERRORS,
            403: schema.ORIGIN_REFUSED,
            303: OpenApiResponse(
                description="A form post with a key that has a thank-you URL: go there."
            ),
            409: schema.IN_FLIGHT,
            422: schema.KEY_REUSED,
        },
    )
    def post(self, request: Request) -> HttpResponseBase:
        idempotency_key = idempotency_key_from(request)
        form = is_form_post(request)
        data = without_key(request.data) if form else request.data
        serializer = LeadSubmissionSerializer(data=data)
        serializer.is_valid(raise_exception=True)
        submission = serializer.validated_data

        def process() -> Response:
            result = lead_intake(
                values=submission["values"],
                payload=submission["payload"],
                intake_key=request.auth,
            )
            body = (
                lead_received_body(result) if request.auth.is_public else lead_routed_body(result)
            )
            return Response(
                body, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
            )

        response = idempotent(
            request=request,
            intake_key=request.auth,
            key=idempotency_key,
            body=data,
            process=process,
        )
        thank_you_url = request.auth.thank_you_url
        if form and thank_you_url and response.status_code < 300:
            # The visitor's browser posted the form itself: show it the source's page,
            # with a 303 so that reloading that page does not post the lead again.
            return HttpResponseRedirect(thank_you_url, status=status.HTTP_303_SEE_OTHER)
        return response


class RouteSimulateView(KeyOrStaffAPIView):
    @extend_schema(
        operation_id="route_simulate",
        summary="Test a lead against the rules",
        description=(
            "Decides as intake would, now, without storing anything or advancing any "
            "rotation. Same body as `POST /api/v1/leads/`."
        ),
        tags=["Intake"],
        request=LeadSubmissionSerializer,
        responses={
            200: OpenApiResponse(SimulationSerializer, description="What intake would do now."),
            **ERRORS,
            403: schema.FORBIDDEN,
        },
    )
    def post(self, request: Request) -> Response:
        serializer = LeadSubmissionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        simulation = lead_simulate(values=serializer.validated_data["values"])
        return Response(SimulationSerializer(simulation).data)


class LeadDetailView(KeyOrStaffAPIView):
    @extend_schema(
        operation_id="leads_retrieve",
        summary="A lead, its decisions and assignments",
        description=(
            "With an intake key: only leads submitted with that key (others are 404). "
            "Staff (admin session): any lead."
        ),
        tags=["Leads"],
        responses={
            200: OpenApiResponse(LeadDetailSerializer, description="The lead and its history."),
            401: schema.UNAUTHORIZED,
            403: schema.FORBIDDEN,
            404: schema.NOT_FOUND,
            429: schema.THROTTLED,
        },
    )
    def get(self, request: Request, pk: int) -> Response:
        leads = Lead.objects.select_related("owner", "rule", "pool").prefetch_related(
            Prefetch(
                "decisions", RoutingDecision.objects.select_related("ruleset", "pool", "owner")
            ),
            Prefetch("assignments", Assignment.objects.select_related("rep")),
        )
        if request.auth is not None:
            leads = leads.filter(intake_key=request.auth)
        lead = leads.filter(pk=pk).first()
        if lead is None:
            scope = " submitted with this intake key" if request.auth is not None else ""
            raise Http404(f"There is no lead {pk}{scope}.")
        return Response(LeadDetailSerializer(lead).data)
