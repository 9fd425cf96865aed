"""The outbox and the systems that subscribe to lead events.

A message is a row written in the same transaction as the change it reports, then sent
after commit. Rows outlive a broker that is down, a worker that dies mid-send and a task
that runs twice: the row, not the task, is the unit of delivery.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from outgoing.addresses import validate_outgoing_url
from outgoing.secrets import new_webhook_secret
from reps.audit import audited_history
from reps.fields import ListField
from reps.models import Rep

from .leads import Assignment, Lead

EVENT_TYPES = (
    ("lead.assigned", "A lead was assigned (first routing, escalation, hand-off or claim)"),
    ("lead.acknowledged", "The owner acknowledged a lead"),
    ("lead.escalated", "Nobody acknowledged in time; the lead moved on"),
    ("lead.unclaimed", "Nobody took the lead; it waits in the shared queue"),
    ("lead.outcome", "The owner recorded an outcome"),
)
EVENT_NAMES = tuple(name for name, _ in EVENT_TYPES)


def validate_event_name(name: str) -> None:
    if name not in EVENT_NAMES:
        raise ValidationError(f"is not an event; choose from {', '.join(EVENT_NAMES)}.")


class WebhookSubscription(models.Model):
    """A system (a CRM, a data warehouse) that receives lead events as signed JSON."""

    name = models.CharField(max_length=100, unique=True)
    url = models.URLField(validators=[validate_outgoing_url], verbose_name="URL")
    events = ListField(
        item_validator=validate_event_name,
        help_text="Events to send, comma-separated (blank: all): " + ", ".join(EVENT_NAMES),
    )
    secret = models.CharField(
        max_length=100,
        default=new_webhook_secret,
        help_text="Signs every delivery (Standard Webhooks: webhook-id, webhook-timestamp, "
        "webhook-signature headers); give it to the receiver to verify with. Shown once, "
        "when created or rotated.",
    )
    secret_rotated_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="Empty: the secret is the one made with the subscription.",
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    history = audited_history(excluded_fields=["secret"])

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def wants(self, event: str) -> bool:
        return self.is_active and (not self.events or event in self.events)


# Messages of escalations, one by one and in digests (routing.notifications.escalation_digest).
ESCALATION_KINDS = (
    "manager.escalated",
    "manager.unclaimed",
    "manager.digest",
    "lead.expired",
    "lead.escalated",
    "escalation.digest",
)


class Notification(models.Model):
    """One message to one destination: the outbox row.

    `key` names the message ("assignment 12 assigned slack"): unique, so a service that
    runs twice writes it once. Sending claims rows by moving `next_attempt_at` past the
    send's time limit and stamping `claim` with a conditional update; only the claimant
    sends and records.
    """

    class Channel(models.TextChoices):
        SLACK = "slack", "Slack"
        EMAIL = "email", "E-mail"
        WEBHOOK = "webhook", "Webhook"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    key = models.CharField(max_length=200, unique=True)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    kind = models.CharField(max_length=40, help_text="What the message says, e.g. lead.assigned.")
    lead = models.ForeignKey(
        Lead,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
        help_text="Empty for a digest, which tells of many leads.",
    )
    lead_import = models.ForeignKey(
        "routing.LeadImport",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
        help_text="The import a digest tells of.",
    )
    assignment = models.ForeignKey(
        Assignment, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    rep = models.ForeignKey(
        Rep, null=True, blank=True, on_delete=models.SET_NULL, related_name="notifications"
    )
    subscription = models.ForeignKey(
        WebhookSubscription,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    destination = models.CharField(max_length=300, help_text="URL or e-mail address.")
    payload = models.JSONField(
        default=dict, blank=True, help_text="For webhooks: the body, fixed when written."
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claim = models.UUIDField(
        null=True,
        blank=True,
        editable=False,
        help_text="The last send's claim: the worker holding this token sends and records.",
    )
    last_error = models.TextField(blank=True)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The outbox sweep: pending rows whose time has come.
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
                name="notification_due_idx",
            ),
            # What a destination was lately told of escalations, read for each batch of
            # escalations to choose between a message at once and a digest.
            models.Index(
                fields=["destination", "created_at"],
                condition=Q(kind__in=ESCALATION_KINDS),
                name="notification_escalation_idx",
            ),
            # A worker reading back the rows its claim took (still pending until recorded).
            models.Index(
                fields=["claim"],
                condition=Q(status="pending"),
                name="notification_claim_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} by {self.get_channel_display()} to {self.destination}"
