"""Invites: a rep gets an e-mail with a link to choose their password, then works the
queue. The link is Django's password-reset token (PasswordResetTokenGenerator): it
expires after PASSWORD_RESET_TIMEOUT and stops working once the password is set."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from .models import Rep, User


class InviteRefused(Exception):
    """The rep cannot be invited; the message says why and what to do."""


@dataclass(frozen=True)
class Invite:
    rep: Rep
    link: str


def invite_link(*, user: User) -> str:
    path = reverse(
        "invites:set_password",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    return f"{settings.LEADROUTER['SITE_URL']}{path}"


def invite_lifetime_words() -> str:
    lifetime = timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT)
    if lifetime.days and lifetime == timedelta(days=lifetime.days):
        return f"{lifetime.days} day{'s' if lifetime.days != 1 else ''}"
    hours = max(1, round(lifetime.total_seconds() / 3600))
    return f"{hours} hour{'s' if hours != 1 else ''}"


def rep_invite_check(*, rep: Rep, invited_by: User) -> User:
    """The login the invite is for, or InviteRefused naming why there is none."""
    if rep.kind == Rep.Kind.AGENT:
        raise InviteRefused(
            f"{rep.name} is an AI agent: agents take leads by webhook and never sign in."
        )
    user = rep.user
    if user is None:
        raise InviteRefused(
            f"{rep.name} has no login yet: saving the rep's page gives them one (unless "
            f"{rep.email} is another rep's login; then change the e-mail), then invite again."
        )
    if not user.is_active:
        raise InviteRefused(
            f"{rep.name}'s login {user.email} is inactive; activate it under Users first."
        )
    # A link that sets the password of an admin login is a way into the admin: only
    # someone who may edit users anyway may send one.
    if (user.is_staff or user.is_superuser) and not invited_by.has_perm("reps.change_user"):
        raise InviteRefused(
            f"{rep.name}'s login {user.email} can sign in to the admin; only someone who may "
            "edit users can invite it."
        )
    return user


def rep_invite(*, rep: Rep, invited_by: User) -> Invite:
    """E-mail the rep a link to set their password. Raises InviteRefused (nothing sent)
    or OSError (the mail server refused or could not be reached)."""
    user = rep_invite_check(rep=rep, invited_by=invited_by)
    link = invite_link(user=user)
    context = {
        "rep": rep,
        "link": link,
        "lifetime": invite_lifetime_words(),
        "invited_by": invited_by.get_full_name(),
        "site_url": settings.LEADROUTER["SITE_URL"],
    }
    send_mail(
        subject=render_to_string("invites/email_subject.txt", context).strip(),
        message=render_to_string("invites/email.txt", context),
        from_email=None,
        recipient_list=[user.email],
        html_message=render_to_string("invites/email.html", context),
    )
    return Invite(rep=rep, link=link)
