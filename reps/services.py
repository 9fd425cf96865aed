"""Writes about reps and their logins."""

from __future__ import annotations

from typing import Any

from django.db import models, transaction
from django.utils import timezone

from outgoing.secrets import ROTATED_REASON, new_webhook_secret

from .audit import acting_as
from .models import Rep, User


@transaction.atomic
def rep_ensure_login(*, rep: Rep, save: bool = True) -> User | None:
    """Give a person rep the login they sign in to the queue with; agents never get one.

    The login is the user with the rep's e-mail: an existing one when nobody else's rep
    holds it, else a new user without a usable password (the person sets one through
    a reset link or a manager sets it in the admin). Returns the rep's user, or None for
    an agent and for a person whose e-mail is already the login of another rep.

    `save=False` only links the user on the instance and leaves saving the rep to the
    caller: the admin does that, so one history row records the rep and its login.
    """
    if rep.kind != Rep.Kind.HUMAN:
        return None
    if rep.user_id is not None:
        _login_follows_rep_email(rep)
        return rep.user
    email = rep.email.strip().lower()
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        user = User.objects.create_user(email=email, password=None, name=rep.name)
    elif Rep.objects.filter(user=user).exclude(pk=rep.pk).exists():
        return None
    rep.user = user
    if save:
        if rep.pk is None:
            rep.save()
        else:
            rep.save(update_fields=["user", "updated_at"])
    return user


def _login_follows_rep_email(rep: Rep) -> None:
    """A rep's e-mail is their login: when a manager changes one, the other follows,
    unless another user already signs in with the new address."""
    user = rep.user
    email = rep.email.strip().lower()
    if user.email == email or User.objects.filter(email__iexact=email).exists():
        return
    user.email = email
    user.save(update_fields=["email"])


def rep_secret_rotate(*, rep: Rep, user: Any) -> str:
    """A new webhook signing secret for the rep, returned to be shown once."""
    return secret_rotate(
        rep,
        secret_field="webhook_secret",
        rotated_at_field="webhook_secret_rotated_at",
        user=user,
        also_saved=("updated_at",),
    )


def secret_rotate(
    owner: models.Model,
    *,
    secret_field: str,
    rotated_at_field: str,
    user: Any,
    also_saved: tuple[str, ...] = (),
) -> str:
    """Give `owner` (a rep, a subscription) a new signing secret and return it; the old one
    stops signing at once (messages still waiting are signed with the new one when sent).
    History records who rotated it and when, not the secret."""
    with transaction.atomic(), acting_as(user):
        setattr(owner, secret_field, new_webhook_secret())
        setattr(owner, rotated_at_field, timezone.now())
        # simple-history's documented way to give the history row its reason.
        owner._change_reason = ROTATED_REASON  # type: ignore[attr-defined]
        owner.save(update_fields=[secret_field, rotated_at_field, *also_saved])
    return getattr(owner, secret_field)
