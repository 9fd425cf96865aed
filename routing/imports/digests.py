"""One message per rep for an imported list, instead of one per lead.

Written when the import ends, from the rows as they are then: the leads of the import
each rep owns, and the rep's open leads that came back in the list. What the message
says is built when it is sent (routing.notifications.digest), like every message.
"""

from __future__ import annotations

from django.db.models import Count, QuerySet
from django.utils import timezone

from routing.models import Assignment, LeadEvent, LeadImport, Notification
from routing.notifications.outbox import outbox_write
from routing.snapshot import current_snapshot

LISTED = 50  # lead ids a digest's webhook body lists; the count says how many in all


def import_digests_write(*, lead_import: LeadImport) -> list[Notification]:
    """A digest for each human rep the import gave leads to or brought leads back to,
    on each of their channels. AI agents were told of each lead as it came."""
    new = Assignment.objects.filter(lead__lead_import=lead_import, ended_at__isnull=True)
    came_back = LeadEvent.objects.filter(
        kind=LeadEvent.Kind.RESUBMITTED, data__import=lead_import.pk
    ).values("lead_id")
    # Leads of earlier submissions: a row repeating one of the file's own is no news.
    returned = Assignment.objects.filter(lead_id__in=came_back, ended_at__isnull=True).exclude(
        lead__lead_import=lead_import
    )
    new_counts, returned_counts = _per_rep(new), _per_rep(returned)
    contacts = current_snapshot().contacts
    now = timezone.now()
    rows = []
    for rep_id in sorted(new_counts.keys() | returned_counts.keys()):
        contact = contacts.get(rep_id)
        if contact is None or contact.is_agent:
            continue
        body = {
            "type": "import.digest",
            "timestamp": now.isoformat(),
            "data": {
                "import": {"id": lead_import.pk, "name": lead_import.name},
                "rep": rep_id,
                "new_leads": new_counts.get(rep_id, 0),
                "returned_leads": returned_counts.get(rep_id, 0),
                "lead_ids": _first_leads(new, rep_id),
                "returned_lead_ids": _first_leads(returned, rep_id),
            },
        }
        rows += [
            Notification(
                key=f"import {lead_import.pk} digest {rep_id} {channel}",
                channel=channel,
                kind="import.digest",
                lead_import=lead_import,
                rep_id=rep_id,
                destination=destination,
                payload=body if channel == Notification.Channel.WEBHOOK else {},
            )
            for channel, destination in contact.channels
        ]
    outbox_write(rows)
    return rows


def _per_rep(assignments: QuerySet[Assignment]) -> dict[int, int]:
    counted = assignments.values("rep_id").annotate(leads=Count("lead_id", distinct=True))
    return {row["rep_id"]: row["leads"] for row in counted.order_by()}


def _first_leads(assignments: QuerySet[Assignment], rep_id: int) -> list[int]:
    leads = assignments.filter(rep_id=rep_id).order_by("lead_id").values_list("lead_id", flat=True)
    return list(leads[:LISTED])
