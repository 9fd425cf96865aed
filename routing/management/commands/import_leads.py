"""python manage.py import_leads FILE.csv [--map "E-mail=email" ...] [--notify digest|each]
[--sla rule|none|DURATION [--sla-working-hours]] [--dry-run] [--user EMAIL]"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management import BaseCommand, CommandError

from routing.imports import (
    ImportProblem,
    column_mapping,
    lead_import_create,
    lead_import_run,
)
from routing.models import LeadImport


class Command(BaseCommand):
    help = (
        "Import leads from a CSV file (a header row naming the fields: email, first_name, "
        "company, employee_count, country, source, ...), each stored and routed like an API "
        "submission. Bad rows are reported with their line; good rows are imported anyway."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", help="A CSV file, UTF-8 (or a spreadsheet's Windows-1252).")
        parser.add_argument(
            "--map",
            dest="mappings",
            action="append",
            default=[],
            metavar="COLUMN=FIELD",
            help='Rename a column, e.g. --map "E-mail=email". Columns that are no field are '
            "kept in the lead's attributes.",
        )
        parser.add_argument(
            "--notify",
            choices=LeadImport.Notify.values,
            default="",
            help="digest: one message per rep when the import ends; each: one per lead "
            "(default: the IMPORT_NOTIFY setting, digest).",
        )
        parser.add_argument(
            "--sla",
            default=None,
            metavar="rule|none|DURATION",
            help="How long each new lead's owner has to acknowledge it: rule (each rule's "
            "SLA, as for a form), none (no deadline: never escalated, no reminder) or a "
            "duration, e.g. 8h or 2d, on the clock unless --sla-working-hours (default: the "
            "IMPORT_SLA setting, 8h of working hours).",
        )
        parser.add_argument(
            "--sla-working-hours",
            action="store_true",
            default=None,
            help="Count the --sla duration in each owner's working hours.",
        )
        parser.add_argument("--dry-run", action="store_true", help="Check only; store nothing.")
        parser.add_argument("--user", help="Your e-mail, to record who imported the list.")

    def handle(
        self,
        *args: Any,
        file: str,
        mappings: list[str],
        notify: str,
        sla: str | None,
        sla_working_hours: bool | None,
        dry_run: bool,
        user: str | None,
        **options: Any,
    ) -> None:
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"{file}: no such file.")
        try:
            mapping = column_mapping(mappings)
        except ImportProblem as problem:
            raise CommandError(f"--map {problem}") from None
        started = time.monotonic()
        try:
            lead_import = lead_import_create(
                name=path.name,
                mapping=mapping,
                notify=notify,
                dry_run=dry_run,
                user=self._user(user),
                size=path.stat().st_size,
                sla=sla,
                sla_working_hours=sla_working_hours,
            )
        except ValidationError as error:
            raise CommandError(_options_wrong(error)) from None

        def progress(current: LeadImport) -> None:
            rate = current.rows / max(time.monotonic() - started, 1e-6)
            self.stderr.write(
                f"\r  {current.percent:3d}%  {current.rows:,} rows read, "
                f"{current.imported:,} imported ({rate:,.0f}/s)",
                ending="",
            )
            self.stderr.flush()

        with path.open("rb") as source:
            try:
                lead_import = lead_import_run(
                    lead_import=lead_import, source=source, progress=progress
                )
            except ImportProblem as problem:
                raise CommandError(f"{path.name}: {problem}") from None
        self.stderr.write("")
        self._summary(lead_import, seconds=time.monotonic() - started)

    def _user(self, email: str | None) -> Any:
        if not email:
            return None
        user = get_user_model().objects.filter(email__iexact=email).first()
        if user is None:
            raise CommandError(f"--user {email}: no user has this e-mail.")
        return user

    def _summary(self, lead_import: LeadImport, *, seconds: float) -> None:
        if lead_import.dry_run:
            self.stdout.write(
                f"{lead_import.rows:,} rows checked in {seconds:.1f} s (dry run: nothing "
                f"stored); {lead_import.rejected:,} with problems."
            )
        else:
            self.stdout.write(
                f"{lead_import.rows:,} rows in {seconds:.1f} s: {lead_import.imported:,} new "
                f"leads, {lead_import.joined:,} joined an open lead with the same e-mail, "
                f"{lead_import.rejected:,} rejected."
            )
            self.stdout.write(f"Acknowledgment SLA of the new leads: {lead_import.sla_words}.")
        if lead_import.attribute_columns:
            columns = ", ".join(lead_import.attribute_columns)
            self.stdout.write(f"Columns kept in each lead's attributes: {columns}.")
        for line, why in lead_import.problems:
            self.stdout.write(f"  line {line}: {why}")
        if lead_import.rejected > len(lead_import.problems):
            more = lead_import.rejected - len(lead_import.problems)
            self.stdout.write(f"  … and {more:,} more.")


# The options that set each field of the import, to name them in an error.
OPTION_OF = {"sla": "--sla", "sla_working_hours": "--sla-working-hours", "notify": "--notify"}


def _options_wrong(error: ValidationError) -> str:
    return " ".join(
        f"{OPTION_OF.get(field, field)}: {message}"
        for field, messages in error.message_dict.items()
        for message in messages
    )
