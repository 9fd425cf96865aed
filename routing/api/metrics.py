"""GET /api/v1/metrics/: the dashboard's figures as JSON, for a manager's session."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import ParseError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from routing.metrics import BadPeriod, lead_metrics, period_of

from . import schema
from .authentication import IsStaffUser
from .rendering import JSONRenderer


class MetricsView(APIView):
    authentication_classes = [SessionAuthentication]
    permission_classes = [IsStaffUser]
    renderer_classes = [JSONRenderer]

    @extend_schema(
        operation_id="metrics",
        summary="Speed to lead, SLA, fairness and conversion for a period",
        description="The figures of /dashboard/ for leads submitted in the period: `start` "
        "and `end` dates (both included), or `days` (default 30). Conversion counts each lead "
        "under the rule and the pool that routed it (escalations and hand-offs do not move it); "
        "fairness counts distinct leads per pool and per member. Managers (staff session).",
        tags=["Insight"],
        parameters=[
            OpenApiParameter("start", OpenApiTypes.DATE, required=False),
            OpenApiParameter("end", OpenApiTypes.DATE, required=False),
            OpenApiParameter("days", OpenApiTypes.INT, required=False),
        ],
        responses={
            200: OpenApiResponse(OpenApiTypes.OBJECT, description="The figures."),
            400: schema.error("The period cannot be read."),
            403: schema.FORBIDDEN,
        },
    )
    def get(self, request: Request) -> Response:
        # The dashboard's form sends empty fields for "not chosen"; an API caller who
        # sends `start=` has made a mistake worth naming.
        for name in ("start", "end", "days"):
            if request.query_params.get(name, None) == "":
                raise ParseError(f"{name} is empty: give a value or leave it out.")
        try:
            start, end, _ = period_of(request.query_params)
        except BadPeriod as error:
            raise ParseError(str(error)) from error
        return Response(lead_metrics(start=start, end=end))
