"""Which leads the demo's AI agent hands to people, and what its note says."""

from __future__ import annotations

from demo.nurture import handoff_note


def _event(kind: str = "lead.assigned", **lead: object) -> dict:
    return {"type": kind, "data": {"lead": {"id": 7, **lead}}}


def test_a_signup_from_a_company_address_goes_to_people_with_why():
    note = handoff_note(
        _event(
            email="pat@northwind-logistics.com", company="Northwind Logistics", employee_count=201
        )
    )
    assert note is not None
    assert "work address at northwind-logistics.com (Northwind Logistics, 201 employees)" in note


def test_a_signup_from_a_free_mailbox_stays_with_the_agent():
    assert handoff_note(_event(email="sam.tinkers@gmail.com")) is None
    assert handoff_note(_event(email="")) is None


def test_only_a_new_lead_for_the_agent_is_handed_off_not_a_reminder_or_a_return():
    for kind in ("lead.reminder", "lead.returned", "lead.moved"):
        assert handoff_note(_event(kind, email="pat@northwind-logistics.com")) is None
    assert handoff_note(_event("lead.escalated", email="pat@northwind-logistics.com"))
