"""python manage.py import_leads FILE.csv [--map "E-mail=email" ...] [--dry-run]"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management import BaseCommand, CommandError

from routing.services.imports import ImportReport, leads_import


class Command(BaseCommand):
    help = (
        "Import leads from a CSV file (a header row naming the fields: email, first_name, "
        "company, employee_count, country, source, ...), each stored and routed like an API "
        "submission. Bad rows are reported with their line; good rows are imported anyway."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", help="A CSV file, UTF-8.")
        parser.add_argument(
            "--map",
            dest="mappings",
            action="append",
            default=[],
            metavar="COLUMN=FIELD",
            help='Rename a column, e.g. --map "E-mail=email". Columns that are no field are '
            "kept in the lead's attributes.",
        )
        parser.add_argument("--dry-run", action="store_true", help="Check only; store nothing.")

    def handle(
        self, *args: Any, file: str, mappings: list[str], dry_run: bool, **options: Any
    ) -> None:
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"{file}: no such file.")
        mapping = {}
        for item in mappings:
            column, sep, target = item.partition("=")
            if not sep or not column.strip() or not target.strip():
                raise CommandError(f"--map '{item}': write COLUMN=FIELD, e.g. E-mail=email.")
            mapping[column.strip()] = target.strip()
        started = time.monotonic()

        def progress(report: ImportReport) -> None:
            rate = report.rows / max(time.monotonic() - started, 1e-6)
            self.stderr.write(
                f"\r  {report.rows:,} rows read, {report.imported:,} imported ({rate:,.0f}/s)",
                ending="",
            )
            self.stderr.flush()

        with path.open(encoding="utf-8-sig", newline="") as lines:
            report = leads_import(
                lines=lines, name=path.name, mapping=mapping, dry_run=dry_run, progress=progress
            )
        self.stderr.write("")
        self._summary(report, dry_run=dry_run, seconds=time.monotonic() - started)

    def _summary(self, report: ImportReport, *, dry_run: bool, seconds: float) -> None:
        if dry_run:
            self.stdout.write(
                f"{report.rows:,} rows checked in {seconds:.1f} s (dry run: nothing stored); "
                f"{report.rejected:,} with problems."
            )
        else:
            self.stdout.write(
                f"{report.rows:,} rows in {seconds:.1f} s: {report.imported:,} new leads, "
                f"{report.joined:,} joined an open lead with the same e-mail, "
                f"{report.rejected:,} rejected."
            )
        if report.attribute_columns:
            columns = ", ".join(report.attribute_columns)
            self.stdout.write(f"Columns kept in each lead's attributes: {columns}.")
        for line, why in report.problems:
            self.stdout.write(f"  line {line}: {why}")
        if report.rejected > len(report.problems):
            self.stdout.write(f"  … and {report.rejected - len(report.problems):,} more.")
