"""OpenAPI pieces shared by the views: the Api-Key scheme, the header, the error answers."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse

from routing.services.idempotency import IDEMPOTENCY_TTL

from .idempotency import HEADER, MAX_KEY_LENGTH
from .responses import ErrorSerializer


class IntakeKeyScheme(OpenApiAuthenticationExtension):
    target_class = "routing.api.authentication.IntakeKeyAuthentication"
    name = "IntakeKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Api-Key <key>`: one key per lead source, created in the admin "
            "or with `python manage.py create_intake_key NAME`.",
        }


class FormKeyScheme(OpenApiAuthenticationExtension):
    """A public key in a form's `key` field: OpenAPI has no security scheme in a body,
    so the intake operation's description tells of it instead."""

    target_class = "routing.api.authentication.FormKeyAuthentication"
    name: list[str] = []

    def get_security_requirement(self, auto_schema: Any) -> None:
        return None

    def get_security_definition(self, auto_schema: Any) -> list[dict[str, Any]]:
        return []


IDEMPOTENCY_KEY = OpenApiParameter(
    HEADER,
    # Printable ASCII without spaces at either end (they are trimmed, so "  " is blank).
    {
        "type": "string",
        "minLength": 1,
        "maxLength": MAX_KEY_LENGTH,
        "pattern": "^[!-~]([ -~]*[!-~])?$",
    },
    OpenApiParameter.HEADER,
    required=False,
    description=(
        f"Optional, at most {MAX_KEY_LENGTH} characters (a UUID is a good choice). A retry "
        "with the same key and body gets the first answer again (header "
        "`Idempotent-Replayed: true`) instead of making a second lead. Scoped to the "
        f"intake key, kept at least {IDEMPOTENCY_TTL.total_seconds() / 3600:.0f} hours."
    ),
)

FIELD_ERRORS = {
    "type": "object",
    "additionalProperties": {"type": "array", "items": {"type": "string"}},
}
BAD_REQUEST = OpenApiResponse(
    {
        "oneOf": [
            FIELD_ERRORS,
            {
                "type": "object",
                "properties": {"detail": {"type": "string"}},
                "required": ["detail"],
            },
        ],
        "example": {"email": ["An e-mail address is required."], "contry": ["Unknown field."]},
    },
    description="Bad input: per field, what is wrong (`{field: [message]}`), or `detail` "
    "when the body or a header cannot be read. Nothing is stored.",
)


def error(description: str) -> OpenApiResponse:
    return OpenApiResponse(ErrorSerializer, description=description)


UNAUTHORIZED = error("Missing, invalid, revoked or expired intake key.")
TOO_LARGE = error("The body is over the size limit. Nothing is stored.")
UNSUPPORTED = error(
    "Neither JSON nor an HTML form's body (form-encoded or multipart), or compressed "
    "(Content-Encoding). Nothing is stored."
)
LENGTH_REQUIRED = error("A chunked body (no Content-Length). Nothing is stored.")
THROTTLED = error(
    "Too many requests for this intake key (or, with a public key, from this address); "
    "see Retry-After. Nothing is stored."
)
IN_FLIGHT = error("The first request with this Idempotency-Key is still running; retry.")
KEY_REUSED = error("This Idempotency-Key was used for a different request.")
FORBIDDEN = error(
    "A public intake key (it may only submit), or signed in but not as staff; use a server "
    "key or a manager's account."
)
ORIGIN_REFUSED = error("A public key used from a site it does not list. Nothing is stored.")
NOT_FOUND = error("No such lead, or not one submitted with this intake key.")
