"""Create an intake key for a lead source and show it, once."""

from __future__ import annotations

import json
import shlex
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management import BaseCommand, CommandError
from django.utils import timezone

from routing.models import IntakeKey
from routing.models.intake import validate_origin
from routing.services.intake_keys import intake_key_create, rep_by_email

NAME_MAX_LENGTH = IntakeKey._meta.get_field("name").max_length
EXAMPLE_BODY = {"email": "pat@example.com", "source": "demo_request"}
OPTIONS = {"rep": "--agent", "thank_you_url": "--thank-you", "may_read_metrics": "--metrics"}


def _problems(error: ValidationError) -> str:
    """A model's ValidationError as the options the person typed."""
    if not hasattr(error, "error_dict"):
        return " ".join(error.messages)
    return " ".join(
        f"{OPTIONS.get(field, field)}: {' '.join(messages)}"
        for field, messages in error.message_dict.items()
    )


class Command(BaseCommand):
    help = (
        "Create an intake key for a lead source (a web form, a signup flow, a marketing "
        "tool) and print it. Only its hash is stored: copy it now, it is not shown again."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("name", help="The source, e.g. 'Website demo form'.")
        parser.add_argument(
            "--expires",
            type=int,
            metavar="DAYS",
            help="Expire the key after this many days (default: never).",
        )
        parser.add_argument(
            "--public",
            action="store_true",
            help="A public key, for a form in a web page: it may only submit leads, and "
            "its answers say nothing of who got them. Default: a server key.",
        )
        parser.add_argument(
            "--origin",
            action="append",
            default=[],
            metavar="ORIGIN",
            help="Public keys: a site whose pages post with the key, e.g. "
            "https://www.example.com (repeat for several).",
        )
        parser.add_argument(
            "--agent",
            metavar="EMAIL",
            help="An AI agent's key: it may also acknowledge, record outcomes for and hand "
            "off the leads of the agent with this e-mail. A server key.",
        )
        parser.add_argument(
            "--thank-you",
            metavar="URL",
            default="",
            help="The page a plain HTML form posting with the key sends the visitor to "
            "(303) once the lead is stored, e.g. https://www.example.com/thanks.",
        )
        parser.add_argument(
            "--metrics",
            action="store_true",
            help="A server key that may also read GET /api/v1/metrics/ (the dashboard's "
            "figures), e.g. for a BI tool.",
        )
        parser.add_argument(
            "--url",
            default="http://127.0.0.1:8000",
            help="The server's address, for the example command (default: %(default)s).",
        )

    def handle(
        self,
        *args: Any,
        name: str,
        expires: int | None,
        url: str,
        public: bool,
        origin: list[str],
        agent: str | None,
        thank_you: str,
        metrics: bool,
        **options: Any,
    ) -> None:
        name = name.strip()
        if not name:
            raise CommandError("Give the key a name: the source that will use it, e.g. 'Website'.")
        if len(name) > NAME_MAX_LENGTH:
            raise CommandError(
                f"The name is {len(name)} characters long; use at most {NAME_MAX_LENGTH}."
            )
        if expires is not None and expires < 1:
            raise CommandError("--expires takes a number of days, 1 or more.")
        if origin and not public:
            raise CommandError("--origin is for public keys: add --public.")
        if agent is not None and public:
            raise CommandError(
                "--agent makes a server key (it acts for the agent); leave out --public."
            )
        origins = []
        for text in origin:
            try:
                validate_origin(text)
            except ValidationError as error:
                raise CommandError(f"--origin {text}: {' '.join(error.messages)}") from error
            origins.append(text)
        expiry_date = timezone.now() + timedelta(days=expires) if expires else None
        try:
            rep = rep_by_email(email=agent) if agent is not None else None
            intake_key, key = intake_key_create(
                name=name,
                expiry_date=expiry_date,
                kind=IntakeKey.Kind.PUBLIC if public else IntakeKey.Kind.SERVER,
                allowed_origins=origins,
                rep=rep,
                thank_you_url=thank_you.strip(),
                may_read_metrics=metrics,
            )
        except ValidationError as error:
            raise CommandError(_problems(error)) from error

        expiry = (
            f"expires {timezone.localtime(expiry_date):%Y-%m-%d %H:%M %Z}"
            if expiry_date
            else "never expires"
        )
        curl = " ".join(
            [
                "curl",
                shlex.quote(f"{url.rstrip('/')}/api/v1/leads/"),
                "-H",
                shlex.quote(f"Authorization: Api-Key {key}"),
                "-H",
                shlex.quote("Content-Type: application/json"),
                "-d",
                shlex.quote(json.dumps(EXAMPLE_BODY)),
            ]
        )
        kind = "public intake key" if public else "intake key"
        if rep is not None:
            kind = f"intake key of the AI agent {rep.name}"
        self.stdout.write(
            self.style.SUCCESS(f"Created {kind} '{name}' ({intake_key.prefix}…, {expiry}).")
        )
        if public:
            self._explain_public(key, url, origins)
            return
        self.stdout.write(
            "Copy it now: only its hash is stored, so it cannot be shown again.\n\n"
            f"    {key}\n\n"
            "Sources send it in the Authorization header, for example:\n\n"
            f"    {curl}\n"
        )
        if metrics:
            metrics_curl = " ".join(
                [
                    "curl",
                    shlex.quote(f"{url.rstrip('/')}/api/v1/metrics/?days=30"),
                    "-H",
                    shlex.quote(f"Authorization: Api-Key {key}"),
                ]
            )
            self.stdout.write(f"It may read metrics too:\n\n    {metrics_curl}\n")

    def _explain_public(self, key: str, url: str, origins: list[str]) -> None:
        where = ", ".join(origins) if origins else "no site yet"
        self.stdout.write(
            f"It may only submit leads, and is accepted from pages on: {where}.\n"
            + (
                ""
                if origins
                else "Browsers are refused until the site's origin is added (the key's "
                "page in the admin, or --origin when creating one).\n"
            )
            + "Anyone can read it in the page, so it is shown here once and kept hashed "
            "like any key:\n\n"
            f"    {key}\n\n"
            "In the page's script:\n\n"
            f"    fetch({json.dumps(url.rstrip('/') + '/api/v1/leads/')}, {{method: 'POST',\n"
            f"      headers: {{'Authorization': 'Api-Key {key}',\n"
            "                'Content-Type': 'application/json'},\n"
            "      body: JSON.stringify({email: form.email.value})})\n"
        )
