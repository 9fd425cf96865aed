"""What the API answers: a routed lead, a simulation, a lead with its history, errors."""

from __future__ import annotations

from typing import Any, Literal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from reps.models import Pool, Rep
from routing.lead_fields import SUBMITTED_FIELDS, Kind
from routing.models import Assignment, Lead, RoutingDecision, Rule
from routing.normalize import SUBMISSION_FIELDS
from routing.services import IntakeResult, Simulation


class OwnerSerializer(serializers.ModelSerializer):
    class Meta:
        model = Rep
        fields = ["id", "name", "email", "kind"]


class RuleRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Rule
        fields = ["id", "name"]


class PoolRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Pool
        fields = ["id", "name"]


class DecisionRuleSerializer(serializers.Serializer):
    id = serializers.IntegerField(allow_null=True, help_text="Null if the rule was deleted.")
    name = serializers.CharField(help_text="The rule's name when it decided.")


class RuleSetRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    version = serializers.IntegerField(help_text="The rule set's version the decision used.")


class DecisionSummarySerializer(serializers.Serializer):
    ruleset = RuleSetRefSerializer(allow_null=True)
    steps = serializers.ListField(
        child=serializers.JSONField(), help_text="The trace: each rule tried and why."
    )
    elapsed_us = serializers.IntegerField(help_text="Decision time in microseconds.")


def ruleset_ref(decision: RoutingDecision, name: str | None = None) -> dict[str, Any] | None:
    """The rule set a decision used; `name` when the caller has it at hand."""
    if decision.ruleset_id is None:
        return None
    return {
        "id": decision.ruleset_id,
        "name": decision.ruleset.name if name is None else name,
        "version": decision.ruleset_version,
    }


def decision_rule_ref(decision: RoutingDecision | None) -> dict[str, Any] | None:
    if decision is None or (decision.rule_id is None and not decision.rule_name):
        return None
    return {"id": decision.rule_id, "name": decision.rule_name}


class LeadRoutedSerializer(serializers.Serializer):
    """The answer to an intake: who owns the lead now, why, and by when they must act."""

    # Everything comes from what intake has just written or read: no further queries.
    id = serializers.IntegerField(source="lead.id")
    status = serializers.ChoiceField(source="lead.status", choices=Lead.Status.choices)
    owner = OwnerSerializer(source="routed.owner", allow_null=True)
    rule = serializers.SerializerMethodField(help_text="The rule that matched; null: fallback.")
    ack_due_at = serializers.DateTimeField(
        source="routed.ack_due_at",
        allow_null=True,
        help_text="When the owner must acknowledge (the open assignment's deadline).",
    )
    duplicate = serializers.SerializerMethodField(
        help_text="True: joined an open lead with the same e-mail; no new assignment."
    )
    decision = serializers.SerializerMethodField()

    @extend_schema_field(RuleRefSerializer(allow_null=True))
    def get_rule(self, result: IntakeResult) -> dict[str, Any] | None:
        return decision_rule_ref(result.routed.decision)

    def get_duplicate(self, result: IntakeResult) -> bool:
        return not result.created

    @extend_schema_field(DecisionSummarySerializer(allow_null=True))
    def get_decision(self, result: IntakeResult) -> dict[str, Any] | None:
        return decision_summary(result)


def decision_summary(result: IntakeResult) -> dict[str, Any] | None:
    decision = result.routed.decision
    if decision is None:
        return None
    return {
        "ruleset": ruleset_ref(decision, result.routed.ruleset_name),
        "steps": decision.steps,
        "elapsed_us": decision.elapsed_us,
    }


_DATETIME = serializers.DateTimeField()  # formats as the serializers do (time zone, "Z")


def lead_routed_body(result: IntakeResult) -> dict[str, Any]:
    """What `LeadRoutedSerializer(result).data` gives, built directly: every intake
    answers with it, and a serializer copies its declared fields (the nested owner's
    too) for each instance it serializes, which cost about half a millisecond per
    intake. The serializer stays as the answer's documentation (OpenAPI); a test holds
    the two equal."""
    routed = result.routed
    owner = routed.owner
    return {
        "id": result.lead.id,
        "status": str(result.lead.status),
        "owner": None
        if owner is None
        else {"id": owner.id, "name": owner.name, "email": owner.email, "kind": str(owner.kind)},
        "rule": decision_rule_ref(routed.decision),
        "ack_due_at": None
        if routed.ack_due_at is None
        else _DATETIME.to_representation(routed.ack_due_at),
        "duplicate": not result.created,
        "decision": decision_summary(result),
    }


class LeadReceivedSerializer(serializers.Serializer):
    """The answer to an intake with a public key (a web page's form): that the lead
    arrived, and nothing of who got it, why or by when, since anyone can read the key."""

    id = serializers.IntegerField()
    status = serializers.ChoiceField(
        choices=[("received", "Received")], help_text="Always 'received'."
    )
    duplicate = serializers.BooleanField(
        help_text="True: the e-mail joined a lead already open (nothing more is said of it)."
    )


def lead_received_body(result: IntakeResult) -> dict[str, Any]:
    return {"id": result.lead.id, "status": "received", "duplicate": not result.created}


class SimulationSerializer(serializers.Serializer):
    """What intake would decide now. Nothing is stored, so there is no id."""

    id = serializers.SerializerMethodField(help_text="Always null: nothing was stored.")
    status = serializers.SerializerMethodField()
    owner = OwnerSerializer(allow_null=True)
    rule = RuleRefSerializer(allow_null=True)
    ack_due_at = serializers.DateTimeField(allow_null=True)
    duplicate = serializers.SerializerMethodField(
        help_text="True: intake would join the open lead `duplicate_of` instead of routing."
    )
    duplicate_of = serializers.SerializerMethodField()
    decision = DecisionSummarySerializer()

    def get_id(self, simulation: Simulation) -> int | None:
        return None

    def get_status(self, simulation: Simulation) -> Literal["simulated"]:
        return "simulated"

    def get_duplicate(self, simulation: Simulation) -> bool:
        return simulation.duplicate_of is not None

    def get_duplicate_of(self, simulation: Simulation) -> int | None:
        return simulation.duplicate_of.pk if simulation.duplicate_of else None


class DecisionSerializer(serializers.ModelSerializer):
    ruleset = serializers.SerializerMethodField()
    rule = serializers.SerializerMethodField()
    pool = PoolRefSerializer(allow_null=True, help_text="The pool the owner was picked from.")
    owner = OwnerSerializer(allow_null=True)

    class Meta:
        model = RoutingDecision
        fields = [
            "id",
            "kind",
            "ruleset",
            "rule",
            "pool",
            "owner",
            "steps",
            "elapsed_us",
            "error",
            "created_at",
        ]

    @extend_schema_field(RuleSetRefSerializer(allow_null=True))
    def get_ruleset(self, decision: RoutingDecision) -> dict[str, Any] | None:
        return ruleset_ref(decision)

    @extend_schema_field(DecisionRuleSerializer(allow_null=True))
    def get_rule(self, decision: RoutingDecision) -> dict[str, Any] | None:
        return decision_rule_ref(decision)


class AssignmentSerializer(serializers.ModelSerializer):
    rep = OwnerSerializer()

    class Meta:
        model = Assignment
        fields = [
            "id",
            "rep",
            "reason",
            "assigned_at",
            "ack_due_at",
            "remind_at",
            "reminded_at",
            "acknowledged_at",
            "ended_at",
            "end_reason",
        ]


class LeadDetailSerializer(serializers.ModelSerializer):
    owner = OwnerSerializer(allow_null=True)
    rule = RuleRefSerializer(
        allow_null=True,
        help_text="The rule that routed the lead (first, or again when it returned; "
        "escalations and hand-offs do not change it); null: the fallback.",
    )
    pool = PoolRefSerializer(
        allow_null=True, help_text="The pool that routing picked its owner from, if any."
    )
    decisions = DecisionSerializer(many=True)
    assignments = AssignmentSerializer(many=True)

    class Meta:
        model = Lead
        fields = [
            "id",
            "status",
            "owner",
            "rule",
            "pool",
            *SUBMISSION_FIELDS,
            "payload",
            "escalation_count",
            "handoff_note",
            "created_at",
            "acknowledged_at",
            "decisions",
            "assignments",
        ]
        # Amounts as JSON numbers, as they were sent.
        extra_kwargs = {
            field.name: {"coerce_to_string": False}
            for field in SUBMITTED_FIELDS
            if field.kind is Kind.MONEY
        }


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="What is wrong and how to fix it.")
