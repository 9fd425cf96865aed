"""The demo agent's webhook: a signed delivery in, 204 out, a hand-off queued for later."""

from __future__ import annotations

import json

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from standardwebhooks import Webhook, WebhookVerificationError

from reps.models import Rep

from .agent import DEMO_AGENT_EMAIL
from .nurture import handoff_note
from .tasks import demo_agent_hand_off


@csrf_exempt  # signed by Lead Router's worker, not posted by a browser
@require_POST
def agent_webhook(request: HttpRequest) -> HttpResponse:
    # An agent outside Lead Router is given its secret when the agent is saved; this one
    # runs inside the project and reads the current one, so rotating it in the admin
    # keeps the demo working.
    secret = (
        Rep.objects.filter(email=DEMO_AGENT_EMAIL, kind=Rep.Kind.AGENT)
        .values_list("webhook_secret", flat=True)
        .first()
    )
    if secret is None:
        return _refused(404, f"There is no AI agent {DEMO_AGENT_EMAIL} to receive leads for.")
    try:
        Webhook(secret).verify(request.body, dict(request.headers), json_parse=False)
    except (WebhookVerificationError, ValueError) as error:  # ValueError: malformed headers
        return _refused(401, f"Not signed with the agent's secret: {error}.")
    try:
        event = json.loads(request.body)
    except ValueError:
        event = None
    if not isinstance(event, dict):
        return _refused(400, "The body is not a JSON object.")
    note = handoff_note(event)
    if note is not None:
        lead_id = event["data"]["lead"]["id"]
        # Later, not now: this answer is what acknowledges the lead for the agent, and a
        # hand-off before it would leave the acknowledgment nothing to acknowledge.
        demo_agent_hand_off.apply_async(
            (lead_id, note), countdown=settings.DEMO_AGENT_HANDOFF_SECONDS
        )
    return HttpResponse(status=204)


def _refused(status: int, message: str) -> HttpResponse:
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")
