"""The registry of lead fields: every field of the Lead model is in it or left out on
purpose, and what it says agrees with the model."""

from __future__ import annotations

from routing.conditions import LEAD_FIELDS as CONDITION_FIELDS
from routing.lead_fields import LEAD_FIELDS, NOT_LEAD_FIELDS, Kind
from routing.models import Lead
from routing.normalize import SUBMISSION_FIELDS, LeadFacts


def test_every_lead_model_field_is_in_the_registry_or_left_out_with_a_reason():
    registered = {field.name for field in LEAD_FIELDS}
    model_fields = [field.name for field in Lead._meta.concrete_fields]

    unplaced = [name for name in model_fields if name not in registered | set(NOT_LEAD_FIELDS)]

    assert not unplaced, (
        f"Lead fields {unplaced} are neither lead fields nor left out. If a source sends it, "
        "add a LeadField for it to LEAD_FIELDS in routing/lead_fields.py (see the README's "
        "'Adding a lead field'); otherwise add it to NOT_LEAD_FIELDS there with the reason."
    )
    assert not registered & set(NOT_LEAD_FIELDS)
    assert registered <= set(model_fields), "every registered field is a Lead model field"
    assert all(NOT_LEAD_FIELDS.values()), "say why a field is left out"


def test_the_registry_agrees_with_the_model():
    for field in LEAD_FIELDS:
        column = Lead._meta.get_field(field.name)
        if field.is_text and field.kind is not Kind.COUNTRY:  # a country may be sent by name
            assert column.max_length == field.max_length, field.name
        assert field.label and field.kind in Kind


def test_what_the_registry_declares_reaches_intake_conditions_and_the_engine():
    submitted = [field.name for field in LEAD_FIELDS if field.submitted]
    assert list(SUBMISSION_FIELDS) == submitted
    testable = [field.name for field in LEAD_FIELDS if field.testable]
    assert list(CONDITION_FIELDS) == testable
    facts = LeadFacts()
    assert all(hasattr(facts, name) for name in testable)
