"""row_insert, rows_insert and row_update store what create() and
save(update_fields=...) would, whatever the values' types; rows naming one another are
given their ids first (ids_give) and written together."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import DatabaseError
from django.forms.models import model_to_dict

from routing.db.rows import ids_give, row_insert, row_update, rows_insert
from routing.models import Lead, LeadEvent
from tests.factories import LeadFactory, RepFactory

pytestmark = pytest.mark.django_db


def test_a_row_inserted_reads_back_as_one_the_orm_created():
    values = {"email": "ana@example.com", "employee_count": 12, "attributes": {"utm": {"a": 1}}}
    created = Lead.objects.create(**values)
    inserted = Lead(**values)

    row_insert(inserted)

    assert inserted.pk is not None
    stored = Lead.objects.get(pk=inserted.pk)
    assert stored.updated_at is not None  # auto_now, as save() sets it
    ignore = {"id", "created_at", "updated_at"}
    as_created = model_to_dict(Lead.objects.get(pk=created.pk), exclude=ignore)
    assert model_to_dict(stored, exclude=ignore) == as_created
    event = LeadEvent(lead=inserted, kind=LeadEvent.Kind.SUBMITTED, data={"x": [1, 2]})
    row_insert(event)
    assert LeadEvent.objects.get(pk=event.pk).data == {"x": [1, 2]}


def test_a_row_update_writes_only_its_fields_and_refuses_a_missing_row():
    lead = Lead.objects.create(email="ana@example.com", company="Acme")
    before = lead.updated_at
    rep = RepFactory()
    lead.owner, lead.status, lead.company = rep, Lead.Status.ASSIGNED, "not saved"

    row_update(lead, ("owner", "status", "updated_at"))

    stored = Lead.objects.get(pk=lead.pk)
    assert (stored.owner_id, stored.status, stored.company) == (rep.pk, "assigned", "Acme")
    assert stored.updated_at > before
    lead.pk = lead.pk + 1000
    with pytest.raises(DatabaseError):
        row_update(lead, ("owner", "status", "updated_at"))


def test_rows_inserted_at_once_get_their_ids_in_order():
    lead = Lead.objects.create(email="ana@example.com")
    events = [LeadEvent(lead=lead, kind=kind) for kind in ("submitted", "routed", "notified")]

    rows_insert(events)

    stored = {event.pk: event.kind for event in LeadEvent.objects.filter(lead=lead)}
    assert stored == {event.pk: event.kind for event in events}
    assert len(stored) == 3


def test_a_row_inserted_reads_back_as_the_orm_created_it_whatever_its_types():
    values = {
        "email": "zoë@example.com",
        "company": 'Quotes "and" back\\slashes, braces {} and a\nnewline',
        "employee_count": 1200,
        "annual_revenue": Decimal("1234567.89"),
        "score": 0.125,
        "status": Lead.Status.ASSIGNED,
        "acknowledged_at": datetime(2026, 11, 29, 9, 30, 15, 123456, tzinfo=UTC),
        "attributes": {"utm": {"campaign": "q4 ☃"}, "tags": [1, None, True, "x"]},
        "payload": {"email": "zoë@example.com", "nested": {"list": [{}, []]}},
    }
    created = Lead.objects.create(**values)
    lead = Lead(**values)

    row_insert(lead)

    ignore = {"id", "created_at", "updated_at"}
    stored = model_to_dict(Lead.objects.get(pk=lead.pk), exclude=ignore)
    assert stored == model_to_dict(Lead.objects.get(pk=created.pk), exclude=ignore)
    assert stored["acknowledged_at"] == values["acknowledged_at"]  # to the microsecond
    assert stored["annual_revenue"] == Decimal("1234567.89")


def test_rows_naming_one_another_get_their_ids_first_and_go_in_together():
    lead = LeadFactory.build(email="ana@acme.com")
    first = LeadEvent(lead=lead, kind=LeadEvent.Kind.SUBMITTED, actor="test")
    second = LeadEvent(lead=lead, kind=LeadEvent.Kind.ROUTED, actor="test")

    ids_give([lead, first, second])
    assert lead.pk is not None and first.pk is not None and first.pk != second.pk
    assert first.lead_id == second.lead_id == lead.pk
    assert first.lead is lead  # the object is kept, not fetched again

    rows_insert([first, lead, second])  # in any order: the ids are known

    stored = Lead.objects.get()
    assert stored.pk == lead.pk and stored.email == "ana@acme.com"
    assert set(stored.events.values_list("id", flat=True)) == {first.pk, second.pk}


def test_a_row_without_an_id_is_given_the_one_the_database_chose():
    leads = [LeadFactory.build(email=f"lead{n}@acme.com") for n in range(3)]

    rows_insert(leads)

    assert sorted(lead.pk for lead in leads) == sorted(Lead.objects.values_list("id", flat=True))
    assert {lead.pk: lead.email for lead in leads} == dict(Lead.objects.values_list("id", "email"))


def test_ids_given_twice_on_the_same_table_do_not_collide_once_written():
    first = LeadFactory.build(email="one@acme.com")
    ids_give([first])
    rows_insert([first])
    second = LeadFactory.build(email="two@acme.com")
    ids_give([second])
    rows_insert([second])

    assert first.pk != second.pk
    assert Lead.objects.count() == 2
