"""The admin's own form fields and displays, without a database."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from routing.admin.condition_field import ConditionsField, conditions_to_yaml
from routing.admin.display import steps_html
from routing.admin.forms import ShortDurationField


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15m", timedelta(minutes=15)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        (" 90d ", timedelta(days=90)),
        ("00:15:00", timedelta(minutes=15)),
        ("1 00:00:00", timedelta(days=1)),
        ("", None),
    ],
)
def test_short_duration_field_reads_both_forms(text, expected):
    assert ShortDurationField(required=False).clean(text) == expected


def test_short_duration_field_shows_the_short_form():
    field = ShortDurationField()
    assert field.prepare_value(timedelta(minutes=15)) == "15m"
    assert field.prepare_value(timedelta(days=90)) == "90d"
    assert field.prepare_value("typed text") == "typed text"


def test_short_duration_field_refuses_nonsense_zero_and_negative():
    field = ShortDurationField()
    with pytest.raises(ValidationError, match="is not a duration"):
        field.clean("soon")
    with pytest.raises(ValidationError, match="longer than zero"):
        field.clean("0m")
    with pytest.raises(ValidationError, match="cannot be negative"):
        field.clean("-1 00:00:00")
    assert ShortDurationField(allow_zero=True).clean("0") == timedelta(0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("employee_count: {gte: 500}", {"employee_count": {"gte": 500}}),
        ('{"source": "demo_request"}', {"source": "demo_request"}),
        ("country: [US, NO]", {"country": ["US", "NO"]}),
        ("postal_code: 02134", {"postal_code": "02134"}),
        ("postal_code: {in: [10001, 10002]}", {"postal_code": {"in": ["10001", "10002"]}}),
        ("score: {gte: 50}", {"score": {"gte": 50}}),
        ("work_email: true\nattributes.plan: yes", {"work_email": True, "attributes.plan": "yes"}),
        ("attributes.signup: 2024-05-01", {"attributes.signup": "2024-05-01"}),
        ("", {}),
        ("# nothing yet", {}),
    ],
)
def test_conditions_field_reads_yaml_as_people_mean_it(text, expected):
    assert ConditionsField(required=False).clean(text) == expected


def test_conditions_field_lists_every_problem():
    with pytest.raises(ValidationError) as raised:
        ConditionsField().clean("colour: blue\nscore: {gte: high}")
    assert raised.value.messages[0].startswith("unknown field 'colour'")
    assert raised.value.messages[1] == "'score: {gte: ...}' needs a number, not 'high'"


def test_conditions_round_trip_through_the_text_box():
    conditions = {"postal_code": "02134", "country": ["NO", "US"], "employee_count": {"lt": 50}}
    text = conditions_to_yaml(conditions)
    assert text == "postal_code: '02134'\ncountry: ['NO', US]\nemployee_count: {lt: 50}"
    assert ConditionsField().clean(text) == conditions


def test_alternatives_and_negations_round_trip_through_the_text_box():
    conditions = {
        "work_email": True,
        "any": [{"product": "Payments"}, {"employee_count": {"lt": 500, "gte": 50}}],
        "not": {"source": "event"},
    }
    text = conditions_to_yaml(conditions)
    assert text == (
        "work_email: true\n"
        "any:\n"
        "  - {product: Payments}\n"
        "  - {employee_count: {gte: 50, lt: 500}}\n"
        "not: {source: event}"
    )
    assert ConditionsField().clean(text) == conditions


def test_a_mistake_inside_any_is_named_by_its_place():
    with pytest.raises(ValidationError) as raised:
        ConditionsField().clean("any:\n  - {product: Payments}\n  - {prodcut: Billing}\nnot: []")
    assert raised.value.messages == [
        "any[2]: unknown field 'prodcut'; did you mean 'product'?",
        'not: takes one mapping of conditions, not a list; for "none of these" write '
        "not: {any: [{...}, {...}]}",
    ]


def test_operators_are_shown_in_the_order_people_write_them():
    assert conditions_to_yaml({"employee_count": {"lt": 500, "gte": 50}}) == (
        "employee_count: {gte: 50, lt: 500}"
    )


def test_steps_escape_everything_and_survive_odd_shapes():
    html = steps_html(["plain <b>", {"rule": {"id": 3, "name": "A&B"}, "matched": True}, 7])
    assert "plain &lt;b&gt;" in html
    assert "<strong>A&amp;B</strong>" in html
    assert steps_html([]) == "—"
    assert "&quot;odd&quot;" in steps_html({"odd": "shape"})
