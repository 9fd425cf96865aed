"""Signed one-click acknowledgment links: for one rep and one assignment, expiring.

The token carries the assignment and the rep; the signature (SECRET_KEY, a salt of its
own) makes it unforgeable, and its age is checked on use. Whether the assignment is still
open is checked by the page itself, so a link dies as soon as the lead moves on.
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.urls import reverse

from routing.models import Assignment

_SALT = "leadrouter.acknowledge"


class BadLink(Exception):
    pass


def acknowledge_token(assignment: Assignment) -> str:
    return signing.dumps({"a": assignment.pk, "r": assignment.rep_id}, salt=_SALT)


def acknowledge_url(assignment: Assignment) -> str:
    path = reverse("acknowledge", args=[acknowledge_token(assignment)])
    return settings.LEADROUTER["SITE_URL"] + path


def assignment_of_token(token: str) -> tuple[int, int]:
    """(assignment id, rep id), or BadLink saying why in words a rep understands."""
    max_age = settings.LEADROUTER["ACK_LINK_MAX_AGE"]
    try:
        data = signing.loads(token, salt=_SALT, max_age=max_age)
    except signing.SignatureExpired as error:
        raise BadLink("This link has expired. Open the lead from your queue instead.") from error
    except signing.BadSignature as error:
        raise BadLink("This link is not valid. Open the lead from your queue instead.") from error
    return int(data["a"]), int(data["r"])
