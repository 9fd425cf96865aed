"""E-mail through Django's mail backend, text and HTML from templates/notifications/."""

from __future__ import annotations

from smtplib import SMTPRecipientsRefused

from django.conf import settings
from django.core.mail import BadHeaderError, EmailMultiAlternatives
from django.template.loader import render_to_string

from routing.models import Notification
from routing.normalize.text import one_line

from .base import TransportError
from .messages import Message


class EmailTransport:
    def send(self, notification: Notification, message: Message) -> int | None:
        context = {"message": message, "notification": notification}
        mail = EmailMultiAlternatives(
            # Lead text is checked where it enters; a header is still built from one
            # line only, whatever older rows hold.
            subject=one_line(message.summary),
            body=render_to_string("notifications/message.txt", context),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[notification.destination],
        )
        mail.attach_alternative(
            render_to_string("notifications/message.html", context), "text/html"
        )
        try:
            mail.send()
        except BadHeaderError as error:  # the same message fails the same way every time
            raise TransportError(f"the message cannot be sent: {error}", permanent=True) from error
        except SMTPRecipientsRefused as error:
            raise TransportError(f"address refused: {error}", permanent=True) from error
        except OSError as error:  # SMTP and connection errors
            raise TransportError(f"mail server: {error}") from error
        return None
