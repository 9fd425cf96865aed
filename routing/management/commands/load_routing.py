"""`manage.py load_routing FILE.yaml`: apply a routing file (see routing/routing_file/)."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management import BaseCommand, CommandError, CommandParser

from reps.models import User
from routing.routing_file import RoutingFileError, load_routing


class Command(BaseCommand):
    help = (
        "Create or update reps, pools, territories, named accounts and rule sets from a "
        "routing file (YAML), matched by natural key: rep e-mail, otherwise name. The whole "
        "file is checked first; if anything is wrong, every problem is listed and nothing is "
        "written. Objects in the database that the file does not list are left alone; the "
        "pool members, account domains and rules listed under an item replace that item's "
        "own. Loading the same file again changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="The routing file; '-' reads standard input.")
        parser.add_argument(
            "--user",
            metavar="EMAIL",
            help="Record the changes in history as made by this user (an existing login).",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Check the file and report what would change, without writing anything.",
        )

    def handle(
        self, *args: Any, file: str, user: str | None, dry_run: bool, **options: Any
    ) -> None:
        text = self._read(file)
        acting = None
        if user:
            acting = User.objects.filter(email__iexact=user.strip()).first()
            if acting is None:
                raise CommandError(
                    f"--user '{user}': no user has this e-mail; create the user first or "
                    "leave --user out"
                )
        try:
            summary = load_routing(
                text, source=file, user=acting, reason=f"load_routing {file}", dry_run=dry_run
            )
        except RoutingFileError as error:
            count = len(error.errors)
            raise CommandError(
                f"{file}: {count} problem{'s' if count != 1 else ''}, nothing was changed:\n"
                + "\n".join(f"  - {message}" for message in error.errors)
            ) from error
        for line in summary.lines():
            self.stdout.write(f"  {line}")
        if dry_run:
            self.stdout.write(f"Checked {file}: dry run, nothing was written.")
        elif summary.changed:
            self.stdout.write(self.style.SUCCESS(f"Loaded {file}."))
        else:
            self.stdout.write(self.style.SUCCESS(f"Loaded {file}: nothing changed."))

    def _read(self, file: str) -> str:
        if file == "-":
            return sys.stdin.read()
        try:
            with open(file, encoding="utf-8") as handle:
                return handle.read()
        except OSError as error:
            raise CommandError(f"cannot read {file}: {error.strerror}") from error
        except UnicodeDecodeError as error:
            raise CommandError(f"{file} is not UTF-8 text: {error}") from error
