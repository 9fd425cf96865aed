"""row_insert and row_update store what create() and save(update_fields=...) would;
rows written together take ids reserved beforehand."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection
from django.forms.models import model_to_dict

from routing.db.rows import (
    ids_reservation,
    ids_reserved,
    row_insert,
    row_update,
    rows_insert,
    rows_together,
)
from routing.db.statements import run_together
from routing.models import Lead, LeadEvent
from tests.factories import RepFactory

pytestmark = pytest.mark.django_db


def test_a_row_inserted_reads_back_as_one_the_orm_created():
    values = {"email": "ana@example.com", "employee_count": 12, "attributes": {"utm": {"a": 1}}}
    created = Lead.objects.create(**values)
    inserted = Lead(**values)

    row_insert(inserted)

    assert inserted.pk is not None and not inserted._state.adding
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


def test_rows_written_together_take_the_ids_reserved_for_them_then_their_own():
    counts = {Lead: 1, LeadEvent: 2}
    (reservation,) = run_together([ids_reservation(counts)])
    ids = ids_reserved(counts, reservation) if reservation is not None else {}
    lead = Lead(email="ana@example.com")
    events = [LeadEvent(lead=lead, kind=kind) for kind in ("submitted", "routed", "notified")]

    with rows_together(ids):
        row_insert(lead)
        rows_insert(events[:2])
        row_insert(events[2])  # no reserved id left: written at once with its own

    if connection.vendor == "postgresql":
        assert [lead.pk] == ids[Lead]
        assert [event.pk for event in events[:2]] == ids[LeadEvent]
    else:
        assert reservation is None  # SQLite knows an id once the row is in
    assert events[2].pk not in {event.pk for event in events[:2]}
    stored = dict(LeadEvent.objects.filter(lead=lead).values_list("pk", "kind"))
    assert stored == {event.pk: event.kind for event in events}
    assert Lead.objects.get(pk=lead.pk).email == "ana@example.com"


def test_rows_written_together_read_back_as_the_orm_created_them_whatever_their_types():
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
    counts = {Lead: 1}
    (reservation,) = run_together([ids_reservation(counts)])
    lead = Lead(**values)

    with rows_together(ids_reserved(counts, reservation) if reservation is not None else {}):
        row_insert(lead)

    ignore = {"id", "created_at", "updated_at"}
    stored = model_to_dict(Lead.objects.get(pk=lead.pk), exclude=ignore)
    assert stored == model_to_dict(Lead.objects.get(pk=created.pk), exclude=ignore)
    assert stored["acknowledged_at"] == values["acknowledged_at"]  # to the microsecond
    assert stored["annual_revenue"] == Decimal("1234567.89")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="rows go as JSON on PostgreSQL")
@pytest.mark.parametrize("score", [float("nan"), float("inf")])
def test_a_row_with_a_float_json_cannot_hold_is_refused_and_not_written(score):
    counts = {Lead: 1}
    (reservation,) = run_together([ids_reservation(counts)])

    with (
        pytest.raises(TypeError, match="no JSON form"),
        rows_together(ids_reserved(counts, reservation)),
    ):
        row_insert(Lead(email="ana@example.com", score=score))

    assert not Lead.objects.exists()
