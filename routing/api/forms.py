"""HTML form bodies, form-encoded or multipart, read into the object a JSON body gives.

A plain HTML form (no script) can neither send JSON nor set a header, so its fields are
the lead's fields as text, `attributes.<name>` fields make the attributes object, and a
public key may come as the `key` field. An input left empty is a field not sent. Each
field is sent once: two values for one field is a 400, not a silent choice of one.
"""

from __future__ import annotations

from collections.abc import Mapping
from io import BytesIO
from typing import IO, Any

from django.core.exceptions import TooManyFieldsSent
from django.http import QueryDict
from django.http.multipartparser import MultiPartParser, MultiPartParserError
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.parsers import BaseParser
from rest_framework.request import Request

from .parsing import body_within_limit, unstorable_fields

FORM_MEDIA_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
KEY_FIELD = "key"  # a public intake key, in a form that cannot send the header
ATTRIBUTE_PREFIX = "attributes."


def is_form_post(request: Request) -> bool:
    return request.content_type.partition(";")[0].strip().lower() in FORM_MEDIA_TYPES


def without_key(data: Mapping[str, Any]) -> dict[str, Any]:
    """The lead's fields of a form's body: all but the key it may carry."""
    return {name: value for name, value in data.items() if name != KEY_FIELD}


def form_object(fields: QueryDict) -> dict[str, Any]:
    data: dict[str, Any] = {}
    attributes: dict[str, str] = {}
    for name, values in fields.lists():
        if len(values) > 1:
            raise ParseError(f"The form sent '{name}' {len(values)} times; send each field once.")
        value = values[0]
        if value == "":
            continue
        if name.startswith(ATTRIBUTE_PREFIX):
            attributes[name[len(ATTRIBUTE_PREFIX) :]] = value
        else:
            data[name] = value
    if attributes:
        if "attributes" in data:
            raise ParseError(
                "The form sent both 'attributes' and 'attributes.<name>' fields; send the "
                "attributes as 'attributes.<name>' fields only."
            )
        data["attributes"] = attributes
    errors = unstorable_fields(data)
    if errors:
        raise ValidationError(errors)
    return data


def _encoding(parser_context: Mapping[str, Any] | None) -> str:
    return (parser_context or {}).get("encoding") or "utf-8"


class FormObjectParser(BaseParser):
    """`application/x-www-form-urlencoded`, what a plain HTML form posts."""

    media_type = "application/x-www-form-urlencoded"

    def parse(
        self,
        stream: IO[bytes] | None,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        raw = body_within_limit(stream)
        encoding = _encoding(parser_context)
        try:
            raw.decode("ascii")
        except UnicodeDecodeError as exc:
            raise ParseError(
                f"The form body is not URL-encoded (byte {exc.start} is not ASCII); "
                "send it as browsers do, with non-ASCII characters percent-encoded."
            ) from exc
        try:
            return form_object(QueryDict(raw, encoding=encoding))
        except TooManyFieldsSent as exc:
            raise ParseError(f"The form has too many fields: {exc}") from exc


class MultipartObjectParser(BaseParser):
    """`multipart/form-data`, what an HTML form with `enctype="multipart/form-data"` posts.
    Its text fields only: a lead has no files."""

    media_type = "multipart/form-data"

    def parse(
        self,
        stream: IO[bytes] | None,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        raw = body_within_limit(stream)
        request = (parser_context or {})["request"]
        meta = {**request.META, "CONTENT_TYPE": media_type, "CONTENT_LENGTH": str(len(raw))}
        try:
            fields, files = MultiPartParser(
                meta, BytesIO(raw), request.upload_handlers, _encoding(parser_context)
            ).parse()
        except MultiPartParserError as exc:
            raise ParseError(f"The multipart form could not be read: {exc}.") from exc
        except TooManyFieldsSent as exc:
            raise ParseError(f"The form has too many fields: {exc}") from exc
        if files:
            raise ParseError(
                f"Files are not accepted (the form sent {', '.join(sorted(files))}); "
                "send the lead's fields as text."
            )
        return form_object(fields)
