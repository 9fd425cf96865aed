"""The acknowledgment SLA an imported list gives its leads' owners, as people write it:
`rule` (each lead's rule's SLA, as for a form submission), `none` (no deadline: never
escalated, no reminder) or a duration (`8h`, `2d`, as routing.durations reads it),
which may count only the owner's working hours.

Plain text and Django's ValidationError only: the settings read IMPORT_SLA with it
before any app is loaded, and the LeadImport model validates with it.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError

from .durations import format_duration, parse_duration

RULE = "rule"
NONE = "none"
# A list nobody has acknowledged in a year needs a person, not a longer clock; beyond
# this a duration is taken for a typing mistake.
LONGEST = timedelta(days=365)


def import_sla_clean(text: str) -> str:
    """The choice in the one form it is stored in: `rule`, `none`, or the duration as
    format_duration writes it (`90m` becomes `1h30m`)."""
    value = str(text).strip().lower()
    if value in (RULE, NONE):
        return value
    try:
        duration = parse_duration(value)
    except (ValidationError, OverflowError):
        duration = None
    if duration is None or duration > LONGEST:
        raise ValidationError(
            f"'{text}' is no SLA for a list: write rule (each rule's SLA), none (no "
            "acknowledgment deadline) or a duration of at most 365d, e.g. 8h or 2d.",
            code="invalid",
        )
    return format_duration(duration)


def import_sla_duration(sla: str) -> timedelta | None:
    """The duration of a cleaned choice; None for `rule` and `none`."""
    return None if sla in (RULE, NONE) else parse_duration(sla)


def import_sla_check_working_hours(sla: str, working_hours: bool) -> None:
    """Working hours count a duration: with `rule` each rule says how its SLA counts,
    with `none` there is nothing to count."""
    if working_hours and import_sla_duration(sla) is None:
        raise ValidationError(
            f"Working hours count a duration, and the SLA is {sla}: give a duration "
            "(e.g. 8h) or leave working hours out.",
            code="working_hours_without_duration",
        )


def import_sla_words(sla: str, working_hours: bool) -> str:
    """What the choice means, for the import's page and the command's summary."""
    if sla == RULE:
        return "each rule's SLA, as for a form submission"
    if sla == NONE:
        return "none: no acknowledgment deadline, no reminder, never escalated"
    clock = "counted in each owner's working hours" if working_hours else "on the clock"
    return f"{sla}, {clock}"


def import_sla_default() -> tuple[str, bool]:
    """The settings' choice: IMPORT_SLA, and IMPORT_SLA_WORKING_HOURS when it is a
    duration (the working-hours default does not make `none` a mistake)."""
    sla = settings.LEADROUTER["IMPORT_SLA"]
    working_hours = settings.LEADROUTER["IMPORT_SLA_WORKING_HOURS"]
    return sla, bool(working_hours and import_sla_duration(sla) is not None)


def import_sla_setting(value: str) -> str:
    """IMPORT_SLA, checked when the settings load: a mistake stops the start, named."""
    try:
        return import_sla_clean(value)
    except ValidationError as error:
        raise ImproperlyConfigured(f"IMPORT_SLA: {error.messages[0]}") from None
