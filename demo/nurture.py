"""What the demo agent makes of a lead: hand it to people, with a note, or keep nurturing.

Pure over the webhook's JSON, so the rule the tour shows is the rule the tests check.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from territories.matching.free_mail import is_free_mail

# The deliveries that give the agent a lead to work; reminders, returns and the rest are
# acknowledged with the same 2xx and otherwise left alone.
NEW_WORK = frozenset({"lead.assigned", "lead.escalated"})


def handoff_note(event: Mapping[str, Any]) -> str | None:
    """The note to hand the event's lead over with, or None to keep it.

    A signup from a company address is somebody a salesperson should call; one from a
    free mailbox stays with the agent's e-mail nurturing. That splits the demo's free
    signups between the two, and a person can tell from the address which way one went.
    """
    if event.get("type") not in NEW_WORK:
        return None
    lead = (event.get("data") or {}).get("lead") or {}
    email = str(lead.get("email") or "")
    domain = email.rpartition("@")[2].lower()
    if not domain or is_free_mail(domain):
        return None
    about = ", ".join(
        str(value) for value in (lead.get("company"), lead.get("employee_count")) if value
    )
    employees = " employees" if lead.get("employee_count") else ""
    who = f" ({about}{employees})" if about else ""
    return (
        f"Free signup from a work address at {domain}{who}: a company trying the product, "
        "not a personal account. Worth a call from a person."
    )
