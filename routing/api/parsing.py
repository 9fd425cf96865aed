"""Reading a request body: plain JSON, one object, within the intake size limit (HTML
forms' bodies are read into the same object in `forms.py`)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import IO, Any

from django.conf import settings
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.parsers import JSONParser
from rest_framework.request import Request

from routing.normalize.text import printable_name, unstorable_problem

from .exceptions import EncodedBodyRefused, LengthRequired, body_too_large

BODIES = {"POST", "PUT", "PATCH"}
EXAMPLE = '{"email": "pat@example.com", "company": "Acme"}'
MAX_DEPTH = 16  # the body object is level 1; attributes values may nest a little


def body_headers_check(request: Request) -> None:
    """Refuse, before reading a byte of it, a body that is compressed or announced too large.

    Compressed bodies are refused outright rather than inflated: the size limit then
    bounds what is read, and no small request expands into a large one.
    """
    if request.method not in BODIES:
        return
    encoding = request.META.get("HTTP_CONTENT_ENCODING", "").strip().lower()
    if encoding and encoding != "identity":
        raise EncodedBodyRefused(
            f"Compressed request bodies are not accepted (Content-Encoding: {encoding}); "
            "send the JSON uncompressed."
        )
    chunked = "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower()
    if chunked and not request.META.get("CONTENT_LENGTH"):
        # WSGI hands Django a body of Content-Length bytes; without one the body would be
        # read as empty and answered with a misleading "e-mail required".
        raise LengthRequired(
            "Chunked request bodies are not accepted; send the body with a Content-Length "
            "header (most HTTP clients do when the body is given whole)."
        )
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > settings.INTAKE_MAX_BODY_BYTES:
        raise body_too_large(settings.INTAKE_MAX_BODY_BYTES)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number; send a number or null")


def _depth_problem(data: Any) -> str | None:
    """Parsed JSON nested too deep to be a lead. Iterative, so no input can exhaust the
    stack."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children = list(value.values())
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > MAX_DEPTH:
            return f"The body is nested more than {MAX_DEPTH} levels deep."
        stack.extend((child, depth + 1) for child in children)
    return None


def unstorable_fields(data: dict[str, Any]) -> dict[str, list[str]]:
    """Per field, characters no database or answer can hold (NUL, lone surrogates)."""
    errors = {}
    for name, value in data.items():
        problem = unstorable_problem(name) or unstorable_problem(value)
        if problem:
            errors[printable_name(name)] = [problem]
    return errors


def _json_type(value: Any) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if value is None:
        return "null"
    return "a number"


def body_within_limit(stream: IO[bytes] | None) -> bytes:
    """The body's bytes, or 413 past the intake limit. Counted on the bytes themselves:
    Content-Length can be absent or understated (chunked bodies under ASGI)."""
    limit = settings.INTAKE_MAX_BODY_BYTES
    raw = stream.read(limit + 1) if stream is not None else b""
    if len(raw) > limit:
        raise body_too_large(limit)
    return raw


class JSONObjectParser(JSONParser):
    """A JSON object, or a 400 that says what is wrong with the body."""

    def parse(
        self,
        stream: IO[bytes] | None,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        raw = body_within_limit(stream)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ParseError(
                f"The body is not UTF-8 text (byte {exc.start} is not valid); "
                "JSON must be sent as UTF-8."
            ) from exc
        try:
            data = json.loads(text, parse_constant=_refuse_constant)
        except json.JSONDecodeError as exc:
            raise ParseError(
                f"The body is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}."
            ) from exc
        except ValueError as exc:
            raise ParseError(f"The body is not valid JSON: {exc}.") from exc
        except RecursionError as exc:
            raise ParseError(f"The body is nested more than {MAX_DEPTH} levels deep.") from exc
        if not isinstance(data, dict):
            raise ParseError(
                f"The body must be a JSON object of lead fields, like {EXAMPLE}; "
                f"got {_json_type(data)}."
            )
        problem = _depth_problem(data)
        if problem:
            raise ParseError(problem)
        errors = unstorable_fields(data)
        if errors:
            raise ValidationError(errors)
        return data
