"""A rep's own availability: pausing new leads, time away with a cover, coming back.

Each change is one save of the rep under a row lock, so history records it as made by
the person who made it, and the routing version moves in the same transaction: the next
decision in every process sees it (docs/decisions/0001).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from .audit import acting_as
from .models import Rep, cover_refused_because


class AvailabilityError(ValueError):
    """Input that would not make sense as a rep's availability; nothing was changed.
    `field` names the input at fault, for a form to show the message beside it."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Availability:
    """Where a rep stands now, as the queue and the admin show it."""

    paused_since: datetime | None
    away_from: datetime | None
    away_until: datetime | None
    cover: Rep | None

    @property
    def away_now(self) -> bool:
        return self.away_until is not None and self.away_from is None

    @property
    def away_later(self) -> bool:
        return self.away_from is not None


def rep_availability(*, rep: Rep, now: datetime | None = None) -> Availability:
    """`away_from` is set only for time away still to come; time away that is over is
    no time away at all."""
    now = now or timezone.now()
    until = rep.out_of_office_until
    start = rep.out_of_office_from
    if until is None or until <= now:
        return Availability(rep.paused_at, None, None, None)
    later = start if start is not None and start > now else None
    return Availability(rep.paused_at, later, until, rep.cover_rep)


def _locked(rep: Rep) -> Rep:
    # The admin may be saving the same rep: the lock orders the two writes, and the
    # rep is read afresh so that neither undoes the other's fields.
    return Rep.objects.select_for_update().get(pk=rep.pk)


def _save(rep: Rep, by: Any, fields: list[str]) -> Rep:
    with acting_as(by):
        rep.save(update_fields=[*fields, "updated_at"])
    return rep


@transaction.atomic
def rep_pause(*, rep: Rep, by: Any) -> Rep:
    """The rep receives no new leads until they resume; the leads they have stay theirs."""
    rep = _locked(rep)
    if rep.paused_at is not None:
        return rep
    rep.paused_at = timezone.now()
    return _save(rep, by, ["paused_at"])


@transaction.atomic
def rep_resume(*, rep: Rep, by: Any) -> Rep:
    rep = _locked(rep)
    if rep.paused_at is None:
        return rep
    rep.paused_at = None
    return _save(rep, by, ["paused_at"])


@transaction.atomic
def rep_away_set(*, rep: Rep, until: datetime, cover: Rep | None, by: Any) -> Rep:
    """Out of office from now until `until`; `cover` takes the rep's named-account
    leads meanwhile."""
    now = timezone.now()
    if until <= now:
        raise AvailabilityError(
            "That time has passed; choose when you will be back.", field="until"
        )
    if cover is not None:
        refusal = cover_refused_because(rep=rep, cover=cover)
        if refusal is not None:
            raise AvailabilityError(refusal, field="cover")
    rep = _locked(rep)
    rep.out_of_office_from = now
    rep.out_of_office_until = until
    rep.cover_rep = cover
    return _save(rep, by, ["out_of_office_from", "out_of_office_until", "cover_rep"])


@transaction.atomic
def rep_away_end(*, rep: Rep, by: Any) -> Rep:
    """Back before the planned end (or a planned absence called off): leads come again
    from now, and the cover stops taking the rep's accounts."""
    rep = _locked(rep)
    if rep.out_of_office_until is None and rep.cover_rep_id is None:
        return rep
    rep.out_of_office_from = None
    rep.out_of_office_until = None
    rep.cover_rep = None
    return _save(rep, by, ["out_of_office_from", "out_of_office_until", "cover_rep"])
