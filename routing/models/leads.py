"""Leads, the decisions made about them, who owned them when, and the log of their life.

Leads and assignments are audited by an append-only event log (LeadEvent) rather than
history tables: a lead's life is a sequence of events (submitted, routed, notified,
acknowledged, escalated, outcome), several of which change no column at all, and the
rep's timeline is read straight from the log. Assignments are append-only by design:
a reassignment ends one row and adds another, it never rewrites who owned the lead.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from reps.models import Rep

from .intake import IntakeKey
from .rulesets import Rule, RuleSet


class Lead(models.Model):
    class Status(models.TextChoices):
        NEW = "new", "New (not routed yet)"
        ASSIGNED = "assigned", "Assigned"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        CONTACTED = "contacted", "Contacted"
        QUALIFIED = "qualified", "Qualified"
        CONVERTED = "converted", "Converted"
        DISQUALIFIED = "disqualified", "Disqualified"
        ESCALATED = "escalated", "Escalated"
        UNCLAIMED = "unclaimed", "Unclaimed"

    # Statuses in which the lead still waits for or is being worked by its owner;
    # a new submission with the same e-mail joins such a lead.
    OPEN_STATUSES = (
        Status.NEW,
        Status.ASSIGNED,
        Status.ACKNOWLEDGED,
        Status.CONTACTED,
        Status.QUALIFIED,
        Status.ESCALATED,
        Status.UNCLAIMED,
    )

    email = models.EmailField()
    email_domain = models.CharField(max_length=253, blank=True)
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    phone = models.CharField(max_length=50, blank=True)
    company = models.CharField(max_length=200, blank=True)
    website = models.CharField(max_length=300, blank=True)
    employee_count = models.PositiveIntegerField(null=True, blank=True)
    annual_revenue = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166-1 alpha-2.")
    state = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    city = models.CharField(max_length=100, blank=True)
    industry = models.CharField(max_length=100, blank=True)
    product = models.CharField(max_length=100, blank=True)
    source = models.CharField(max_length=50, blank=True)
    score = models.FloatField(null=True, blank=True)
    message = models.TextField(blank=True)
    # The campaign that brought the lead (Google Analytics' UTM parameters, Google Ads' click id).
    utm_source = models.CharField(max_length=255, blank=True)
    utm_medium = models.CharField(max_length=255, blank=True)
    utm_campaign = models.CharField(max_length=255, blank=True)
    utm_term = models.CharField(max_length=255, blank=True)
    utm_content = models.CharField(max_length=255, blank=True)
    gclid = models.CharField(max_length=255, blank=True)
    attributes = models.JSONField(default=dict, blank=True)
    payload = models.JSONField(default=dict, help_text="The submission exactly as received.")

    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NEW)
    owner = models.ForeignKey(
        Rep,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="leads",
        db_index=False,  # lead_owner_status_idx (owner, status) serves lookups by owner
        help_text="The current owner (the rep of the open assignment, or the last one).",
    )
    # The lead's routing by the rules: the rule set, rule and pool that first routed it
    # (or routed it through the rules again when it returned). Escalations and hand-offs
    # send it on without changing them: the figures credit the lead to them, and the
    # rule's SLA, escalation and hand-off targets keep applying to it (docs/decisions/0010).
    ruleset = models.ForeignKey(
        RuleSet,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="leads",
        verbose_name="routed by rule set",
    )
    rule = models.ForeignKey(
        Rule,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="leads",
        verbose_name="routed by rule",
        help_text="Empty: the rule set's fallback took it. Escalations do not change it.",
    )
    pool = models.ForeignKey(
        "reps.Pool",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="routed_leads",
        verbose_name="routed from pool",
        help_text="The pool its first owner was picked from, if any.",
    )
    intake_key = models.ForeignKey(
        IntakeKey, null=True, blank=True, on_delete=models.SET_NULL, related_name="leads"
    )
    lead_import = models.ForeignKey(
        "routing.LeadImport",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="leads",
        help_text="The imported list this lead came from, if any.",
    )
    escalation_count = models.PositiveSmallIntegerField(default=0)
    queue_pools = models.ManyToManyField(
        "reps.Pool",
        blank=True,
        related_name="unclaimed_leads",
        help_text="Unclaimed: the pools whose members may claim it from the shared queue.",
    )
    queue_reps = models.ManyToManyField(
        "reps.Rep",
        blank=True,
        related_name="claimable_leads",
        help_text=(
            "Unclaimed with no pool to wait in: the reps who may claim it from their "
            "shared queue (the rule set's fallback rep)."
        ),
    )
    outcome_note = models.TextField(blank=True)
    handoff_note = models.TextField(
        blank=True, help_text="What an AI agent said when it handed the lead to people."
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    acknowledged_at = models.DateTimeField(
        null=True, blank=True, help_text="First acknowledgment: the end of speed-to-lead."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        # The dashboard's figures are the leads', so its permission is kept with them.
        permissions = [("view_dashboard", "Can view the dashboard and download its tables")]
        indexes = [
            # Duplicate detection: the newest open lead for an e-mail.
            models.Index(fields=["email", "-created_at"], name="lead_email_recent_idx"),
            models.Index(fields=["status", "-created_at"], name="lead_status_recent_idx"),
            models.Index(fields=["owner", "status"], name="lead_owner_status_idx"),
            # A rule set's same_company_owner: the newest open lead from an e-mail domain.
            models.Index(fields=["email_domain", "-created_at"], name="lead_domain_recent_idx"),
        ]

    def __str__(self) -> str:
        name = f"{self.first_name} {self.last_name}".strip()
        return f"{name} <{self.email}>" if name else self.email

    @staticmethod
    def claimable_by(rep: Rep) -> Q:
        """Unclaimed leads waiting in the rep's shared queue: their pools', or theirs."""
        return Q(status=Lead.Status.UNCLAIMED) & (
            Q(queue_pools__memberships__rep=rep) | Q(queue_reps=rep)
        )

    def waiting_for(self) -> list[str]:
        """Whose shared queue the lead waits in: its pools' names, then its reps'."""
        names = [pool.name for pool in self.queue_pools.all()]
        return names + [rep.name for rep in self.queue_reps.all()]

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


class RoutingDecision(models.Model):
    """One run of the routing rules for a lead, with its full trace."""

    class Kind(models.TextChoices):
        INITIAL = "initial", "Initial routing"
        ESCALATION = "escalation", "Escalation"
        HANDOFF = "handoff", "Hand-off to humans"
        FALLBACK_ON_ERROR = "error", "Fallback after an error"
        RETURNED = "returned", "Routed again: the lead returned"
        MANUAL = "manual", "Reassigned by a manager"
        REROUTED = "rerouted", "Returned to the rules by a manager"

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="decisions")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.INITIAL)
    ruleset = models.ForeignKey(RuleSet, null=True, on_delete=models.SET_NULL, related_name="+")
    ruleset_version = models.PositiveIntegerField(null=True)
    rule = models.ForeignKey(Rule, null=True, on_delete=models.SET_NULL, related_name="+")
    rule_name = models.CharField(max_length=100, blank=True, help_text="As it was named then.")
    owner = models.ForeignKey(Rep, null=True, on_delete=models.PROTECT, related_name="+")
    pool = models.ForeignKey(
        "reps.Pool",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The pool the owner was picked from, if any.",
    )
    steps = models.JSONField(default=list)
    elapsed_us = models.PositiveIntegerField(default=0, help_text="Decision time, microseconds.")
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["lead", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of lead {self.lead_id}"


class Assignment(models.Model):
    """Who owned a lead from when to when. At most one is open (not ended) per lead."""

    class Reason(models.TextChoices):
        ROUTED = "routed", "Routed"
        ESCALATED = "escalated", "Escalated"
        HANDOFF = "handoff", "Handed off by an agent"
        CLAIMED = "claimed", "Claimed from the shared queue"
        MANUAL = "manual", "Reassigned by a manager"

    class EndReason(models.TextChoices):
        EXPIRED = "expired", "Not acknowledged in time"
        HANDED_OFF = "handed_off", "Handed off"
        REASSIGNED = "reassigned", "Reassigned"
        CLOSED = "closed", "Lead closed"

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="assignments")
    rep = models.ForeignKey(
        Rep,
        on_delete=models.PROTECT,
        related_name="assignments",
        db_index=False,  # assignment_rep_recent_idx (rep, assigned_at) serves lookups by rep
    )
    decision = models.ForeignKey(
        RoutingDecision, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(max_length=20, choices=Reason.choices, default=Reason.ROUTED)
    assigned_at = models.DateTimeField(default=timezone.now)
    ack_due_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    # When the owner is reminded if still unacknowledged (the rule set's remind_before
    # ahead of ack_due_at), and when they were: set once, by the reminder sweep.
    remind_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=20, choices=EndReason.choices, blank=True)

    class Meta:
        ordering = ["lead", "assigned_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["lead"],
                condition=Q(ended_at__isnull=True),
                name="one_open_assignment_per_lead",
                violation_error_message="This lead already has an open assignment.",
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("assigned_at")),
                name="assignment_ends_after_start",
                violation_error_message="An assignment cannot end before it starts.",
            ),
        ]
        indexes = [
            # The escalation sweep: open, unacknowledged assignments by due time. "Has a
            # deadline" in the condition keeps a rep's count of unacknowledged leads
            # (which says nothing of deadlines) off this index, which holds everybody's:
            # planned without statistics, that count scanned all of them.
            models.Index(
                fields=["ack_due_at"],
                condition=Q(
                    acknowledged_at__isnull=True, ended_at__isnull=True, ack_due_at__isnull=False
                ),
                name="assignment_ack_due_idx",
            ),
            # The reminder sweep: open, unacknowledged assignments not yet reminded, by
            # reminder time. Only assignments with a reminder are in it.
            models.Index(
                fields=["remind_at"],
                condition=Q(
                    acknowledged_at__isnull=True,
                    ended_at__isnull=True,
                    reminded_at__isnull=True,
                    remind_at__isnull=False,
                ),
                name="assignment_remind_due_idx",
            ),
            # A rep's load, counted for every lead that may go to them: their open
            # assignments, and of those the unacknowledged, each an index-only count.
            models.Index(
                fields=["rep", "acknowledged_at"],
                condition=Q(ended_at__isnull=True),
                name="assignment_rep_open_ack_idx",
            ),
            models.Index(fields=["rep", "assigned_at"], name="assignment_rep_recent_idx"),
        ]

    def __str__(self) -> str:
        return f"Lead {self.lead_id} → {self.rep}"

    @property
    def is_open(self) -> bool:
        return self.ended_at is None


class AppendOnlyError(Exception):
    pass


class LeadEvent(models.Model):
    """Append-only log of a lead's life: who did what, when, with what data."""

    class Kind(models.TextChoices):
        SUBMITTED = "submitted", "Submitted"
        RESUBMITTED = "resubmitted", "Submitted again (duplicate)"
        ROUTED = "routed", "Routed"
        NOTIFIED = "notified", "Owner notified"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        ESCALATED = "escalated", "Escalated"
        UNCLAIMED = "unclaimed", "Unclaimed"
        CLAIMED = "claimed", "Claimed"
        HANDED_OFF = "handed_off", "Handed off"
        OUTCOME = "outcome", "Outcome recorded"
        REASSIGNED = "reassigned", "Reassigned by a manager"
        EDITED = "edited", "Edited"

    lead = models.ForeignKey(
        Lead,
        on_delete=models.CASCADE,
        related_name="events",
        db_index=False,  # lead_event_timeline_idx (lead, at) serves lookups by lead
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    at = models.DateTimeField(default=timezone.now)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor = models.CharField(
        max_length=200, blank=True, help_text="Who acted when not a user: 'system', 'intake key …'."
    )
    assignment = models.ForeignKey(
        Assignment, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["lead", "at", "id"]
        indexes = [models.Index(fields=["lead", "at"], name="lead_event_timeline_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.at:%Y-%m-%d %H:%M:%S}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not kwargs.get("force_insert"):
            raise AppendOnlyError("Lead events are append-only; add a new event instead.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnlyError("Lead events are append-only and cannot be deleted.")
