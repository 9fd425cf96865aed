# A data migration of its own: on PostgreSQL the updates it makes leave deferred
# foreign-key checks pending, and the schema changes of 0022 cannot follow them in one
# transaction.

from django.db import migrations
from django.db.models import Exists, OuterRef, Subquery

# The decisions that route a lead by the rules (routing.services.recording.ROUTING_KINDS);
# escalations and hand-offs only send it on.
ROUTING_KINDS = ("initial", "returned", "error")


def leads_credited_to_their_routing(apps, schema_editor):
    """Until now an escalation or a hand-off overwrote the lead's rule set and rule with
    its own (an escalation that fell to the fallback left no rule at all). Each lead gets
    back those of its routing by the rules, with the pool its owner was picked from: its
    latest decision of those kinds that had a rule set to decide with (a decision made
    while no rule set was active changed nothing on the lead)."""
    Lead = apps.get_model("routing", "Lead")
    RoutingDecision = apps.get_model("routing", "RoutingDecision")
    routing = RoutingDecision.objects.filter(
        lead=OuterRef("pk"), kind__in=ROUTING_KINDS, ruleset_version__isnull=False
    ).order_by("-created_at", "-id")
    Lead.objects.filter(Exists(routing)).update(
        ruleset=Subquery(routing.values("ruleset")[:1]),
        rule=Subquery(routing.values("rule")[:1]),
        pool=Subquery(routing.values("pool")[:1]),
    )


class Migration(migrations.Migration):

    dependencies = [
        ('routing', '0022_lead_pool_of_its_first_routing'),
    ]

    operations = [
        migrations.RunPython(leads_credited_to_their_routing, migrations.RunPython.noop),
    ]
