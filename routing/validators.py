"""Model-field validators: the plain checks of routing's modules, as Django's
ValidationError (the checks themselves import no Django, so the engine can use them)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError

from .conditions import condition_errors


def validate_conditions(conditions: Any) -> None:
    errors = condition_errors(conditions)
    if errors:
        raise ValidationError(errors)
