"""`manage.py dump_routing`: the routing data as a file load_routing reads back."""

from __future__ import annotations

from typing import Any

from django.core.management import BaseCommand, CommandError, CommandParser

from routing.routing_file import dump_routing


class Command(BaseCommand):
    help = (
        "Write reps, pools, territories, named accounts and rule sets in the routing-file "
        "format that load_routing reads, in a fixed order and without keys at their defaults."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output", "-o", metavar="FILE", help="Write to FILE instead of standard output."
        )

    def handle(self, *args: Any, output: str | None, **options: Any) -> None:
        text, warnings = dump_routing()
        for warning in warnings:
            self.stderr.write(f"warning: {warning}")
        if not output:
            self.stdout.write(text, ending="")
            return
        try:
            with open(output, "w", encoding="utf-8") as handle:
                handle.write(text)
        except OSError as error:
            raise CommandError(f"cannot write {output}: {error.strerror}") from error
        self.stdout.write(f"Wrote the routing data to {output}.")
