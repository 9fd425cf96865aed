"""The API's error answers: every one is JSON, `{"detail": "..."}` or `{"field": ["..."]}`."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class BadHeader(APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "bad_header"


class BodyTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "body_too_large"


class EncodedBodyRefused(APIException):
    status_code = status.HTTP_415_UNSUPPORTED_MEDIA_TYPE
    default_detail = "Compressed request bodies are not accepted; send plain JSON."
    default_code = "content_encoding_refused"


class LengthRequired(APIException):
    status_code = status.HTTP_411_LENGTH_REQUIRED
    default_detail = "Send the body with a Content-Length header."
    default_code = "length_required"


class IdempotencyConflict(APIException):
    """The first request with this Idempotency-Key is still being processed."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "idempotency_in_flight"


class IdempotencyMismatch(APIException):
    """The Idempotency-Key was already used with another request."""

    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "idempotency_key_reused"


def body_too_large(limit: int) -> BodyTooLarge:
    return BodyTooLarge(
        f"The request body is larger than the limit of {limit} bytes; "
        "send only the lead's fields (put long text in 'message')."
    )


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, plus Django's own body-size guard answered as 413 instead of 400.

    Django raises RequestDataTooBig (a SuspiciousOperation, which it would turn into a
    bare 400 page) when a body exceeds DATA_UPLOAD_MAX_MEMORY_SIZE before our own,
    smaller intake limit is reached, e.g. on an API without that check.
    """
    if isinstance(exc, RequestDataTooBig):
        exc = body_too_large(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, IdempotencyConflict):
        response["Retry-After"] = "1"
    return response
