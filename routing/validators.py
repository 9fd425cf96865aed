"""Model-field validators: the plain checks of routing's modules, as Django's
ValidationError (the checks themselves import no Django, so the engine can use them)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from outgoing.addresses import validate_outgoing_url

from .conditions import condition_errors


def validate_conditions(conditions: Any) -> None:
    errors = condition_errors(conditions)
    if errors:
        raise ValidationError(errors)


def is_webhook_address(address: str) -> bool:
    """A manager's address is a Slack incoming-webhook URL (a team channel) when it is a
    URL at all; otherwise it is an e-mail address."""
    return "://" in address


def validate_manager_address(address: str) -> None:
    """An e-mail address, or a Slack incoming-webhook URL the outbound policy allows
    (the same check as a rep's Slack URL)."""
    if is_webhook_address(address):
        validate_outgoing_url(address)
        return
    try:
        validate_email(address)
    except ValidationError as error:
        raise ValidationError(
            f"'{address}' is neither an e-mail address nor a Slack webhook URL "
            "(https://hooks.slack.com/...)."
        ) from error
