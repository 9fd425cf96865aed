"""“Forgot your password?” from the queue's sign-in page: Django's password reset, whose
e-mailed link opens the same page as an invite (choose a password, then the queue).

Django's form only writes to active logins that have a password, and the page after it
says the same thing whether or not the address is known, so it reveals nobody. A rep
who never chose a password needs an invite from a manager, and the page says so."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.views import PasswordResetDoneView, PasswordResetView
from django.urls import reverse_lazy

from .invites import invite_lifetime_words


class PasswordForgotView(PasswordResetView):
    template_name = "invites/password_forgot.html"
    subject_template_name = "invites/password_forgot_subject.txt"
    email_template_name = "invites/password_forgot_email.txt"
    success_url = reverse_lazy("password-forgot-sent")

    @property
    def extra_email_context(self) -> dict[str, str]:  # type: ignore[override]
        # The link is built from the configured address, never from the request's Host.
        return {"site_url": settings.LEADROUTER["SITE_URL"], "lifetime": invite_lifetime_words()}


class PasswordForgotSentView(PasswordResetDoneView):
    template_name = "invites/password_forgot_sent.html"
