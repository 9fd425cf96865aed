"""A list of leads brought in at once (an event's badge scans, a trade-show export):
the file, who brought it, how it is going and what was wrong with which row."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from routing.import_sla import (
    import_sla_check_working_hours,
    import_sla_clean,
    import_sla_default,
    import_sla_words,
)


def _default_sla() -> str:
    return import_sla_default()[0]


def _default_sla_working_hours() -> bool:
    return import_sla_default()[1]


class LeadImport(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    class Notify(models.TextChoices):
        DIGEST = "digest", "One digest per rep when the import ends"
        EACH = "each", "One message per lead, as for a form submission"

    name = models.CharField(max_length=200, help_text="The file's name, as uploaded.")
    file = models.FileField(upload_to="imports/%Y/%m/", blank=True)
    mapping = models.JSONField(
        default=dict, blank=True, help_text="Column → lead field, for columns named otherwise."
    )
    notify = models.CharField(max_length=10, choices=Notify.choices, default=Notify.DIGEST)
    dry_run = models.BooleanField(default=False, help_text="Checked only: nothing stored.")
    # Kept with the import so that a run resumed after a failure gives the rest of the
    # list the same deadlines as the first part.
    sla = models.CharField(
        "acknowledgment SLA",
        max_length=20,
        default=_default_sla,
        validators=[import_sla_clean],
        help_text="How long each new lead's owner has to acknowledge it: rule (each rule's "
        "SLA, as for a form submission), none (no deadline: never escalated, no reminder) "
        "or a duration, e.g. 8h or 2d.",
    )
    sla_working_hours = models.BooleanField(
        "SLA in working hours",
        default=_default_sla_working_hours,
        help_text="Count the duration in each owner's working hours (8h: one working day "
        "of a 9-17 rep); unticked, on the clock.",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    # Progress, written after every batch of rows.
    size = models.PositiveBigIntegerField(default=0, help_text="The file's size in bytes.")
    bytes_read = models.PositiveBigIntegerField(default=0)
    rows = models.PositiveIntegerField(default=0)
    imported = models.PositiveIntegerField(default=0, help_text="New leads.")
    joined = models.PositiveIntegerField(
        default=0, help_text="Rows whose e-mail has an open lead: they joined it."
    )
    rejected = models.PositiveIntegerField(default=0)
    problems = models.JSONField(
        default=list, blank=True, help_text="[line, what is wrong] for the first rejected rows."
    )
    attribute_columns = models.JSONField(
        default=list, blank=True, help_text="Columns kept in each lead's attributes."
    )
    error = models.TextField(blank=True, help_text="Why the import stopped, if it failed.")

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_status_display().lower()})"

    def clean(self) -> None:
        try:
            self.sla = import_sla_clean(self.sla)
        except ValidationError:
            return  # the field's own validator has said why
        try:
            import_sla_check_working_hours(self.sla, self.sla_working_hours)
        except ValidationError as error:
            raise ValidationError({"sla_working_hours": error}) from None

    @property
    def sla_words(self) -> str:
        return import_sla_words(self.sla, self.sla_working_hours)

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return min(99, self.bytes_read * 100 // self.size) if self.size else 0
