"""The intake body: what a source may send, checked into Lead field values."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import empty
from rest_framework.settings import api_settings

from routing.normalize import normalize_submission
from routing.normalize.employees import MAX_EMPLOYEES
from routing.normalize.submission import NUMBER_TEXT_LIMIT, TEXT_LIMITS
from routing.normalize.text import MULTI_LINE_PATTERN, ONE_LINE_PATTERN


@extend_schema_field(
    {
        "oneOf": [
            {"type": "integer", "minimum": 0, "maximum": MAX_EMPLOYEES},
            {"type": "string", "pattern": ONE_LINE_PATTERN, "maxLength": NUMBER_TEXT_LIMIT},
        ],
        "description": 'A head count (250) or what a form sends: "1,200", "51-200", "1000+".',
        "example": "51-200",
        "nullable": True,
    }
)
class EmployeeCountField(serializers.Field):
    pass


@extend_schema_field(
    {
        "oneOf": [
            {"type": "number"},
            {"type": "string", "pattern": ONE_LINE_PATTERN, "maxLength": NUMBER_TEXT_LIMIT},
        ],
        "description": 'A number, or digits as text ("1,500,000").',
        "nullable": True,
    }
)
class NumberField(serializers.Field):
    pass


def _text_schema(max_length: int | None, *, multiline: bool = False) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": "string",
        "pattern": MULTI_LINE_PATTERN if multiline else ONE_LINE_PATTERN,
    }
    if max_length is not None:
        schema["maxLength"] = max_length
    return schema


@extend_schema_field(
    {
        "oneOf": [_text_schema(TEXT_LIMITS["phone"]), {"type": "number"}],
        "description": "Text, or a number.",
        "nullable": True,
    }
)
class PhoneField(serializers.Field):
    pass


@extend_schema_field(
    {
        "oneOf": [_text_schema(TEXT_LIMITS["postal_code"]), {"type": "number"}],
        "description": "Text, or a number (a ZIP code sent as 10001).",
        "nullable": True,
    }
)
class PostalCodeField(serializers.Field):
    pass


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": {},
        "nullable": True,
        "description": 'Anything else, as a JSON object ({"utm_source": "ads"}); rules test '
        "attributes.<name>. Names are one line of text; no text may hold a NUL character.",
    }
)
class AttributesField(serializers.Field):
    pass


def _text(max_length: int | None = None, **kwargs: Any) -> serializers.CharField:
    """A text field as documented: one line (no control characters) within max_length.
    The checking itself is normalize_submission's."""
    return serializers.RegexField(
        ONE_LINE_PATTERN,
        required=False,
        allow_blank=True,
        allow_null=True,
        max_length=max_length,
        **kwargs,
    )


class LeadSubmissionSerializer(serializers.Serializer):
    """The body of `POST /api/v1/leads/` and `/api/v1/route/simulate/`.

    The declared fields document the body (OpenAPI); the checking is done by
    `normalize_submission`, the one place that turns what forms send into lead values,
    so the API, bulk routing and replays accept exactly the same input. A null is the
    same as leaving a field out. Every problem is reported at once, per field.

    Unknown top-level fields are refused, naming them: a misspelt "contry" silently
    dropped would route the lead on the fallback with nobody noticing, while a 400 shows
    up the first time the integration is tried. Extra data belongs in `attributes`,
    where rules can test it (`attributes.<name>`).
    """

    email = serializers.EmailField(max_length=254, help_text="Required. The lead's e-mail.")
    first_name = _text(100)
    last_name = _text(100)
    phone = PhoneField(required=False)
    company = _text(200)
    website = _text(300, help_text="A URL or a domain; its domain matches named accounts.")
    employee_count = EmployeeCountField(required=False)
    annual_revenue = NumberField(required=False)
    country = _text(help_text='ISO 3166-1 code ("US") or an English name ("United States").')
    state = _text(100, help_text='State or region: code ("CA") or name ("California").')
    postal_code = PostalCodeField(required=False)
    city = _text(100)
    industry = _text(100)
    product = _text(100)
    source = _text(
        50, help_text="Where the lead came from: demo_request, pricing_page, free_signup, ..."
    )
    score = NumberField(required=False)
    message = serializers.RegexField(
        MULTI_LINE_PATTERN,
        required=False,
        allow_blank=True,
        allow_null=True,
        trim_whitespace=False,
        help_text="Free text over several lines (newlines and tabs are kept).",
    )
    attributes = AttributesField(required=False)

    def run_validation(self, data: Any = empty) -> dict[str, Any]:
        # All of it is to_internal_value. DRF's own run_validation would also build the
        # bound fields (a deep copy of every declared field, for every request) to look
        # for read-only defaults there are none of: a third of validation's time.
        return self.to_internal_value(data)

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if not isinstance(data, Mapping):
            raise serializers.ValidationError(
                {api_settings.NON_FIELD_ERRORS_KEY: ["Send the lead as a JSON object."]}
            )
        known = self._declared_fields  # the class's own, not copies bound to this instance
        errors = {name: [_unknown_field_message(name, known)] for name in data if name not in known}
        values, problems = normalize_submission(data)
        for name, message in problems.items():
            errors[name] = [message]
        if "email" not in errors:
            try:
                validate_email(values["email"])
            except DjangoValidationError:
                errors["email"] = [
                    f"'{data['email']}' is not a valid e-mail address like ana@example.com."
                ]
        if errors:
            raise serializers.ValidationError(errors)
        return {"values": values, "payload": dict(data)}


def _unknown_field_message(name: str, fields: Mapping[str, Any]) -> str:
    close = difflib.get_close_matches(name, list(fields), n=1)
    hint = f"Did you mean '{close[0]}'? " if close else ""
    return f"Unknown field. {hint}Send extra data inside 'attributes', which rules can test."
