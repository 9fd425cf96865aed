"""The intake body: what a source may send, checked into Lead field values."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from rest_framework import serializers
from rest_framework.fields import empty
from rest_framework.settings import api_settings

from routing.lead_fields import SUBMITTED_FIELDS, Kind, LeadField
from routing.normalize import SUBMISSION_FIELDS, normalize_submission
from routing.normalize.employees import MAX_EMPLOYEES
from routing.normalize.submission import NUMBER_TEXT_LIMIT
from routing.normalize.text import MULTI_LINE_PATTERN, ONE_LINE_PATTERN


class DocumentedField(serializers.Field):
    """A body field that forms may send in more than one JSON type, with `schema` as its
    OpenAPI description (see `DocumentedFieldSchema`). The checking is
    normalize_submission's, as for every field."""

    def __init__(self, *, schema: dict[str, Any], **kwargs: Any) -> None:
        self.schema = schema
        super().__init__(required=False, **kwargs)


class DocumentedFieldSchema(OpenApiSerializerFieldExtension):
    target_class = DocumentedField

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        return self.target.schema


def _text_schema(max_length: int | None, *, multiline: bool = False) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": "string",
        "pattern": MULTI_LINE_PATTERN if multiline else ONE_LINE_PATTERN,
    }
    if max_length is not None:
        schema["maxLength"] = max_length
    return schema


def _number_or_text(number: dict[str, Any]) -> list[dict[str, Any]]:
    return [number, _text_schema(NUMBER_TEXT_LIMIT)]


def _text_or_number(max_length: int | None) -> list[dict[str, Any]]:
    return [_text_schema(max_length), {"type": "number"}]


# The JSON types a field of each kind may be sent as, beyond one line of text.
_ONE_OF = {
    Kind.PHONE: _text_or_number,
    Kind.POSTAL_CODE: _text_or_number,
    Kind.EMPLOYEE_COUNT: lambda _: _number_or_text(
        {"type": "integer", "minimum": 0, "maximum": MAX_EMPLOYEES}
    ),
    Kind.MONEY: lambda _: _number_or_text({"type": "number"}),
    Kind.SCORE: lambda _: _number_or_text({"type": "number"}),
}


def _documented(field: LeadField) -> DocumentedField:
    if field.kind is Kind.ATTRIBUTES:
        schema = {
            "type": "object",
            "additionalProperties": {},
            "nullable": True,
            "description": field.help_text,
        }
        return DocumentedField(schema=schema)
    schema = {"oneOf": _ONE_OF[field.kind](field.max_length), "description": field.help_text}
    if field.example:
        schema["example"] = field.example
    schema["nullable"] = True
    return DocumentedField(schema=schema)


def _text(field: LeadField) -> serializers.CharField:
    """A text field as documented: one line (no control characters) within max_length;
    several lines, spaces kept, for multi-line text."""
    multiline = field.kind is Kind.MULTILINE_TEXT
    return serializers.RegexField(
        MULTI_LINE_PATTERN if multiline else ONE_LINE_PATTERN,
        required=False,
        allow_blank=True,
        allow_null=True,
        max_length=field.max_length,
        help_text=field.help_text or None,
        **({"trim_whitespace": False} if multiline else {}),
    )


def body_field(field: LeadField) -> serializers.Field:
    """The declared (documenting) serializer field for a lead field, by its kind."""
    if field.kind is Kind.EMAIL:
        return serializers.EmailField(max_length=field.max_length, help_text=field.help_text)
    if field.kind in _ONE_OF or field.kind is Kind.ATTRIBUTES:
        return _documented(field)
    return _text(field)


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

    def get_fields(self) -> dict[str, serializers.Field]:
        return {field.name: body_field(field) for field in SUBMITTED_FIELDS}

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
        errors = {
            name: [_unknown_field_message(name)] for name in data if name not in SUBMISSION_FIELDS
        }
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


def _unknown_field_message(name: str) -> str:
    close = difflib.get_close_matches(name, SUBMISSION_FIELDS, n=1)
    hint = f"Did you mean '{close[0]}'? " if close else ""
    return f"Unknown field. {hint}Send extra data inside 'attributes', which rules can test."
