"""GET /api/v1/metrics/: the dashboard's figures as JSON, for a manager's session or a
server key a manager allowed to read metrics (a BI tool)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import ParseError
from rest_framework.request import Request
from rest_framework.response import Response

from routing.fairness import EXPECTED_ACCOUNTS_FOR_WITH_HOURS, EXPECTED_DOES_NOT_ACCOUNT_FOR
from routing.metrics import ROUTING_PATHS, BadPeriod, lead_metrics, period_of

from . import schema
from .authentication import MISSING_KEY_MESSAGE, StaffOrMetricsKey
from .views import KeyOrStaffAPIView

PATHS_DOC = "\n".join(f"  - `{key}` ({label}): {meaning}" for key, label, meaning in ROUTING_PATHS)

DESCRIPTION = f"""The figures of /dashboard/ for leads submitted in the period: `start` and
`end` dates (both included), or `days` (default 30).

Who may read them: a manager signed in to the admin (session), or a **server** intake key
a manager allowed to read metrics (admin, Intake keys, "May read metrics"; off by
default), sent as `Authorization: Api-Key <key>`. A public key never may (403), nor a key
that was not allowed (403).

What the figures mean:
- `speed_to_lead`: submission to first acknowledgment by anyone, an AI agent's webhook
  answer (2xx) included. `speed_to_first_human_action`: submission to the first
  acknowledgment by a person: in the queue, by the e-mailed link, by claiming the lead
  from the shared queue or by recording an outcome (`acted`: how many leads a person
  acted on).
- `daily`: per day of the period (server time zone), its `leads`, speed to lead
  (`speed_median_seconds`, `speed_p90_seconds`), speed to the first human action
  (`first_human_action_median_seconds`, `first_human_action_p90_seconds`) and
  `within_sla_share`, for that day's leads.
- `within_sla`: of first assignments that were acknowledged or whose deadline passed,
  the share acknowledged by the deadline.
- `escalations`: `count` of expired assignments, `leads` escalated at least once, and
  `share` of the period's leads escalated at least once (the escalation rate).
- `unclaimed`: leads waiting in a shared queue now. `unclaimed_during_period`: leads that
  waited in a shared queue at some time before the period's end (`still_unclaimed` of
  them wait now).
- `conversion_by_rule`, `conversion_by_pool`: each lead once, under the rule and the pool
  that routed it (escalations and hand-offs do not move it).
- `conversion_by_path`: each lead once, under how it reached whoever worked it (`path`),
  the first of these that applies:
{PATHS_DOC}
- `fairness`: per pool, distinct leads per member; `turns` counts a lead once for each
  member it went to. For rotation pools, `expected` shares each turn by weight among the
  members who were in the pool and could take it when it was given, as the pool's
  membership history (joined, left, weight) and the reps' history and assignments say
  (`expected_share_accounts_for`: {", ".join(EXPECTED_ACCOUNTS_FOR_WITH_HOURS)}; working
  hours only for pools that respect them) and `available_turns` counts the turns a member
  could take. `expected_share_does_not_account_for` lists what it ignores:
  {", ".join(EXPECTED_DOES_NOT_ACCOUNT_FOR)}. A member who left the pool is listed as
  "(left the pool)" with the share they were due while in it.
"""


class MetricsView(KeyOrStaffAPIView):
    permission_classes = [StaffOrMetricsKey]
    not_authenticated_message = (
        f"{MISSING_KEY_MESSAGE} The key must be a server key a manager allowed to read "
        "metrics; managers may instead sign in to the admin first."
    )

    @extend_schema(
        operation_id="metrics",
        summary="Speed to lead, SLA, escalations, fairness and conversion for a period",
        description=DESCRIPTION,
        tags=["Insight"],
        parameters=[
            OpenApiParameter("start", OpenApiTypes.DATE, required=False),
            OpenApiParameter("end", OpenApiTypes.DATE, required=False),
            OpenApiParameter("days", OpenApiTypes.INT, required=False),
        ],
        responses={
            200: OpenApiResponse(OpenApiTypes.OBJECT, description="The figures."),
            400: schema.error("The period cannot be read."),
            401: schema.UNAUTHORIZED,
            403: schema.error(
                "A public key, a server key not allowed to read metrics, or signed in but "
                "not as staff."
            ),
            429: schema.THROTTLED,
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
