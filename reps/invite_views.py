"""The page an invite's link opens: choose a password, then straight to the queue."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.views import PasswordResetConfirmView
from django.http import HttpResponse
from django.urls import reverse_lazy


class InviteSetPasswordView(PasswordResetConfirmView):
    template_name = "invites/set_password.html"
    success_url = reverse_lazy("queue:home")
    post_reset_login = True
    # Two backends are configured (sign-in lockouts first); the password was just set
    # through a valid link, so the user is signed in with the model backend.
    post_reset_login_backend = "django.contrib.auth.backends.ModelBackend"

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        messages.success(
            self.request, "Your password is set. Next time, sign in with your e-mail and it."
        )
        return response
