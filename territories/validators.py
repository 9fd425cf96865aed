"""Model-field validators: the plain checks of this app, as Django's ValidationError."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from .postal import PostalMatcherError, parse_postal_matcher


def validate_postal_matchers(values: list[str]) -> None:
    for value in values:
        try:
            parse_postal_matcher(value)
        except PostalMatcherError as error:
            raise ValidationError(str(error)) from error
