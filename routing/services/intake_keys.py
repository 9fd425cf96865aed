"""Making intake keys: the admin's checks, for keys made anywhere else (a shell)."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError

from reps.models import Rep
from routing.models import IntakeKey


def rep_by_email(*, email: str) -> Rep:
    """The rep with this e-mail, or ValidationError saying there is none."""
    rep = Rep.objects.filter(email__iexact=email.strip()).first()
    if rep is None:
        raise ValidationError(
            f"No rep has the e-mail {email}; add the AI agent under Reps first "
            "(or load it from the routing file)."
        )
    return rep


def intake_key_create(
    *,
    name: str,
    kind: str = IntakeKey.Kind.SERVER,
    allowed_origins: list[str] | None = None,
    rep: Rep | None = None,
    thank_you_url: str = "",
    expiry_date: datetime | None = None,
    may_read_metrics: bool = False,
) -> tuple[IntakeKey, str]:
    """A new key, checked as the admin's form checks it (ValidationError per field),
    and the key itself, which is not stored and cannot be shown again. The model's
    checks are the admin's: an agent's key is a server key of an AI agent; origins
    are for public keys; the thank-you URL is a web page; only a server key may read
    metrics."""
    intake_key = IntakeKey(
        name=name,
        kind=kind,
        allowed_origins=allowed_origins or [],
        rep=rep,
        thank_you_url=thank_you_url,
        expiry_date=expiry_date,
        may_read_metrics=may_read_metrics,
    )
    raw = IntakeKey.objects.assign_key(intake_key)
    intake_key.full_clean()
    intake_key.save()
    return intake_key, raw
