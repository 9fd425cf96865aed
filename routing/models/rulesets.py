"""Rule sets and their ordered rules: the routing policy a manager edits."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from reps.audit import audited_history
from reps.fields import ListField
from reps.models import Pool, Rep, owner_constraint
from routing.conditions import describe_conditions
from routing.validators import validate_conditions, validate_manager_address


def _default_ack_sla() -> timedelta:
    return settings.LEADROUTER["DEFAULT_ACK_SLA"]


def _default_duplicate_window() -> timedelta:
    return settings.LEADROUTER["DEFAULT_DUPLICATE_WINDOW"]


def _default_max_escalations() -> int:
    return settings.LEADROUTER["DEFAULT_MAX_ESCALATIONS"]


def _rep_fk(**options: object) -> models.ForeignKey:
    return models.ForeignKey(
        Rep, null=True, blank=True, on_delete=models.PROTECT, related_name="+", **options
    )


def _pool_fk(**options: object) -> models.ForeignKey:
    return models.ForeignKey(
        Pool, null=True, blank=True, on_delete=models.PROTECT, related_name="+", **options
    )


class RuleSet(models.Model):
    """An ordered list of rules, first match wins, and the owner of whatever none matches.

    One rule set is active at a time; the others are drafts or retired versions.
    """

    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    is_active = models.BooleanField(
        default=False, help_text="The rule set that routes new leads. Only one can be active."
    )
    version = models.PositiveIntegerField(
        default=1,
        editable=False,
        help_text="Goes up with every change to the rule set or its rules; "
        "each routing decision records the version it used.",
    )
    fallback_rep = _rep_fk(help_text="Owner of leads no rule takes: a rep or a pool.")
    fallback_pool = _pool_fk()
    ack_sla = models.DurationField(
        default=_default_ack_sla,
        verbose_name="acknowledgment SLA",
        help_text="Time an owner has to acknowledge a lead, unless a rule says otherwise.",
    )
    escalate_to_rep = _rep_fk(help_text="Who gets a lead nobody acknowledged in time.")
    escalate_to_pool = _pool_fk()
    max_escalations = models.PositiveSmallIntegerField(
        default=_default_max_escalations,
        help_text="After this many escalations an unacknowledged lead becomes unclaimed.",
    )
    notify_on_escalation = ListField(
        item_validator=validate_manager_address,
        verbose_name="tell of escalations",
        help_text=(
            "Managers' e-mail addresses and Slack incoming-webhook URLs (a team channel), "
            "comma-separated, told of escalations and of leads nobody took: the first "
            "after a quiet spell at once, the rest in one digest per "
            "ESCALATION_DIGEST_SECONDS."
        ),
    )
    remind_before = models.DurationField(
        null=True,
        blank=True,
        verbose_name="remind before the deadline",
        help_text="The owner of a lead still unacknowledged this long before its deadline "
        "gets one reminder: 5m, 2m30s. Shorter than the SLA; blank: no reminder.",
    )
    duplicate_window = models.DurationField(
        default=_default_duplicate_window,
        help_text="A lead with the e-mail of an open lead created within this time joins it.",
    )

    class RerouteReturning(models.TextChoices):
        NEVER = "never", "Never: a returning lead stays with its owner"
        AGENT_OWNED = "agent_owned", "When an AI agent has it and it matches another rule"
        HIGHER_RULE = "higher_rule", "Also when it matches a rule above the one that routed it"

    reroute_returning = models.CharField(
        max_length=20,
        choices=RerouteReturning.choices,
        default=RerouteReturning.AGENT_OWNED,
        verbose_name="route a returning lead again",
        help_text=(
            "A lead that submits again while open joins its lead; this says when it is "
            "routed again instead (returned with higher intent). An unclaimed lead that "
            "returns is always routed again."
        ),
    )
    sticky_owner = models.BooleanField(
        default=False,
        verbose_name="returning people keep their owner",
        help_text="A person (same e-mail) whose earlier lead was created within the "
        "duplicate window goes to that lead's owner, if available now; else the rules.",
    )
    same_company_owner = models.BooleanField(
        default=False,
        verbose_name="colleagues go to their company's owner",
        help_text="A new lead goes to the owner of the most recent open lead from the same "
        "company e-mail domain, if available now (never for free mail; a named account's "
        "owner comes first).",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = audited_history(excluded_fields=["updated_at", "version"])

    class Meta:
        ordering = ["-is_active", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"],
                condition=Q(is_active=True),
                name="one_active_ruleset",
                violation_error_message="Another rule set is already active; deactivate it first.",
            ),
            owner_constraint("fallback", required=True),
            owner_constraint("escalate_to", required=False),
            models.CheckConstraint(
                condition=Q(ack_sla__gt=timedelta(0)),
                name="ruleset_ack_sla_positive",
                violation_error_message="The acknowledgment SLA must be longer than zero.",
            ),
            # A reminder at or before the assignment itself would only repeat the
            # assignment's message.
            models.CheckConstraint(
                condition=Q(remind_before__isnull=True)
                | Q(remind_before__gt=timedelta(0), remind_before__lt=models.F("ack_sla")),
                name="ruleset_remind_before_within_sla",
                violation_error_message="The reminder must come before the deadline: "
                "remind before must be longer than zero and shorter than the "
                "acknowledgment SLA.",
            ),
            models.CheckConstraint(
                condition=Q(duplicate_window__gte=timedelta(0)),
                name="ruleset_duplicate_window_not_negative",
                violation_error_message="The duplicate window cannot be negative (0 turns it off).",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} (active)" if self.is_active else self.name

    @property
    def fallback(self) -> Rep | Pool | None:
        return self.fallback_rep or self.fallback_pool

    @property
    def escalate_to(self) -> Rep | Pool | None:
        return self.escalate_to_rep or self.escalate_to_pool


IGNORE_CAPACITY_ONLY_FOR_OWNERS = (
    "Only a rule routing to the account owner can ignore capacity: a rep or pool route "
    "would overload whoever it names. Clear “owner keeps the account at capacity” or "
    "route to the named account's owner."
)


class Rule(models.Model):
    """When all of `conditions` hold for a lead, route it to `route_to`."""

    class RouteTo(models.TextChoices):
        REP = "rep", "A rep"
        POOL = "pool", "A pool"
        TERRITORY = "territory", "The owner of the lead's territory"
        ACCOUNT_OWNER = "account_owner", "The owner of the lead's named account"

    ruleset = models.ForeignKey(RuleSet, on_delete=models.CASCADE, related_name="rules")
    position = models.PositiveIntegerField(default=0, help_text="Rules are tried in this order.")
    name = models.CharField(max_length=100)
    is_enabled = models.BooleanField(default=True, verbose_name="enabled")
    conditions = models.JSONField(
        default=dict,
        blank=True,
        validators=[validate_conditions],
        help_text="All must hold. Empty: every lead.",
    )
    route_to = models.CharField(max_length=20, choices=RouteTo.choices)
    route_rep = _rep_fk(verbose_name="rep")
    route_pool = _pool_fk(verbose_name="pool")
    ack_sla = models.DurationField(
        null=True,
        blank=True,
        verbose_name="acknowledgment SLA",
        help_text="Blank: the rule set's SLA.",
    )
    sla_in_working_hours = models.BooleanField(
        default=False,
        verbose_name="SLA in working hours",
        help_text="Count the SLA only in the owner's working hours (their time zone): a lead "
        "at 18:55 for a 9-17 rep with 20 minutes is due at 09:15 on their next working day.",
    )
    ignore_capacity = models.BooleanField(
        default=False,
        verbose_name="owner keeps the account at capacity",
        help_text="Only for account-owner rules: the account's owner gets its leads even at "
        "their capacity limits (open, unacknowledged, per day). Out of office and inactive "
        "owners are still passed over, and told.",
    )
    escalate_to_rep = _rep_fk(help_text="Blank (and no pool): the rule set's escalation target.")
    escalate_to_pool = _pool_fk()
    handoff_to_rep = _rep_fk(
        verbose_name="hand-off rep",
        help_text="Who takes over when an AI agent hands a lead of this rule to a person. "
        "Blank (and no pool): the rule set decides again, without agents.",
    )
    handoff_to_pool = _pool_fk(verbose_name="hand-off pool")

    history = audited_history()

    class Meta:
        ordering = ["ruleset", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["ruleset", "name"], name="rule_name_unique_in_ruleset"),
            models.CheckConstraint(
                condition=(
                    Q(route_to="rep", route_rep__isnull=False, route_pool__isnull=True)
                    | Q(route_to="pool", route_pool__isnull=False, route_rep__isnull=True)
                    | Q(
                        route_to__in=["territory", "account_owner"],
                        route_rep__isnull=True,
                        route_pool__isnull=True,
                    )
                ),
                name="rule_route_target_matches_kind",
                violation_error_message=(
                    "Routing to a rep needs the rep, to a pool needs the pool; "
                    "territory and account-owner routes take neither."
                ),
            ),
            models.CheckConstraint(
                condition=Q(ignore_capacity=False) | Q(route_to="account_owner"),
                name="rule_ignore_capacity_only_for_account_owner",
                violation_error_message=IGNORE_CAPACITY_ONLY_FOR_OWNERS,
            ),
            owner_constraint("escalate_to", required=False),
            owner_constraint("handoff_to", required=False),
            models.CheckConstraint(
                condition=Q(ack_sla__isnull=True) | Q(ack_sla__gt=timedelta(0)),
                name="rule_ack_sla_positive",
                violation_error_message="A rule's acknowledgment SLA must be longer than zero.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        if self.route_to == self.RouteTo.REP and not self.route_rep_id:
            raise ValidationError({"route_rep": "Choose the rep this rule routes to."})
        if self.route_to == self.RouteTo.POOL and not self.route_pool_id:
            raise ValidationError({"route_pool": "Choose the pool this rule routes to."})
        if self.ignore_capacity and self.route_to != self.RouteTo.ACCOUNT_OWNER:
            raise ValidationError({"ignore_capacity": IGNORE_CAPACITY_ONLY_FOR_OWNERS})
        if self.route_to != self.RouteTo.REP:
            self.route_rep = None
        if self.route_to != self.RouteTo.POOL:
            self.route_pool = None

    @property
    def target(self) -> Rep | Pool | None:
        return self.route_rep or self.route_pool

    @property
    def handoff_to(self) -> Rep | Pool | None:
        return self.handoff_to_rep or self.handoff_to_pool

    def describe(self) -> str:
        target = {
            self.RouteTo.REP: lambda: f"rep {self.route_rep.name if self.route_rep else '?'}",
            self.RouteTo.POOL: lambda: f"pool {self.route_pool.name if self.route_pool else '?'}",
            self.RouteTo.TERRITORY: lambda: "the territory owner",
            self.RouteTo.ACCOUNT_OWNER: lambda: (
                "the named account's owner" + (", even at capacity" if self.ignore_capacity else "")
            ),
        }[self.route_to]()
        return f"When {describe_conditions(self.conditions)} → {target}"
