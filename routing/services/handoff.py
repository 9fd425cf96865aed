"""An AI agent hands a lead to people, with a note of what it learned."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from reps.models import Rep
from routing.models import Assignment, Lead, LeadEvent
from routing.snapshot import current_snapshot

from .routing import HANDOFF, Routed, lead_reroute
from .work import WorkError


def lead_handoff(*, lead: Lead, agent: Rep, note: str) -> Routed:
    """End the agent's assignment and route the lead to the rule's hand-off target, else
    through the rules again; agents are left out either way. The note stays on the lead
    and reaches the new owner in the timeline."""
    if agent.kind != Rep.Kind.AGENT:
        raise WorkError("Only an AI agent hands leads off; people record outcomes.")
    now = timezone.now()
    with transaction.atomic():
        lead = Lead.objects.select_for_update().get(pk=lead.pk)
        ended = Assignment.objects.filter(lead=lead, rep=agent, ended_at__isnull=True).update(
            ended_at=now, end_reason=Assignment.EndReason.HANDED_OFF
        )
        if not ended:
            raise WorkError("This lead is not assigned to this agent now.")
        lead.handoff_note = note
        lead.save(update_fields=["handoff_note", "updated_at"])
        snapshot = current_snapshot()
        LeadEvent.objects.create(
            lead=lead,
            kind=LeadEvent.Kind.HANDED_OFF,
            actor=str(agent),
            data={"agent": agent.pk, "note": note},
        )
        return lead_reroute(lead, HANDOFF, actor=str(agent), snapshot=snapshot)
