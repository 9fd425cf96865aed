"""The demo agent's hand-off, through the API with the agent's key, as any agent does it."""

from __future__ import annotations

import httpx
from celery import shared_task
from django.conf import settings

from .agent import demo_agent_key_file

# The lead moved on before the agent got to it (a person claimed it, the rules routed it
# again when it came back): nothing of the agent's is left to hand off.
GONE = {404, 409}


@shared_task(
    ignore_result=True,
    autoretry_for=(httpx.TransportError,),  # the web server restarting (--reload)
    retry_backoff=2,
    max_retries=5,
)
def demo_agent_hand_off(lead_id: int, note: str) -> None:
    key = demo_agent_key_file().read_text().strip()
    response = httpx.post(
        f"{settings.LEADROUTER['SITE_URL']}/api/v1/leads/{lead_id}/handoff/",
        json={"note": note},
        headers={"Authorization": f"Api-Key {key}"},
        timeout=settings.LEADROUTER["HTTP_TIMEOUT"]["total"],
    )
    if response.status_code not in GONE:
        response.raise_for_status()
